import { createServer, type Server } from "node:http";
import v8 from "node:v8";
import vm from "node:vm";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode, MooseError } from "../../../src/errors.js";
import { emptyManifest } from "../../../src/manifest/index.js";
import { adminEndpoint, fetchRemoteInframap, MAX_REPLY_BYTES } from "../../../src/server/remote-plan.js";

let server: Server;
let base: string;
const seen: Array<string | undefined> = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push(request.headers.authorization);
    const path = request.url ?? "";
    const reply = (status: number, body: string) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(body);
    };
    if (path.startsWith("/ok/admin/inframap")) return reply(200, JSON.stringify(emptyManifest()));
    if (path.startsWith("/denied/")) return reply(401, JSON.stringify({ error: "Unauthorized: invalid token" }));
    if (path.startsWith("/broken/")) return reply(500, JSON.stringify({ error: "database is down" }));
    if (path.startsWith("/notjson/")) return reply(200, "<html>");
    if (path.startsWith("/notmanifest/")) return reply(200, JSON.stringify({ version: 99 }));
    if (path.startsWith("/slow/")) return; // never answers
    if (path.startsWith("/stalls/") || path.startsWith("/drops/")) {
      response.writeHead(200, { "content-type": "application/json" });
      response.write('{"version":');
      if (path.startsWith("/drops/")) setTimeout(() => response.destroy(), 50);
      return; // the rest never comes
    }
    if (path.startsWith("/drips/")) {
      // A byte every 100 ms, for ever: headers at once, then a body that never ends.
      response.writeHead(200, { "content-type": "application/json" });
      response.write("{");
      const drip = setInterval(() => response.write(" "), 100);
      response.on("close", () => clearInterval(drip));
      return;
    }
    if (path.startsWith("/escapes/")) return reply(500, "<html>\u001b[31mRED\u001b]0;pwned\u0007\r\nnext line\u009b2J \u202egnp.exe\u2028done");
    if (path.startsWith("/endless/")) {
      // A body that does not end: 1 MiB chunks as fast as the client reads them.
      response.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(1 << 20, " ");
      const more = () => {
        while (!response.destroyed && response.write(chunk));
        if (!response.destroyed) response.once("drain", more);
      };
      return more();
    }
    reply(404, "{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function failure(promise: Promise<unknown>): Promise<MooseError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MooseError);
  return error as MooseError;
}

describe("fetchRemoteInframap", () => {
  it("sends the bearer token and returns the manifest", async () => {
    expect(await fetchRemoteInframap(`${base}/ok`, { token: "abc.def" })).toEqual(emptyManifest());
    expect(seen.at(-1)).toBe("Bearer abc.def");
  });

  it("sends no Authorization header without a token", async () => {
    await fetchRemoteInframap(`${base}/ok/`);
    expect(seen.at(-1)).toBeUndefined();
  });

  it("maps 401 to exit 5 with the server's reason and a pointer to hash-token", async () => {
    const error = await failure(fetchRemoteInframap(`${base}/denied`, { token: "t" }));
    expect(error.code).toBe("REMOTE_AUTH_FAILED");
    expect(error.exitCode).toBe(ExitCode.authFailed);
    expect(error.message).toContain("invalid token");
    expect(error.hint).toContain("moose generate hash-token");
  });

  it("refuses a token that cannot be a header (oversized, control characters) locally with exit 5", async () => {
    for (const token of ["a".repeat(20_000), "abc\ndef"]) {
      const before = seen.length;
      const error = await failure(fetchRemoteInframap(`${base}/ok`, { token }));
      expect(error).toMatchObject({ code: "REMOTE_AUTH_FAILED", exitCode: ExitCode.authFailed });
      expect(error.hint).toContain("moose generate hash-token");
      expect(seen.length).toBe(before);
    }
  });

  it("names the URL when nothing listens there (exit 1)", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(fetchRemoteInframap(`http://127.0.0.1:${port}`, { token: "t" }));
    expect(error.code).toBe("REMOTE_UNREACHABLE");
    expect(error.exitCode).toBe(ExitCode.error);
    expect(error.message).toContain(`http://127.0.0.1:${port}/admin/inframap`);
  });

  it("gives up after the timeout, naming the URL", async () => {
    const error = await failure(fetchRemoteInframap(`${base}/slow`, { token: "t", timeoutMs: 200 }));
    expect(error.code).toBe("REMOTE_TIMEOUT");
    expect(error.exitCode).toBe(ExitCode.error);
    expect(error.message).toContain(`${base}/slow/admin/inframap`);
  });

  it("reports server errors, non-JSON and non-manifest answers", async () => {
    expect((await failure(fetchRemoteInframap(`${base}/broken`))).message).toContain("database is down");
    expect((await failure(fetchRemoteInframap(`${base}/notjson`))).code).toBe("REMOTE_BAD_RESPONSE");
    expect((await failure(fetchRemoteInframap(`${base}/notmanifest`))).message).toContain("version 99");
  });

  it("a body that stalls half-way is a timeout, one cut off half-way an unreachable server", async () => {
    expect((await failure(fetchRemoteInframap(`${base}/stalls`, { token: "t", timeoutMs: 300 }))).code).toBe("REMOTE_TIMEOUT");
    expect((await failure(fetchRemoteInframap(`${base}/drops`, { token: "t" }))).code).toBe("REMOTE_UNREACHABLE");
  });

  it("a body that drips a byte at a time still times out, garbage collections or not", async () => {
    // The way a long \`moose plan --url\` lost its timeout: collections while the body trickled in.
    v8.setFlagsFromString("--expose-gc");
    const collect = vm.runInNewContext("gc") as () => void;
    const collecting = setInterval(collect, 50);
    const started = Date.now();
    try {
      expect((await failure(fetchRemoteInframap(`${base}/drips`, { token: "t", timeoutMs: 600 }))).code).toBe("REMOTE_TIMEOUT");
    } finally {
      clearInterval(collecting);
    }
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 10_000);

  it("shows a server's error text without its control characters (no terminal escapes reach the user's terminal)", async () => {
    const error = await failure(fetchRemoteInframap(`${base}/escapes`));
    expect(error.message).toContain("RED");
    expect(error.message).toContain("next line");
    expect(error.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e\u2028]/);
  });

  it(`stops reading an answer past ${MAX_REPLY_BYTES / 1024 / 1024} MiB`, async () => {
    const error = await failure(fetchRemoteInframap(`${base}/endless`, { token: "t" }));
    expect(error.code).toBe("REMOTE_BAD_RESPONSE");
    expect(error.message).toContain("more than 64 MiB");
  });

  it("refuses a URL that is not http(s) as a usage error, and hides credentials in messages", async () => {
    expect((await failure(fetchRemoteInframap("ftp://host"))).exitCode).toBe(ExitCode.usage);
    expect((await failure(fetchRemoteInframap("not a url"))).code).toBe("REMOTE_URL_INVALID");
    const error = await failure(fetchRemoteInframap(`http://user:secret@127.0.0.1:1/x`));
    expect(error.code).toBe("REMOTE_URL_INVALID");
    expect(error.message).not.toContain("secret");
  });

  it("keeps a path prefix of the base URL", () => {
    expect(adminEndpoint("https://h.example/moose", "inframap").href).toBe("https://h.example/moose/admin/inframap");
    expect(adminEndpoint("https://h.example/", "plan").href).toBe("https://h.example/admin/plan");
  });
});

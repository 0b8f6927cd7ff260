import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { logEvent, logFilePath } from "../../../src/logs/logger.js";
import { generateHashToken } from "../../../src/server/auth.js";
import { startMooseServer, type AdminRequest, type RunningServer } from "../../../src/server/http.js";
import type { ProcessReport } from "../../../src/streams/supervisor.js";

const { bearerToken, apiKeyHash } = generateHashToken();
const projectDir = mkdtempSync(join(tmpdir(), "moose-http-"));
const adminCalls: AdminRequest[] = [];
let server: RunningServer;
let keyless: RunningServer;
/** No API key or JWT asked of /ingest and /api (their checks: api-auth.test.ts). */
const OPEN = { ingest: { enforceJwt: false }, consumption: { enforceJwt: false } };

function start(adminApiKey: string) {
  return startMooseServer({
    host: "127.0.0.1",
    port: 0,
    projectDir,
    adminApiKey,
    apiAuth: OPEN,
    health: async () => ({ clickhouse: "ok" }),
    consumption: async (path, query) => {
      if (path === "empty") return { status: 204, body: { ignored: true } };
      if (path === "boom") throw new Error("ClickHouse rejected a statement: Code: 62. DB::Exception: Syntax error at position 7 (SYNTAX_ERROR)");
      // A reply JSON cannot write: nested deeper than JSON.stringify goes.
      if (path === "unwritable") return { status: 200, body: JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`) as unknown };
      return path === "echo" ? { status: 200, body: { path, q: query.get("q"), big: 12345678901234567890n } } : undefined;
    },
    ingest: Object.assign(
      async (path: string, body: unknown) => {
        if (path === "refused") return { status: 400, body: { error: "refused" }, logDetails: new Error("secret ClickHouse text") };
        return path === "echo" || path === `We\`ird'Tab"le é` ? { status: 200, body: { path, received: body } } : undefined;
      },
      { has: (path: string) => path === "refused" || path === "echo" || path === `We\`ird'Tab"le é` },
    ),
    // A WebApp whose mount path only starts like /admin: it is the app's, open to anyone.
    webApps: (_request, _response, url) =>
      url.pathname.startsWith("/admin-ui") ? { webApp: "ui", serve: async () => Promise.reject(new Error("secret detail of the app")) } : undefined,
    admin: async (request) => {
      adminCalls.push(request);
      if (request.route === "inframap") return { status: 200, body: { version: 1 } };
      if (request.route === "plan") return { status: 200, body: { received: request.body } };
      if (request.route === "boom") throw new Error("exploded");
      return undefined;
    },
  });
}

/** What the server answers to `request` written as it is on a socket (fetch would normalise the target). */
function rawRequest(port: number, request: string, { endAfterWrite = true } = {}): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => (endAfterWrite ? socket.end(request) : socket.write(request)));
    let text = "";
    socket.on("data", (chunk) => {
      text += chunk.toString();
      // Without our end, the server's "Connection: close" reply ends the exchange.
      if (!endAfterWrite && /\r\n\r\n[^]*\}/.test(text)) socket.destroy();
    });
    socket.on("close", () => resolve(text));
    socket.on("error", reject);
  });
}

beforeAll(async () => {
  server = await start(apiKeyHash);
  keyless = await start("");
});
afterAll(async () => {
  await server.close();
  await keyless.close();
  rmSync(projectDir, { recursive: true, force: true });
});

describe("moose server routing", () => {
  it("listens on a random port and answers /health", async () => {
    expect(server.port).toBeGreaterThan(0);
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", services: { clickhouse: "ok" } });
  });

  it("lists the stream processes on /health without their last error; not-run is healthy, failed is not", async () => {
    const report = (id: string, state: ProcessReport["state"]): ProcessReport => ({
      id, kind: "consumer", state, processed: 1, skipped: 0, deadLettered: 0, lag: 0,
      lastError: { message: `record {"card":"4111 1111"} failed in ${id}`, at: "2026-12-02T03:00:00.000Z" },
    });
    const reports: ProcessReport[] = [report("consumer:A", "running"), report("consumer:B", "not-run")];
    const withProcesses = await startMooseServer({ host: "127.0.0.1", port: 0, projectDir, adminApiKey: "", apiAuth: OPEN, health: async () => ({}), processes: async () => reports, consumption: async () => undefined, admin: async () => undefined });
    try {
      const healthy = await fetch(`${withProcesses.url}/health`);
      expect(healthy.status).toBe(200);
      const text = await healthy.text();
      expect(text).not.toContain("4111");
      expect(JSON.parse(text).processes).toEqual([
        { id: "consumer:A", kind: "consumer", state: "running", processed: 1, skipped: 0, deadLettered: 0, lag: 0 },
        { id: "consumer:B", kind: "consumer", state: "not-run", processed: 1, skipped: 0, deadLettered: 0, lag: 0 },
      ]);
      reports.push(report("consumer:C", "failed"));
      expect((await fetch(`${withProcesses.url}/health`)).status).toBe(503);
    } finally {
      await withProcesses.close();
    }
  });

  it("routes /api/<path> with its query and serialises bigints", async () => {
    const response = await fetch(`${server.url}/api/echo?q=hello`);
    expect(await response.json()).toEqual({ path: "echo", q: "hello", big: "12345678901234567890" });
  });

  it("sends no body, and no content-length, with a 204", async () => {
    const response = await fetch(`${server.url}/api/empty`);
    expect(response.status).toBe(204);
    expect(response.headers.get("content-length")).toBeNull();
    expect(await response.text()).toBe("");
  });

  it("answers 404 for an unknown API and 405 for a wrong method", async () => {
    expect((await fetch(`${server.url}/api/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/echo`, { method: "POST" })).status).toBe(405);
    expect((await fetch(`${server.url}/elsewhere`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/%E0%A4%A`)).status).toBe(400);
  });

  it("lets pages of any origin call /api and /ingest and read their replies, as MooseStack's server does; not /admin", async () => {
    const origin = { origin: "http://localhost:3000" };
    for (const response of [
      await fetch(`${server.url}/api/echo?q=1`, { headers: origin }),
      await fetch(`${server.url}/api/nope`, { headers: origin }),
      await fetch(`${server.url}/ingest/echo`, { method: "POST", body: "{}", headers: { ...origin, "content-type": "application/json" } }),
    ]) {
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
    }
    const preflight = await fetch(`${server.url}/ingest/echo`, {
      method: "OPTIONS",
      headers: { ...origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type, x-trace-id" },
    });
    expect(preflight.status).toBe(204);
    expect(Object.fromEntries([...preflight.headers].filter(([name]) => name.startsWith("access-control-")))).toEqual({
      "access-control-allow-origin": "*",
      "access-control-allow-methods": "GET, POST, OPTIONS",
      "access-control-allow-headers": "content-type, x-trace-id",
      "access-control-max-age": "600",
    });
    // A requested header list that is not plain names is not echoed.
    const odd = await fetch(`${server.url}/api/echo`, { method: "OPTIONS", headers: { "access-control-request-headers": "x-a; x-b" } });
    expect(odd.headers.get("access-control-allow-headers")).toBe("Content-Type, Authorization");
    const admin = await fetch(`${server.url}/admin/inframap`, { headers: { ...origin, authorization: `Bearer ${bearerToken}` } });
    expect(admin.status).toBe(200);
    expect(admin.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("admin authentication over HTTP", () => {
  const auth = (authorization?: string): Record<string, string> => (authorization === undefined ? {} : { authorization });

  it("accepts the right token", async () => {
    const response = await fetch(`${server.url}/admin/inframap`, { headers: auth(`Bearer ${bearerToken}`) });
    expect(response.status).toBe(200);
  });

  it.each([
    ["no header", undefined],
    ["empty", ""],
    ["scheme only", "Bearer"],
    ["three parts", "Bearer a.b.c"],
    ["non-hex", `Bearer ${"g".repeat(32)}.${"h".repeat(32)}`],
    ["very long", `Bearer ${"a".repeat(4000)}.${"b".repeat(4000)}`],
    ["Basic", `Basic ${Buffer.from(`admin:${bearerToken}`).toString("base64")}`],
    ["token without scheme", bearerToken],
    ["another token", `Bearer ${generateHashToken().bearerToken}`],
    ["the key as token", `Bearer ${apiKeyHash}`],
  ])("refuses %s with 401 before any admin route runs", async (_name, header) => {
    const before = adminCalls.length;
    const response = await fetch(`${server.url}/admin/inframap`, { headers: auth(header) });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    expect(((await response.json()) as { error: string }).error).toMatch(/^Unauthorized: /);
    expect(adminCalls.length).toBe(before);
  });

  it("refuses unknown admin routes with 401 too when unauthenticated (no route discovery)", async () => {
    expect((await fetch(`${server.url}/admin/nothing-here`)).status).toBe(401);
    expect((await fetch(`${server.url}/admin/nothing-here`, { headers: auth(`Bearer ${bearerToken}`) })).status).toBe(404);
  });

  it("says how to configure a key when none is set", async () => {
    const response = await fetch(`${keyless.url}/admin/inframap`, { headers: auth(`Bearer ${bearerToken}`) });
    expect(response.status).toBe(401);
    const { error } = (await response.json()) as { error: string };
    expect(error).toContain("no admin API key is configured");
    expect(error).toContain("moose generate hash-token");
    expect(error).toContain("MOOSE_AUTHENTICATION__ADMIN_API_KEY");
  });

  it("passes the parsed JSON body of a POST, and refuses a body that is not JSON", async () => {
    const headers = { authorization: `Bearer ${bearerToken}`, "content-type": "application/json" };
    const ok = await fetch(`${server.url}/admin/plan`, { method: "POST", headers, body: JSON.stringify({ a: 1 }) });
    expect(await ok.json()).toEqual({ received: { a: 1 } });
    const bad = await fetch(`${server.url}/admin/plan`, { method: "POST", headers, body: "{not json" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain("not valid JSON");
  });

  it("turns a failing route into a 500 with the message, logged without the token", async () => {
    const response = await fetch(`${server.url}/admin/boom`, { headers: auth(`Bearer ${bearerToken}`) });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: "exploded" });
    const log = readFileSync(logFilePath(projectDir), "utf8");
    expect(log).toContain("/admin/boom");
    expect(log).not.toContain(bearerToken);
    expect(log).not.toContain(bearerToken.split(".")[0]);
  });
});

describe("client input and internal errors", () => {
  it("decodes percent-encoded UTF-8 in the query, and refuses escapes that are not UTF-8 with 400 naming the parameter", async () => {
    const ok = await fetch(`${server.url}/api/echo?q=caf%C3%A9+au+lait`);
    expect(((await ok.json()) as { q: string }).q).toBe("café au lait");
    const bad = await fetch(`${server.url}/api/echo?q=%FF%FE`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "invalid query parameters for /api/echo", fields: [{ field: "q", message: "is not valid UTF-8 after percent-decoding" }] });
    const lone = await fetch(`${server.url}/api/echo?q=%ED%A0%80`); // UTF-8 spelling of the surrogate U+D800
    expect(lone.status).toBe(400);
  });

  it("refuses a request body that is not valid UTF-8 with 400", async () => {
    const response = await fetch(`${server.url}/ingest/echo`, { method: "POST", body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]) });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "request body is not valid UTF-8" });
    const ok = await fetch(`${server.url}/ingest/echo`, { method: "POST", body: JSON.stringify({ a: "é" }) });
    expect(await ok.json()).toEqual({ path: "echo", received: { a: "é" } });
  });

  it("refuses a compressed body with 415 naming its Content-Encoding (identity is plain)", async () => {
    const { gzipSync } = await import("node:zlib");
    const response = await fetch(`${server.url}/ingest/echo`, { method: "POST", headers: { "content-encoding": "gzip" }, body: gzipSync(JSON.stringify({ a: 1 })) });
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({ error: 'Content-Encoding "gzip" is not supported: send the body uncompressed' });
    const plain = await fetch(`${server.url}/ingest/echo`, { method: "POST", headers: { "content-encoding": "identity" }, body: JSON.stringify({ a: 1 }) });
    expect(await plain.json()).toEqual({ path: "echo", received: { a: 1 } });
  });

  it("answers a failing API with a generic 500 and a request id, keeping the error text for the log only", async () => {
    const response = await fetch(`${server.url}/api/boom`);
    expect(response.status).toBe(500);
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: `internal error (request id ${requestId}); the server log has the details`, requestId });
    expect(text).not.toMatch(/ClickHouse|SYNTAX_ERROR|DB::Exception|at .*\.ts/);
    const log = readFileSync(logFilePath(projectDir), "utf8");
    expect(log).toContain("SYNTAX_ERROR");
    expect(log).toContain(requestId);
  });

  it("says which service is unavailable on /health without its error's text, which goes to the log", async () => {
    const failing = await startMooseServer({
      host: "127.0.0.1",
      port: 0,
      projectDir,
      adminApiKey: "",
      apiAuth: OPEN,
      health: async () => ({ clickhouse: "Cannot reach ClickHouse at ch-internal.corp:8123 (ECONNREFUSED)" }),
      consumption: async () => undefined,
      admin: async () => undefined,
    });
    try {
      const response = await fetch(`${failing.url}/health`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: "unhealthy", services: { clickhouse: "unavailable" } });
      expect(readFileSync(logFilePath(projectDir), "utf8")).toContain("clickhouse unavailable: Cannot reach ClickHouse at ch-internal.corp:8123");
    } finally {
      await failing.close();
    }
  });

  it("names at most 200 characters of a long path in replies and the log", async () => {
    const response = await fetch(`${server.url}/x${"/".repeat(16_000)}a`);
    expect(response.status).toBe(404);
    const { error } = (await response.json()) as { error: string };
    expect(error.length).toBeLessThan(400);
    expect(error).toContain("…");
  });

  it("answers 400 to a request target that is not a URL (`GET http://a:b`), and keeps serving", async () => {
    const { port } = server;
    const reply = await rawRequest(port, "GET http://a:b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toContain("the request target is not a valid URL");
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it("answers 400 to a path with a backslash or a dot segment, which a proxy guarding by prefix may not read as this server would", async () => {
    for (const target of ["/api/x\\..\\..\\admin/inframap", "/api/%2e%2E/admin/inframap", "/api/../health", "/ingest/./echo"]) {
      const reply = await rawRequest(server.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(reply, target).toMatch(/^HTTP\/1\.1 400 /);
      expect(reply, target).toContain("backslash or a dot segment");
    }
    expect((await fetch(`${server.url}/api/echo?q=a.b`)).status).toBe(200);
  });

  it("reaches an ingest API whose name needs percent-encoding by that encoding; a malformed one is a 400", async () => {
    const response = await fetch(`${server.url}/ingest/${encodeURIComponent(`We\`ird'Tab"le é`)}`, { method: "POST", body: "{}" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ path: `We\`ird'Tab"le é`, received: {} });
    const malformed = await rawRequest(server.port, "POST /ingest/bad%E0%A4 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
    expect(malformed).toMatch(/^HTTP\/1\.1 400 /);
    expect(malformed).toContain("malformed percent-encoding");
  });

  it("ends a connection whose headers are not all sent within 10 s, however slowly they keep coming (408)", async () => {
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, "127.0.0.1", () => socket.write("GET /health HTTP/1.1\r\nHost: x\r\n"));
      // A header line every half second, never the blank line that ends them (slowloris).
      let line = 0;
      const drip = setInterval(() => socket.write(`X-Drip-${line++}: a\r\n`), 500);
      let text = "";
      socket.on("data", (chunk) => (text += chunk.toString()));
      socket.on("close", () => {
        clearInterval(drip);
        resolve(text);
      });
      socket.on("error", () => undefined);
      setTimeout(() => reject(new Error(`the connection was still open after 15 s (${text})`)), 15_000).unref();
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
  }, 20_000);

  it("sends 100 Continue only once a body is to be read: a caller refused first never gets invited to send it", async () => {
    const refused = await rawRequest(server.port, "POST /admin/plan HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n", { endAfterWrite: false });
    expect(refused).toMatch(/^HTTP\/1\.1 401 /);
    expect(refused).not.toContain("100 Continue");
    const missing = await rawRequest(server.port, "POST /ingest/nothing HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n", { endAfterWrite: false });
    expect(missing).toMatch(/^HTTP\/1\.1 404 /);
    const accepted = await rawRequest(server.port, "POST /ingest/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n{}");
    expect(accepted).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });

  it("answers a POST to an ingest path that does not exist before reading its body", async () => {
    // Ten megabytes announced and none sent: the answer comes without waiting for them.
    const reply = await rawRequest(server.port, "POST /ingest/nothing HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\nConnection: close\r\n\r\n", { endAfterWrite: false });
    expect(reply).toMatch(/^HTTP\/1\.1 404 /);
  });

  it("holds at most four bodies of the largest size at once: a fifth waits for a 503 with Retry-After, and is taken once they are answered", async () => {
    const almost = 10 * 1024 * 1024 - 1;
    const held = await Promise.all(
      Array.from({ length: 4 }, () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect(server.port, "127.0.0.1", () => {
            socket.write(`POST /ingest/echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${almost + 1}\r\n\r\n`);
            socket.write(Buffer.alloc(almost, 0x20), () => resolve(socket));
          });
          socket.on("error", reject);
        }),
      ),
    );
    try {
      // The server has read them all (they are in its budget) when a small body no longer fits.
      await vi.waitFor(async () => {
        const refused = await fetch(`${server.url}/ingest/echo`, { method: "POST", body: JSON.stringify({ padding: "x".repeat(100) }) });
        expect(refused.status).toBe(503);
        expect(refused.headers.get("retry-after")).toBe("1");
      }, { timeout: 20_000, interval: 200 });
    } finally {
      for (const socket of held) socket.destroy();
    }
    await vi.waitFor(async () => expect((await fetch(`${server.url}/ingest/echo`, { method: "POST", body: "{}" })).status).toBe(200), { timeout: 10_000 });
  }, 60_000);

  it("keeps the reason of a failed WebApp mounted under a path that only starts like /admin from its caller", async () => {
    const response = await fetch(`${server.url}/admin-ui/report`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain("secret detail");
    expect(text).toContain("internal error (request id");
  });

  it("answers 500 with a request id when a reply cannot be written as JSON, and keeps serving", async () => {
    const response = await fetch(`${server.url}/api/unwritable`);
    expect(response.status).toBe(500);
    const requestId = response.headers.get("x-request-id");
    expect(await response.json()).toEqual({ error: `internal error (request id ${requestId}): the reply could not be written as JSON` });
    expect(readFileSync(logFilePath(projectDir), "utf8")).toContain("Maximum call stack size exceeded");
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it("sends a route's reply without its logDetails, which go to the log", async () => {
    const response = await fetch(`${server.url}/ingest/refused`, { method: "POST", body: "{}" });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe(JSON.stringify({ error: "refused" }));
    expect(readFileSync(logFilePath(projectDir), "utf8")).toContain("secret ClickHouse text");
  });
});

describe("listening", () => {
  it("names the port when it is already in use", async () => {
    const clash = await startMooseServer({
      host: "127.0.0.1",
      port: server.port,
      projectDir,
      adminApiKey: "",
      apiAuth: OPEN,
      health: async () => ({}),
      consumption: async () => undefined,
      admin: async () => undefined,
    }).catch((caught: unknown) => caught);
    expect(clash).toMatchObject({ code: "SERVER_PORT_IN_USE", message: expect.stringContaining(`127.0.0.1:${server.port}`) });
  });

  it("names the host when it is not an address of this machine", async () => {
    const failure = await startMooseServer({
      host: "203.0.113.7", // TEST-NET-3: never local
      port: 0,
      projectDir,
      adminApiKey: "",
      apiAuth: OPEN,
      health: async () => ({}),
      consumption: async () => undefined,
      admin: async () => undefined,
    }).catch((caught: unknown) => caught);
    expect(failure).toMatchObject({ code: "SERVER_CANNOT_LISTEN", config: { key: "http_server_config.host" } });
  });
});

describe("the request log under a flood of bad requests", () => {
  it("logs at most 100 client errors a minute one by one and counts the rest in one line, keeping the log's earlier history", async () => {
    const floodDir = mkdtempSync(join(tmpdir(), "moose-http-flood-"));
    const flooded = await startMooseServer({ host: "127.0.0.1", port: 0, projectDir: floodDir, adminApiKey: apiKeyHash, apiAuth: OPEN, health: async () => ({}), consumption: async () => undefined, admin: async () => undefined });
    try {
      logEvent(floodDir, { kind: "migration", message: "applied 20261203_init" });
      for (let batch = 0; batch < 5; batch++) {
        await Promise.all(Array.from({ length: 30 }, (_, index) => fetch(`${flooded.url}/${batch % 2 ? "admin/x" : `nope/${batch}-${index}`}`).then((response) => response.arrayBuffer())));
      }
      expect((await fetch(`${flooded.url}/health`)).status).toBe(200);
    } finally {
      await flooded.close();
    }
    const records = readFileSync(logFilePath(floodDir), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { kind: string; message: string; details?: Record<string, unknown> });
    expect(records[0]!.message).toBe("applied 20261203_init");
    expect(records.filter((record) => / → 40[14]$/.test(record.message))).toHaveLength(100);
    const summary = records.filter((record) => record.message.includes("more client errors"));
    expect(summary).toHaveLength(1);
    expect(summary[0]!.message).toMatch(/^50 more client errors \(4xx\) in the minute from /);
    const counted = summary[0]!.details!.unloggedByStatus as Record<string, number>;
    expect(Object.values(counted).reduce((sum, count) => sum + count, 0)).toBe(50);
    rmSync(floodDir, { recursive: true, force: true });
  });
});

/**
 * `moose dev` serves the app's API endpoints and WebApps on http_server_config and swaps in the new
 * handlers after every good save; a broken save keeps the last good ones answering.
 */
import type { ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clickhouse, copyQuickstart, DevProcess, devEnv, freePorts, DEV_TEST_TIMEOUT_MS, type DevPorts, type TestProject } from "./dev-process.js";

const MAIN = "app/index.ts";
const USERS_API = `
interface UserQuery {
  name: string;
}

export const usersApi = new Api<UserQuery, UserSchema[]>("users", async ({ name }, { client, sql }) => {
  const result = await client.query.execute<UserSchema>(sql\`SELECT id, name, email FROM \${usersTable} WHERE name = \${name} ORDER BY id\`);
  return result.json();
});

export const boomApi = new Api<{ note?: string }, never>("boom", async ({ note }) => {
  throw new Error(note === undefined ? "the boom handler failed" : \`the boom handler failed on \${note}\`);
});

export const hello = new WebApp("hello", (req, res) => {
  res.end(\`v1 \${req.url}\`);
}, { mountPath: "/hello" });
`;

describe("moose dev API server", () => {
  let project: TestProject;
  let ports: DevPorts;
  let dev: DevProcess;
  let client: ClickHouseClient;

  const get = async (path: string) => {
    const response = await fetch(`http://localhost:${ports.api}${path}`);
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const getText = async (path: string) => {
    const response = await fetch(`http://localhost:${ports.api}${path}`);
    return { status: response.status, body: await response.text() };
  };

  async function save(text: string): Promise<string> {
    const mark = dev.mark();
    await project.write(MAIN, text);
    return dev.nextReload(mark);
  }

  beforeAll(async () => {
    project = copyQuickstart();
    ports = await freePorts();
    const source = await project.read(MAIN);
    await project.write(MAIN, source.replace('import { OlapTable, Stream } from "moose-ts";', 'import { Api, OlapTable, Stream, WebApp } from "moose-ts";') + USERS_API);
    dev = new DevProcess(project, devEnv(ports, { MOOSE_FEATURES__STREAMING_ENGINE: "false" }));
    client = clickhouse(ports);
  });

  afterAll(async () => {
    await client?.close();
    await dev?.stop();
    project?.remove();
  });

  it("serves the app's APIs, WebApps and /health once ready", async () => {
    const banner = await dev.ready();
    expect(banner).toContain(`WebApps     http://localhost:${ports.api}/hello`);
    expect(await getText("/hello/x?y=1")).toEqual({ status: 200, body: "v1 /x?y=1" });
    // A handler's error: a generic 500 for the client, the error with its stack on the terminal.
    const mark = dev.mark();
    const boom = await get("/api/boom");
    expect(boom).toMatchObject({ status: 500, body: { error: expect.not.stringContaining("boom handler") } });
    const printed = await dev.waitFor(/error API_HANDLER_FAILED: GET \/api\/boom \(request id [0-9a-f-]{36}\): Error: the boom handler failed\n\s+at /, mark);
    expect(printed).toContain((boom.body as { requestId: string }).requestId);
    // An error quoting the request (an escape sequence a page sent) is printed with its control characters spelled out.
    const escapeMark = dev.mark();
    expect((await get("/api/boom?note=%1B%5B2J%1B%5D0%3Bowned%07")).status).toBe(500);
    const quoted = await dev.waitFor(/the boom handler failed on \\x1b\[2J\\x1b\]0;owned\\x07/, escapeMark);
    expect(quoted).not.toContain("\u001b");
    await client.insert({ table: "Users", values: [{ id: "1", name: "alice", email: "a@example.com" }, { id: "2", name: "bob", email: "b@example.com" }], format: "JSONEachRow" });
    expect(await get("/api/users?name=alice")).toEqual({ status: 200, body: [{ id: "1", name: "alice", email: "a@example.com" }] });
    expect(await get("/api/users")).toMatchObject({ status: 400 });
    // Streaming off: no stream processes, and /health lists none.
    expect(await get("/health")).toEqual({ status: 200, body: { status: "ok", services: { clickhouse: "ok" }, processes: [] } });
  }, DEV_TEST_TIMEOUT_MS);

  it("hot-reloads a changed handler and a new API after a save", async () => {
    const source = await project.read(MAIN);
    const reload = await save(
      source.replace("WHERE name = ${name} ORDER BY id", "WHERE name != ${name} ORDER BY id").replace("v1 ", "v2 ") +
        `\nexport const countApi = new Api<{}, { n: string }[]>("count", async (_params, { client, sql }) => (await client.query.execute<{ n: string }>(sql\`SELECT count() AS n FROM \${usersTable}\`)).json());\n`,
    );
    expect(reload).toContain("+ api/count (API Endpoint)");
    expect(await get("/api/users?name=alice")).toEqual({ status: 200, body: [{ id: "2", name: "bob", email: "b@example.com" }] });
    expect(await get("/api/count")).toEqual({ status: 200, body: [{ n: "2" }] });
    expect(await getText("/hello")).toEqual({ status: 200, body: "v2 /" });
  });

  it("a broken save keeps the last good handlers answering", async () => {
    const good = await project.read(MAIN);
    const broken = await save(good.replace("ORDER BY id", "ORDER BY id`);\n  oops("));
    expect(broken).toMatch(/✖ reload failed after \d+ ms/);
    expect(await get("/api/users?name=alice")).toEqual({ status: 200, body: [{ id: "2", name: "bob", email: "b@example.com" }] });
    expect(await get("/api/count")).toEqual({ status: 200, body: [{ n: "2" }] });

    const removed = await save(good.replace(/\nexport const countApi[\s\S]*$/, "\n"));
    expect(removed).toContain("- api/count (API Endpoint)");
    expect(await get("/api/count")).toMatchObject({ status: 404 });
    expect(await getText("/hello")).toEqual({ status: 200, body: "v2 /" });

    await save(good.replace(/\nexport const hello[\s\S]*?\n}, \{ mountPath: "\/hello" \}\);\n/, "\n"));
    expect(await get("/hello")).toMatchObject({ status: 404 });
  });
});

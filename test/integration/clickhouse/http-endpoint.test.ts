/**
 * The local ClickHouse HTTP interface, used the way users use it: through @clickhouse/client and
 * plain HTTP requests (what curl sends).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { gzipSync } from "node:zlib";
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { MAX_ENDPOINT_BODY_BYTES, serveClickHouseHttp, type ClickHouseHttpEndpoint } from "../../../src/infra/clickhouse/http-endpoint.js";
import type { RawClickHouseDriver } from "../../../src/infra/clickhouse/raw.js";
import { tempDataDir } from "../../helpers/clickhouse.js";

const data = tempDataDir();
const USER = "panda";
const PASSWORD = "pandapass";
let driver: RawClickHouseDriver;
let endpoint: ClickHouseHttpEndpoint;
let client: ClickHouseClient;

beforeAll(async () => {
  driver = await openEmbedded({ dataDir: data.dir, database: "local" });
  endpoint = await serveClickHouseHttp(driver, { port: 0, user: USER, password: PASSWORD });
  client = createClient({ log: { level: ClickHouseLogLevel.OFF }, url: endpoint.url, username: USER, password: PASSWORD, database: "local" });
});

afterAll(async () => {
  await client?.close();
  await endpoint?.close();
  await driver?.close();
  data.remove();
});

const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;

/** A request written on a socket as is (fetch decides `Host` itself); the whole reply as text. */
function raw(method: string, target: string, headers: Record<string, string> = {}): Promise<string> {
  const lines = [`${method} ${target} HTTP/1.1`, ...Object.entries({ Host: `127.0.0.1:${endpoint.port}`, ...headers, Connection: "close" }).map(([name, value]) => `${name}: ${value}`)];
  return new Promise<string>((resolve, reject) => {
    // Written, not ended: a client that half-closes first gets no answer to a request the server answers later.
    const socket = connect(endpoint.port, "127.0.0.1", () => socket.write(`${lines.join("\r\n")}\r\n\r\n`));
    let text = "";
    socket.on("data", (chunk) => (text += chunk.toString()));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}

function post(query: string, body?: string | Uint8Array, headers: Record<string, string> = {}) {
  const url = `${endpoint.url}/?${query}`;
  return fetch(url, { method: "POST", body, headers: { Authorization: basic, ...headers } });
}

describe("ClickHouse HTTP interface: @clickhouse/client", () => {
  it("binds to 127.0.0.1 by default", () => {
    expect(endpoint.url).toBe(`http://127.0.0.1:${endpoint.port}`);
  });

  it("pings", async () => {
    expect(await client.ping()).toEqual({ success: true });
  });

  it("counts the statements ClickHouse runs as writes (dev reads its state again after them), not reads or pings", async () => {
    const before = endpoint.writes();
    await client.ping();
    await client.query({ query: "SELECT 1" });
    await client.query({ query: "SHOW TABLES" });
    await client.query({ query: "SELECT 1", clickhouse_settings: { max_threads: 1 } });
    expect(endpoint.writes()).toEqual(before);
    await client.command({ query: "CREATE TABLE IF NOT EXISTS written (id UInt8) ENGINE = MergeTree ORDER BY id" });
    await client.insert({ table: "written", values: [{ id: 1 }], format: "JSONEachRow" });
    // A statement asking for readonly = 0 is still only counted when it writes.
    await client.query({ query: "SELECT count() FROM written", clickhouse_settings: { readonly: "0" } });
    expect(endpoint.writes()).toEqual({ started: before.started + 2, running: 0 });
    expect(await (await client.query({ query: "SELECT id FROM written", format: "JSONEachRow" })).json()).toEqual([{ id: 1 }]);
  });

  it("runs a write once: with several statements in one request, none before the write runs twice", async () => {
    const file = path.join(tmpdir(), `moose-endpoint-${process.pid}.csv`);
    rmSync(file, { force: true });
    await client.command({ query: "CREATE TABLE IF NOT EXISTS twice (id UInt8) ENGINE = MergeTree ORDER BY id" });
    await client.command({ query: `INSERT INTO FUNCTION file('${file}', 'CSV', 'id UInt8') VALUES (1); INSERT INTO twice VALUES (2)` });
    expect(readFileSync(file, "utf8")).toBe("1\n");
    expect(await (await client.query({ query: "SELECT id FROM twice", format: "JSONEachRow" })).json()).toEqual([{ id: 2 }]);
    rmSync(file, { force: true });
  });

  it("answers a write that fails with its own error, not the read-only attempt's", async () => {
    await expect(client.command({ query: "INSERT INTO no_such_table VALUES (1)" })).rejects.toMatchObject({ type: "UNKNOWN_TABLE" });
    await expect(client.command({ query: "ALTER TABLE no_such_table ADD COLUMN x UInt8" })).rejects.toMatchObject({ type: "UNKNOWN_TABLE" });
  });

  it("counts a write as running until it is over", async () => {
    const before = endpoint.writes();
    const slow = client.command({ query: "CREATE TABLE IF NOT EXISTS slowly ENGINE = MergeTree ORDER BY n AS SELECT number AS n, sleepEachRow(0.05) AS s FROM numbers(6)" });
    await expect.poll(() => endpoint.writes().running, { timeout: 10_000, interval: 5 }).toBe(1);
    await slow;
    expect(endpoint.writes()).toEqual({ started: before.started + 1, running: 0 });
  });

  it("creates a table, inserts rows and queries them with parameters", async () => {
    await client.command({ query: "CREATE TABLE IF NOT EXISTS users (id UInt64, name String, tags Array(String)) ENGINE = MergeTree ORDER BY id" });
    await client.insert({
      table: "users",
      values: [
        { id: 1, name: "ada", tags: ["a", "b"] },
        { id: 2, name: "bob's", tags: [] },
        { id: 3, name: "tab\there", tags: ["x'y"] },
      ],
      format: "JSONEachRow",
    });
    const result = await client.query({
      query: "SELECT id, name FROM users WHERE name IN ({names:Array(String)}) OR id = {id:UInt64} ORDER BY id",
      query_params: { names: ["bob's", "tab\there"], id: 1 },
      format: "JSONEachRow",
    });
    expect(await result.json()).toEqual([
      { id: "1", name: "ada" },
      { id: "2", name: "bob's" },
      { id: "3", name: "tab\there" },
    ]);
    const tags = await client.query({ query: "SELECT tags FROM users WHERE has(tags, {tag:String})", query_params: { tag: "x'y" }, format: "JSONEachRow" });
    expect(await tags.json()).toEqual([{ tags: ["x'y"] }]);
  });

  it("runs in the client's database, and in another one when asked", async () => {
    await driver.exec("CREATE DATABASE IF NOT EXISTS analytics");
    const here = await client.query({ query: "SELECT currentDatabase() AS db", format: "JSONEachRow" });
    expect(await here.json()).toEqual([{ db: "local" }]);
    const other = createClient({ log: { level: ClickHouseLogLevel.OFF }, url: endpoint.url, username: USER, password: PASSWORD, database: "analytics" });
    try {
      const there = await other.query({ query: "SELECT currentDatabase() AS db", format: "JSONEachRow" });
      expect(await there.json()).toEqual([{ db: "analytics" }]);
    } finally {
      await other.close();
    }
  });

  it("applies settings sent with the query", async () => {
    const result = await client.query({ query: "SELECT getSetting('max_threads') AS t", format: "JSONEachRow", clickhouse_settings: { max_threads: 3 } });
    expect(await result.json()).toEqual([{ t: 3 }]);
  });

  it("returns other formats (JSON with meta)", async () => {
    const result = await client.query({ query: "SELECT count() AS n FROM users", format: "JSON" });
    const json = await result.json<{ n: string }>();
    expect(json.data).toEqual([{ n: "3" }]);
    expect(json.meta).toEqual([{ name: "n", type: "UInt64" }]);
  });

  it("echoes query_id and sends a summary", async () => {
    const result = await client.command({ query: "INSERT INTO users (id, name) VALUES (4, 'cy')", query_id: "my-query-1" });
    expect(result.query_id).toBe("my-query-1");
    expect(result.summary).toMatchObject({ read_rows: expect.any(String) });
  });

  it("sends query parameters in a multipart body and compressed bodies when the client does", async () => {
    const other = createClient({
      url: endpoint.url,
      username: USER,
      password: PASSWORD,
      database: "local",
      use_multipart_params: true,
      compression: { request: true, response: true },
    });
    try {
      const result = await other.query({ query: "SELECT name FROM users WHERE id = {id:UInt64}", query_params: { id: 2 }, format: "JSONEachRow" });
      expect(await result.json()).toEqual([{ name: "bob's" }]);
      await other.insert({ table: "users", values: [{ id: 5, name: "zed", tags: [] }], format: "JSONEachRow" });
      expect(await driver.query("SELECT name FROM users WHERE id = 5")).toEqual([{ name: "zed" }]);
    } finally {
      await other.close();
    }
  });

  it("reports ClickHouse errors with their code", async () => {
    const error = await client.query({ query: "SELECT * FROM nope", format: "JSONEachRow" }).then(
      () => undefined,
      (caught: unknown) => caught as { code: string; type: string; message: string },
    );
    expect(error).toMatchObject({ code: "60", type: "UNKNOWN_TABLE" });
  });

  it("refuses a wrong password with 516 AUTHENTICATION_FAILED", async () => {
    const wrong = createClient({ log: { level: ClickHouseLogLevel.OFF }, url: endpoint.url, username: USER, password: "nope" });
    try {
      const error = await wrong.query({ query: "SELECT 1" }).then(
        () => undefined,
        (caught: unknown) => caught as { code: string; type: string },
      );
      expect(error).toMatchObject({ code: "516", type: "AUTHENTICATION_FAILED" });
    } finally {
      await wrong.close();
    }
  });

  it("keeps serving while a long query runs", async () => {
    const slow = client.query({ query: "SELECT sleepEachRow(0.5) FROM numbers(4) SETTINGS function_sleep_max_microseconds_per_block = 10000000", format: "JSONEachRow" });
    const order: string[] = [];
    const ping = fetch(`${endpoint.url}/ping`).then(() => order.push("ping"));
    const query = slow.then(() => order.push("slow query"));
    await Promise.all([ping, query]);
    expect(order).toEqual(["ping", "slow query"]);
  });
});

describe("ClickHouse HTTP interface: plain HTTP (curl)", () => {
  it("/ping answers Ok. without credentials", async () => {
    const response = await fetch(`${endpoint.url}/ping`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("Ok.\n");
  });

  it("GET ?query= with user/password parameters, TabSeparated by default", async () => {
    const response = await fetch(`${endpoint.url}/?user=${USER}&password=${PASSWORD}&query=${encodeURIComponent("SELECT 1, 'a'")}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("1\ta\n");
    expect(response.headers.get("x-clickhouse-query-id")).toBeTruthy();
    expect(JSON.parse(response.headers.get("x-clickhouse-summary")!)).toMatchObject({ read_rows: expect.any(String), elapsed_ns: expect.any(String) });
  });

  it("X-ClickHouse-User / X-ClickHouse-Key headers, query in the body, default_format and FORMAT clauses", async () => {
    const headers = { "X-ClickHouse-User": USER, "X-ClickHouse-Key": PASSWORD };
    const json = await fetch(`${endpoint.url}/?default_format=JSONEachRow&database=local`, { method: "POST", body: "SELECT 2 AS two", headers });
    expect(await json.text()).toBe('{"two":2}\n');
    const clause = await fetch(`${endpoint.url}/?default_format=JSONEachRow`, { method: "POST", body: "SELECT 3 AS three FORMAT CSV", headers });
    expect(await clause.text()).toBe("3\n");
    expect(clause.headers.get("x-clickhouse-format")).toBe("CSV");
  });

  it("URL query + body data, as in `curl 'http://…/?query=INSERT…' --data-binary @rows`", async () => {
    const values = await post(`query=${encodeURIComponent("INSERT INTO users (id, name) VALUES")}`, "(10, 'ten'), (11, 'eleven')");
    expect(values.status).toBe(200);
    const rows = await post(`query=${encodeURIComponent("INSERT INTO users FORMAT JSONEachRow")}`, '{"id": 12, "name": "twelve", "tags": ["t"]}\n');
    expect(rows.status).toBe(200);
    expect(await driver.query("SELECT name FROM users WHERE id >= 10 ORDER BY id")).toEqual([{ name: "ten" }, { name: "eleven" }, { name: "twelve" }]);
  });

  it("param_<name> URL parameters in ClickHouse's escaped text form", async () => {
    const response = await post(`param_name=${encodeURIComponent("tab\\there")}&param_ids=${encodeURIComponent("[1,3]")}&default_format=JSONEachRow`, "SELECT id FROM users WHERE name = {name:String} AND id IN {ids:Array(UInt64)}");
    expect(await response.text()).toBe('{"id":"3"}\n');
  });

  it("echoes the query_id it was given", async () => {
    const response = await post("query_id=abc-123", "SELECT 1");
    expect(response.headers.get("x-clickhouse-query-id")).toBe("abc-123");
  });

  it("errors in ClickHouse's shape: status, X-ClickHouse-Exception-Code, `Code: N. DB::Exception: …`", async () => {
    const syntax = await post("", "SELEC 1");
    expect(syntax.status).toBe(400);
    expect(syntax.headers.get("x-clickhouse-exception-code")).toBe("62");
    expect(await syntax.text()).toMatch(/^Code: 62\. DB::Exception: Syntax error.*\(SYNTAX_ERROR\)\n$/s);
    const missing = await post("", "SELECT * FROM nowhere");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-clickhouse-exception-code")).toBe("60");
  });

  it("a GET request may only read", async () => {
    const response = await fetch(`${endpoint.url}/?query=${encodeURIComponent("CREATE TABLE t_get (x UInt8) ENGINE = Memory")}`, { headers: { Authorization: basic } });
    expect(response.status).toBe(403);
    expect(response.headers.get("x-clickhouse-exception-code")).toBe("164");
  });

  it("a GET request may read with EXCEPT / INTERSECT (ClickHouse renders them in parentheses)", async () => {
    const response = await fetch(`${endpoint.url}/?query=${encodeURIComponent("SELECT 1 AS x UNION ALL SELECT 2 EXCEPT SELECT 2")}`, { headers: { Authorization: basic } });
    expect(response.status).toBe(200);
    expect((await response.text()).trim()).toBe("1");
  });

  it("a GET request may only read, whatever readonly it names", async () => {
    const response = await fetch(`${endpoint.url}/?readonly=0&query=${encodeURIComponent("CREATE TABLE t_get0 (x UInt8) ENGINE = Memory")}`, { headers: { Authorization: basic } });
    expect(response.status).toBe(403);
    expect(response.headers.get("x-clickhouse-exception-code")).toBe("164");
  });

  it("a GET writes no file and runs no SYSTEM statement (chdb's client code would, even under readonly = 1); reads with settings still work", async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), "moose-get-"));
    try {
      const get = (query: string, extra = "") => fetch(`${endpoint.url}/?${extra}query=${encodeURIComponent(query)}`, { headers: { Authorization: basic } });
      const refused = async (query: string, extra?: string) => {
        const response = await get(query, extra);
        expect(response.status, query).toBe(403);
        expect(response.headers.get("x-clickhouse-exception-code")).toBe("164");
        return response.text();
      };
      expect(await refused(`SELECT 'overwritten' INTO OUTFILE '${scratch}/a.txt' TRUNCATE FORMAT RawBLOB`, "readonly=1&")).toContain("INTO OUTFILE");
      await refused(`select 1 /* c */ into\n  outfile '${scratch}/b.txt'`);
      await refused(`EXPLAIN AST SELECT 1 INTO OUTFILE '${scratch}/c.txt'`);
      await refused(`INSERT INTO FUNCTION file('${scratch}/d.txt', 'RawBLOB') SELECT 'x'`);
      await refused("SYSTEM STOP MERGES");
      await refused("CREATE TEMPORARY TABLE tmp_get (x UInt8)");
      await refused(`SELECT 1; SELECT 2 INTO OUTFILE '${scratch}/e.txt'`);
      // Another dialect would parse the statement differently from the check.
      await refused(`SELECT 1 INTO OUTFILE '${scratch}/f.txt'`, "dialect=prql&");
      // A backslash escape the check would decode but the engine does not: "\n" ends the comment only in a decoded copy.
      await refused(`SELECT 'x' -- \\n/*\nINTO OUTFILE '${scratch}/g.txt' -- */`);
      // Settings that make a format write or read files.
      expect(await refused("SELECT 1 AS x FORMAT Protobuf", `output_format_schema=${encodeURIComponent(`${scratch}/h.txt`)}&`)).toContain("output_format_schema");
      await refused("SELECT 1", "default_format=Template&format_template_resultset=%2Fetc%2Fhostname&");
      expect(readdirSync(scratch)).toEqual([]);
      const read = await get("SELECT number FROM system.numbers LIMIT 3", "max_result_rows=10&");
      expect(read.status).toBe(200);
      expect(await read.text()).toBe("0\n1\n2\n");
      expect((await get("WITH 2 AS x SELECT x")).status).toBe(200);
      expect((await get("SHOW TABLES")).status).toBe(200);
      // Logs the engine would print on dev's terminal are not asked for, whatever the method.
      const logs = await post("send_logs_level=trace", "SELECT getSetting('send_logs_level')");
      expect(await logs.text()).not.toContain("trace");
      // POST still writes (the endpoint's documented rights).
      expect((await post("", "CREATE TEMPORARY TABLE tmp_post (x UInt8)")).status).toBe(200);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("refuses a query_id a header cannot carry before running the statement (no 500 for a write that happened)", async () => {
    await client.command({ query: "CREATE TABLE IF NOT EXISTS ids (id String) ENGINE = MergeTree ORDER BY id" });
    const response = await post(`query_id=${encodeURIComponent("€")}`, "INSERT INTO ids VALUES ('x')");
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("query_id must be printable ASCII");
    expect(await (await client.query({ query: "SELECT count() AS n FROM ids", format: "JSONEachRow" })).json()).toEqual([{ n: "0" }]);
    // Nor on a path that is no handler (the id is echoed there too).
    expect((await fetch(`${endpoint.url}/nowhere?query_id=${encodeURIComponent("€")}`)).status).toBe(404);
    const named = await post("query_id=my-query-1", "SELECT 1");
    expect(named.headers.get("x-clickhouse-query-id")).toBe("my-query-1");
  });

  it("a target starting with // is not the query handler: `//x/?query=…` runs nothing", async () => {
    expect(await raw("GET", "//x/?query=SELECT%201", { Authorization: basic })).toMatch(/^HTTP\/1\.1 404 /);
    expect(await raw("GET", "/?query=SELECT%201", { Authorization: basic })).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("a request target that is not a URL (`GET http://a:b`) is answered, and the endpoint keeps serving", async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(endpoint.port, "127.0.0.1", () => socket.end("GET http://a:b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
      let text = "";
      socket.on("data", (chunk) => (text += chunk.toString()));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect((await fetch(`${endpoint.url}/ping`)).status).toBe(200);
  });

  it("a request sent by a web page of another origin is refused before it runs; a local page's is served", async () => {
    // What a cross-site form or fetch sends: the browser names the page, and the statement in the body would run unseen.
    for (const origin of ["https://pages.example", "http://localhost.example:18123", "http://127.0.0.1.nip.io", "null"]) {
      const response = await post("user=panda&password=pandapass", "CREATE TABLE t_foreign (x UInt8) ENGINE = Memory", { Origin: origin });
      expect(response.status).toBe(403);
      expect(response.headers.get("x-clickhouse-exception-code")).toBe("497");
      expect(await response.text()).toContain(`another origin (${origin})`);
    }
    expect(await (await post("", "EXISTS TABLE local.t_foreign")).text()).toBe("0\n");
    for (const origin of ["http://localhost:5521", "http://127.0.0.1:8080", "http://[::1]:3000", "http://LOCALHOST:3000"]) {
      const response = await post("", "SELECT 1", { Origin: origin, "Sec-Fetch-Site": "same-origin" });
      expect(await response.text()).toBe("1\n");
    }
  });

  it("a no-cors request of another site (no Origin: a HEAD) and a rebound host name are refused; a HEAD may only read", async () => {
    const create = encodeURIComponent("CREATE TABLE t_head (x UInt8) ENGINE = Memory");
    const crossSite = await raw("HEAD", `/?user=panda&password=pandapass&query=${create}`, { "Sec-Fetch-Site": "cross-site" });
    expect(crossSite).toMatch(/^HTTP\/1\.1 403 [\s\S]*X-ClickHouse-Exception-Code: 497/i);
    // DNS rebinding: the page's own name resolved to this machine; its requests are same-origin and carry no Origin.
    const rebound = await raw("GET", `/?user=panda&password=pandapass&query=SELECT%201`, { Host: `pages.example:${endpoint.port}` });
    expect(rebound).toMatch(/^HTTP\/1\.1 403 [\s\S]*another host name \(Host: pages\.example:\d+\)/);
    const head = await raw("HEAD", `/?user=panda&password=pandapass&query=${create}`);
    expect(head).toMatch(/^HTTP\/1\.1 403 [\s\S]*X-ClickHouse-Exception-Code: 164/i);
    expect(await (await post("", "EXISTS TABLE local.t_head")).text()).toBe("0\n");
    expect(await raw("GET", "/?user=panda&password=pandapass&query=SELECT%201", { Host: `localhost:${endpoint.port}` })).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("wrong or missing credentials → 401 with Code: 516", async () => {
    const attempts: Record<string, string>[] = [{ Authorization: `Basic ${Buffer.from(`${USER}:wrong`).toString("base64")}` }, {}, { "X-ClickHouse-User": "default" }];
    for (const headers of attempts) {
      const response = await fetch(`${endpoint.url}/?query=SELECT%201`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get("x-clickhouse-exception-code")).toBe("516");
      expect(await response.text()).toMatch(/^Code: 516\. DB::Exception: .*Authentication failed.*\(AUTHENTICATION_FAILED\)\n$/);
    }
  });

  it("refuses a body over the limit, plain or as a gzip bomb, with 413 before it fills memory, and keeps serving", async () => {
    const over = MAX_ENDPOINT_BODY_BYTES + 1024 * 1024;
    // ≈ 260 KB of gzip that would inflate to 257 MiB of zeros.
    const bomb = gzipSync(Buffer.alloc(over), { level: 9 });
    const inflated = await post("query=INSERT%20INTO%20nowhere%20FORMAT%20TSV", bomb, { "Content-Encoding": "gzip" });
    expect(inflated.status).toBe(413);
    expect(await inflated.text()).toMatch(/^Code: 241\. DB::Exception: the request's body is over 256 MiB .*\(MEMORY_LIMIT_EXCEEDED\)\n$/);

    const plain = await new Promise<{ status: number; code: string | undefined }>((resolve, reject) => {
      const request = httpRequest(`${endpoint.url}/?query=INSERT%20INTO%20nowhere%20FORMAT%20TSV`, { method: "POST", headers: { Authorization: basic } }, (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0, code: response.headers["x-clickhouse-exception-code"] as string | undefined });
      });
      request.on("error", (error: NodeJS.ErrnoException) => (error.code === "EPIPE" || error.code === "ECONNRESET" ? undefined : reject(error)));
      const chunk = Buffer.alloc(1024 * 1024);
      let sent = 0;
      const writeMore = () => {
        while (sent < over) {
          sent += chunk.length;
          if (!request.write(chunk)) return void request.once("drain", writeMore);
        }
        request.end();
      };
      writeMore();
    });
    expect(plain).toEqual({ status: 413, code: "241" });
    expect(await (await post("query=SELECT%201")).text()).toBe("1\n");
  }, 120_000);

  it("unknown paths → 404", async () => {
    const response = await fetch(`${endpoint.url}/nope`);
    expect(response.status).toBe(404);
  });

  it("a taken port → CLICKHOUSE_HTTP_PORT_IN_USE naming the config key", async () => {
    const error = await serveClickHouseHttp(driver, { port: endpoint.port, user: USER, password: PASSWORD }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(MooseError);
    expect((error as MooseError).code).toBe("CLICKHOUSE_HTTP_PORT_IN_USE");
    expect((error as MooseError).config?.key).toBe("clickhouse_config.host_port");
  });
});

/**
 * The remote driver against a real ClickHouse server (Debian's 18.16 unless
 * MOOSE_TEST_CLICKHOUSE_URL names another): connection errors, DDL, errors, and the plain
 * MergeTree SQL the migration journal and lock tables use.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../../src/config/types.js";
import { normalizeSql } from "../../../src/diff/index.js";
import { ExitCode, MooseError } from "../../../src/errors.js";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { executeSqlStep } from "../../../src/infra/clickhouse/executor.js";
import { openRemote } from "../../../src/infra/clickhouse/remote.js";
import { freePort } from "../../helpers/kafka.js";
import { applyOperation, testServerUrl, urlWithDatabase, urlWithPassword, withTestDatabase } from "../../helpers/clickhouse.js";
import { column, op, table } from "./fixtures.js";

let serverUrl: string;
let testDb: Awaited<ReturnType<typeof withTestDatabase>>;
let driver: ClickHouseDriver;

beforeAll(async () => {
  serverUrl = await testServerUrl();
  testDb = await withTestDatabase(serverUrl);
  driver = await openRemote({ url: testDb.url });
}, 600_000);

afterAll(async () => {
  await driver?.close();
  await testDb?.drop();
});

async function openError(options: Parameters<typeof openRemote>[0]): Promise<MooseError> {
  const error = await openRemote(options).then(
    async (opened) => {
      await opened.close();
      return undefined;
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MooseError);
  return error as MooseError;
}

function columnsOf(table: string) {
  return driver.query<{ name: string; type: string }>(
    "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {table:String}",
    { table },
  );
}

describe("remote driver: connecting", () => {
  it("connects with a URL and runs in the URL's database", async () => {
    expect(driver.kind).toBe("remote");
    expect(driver.database).toBe(testDb.database);
    expect(await driver.query("SELECT currentDatabase() AS db")).toEqual([{ db: testDb.database }]);
  });

  it("connects from [clickhouse_config]", async () => {
    const url = new URL(serverUrl);
    const fromConfig = await openRemote({
      config: { ...DEFAULT_CONFIG.clickhouse_config, host: url.hostname, host_port: Number(url.port), user: "default", password: "", db_name: testDb.database },
    });
    try {
      expect(await fromConfig.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
    } finally {
      await fromConfig.close();
    }
  });

  it("nothing listening → CLICKHOUSE_UNREACHABLE naming host:port and the flag / config key", async () => {
    const port = await freePort();
    const viaUrl = await openError({ url: `http://default:@127.0.0.1:${port}/default` });
    expect(viaUrl.code).toBe("CLICKHOUSE_UNREACHABLE");
    expect(viaUrl.message).toContain(`127.0.0.1:${port}`);
    expect(viaUrl.message).toContain("ECONNREFUSED");
    expect(viaUrl.hint).toContain("--clickhouse-url");

    const viaConfig = await openError({ config: { ...DEFAULT_CONFIG.clickhouse_config, host: "127.0.0.1", host_port: port } });
    expect(viaConfig.code).toBe("CLICKHOUSE_UNREACHABLE");
    expect(viaConfig.config?.key).toBe("clickhouse_config.host_port");
  });

  it("something other than ClickHouse on the port → CLICKHOUSE_UNREACHABLE saying so", async () => {
    const other = createServer((_request, response) => {
      response.writeHead(404);
      response.end();
    });
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = other.address() as AddressInfo;
      const error = await openError({ url: `http://127.0.0.1:${port}` });
      expect(error.code).toBe("CLICKHOUSE_UNREACHABLE");
      expect(error.message).toContain("is this a ClickHouse HTTP port?");
    } finally {
      other.close();
    }
  });

  it("wrong password → CLICKHOUSE_AUTH_FAILED with exit code 5", async () => {
    const error = await openError({ url: urlWithPassword(testDb.url, "not-the-password") });
    expect(error.code).toBe("CLICKHOUSE_AUTH_FAILED");
    expect(error.exitCode).toBe(ExitCode.authFailed);
    expect(error.message).toContain('user "default"');
    expect(error.hint).toContain("--clickhouse-url");
  });

  it("unknown database → CLICKHOUSE_UNKNOWN_DATABASE with how to create it", async () => {
    const url = new URL(serverUrl);
    const error = await openError({
      config: { ...DEFAULT_CONFIG.clickhouse_config, host: url.hostname, host_port: Number(url.port), user: "default", password: "", db_name: "no_such_db_for_moose" },
    });
    expect(error.code).toBe("CLICKHOUSE_UNKNOWN_DATABASE");
    expect(error.config?.key).toBe("clickhouse_config.db_name");
    expect(error.hint).toContain("CREATE DATABASE no_such_db_for_moose)");
  });

  it("a malformed URL → CLICKHOUSE_BAD_URL (usage) without echoing the password", async () => {
    for (const url of ["postgres://user:secret@host:5432/db", "clickhouse://user:secret@host:9999/db"]) {
      const error = await openError({ url });
      expect(error.code).toBe("CLICKHOUSE_BAD_URL");
      expect(error.exitCode).toBe(ExitCode.usage);
      expect(error.message).not.toContain("secret");
    }
    // A password holding `/` or `@` (a URL that does not parse, or has a path too deep) is hidden whole.
    for (const url of ["http://user:se/cr@et@host:8123/a/b", "ftp://user:p@ss/word@host/db"]) {
      const odd = await openError({ url });
      expect(odd.code).toBe("CLICKHOUSE_BAD_URL");
      expect(odd.message).toContain("user:***@");
      expect(odd.message).not.toMatch(/cr@et|ss\/word/);
    }
  });
});

describe("remote driver: statements", () => {
  it("creates a table, adds and drops a column, verified in system.columns", async () => {
    await driver.exec("CREATE TABLE IF NOT EXISTS users (id UInt64, name String) ENGINE = MergeTree ORDER BY id");
    await driver.insert("users", [{ id: 1, name: "ada" }]);
    // 18.16 knows no IF [NOT] EXISTS on column ALTERs.
    await driver.exec("ALTER TABLE users ADD COLUMN age Nullable(UInt8) AFTER name");
    expect(await columnsOf("users")).toEqual([
      { name: "id", type: "UInt64" },
      { name: "name", type: "String" },
      { name: "age", type: "Nullable(UInt8)" },
    ]);
    expect(await driver.query("SELECT id, name, age FROM users")).toEqual([{ id: "1", name: "ada", age: null }]);
    await driver.exec("ALTER TABLE users DROP COLUMN age");
    expect((await columnsOf("users")).map((column) => column.name)).toEqual(["id", "name"]);
  });

  it("inserts a sync's batch with its deduplication token; a server without the setting stores it without one", async () => {
    await driver.exec("CREATE TABLE synced (id UInt32) ENGINE = MergeTree ORDER BY id");
    await driver.insert("synced", [{ id: 1 }, { id: 2 }], { deduplicationToken: "Events:0:0-1" });
    expect(await driver.query("SELECT count() AS n FROM synced")).toEqual([{ n: "2" }]);
  });

  it("binds parameters (client-side on servers without query parameters)", async () => {
    const rows = await driver.query("SELECT {s:String} AS s, {n:UInt32} AS n, {when:DateTime} AS t", {
      s: "it's a \\ test",
      n: 7,
      when: new Date(Date.UTC(2024, 1, 3, 4, 5, 6)),
    });
    expect(rows).toEqual([{ s: "it's a \\ test", n: 7, t: "2024-02-03 04:05:06" }]);
  });

  it("answers a query as arrays with its columns' names and types (queryCompact, what the Python worker types values by)", async () => {
    expect(await driver.queryCompact("SELECT toUInt64({n:UInt32}) + 1 AS n, toDateTime('2026-01-02 03:04:05', 'UTC') AS at", { n: 41 })).toEqual({
      columns: [
        { name: "n", type: "UInt64" },
        { name: "at", type: "DateTime('UTC')" },
      ],
      rows: [["42", "2026-01-02 03:04:05"]],
    });
  });

  it("propagates a server error as CLICKHOUSE_QUERY_FAILED with the server's code", async () => {
    const error = await driver.exec("SELECT * FROM no_such_table").then(
      () => undefined,
      (caught: unknown) => caught as MooseError,
    );
    expect(error).toBeInstanceOf(MooseError);
    expect(error!.code).toBe("CLICKHOUSE_QUERY_FAILED");
    expect(error!.details?.clickhouseCode).toBe(60);
    expect(error!.message).toMatch(/no_such_table/);
  });

  it("handles hostile identifiers", async () => {
    const table = "we`ird \\ table";
    await driver.exec("CREATE TABLE IF NOT EXISTS `we\\`ird \\\\ table` (`odd col` String) ENGINE = MergeTree ORDER BY tuple()");
    await driver.insert(table, [{ "odd col": "x" }]);
    expect(await driver.query("SELECT `odd col` AS c FROM `we\\`ird \\\\ table`")).toEqual([{ c: "x" }]);
  });

  it("runs journal / lock style MergeTree tables (what the migration runner needs)", async () => {
    await driver.exec(`CREATE TABLE IF NOT EXISTS _moose_migrations (
      id String, checksum String, from_hash String, to_hash String, status String, steps_done UInt32,
      started_at DateTime, finished_at Nullable(DateTime), applied_by String, error String, version UInt64
    ) ENGINE = ReplacingMergeTree(version) ORDER BY id`);
    await driver.exec(`CREATE TABLE IF NOT EXISTS _moose_lock (
      name String, holder String, acquired_at DateTime, expires_at DateTime, version UInt64
    ) ENGINE = ReplacingMergeTree(version) ORDER BY name`);
    await driver.insert("_moose_migrations", [
      { id: "20240101T000000Z_init", checksum: "abc", from_hash: "", to_hash: "h1", status: "running", steps_done: 0, started_at: new Date(), finished_at: null, applied_by: "me", error: "", version: 1 },
      { id: "20240101T000000Z_init", checksum: "abc", from_hash: "", to_hash: "h1", status: "done", steps_done: 3, started_at: new Date(), finished_at: new Date(), applied_by: "me", error: "", version: 2 },
    ]);
    const rows = await driver.query<{ status: string; steps_done: number }>(
      "SELECT argMax(status, version) AS status, argMax(steps_done, version) AS steps_done FROM _moose_migrations WHERE id = {id:String} GROUP BY id",
      { id: "20240101T000000Z_init" },
    );
    expect(rows).toEqual([{ status: "done", steps_done: 3 }]);
    await driver.insert("_moose_lock", [{ name: "migrate", holder: "host:123", acquired_at: new Date(), expires_at: new Date(Date.now() + 60_000), version: 1 }]);
    const [lock] = await driver.query<{ holder: string; live: number }>(
      "SELECT argMax(holder, version) AS holder, argMax(expires_at, version) > now() AS live FROM _moose_lock WHERE name = 'migrate' GROUP BY name",
    );
    expect(lock).toEqual({ holder: "host:123", live: 1 });
    // Tables moose keeps for itself are not part of the introspected schema.
    const schema = await driver.introspect();
    expect(Object.keys(schema.tables)).not.toContain("_moose_migrations");
    expect(Object.keys(schema.tables)).toContain("users");
  });

  it("introspects tables on an old server", async () => {
    await driver.exec("CREATE TABLE IF NOT EXISTS shapes (id UInt64, label Nullable(String) DEFAULT 'x' COMMENT 'the label', d Date DEFAULT today()) ENGINE = MergeTree PARTITION BY toYYYYMM(d) ORDER BY (id, d)");
    const { tables } = await driver.introspect();
    const shapes = tables.shapes!;
    expect(shapes.columns).toEqual([
      { name: "id", type: "UInt64", nullable: false },
      { name: "label", type: "String", nullable: true, default: "'x'", comment: "the label" },
      { name: "d", type: "Date", nullable: false, default: "today()" },
    ]);
    expect(shapes.orderBy).toEqual(["id", "d"]);
    expect(shapes.partitionBy).toBe("toYYYYMM(d)");
    expect(shapes.engine).toEqual({ name: "MergeTree", params: [] });
  });

  it("introspects views and materialized views on an old server", async () => {
    await driver.exec("CREATE TABLE IF NOT EXISTS shape_counts (id UInt64, n UInt64) ENGINE = SummingMergeTree ORDER BY id");
    await driver.exec("CREATE VIEW IF NOT EXISTS shape_ids AS SELECT id FROM shapes WHERE id > 0");
    await driver.exec("CREATE MATERIALIZED VIEW IF NOT EXISTS shape_counter TO shape_counts AS SELECT id, count() AS n FROM shapes GROUP BY id");
    const { views, materializedViews, tables } = await driver.introspect();
    expect(views.shape_ids).toMatchObject({ name: "shape_ids", sourceTables: ["shapes"] });
    expect(normalizeSql(views.shape_ids!.sql)).toBe(normalizeSql("SELECT id FROM shapes WHERE id > 0"));
    expect(materializedViews.shape_counter).toMatchObject({ name: "shape_counter", targetTable: "shape_counts", sourceTables: ["shapes"] });
    expect(Object.keys(tables)).not.toContain("shape_counter");
  });
});

describe("remote driver: checked type change", () => {
  // Written for 18.16: no IF EXISTS on MODIFY COLUMN, no accurateCastOrNull (the check test-casts).
  it("refuses on rows that do not convert, leaving the column as it was; converts good rows", async () => {
    await driver.exec("CREATE TABLE IF NOT EXISTS codes (id UInt64, code String) ENGINE = MergeTree ORDER BY id");
    await driver.insert("codes", [
      { id: 1, code: "12" },
      { id: 2, code: "x" },
    ]);
    const step = { sql: "ALTER TABLE codes MODIFY COLUMN code Int32", checkConversion: { table: "codes", column: "code", toType: "Int32" } };
    const error = await executeSqlStep(driver, step).then(
      () => undefined,
      (caught: unknown) => caught as MooseError,
    );
    expect(error).toBeInstanceOf(MooseError);
    expect(error!.code).toBe("TYPE_CONVERSION_REFUSED");
    expect(await columnsOf("codes")).toEqual([
      { name: "id", type: "UInt64" },
      { name: "code", type: "String" },
    ]);
    // (Not after ALTER … DELETE of the bad row: 18.16's MODIFY COLUMN still reads rows a DELETE removed.)
    await driver.exec("CREATE TABLE IF NOT EXISTS good_codes (id UInt64, code String) ENGINE = MergeTree ORDER BY id");
    await driver.insert("good_codes", [{ id: 1, code: "12" }]);
    await executeSqlStep(driver, { sql: "ALTER TABLE good_codes MODIFY COLUMN code Int32", checkConversion: { table: "good_codes", column: "code", toType: "Int32" } });
    expect(await columnsOf("good_codes")).toEqual([
      { name: "id", type: "UInt64" },
      { name: "code", type: "Int32" },
    ]);
    expect(await driver.query("SELECT code FROM good_codes")).toEqual([{ code: 12 }]);
  });
});

describe("remote driver: table rebuild", () => {
  it("rebuilds with a new ORDER BY and keeps every row (RENAME instead of EXCHANGE on old servers)", async () => {
    const from = table("rebuilt", [column("id", "UInt64"), column("at", "Date")]);
    const to = { ...from, orderBy: ["at", "id"] };
    await applyOperation(driver, op({ kind: "createTable", target: "rebuilt", summary: "", table: from }));
    await driver.insert("rebuilt", [
      { id: 1, at: "2024-01-01" },
      { id: 2, at: "2024-01-02" },
      { id: 3, at: "2024-01-03" },
    ]);
    await applyOperation(driver, op({ kind: "recreateTable", target: "rebuilt", summary: "", from, to, reasons: ["ORDER BY"] }));
    expect(await driver.query("SELECT sorting_key FROM system.tables WHERE database = currentDatabase() AND name = 'rebuilt'")).toEqual([{ sorting_key: "at, id" }]);
    expect(await driver.query("SELECT count() AS n FROM rebuilt")).toEqual([{ n: "3" }]);
    const names = await driver.query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'rebuilt%'");
    expect(names.map((row) => row.name)).toEqual(["rebuilt"]);
  });
});

describe("remote driver: URL forms", () => {
  it("defaults the database to `default` when the URL has no path", async () => {
    const plain = await openRemote({ url: serverUrl });
    try {
      expect(plain.database).toBe("default");
    } finally {
      await plain.close();
    }
    expect(urlWithDatabase(serverUrl, "x")).toMatch(/\/x$/);
  });

  it("takes the URL's query parameters as ClickHouse settings for every statement", async () => {
    const tuned = await openRemote({ url: `${testDb.url}?distributed_ddl_task_timeout=7&max_threads=3` });
    try {
      expect(await tuned.query("SELECT name, value FROM system.settings WHERE name IN ('distributed_ddl_task_timeout', 'max_threads') ORDER BY name")).toEqual([
        { name: "distributed_ddl_task_timeout", value: "7" },
        { name: "max_threads", value: "3" },
      ]);
    } finally {
      await tuned.close();
    }
  });

  it("a query parameter the server has no setting for → CLICKHOUSE_BAD_URL (usage) naming it", async () => {
    const error = await openError({ url: `${testDb.url}?no_such_setting=1` });
    expect(error.code).toBe("CLICKHOUSE_BAD_URL");
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.message).toContain("Unknown setting no_such_setting");
  });
});

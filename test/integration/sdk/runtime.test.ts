/**
 * The SDK's run-time members against real local infrastructure: the embedded ClickHouse served over
 * its HTTP interface (what `moose dev` runs on clickhouse_config.host_port), reached through the
 * project's moose.config.toml. OlapTable.insert, getMooseUtils / getMooseClients (with the raw
 * client), Sql.append with OlapTable.columns, MooseCache, and the clear errors when something cannot
 * work (streaming off, nothing listening). Needs `npm run build` (the runtime is dist/sdk/runtime.js).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { serveClickHouseHttp, type ClickHouseHttpEndpoint } from "../../../src/infra/clickhouse/http-endpoint.js";
import type { RawClickHouseDriver } from "../../../src/infra/clickhouse/raw.js";
import type { ColumnSpec } from "../../../src/manifest/types.js";
import { getMooseClients, getMooseUtils, getRegistry, MooseCache, OlapTable, sql, Stream } from "../../../src/sdk/index.js";
import { METADATA_MARKER, type InjectedMetadata } from "../../../src/sdk/metadata.js";
import { tempDataDir } from "../../helpers/clickhouse.js";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const data = tempDataDir();
const projects: string[] = [];
let driver: RawClickHouseDriver;
let endpoint: ClickHouseHttpEndpoint;

interface Event {
  id: number;
  name: string;
  at: Date;
  note?: string;
}

const columns: ColumnSpec[] = [
  { name: "id", type: "UInt64", nullable: false, primaryKey: true },
  { name: "name", type: "String", nullable: false },
  { name: "at", type: "DateTime('UTC')", nullable: false },
  { name: "note", type: "String", nullable: true },
];

function injected(line: number): InjectedMetadata {
  return { [METADATA_MARKER]: 1, source: { file: "app/index.ts", line, col: 1 }, columns, schema: { type: "object" } };
}

function project(config: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "moose-runtime-"));
  projects.push(dir);
  writeFileSync(path.join(dir, "moose.config.toml"), config);
  return dir;
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string; hint?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string; hint?: string };
  }
  throw new Error("expected a rejection");
}

beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, "dist", "sdk", "runtime.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  driver = await openEmbedded({ dataDir: data.dir, database: "local" });
  endpoint = await serveClickHouseHttp(driver, { port: 0, user: "panda", password: "pandapass" });
  await driver.exec("CREATE TABLE IF NOT EXISTS Events (id UInt64, name String, at DateTime('UTC'), note Nullable(String)) ENGINE = MergeTree ORDER BY id");
  process.env.MOOSE_PROJECT_DIR = project(
    `[clickhouse_config]\nhost = "127.0.0.1"\nhost_port = ${endpoint.port}\nuser = "panda"\npassword = "pandapass"\ndb_name = "local"\n\n[features]\nstreaming_engine = false\n`,
  );
});

afterAll(async () => {
  const table = getRegistry().get<OlapTable<Event>>("tables", "Events");
  await table?.closeClient();
  await endpoint?.close();
  await driver?.close();
  data.remove();
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
  delete process.env.MOOSE_PROJECT_DIR;
});

describe("OlapTable at run time", () => {
  let events: OlapTable<Event>;
  beforeAll(() => {
    getRegistry().clear();
    events = new OlapTable<Event>("Events", {}, injected(3));
  });

  it("exposes its columns by field name, interpolated as column names", () => {
    expect(events.columns.name.name).toBe("name");
    expect(events.columns.note.required).toBe(false);
    expect(events.columns.id.primary_key).toBe(true);
    const query = sql`SELECT ${events.columns.name} FROM ${events}`.append(sql` WHERE ${events.columns.id} = ${7}`);
    expect(query.strings.join("?")).toBe("SELECT ? FROM ? WHERE ? = ?");
  });

  it("inserts rows into the table on [clickhouse_config]", async () => {
    const result = await events.insert([
      { id: 1, name: "ada", at: new Date("2026-01-02T03:04:05Z") },
      { id: 2, name: "bob", at: new Date("2026-01-02T03:04:06Z"), note: "second" },
    ]);
    expect(result).toEqual({ successful: 2, failed: 0, total: 2 });
    expect(await driver.query("SELECT id, name, toString(at) AS at, note FROM Events ORDER BY id")).toEqual([
      { id: "1", name: "ada", at: "2026-01-02 03:04:05", note: null },
      { id: "2", name: "bob", at: "2026-01-02 03:04:06", note: "second" },
    ]);
  });

  it("checks rows against the columns: sets invalid ones aside with isolate, and by default refuses the whole array before inserting", async () => {
    const bad = { id: "not a number", name: "x", at: new Date() } as unknown as Event;
    const isolated = await events.insert([{ id: 3, name: "cy", at: new Date() }, bad], { strategy: "isolate" });
    expect(isolated.successful).toBe(1);
    expect(isolated.failed).toBe(1);
    expect(isolated.failedRecords?.[0]).toMatchObject({ index: 1, error: expect.stringContaining("id:") });
    const error = await rejection(events.insert([{ id: 4, name: "dee", at: new Date() }, bad]));
    expect(error.code).toBe("INSERT_INVALID");
    expect(error.message).toContain("row 1 for Events does not fit the table: id:");
    expect(await driver.query("SELECT count() AS n FROM Events WHERE id = 4")).toEqual([{ n: "0" }]);
    // Without the check, ClickHouse itself refuses the row.
    const unchecked = await rejection(events.insert([bad], { validate: false }));
    expect(unchecked.code).toBe("CLICKHOUSE_ERROR");
    expect(unchecked.message).toContain("inserting 1 row(s) into Events");
  });

  it("a row may leave out an optional array, map or nested field (such columns cannot be Nullable): it stores the empty value; a required scalar is still required", async () => {
    interface Tagged {
      id: number;
      tags?: string[];
      labels?: Record<string, string>;
      geo?: { lat: number; lon: number };
    }
    await driver.exec("CREATE TABLE IF NOT EXISTS Tagged (id UInt64, tags Array(String), labels Map(String, String), geo Nested(lat Float64, lon Float64)) ENGINE = MergeTree ORDER BY id");
    const taggedColumns: ColumnSpec[] = [
      { name: "id", type: "UInt64", nullable: false, primaryKey: true },
      { name: "tags", type: "Array(String)", nullable: false },
      { name: "labels", type: "Map(String, String)", nullable: false },
      { name: "geo", type: "Nested(lat Float64, lon Float64)", nullable: false },
    ];
    const tagged = new OlapTable<Tagged>("Tagged", {}, { ...injected(4), columns: taggedColumns });
    try {
      expect(await tagged.insert([{ id: 1 }, { id: 2, tags: ["a"], labels: { k: "v" }, geo: { lat: 1.5, lon: 2.5 } }])).toEqual({ successful: 2, failed: 0, total: 2 });
      expect(await driver.query("SELECT id, tags, toJSONString(labels) AS labels, geo.lat AS lat FROM Tagged ORDER BY id")).toEqual([
        { id: "1", tags: [], labels: "{}", lat: [] },
        { id: "2", tags: ["a"], labels: '{"k":"v"}', lat: [1.5] },
      ]);
      const missingId = await rejection(tagged.insert([{ tags: ["b"] } as unknown as Tagged]));
      expect(missingId.message).toContain("row 0 for Tagged does not fit the table: id: is required");
    } finally {
      await tagged.closeClient();
    }
  });

  it("inserts a Readable of rows batch by batch", async () => {
    const rows = Readable.from((function* () {
      for (let id = 1000; id < 26_000; id++) yield { id, name: `r${id}`, at: new Date("2026-01-02T03:04:05Z") };
    })());
    expect(await events.insert(rows)).toEqual({ successful: 25_000, failed: 0, total: 25_000 });
    expect(await driver.query("SELECT count() AS n, uniqExact(id) AS ids FROM Events WHERE id >= 1000")).toEqual([{ n: "25000", ids: "25000" }]);
  });

  it("getMooseUtils queries with bound parameters; the raw client is @clickhouse/client", async () => {
    const { client, sql: tag } = await getMooseUtils();
    const rows = await (await client.query.execute<{ n: string }>(tag`SELECT count() AS n FROM ${events} WHERE ${events.columns.id} <= ${2}`)).json();
    expect(rows).toEqual([{ n: "2" }]);
    expect(await client.query.client.ping()).toMatchObject({ success: true });
    const { client: legacy } = await getMooseClients();
    expect(await (await legacy.query.execute(sql`SELECT ${"it's"} AS s`)).json()).toEqual([{ s: "it's" }]);
    const workflowError = await rejection(client.workflow!.execute("cleanup", {}));
    expect(workflowError.code).toBe("WORKFLOWS_NOT_RUN");
  });
});

describe("MooseCache on the project's ClickHouse", () => {
  it("sets, gets (JSON parsed), replaces, expires and deletes keys", async () => {
    const cache = await MooseCache.get();
    expect(await cache.get("stats")).toBeNull();
    expect(await cache.set("stats", { views: 3 }, 60)).toBeNull();
    expect(await cache.get<{ views: number }>("stats")).toEqual({ views: 3 });
    expect(await cache.set("stats", "plain", 60)).toBe('{"views":3}');
    expect(await cache.get("stats")).toBe("plain");
    await cache.set("gone", "x", 0);
    expect(await cache.get("gone")).toBeNull();
    await cache.set("user:1", "a");
    await cache.set("user:2", "b");
    await cache.clearKeys("user:");
    expect(await cache.get("user:1")).toBeNull();
    await cache.delete("stats");
    expect(await cache.get("stats")).toBeNull();
  });
});

describe("what cannot work says so", () => {
  it("Stream.send with streaming off names the setting", async () => {
    getRegistry().clear();
    const stream = new Stream<Event>("Events", {}, injected(9));
    const error = await rejection(stream.send({ id: 1, name: "x", at: new Date() }));
    expect(error.code).toBe("STREAMING_DISABLED");
    expect(error.message).toContain("streaming_engine = false");
  });

  it("an insert with nothing listening on clickhouse_config.host_port says to start moose dev", async () => {
    const previous = process.env.MOOSE_PROJECT_DIR;
    process.env.MOOSE_PROJECT_DIR = project(`[clickhouse_config]\nhost = "127.0.0.1"\nhost_port = 1\n`);
    try {
      getRegistry().clear();
      const table = new OlapTable<Event>("Events", {}, injected(12));
      const error = await rejection(table.insert([{ id: 1, name: "x", at: new Date() }]));
      expect(error.code).toBe("CLICKHOUSE_UNREACHABLE");
      expect(error.hint).toContain("moose dev");
    } finally {
      process.env.MOOSE_PROJECT_DIR = previous;
    }
  });
});

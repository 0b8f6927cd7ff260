/**
 * Every ClickHouse Operation applied to the embedded engine through `applyOperation` (C's SQL),
 * then checked in system.tables / system.columns / system.data_skipping_indices.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import type { MaterializedViewSpec, ViewSpec } from "../../../src/manifest/types.js";
import { applyOperation, tempDataDir } from "../../helpers/clickhouse.js";
import { column, liveColumns, liveTable, op, rowCount, table } from "./fixtures.js";

const data = tempDataDir();
let driver: ClickHouseDriver;

beforeAll(async () => {
  driver = await openEmbedded({ dataDir: data.dir, database: "local" });
});

afterAll(async () => {
  await driver?.close();
  data.remove();
});

const users = table("users", [column("id", "UInt64"), column("name", "String"), column("score", "Float64", { default: "0" })]);

async function tableNames(): Promise<string[]> {
  const rows = await driver.query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name");
  return rows.map((row) => row.name);
}

describe("applyOperation on the embedded engine", () => {
  it("createTable creates the table with every column, key and setting", async () => {
    const rich = table(
      "rich",
      [
        column("id", "UInt64"),
        column("ts", "DateTime('UTC')"),
        column("label", "LowCardinality(String)", { nullable: true, comment: "the label" }),
        column("n", "Int32", { codec: "ZSTD(3)", ttl: "ts + INTERVAL 1 YEAR" }),
        column("doubled", "Int64", { materialized: "n * 2" }),
      ],
      {
        orderBy: ["id", "ts"],
        partitionBy: "toYYYYMM(ts)",
        ttl: "ts + INTERVAL 2 YEAR",
        settings: { index_granularity: "1024" },
        indexes: [{ name: "ix_n", expression: "n", type: "minmax", granularity: 2 }],
      },
    );
    await applyOperation(driver, op({ kind: "createTable", target: "rich", summary: "create rich", table: rich }));
    expect(await liveColumns(driver, "rich")).toEqual([
      { name: "id", type: "UInt64", default_kind: "", default_expression: "", comment: "" },
      { name: "ts", type: "DateTime('UTC')", default_kind: "", default_expression: "", comment: "" },
      { name: "label", type: "LowCardinality(Nullable(String))", default_kind: "", default_expression: "", comment: "the label" },
      { name: "n", type: "Int32", default_kind: "", default_expression: "", comment: "" },
      { name: "doubled", type: "Int64", default_kind: "MATERIALIZED", default_expression: "n * 2", comment: "" },
    ]);
    const live = await liveTable(driver, "rich");
    expect(live?.sorting_key).toBe("id, ts");
    expect(live?.create_table_query).toContain("PARTITION BY toYYYYMM(ts)");
    expect(live?.create_table_query).toContain("CODEC(ZSTD(3))");
    expect(live?.create_table_query).toContain("TTL ts + toIntervalYear(2)");
    expect(live?.create_table_query).toContain("index_granularity = 1024");
    expect(await driver.query("SELECT name, expr, type FROM system.data_skipping_indices WHERE database = currentDatabase() AND table = 'rich'")).toEqual([
      { name: "ix_n", expr: "n", type: "minmax" },
    ]);
  });

  it("dropTable drops it", async () => {
    await applyOperation(driver, op({ kind: "createTable", target: "gone", summary: "", table: table("gone", [column("id", "UInt64")]) }));
    await applyOperation(driver, op({ kind: "dropTable", target: "gone", summary: "", table: table("gone", [column("id", "UInt64")]) }));
    expect(await tableNames()).not.toContain("gone");
  });

  it("addColumn / dropColumn / renameColumn change system.columns", async () => {
    await applyOperation(driver, op({ kind: "createTable", target: "users", summary: "", table: users }));
    await applyOperation(driver, op({ kind: "addColumn", target: "users", summary: "", table: "users", column: column("email", "String", { nullable: true }), position: { after: "name" } }));
    expect((await liveColumns(driver, "users")).map((c) => `${c.name} ${c.type}`)).toEqual(["id UInt64", "name String", "email Nullable(String)", "score Float64"]);
    await applyOperation(driver, op({ kind: "renameColumn", target: "users", summary: "", table: "users", from: "email", to: "mail" }));
    expect((await liveColumns(driver, "users")).map((c) => c.name)).toEqual(["id", "name", "mail", "score"]);
    await applyOperation(driver, op({ kind: "dropColumn", target: "users", summary: "", table: "users", column: column("mail", "String", { nullable: true }) }));
    expect((await liveColumns(driver, "users")).map((c) => c.name)).toEqual(["id", "name", "score"]);
  });

  it("modifyColumn changes type, default and comment", async () => {
    await applyOperation(
      driver,
      op({
        kind: "modifyColumn",
        target: "users",
        summary: "",
        table: "users",
        from: column("score", "Float64", { default: "0" }),
        to: column("score", "Float64", { default: "1.5", comment: "points" }),
        changed: ["default", "comment"],
      }),
    );
    let score = (await liveColumns(driver, "users")).find((c) => c.name === "score")!;
    expect(score).toMatchObject({ type: "Float64", default_kind: "DEFAULT", default_expression: "1.5", comment: "points" });
    await applyOperation(
      driver,
      op({ kind: "modifyColumn", target: "users", summary: "", table: "users", from: column("score", "Float64", { default: "1.5", comment: "points" }), to: column("score", "Float64"), changed: ["default", "comment"] }),
    );
    score = (await liveColumns(driver, "users")).find((c) => c.name === "score")!;
    expect(score).toMatchObject({ default_kind: "", comment: "" });
    await applyOperation(
      driver,
      op({ kind: "modifyColumn", target: "users", summary: "", table: "users", from: column("id", "UInt64"), to: column("id", "UInt64", { comment: "key" }), changed: ["comment"] }),
    );
    expect((await liveColumns(driver, "users"))[0]).toMatchObject({ name: "id", comment: "key" });
  });

  it("modifyTtl sets and removes the table TTL", async () => {
    const events = table("events", [column("id", "UInt64"), column("at", "DateTime")]);
    await applyOperation(driver, op({ kind: "createTable", target: "events", summary: "", table: events }));
    await applyOperation(driver, op({ kind: "modifyTtl", target: "events", summary: "", table: "events", to: "at + INTERVAL 30 DAY" }));
    expect((await liveTable(driver, "events"))?.create_table_query).toContain("TTL at + toIntervalDay(30)");
    await applyOperation(driver, op({ kind: "modifyTtl", target: "events", summary: "", table: "events", from: "at + INTERVAL 30 DAY" }));
    expect((await liveTable(driver, "events"))?.create_table_query).not.toContain("TTL");
  });

  it("modifySettings sets and resets table settings", async () => {
    await applyOperation(driver, op({ kind: "modifySettings", target: "events", summary: "", table: "events", set: { merge_with_ttl_timeout: "3600" }, previous: {}, reset: [] }));
    expect((await liveTable(driver, "events"))?.create_table_query).toContain("merge_with_ttl_timeout = 3600");
    await applyOperation(driver, op({ kind: "modifySettings", target: "events", summary: "", table: "events", set: {}, previous: { merge_with_ttl_timeout: "3600" }, reset: ["merge_with_ttl_timeout"] }));
    expect((await liveTable(driver, "events"))?.create_table_query).not.toContain("merge_with_ttl_timeout");
  });

  it("addIndex / dropIndex", async () => {
    const index = { name: "ix_at", expression: "at", type: "minmax", granularity: 4 };
    await applyOperation(driver, op({ kind: "addIndex", target: "events", summary: "", table: "events", index }));
    expect(await driver.query("SELECT name, granularity FROM system.data_skipping_indices WHERE database = currentDatabase() AND table = 'events'")).toEqual([
      { name: "ix_at", granularity: "4" },
    ]);
    await applyOperation(driver, op({ kind: "dropIndex", target: "events", summary: "", table: "events", index }));
    expect(await driver.query("SELECT name FROM system.data_skipping_indices WHERE database = currentDatabase() AND table = 'events'")).toEqual([]);
  });

  it("recreateTable changes ORDER BY and engine and keeps the rows", async () => {
    await driver.insert("events", [
      { id: 1, at: "2024-01-01 00:00:00" },
      { id: 2, at: "2024-01-02 00:00:00" },
    ]);
    const from = table("events", [column("id", "UInt64"), column("at", "DateTime")]);
    const to = table("events", [column("id", "UInt64"), column("at", "DateTime")], { orderBy: ["at", "id"], engine: { name: "ReplacingMergeTree", params: [] } });
    await applyOperation(driver, op({ kind: "recreateTable", target: "events", summary: "", from, to, reasons: ["ORDER BY"] }));
    const live = await liveTable(driver, "events");
    expect(live).toMatchObject({ engine: "ReplacingMergeTree", sorting_key: "at, id" });
    expect(await rowCount(driver, "events")).toBe(2);
    expect(await tableNames()).not.toContain("events__moose_new");
  });

  it("createView / replaceView / dropView", async () => {
    const view: ViewSpec = { name: "user_names", sql: "SELECT id, name FROM users", sourceTables: ["users"], lifeCycle: "FULLY_MANAGED" };
    await applyOperation(driver, op({ kind: "createView", target: "user_names", summary: "", view }));
    expect(await liveTable(driver, "user_names")).toMatchObject({ engine: "View" });
    const replaced = { ...view, sql: "SELECT id FROM users" };
    await applyOperation(driver, op({ kind: "replaceView", target: "user_names", summary: "", from: view, to: replaced }));
    expect((await liveColumns(driver, "user_names")).map((c) => c.name)).toEqual(["id"]);
    await applyOperation(driver, op({ kind: "dropView", target: "user_names", summary: "", view: replaced }));
    expect(await tableNames()).not.toContain("user_names");
  });

  it("createMaterializedView with backfill, then dropMaterializedView", async () => {
    await driver.insert("users", [
      { id: 1, name: "ada" },
      { id: 2, name: "bob" },
    ]);
    const target = table("name_counts", [column("name", "String"), column("n", "UInt64")], { engine: { name: "SummingMergeTree", params: [] } });
    await applyOperation(driver, op({ kind: "createTable", target: "name_counts", summary: "", table: target }));
    const mv: MaterializedViewSpec = { name: "name_counts_mv", sql: "SELECT name, count() AS n FROM users GROUP BY name", sourceTables: ["users"], targetTable: "name_counts", lifeCycle: "FULLY_MANAGED" };
    await applyOperation(driver, op({ kind: "createMaterializedView", target: "name_counts_mv", summary: "", view: mv, backfill: { columns: ["n", "name"] } }));
    expect(await liveTable(driver, "name_counts_mv")).toMatchObject({ engine: "MaterializedView" });
    expect(await rowCount(driver, "name_counts")).toBe(2); // the backfill, columns matched by name, not position
    expect(await driver.query("SELECT name, toUInt64(n) AS n FROM name_counts ORDER BY name")).toEqual([
      { name: "ada", n: "1" },
      { name: "bob", n: "1" },
    ]);
    await driver.insert("users", [{ id: 3, name: "cy" }]);
    expect(await rowCount(driver, "name_counts")).toBe(3); // the view itself
    await applyOperation(driver, op({ kind: "dropMaterializedView", target: "name_counts_mv", summary: "", view: mv }));
    expect(await tableNames()).not.toContain("name_counts_mv");
  });

  it("rawSql runs the statement", async () => {
    await applyOperation(driver, op({ kind: "rawSql", target: "raw", summary: "", sql: "CREATE TABLE IF NOT EXISTS raw_made (x UInt8) ENGINE = Memory" }));
    expect(await tableNames()).toContain("raw_made");
  });

  it("refuses a Kafka step when no Kafka is configured, naming the config key", async () => {
    const topic = op({
      kind: "createTopic",
      target: "t",
      summary: "create topic t",
      stream: { name: "t", partitionCount: 1, retentionMs: 1000, config: {}, columns: [], lifeCycle: "FULLY_MANAGED" },
    });
    await expect(applyOperation(driver, topic)).rejects.toMatchObject({ code: "MIGRATION_STREAMING_NOT_CONFIGURED", config: { key: "features.streaming_engine" } });
  });
});

describe("hostile identifiers", () => {
  it("tables and columns named with quotes, backticks, backslashes and spaces work end to end", async () => {
    const name = "we`ird 'table\\";
    const odd = table(name, [column("i`d", "UInt64"), column("na'me\\", "String", { default: "'x'" }), column("space d", "Int32", { nullable: true })]);
    await applyOperation(driver, op({ kind: "createTable", target: name, summary: "", table: odd }));
    await driver.insert(name, [{ "i`d": 1, "na'me\\": "a", "space d": 5 }]);
    await applyOperation(driver, op({ kind: "addColumn", target: name, summary: "", table: name, column: column("new`col", "String", { default: "'y'" }), position: { after: "i`d" } }));
    await applyOperation(driver, op({ kind: "renameColumn", target: name, summary: "", table: name, from: "space d", to: "space`d" }));
    expect((await liveColumns(driver, name)).map((c) => c.name)).toEqual(["i`d", "new`col", "na'me\\", "space`d"]);
    const current = { ...odd, columns: [odd.columns[0]!, column("new`col", "String", { default: "'y'" }), odd.columns[1]!, column("space`d", "Int32", { nullable: true })] };
    await applyOperation(driver, op({ kind: "recreateTable", target: name, summary: "", from: current, to: { ...current, orderBy: ["na'me\\"] }, reasons: [] }));
    expect(await rowCount(driver, name)).toBe(1);
    expect(await driver.query(`SELECT \`i\\\`d\` AS id, \`space\\\`d\` AS s FROM \`we\\\`ird \\'table\\\\\``)).toEqual([{ id: "1", s: 5 }]);
    await applyOperation(driver, op({ kind: "dropTable", target: name, summary: "", table: odd }));
    expect(await tableNames()).not.toContain(name);
  });

  it("keyword names (quoted) and plain names (bare) mix in one table end to end", async () => {
    const name = "order";
    const mixed = table(name, [column("select", "UInt64"), column("Plain_1", "String"), column("key", "String", { default: "'k'" })]);
    await applyOperation(driver, op({ kind: "createTable", target: name, summary: "", table: mixed }));
    await driver.insert(name, [{ select: 1, Plain_1: "a" }]);
    await applyOperation(driver, op({ kind: "addColumn", target: name, summary: "", table: name, column: column("from", "String", { default: "'f'" }), position: { after: "select" } }));
    await applyOperation(driver, op({ kind: "renameColumn", target: name, summary: "", table: name, from: "Plain_1", to: "where" }));
    expect((await liveColumns(driver, name)).map((c) => c.name)).toEqual(["select", "from", "where", "key"]);
    const current = { ...mixed, columns: [mixed.columns[0]!, column("from", "String", { default: "'f'" }), column("where", "String"), mixed.columns[2]!] };
    await applyOperation(driver, op({ kind: "recreateTable", target: name, summary: "", from: current, to: { ...current, orderBy: ["select", "where"] }, reasons: [] }));
    expect(await driver.query("SELECT `select` AS s, `from` AS f, `where` AS w, `key` AS k FROM `order`")).toEqual([{ s: "1", f: "f", w: "a", k: "k" }]);
    await applyOperation(driver, op({ kind: "dropTable", target: name, summary: "", table: current }));
    expect(await tableNames()).not.toContain(name);
  });
});

/**
 * Introspection round trip: a manifest applied to an empty database (diff → operations → SQL →
 * embedded engine) introspects back to specs that diff as equal to the manifest.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffManifests, normalizeTable } from "../../../src/diff/index.js";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { readableIntervals } from "../../../src/infra/clickhouse/introspect.js";
import { emptyManifest, type Manifest } from "../../../src/manifest/types.js";
import { applyOperation, tempDataDir } from "../../helpers/clickhouse.js";
import { tableRecords } from "../../../src/server/ingest.js";
import { column, table } from "./fixtures.js";

const data = tempDataDir();
let driver: ClickHouseDriver;

beforeAll(async () => {
  driver = await openEmbedded({ dataDir: data.dir, database: "local" });
});

afterAll(async () => {
  await driver?.close();
  data.remove();
});

function manifest(): Manifest {
  const m = emptyManifest();
  m.tables.Users = table(
    "Users",
    [
      column("id", "String", { comment: "the user id" }),
      column("createdAt", "DateTime('UTC')"),
      column("email", "String", { nullable: true }),
      column("status", "LowCardinality(String)", { default: "'active'" }),
      column("score", "Float64", { codec: "ZSTD(1)" }),
      column("tags", "Array(String)"),
      column("attributes", "Map(String, String)"),
      column("amount", "Decimal(10, 2)"),
      column("kind", "Enum8('a' = 1, 'b' = 2)"),
      column("year", "UInt16", { materialized: "toYear(createdAt)" }),
      column("temp", "Int32", { ttl: "createdAt + INTERVAL 7 DAY" }),
    ],
    {
      orderBy: ["id", "createdAt"],
      partitionBy: "toYYYYMM(createdAt)",
      ttl: "createdAt + INTERVAL 1 YEAR",
      settings: { index_granularity: "4096" },
      indexes: [{ name: "ix_score", expression: "score", type: "minmax", granularity: 1 }],
    },
  );
  m.tables.Versions = table("Versions", [column("id", "UInt64"), column("version", "UInt32"), column("deleted", "UInt8")], {
    engine: { name: "ReplacingMergeTree", params: ["version", "deleted"] },
    primaryKey: ["id"],
    orderBy: ["id", "version"],
  });
  m.tables.Daily = table("Daily", [column("day", "Date"), column("n", "UInt64")], { engine: { name: "SummingMergeTree", params: [] } });
  // Written as MooseStack's docs write them; ClickHouse stores each in a form of its own (`Delta(4)`,
  // `ZSTD(1)`, its order of JSON's arguments, a TTL without DELETE, the version in the sorting key).
  m.tables.Written = table(
    "Written",
    [
      column("at", "DateTime", { codec: "Delta, LZ4" }),
      column("reading", "Float64", { codec: "Gorilla, ZSTD" }),
      column("note", "String", { codec: "LZ4HC" }),
      column("payload", "JSON(max_dynamic_types=16, max_dynamic_paths=256, SKIP `a.b`, SKIP REGEXP 'tmp.*', `c.d` UInt32)"),
    ],
    { orderBy: ["at"], ttl: "at + INTERVAL 90 DAY DELETE" },
  );
  m.tables.Collapsed = table("Collapsed", [column("id", "String"), column("sign", "Int8"), column("version", "UInt32")], {
    engine: { name: "VersionedCollapsingMergeTree", params: ["sign", "version"] },
    orderBy: ["id"],
  });
  // A nested object (`address: Address`): ClickHouse keeps one array per field (`address.street`).
  m.tables.People = table("People", [column("id", "String"), column("address", "Nested(street String, city String)"), column("previous", "Array(Nested(street String, city String))")], { orderBy: ["id"] });
  // MooseStack's `columns: ["views", "clicks"]`: one tuple parameter, whose parentheses are its meaning.
  m.tables.Totals = table("Totals", [column("day", "Date"), column("views", "UInt64"), column("clicks", "UInt64")], {
    engine: { name: "SummingMergeTree", params: ["(views, clicks)"] },
    orderBy: ["day"],
  });
  m.views.ActiveUsers = { name: "ActiveUsers", sql: "SELECT id, email FROM Users WHERE status = 'active'", sourceTables: ["Users"], lifeCycle: "FULLY_MANAGED" };
  m.materializedViews.DailyMv = {
    name: "DailyMv",
    sql: "SELECT toDate(createdAt) AS day, count() AS n FROM Users GROUP BY day",
    sourceTables: ["Users"],
    targetTable: "Daily",
    lifeCycle: "FULLY_MANAGED",
  };
  return m;
}

describe("introspection", () => {
  it("a manifest applied to an empty database introspects back to the same specs", async () => {
    const wanted = manifest();
    for (const operation of diffManifests(emptyManifest(), wanted).operations) await applyOperation(driver, operation);
    await driver.exec("CREATE TABLE IF NOT EXISTS _moose_migrations (id String) ENGINE = MergeTree ORDER BY id");

    const live = await driver.introspect();
    expect(Object.keys(live.tables).sort()).toEqual(["Collapsed", "Daily", "People", "Totals", "Users", "Versions", "Written"]);
    expect(live.tables.People!.columns.map((column) => `${column.name} ${column.type}`)).toEqual(["id String", "address Nested(street String, city String)", "previous Array(Nested(street String, city String))"]);
    expect(live.tables.Users).toEqual(normalizeTable(wanted.tables.Users!));
    expect(live.tables.Totals!.engine).toEqual({ name: "SummingMergeTree", params: ["(views, clicks)"] });
    expect(live.tables.Versions).toEqual(normalizeTable(wanted.tables.Versions!));
    expect(live.views.ActiveUsers).toMatchObject({ name: "ActiveUsers", sourceTables: ["Users"] });
    expect(live.materializedViews.DailyMv).toMatchObject({ name: "DailyMv", targetTable: "Daily", sourceTables: ["Users"] });

    const liveManifest: Manifest = { ...emptyManifest(), ...live };
    const drift = diffManifests(liveManifest, wanted);
    expect(drift.operations.map((operation) => operation.summary)).toEqual([]);
  });

  it("stores a nested object, and an array of them, in a Nested column's field arrays (ingest's and the sync's rows)", async () => {
    const records = tableRecords(manifest().tables.People!.columns);
    await driver.insert("People", [
      records.toRow({ id: "1", address: { street: "Main", city: "Springfield" }, previous: [{ street: "Old", city: "Shelbyville" }] }),
      records.toRow({ id: "2", address: [{ street: "A", city: "B" }, { street: "C", city: "D" }], previous: [] }),
      records.toRow({ id: "3" }),
    ]);
    expect(await driver.query("SELECT id, address.street AS streets, address.city AS cities, toJSONString(previous) AS previous FROM People ORDER BY id")).toEqual([
      { id: "1", streets: ["Main"], cities: ["Springfield"], previous: '[[{"street":"Old","city":"Shelbyville"}]]' },
      { id: "2", streets: ["A", "C"], cities: ["B", "D"], previous: "[]" },
      { id: "3", streets: [], cities: [], previous: "[]" },
    ]);
  });

  it("sees a change made outside moose as drift", async () => {
    await driver.exec("ALTER TABLE Users ADD COLUMN sneaky String");
    const live = await driver.introspect();
    const drift = diffManifests({ ...emptyManifest(), ...live }, manifest());
    expect(drift.operations.map((operation) => operation.kind)).toEqual(["dropColumn"]);
  });

  it("prints intervals the way people write them", () => {
    expect(readableIntervals("ts + toIntervalDay(30) - toIntervalYear(1)")).toBe("ts + INTERVAL 30 DAY - INTERVAL 1 YEAR");
  });
});

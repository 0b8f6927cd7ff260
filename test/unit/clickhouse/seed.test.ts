/** The pure parts of `moose seed clickhouse`: which tables are copied, and the statement that copies one. */
import { describe, expect, it } from "vitest";
import { insertableColumns, refuseUnsafeSeedInput, seedStatement, selectSeedTables } from "../../../src/infra/clickhouse/seed.js";
import { emptyManifest, type Manifest, type TableSpec } from "../../../src/manifest/types.js";

function table(name: string, engine = "MergeTree"): TableSpec {
  return {
    name,
    columns: [
      { name: "id", type: "String", nullable: false },
      { name: "n", type: "Int64", nullable: false },
      { name: "doubled", type: "Int64", nullable: false, materialized: "n * 2" },
      { name: "label", type: "String", nullable: false, alias: "concat(id, '!')" },
    ],
    orderBy: ["id"],
    engine: { name: engine, params: [] },
    settings: {},
    indexes: [],
    lifeCycle: "FULLY_MANAGED",
  };
}

function manifest(): Manifest {
  const base = emptyManifest();
  return {
    ...base,
    tables: { Events: table("Events"), Totals: table("Totals", "SummingMergeTree"), Queue: table("Queue", "S3Queue"), Scratch: table("Scratch", "Memory") },
    materializedViews: { TotalsView: { name: "TotalsView", sql: "SELECT …", sourceTables: ["Events"], targetTable: "Totals", lifeCycle: "FULLY_MANAGED" } },
  };
}

const SOURCE = { url: "https://prod.example:8443", database: "analytics", user: "reader", password: "it's secret" };

describe("selectSeedTables", () => {
  it("copies the tables that store rows, and leaves a materialized view's target to the view", () => {
    const { tables, skipped } = selectSeedTables(manifest());
    expect(tables.map((spec) => spec.name)).toEqual(["Events", "Scratch"]);
    expect(skipped).toEqual([
      { table: "Totals", reason: "the materialized view TotalsView fills it from its sources (--table Totals copies it anyway)" },
      { table: "Queue", reason: "its S3Queue engine stores no rows of its own" },
    ]);
  });

  it("copies a view's target when it is the one table asked for", () => {
    expect(selectSeedTables(manifest(), "Totals")).toEqual({ tables: [manifest().tables.Totals], skipped: [] });
  });
});

describe("seedStatement", () => {
  it("inserts the columns an INSERT may write, read from the source's table in Native format over its HTTP interface", () => {
    expect(insertableColumns(table("Events"))).toEqual(["id", "n"]);
    const statement = seedStatement(table("Events"), SOURCE, { limit: 10, orderBy: "n DESC" });
    const url = /url\('([^']*)'/.exec(statement)![1]!;
    expect(statement.startsWith("INSERT INTO Events (id, n) SELECT id, n FROM url('https://prod.example:8443/?query=")).toBe(true);
    expect(decodeURIComponent(url.split("?query=")[1]!)).toBe("SELECT id, n FROM analytics.Events ORDER BY n DESC LIMIT 10 FORMAT Native");
    // Credentials travel as headers; a quote in the password stays inside its literal.
    expect(statement.endsWith(", 'Native', headers('X-ClickHouse-User' = 'reader', 'X-ClickHouse-Key' = 'it\\'s secret'))")).toBe(true);
  });

  it("copies every row without a limit, and encodes what url() would read as a pattern", () => {
    const statement = seedStatement(table("Events"), { ...SOURCE, database: "my db" }, { orderBy: "{a,b} | x * 2" });
    const encoded = /\?query=([^']*)'/.exec(statement)![1]!;
    expect(encoded).toMatch(/^[A-Za-z0-9%]+$/);
    expect(decodeURIComponent(encoded)).toBe("SELECT id, n FROM analytics.Events ORDER BY {a,b} | x * 2 FORMAT Native".replace("analytics", "`my db`"));
  });
});

describe("refuseUnsafeSeedInput", () => {
  it("refuses a credential with a line break (it would start another header) and an --order-by with a comment or `;`", () => {
    expect(() => refuseUnsafeSeedInput({ ...SOURCE, password: "pw\r\nX-Other: 1" }, {})).toThrow(/password holds a control character/);
    expect(() => refuseUnsafeSeedInput({ ...SOURCE, user: "a\nb" }, {})).toThrow(/user holds a control character/);
    for (const orderBy of ["at DESC -- LIMIT", "at /* x */", "at; DROP TABLE t", "at # x"]) {
      expect(() => refuseUnsafeSeedInput(SOURCE, { orderBy }), orderBy).toThrow(/--order-by takes an ORDER BY list/);
    }
    expect(() => refuseUnsafeSeedInput(SOURCE, { orderBy: "toDate(at) DESC, id" })).not.toThrow();
  });
});

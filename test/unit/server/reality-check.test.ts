import { describe, expect, it } from "vitest";
import { emptyManifest, type Manifest, type TableSpec, type ViewSpec } from "../../../src/manifest/index.js";
import { compareWithReality, existingObjectConflict } from "../../../src/server/reality-check.js";

function table(name: string, columns: string[], lifeCycle: TableSpec["lifeCycle"] = "FULLY_MANAGED"): TableSpec {
  return {
    name,
    columns: columns.map((column) => ({ name: column, type: "String", nullable: false })),
    orderBy: [columns[0]],
    engine: { name: "MergeTree", params: [] },
    settings: {},
    indexes: [],
    lifeCycle,
  };
}

function manifestWith(tables: TableSpec[]): Manifest {
  return { ...emptyManifest(), tables: Object.fromEntries(tables.map((spec) => [spec.name, spec])) };
}

const noViews = { views: {}, materializedViews: {} };

describe("compareWithReality", () => {
  it("is in sync when the live tables equal the applied ones (lifeCycle and source are not compared)", () => {
    const applied = manifestWith([{ ...table("Users", ["id", "name"], "DELETION_PROTECTED"), source: { file: "app/index.ts", line: 3 } }]);
    const report = compareWithReality(applied, { clickhouse: { tables: { Users: table("Users", ["id", "name"]) }, ...noViews } }, "streaming is disabled");
    expect(report).toEqual({ status: "in-sync", checked: { clickhouse: true, kafka: "streaming is disabled" }, discrepancies: [] });
  });

  it("reports a column added out of band as addColumn on that table", () => {
    const applied = manifestWith([table("Users", ["id", "name"])]);
    const live = { tables: { Users: table("Users", ["id", "name", "nickname"]) }, ...noViews };
    const report = compareWithReality(applied, { clickhouse: live });
    expect(report.status).toBe("drift");
    expect(report.discrepancies).toEqual([expect.objectContaining({ target: "Users", change: "addColumn" })]);
  });

  it("reports a dropped protected table and a table created by hand", () => {
    const applied = manifestWith([table("Users", ["id"], "DELETION_PROTECTED")]);
    const live = { tables: { Stray: table("Stray", ["id"]) }, ...noViews };
    const changes = compareWithReality(applied, { clickhouse: live }).discrepancies.map((d) => [d.change, d.target]);
    expect(changes).toEqual(expect.arrayContaining([["dropTable", "Users"], ["createTable", "Stray"]]));
    expect(changes).toHaveLength(2);
  });

  it("ignores EXTERNALLY_MANAGED tables", () => {
    const applied = manifestWith([table("Ext", ["id"], "EXTERNALLY_MANAGED")]);
    const live = { tables: { Ext: table("Ext", ["id", "other"]) }, ...noViews };
    expect(compareWithReality(applied, { clickhouse: live }).status).toBe("in-sync");
  });

  it("compares streams only when Kafka was read", () => {
    const stream = { name: "Events", partitionCount: 2, retentionMs: 1000, config: {}, columns: [], lifeCycle: "FULLY_MANAGED" as const };
    const applied = { ...emptyManifest(), streams: { Events: stream } };
    const clickhouse = { tables: {}, ...noViews };
    expect(compareWithReality(applied, { clickhouse }, "KAFKA_UNREACHABLE: down").checked.kafka).toBe("KAFKA_UNREACHABLE: down");
    const grown = compareWithReality(applied, { clickhouse, streams: { Events: { ...stream, partitionCount: 4 } } });
    expect(grown.checked.kafka).toBe(true);
    expect(grown.discrepancies).toEqual([expect.objectContaining({ target: "Events", change: "addPartitions" })]);
  });
});

describe("existingObjectConflict", () => {
  it("has nothing to say when the name is free or the same table is there (source and lifeCycle aside)", () => {
    const code = { ...table("Users", ["id", "name"], "DELETION_PROTECTED"), source: { file: "app/index.ts", line: 3 } };
    expect(existingObjectConflict("tables", code, { tables: {}, ...noViews })).toBeUndefined();
    expect(existingObjectConflict("tables", code, { tables: { Users: table("Users", ["id", "name"]) }, ...noViews })).toBeUndefined();
  });

  it("lists each difference of a table of that name as the change from the code's", () => {
    const conflict = existingObjectConflict("tables", table("Users", ["id", "name"]), { tables: { Users: table("Users", ["id", "nickname"]) }, ...noViews });
    expect(conflict).toMatchObject({ noun: "table", differences: [expect.stringMatching(/\bname\b/), expect.stringMatching(/nickname/)] });
    expect(conflict?.otherNoun).toBeUndefined();
  });

  it("names an object of another kind under that name (tables and views share one namespace)", () => {
    const view: ViewSpec = { name: "Users", sql: "SELECT 1", sourceTables: [], lifeCycle: "FULLY_MANAGED" };
    expect(existingObjectConflict("tables", table("Users", ["id"]), { tables: {}, views: { Users: view }, materializedViews: {} })).toEqual({
      noun: "table",
      otherNoun: "view",
      differences: ["a view, not a table"],
    });
  });
});

import { describe, expect, it } from "vitest";
import { emptyManifest, type Manifest, type TableSpec } from "../../../src/manifest/index.js";
import { compareWithReality } from "../../../src/server/reality-check.js";

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

/** The `cluster` option of OlapTable, View and MaterializedView, and the Replicated engine's default Keeper path on a cluster. */
import { beforeEach, describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import type { ColumnSpec } from "../../../src/manifest/types.js";
import { ClickHouseEngines, getRegistry, MaterializedView, OlapTable, View } from "../../../src/sdk/index.js";
import { METADATA_MARKER, type InjectedMetadata } from "../../../src/sdk/metadata.js";

const columns: ColumnSpec[] = [
  { name: "id", type: "String", nullable: false, primaryKey: true },
  { name: "n", type: "Int32", nullable: false },
];

function injected(line: number): InjectedMetadata {
  return { [METADATA_MARKER]: 1, source: { file: "app/index.ts", line, col: 14 }, columns, schema: { type: "object" } };
}

interface Row {
  id: string;
  n: number;
}

beforeEach(() => getRegistry().clear());

describe("cluster option", () => {
  it("puts the table on the cluster and gives a Replicated engine without keeperPath/replicaName the per-table cluster path", () => {
    const spec = new OlapTable<Row>("Events", { engine: ClickHouseEngines.ReplicatedReplacingMergeTree, ver: "n", cluster: "events" }, injected(3)).toSpec();
    expect(spec.cluster).toBe("events");
    expect(spec.engine).toEqual({ name: "ReplicatedReplacingMergeTree", params: ["'/clickhouse/tables/{shard}/{database}/{table}'", "'{replica}'", "n"] });
  });

  it("keeps an explicit keeperPath/replicaName, and no arguments off a cluster", () => {
    const explicit = new OlapTable<Row>("A", { engine: ClickHouseEngines.ReplicatedMergeTree, keeperPath: "/k/a", replicaName: "r1", cluster: "events" }, injected(3)).toSpec();
    expect(explicit.engine.params).toEqual(["'/k/a'", "'r1'"]);
    const plain = new OlapTable<Row>("B", { engine: ClickHouseEngines.ReplicatedMergeTree }, injected(4)).toSpec();
    expect(plain.engine.params).toEqual([]);
    expect(plain.cluster).toBeUndefined();
  });

  it("puts views and materialized views (with the target table they create) on their cluster", () => {
    const events = new OlapTable<Row>("Events", { cluster: "events" }, injected(3));
    expect(new View("Recent", { selectStatement: "SELECT id FROM Events", baseTables: [events], cluster: "events" }).toSpec().cluster).toBe("events");
    const copy = new MaterializedView<Row>(
      { selectStatement: "SELECT id, n FROM Events", selectTables: [events], materializedViewName: "Copy", tableName: "CopyTarget", cluster: "events" },
      injected(7),
    );
    expect(copy.toSpec().cluster).toBe("events");
    expect(copy.targetTable.toSpec().cluster).toBe("events");
  });

  it("refuses a cluster name ON CLUSTER could not carry, at the model's line", () => {
    let error: unknown;
    try {
      new OlapTable<Row>("Events", { cluster: "events; DROP TABLE x" }, injected(9)).toSpec();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MooseError);
    expect(error).toMatchObject({ code: "INVALID_CLUSTER", location: { file: "app/index.ts", line: 9 } });
  });
});

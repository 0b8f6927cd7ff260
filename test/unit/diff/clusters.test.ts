/**
 * Clustered tables in the diff: a rebuild, a converting column change or a materialized view's
 * backfill reads the rows on the one host moose-ts is connected to, so it is blocked on a clustered
 * table whose engine is not Replicated (each host keeps its own rows), and planned on a Replicated one.
 */
import { describe, expect, it } from "vitest";
import { diffManifests } from "../../../src/diff/index.js";
import type { TableSpec } from "../../../src/manifest/types.js";
import { column, manifest, mv, users } from "./builders.js";

const replicated = { name: "ReplicatedMergeTree", params: ["'/clickhouse/tables/{shard}/{database}/{table}'", "'{replica}'"] };
const onCluster = (extra: Partial<TableSpec> = {}) => users({ cluster: "c", ...extra });
const widenedEmail = [column("id", "String"), column("name", "String"), column("email", "Int64")];

describe("data copies on a clustered table", () => {
  it("blocks a rebuild of a clustered MergeTree table, naming the table and the way out; nothing is planned for it", () => {
    const result = diffManifests(manifest({ tables: [onCluster()] }), manifest({ tables: [onCluster({ orderBy: ["id", "email"] })] }));
    expect(result.operations).toEqual([]);
    expect(result.blocked).toHaveLength(1);
    expect(result.blocked[0]!.summary).toContain("rebuild table Users");
    expect(result.blocked[0]!.reason).toContain("Users (MergeTree on cluster c)");
    expect(result.blocked[0]!.reason).toContain("Replicated engine");
  });

  it("blocks a converting column change of a clustered MergeTree table, but not a change that converts nothing", () => {
    const converting = diffManifests(manifest({ tables: [onCluster()] }), manifest({ tables: [users({ cluster: "c" }, widenedEmail)] }));
    expect(converting.operations).toEqual([]);
    expect(converting.blocked.map((change) => change.target)).toEqual(["Users"]);
    const commented = users({ cluster: "c" }, [column("id", "String"), column("name", "String"), column("email", "String", { comment: "work address" })]);
    const comment = diffManifests(manifest({ tables: [onCluster()] }), manifest({ tables: [commented] }));
    expect(comment.blocked).toEqual([]);
    expect(comment.operations.map((op) => op.kind)).toEqual(["modifyColumn"]);
  });

  it("blocks a backfill from a clustered MergeTree source, and plans the view without one", () => {
    const view = mv("M", "SELECT id FROM Users", ["Users"], "Users");
    const withBackfill = diffManifests(manifest({ tables: [onCluster()] }), manifest({ tables: [onCluster()], materializedViews: [view] }), { backfillMaterializedViews: true });
    expect(withBackfill.blocked.map((change) => change.target)).toEqual(["M"]);
    const plain = diffManifests(manifest({ tables: [onCluster()] }), manifest({ tables: [onCluster()], materializedViews: [view] }));
    expect(plain.blocked).toEqual([]);
    expect(plain.operations.map((op) => op.kind)).toEqual(["createMaterializedView"]);
  });

  it("plans all three on a Replicated table, and on a table with no cluster", () => {
    for (const make of [(extra: Partial<TableSpec> = {}) => onCluster({ engine: replicated, ...extra }), users]) {
      const rebuild = diffManifests(manifest({ tables: [make()] }), manifest({ tables: [make({ orderBy: ["id", "email"] })] }));
      expect(rebuild.blocked).toEqual([]);
      expect(rebuild.operations.map((op) => op.kind)).toEqual(["recreateTable"]);
    }
    const converting = diffManifests(manifest({ tables: [onCluster({ engine: replicated })] }), manifest({ tables: [users({ cluster: "c", engine: replicated }, widenedEmail)] }));
    expect(converting.blocked).toEqual([]);
    expect(converting.operations.map((op) => op.kind)).toEqual(["modifyColumn"]);
  });
});

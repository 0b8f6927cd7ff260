/**
 * The embedded engine has no cluster and no Keeper: steps generated for a table on a cluster (ON
 * CLUSTER, a Replicated engine with moose-ts's cluster Keeper path) run there on the one local
 * table, as `moose dev` applies them.
 */
import { describe, expect, it } from "vitest";
import { diffManifests } from "../../../src/diff/index.js";
import { emptyManifest, type Manifest, type TableSpec } from "../../../src/manifest/types.js";
import { CLUSTER_KEEPER_PATH, CLUSTER_REPLICA_NAME } from "../../../src/sdk/olap-table.js";
import { applyOperation, useEmbeddedDatabase } from "../../helpers/clickhouse.js";
import { column, table } from "../../unit/diff/builders.js";

const driver = useEmbeddedDatabase("cluster_embedded");

function withEvents(spec: TableSpec): Manifest {
  return { ...emptyManifest(), tables: { Events: spec } };
}

describe("cluster steps on the embedded engine", () => {
  it("creates, alters and drops a clustered Replicated table locally", async () => {
    const replicated = { name: "ReplicatedMergeTree", params: [`'${CLUSTER_KEEPER_PATH}'`, `'${CLUSTER_REPLICA_NAME}'`] };
    const v1 = withEvents(table("Events", [column("id", "String")], { engine: replicated, cluster: "events_cluster" }));
    const v2 = withEvents(table("Events", [column("id", "String"), column("n", "Int32")], { engine: replicated, cluster: "events_cluster" }));
    for (const [from, to] of [
      [emptyManifest(), v1],
      [v1, v2],
    ] as const) {
      for (const op of diffManifests(from, to).operations) await applyOperation(driver(), op);
    }
    expect(await driver().query("SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'Events' ORDER BY position")).toEqual([
      { name: "id", type: "String" },
      { name: "n", type: "Int32" },
    ]);
    expect(await driver().query("SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = 'Events'")).toEqual([{ engine: "MergeTree" }]);
    for (const op of diffManifests(v2, emptyManifest()).operations) await applyOperation(driver(), op);
    expect(await driver().query("SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'Events'")).toEqual([]);
  });
});

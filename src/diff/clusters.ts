/**
 * Which cluster an operation's DDL runs on. A table, view or materialized view on a cluster gives
 * every operation on it `cluster` (the steps then say ON CLUSTER); moving an object onto, off or
 * between clusters is refused: its replicas and Keeper paths would have to be created or dropped
 * host by host, which moose-ts does not plan.
 */
import type { Manifest } from "../manifest/types.js";
import { componentKindOf, type BlockedChange, type Operation } from "./operations.js";

type ClusteredSection = "tables" | "views" | "materializedViews";

const LABELS: Record<ClusteredSection, string> = { tables: "table", views: "view", materializedViews: "materialized view" };

function clusteredSection(op: Operation): ClusteredSection | undefined {
  const section = componentKindOf(op.kind);
  return section === "tables" || section === "views" || section === "materializedViews" ? section : undefined;
}

/** The operations with the cluster of their target (the `to` side, else the `from` side for a drop), named in their summary. */
export function withClusters(operations: Operation[], from: Manifest, to: Manifest): Operation[] {
  return operations.map((op) => {
    const section = clusteredSection(op);
    if (section === undefined) return op;
    const cluster = (to[section][op.target] ?? from[section][op.target])?.cluster;
    // The summary is the line plans and migration headers print: it says where the DDL runs.
    return cluster === undefined ? op : { ...op, cluster, summary: `${op.summary} (on cluster ${cluster})` };
  });
}

/** A component kept under the same id whose cluster changed. */
export function clusterChanges(from: Manifest, to: Manifest): BlockedChange[] {
  const blocked: BlockedChange[] = [];
  for (const section of ["tables", "views", "materializedViews"] as const) {
    for (const [id, after] of Object.entries(to[section])) {
      const before = from[section][id];
      if (before === undefined || before.cluster === after.cluster) continue;
      const describe = (cluster: string | undefined) => (cluster === undefined ? "no cluster" : `cluster ${cluster}`);
      blocked.push({
        target: id,
        summary: `move ${LABELS[section]} ${id} from ${describe(before.cluster)} to ${describe(after.cluster)}`,
        reason: "moose-ts does not move objects between clusters: create the object under a new name on the new cluster, copy the data, then drop the old one",
      });
    }
  }
  return blocked;
}

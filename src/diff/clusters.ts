/**
 * Which cluster an operation's DDL runs on. A table, view or materialized view on a cluster gives
 * every operation on it `cluster` (the steps then say ON CLUSTER); moving an object onto, off or
 * between clusters is refused: its replicas and Keeper paths would have to be created or dropped
 * host by host, which moose-ts does not plan.
 */
import type { Manifest, TableSpec } from "../manifest/types.js";
import { fullColumnType } from "./normalize.js";
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

/** A table on a cluster whose engine keeps each host's rows to that host. */
function unreplicatedOnCluster(table: TableSpec | undefined): table is TableSpec & { cluster: string } {
  return table?.cluster !== undefined && !table.engine.name.startsWith("Replicated");
}

/** The unreplicated clustered tables whose rows an operation reads or copies on the connected host alone; none for any other operation. */
function tablesReadOnOneHost(op: Operation, to: Manifest): TableSpec[] {
  switch (op.kind) {
    case "recreateTable":
      return [op.from, op.to].filter(unreplicatedOnCluster).slice(0, 1);
    case "modifyColumn": {
      // A converting change is checked (every row counted) before it runs.
      const table = to.tables[op.table];
      return fullColumnType(op.from) !== fullColumnType(op.to) && unreplicatedOnCluster(table) ? [table] : [];
    }
    case "createMaterializedView":
      if (op.backfill === false) return [];
      return [...op.view.sourceTables, op.view.targetTable].map((id) => to.tables[id]).filter(unreplicatedOnCluster);
    default:
      return [];
  }
}

/**
 * A rebuild's copy, a conversion's check and a materialized view's backfill run on the one host
 * moose-ts is connected to (an INSERT … SELECT or a count): on a cluster that only sees every row
 * when each host holds them all, i.e. the table is Replicated (and the cluster has one shard, which
 * the executor checks against the server). Anything else would drop or miss the other hosts' rows,
 * so such an operation is refused here.
 */
export function withoutUnreplicatedCopies(operations: Operation[], to: Manifest): { operations: Operation[]; blocked: BlockedChange[] } {
  const kept: Operation[] = [];
  const blocked: BlockedChange[] = [];
  for (const op of operations) {
    const tables = tablesReadOnOneHost(op, to);
    if (tables.length === 0) {
      kept.push(op);
      continue;
    }
    const names = tables.map((table) => `${table.name} (${table.engine.name} on cluster ${table.cluster})`).join(", ");
    blocked.push({
      target: op.target,
      summary: op.summary,
      reason:
        `it reads every row of ${names} on one host, but that engine keeps each host's rows to itself: the other hosts' rows would be lost or missed. ` +
        "Use a Replicated engine (e.g. ReplicatedMergeTree) for a clustered table whose rows moose-ts copies or checks, or make the change by hand on every host",
    });
  }
  return { operations: kept, blocked };
}

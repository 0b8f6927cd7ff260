/**
 * `diffManifests(from, to)`: the only place that decides what changes. Pure — no I/O, inputs never
 * mutated. Each component kind has its own differ; `orderOperations` then puts teardown before
 * setup and dependencies in order. Renames happen only when declared in `options.renames`;
 * otherwise a dropped + added column of the same type is reported as a rename candidate.
 */
import type { Manifest } from "../manifest/types.js";
import { diffApis, diffIngestApis } from "./apis.js";
import { clusterChanges, withClusters, withoutUnreplicatedCopies } from "./clusters.js";
import type { DiffOptions, DiffResult } from "./operations.js";
import { orderOperations } from "./order.js";
import { diffProcesses } from "./processes.js";
import { diffSqlResources } from "./sql-resources.js";
import { diffStreams } from "./streams.js";
import { diffTables } from "./tables.js";
import { diffViews } from "./views.js";
import { diffWorkflows } from "./workflows.js";

export function diffManifests(from: Manifest, to: Manifest, options: DiffOptions = {}): DiffResult {
  const tables = diffTables(from.tables, to.tables, options);
  const streams = diffStreams(from.streams, to.streams);
  const views = diffViews(from, to, tables.recreated, options);
  const ordered = orderOperations([
    ...tables.operations,
    ...views.operations,
    ...diffSqlResources(from, to, tables.recreated),
    ...streams.operations,
    ...diffIngestApis(from.ingestApis, to.ingestApis),
    ...diffApis(from.apis, to.apis),
    ...diffWorkflows(from.workflows, to.workflows),
    ...diffProcesses(from.processes, to.processes),
  ]);
  const copies = withoutUnreplicatedCopies(ordered, to);
  return {
    operations: withClusters(copies.operations, from, to),
    blocked: [...tables.blocked, ...views.blocked, ...streams.blocked, ...clusterChanges(from, to), ...copies.blocked],
    renameCandidates: tables.renameCandidates,
  };
}

export { orderOperations } from "./order.js";
export { assessRisk } from "./risk.js";
export { normalizeTable, normalizeType } from "./normalize.js";
export { normalizeSql } from "./normalize-sql.js";
export { tablesEquivalent } from "./tables.js";
export type { DiffOptions, DiffResult, Operation, RenameMap } from "./operations.js";

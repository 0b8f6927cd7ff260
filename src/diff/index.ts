/**
 * `diffManifests(from, to)`: the only place that decides what changes. Pure — no I/O, inputs never
 * mutated. Each component kind has its own differ; `orderOperations` then puts teardown before
 * setup and dependencies in order. Renames happen only when declared in `options.renames`;
 * otherwise a dropped + added column of the same type is reported as a rename candidate.
 */
import type { Manifest } from "../manifest/types.js";
import { diffApis, diffIngestApis } from "./apis.js";
import { clusterChanges, withClusters, withoutUnreplicatedCopies } from "./clusters.js";
import type { DiffOptions, DiffResult, KeptChange } from "./operations.js";
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
    kept: [...tables.kept, ...views.kept, ...streams.kept],
    renameCandidates: tables.renameCandidates,
  };
}

/**
 * The state `to` means when planned from `from`: `to` with what the plan keeps (removals of
 * DELETION_PROTECTED objects, which are not made) as `from` has it, so the state says what the
 * database holds. What migrations record and `moose dev` applies.
 */
export function withKept(to: Manifest, from: Manifest, kept: readonly KeptChange[]): Manifest {
  if (kept.length === 0) return to;
  const state = structuredClone(to);
  for (const change of kept) {
    if (change.column === undefined) {
      (state[change.section] as Record<string, unknown>)[change.target] = structuredClone(from[change.section][change.target]);
      continue;
    }
    const before = from.tables[change.target]!;
    const table = state.tables[change.target]!;
    // Where it was: after the column that preceded it, when that one is still there.
    const position = before.columns.findIndex((column) => column.name === change.column);
    const predecessor = position > 0 ? table.columns.findIndex((column) => column.name === before.columns[position - 1]!.name) : -1;
    table.columns.splice(position === 0 ? 0 : predecessor === -1 ? table.columns.length : predecessor + 1, 0, structuredClone(before.columns[position]!));
  }
  return state;
}

/** The state `code` means on top of `from`: withKept of their plan. */
export function codeState(from: Manifest, code: Manifest): Manifest {
  return withKept(code, from, diffManifests(from, code).kept);
}

export { orderOperations } from "./order.js";
export { assessRisk } from "./risk.js";
export { normalizeTable, normalizeType } from "./normalize.js";
export { normalizeSql } from "./normalize-sql.js";
export { tablesEquivalent } from "./tables.js";
export type { DiffOptions, DiffResult, KeptChange, Operation, RenameMap } from "./operations.js";

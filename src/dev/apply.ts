/**
 * Applying a plan locally: each operation's `up` steps (operationSteps) through the migration
 * runner's own step dispatcher, so `moose dev` runs exactly the SQL and Kafka actions a migration
 * file would. Data-loss operations run too — this is the local database — but are reported.
 *
 * A failing operation does not stop the others: later operations on the same component are skipped
 * (they build on the failed one), operations on other components still run. The state then takes
 * the new spec only for components whose every operation succeeded; the rest keep their previous
 * spec, so the next save plans them again (steps are idempotent, so re-running is harmless).
 * Operations run in plan order, except that consecutive new tables are created a few at a time. A
 * SQL resource whose setup fails part-way is torn down again, so the fixed code can set it up anew.
 * A table or view the plan creates over a different one of that name, which CREATE … IF NOT EXISTS
 * would pass over silently, fails instead (and is planned again on the next save).
 */
import { componentKindOf, type DiffResult, type Operation } from "../diff/operations.js";
import { MooseError } from "../errors.js";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import type { ComponentKind, Manifest } from "../manifest/types.js";
import { executeStep, type StepTargets } from "../migrations/runner/dispatch.js";
import { operationSteps } from "../plan/steps.js";
import { existingObjectConflict, type CreatedSection, type LiveClickHouse } from "../server/reality-check.js";

export interface FailedOperation {
  op: Operation;
  error: unknown;
}

export interface ApplyOutcome {
  applied: Operation[];
  failed: FailedOperation[];
  /** Not run because an earlier operation on the same component failed. */
  skipped: Operation[];
}

/** New tables do not depend on each other; this many are created at once (a fresh start creates them all). */
const CREATE_CONCURRENCY = 4;

export async function applyOperations(operations: readonly Operation[], targets: StepTargets): Promise<ApplyOutcome> {
  const outcome: ApplyOutcome = { applied: [], failed: [], skipped: [] };
  const failedComponents = new Set<string>();
  const refused = await refusedCreations(operations, targets.clickhouse);
  const run = async (op: Operation): Promise<FailedOperation | undefined> => {
    const refusal = refused.get(op);
    if (refusal !== undefined) return { op, error: refusal };
    const steps = operationSteps(op);
    try {
      for (const step of steps.up) await executeStep(step, targets, { direction: "up" });
      return undefined;
    } catch (error) {
      // A SQL resource's setup is the user's statements, which need not be idempotent: what its first
      // statements made is torn down again (best effort), so the next save sets it up from scratch.
      if (op.kind === "createSqlResource") {
        for (const step of steps.down) await executeStep(step, targets, { direction: "down" }).catch(() => undefined);
      }
      return { op, error };
    }
  };
  for (let index = 0; index < operations.length; ) {
    // A run of consecutive createTable operations (each its own new component) goes concurrently.
    let end = index + 1;
    if (operations[index]!.kind === "createTable") while (end < operations.length && operations[end]!.kind === "createTable") end++;
    const batch = operations.slice(index, end).filter((op) => {
      const component = componentKey(op);
      if (component === undefined || !failedComponents.has(component)) return true;
      outcome.skipped.push(op);
      return false;
    });
    const failures = await mapConcurrently(batch, batch.length > 1 ? CREATE_CONCURRENCY : 1, run);
    for (const [position, op] of batch.entries()) {
      const failure = failures[position];
      if (!failure) {
        outcome.applied.push(op);
        continue;
      }
      outcome.failed.push(failure);
      const component = componentKey(op);
      if (component !== undefined) failedComponents.add(component);
    }
    index = end;
  }
  return outcome;
}

/**
 * The plan's creations of a table or view whose name the local database already holds, different from
 * the code's (made by hand, or by other code's `moose migrate up`): each with its error. The database
 * is read only when the plan creates something; what the plan drops first and cluster objects are left out.
 */
async function refusedCreations(operations: readonly Operation[], clickhouse: ClickHouseDriver): Promise<Map<Operation, unknown>> {
  const dropped = new Set<string>();
  const creations: Array<{ op: Operation; section: CreatedSection; spec: Manifest[CreatedSection][string] }> = [];
  for (const op of operations) {
    if (op.kind === "dropTable" || op.kind === "dropView" || op.kind === "dropMaterializedView") dropped.add(op.target);
    const created = op.kind === "createTable" ? { op, section: "tables" as const, spec: op.table } : op.kind === "createView" ? { op, section: "views" as const, spec: op.view } : op.kind === "createMaterializedView" ? { op, section: "materializedViews" as const, spec: op.view } : undefined;
    if (created !== undefined && created.spec.cluster === undefined && !dropped.has(op.target)) creations.push(created);
  }
  const refused = new Map<Operation, unknown>();
  if (creations.length === 0) return refused;
  let live: LiveClickHouse;
  try {
    // The usual case, names nothing has yet, costs one small query; the whole schema is read only otherwise.
    const taken = await clickhouse.query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() AND name IN {names:Array(String)}", {
      names: creations.map(({ spec }) => spec.name),
    });
    if (taken.length === 0) return refused;
    live = await clickhouse.introspect();
  } catch (error) {
    // Unchecked, a creation could pass over what is there: each fails with the reason (the next save tries again).
    for (const { op } of creations) refused.set(op, error);
    return refused;
  }
  for (const { op, section, spec } of creations) {
    const conflict = existingObjectConflict(section, spec, live);
    if (conflict === undefined) continue;
    const name = spec.name;
    const what = conflict.otherNoun !== undefined ? `a ${conflict.otherNoun} ${name}` : `a different ${conflict.noun} ${name} (the code's, changed by: ${conflict.differences.join("; ")})`;
    refused.set(
      op,
      new MooseError("OBJECT_EXISTS_DIFFERENT", `${conflict.noun} ${name} was not created: the local database already has ${what}`, {
        hint: `it was made outside moose dev (by hand, or by \`moose migrate up\` of other code): drop or rename it, or make the code match it; the next save tries again`,
        details: { object: name, differences: conflict.differences },
      }),
    );
  }
  return refused;
}

/** `work` over `items` with at most `limit` running at once; results in input order. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const position = next++;
      results[position] = await work(items[position]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * The state after a (possibly partial) apply of `plan` from `previous` towards `next`: `next` itself
 * when everything was applied; otherwise `previous` with the components whose operations all
 * succeeded taken from `next`. Blocked changes (not operations) leave their component as it was.
 */
export function stateAfterApply(previous: Manifest, next: Manifest, plan: DiffResult, outcome: ApplyOutcome): Manifest {
  if (outcome.failed.length === 0 && outcome.skipped.length === 0 && plan.blocked.length === 0) return next;
  const unfinished = new Set([...outcome.failed.map(({ op }) => op), ...outcome.skipped].map(componentKey));
  const state = structuredClone(previous);
  for (const op of outcome.applied) {
    const key = componentKey(op);
    if (key === undefined || unfinished.has(key)) continue;
    const kind = componentKindOf(op.kind) as ComponentKind;
    const section = state[kind] as Record<string, unknown>;
    const wanted = (next[kind] as Record<string, unknown>)[op.target];
    if (wanted === undefined) delete section[op.target];
    else section[op.target] = structuredClone(wanted);
  }
  return state;
}

function componentKey(op: Operation): string | undefined {
  const kind = componentKindOf(op.kind);
  return kind === undefined ? undefined : `${kind}:${op.target}`;
}


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
 */
import { componentKindOf, type DiffResult, type Operation } from "../diff/operations.js";
import type { ComponentKind, Manifest } from "../manifest/types.js";
import { executeStep, type StepTargets } from "../migrations/runner/dispatch.js";
import { operationSteps } from "../plan/steps.js";

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
  const run = async (op: Operation): Promise<FailedOperation | undefined> => {
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


/** Workflows: add, remove, update (schedule, retries, timeout, tasks). */
import type { WorkflowSpec } from "../manifest/types.js";
import { stableJson } from "./normalize.js";
import type { Operation } from "./operations.js";
import { withRisk } from "./risk.js";

/** What changed between two versions of a workflow, one phrase each. */
export function workflowChanges(from: WorkflowSpec, to: WorkflowSpec): string[] {
  const changes: string[] = [];
  if ((from.schedule ?? "") !== (to.schedule ?? "")) changes.push(`schedule ${from.schedule ?? "none"} → ${to.schedule ?? "none"}`);
  if ((from.retries ?? null) !== (to.retries ?? null)) changes.push(`retries ${from.retries ?? "default"} → ${to.retries ?? "default"}`);
  if ((from.timeout ?? "") !== (to.timeout ?? "")) changes.push(`timeout ${from.timeout ?? "default"} → ${to.timeout ?? "default"}`);
  const fromTasks = new Map(from.tasks.map((task) => [task.name, task]));
  const toTasks = new Map(to.tasks.map((task) => [task.name, task]));
  for (const name of fromTasks.keys()) if (!toTasks.has(name)) changes.push(`task ${name} removed`);
  for (const [name, task] of toTasks) {
    const previous = fromTasks.get(name);
    if (!previous) changes.push(`task ${name} added`);
    else if (stableJson(previous) !== stableJson(task)) changes.push(`task ${name} changed`);
  }
  return changes;
}

export function diffWorkflows(from: Record<string, WorkflowSpec>, to: Record<string, WorkflowSpec>): Operation[] {
  const operations: Operation[] = [];
  for (const id of [...new Set([...Object.keys(from), ...Object.keys(to)])].sort()) {
    const before = from[id];
    const after = to[id];
    if (!before && after) operations.push(withRisk({ kind: "addWorkflow", target: id, summary: `add workflow ${id}`, workflow: after }));
    else if (before && !after) {
      operations.push(withRisk({ kind: "removeWorkflow", target: id, summary: `remove workflow ${id}`, workflow: before }));
    } else if (before && after) {
      const changes = workflowChanges(before, after);
      if (changes.length > 0) {
        operations.push(withRisk({ kind: "updateWorkflow", target: id, summary: `update workflow ${id}: ${changes.join(", ")}`, from: before, to: after }));
      }
    }
  }
  return operations;
}

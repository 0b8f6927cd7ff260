/**
 * Stream processes (syncs, transforms, consumers): add, remove, update. A process holds no data
 * of its own — it is code reading a topic — so every change is safe; what changes is which code
 * `moose dev` / `moose prod` runs. An update is a changed code hash, dead-letter queue or target.
 */
import type { ProcessSpec } from "../manifest/types.js";
import type { Operation } from "./operations.js";
import { withRisk } from "./risk.js";

/** How plans name a process: `UserEvents -> Users`, `UserEvents -> Enriched @1.0`, `UserEvents consumer`. */
export function processDisplayName(process: ProcessSpec): string {
  const version = process.version !== undefined ? ` @${process.version}` : "";
  return process.kind === "consumer" ? `${process.source} consumer${version}` : `${process.source} -> ${process.destination ?? "?"}${version}`;
}

/** What changed between two versions of one process, one phrase each. */
export function processChanges(from: ProcessSpec, to: ProcessSpec): string[] {
  const changes: string[] = [];
  if (from.kind !== to.kind) changes.push(`kind ${from.kind} → ${to.kind}`);
  if (from.source !== to.source) changes.push(`source ${from.source} → ${to.source}`);
  if ((from.destination ?? "") !== (to.destination ?? "")) changes.push(`destination ${from.destination ?? "none"} → ${to.destination ?? "none"}`);
  if ((from.version ?? "") !== (to.version ?? "")) changes.push(`version ${from.version ?? "none"} → ${to.version ?? "none"}`);
  if ((from.codeHash ?? "") !== (to.codeHash ?? "")) changes.push(`code ${shortHash(from.codeHash)} → ${shortHash(to.codeHash)}`);
  if ((from.deadLetterQueue ?? "") !== (to.deadLetterQueue ?? "")) {
    changes.push(`dead-letter queue ${from.deadLetterQueue ?? "none"} → ${to.deadLetterQueue ?? "none"}`);
  }
  return changes;
}

/** The first 8 hex digits of a code hash, as plans and `moose ls` show it. */
export function shortHash(hash: string | undefined): string {
  return hash === undefined ? "none" : hash.slice(0, 8);
}

export function diffProcesses(from: Record<string, ProcessSpec>, to: Record<string, ProcessSpec>): Operation[] {
  const operations: Operation[] = [];
  for (const id of [...new Set([...Object.keys(from), ...Object.keys(to)])].sort()) {
    const before = from[id];
    const after = to[id];
    if (!before && after) {
      operations.push(withRisk({ kind: "addProcess", target: id, summary: `add ${after.kind} process ${processDisplayName(after)}`, process: after }));
    } else if (before && !after) {
      operations.push(withRisk({ kind: "removeProcess", target: id, summary: `remove ${before.kind} process ${processDisplayName(before)}`, process: before }));
    } else if (before && after) {
      const changes = processChanges(before, after);
      if (changes.length > 0) {
        operations.push(
          withRisk({ kind: "updateProcess", target: id, summary: `update ${after.kind} process ${processDisplayName(after)}: ${changes.join(", ")}`, from: before, to: after }),
        );
      }
    }
  }
  return operations;
}

/**
 * What the runner reports while it works. Progress output and timing both come from these
 * events; reporters render them as text for people or JSON lines for machines.
 */
import { formatDuration } from "../../durations.js";
import type { RowProgress } from "../../infra/clickhouse/executor.js";
import type { StepKind } from "../../steps/index.js";

export type Direction = "up" | "down";

export type MigrationEvent =
  | { type: "lock-waiting"; owner: string; ageSeconds: number }
  | { type: "nothing-to-do"; direction: Direction }
  | { type: "planned"; direction: Direction; id: string; resumeAt: number; steps: PlannedStep[] }
  /** `position` of `of`: where this migration is in the run (1-based), for progress over many files. */
  | { type: "migration-started"; direction: Direction; id: string; resumeAt: number; steps: number; position?: number; of?: number }
  | { type: "step-done"; direction: Direction; id: string; index: number; steps: number; kind: StepKind; summary: string; ms: number; stateOnly: boolean }
  | { type: "step-log"; direction: Direction; id: string; message: string }
  | { type: "step-progress"; direction: Direction; id: string; index: number; table: string; activity: RowProgress["activity"]; rows: number; totalRows: number }
  | { type: "migration-failed"; direction: Direction; id: string; index: number; summary: string; error: string; ms: number }
  | { type: "migration-finished"; direction: Direction; id: string; ms: number; steps: number };

export interface PlannedStep {
  index: number;
  kind: StepKind;
  summary: string;
  /** Needs --allow-data-loss; `reasons` says why. */
  destructive: boolean;
  reasons?: string[];
}

export type Reporter = (event: MigrationEvent) => void;

/** `rows copied`, `rows checked`, `rows read`: what a progress line says of the rows counted. */
export const ACTIVITY_DONE: Record<RowProgress["activity"], string> = { copy: "copied", check: "checked", backfill: "read" };

export const silentReporter: Reporter = () => {};

/** One line per migration and step, each with its time. */
export function textReporter(write: (line: string) => void): Reporter {
  return (event) => {
    switch (event.type) {
      case "lock-waiting":
        write(`⏳ waiting for the migration lock held by ${event.owner} (for ${event.ageSeconds} s)`);
        return;
      case "nothing-to-do":
        write(event.direction === "up" ? "✓ nothing to apply: the database is up to date" : "✓ nothing to revert");
        return;
      case "planned":
        write(`${event.direction === "up" ? "would apply" : "would revert"} ${event.id}${event.resumeAt > 0 ? ` (resuming at step ${event.resumeAt + 1})` : ""}`);
        for (const step of event.steps) {
          if (step.index < event.resumeAt) continue;
          write(`    ${step.index + 1}. [${step.kind}] ${step.summary}${step.destructive ? `   ⚠ may delete data: ${step.reasons?.join("; ")}` : ""}${step.kind === "note" ? "   (state only)" : ""}`);
        }
        return;
      case "migration-started":
        write(
          `${event.direction === "up" ? "▶ applying" : "◀ reverting"}${event.of !== undefined && event.of > 1 ? ` [${event.position}/${event.of}]` : ""} ${event.id}${event.resumeAt > 0 ? ` (resuming at step ${event.resumeAt + 1} of ${event.steps})` : ""}`,
        );
        return;
      case "step-done":
        write(`    ✓ ${event.index + 1}/${event.steps} [${event.kind}] ${event.summary}${event.stateOnly ? "   (state only)" : ""}   ${formatDuration(event.ms)}`);
        return;
      case "step-log":
        write(`      ${event.message}`);
        return;
      case "step-progress":
        write(`      ${event.table}: ${event.rows} of ${event.totalRows} rows ${ACTIVITY_DONE[event.activity]}`);
        return;
      case "migration-failed":
        write(`    ✗ step ${event.index + 1} failed: ${event.summary}\n      ${event.error.split("\n").join("\n      ")}`);
        write(`✗ ${event.id} failed after ${formatDuration(event.ms)}; fix the cause and run the command again to resume at step ${event.index + 1}`);
        return;
      case "migration-finished":
        write(`✓ ${event.id} ${event.direction === "up" ? "applied" : "reverted"} (${event.steps} step${event.steps === 1 ? "" : "s"}, ${formatDuration(event.ms)})`);
        return;
    }
  };
}

/** One JSON object per line. */
export function jsonReporter(write: (line: string) => void): Reporter {
  return (event) => write(JSON.stringify(event));
}

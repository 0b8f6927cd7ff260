/**
 * The runner's events as log events: pass `logMigrationEvents(projectDir)` as (or alongside) the
 * runner's reporter and every migration and step lands in moose.jsonl with its duration.
 */
import type { MigrationEvent, Reporter } from "../migrations/runner/events.js";
import { logEvent } from "./logger.js";

export function logMigrationEvents(projectDir: string): Reporter {
  return (event: MigrationEvent) => {
    switch (event.type) {
      case "lock-waiting":
        logEvent(projectDir, { kind: "migration", level: "warn", message: `waiting for the migration lock held by ${event.owner}`, details: { ageSeconds: event.ageSeconds } });
        return;
      case "nothing-to-do":
      case "planned":
        return; // dry runs and no-ops change nothing worth keeping
      case "migration-started":
        logEvent(projectDir, { kind: "migration", message: `${verb(event.direction)} ${event.id} started`, details: { id: event.id, direction: event.direction, steps: event.steps, resumeAt: event.resumeAt } });
        return;
      case "step-done":
        logEvent(projectDir, {
          kind: "step",
          message: `${event.id} step ${event.index + 1}/${event.steps} [${event.kind}] ${event.summary}`,
          durationMs: event.ms,
          details: { id: event.id, direction: event.direction, index: event.index, kind: event.kind, stateOnly: event.stateOnly },
        });
        return;
      case "step-log":
        logEvent(projectDir, { kind: "step", message: `${event.id}: ${event.message}`, details: { id: event.id, direction: event.direction } });
        return;
      case "migration-failed":
        logEvent(projectDir, {
          kind: "migration",
          level: "error",
          message: `${verb(event.direction)} ${event.id} failed at step ${event.index + 1}: ${event.summary}`,
          durationMs: event.ms,
          details: { id: event.id, direction: event.direction, index: event.index, error: event.error },
        });
        return;
      case "migration-finished":
        logEvent(projectDir, { kind: "migration", message: `${event.direction === "up" ? "applied" : "reverted"} ${event.id}`, durationMs: event.ms, details: { id: event.id, direction: event.direction, steps: event.steps } });
        return;
    }
  };
}

/** Several reporters as one (e.g. the terminal's and the log's). */
export function bothReporters(...reporters: Reporter[]): Reporter {
  return (event) => {
    for (const reporter of reporters) reporter(event);
  };
}

function verb(direction: "up" | "down"): string {
  return direction === "up" ? "applying" : "reverting";
}

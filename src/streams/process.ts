/**
 * What every running stream process shares: its observable status (state, counters, last error)
 * and the sink for its errors (the dev output / the project's log, given by the supervisor).
 */
import type { ProcessKind } from "../manifest/types.js";

/** `not-run`: a transform or consumer of the applied state whose function the loaded code does not have. */
export type ProcessState = "starting" | "running" | "failed" | "stopped" | "not-run";

export interface ProcessStatus {
  id: string;
  kind: ProcessKind;
  state: ProcessState;
  /** Records handled: inserted by a sync, passed to a transform's or consumer's function. */
  processed: number;
  /**
   * Logged and skipped: records that went nowhere (no dead-letter queue), and messages (results,
   * dead letters) their topic refuses for good (larger than its max.message.bytes).
   */
  skipped: number;
  /** Records sent to the dead-letter queue. */
  deadLettered: number;
  lastError?: { message: string; at: string };
}

export interface ProcessEvents {
  /** A failure the process handled (a skipped or dead-lettered record, a retried insert). */
  error(processId: string, message: string, details?: Record<string, unknown>): void;
  /** A record a transform or consumer handled, and what a transform made of it (`moose dev --log-payloads`). */
  payload?(processId: string, record: unknown, results?: unknown[]): void;
}

/** A started process: `stop` finishes the batch in hand (insert, produce, commit) and disconnects. */
export interface RunningProcess {
  readonly status: ProcessStatus;
  /** Consumer group and broker topic, for lag. */
  readonly groupId: string;
  readonly topic: string;
  stop(): Promise<void>;
}

export function newStatus(id: string, kind: ProcessKind): ProcessStatus {
  return { id, kind, state: "starting", processed: 0, skipped: 0, deadLettered: 0 };
}

export function recordError(status: ProcessStatus, events: ProcessEvents, message: string, details?: Record<string, unknown>): void {
  status.lastError = { message, at: new Date().toISOString() };
  events.error(status.id, message, details);
}

/**
 * The structured log of everything moose did in a project: one JSON object per line in
 * `.moose/logs/moose.jsonl`. Every event goes through `redact` first, so tokens and passwords
 * never reach the file. Logging never fails a command: a write error is reported once on stderr.
 *
 * Stages add events with `logEvent(projectDir, { kind, message, durationMs?, details? })`,
 * or wrap work in `logTimed(projectDir, kind, message, fn)` to get its duration and failure logged.
 */
import { appendFileSync, mkdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { redact, redactString } from "./redact.js";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogKind = "build" | "plan" | "migration" | "step" | "reload" | "error" | "server" | "process";

export interface LogEventInput {
  kind: LogKind;
  message: string;
  level?: LogLevel;
  durationMs?: number;
  details?: Record<string, unknown>;
}

/** One line of moose.jsonl. */
export interface LogRecord {
  time: string;
  level: LogLevel;
  kind: LogKind;
  message: string;
  durationMs?: number;
  details?: Record<string, unknown>;
}

export const LOG_FILE = "moose.jsonl";
/** When the log passes this size it moves to moose.jsonl.1 (replacing the previous one). */
const ROTATE_AT_BYTES = 10 * 1024 * 1024;

export function logDirectory(projectDir: string): string {
  return join(projectDir, ".moose", "logs");
}

export function logFilePath(projectDir: string): string {
  return join(logDirectory(projectDir), LOG_FILE);
}

let warnedAboutWriteFailure = false;

export function logEvent(projectDir: string, event: LogEventInput, now: Date = new Date()): void {
  const record: LogRecord = {
    time: now.toISOString(),
    level: event.level ?? (event.kind === "error" ? "error" : "info"),
    kind: event.kind,
    message: redactString(event.message),
    ...(event.durationMs === undefined ? {} : { durationMs: Math.round(event.durationMs) }),
    ...(event.details === undefined ? {} : { details: redact(event.details) as Record<string, unknown> }),
  };
  try {
    mkdirSync(logDirectory(projectDir), { recursive: true });
    const file = logFilePath(projectDir);
    rotateIfLarge(file);
    appendFileSync(file, `${JSON.stringify(record)}\n`);
  } catch (error) {
    if (!warnedAboutWriteFailure) {
      warnedAboutWriteFailure = true;
      process.stderr.write(`warning: could not write the moose log (${(error as Error).message}); continuing without it\n`);
    }
  }
}

/** Runs `work`, logging its duration; a failure is logged at error level (with the error's code) and rethrown. */
export async function logTimed<T>(
  projectDir: string,
  kind: LogKind,
  message: string,
  work: () => Promise<T>,
  details?: Record<string, unknown>,
): Promise<T> {
  const started = performance.now();
  try {
    const result = await work();
    logEvent(projectDir, { kind, message, durationMs: performance.now() - started, details });
    return result;
  } catch (error) {
    logEvent(projectDir, {
      kind,
      level: "error",
      message: `${message} failed`,
      durationMs: performance.now() - started,
      details: { ...details, error: describeError(error) },
    });
    throw error;
  }
}

function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { message: error.message, ...(code === undefined ? {} : { code }) };
  }
  return { message: String(error) };
}

function rotateIfLarge(file: string): void {
  try {
    if (statSync(file).size >= ROTATE_AT_BYTES) renameSync(file, `${file}.1`);
  } catch {
    // no file yet: nothing to rotate
  }
}

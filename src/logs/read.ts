/** Reading moose.jsonl back: parse, filter, render for humans, follow new lines. */
import { existsSync, mkdirSync, readFileSync, statSync, watch } from "node:fs";
import { open } from "node:fs/promises";
import { formatDuration } from "../durations.js";
import type { LogRecord } from "./logger.js";
import { logDirectory, logFilePath, LOG_FILE } from "./logger.js";

/** Parses JSON lines; a line that is not a log record (a torn write, hand edits) is skipped. */
export function parseLogLines(text: string): LogRecord[] {
  const records: LogRecord[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const value = JSON.parse(line) as Partial<LogRecord>;
      if (typeof value.time === "string" && typeof value.kind === "string" && typeof value.message === "string") {
        records.push(value as LogRecord);
      }
    } catch {
      // not JSON: skipped
    }
  }
  return records;
}

/** The records now in the log, and the byte offset a follow should continue from. */
export function readLogSnapshot(projectDir: string): { records: LogRecord[]; endOffset: number } {
  const file = logFilePath(projectDir);
  if (!existsSync(file)) return { records: [], endOffset: 0 };
  const bytes = readFileSync(file);
  const complete = bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1); // a half-written last line is read by the follow
  return { records: parseLogLines(complete.toString("utf8")), endOffset: complete.length };
}

/** Case-insensitive substring match over the whole JSON line (kind, message and details). */
export function matchesFilter(record: LogRecord, filter: string | undefined): boolean {
  return !filter || JSON.stringify(record).toLowerCase().includes(filter.toLowerCase());
}

/** `2026-11-27 08:01:02.345  INFO  migration  applied 2026…_add_age (412 ms)  {details}` */
export function formatLogRecord(record: LogRecord): string {
  const time = record.time.replace("T", " ").replace("Z", "");
  const level = (record.level ?? "info").toUpperCase().padEnd(5);
  const kind = record.kind.padEnd(9);
  const duration = record.durationMs === undefined ? "" : ` (${formatDuration(record.durationMs)})`;
  const details = record.details && Object.keys(record.details).length > 0 ? `  ${JSON.stringify(record.details)}` : "";
  return `${time}  ${level}  ${kind}  ${record.message}${duration}${details}`;
}

/**
 * Calls `onRecord` for each record appended after `fromOffset` until `signal` aborts.
 * Uses fs.watch on the directory (the file may not exist yet, and rotation replaces it) plus a slow
 * poll as a fallback for filesystems where watch events are unreliable.
 */
export async function followLog(
  projectDir: string,
  fromOffset: number,
  onRecord: (record: LogRecord) => void,
  signal: AbortSignal,
): Promise<void> {
  const file = logFilePath(projectDir);
  let offset = fromOffset;
  let partial = "";
  let reading: Promise<void> = Promise.resolve();

  const readNew = async (): Promise<void> => {
    if (!existsSync(file)) return;
    const size = statSync(file).size;
    if (size < offset) {
      offset = 0; // rotated or truncated: start over on the new file
      partial = "";
    }
    if (size === offset) return;
    const handle = await open(file, "r");
    try {
      const buffer = Buffer.alloc(size - offset);
      await handle.read(buffer, 0, buffer.length, offset);
      offset = size;
      const text = partial + buffer.toString("utf8");
      const lastNewline = text.lastIndexOf("\n");
      partial = text.slice(lastNewline + 1);
      for (const record of parseLogLines(text.slice(0, lastNewline + 1))) onRecord(record);
    } finally {
      await handle.close();
    }
  };
  const schedule = () => {
    // a read racing a rotation may fail; the next event or poll reads again
    reading = reading.then(readNew).catch(() => undefined);
  };

  await new Promise<void>((resolve) => {
    mkdirSync(logDirectory(projectDir), { recursive: true });
    const watcher = watch(logDirectory(projectDir), (_event, name) => {
      if (name === null || name === LOG_FILE) schedule();
    });
    const poll = setInterval(schedule, 1000);
    const stop = () => {
      watcher.close();
      clearInterval(poll);
      void reading.then(resolve);
    };
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
    schedule();
  });
}

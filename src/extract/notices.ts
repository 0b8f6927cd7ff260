/**
 * Notices: what an app asked for that moose-ts accepts but does not do (the registry's notices, from
 * TypeScript and Python alike), printed as warnings at the model's file:line. A build records the
 * ones it printed so the build cache can print them again when it stands in for the build.
 */
import type { SourceLocation } from "../errors.js";

export interface Notice {
  message: string;
  source: SourceLocation;
}

/** Notices already printed by this process: `moose dev` re-runs the app on every save and says each once. */
const printedNotices = new Set<string>();
let recording: Notice[] | undefined;

export function printNotice(notice: Notice): void {
  recording?.push(notice);
  const line = `warning: ${notice.source.file}:${notice.source.line}: ${notice.message}`;
  if (printedNotices.has(line)) return;
  printedNotices.add(line);
  process.stderr.write(`${line}\n`);
}

/** Runs one build, returning its result with every notice it printed (one build at a time per process). */
export async function recordingNotices<T>(build: () => Promise<T>): Promise<{ result: T; notices: Notice[] }> {
  const notices: Notice[] = [];
  recording = notices;
  try {
    return { result: await build(), notices };
  } finally {
    recording = undefined;
  }
}

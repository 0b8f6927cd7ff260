/**
 * The stream processes of the `moose dev` / `moose prod --embedded` running on a project, as its
 * `/health` reports them (`.moose/running.json` says where it listens): what `moose ls` shows.
 * `/health` leaves each process's last error out (anyone may ask it); the error is read back from
 * the project's log, where the running instance wrote it.
 */
import { findRunning } from "../dev/running.js";
import { readLogSnapshot } from "../logs/read.js";
import type { ProcessReport } from "./supervisor.js";

/** Undefined when nothing runs on the project or it does not answer within a second. */
export async function runningProcesses(projectDir: string): Promise<ProcessReport[] | undefined> {
  const running = findRunning(projectDir);
  if (!running?.apiUrl) return undefined;
  let reports: ProcessReport[] | undefined;
  try {
    const response = await fetch(`${running.apiUrl}/health`, { signal: AbortSignal.timeout(1000) });
    reports = ((await response.json()) as { processes?: ProcessReport[] }).processes;
  } catch {
    return undefined;
  }
  if (!reports) return undefined;
  const lastErrors = new Map<string, { message: string; at: string }>();
  for (const record of readLogSnapshot(projectDir).records) {
    const id = record.details?.process;
    if (record.kind !== "process" || record.level !== "error" || typeof id !== "string" || record.time < running.startedAt) continue;
    lastErrors.set(id, { message: record.message.startsWith(`${id}: `) ? record.message.slice(id.length + 2) : record.message, at: record.time });
  }
  return reports.map((report) => (lastErrors.has(report.id) ? { ...report, lastError: lastErrors.get(report.id)! } : report));
}

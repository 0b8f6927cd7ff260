/**
 * The stream processes of the `moose dev` / `moose prod --embedded` running on a project, as its
 * `/health` reports them (`.moose/running.json` says where it listens): what `moose ls` shows.
 */
import { findRunning } from "../dev/running.js";
import type { ProcessReport } from "./supervisor.js";

/** Undefined when nothing runs on the project or it does not answer within a second. */
export async function runningProcesses(projectDir: string): Promise<ProcessReport[] | undefined> {
  const running = findRunning(projectDir);
  if (!running?.apiUrl) return undefined;
  try {
    const response = await fetch(`${running.apiUrl}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await response.json()) as { processes?: ProcessReport[] };
    return body.processes;
  } catch {
    return undefined;
  }
}

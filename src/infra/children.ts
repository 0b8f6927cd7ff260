/**
 * No process left behind when a command returns. esbuild's JS API runs one service process per
 * Node process and unrefs it, so Node exits without waiting for it: after `moose build` the
 * service outlived the command in its process group (an orphan until init reaped it). Every other
 * child a command starts (the app's child process, Python, the local services) is awaited or
 * stopped by the code that started it; this stops esbuild's and waits until it has exited.
 *
 * The children are read from Linux's /proc/self/task/<tid>/children; where that is missing
 * (macOS, Windows) esbuild is still told to stop, without the wait.
 */
import { readdirSync, readFileSync } from "node:fs";

/** The pids of this process's children, or undefined where the system does not list them. */
export function childProcessIds(): number[] | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync("/proc/self/task");
  } catch {
    return undefined;
  }
  const pids: number[] = [];
  for (const task of tasks) {
    try {
      for (const pid of readFileSync(`/proc/self/task/${task}/children`, "utf8").split(" ")) if (pid.trim() !== "") pids.push(Number(pid));
    } catch {
      return undefined;
    }
  }
  return pids;
}

function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/** Stops esbuild's service if this process runs one, and waits (at most `timeoutMs`) until it has exited. */
export async function stopEsbuildService(timeoutMs = 2000): Promise<void> {
  const children = childProcessIds();
  const services = children?.filter((pid) => processName(pid) === "esbuild");
  if (services?.length === 0) return;
  const { stop } = await import("esbuild");
  await stop();
  // Node reaps each child it spawned when the child's exit is signalled, while the event loop runs.
  const deadline = Date.now() + timeoutMs;
  while (services && Date.now() < deadline) {
    const running = new Set(childProcessIds());
    if (!services.some((pid) => running.has(pid))) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

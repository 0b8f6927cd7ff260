/**
 * The local services `moose dev` starts itself from the repository's scripts (scripts/kafka-local,
 * scripts/temporal-local): which addresses are on this machine, running a script with its progress
 * lines forwarded, and a "still starting" line every 10 s while a first start downloads its jars.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { mooseTsPackage } from "../cli/package-info.js";

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/** A host name or address of this machine (only those can be started here). */
export function isLocalHost(host: string): boolean {
  return LOCAL_HOSTS.has(host.toLowerCase());
}

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `scripts/<name> args`; each complete line it writes to stderr (its progress) goes to `onLine`. */
export function runLocalScript(name: string, args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [path.join(mooseTsPackage().root, "scripts", name), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let partial = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      partial += chunk.toString();
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) onLine(line.trim());
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Runs `work`, saying `  <label>: still starting (N s)…` every 10 s until it ends. */
export async function whileStarting<T>(label: string, info: (line: string) => void, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const ticker = setInterval(() => info(`  ${label}: still starting (${Math.round((performance.now() - started) / 1000)} s)…`), 10_000);
  ticker.unref();
  try {
    return await work();
  } finally {
    clearInterval(ticker);
  }
}

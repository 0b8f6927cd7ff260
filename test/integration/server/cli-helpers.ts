/** Runs the built CLI (`node bin/moose.js`, so `npm run build` first) as users do. */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const MOOSE_BIN = fileURLToPath(new URL("../../../bin/moose.js", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runMoose(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnMoose(args, options);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export function spawnMoose(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  // A clean environment: no MOOSE_* from the developer's shell leaks into the command under test.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("MOOSE_")));
  return spawn(process.execPath, [MOOSE_BIN, ...args], {
    cwd: options.cwd,
    env: { ...inherited, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Resolves with everything the child printed on stdout once `pattern` appears in it. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} in:\n${seen}`)), timeoutMs);
    child.stdout!.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (!pattern.test(seen)) reject(new Error(`exited with ${code} before ${pattern} appeared in:\n${seen}`));
    });
  });
}

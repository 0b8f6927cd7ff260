/**
 * The real `moose` CLI in child processes, for the tests that need more than one process (a lock
 * race, a kill -9). The CLI is bundled from src/ into node_modules/.cache (so bare imports resolve
 * from the repo's node_modules) rather than taken from dist/, which other work may be rebuilding.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll } from "vitest";
import { tempProject, type TempProject } from "../../unit/migrations/helpers.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export async function buildCli(): Promise<string> {
  const outDir = path.join(REPO, "node_modules", ".cache", "moose-ts-tests");
  mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, `moose-cli-${process.pid}.mjs`);
  await build({
    stdin: {
      contents: `import { main } from "./src/cli/index.ts";\nprocess.exitCode = await main(process.argv);\n`,
      resolveDir: REPO,
      loader: "ts",
      sourcefile: "test-cli.ts",
    },
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "silent",
  });
  return outfile;
}

/**
 * For a test file: the CLI bundled once (`cli()` after beforeAll) and temporary projects removed
 * after the file (`newProject()`).
 */
export function useCliProjects(prefix: string): { cli(): string; newProject(): TempProject } {
  let cli = "";
  const projects: TempProject[] = [];
  beforeAll(async () => {
    cli = await buildCli();
  });
  afterAll(() => {
    for (const project of projects) project.remove();
  });
  return {
    cli: () => cli,
    newProject() {
      const project = tempProject(prefix);
      projects.push(project);
      return project;
    },
  };
}

export interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `detached`: the CLI leads a process group of its own (whose pgid is its pid). */
export function spawnCli(cli: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; detached?: boolean }): CliRun {
  const child = spawn(process.execPath, [cli, ...args], { cwd: options.cwd, env: { ...process.env, NO_COLOR: "1", ...options.env }, stdio: ["ignore", "pipe", "pipe"], detached: options.detached });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

export async function runCli(cli: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = spawnCli(cli, args, options);
  const { code } = await run.exit;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** Resolves once `file` exists (a run step's signal that it has started). */
export async function waitForFile(file: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${file}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

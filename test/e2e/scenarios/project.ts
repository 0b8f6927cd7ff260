/**
 * Helpers for the documented scenarios: a temp copy of an example app, the built `moose` binary run
 * in it (`npm run build` first; scripts/test-all does), and SQL against the project's embedded
 * ClickHouse data directory from a separate short-lived process (chdb binds one data directory per
 * process, and the CLI runs need the directory free between them).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url)).replace(/\/$/, "");
export const MOOSE_BIN = path.join(REPO_ROOT, "bin", "moose.js");
const CHDB_SQL = fileURLToPath(new URL("./chdb-sql.mjs", import.meta.url));
export const MAIN = "app/index.ts";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command args` to completion; never rejects on a non-zero exit. */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** The test's environment without the developer's MOOSE_* settings, plus `extra`. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("MOOSE_")));
  return { ...inherited, NO_COLOR: "1", ...extra };
}

export class Project {
  readonly dir: string;
  /** Environment every command of this project runs with (on top of cleanEnv()). */
  env: NodeJS.ProcessEnv;

  private constructor(dir: string, env: NodeJS.ProcessEnv) {
    this.dir = dir;
    this.env = env;
  }

  /** A temp copy of examples/<example> (no node_modules, .moose or migrations); node_modules links to the repo's. */
  static copy(example: "quickstart" | "analytics" | "analytics-python", env: NodeJS.ProcessEnv = {}): Project {
    if (!existsSync(path.join(REPO_ROOT, "dist", "cli", "index.js"))) throw new Error("dist/ is missing: run `npm run build` first");
    const source = path.join(REPO_ROOT, "examples", example);
    const dir = mkdtempSync(path.join(tmpdir(), `moose-scenario-${example}-`));
    cpSync(source, dir, {
      recursive: true,
      filter: (file) => !/^(node_modules|\.moose|migrations)([/\\]|$)/.test(path.relative(source, file)),
    });
    symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
    return new Project(dir, env);
  }

  /** A project already in `dir` (e.g. one `moose init` wrote); node_modules is not linked. */
  static at(dir: string, env: NodeJS.ProcessEnv = {}): Project {
    return new Project(dir, env);
  }

  moose(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return run(process.execPath, [MOOSE_BIN, ...args], { cwd: this.dir, env: cleanEnv({ ...this.env, ...extraEnv }) });
  }

  /** Starts a long-running command (`moose prod`); the caller stops it. */
  spawnMoose(args: string[], extraEnv: NodeJS.ProcessEnv = {}): ChildProcess {
    return spawn(process.execPath, [MOOSE_BIN, ...args], { cwd: this.dir, env: cleanEnv({ ...this.env, ...extraEnv }), stdio: ["ignore", "pipe", "pipe"] });
  }

  read(file: string): Promise<string> {
    return readFile(path.join(this.dir, file), "utf8");
  }

  write(file: string, text: string): Promise<void> {
    return writeFile(path.join(this.dir, file), text);
  }

  async append(file: string, text: string): Promise<void> {
    await this.write(file, (await this.read(file)) + text);
  }

  /** Replaces `from` by `to` in the file, which must contain it. */
  async edit(file: string, from: string, to: string): Promise<void> {
    const text = await this.read(file);
    if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}:\n${text}`);
    await this.write(file, text.replace(from, to));
  }

  /** Migration files (`<id>.ts`), oldest first. */
  migrationFiles(): string[] {
    const dir = path.join(this.dir, "migrations");
    return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith(".ts")).sort() : [];
  }

  /**
   * Runs statements in order on the embedded engine (`.moose/clickhouse`, database `local`) in a
   * separate process; returns the rows of the last one (JSONEachRow, 64-bit integers as strings).
   */
  async sql<T = Record<string, unknown>>(...statements: string[]): Promise<T[]> {
    const result = await run(process.execPath, [CHDB_SQL, path.join(this.dir, ".moose", "clickhouse"), "local", ...statements], {
      cwd: REPO_ROOT,
      env: process.env,
    });
    if (result.code !== 0) throw new Error(`SQL failed (${result.code}): ${statements.join("; ")}\n${result.stderr}`);
    return result.stdout
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as T);
  }

  async columns(table: string): Promise<Record<string, string>> {
    const rows = await this.sql<{ name: string; type: string }>(
      `SELECT name, type FROM system.columns WHERE database = 'local' AND table = '${table}' ORDER BY position`,
    );
    return Object.fromEntries(rows.map((row) => [row.name, row.type]));
  }

  async tables(): Promise<string[]> {
    const rows = await this.sql<{ name: string }>("SELECT name FROM system.tables WHERE database = 'local' AND name NOT LIKE '\\_moose%' ORDER BY name");
    return rows.map((row) => row.name);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Everything the process prints, and a way to wait for a line. */
export class Output {
  text = "";

  constructor(readonly child: ChildProcess) {
    child.stdout?.on("data", (chunk: Buffer) => (this.text += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (this.text += chunk.toString()));
  }

  /** Waits until `pattern` appears in what was printed after offset `from` (default: everything). */
  async waitFor(pattern: RegExp, from = 0, timeoutMs = 90_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.text.slice(from).match(pattern);
      if (match) return match;
      if (this.child.exitCode !== null) throw new Error(`the process exited (${this.child.exitCode}) before ${pattern} appeared:\n${this.text}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in:\n${this.text}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGTERM, then the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once("exit", (code) => resolve(code)));
    this.child.kill("SIGTERM");
    return exited;
  }
}

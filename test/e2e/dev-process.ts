/**
 * Helpers for the `moose dev` end-to-end tests: a temp copy of examples/quickstart, the built CLI
 * (`npm run build` first; scripts/test-all does) running `moose dev` on it, and a ClickHouse client
 * on its HTTP endpoint.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { freePort } from "../helpers/kafka.js";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
export const MOOSE_BIN = path.join(REPO_ROOT, "bin", "moose.js");
/** Start-up type-checks the app from scratch: give it room on a busy machine. */
export const READY_TIMEOUT_MS = 90_000;
export const RELOAD_TIMEOUT_MS = 30_000;
/** For a test that starts (or restarts) dev: room for the start plus a few reloads. */
export const DEV_TEST_TIMEOUT_MS = 2 * READY_TIMEOUT_MS;

export interface TestProject {
  dir: string;
  read(file: string): Promise<string>;
  write(file: string, text: string): Promise<void>;
  /** Replaces `from` by `to` in the file (which must contain it). */
  edit(file: string, from: string, to: string): Promise<void>;
  remove(): void;
}

/** A temp copy of examples/quickstart; node_modules links to the repo's (the app's tsconfig needs @types/node). */
export function copyQuickstart(): TestProject {
  if (!existsSync(path.join(REPO_ROOT, "dist", "cli", "index.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  const dir = mkdtempSync(path.join(tmpdir(), "moose-dev-e2e-"));
  cpSync(path.join(REPO_ROOT, "examples", "quickstart"), dir, {
    recursive: true,
    filter: (source) => !/[/\\](node_modules|\.moose|migrations)([/\\]|$)/.test(path.relative(path.join(REPO_ROOT, "examples"), source)),
  });
  symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
  return projectIn(dir);
}

/** The project in `dir`; `remove` deletes `root` (the folder the test made around it, or `dir` itself). */
export function projectIn(dir: string, root = dir): TestProject {
  return {
    dir,
    read: (file) => readFile(path.join(dir, file), "utf8"),
    write: (file, text) => writeFile(path.join(dir, file), text),
    async edit(file, from, to) {
      const text = await readFile(path.join(dir, file), "utf8");
      if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}:\n${text}`);
      await writeFile(path.join(dir, file), text.replace(from, to));
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

export interface DevPorts {
  clickhouse: number;
  api: number;
}

export async function freePorts(): Promise<DevPorts> {
  return { clickhouse: await freePort(), api: await freePort() };
}

/** A running `moose dev`: everything it printed (stdout + stderr interleaved) and ways to wait on it. */
export class DevProcess {
  readonly child: ChildProcess;
  output = "";
  private readonly exit: Promise<number | null>;

  /** `cwd`: where it is started (another folder than the project's needs `--dir` in `args`). */
  constructor(project: TestProject, env: NodeJS.ProcessEnv, args: string[] = [], cwd = project.dir) {
    // No MOOSE_* from the developer's shell: only what the test sets.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("MOOSE_")));
    this.child = spawn(process.execPath, [MOOSE_BIN, "dev", ...args], {
      cwd,
      env: { ...inherited, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout!.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr!.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.exit = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
  }

  /** A mark in the output: `waitFor(pattern, mark)` only looks at what was printed after it. */
  mark(): number {
    return this.output.length;
  }

  since(mark: number): string {
    return this.output.slice(mark);
  }

  async waitFor(pattern: RegExp, mark = 0, timeoutMs = RELOAD_TIMEOUT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = this.since(mark);
      if (pattern.test(seen)) return seen;
      if (this.child.exitCode !== null) throw new Error(`moose dev exited (${this.child.exitCode}) before ${pattern} appeared:\n${seen}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in:\n${seen}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  ready(): Promise<string> {
    return this.waitFor(/moose dev ready in \d+ ms/, 0, READY_TIMEOUT_MS);
  }

  /** The next reload's summary line after `mark` (a success, a failed apply or a failed build). */
  nextReload(mark: number): Promise<string> {
    return this.waitFor(/(✓|✖) reload (in|failed after) \d+ ms/, mark);
  }

  /** Ctrl-C; resolves with the exit code. */
  async stop(signal: NodeJS.Signals = "SIGINT"): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal);
    return this.exit;
  }

  exited(): Promise<number | null> {
    return this.exit;
  }
}

export function devEnv(ports: DevPorts, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    MOOSE_CLICKHOUSE_CONFIG__HOST_PORT: String(ports.clickhouse),
    MOOSE_HTTP_SERVER_CONFIG__PORT: String(ports.api),
    ...extra,
  };
}

/** A client of dev's ClickHouse HTTP endpoint, with the quickstart's credentials. */
export function clickhouse(ports: DevPorts): ClickHouseClient {
  return createClient({ url: `http://127.0.0.1:${ports.clickhouse}`, username: "panda", password: "pandapass", database: "local" });
}

export async function rows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const result = await client.query({ query, query_params: params, format: "JSONEachRow" });
  return (await result.json()) as T[];
}

/** `name → type` of a table's columns, as ClickHouse reports them. */
export async function columnsOf(client: ClickHouseClient, table: string): Promise<Record<string, string>> {
  const found = await rows<{ name: string; type: string }>(
    client,
    "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {table:String} ORDER BY position",
    { table },
  );
  return Object.fromEntries(found.map((column) => [column.name, column.type]));
}

export async function tableNames(client: ClickHouseClient): Promise<string[]> {
  const found = await rows<{ name: string }>(client, "SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name");
  return found.map((table) => table.name);
}

/**
 * One meaning per flag, for every command: `--dir` (default: the working directory) is the project;
 * the migrations directory is `--migrations-dir`, else `[migration_config] dir`, else `migrations`.
 * And one way to open a project's database: `--clickhouse-url`, `--embedded`, or the configured
 * server — where the embedded engine is reached through a running `moose dev` when one holds it.
 */
import path from "node:path";
import { Option, type Command } from "commander";
import type { Config } from "../config/types.js";
import { ExitCode, isMooseError, MooseError } from "../errors.js";
import type { RunningInstance } from "../dev/running.js";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import { setTypeScriptProject } from "../extract/typescript-project.js";

export const PROJECT_DIR_FLAG = ["--dir <path>", "project directory (the one with moose.config.toml)", "."] as const;
export const MIGRATIONS_DIR_FLAG = ["--migrations-dir <path>", "migrations directory, relative to the project (default: [migration_config] dir, else migrations)"] as const;

export function withProjectDir<C extends Command>(command: C): C {
  return command.option(...PROJECT_DIR_FLAG) as C;
}

export function withMigrationsDir<C extends Command>(command: C): C {
  return command.option(...PROJECT_DIR_FLAG).option(...MIGRATIONS_DIR_FLAG) as C;
}

/** `--clickhouse-url <url>` (and MooseStack's name for it, `--connection-string`, hidden): another ClickHouse to read. */
export function withClickHouseUrl<C extends Command>(command: C, what: string): C {
  return command
    .option("--clickhouse-url <url>", `${what}: http(s)://user:password@host:port/database`)
    .addOption(new Option("--connection-string <url>", "the same as --clickhouse-url").hideHelp()) as C;
}

export interface ClickHouseUrlFlags {
  clickhouseUrl?: string;
  connectionString?: string;
}

/** The URL `withClickHouseUrl` read; `code` and `missing` say what lacks one (a usage error). */
export function clickHouseUrlOf(flags: ClickHouseUrlFlags, code: string, missing: string): string {
  const url = flags.clickhouseUrl ?? flags.connectionString;
  if (url !== undefined) return url;
  throw new MooseError(code, missing, {
    hint: "pass it with --clickhouse-url http(s)://user:password@host:port/database",
    exitCode: ExitCode.usage,
  });
}

export interface ProjectFlags {
  dir: string;
  migrationsDir?: string;
}

export function projectDirOf(flags: { dir?: string }): string {
  const projectDir = path.resolve(flags.dir ?? ".");
  // Extraction compiles with the project's own TypeScript when it has one (src/extract/typescript.ts).
  setTypeScriptProject(projectDir);
  return projectDir;
}

/** The migrations directory, relative to the project. */
export function migrationsDirOf(flags: { migrationsDir?: string }, config: Config): string {
  return flags.migrationsDir ?? config.migration_config.dir;
}

export async function loadProjectConfig(projectDir: string): Promise<Config> {
  const { loadConfig } = await import("../config/load.js");
  return loadConfig(projectDir);
}

/** Where a notice goes (stderr: stdout stays the command's output, JSON included). */
const notice = (line: string) => process.stderr.write(`${line}\n`);

/**
 * The project's embedded engine: opened directly, or, while a `moose dev` or `moose prod --embedded` holds
 * `.moose/clickhouse`, through that process's ClickHouse HTTP interface (said in one line).
 */
export async function openLocalDatabase(projectDir: string, config: Config): Promise<ClickHouseDriver> {
  const { findRunning } = await import("../dev/running.js");
  const running = findRunning(projectDir);
  if (running) {
    const through = await throughRunning(running, config);
    if (through) return through;
  }
  const { openEmbedded } = await import("../infra/clickhouse/embedded.js");
  try {
    return await openEmbedded({ dataDir: path.join(projectDir, ".moose", "clickhouse"), database: config.clickhouse_config.db_name });
  } catch (error) {
    if (!isMooseError(error) || error.code !== "CLICKHOUSE_DATA_DIR_LOCKED") throw error;
    // Started between our look and the open: look again.
    const late = findRunning(projectDir);
    const through = late ? await throughRunning(late, config) : undefined;
    if (through) return through;
    throw new MooseError(error.code, error.message, {
      hint: `${error.hint ?? ""} (A running \`moose dev\` or \`moose prod --embedded\` of this project is reached through its ClickHouse HTTP interface automatically; this holder left no .moose/running.json.)`.trim(),
      details: error.details,
      cause: error,
    });
  }
}

/**
 * The local database for a command that changes its rows (`moose seed`, `moose truncate`): the
 * embedded engine or the running `moose dev`'s, never a running `moose prod --embedded`'s, whose data
 * is production's.
 */
export async function openDevDatabase(projectDir: string, config: Config, command: string): Promise<ClickHouseDriver> {
  const { findRunning } = await import("../dev/running.js");
  const running = findRunning(projectDir);
  if (running?.kind === "prod") {
    throw new MooseError("LOCAL_DATABASE_IN_PRODUCTION", `${command} changes rows of the local database, and \`moose prod --embedded\` (pid ${running.pid}) is serving it`, {
      hint: "this command is for a development database: stop moose prod first, or run it on a copy of the project",
    });
  }
  return openLocalDatabase(projectDir, config);
}

/** The running process's endpoint, or undefined when it does not answer (a stale file whose pid was reused). */
async function throughRunning(running: RunningInstance, config: Config): Promise<ClickHouseDriver | undefined> {
  const { openRemote } = await import("../infra/clickhouse/remote.js");
  const url = new URL(running.clickhouseUrl);
  const { user, password } = running.credentials ?? config.clickhouse_config;
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(password);
  url.pathname = `/${encodeURIComponent(running.database)}`;
  let driver: ClickHouseDriver | undefined;
  try {
    driver = await openRemote({ url: url.toString() });
    await driver.query("SELECT 1");
  } catch (error) {
    await driver?.close();
    if (isMooseError(error) && error.code === "CLICKHOUSE_UNREACHABLE") return undefined;
    throw error;
  }
  notice(`moose: .moose/clickhouse is held by the running moose ${running.kind === "prod" ? "prod --embedded" : "dev"} (pid ${running.pid}); going through its ClickHouse HTTP interface at ${running.clickhouseUrl}`);
  return driver;
}

/** The database a command targets: `--clickhouse-url`, `--embedded` (see openLocalDatabase), or [clickhouse_config]. */
export async function openTargetDatabase(flags: { clickhouseUrl?: string; embedded?: boolean }, projectDir: string, config: Config): Promise<ClickHouseDriver> {
  if (flags.embedded && flags.clickhouseUrl) {
    throw new MooseError("USAGE", "pass either --embedded or --clickhouse-url, not both", { exitCode: ExitCode.usage });
  }
  if (flags.embedded) return openLocalDatabase(projectDir, config);
  const { openRemote } = await import("../infra/clickhouse/remote.js");
  return openRemote(flags.clickhouseUrl ? { url: flags.clickhouseUrl } : { config: config.clickhouse_config });
}

/** The database an inspecting command reads (`ls`, `query`, `peek`): `--clickhouse-url`, else the local embedded engine. */
export async function openInspectedDatabase(flags: { clickhouseUrl?: string }, projectDir: string, config: Config): Promise<ClickHouseDriver> {
  return openTargetDatabase({ clickhouseUrl: flags.clickhouseUrl, embedded: flags.clickhouseUrl === undefined }, projectDir, config);
}

/** A count of rows a flag gives (`--limit <n>`, `--rows <n>`): a whole number, 1 or more (usage error otherwise). */
export function parseLimit(text: string, flag = "--limit"): number {
  const limit = Number(text);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new MooseError("INVALID_LIMIT", `${flag} must be a whole number, 1 or more (got ${JSON.stringify(text)})`, { exitCode: ExitCode.usage });
  return limit;
}

/** The value of a flag MooseStack spells `--flag=true|false` (`--report=false`). */
export function parseBooleanFlag(flag: string, text: string): boolean {
  if (text === "true") return true;
  if (text === "false") return false;
  throw new MooseError("USAGE", `${flag} takes true or false (got ${JSON.stringify(text)})`, { exitCode: ExitCode.usage });
}

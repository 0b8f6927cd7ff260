/**
 * `moose query` and `moose peek`, as MooseStack's CLI has them: a statement's rows, or a few rows of
 * one of the code's tables or views, as JSON lines, from the local database (the embedded engine, or
 * the running `moose dev`'s) or --clickhouse-url. Both only read: ClickHouse runs them under
 * `readonly = 2` and refuses any write itself; tables change through the code and migrations.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { ExitCode, MooseError } from "../../errors.js";
import { clickHouseCodeOf, READONLY } from "../../infra/clickhouse/errors.js";
import { quoteIdentifier } from "../../infra/clickhouse/quote.js";
import { action } from "../action.js";
import { loadProjectConfig, openInspectedDatabase, projectDirOf, withProjectDir } from "../project.js";

interface ReadFlags {
  dir?: string;
  limit: string;
  clickhouseUrl?: string;
}

interface QueryFlags extends ReadFlags {
  file?: string;
}

export function register(program: Command): void {
  withProjectDir(program.command("query [sql]"))
    .description("Run a SQL statement that reads (no writes) against the local database and print its rows as JSON lines")
    .option("-f, --file <path>", "read the statement from this file (without [sql] or --file: from stdin)")
    .option("-l, --limit <n>", "print at most this many rows", "10000")
    .option("--clickhouse-url <url>", "run it on this ClickHouse server instead of the local embedded engine (.moose/clickhouse, or the running moose dev's)")
    .action(
      action(async (sql: string | undefined, flags: QueryFlags) => {
        const projectDir = projectDirOf(flags);
        const limit = parseLimit(flags.limit);
        const statement = sql ?? (flags.file !== undefined ? readStatementFile(path.resolve(flags.file)) : process.stdin.isTTY ? "" : readFileSync(0, "utf8"));
        if (statement.trim() === "") throw new MooseError("QUERY_EMPTY", "no SQL statement given", { hint: 'pass it as an argument (`moose query "SELECT …"`), with --file, or on stdin', exitCode: ExitCode.usage });
        printRows(await readRows(projectDir, flags, statement, limit));
        return ExitCode.ok;
      }),
    );

  withProjectDir(program.command("peek <name>"))
    .description("Print a few rows of one of the code's tables or views as JSON lines")
    .option("-l, --limit <n>", "how many rows", "5")
    .option("--clickhouse-url <url>", "read them from this ClickHouse server instead of the local embedded engine (.moose/clickhouse, or the running moose dev's)")
    .action(
      action(async (name: string, flags: ReadFlags) => {
        const projectDir = projectDirOf(flags);
        const limit = parseLimit(flags.limit);
        const { extractManifest } = await import("../../extract/index.js");
        const code = await extractManifest({ projectDir });
        const known = [...Object.keys(code.tables), ...Object.keys(code.views)];
        if (!known.includes(name)) {
          throw new MooseError("PEEK_UNKNOWN_NAME", `the code has no table or view named ${JSON.stringify(name)}`, {
            hint: known.length > 0 ? `its tables and views: ${known.sort().join(", ")}` : "the code defines no table or view",
          });
        }
        printRows(await readRows(projectDir, flags, `SELECT * FROM ${quoteIdentifier(name)} LIMIT ${limit}`, limit));
        return ExitCode.ok;
      }),
    );
}

function parseLimit(text: string): number {
  const limit = Number(text);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new MooseError("INVALID_LIMIT", `--limit must be a whole number of rows, 1 or more (got ${JSON.stringify(text)})`, { exitCode: ExitCode.usage });
  return limit;
}

function readStatementFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new MooseError("QUERY_FILE_UNREADABLE", `cannot read ${file}: ${(error as Error).message}`, { hint: "check the path given to --file (relative to the working directory)", cause: error });
  }
}

async function readRows(projectDir: string, flags: ReadFlags, statement: string, limit: number): Promise<Record<string, unknown>[]> {
  const driver = await openInspectedDatabase(flags, projectDir, await loadProjectConfig(projectDir));
  try {
    // ClickHouse stops reading at the limit (at a block's end: the rows are cut again below); readonly = 2 still lets these settings be set.
    return (await driver.query(statement, undefined, { max_result_rows: String(limit), result_overflow_mode: "break", readonly: "2" })).slice(0, limit);
  } catch (error) {
    if (clickHouseCodeOf(error) !== READONLY) throw error;
    throw new MooseError("QUERY_WRITES", "moose query only reads: ClickHouse refused the statement as a write", {
      hint: "change tables through the code and `moose migrate` (or `moose dev`), and data through the ingest APIs",
      cause: error,
    });
  } finally {
    await driver.close();
  }
}

function printRows(rows: Record<string, unknown>[]): void {
  process.stdout.write(rows.map((row) => `${JSON.stringify(row)}\n`).join(""));
}

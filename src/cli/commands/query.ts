/**
 * `moose query` and `moose peek`, as MooseStack's CLI has them: a statement's rows, or a few rows of
 * one of the code's tables or views, as JSON lines, from the local database (the embedded engine, or
 * the running `moose dev`'s) or --clickhouse-url; or the newest records of a stream's topic. Both
 * only read: ClickHouse runs them under `readonly = 2` and refuses any write itself; tables change
 * through the code and migrations, and a peek at a topic commits no offset.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Command, Option } from "commander";
import type { Config } from "../../config/types.js";
import { ExitCode, MooseError } from "../../errors.js";
import { clickHouseCodeOf, READONLY } from "../../infra/clickhouse/errors.js";
import { quoteIdentifier } from "../../infra/clickhouse/quote.js";
import { action } from "../action.js";
import { codeLiteral, parseCodeLanguage } from "../code-literal.js";
import { loadProjectConfig, openInspectedDatabase, parseLimit, projectDirOf, withProjectDir } from "../project.js";

interface ReadFlags {
  dir?: string;
  limit: string;
  clickhouseUrl?: string;
}

interface QueryFlags extends ReadFlags {
  file?: string;
  formatQuery?: string;
  prettify?: boolean;
}

interface PeekFlags extends ReadFlags {
  table?: boolean;
  stream?: boolean;
  file?: string;
}

export function register(program: Command): void {
  withProjectDir(program.command("query [sql]"))
    .description("Run a SQL statement that reads (no writes) against the local database and print its rows as JSON lines")
    .option("-f, --file <path>", "read the statement from this file (without [sql] or --file: from stdin)")
    .option("-l, --limit <n>", "print at most this many rows", "10000")
    .option("--clickhouse-url <url>", "run it on this ClickHouse server instead of the local embedded engine (.moose/clickhouse, or the running moose dev's)")
    .option("-c, --format-query <language>", "print the statement as a code literal for python or typescript instead of running it")
    .option("-p, --prettify", "with --format-query: lay the statement out over lines as ClickHouse formats it")
    .action(
      action(async (sql: string | undefined, flags: QueryFlags) => {
        const projectDir = projectDirOf(flags);
        const limit = parseLimit(flags.limit);
        const language = flags.formatQuery === undefined ? undefined : parseCodeLanguage(flags.formatQuery);
        if (flags.prettify && language === undefined) throw new MooseError("USAGE", "--prettify goes with --format-query", { exitCode: ExitCode.usage });
        const statement = sql ?? (flags.file !== undefined ? readStatementFile(path.resolve(flags.file)) : process.stdin.isTTY ? "" : readFileSync(0, "utf8"));
        if (statement.trim() === "") throw new MooseError("QUERY_EMPTY", "no SQL statement given", { hint: 'pass it as an argument (`moose query "SELECT …"`), with --file, or on stdin', exitCode: ExitCode.usage });
        if (language !== undefined) {
          process.stdout.write(`${codeLiteral(flags.prettify ? await prettified(statement) : statement, language)}\n`);
          return ExitCode.ok;
        }
        printRows(await readRows(projectDir, await loadProjectConfig(projectDir), flags, statement, limit));
        return ExitCode.ok;
      }),
    );

  withProjectDir(program.command("peek <name>"))
    .description("Print the newest records of one of the code's tables, views or streams as JSON lines")
    .option("-l, --limit <n>", "how many rows or records", "5")
    .addOption(new Option("-t, --table", "read the table or view of that name (the default when a stream has it too)").conflicts("stream"))
    .option("-s, --stream", "read the newest records of the stream's topic on the broker")
    .option("-f, --file <path>", "write the JSON lines to this file instead of the terminal")
    .option("--clickhouse-url <url>", "read a table from this ClickHouse server instead of the local embedded engine (.moose/clickhouse, or the running moose dev's)")
    .action(
      action(async (name: string, flags: PeekFlags) => {
        const projectDir = projectDirOf(flags);
        const limit = parseLimit(flags.limit);
        const config = await loadProjectConfig(projectDir);
        if (flags.stream === true && !config.features.streaming_engine) {
          throw new MooseError("PEEK_STREAMING_OFF", "streaming is off for this project: its streams have no topics to read", {
            config: { key: "features.streaming_engine" },
            hint: "turn it on with `[features] streaming_engine = true` in moose.config.toml, or peek the stream's table",
          });
        }
        const { extractManifest } = await import("../../extract/index.js");
        const code = await extractManifest({ projectDir });
        const tables = [...Object.keys(code.tables), ...Object.keys(code.views)];
        const streams = Object.keys(code.streams);
        const readStream = flags.stream === true || (flags.table !== true && !tables.includes(name) && streams.includes(name));
        if (readStream && flags.clickhouseUrl !== undefined) throw new MooseError("USAGE", `${name} is read from its stream's topic: --clickhouse-url names a ClickHouse, and reads tables only`, { exitCode: ExitCode.usage });
        const known = readStream ? streams : flags.table === true ? tables : [...tables, ...streams];
        if (!known.includes(name)) {
          const kind = readStream ? "stream" : flags.table === true ? "table or view" : "table, view or stream";
          throw new MooseError("PEEK_UNKNOWN_NAME", `the code has no ${kind} named ${JSON.stringify(name)}`, {
            hint: known.length > 0 ? `its names: ${[...new Set(known)].sort().join(", ")}` : `the code defines no ${kind}`,
          });
        }
        const rows = readStream
          ? await readStreamRecords(config, code.streams[name]!.name, limit)
          : await readRows(projectDir, config, flags, `SELECT * FROM ${quoteIdentifier(name)} LIMIT ${limit}`, limit);
        if (flags.file === undefined) printRows(rows);
        else {
          const file = path.resolve(flags.file);
          writeFileSync(file, jsonLines(rows));
          process.stderr.write(`wrote ${rows.length} ${readStream ? "records" : "rows"} of ${name} to ${file}\n`);
        }
        return ExitCode.ok;
      }),
    );
}

/** Records read from a topic at most: they are held in memory to pick the newest. */
const MAX_PEEKED_RECORDS = 100_000;

/** The values of the newest records of a stream's topic (the project's namespace applied). */
async function readStreamRecords(config: Config, streamName: string, limit: number): Promise<unknown[]> {
  if (limit > MAX_PEEKED_RECORDS) throw new MooseError("INVALID_LIMIT", `--limit for a stream is at most ${MAX_PEEKED_RECORDS} records (got ${limit})`, { exitCode: ExitCode.usage });
  const [{ peekTopic }, { brokerTopicName }] = await Promise.all([import("../../infra/kafka/peek.js"), import("../../infra/kafka/topics.js")]);
  const { records, unfinished } = await peekTopic(config.redpanda_config, brokerTopicName(config.redpanda_config.namespace, streamName), limit);
  if (unfinished.length > 0) {
    process.stderr.write(`warning: partitions ${unfinished.join(", ")} of ${streamName}'s topic were not read to their end in 15 s (a slow broker, or a partition without a leader): the records below are the newest of what was read\n`);
  }
  return records.map((record) => record.value);
}


/** The statement as ClickHouse's parser lays it out; a statement it does not read is a usage error naming why. */
async function prettified(statement: string): Promise<string> {
  const { prettyStatement, SqlParseError } = await import("../../infra/clickhouse/parser.js");
  try {
    return await prettyStatement(statement);
  } catch (error) {
    if (!(error instanceof SqlParseError)) throw error;
    throw new MooseError("QUERY_UNPARSABLE", `ClickHouse's parser does not read the statement: ${error.message}`, { exitCode: ExitCode.usage, cause: error });
  }
}

function readStatementFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new MooseError("QUERY_FILE_UNREADABLE", `cannot read ${file}: ${(error as Error).message}`, { hint: "check the path given to --file (relative to the working directory)", cause: error });
  }
}

async function readRows(projectDir: string, config: Config, flags: ReadFlags, statement: string, limit: number): Promise<Record<string, unknown>[]> {
  const driver = await openInspectedDatabase(flags, projectDir, config);
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

function printRows(rows: unknown[]): void {
  process.stdout.write(jsonLines(rows));
}

function jsonLines(rows: unknown[]): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join("");
}

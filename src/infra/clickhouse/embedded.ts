/**
 * The embedded driver: ClickHouse in this process (npm `chdb`), data in `<project>/.moose/clickhouse`.
 *
 * chdb binds ONE data directory per process: ./data-dir.ts guards it (in this process and against
 * others). All queries use chdb's async API, so the event loop keeps serving (HTTP endpoint, file
 * watcher) while a query runs.
 */
import { closeSync, openSync } from "node:fs";
import path from "node:path";
import { isatty } from "node:tty";
import { Session, drainPending, type ChdbResult } from "chdb";
import { MooseError } from "../../errors.js";
import { bindDirectory, unbindDirectory } from "./data-dir.js";
import type { ClickHouseDriver, CompactRows, InsertOptions, QueryParams } from "./driver.js";
import { clickHouseQueryError } from "./errors.js";
import { introspectDatabase } from "./introspect.js";
import type { RawClickHouseDriver, RawQueryOptions, RawQueryResult } from "./raw.js";
import { quoteIdentifier, quoteString } from "./quote.js";
import { parseJsonCompact, parseJsonEachRow, toJsonEachRow } from "./rows.js";
import { bindTextParams } from "./text-params.js";

export { LOCK_FILE } from "./data-dir.js";

export interface EmbeddedOptions {
  /** Data directory, normally `<project>/.moose/clickhouse`. Created if missing. */
  dataDir: string;
  /** Database every statement runs in; created on first use. */
  database: string;
}

/** Settings every driver session runs with: results the driver contract promises. */
const SESSION_SETTINGS = [
  "SET output_format_json_quote_64bit_integers = 1",
  // ALTERs that rewrite data (MODIFY COLUMN, UPDATE) finish before the statement returns.
  "SET mutations_sync = 2",
];

interface ChdbError {
  message?: string;
  clickhouseCode?: number;
}

function queryError(error: unknown, sql: string): MooseError {
  const chdbError = error as ChdbError;
  return clickHouseQueryError(String(chdbError?.message ?? error), sql, chdbError?.clickhouseCode, error);
}

/** `SET name = 'value'`: a string literal is accepted for every setting type (ClickHouse parses it). */
function setStatement(name: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`Invalid setting name ${JSON.stringify(name)}`);
  return `SET ${name} = ${quoteString(value)}`;
}

/**
 * Sessions of queryCompact, whose rows reach Python: a decimal comes as its digits (a JSON number is
 * a double on the way, and Decimal128 holds 38 digits). Kept apart so `query`'s rows keep decimals as
 * numbers, as @clickhouse/client gives them to TypeScript handlers.
 */
const EXACT_DECIMALS_SETTINGS = [...SESSION_SETTINGS, "SET output_format_json_quote_decimals = 1"];

type SessionKind = "plain" | "exactDecimals";

/** Opens a session on `dataDir` with `database` current and the driver's settings applied. */
async function openSession(dataDir: string, database: string, kind: SessionKind = "plain"): Promise<Session> {
  const session = new Session(dataDir);
  try {
    await session.queryAsync(`USE ${quoteIdentifier(database)}`);
    for (const statement of kind === "plain" ? SESSION_SETTINGS : EXACT_DECIMALS_SETTINGS) await session.queryAsync(statement);
    return session;
  } catch (error) {
    session.close();
    throw error;
  }
}

/**
 * chdb runs statements through ClickHouse's client code, which takes a standard input that is not a
 * terminal as more data for any INSERT with inline data: with a pipe from a script, xargs, ssh or a
 * CI runner the insert fails ("both inlined and external data") or gets the pipe's bytes as rows,
 * and `FROM INFILE stdin` / `input()` read it too. chdb has no setting for this, so before the
 * engine starts this process's fd 0 becomes /dev/null: fd 0 is closed and /dev/null, opened next,
 * takes the lowest free number. moose-ts reads standard input only when it is a terminal (prompts).
 */
let stdinDetached = false;

function detachStdinFromEngine(): void {
  if (stdinDetached || isatty(0)) return;
  stdinDetached = true;
  try {
    closeSync(0);
  } catch {
    // already closed (`moose … <&-`): fd 0 is free for /dev/null
  }
  const fd = openSync("/dev/null", "r");
  if (fd !== 0) closeSync(fd);
}

/** Drivers open in this process: chdb refuses its standalone `query()` while any session is open, so the SQL parser borrows one. */
const openDrivers = new Set<EmbeddedDriver>();

export function openEmbeddedDriver(): ClickHouseDriver | undefined {
  return openDrivers.values().next().value;
}

/**
 * The longest result read into the process as text (rows for the app, a consumption API, moose's
 * own reads). Decoding one as a single string fails past ≈ 512 MB, and past 2 GiB aborts the whole
 * process inside V8 (a `moose dev` that then hangs); its rows would take several times as much heap.
 */
const MAX_RESULT_BYTES = 128 * 1024 * 1024;

function resultText(result: ChdbResult): string {
  const size = result.bytes().byteLength;
  if (size > MAX_RESULT_BYTES) {
    throw new MooseError("CLICKHOUSE_RESULT_TOO_LARGE", `the query's result is ${Math.ceil(size / 2 ** 20)} MB; at most ${MAX_RESULT_BYTES / 2 ** 20} MB is read into the process`, {
      hint: "add a LIMIT, or select fewer rows or columns; for a large export, query the ClickHouse HTTP endpoint of `moose dev`, which hands the result over as bytes",
      details: { bytes: size, maxBytes: MAX_RESULT_BYTES },
    });
  }
  return result.text();
}

/** Idle sessions kept for reuse; more are opened while that many statements run at once. */
const IDLE_SESSIONS = 4;

/**
 * chdb runs one statement at a time per session, so the driver keeps a small pool: a progress
 * query can run beside a long INSERT … SELECT, and concurrent callers do not queue behind each other.
 */
class EmbeddedDriver implements RawClickHouseDriver {
  readonly kind = "embedded" as const;
  private closed = false;
  private readonly idle: Record<SessionKind, Session[]>;
  private readonly sessions = new Set<Session>();

  constructor(
    readonly database: string,
    readonly dataDir: string,
    first: Session,
  ) {
    this.idle = { plain: [first], exactDecimals: [] };
    this.sessions.add(first);
    openDrivers.add(this);
  }

  private ensureOpen(): void {
    if (this.closed) {
      throw new MooseError("CLICKHOUSE_DRIVER_CLOSED", "The embedded ClickHouse driver was used after close().", {
        hint: "This is a bug in the caller: keep the driver open until the last statement finished.",
      });
    }
  }

  private async withSession<T>(use: (session: Session) => Promise<T>, kind: SessionKind = "plain"): Promise<T> {
    this.ensureOpen();
    const idle = this.idle[kind];
    let session = idle.pop();
    if (!session) {
      session = await openSession(this.dataDir, this.database, kind);
      this.sessions.add(session);
    }
    try {
      return await use(session);
    } finally {
      if (this.closed || idle.length >= IDLE_SESSIONS) {
        session.close();
        this.sessions.delete(session);
      } else idle.push(session);
    }
  }

  private async run(sql: string, format: string, params?: QueryParams, kind: SessionKind = "plain"): Promise<string> {
    try {
      return await this.withSession(async (session) => {
        const result =
          params && Object.keys(params).length > 0
            ? await session.queryBindAsync(sql, params, { format })
            : await session.queryAsync(sql, { format });
        return resultText(result);
      }, kind);
    } catch (error) {
      if (error instanceof MooseError) throw error;
      throw queryError(error, sql);
    }
  }

  async exec(sql: string, params?: QueryParams): Promise<void> {
    await this.run(sql, "TabSeparated", params);
  }

  async query<T = Record<string, unknown>>(sql: string, params?: QueryParams, settings?: Record<string, string>): Promise<T[]> {
    if (settings === undefined || Object.keys(settings).length === 0) return parseJsonEachRow<T>(await this.run(sql, "JSONEachRow", params));
    // A session of its own, so the statement's settings never reach the pool's sessions.
    this.ensureOpen();
    let session: Session | undefined;
    try {
      session = await openSession(this.dataDir, this.database);
      for (const [name, value] of Object.entries(settings)) await session.queryAsync(setStatement(name, value));
      const result = params && Object.keys(params).length > 0 ? await session.queryBindAsync(sql, params, { format: "JSONEachRow" }) : await session.queryAsync(sql, { format: "JSONEachRow" });
      return parseJsonEachRow<T>(resultText(result));
    } catch (error) {
      if (error instanceof MooseError) throw error;
      throw queryError(error, sql);
    } finally {
      session?.close();
    }
  }

  async queryCompact(sql: string, params?: QueryParams): Promise<CompactRows> {
    return parseJsonCompact(await this.run(sql, "JSONCompact", params, "exactDecimals"));
  }

  async insert(table: string, rows: Record<string, unknown>[], options: InsertOptions = {}): Promise<void> {
    if (rows.length === 0) return;
    const token = options.deduplicationToken === undefined ? "" : `, insert_deduplication_token = ${quoteString(options.deduplicationToken)}`;
    await this.run(`INSERT INTO ${quoteIdentifier(table)} SETTINGS date_time_input_format = 'best_effort'${token} FORMAT JSONEachRow\n${toJsonEachRow(rows)}`, "TabSeparated");
  }

  async introspect() {
    return introspectDatabase((sql, params) => this.query(sql, params), this.database);
  }

  /**
   * Runs one statement for the HTTP endpoint on a short-lived session of its own, so the client's
   * database and settings never leak into the driver's sessions. `INSERT … FORMAT X` takes its data
   * appended to the SQL text, as ClickHouse parses inline data.
   */
  async raw(sql: string, options: RawQueryOptions = {}): Promise<RawQueryResult> {
    this.ensureOpen();
    const session = new Session(this.dataDir);
    try {
      await session.queryAsync(`USE ${quoteIdentifier(options.database ?? this.database)}`);
      // A ClickHouse server's default, which clients expect (chdb's differs).
      await session.queryAsync("SET output_format_json_quote_64bit_integers = 1");
      for (const [name, value] of Object.entries(options.settings ?? {})) {
        await session.queryAsync(setStatement(name, value));
      }
      const format = options.format ?? "TabSeparated";
      const bound = options.textParams && Object.keys(options.textParams).length > 0 ? bindTextParams(sql, options.textParams) : undefined;
      const result = bound
        ? await session.queryBindAsync(bound.sql, bound.params, { format })
        : await session.queryAsync(sql, { format });
      return { body: result.bytes(), rowsRead: result.rowsRead, bytesRead: result.bytesRead, elapsedSeconds: result.elapsed };
    } catch (error) {
      throw queryError(error, sql);
    } finally {
      session.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    openDrivers.delete(this);
    // chdb defers tearing down a session until the statements running on it finish.
    for (const session of this.sessions) session.close();
    this.sessions.clear();
    this.idle.plain.length = 0;
    this.idle.exactDecimals.length = 0;
    // The directory is free for another open only once chdb has finished every native operation.
    await drainPending();
    await unbindDirectory(this.dataDir);
  }
}

export async function openEmbedded(options: EmbeddedOptions): Promise<RawClickHouseDriver & { readonly dataDir: string }> {
  if (!options.database) {
    throw new MooseError("CLICKHOUSE_NO_DATABASE", "No database name given for the embedded ClickHouse.", {
      config: { key: "clickhouse_config.db_name" },
      hint: 'Set clickhouse_config.db_name in moose.config.toml (default "local").',
    });
  }
  const dataDir = path.resolve(options.dataDir);
  detachStdinFromEngine();
  bindDirectory(dataDir);
  let session: Session;
  try {
    const bootstrap = new Session(dataDir);
    try {
      await bootstrap.queryAsync(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(options.database)}`);
      // Opened before the bootstrap session closes: closing chdb's last session stops the engine,
      // and starting it again reloads every table (≈ 0.15 s at 200 tables).
      session = await openSession(dataDir, options.database);
    } finally {
      bootstrap.close();
    }
  } catch (error) {
    await unbindDirectory(dataDir);
    throw new MooseError("CLICKHOUSE_EMBEDDED_OPEN_FAILED", `Could not open the local ClickHouse data in ${dataDir}: ${(error as Error).message}`, {
      hint: `If the data there is disposable, delete ${dataDir} and start again.`,
      details: { dataDir },
      cause: error,
    });
  }
  return new EmbeddedDriver(options.database, dataDir, session);
}

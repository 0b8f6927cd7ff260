/**
 * The remote driver: a ClickHouse server over HTTP(S) with @clickhouse/client, configured from
 * `[clickhouse_config]` or a `--clickhouse-url http(s)://user:pass@host:port/db`, whose query
 * parameters are ClickHouse settings sent with every statement (`?distributed_ddl_task_timeout=30`).
 *
 * Opening checks the connection once, so the three usual mistakes each get their own error:
 * nothing listening (CLICKHOUSE_UNREACHABLE), wrong user/password (CLICKHOUSE_AUTH_FAILED),
 * missing database (CLICKHOUSE_UNKNOWN_DATABASE). Servers too old for query parameters
 * (Debian's 18.16) get placeholders bound client-side.
 */
import { Readable } from "node:stream";
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings } from "@clickhouse/client";
import type { Config } from "../../config/types.js";
import { ExitCode, MooseError, type ConfigLocation } from "../../errors.js";
import type { ClickHouseDriver, CompactRows, InsertOptions, QueryParams } from "./driver.js";
import { clickHouseQueryError, parseClickHouseError } from "./errors.js";
import { inlineParams } from "./inline-params.js";
import { introspectDatabase } from "./introspect.js";
import { quoteIdentifier } from "./quote.js";
import { badUrl, parseClickHouseUrl, type Endpoint } from "./url.js";
import { parseJsonCompact, parseJsonEachRow, toJsonEachRow } from "./rows.js";

/** `settings`: ClickHouse settings sent with every statement of this connection (e.g. the cluster journal's insert_quorum). */
export type RemoteOptions = ({ url: string } | { config: Config["clickhouse_config"] }) & { settings?: ClickHouseSettings };

const CONNECT_TIMEOUT_MS = 15_000;
const STATEMENT_TIMEOUT_MS = 3_600_000;
const AUTH_CODES = new Set([192 /* UNKNOWN_USER */, 193 /* WRONG_PASSWORD */, 194 /* REQUIRED_PASSWORD */, 516 /* AUTHENTICATION_FAILED */]);
const UNKNOWN_DATABASE = 81;
const UNKNOWN_SETTING = 115;
const NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "ECONNRESET", "EPIPE"]);

function fromConfig(config: Config["clickhouse_config"]): Endpoint {
  const scheme = config.use_ssl ? "https" : "http";
  const keys: Record<"host" | "credentials" | "database", ConfigLocation> = {
    host: { key: "clickhouse_config.host_port" },
    credentials: { key: "clickhouse_config.password" },
    database: { key: "clickhouse_config.db_name" },
  };
  return {
    url: `${scheme}://${config.host.includes(":") ? `[${config.host}]` : config.host}:${config.host_port}`,
    host: config.host,
    port: config.host_port,
    user: config.user,
    password: config.password,
    database: config.db_name,
    settings: {},
    origin: { describe: (part) => ({ config: keys[part] }) },
  };
}

function where(endpoint: Endpoint, part: "host" | "credentials" | "database"): string {
  const { config, flag } = endpoint.origin.describe(part);
  if (flag) return flag;
  if (part === "host") return "clickhouse_config.host / clickhouse_config.host_port / clickhouse_config.use_ssl";
  if (part === "credentials") return "clickhouse_config.user / clickhouse_config.password";
  return config!.key;
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
    if (/socket hang up/i.test((current as Error).message ?? "")) return "ECONNRESET";
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function unreachable(endpoint: Endpoint, reason: string, cause: unknown): MooseError {
  return new MooseError("CLICKHOUSE_UNREACHABLE", `Cannot reach ClickHouse at ${endpoint.host}:${endpoint.port} (${reason}).`, {
    config: endpoint.origin.describe("host").config,
    hint: `Check that a ClickHouse server listens on ${endpoint.url} (HTTP interface) and fix ${where(endpoint, "host")} if it does not.`,
    details: { host: endpoint.host, port: endpoint.port, reason },
    cause,
  });
}

/** Maps a failure of a statement to the connection-level errors, or a query error. */
function classify(endpoint: Endpoint, error: unknown, sql: string): MooseError {
  if (error instanceof MooseError) return error;
  const network = networkCode(error);
  if (network) return unreachable(endpoint, network, error);
  const message = String((error as Error)?.message ?? error);
  // @clickhouse/client's ClickHouseError carries the code apart from a message it already stripped of `Code: N.`.
  const clientCode = Number((error as { code?: unknown })?.code);
  const parsed = parseClickHouseError(message, Number.isInteger(clientCode) ? clientCode : undefined);
  if (parsed.code !== undefined && AUTH_CODES.has(parsed.code)) {
    return new MooseError("CLICKHOUSE_AUTH_FAILED", `ClickHouse at ${endpoint.host}:${endpoint.port} refused user "${endpoint.user}": ${parsed.message}`, {
      exitCode: ExitCode.authFailed,
      config: endpoint.origin.describe("credentials").config,
      hint: `Fix the user/password in ${where(endpoint, "credentials")}.`,
      details: { clickhouseCode: parsed.code, user: endpoint.user },
      cause: error,
    });
  }
  if (parsed.code === UNKNOWN_DATABASE && parsed.message.includes(endpoint.database)) {
    return new MooseError("CLICKHOUSE_UNKNOWN_DATABASE", `ClickHouse at ${endpoint.host}:${endpoint.port} has no database "${endpoint.database}".`, {
      config: endpoint.origin.describe("database").config,
      hint: `Create it (CREATE DATABASE ${quoteIdentifier(endpoint.database)}) or fix ${where(endpoint, "database")}.`,
      details: { clickhouseCode: parsed.code, database: endpoint.database },
      cause: error,
    });
  }
  return clickHouseQueryError(message, sql, parsed.code, error);
}

function parseVersion(text: string): [number, number] {
  const [major = 0, minor = 0] = text.split(".").map((part) => Number.parseInt(part, 10));
  return [major, minor];
}

class RemoteDriver implements ClickHouseDriver {
  readonly kind = "remote" as const;
  readonly database: string;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly endpoint: Endpoint,
    /** The server's version, e.g. `[18, 16]`. */
    readonly serverVersion: [number, number],
  ) {
    this.database = endpoint.database;
  }

  /** Query parameters arrived in 19.x; older servers reject `param_*` as unknown settings. Bound client-side before 20. */
  private get bindsParamsServerSide(): boolean {
    return this.serverVersion[0] >= 20;
  }

  private bind(sql: string, params?: QueryParams): { query: string; query_params?: QueryParams } {
    if (!params || Object.keys(params).length === 0) return { query: sql };
    if (this.bindsParamsServerSide) return { query: sql, query_params: params };
    return { query: inlineParams(sql, params) };
  }

  async exec(sql: string, params?: QueryParams): Promise<void> {
    try {
      await this.client.command({ ...this.bind(sql, params) });
    } catch (error) {
      throw classify(this.endpoint, error, sql);
    }
  }

  async execRows(sql: string): Promise<string[][]> {
    try {
      // exec sends the statement as written: a FORMAT clause would end up inside a view's SELECT.
      const result = await this.client.exec({ query: sql });
      const chunks: Buffer[] = [];
      for await (const chunk of result.stream) chunks.push(Buffer.from(chunk as Uint8Array));
      return parseTabSeparated(Buffer.concat(chunks).toString("utf8"));
    } catch (error) {
      throw classify(this.endpoint, error, sql);
    }
  }

  async query<T = Record<string, unknown>>(sql: string, params?: QueryParams, settings?: Record<string, string>): Promise<T[]> {
    try {
      const result = await this.client.query({ ...this.bind(sql, params), format: "JSONEachRow", ...(settings ? { clickhouse_settings: settings } : {}) });
      return parseJsonEachRow<T>(await result.text());
    } catch (error) {
      throw classify(this.endpoint, error, sql);
    }
  }

  async queryCompact(sql: string, params?: QueryParams): Promise<CompactRows> {
    try {
      // Decimals as their digits for Python (see the embedded driver); servers before 22.10 may lack the setting, and refuse it.
      const clickhouse_settings = versionAtLeast(this.serverVersion, [22, 10]) ? { output_format_json_quote_decimals: 1 as const } : {};
      const result = await this.client.query({ ...this.bind(sql, params), format: "JSONCompact", clickhouse_settings });
      return parseJsonCompact(await result.text());
    } catch (error) {
      throw classify(this.endpoint, error, sql);
    }
  }

  async insert(table: string, rows: Record<string, unknown>[], options: InsertOptions = {}): Promise<void> {
    if (rows.length === 0) return;
    const sql = `INSERT INTO ${quoteIdentifier(table)} FORMAT JSONEachRow`;
    try {
      // DateTime64 (fractional seconds) arrived with 20.1; older DateTime refuses a fraction.
      const text = toJsonEachRow(rows, { milliseconds: this.serverVersion[0] >= 20 });
      // ISO date-times with their zone (ingest sends them so) read the same whatever the server's time zone.
      const clickhouse_settings = {
        ...(this.serverVersion[0] >= 20 ? { date_time_input_format: "best_effort" as const } : {}),
        // Servers before 22.2 have no such setting; they deduplicate a repeated block by its content (the same rows again).
        ...(options.deduplicationToken !== undefined && versionAtLeast(this.serverVersion, [22, 2]) ? { insert_deduplication_token: options.deduplicationToken } : {}),
      };
      const settings = Object.keys(clickhouse_settings).length > 0 ? { clickhouse_settings } : {};
      const result = await this.client.exec({ query: sql, values: Readable.from([text]), ...settings });
      result.stream.resume();
      await new Promise<void>((resolve, reject) => {
        result.stream.on("end", resolve);
        result.stream.on("error", reject);
      });
    } catch (error) {
      throw classify(this.endpoint, error, sql);
    }
  }

  async introspect() {
    return introspectDatabase((sql, params) => this.query(sql, params), this.database);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

export async function openRemote(options: RemoteOptions): Promise<ClickHouseDriver & { readonly serverVersion: [number, number] }> {
  const endpoint = "url" in options ? parseClickHouseUrl(options.url) : fromConfig(options.config);
  const settings = { ...endpoint.settings, ...options.settings };
  const client = createClient({
    url: endpoint.url,
    username: endpoint.user,
    password: endpoint.password,
    database: endpoint.database,
    application: "moose-ts",
    ...(Object.keys(settings).length > 0 ? { clickhouse_settings: settings } : {}),
    // A migration step (a table copy, a backfill) may run long; the server keeps working meanwhile.
    request_timeout: STATEMENT_TIMEOUT_MS,
    log: { level: ClickHouseLogLevel.OFF },
  });
  try {
    const ping = await client.ping({ select: false, abort_signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS) });
    if (!ping.success) {
      const timedOut = ping.error.name === "AbortError" || /abort/i.test(ping.error.message);
      const reason = timedOut
        ? `no answer within ${CONNECT_TIMEOUT_MS / 1000} s`
        : (networkCode(ping.error) ?? (ping.error.message || "/ping answered with an HTTP error: is this a ClickHouse HTTP port?"));
      throw unreachable(endpoint, reason, ping.error);
    }
    const probe = "SELECT version() AS version";
    let version: string;
    try {
      const result = await client.query({ query: probe, format: "JSONEachRow" });
      version = ((await result.json()) as { version: string }[])[0]!.version;
    } catch (error) {
      const parsed = parseClickHouseError(String((error as Error)?.message ?? error));
      if (parsed.code === UNKNOWN_SETTING && Object.keys(endpoint.settings).length > 0) {
        throw badUrl("url" in options ? options.url : endpoint.url, `its query parameters are ClickHouse settings, and the server refused one: ${parsed.message}`);
      }
      throw classify(endpoint, error, probe);
    }
    return new RemoteDriver(client, endpoint, parseVersion(version));
  } catch (error) {
    await client.close();
    throw error;
  }
}

/** TabSeparated text → rows of cells, escapes (`\\t`, `\\n`, `\\\\`, …) undone. */
function parseTabSeparated(text: string): string[][] {
  const escapes: Record<string, string> = { t: "\t", n: "\n", r: "\r", "0": "\0", b: "\b", f: "\f", "\\": "\\", "'": "'" };
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.split("\t").map((cell) => cell.replace(/\\(.)/g, (_, char: string) => escapes[char] ?? char)));
}

function versionAtLeast([major, minor]: [number, number], [wantMajor, wantMinor]: [number, number]): boolean {
  return major > wantMajor || (major === wantMajor && minor >= wantMinor);
}

/** The schema of the database a `--clickhouse-url` names, read once (the connection closed after), and `database <db> at <host>:<port>` to name it by. */
export async function readRemoteSchema(url: string): Promise<{ database: string; where: string; schema: Awaited<ReturnType<ClickHouseDriver["introspect"]>> }> {
  const endpoint = parseClickHouseUrl(url);
  const driver = await openRemote({ url });
  try {
    return { database: endpoint.database, where: `database ${endpoint.database} at ${endpoint.host}:${endpoint.port}`, schema: await driver.introspect() };
  } finally {
    await driver.close();
  }
}

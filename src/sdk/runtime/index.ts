/**
 * What the SDK's run-time members do (built as dist/sdk/runtime.js, loaded by ../runtime-link.ts on
 * first use): they talk to the ClickHouse and Kafka of the project's moose.config.toml — in
 * `moose dev` the embedded engine's HTTP endpoint on clickhouse_config.host_port and the broker at
 * redpanda_config.broker. Failures are MooseErrors that say which setting to check; nothing is
 * silently skipped.
 */
import { createClient, ClickHouseLogLevel, type ClickHouseClient } from "@clickhouse/client";
import { loadConfig } from "../../config/load.js";
import type { Config } from "../../config/types.js";
import { MooseError, type SourceLocation } from "../../errors.js";
import { quoteIdentifier } from "../../infra/clickhouse/quote.js";
import { rlsPassword, scopeSettings } from "../../infra/clickhouse/row-policies.js";
import type { KafkaProducer } from "../../infra/kafka/producer.js";
import type { ColumnSpec, RowPolicySpec } from "../../manifest/types.js";
import { tableRecords } from "../../server/ingest.js";
import type { FieldError } from "../../server/params.js";
import type { InsertOptions, InsertResult, FailedRecord } from "../olap-table.js";
import { isSql, sql, toQuery, type Sql } from "../sql.js";
import { servedClickHouse } from "./served.js";

/** The project whose moose.config.toml applies: MOOSE_PROJECT_DIR (set by moose-ts) or the working directory. */
function projectDir(): string {
  return process.env.MOOSE_PROJECT_DIR ?? process.cwd();
}

const configs = new Map<string, Promise<Config>>();

export function runtimeConfig(): Promise<Config> {
  const dir = projectDir();
  let config = configs.get(dir);
  // Warnings about MooseStack keys were printed by the command that started the app.
  if (!config) configs.set(dir, (config = loadConfig(dir, process.env, () => {})));
  return config;
}

/** Connection settings (MooseStack's RuntimeClickHouseConfig), each overriding clickhouse_config. */
export interface RuntimeClickHouseConfig {
  host: string;
  port: string;
  username: string;
  password: string;
  database: string;
  useSSL: boolean;
}

const clients = new Map<string, ClickHouseClient>();

export async function clickhouseClient(explicit: Partial<RuntimeClickHouseConfig> = {}): Promise<{ client: ClickHouseClient; database: string; url: string }> {
  const { clickhouse_config: ch } = await runtimeConfig();
  const overrides = { ...servedClickHouse(), ...explicit };
  const useSSL = overrides.useSSL ?? ch.use_ssl;
  const url = `${useSSL ? "https" : "http"}://${overrides.host ?? ch.host}:${overrides.port ?? ch.host_port}`;
  const database = overrides.database ?? ch.db_name;
  const username = overrides.username ?? ch.user;
  const key = JSON.stringify([url, database, username]);
  let client = clients.get(key);
  if (!client) {
    client = createClient({
      url,
      username,
      password: overrides.password ?? ch.password,
      database,
      application: "moose-ts",
      log: { level: ClickHouseLogLevel.OFF },
      clickhouse_settings: { date_time_input_format: "best_effort" },
    });
    clients.set(key, client);
  }
  return { client, database, url };
}

export async function closeClickHouse(): Promise<void> {
  const open = [...clients.values()];
  clients.clear();
  await Promise.all(open.map((client) => client.close()));
}

/** A connection failure as a MooseError naming the settings to check. */
function unreachable(url: string, error: unknown, what: string, location?: SourceLocation): MooseError {
  const message = (error as Error)?.message ?? String(error);
  const refused = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|socket hang up|timeout/i.test(message);
  return new MooseError(refused ? "CLICKHOUSE_UNREACHABLE" : "CLICKHOUSE_ERROR", `${what} failed against ClickHouse at ${url}: ${message}`, {
    ...(location ? { location } : {}),
    config: { key: "clickhouse_config.host_port" },
    hint: refused
      ? "start `moose dev` (it serves the embedded ClickHouse on clickhouse_config.host_port), or point [clickhouse_config] (or MOOSE_CLICKHOUSE_CONFIG__*) at a running server"
      : "check the statement and the table's columns",
    cause: error,
  });
}

/** OlapTable.insert and Stream.send send this many rows at a time (a Readable is read batch by batch). */
export const BATCH_ROWS = 10_000;

/**
 * OlapTable.insert: rows checked against the table's columns with the ingest API's rules (unless
 * `validate: false`), converted as ingest converts them, and inserted as JSONEachRow in batches of
 * BATCH_ROWS. `fail-fast` stops at the first invalid or refused row (an array is checked whole before
 * anything is inserted); `discard`/`isolate` set such rows aside (rows ClickHouse refuses are retried
 * one by one) within allowErrors / allowErrorsRatio.
 */
export async function insertRows<T>(
  table: string,
  columns: ColumnSpec[],
  data: Record<string, unknown>[] | AsyncIterable<Record<string, unknown>>,
  options: InsertOptions,
  location: SourceLocation,
): Promise<InsertResult<T>> {
  const check = options.validate === false ? undefined : tableRecords(columns);
  const strategy = options.strategy ?? "fail-fast";
  const failedRecords: FailedRecord<T>[] = [];
  let total = 0;
  let successful = 0;
  const refuse = (index: number, problems: string) =>
    new MooseError("INSERT_INVALID", `row ${index} for ${table} does not fit the table: ${problems}${successful > 0 ? ` (${successful} earlier row(s) were inserted)` : ""}`, {
      location,
      hint: "fix the row, or insert with { strategy: \"discard\" } to set invalid rows aside",
      details: { index, inserted: successful, problems },
    });
  if (check && strategy === "fail-fast" && Array.isArray(data)) {
    // All or nothing for an array: every row is checked before the first insert.
    for (const [index, row] of data.entries()) {
      const problems = describeProblems(check.problems(plainJson(row)));
      if (problems) throw refuse(index, problems);
    }
  }
  const { client, url } = await clickhouseClient();
  const insert = (values: Record<string, unknown>[]) => client.insert({ table: quoteIdentifier(table), values, format: "JSONEachRow" });
  for await (const batch of batches(data, BATCH_ROWS)) {
    const first = total;
    total += batch.length;
    const ready: Array<{ row: Record<string, unknown>; index: number }> = [];
    for (const [offset, original] of batch.entries()) {
      const index = first + offset;
      const row = plainJson(original);
      const problems = check ? describeProblems(check.problems(row)) : "";
      if (problems) {
        if (strategy === "fail-fast") throw refuse(index, problems);
        failedRecords.push({ record: original as T, error: problems, index });
        continue;
      }
      ready.push({ row: check ? check.toRow(row) : row, index });
    }
    if (ready.length === 0) continue;
    try {
      await insert(ready.map(({ row }) => row));
      successful += ready.length;
      continue;
    } catch (error) {
      if (strategy === "fail-fast" || isConnectionError(error)) throw unreachable(url, error, `inserting ${ready.length} row(s) into ${table}${successful > 0 ? ` (${successful} earlier row(s) were inserted)` : ""}`, location);
    }
    for (const { row, index } of ready) {
      try {
        await insert([row]);
        successful++;
      } catch (error) {
        if (isConnectionError(error)) throw unreachable(url, error, `inserting into ${table}`, location);
        failedRecords.push({ record: batch[index - first] as T, error: (error as Error).message, index });
      }
    }
  }
  const failed = failedRecords.length;
  if (total === 0) return { successful: 0, failed: 0, total: 0 };
  if (failed === 0) return { successful, failed: 0, total };
  const tolerated = options.allowErrors ?? (options.allowErrorsRatio !== undefined ? Math.floor(options.allowErrorsRatio * total) : total);
  if (failed > tolerated) {
    throw new MooseError("INSERT_REJECTED", `${failed} of ${total} row(s) for ${table} were refused, more than the ${tolerated} allowed: ${failedRecords[0]?.error ?? ""}`, {
      location,
      hint: "fix the rows (see details.failedRecords), or raise allowErrors / allowErrorsRatio",
      details: { failedRecords: failedRecords.slice(0, 10), inserted: successful },
    });
  }
  return { successful, failed, total, failedRecords };
}

/** Rows in groups of `size`, from an array or read from an async iterable (a Readable of row objects). */
async function* batches<R>(data: R[] | AsyncIterable<R>, size: number): AsyncGenerator<R[]> {
  if (Array.isArray(data)) {
    for (let start = 0; start < data.length; start += size) yield data.slice(start, start + size);
    return;
  }
  let batch: R[] = [];
  for await (const row of data) {
    batch.push(row);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** The row as JSON carries it (Dates as ISO strings, bigints as decimal strings): what the checks read. */
function plainJson(row: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(row, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value))) as Record<string, unknown>;
}

function describeProblems(problems: FieldError[]): string {
  return problems.map((problem) => (problem.field ? `${problem.field}: ${problem.message}` : problem.message)).join("; ");
}

function isConnectionError(error: unknown): boolean {
  return /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|socket hang up|ECONNRESET/i.test(String((error as Error)?.message ?? error));
}

/** Rows of a query (what `execute` resolves to): MooseStack's ResultSet subset. */
export interface RuntimeResult<T> {
  json(): Promise<T[]>;
}

/** MooseStack's QueryClient: `sql` statements with every value bound as a query parameter, plus the raw client. */
export interface RuntimeQueryClient {
  client: ClickHouseClient;
  query_id_prefix: string;
  execute<T = any>(statement: Sql): Promise<RuntimeResult<T>>;
  command(statement: Sql): Promise<void>;
}

/** `settings`: sent with every query (a row-policy scoped client's `SQL_moose_rls_*`). */
export async function queryClient(overrides: Partial<RuntimeClickHouseConfig> = {}, queryIdPrefix = "", settings?: Record<string, string>): Promise<RuntimeQueryClient> {
  const { client, url } = await clickhouseClient(overrides);
  return {
    client,
    query_id_prefix: queryIdPrefix,
    async execute<T>(statement: Sql): Promise<RuntimeResult<T>> {
      const [query, query_params] = toQuery(requireSql(statement));
      try {
        const result = await client.query({ query, query_params, format: "JSONEachRow", ...(settings ? { clickhouse_settings: settings } : {}) });
        const rows = (await result.json()) as T[];
        return { json: async () => rows };
      } catch (error) {
        throw unreachable(url, error, "a query");
      }
    },
    async command(statement: Sql): Promise<void> {
      const [query, query_params] = toQuery(requireSql(statement));
      try {
        await client.command({ query, query_params });
      } catch (error) {
        throw unreachable(url, error, "a command");
      }
    },
  };
}

function requireSql(statement: unknown): Sql {
  if (isSql(statement)) return statement;
  throw new MooseError("QUERY_NOT_SQL", "execute()/command() was given a plain string instead of a sql`…` statement", {
    hint: "build queries with the sql tag (sql`SELECT … WHERE id = ${id}`) so values are bound as parameters",
  });
}

/**
 * getMooseUtils(): a client for the configured ClickHouse, and the sql tag. With `scope` (getMooseUtils({ rlsContext })):
 * a client of the RLS user whose queries carry the policies' settings for those claims, so the server's
 * row policies (or the embedded endpoint's emulation of them) choose its rows.
 */
export async function mooseUtils(scope?: { policies: Pick<RowPolicySpec, "column" | "claim">[]; claims: Record<string, unknown> }): Promise<{ client: { query: RuntimeQueryClient; workflow: WorkflowUnavailable }; sql: typeof sql }> {
  if (!scope) return { client: { query: await queryClient(), workflow: workflowUnavailable }, sql };
  const { clickhouse_config: ch } = await runtimeConfig();
  // As moose prod and dev set the RLS user up (moose prod --embedded serves with a password of its own).
  const password = rlsPassword(ch, servedClickHouse()?.password ?? ch.password);
  const query = await queryClient({ username: ch.rls_user, password }, "rls-scoped", scopeSettings(scope.policies, scope.claims));
  return { client: { query, workflow: workflowUnavailable }, sql };
}

export interface WorkflowUnavailable {
  execute(name: string, input: unknown): Promise<never>;
  terminate(workflowId: string): Promise<never>;
}

/** Outside a handler served by `moose dev`/`moose prod` there is no workflow client: it says so instead of pretending. */
const workflowUnavailable: WorkflowUnavailable = {
  async execute(name) {
    throw new MooseError("WORKFLOWS_NOT_RUN", `cannot start workflow "${name}" here: workflows are started from API handlers that moose dev or moose prod serve (with [features] workflows = true), or with \`moose workflow run\``, {
      hint: "see docs/workflows.md",
    });
  },
  async terminate(workflowId) {
    throw new MooseError("WORKFLOWS_NOT_RUN", `cannot terminate workflow "${workflowId}" here: use an API handler served by moose dev/prod, or \`moose workflow terminate\``, {
      hint: "see docs/workflows.md",
    });
  },
};

let producer: { key: string; producer: KafkaProducer } | undefined;

/**
 * Stream.send: each record checked against the stream's columns (the ingest API's rules; nothing is
 * sent when one does not fit; other fields are dropped unless the type has an index signature,
 * `extraFields`), then JSON messages to the stream's topic on redpanda_config.broker (namespace
 * applied), BATCH_ROWS at a time.
 */
export async function sendToStream(stream: string, columns: ColumnSpec[], values: unknown[], location: SourceLocation, { extraFields = false } = {}): Promise<void> {
  if (values.length === 0) return;
  const check = tableRecords(columns, { extraFields });
  const records = values.map(plainJson);
  for (const [index, record] of records.entries()) {
    const problems = describeProblems(check.problems(record));
    if (problems) {
      throw new MooseError("STREAM_RECORD_INVALID", `record ${index} for stream "${stream}" does not fit its type: ${problems}; nothing was sent`, { location, details: { index } });
    }
  }
  const config = await runtimeConfig();
  if (!config.features.streaming_engine) {
    throw new MooseError("STREAMING_DISABLED", `cannot send to stream "${stream}": streaming is off ([features] streaming_engine = false), so its topic does not exist`, {
      location,
      config: { key: "features.streaming_engine" },
      hint: "set [features] streaming_engine = true and run a broker (bash scripts/kafka-local start), or write to the table with OlapTable.insert",
    });
  }
  const key = JSON.stringify(config.redpanda_config);
  if (producer?.key !== key) {
    await producer?.producer.close();
    const { openKafkaProducer } = await import("../../infra/kafka/producer.js");
    producer = { key, producer: openKafkaProducer(config.redpanda_config) };
  }
  for (let start = 0; start < records.length; start += BATCH_ROWS) await producer.producer.send(stream, records.slice(start, start + BATCH_ROWS));
}

export async function closeProducer(): Promise<void> {
  const open = producer;
  producer = undefined;
  await open?.producer.close();
}

/*
 * MooseCache, backed by the ClickHouse moose-ts already runs (MooseStack uses Redis, which moose-ts
 * does not run): one `_moose_cache` table in the project database, a row per write, the newest row
 * per key wins; expired and deleted keys read as null.
 */
const CACHE_TABLE = "_moose_cache";
let cacheReady: Promise<void> | undefined;

async function cacheClient(): Promise<{ client: ClickHouseClient; url: string }> {
  const { client, url } = await clickhouseClient();
  cacheReady ??= client
    .command({
      query: `CREATE TABLE IF NOT EXISTS ${CACHE_TABLE} (key String, value String, expires_at DateTime64(3, 'UTC'), deleted UInt8, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY key`,
    })
    .then(
      () => undefined,
      (error: unknown) => {
        cacheReady = undefined;
        throw unreachable(url, error, "creating the MooseCache table");
      },
    );
  await cacheReady;
  return { client, url };
}

let versionCounter = 0;
function nextVersion(): string {
  // Milliseconds × 1000 + a counter: later writes in this process always win; BigInt keeps it exact.
  return (BigInt(Date.now()) * 1000n + BigInt(versionCounter++ % 1000)).toString();
}

async function cacheWrite(rows: Array<{ key: string; value: string; expiresAt: number; deleted: boolean }>): Promise<void> {
  if (rows.length === 0) return;
  const { client, url } = await cacheClient();
  try {
    await client.insert({
      table: CACHE_TABLE,
      values: rows.map((row) => ({ key: row.key, value: row.value, expires_at: new Date(row.expiresAt).toISOString(), deleted: row.deleted ? 1 : 0, version: nextVersion() })),
      format: "JSONEachRow",
      clickhouse_settings: { date_time_input_format: "best_effort" },
    });
  } catch (error) {
    throw unreachable(url, error, "writing to MooseCache");
  }
}

async function cacheRead(where: string, params: Record<string, unknown>): Promise<Array<{ key: string; value: string }>> {
  const { client, url } = await cacheClient();
  try {
    const result = await client.query({
      query: `SELECT key, argMax(value, version) AS value FROM ${CACHE_TABLE} WHERE ${where} GROUP BY key HAVING argMax(deleted, version) = 0 AND argMax(expires_at, version) > now64(3)`,
      query_params: params,
      format: "JSONEachRow",
    });
    return (await result.json()) as Array<{ key: string; value: string }>;
  } catch (error) {
    throw unreachable(url, error, "reading MooseCache");
  }
}

export async function cacheGet(key: string): Promise<string | null> {
  const [row] = await cacheRead("key = {key:String}", { key });
  return row?.value ?? null;
}

export async function cacheSet(key: string, value: string, ttlSeconds: number): Promise<string | null> {
  const previous = await cacheGet(key);
  await cacheWrite([{ key, value, expiresAt: Date.now() + ttlSeconds * 1000, deleted: false }]);
  return previous;
}

export async function cacheDelete(keys: string[]): Promise<void> {
  await cacheWrite(keys.map((key) => ({ key, value: "", expiresAt: 0, deleted: true })));
}

export async function cacheKeys(prefix: string): Promise<string[]> {
  return (await cacheRead("startsWith(key, {prefix:String})", { prefix })).map((row) => row.key);
}

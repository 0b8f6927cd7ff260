/**
 * Runs SQL steps against a driver, with the data checks a plain `exec` lacks:
 *
 * - A step with `checkConversion` (a MODIFY COLUMN that converts stored values) first counts the
 *   rows whose value would not convert exactly (`accurateCastOrNull`); any → TYPE_CONVERSION_REFUSED
 *   with the count, up to 5 samples and the ways forward, before the table is touched. (A failed
 *   conversion half-way would leave ClickHouse with a column it can no longer read.) With
 *   `checkConversion.using`, the values are converted with that expression instead of a cast.
 * - The steps of a table rebuild (`recreateTableSql` in ./ddl.ts: copy into `<table>__moose_new`,
 *   then `EXCHANGE TABLES`) are known by their cause (`rebuild: "copy" | "exchange"`), however the
 *   statement was edited: the copy is made restartable (the copy table is emptied first), reports
 *   rows copied / total, and is verified; the exchange only runs when the copy holds as many rows
 *   as the table it replaces.
 * - On a cluster (the step's `cause.cluster`), a copy, conversion check or backfill reads rows
 *   through the connected host, so it first makes sure the cluster has one shard (CLUSTER_SHARDED_COPY).
 */
import { randomUUID } from "node:crypto";
import { MooseError } from "../../errors.js";
import { splitNullable } from "../../diff/normalize.js";
import { rebuildCopyName, type ConversionCheck, type SqlStep } from "../../steps/index.js";
import { dropTableSql, recreateTableSql } from "./ddl.js";
import { quoteIdentifier, quoteString } from "./quote.js";
import { countRows } from "./rows.js";
import type { ClickHouseDriver } from "./driver.js";
import { clickHouseCodeOf } from "./errors.js";
import {
  featureUnsupported,
  guardColumnStatement,
  serverCapabilities,
  serverVersionOf,
  stepSupport,
  type Adaptation,
  type GuardedColumnStatement,
} from "./capabilities.js";
import { unreplicatedSql, withoutOnCluster } from "./replication.js";
import { clusterDdlFailed, clusterFailureOf, runOnCluster, type HostOutcome } from "./distributed-ddl.js";

/** How far a long statement has got: a rebuild's copy, a conversion check, a materialized view's backfill. */
export interface RowProgress {
  /** The table being rebuilt or checked; the materialized view being backfilled. */
  table: string;
  activity: "copy" | "check" | "backfill";
  /** Rows the statement has read so far. */
  rows: number;
  totalRows: number;
  done: boolean;
}

export type ProgressListener = (progress: RowProgress) => void;

/** Below this many rows a statement is quick: only the start and the end are reported. */
const PROGRESS_MIN_ROWS = 100_000;
const PROGRESS_INTERVAL_MS = 500;
const SAMPLE_SIZE = 5;
/** SYNTAX_ERROR, UNKNOWN_IDENTIFIER: the statement itself is wrong, not the data. */
const BROKEN_EXPRESSION = new Set([62, 47]);

/** Engines whose merges may legitimately remove rows (deduplicate, sum, collapse). */
const MERGING_ENGINE = /^(Replicated|Shared)?(Replacing|Summing|Aggregating|Collapsing|VersionedCollapsing|Graphite|Coalescing)MergeTree$/;

/** The tables of one rebuild: the one being rebuilt and its copy, and their cluster. */
interface Rebuild {
  table: string;
  copy: string;
  cluster: string | undefined;
}

/** The rebuild phase a step is, from its cause. */
function rebuildOf(step: SqlStep): { phase: "create" | "copy" | "exchange"; rebuild: Rebuild } | undefined {
  const cause = step.cause;
  if (cause?.operation !== "recreateTable" || (cause.rebuild !== "create" && cause.rebuild !== "copy" && cause.rebuild !== "exchange")) return undefined;
  return { phase: cause.rebuild, rebuild: { table: cause.target, copy: rebuildCopyName(cause.target), cluster: cause.cluster } };
}

/**
 * A copy, check or backfill reads every row through the connected host: on a cluster that is all
 * of them only when the cluster has one shard (its tables Replicated, which the diff requires).
 * On several shards each holds part of the rows, so the statement is refused before it runs.
 */
async function requireOneShard(driver: ClickHouseDriver, cluster: string | undefined, table: string, activity: string): Promise<void> {
  if (cluster === undefined || driver.kind === "embedded") return;
  const [row] = await driver.query<{ shards: string | number }>("SELECT uniqExact(shard_num) AS shards FROM system.clusters WHERE cluster = {cluster:String}", { cluster });
  const shards = Number(row?.shards ?? 0);
  if (shards === 1) return;
  throw new MooseError(
    "CLUSTER_SHARDED_COPY",
    `${activity} ${table} reads its rows through one host, but cluster ${cluster} has ${shards === 0 ? "no shard this server knows of" : `${shards} shards`}: the other shards' rows would be lost or missed. Nothing was changed.`,
    {
      hint: "moose-ts copies and checks rows only on a cluster of one shard (replicas of it). On a sharded cluster, make this change by hand on every shard and take the step out of the migration file (its steps are plain values you may edit)",
      details: { table, cluster, shards },
    },
  );
}

async function engineOf(driver: ClickHouseDriver, table: string): Promise<string> {
  const [row] = await driver.query<{ engine: string }>(
    "SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = {table:String}",
    { table },
  );
  return row?.engine ?? "";
}

/** Rows before == rows after; for engines that merge rows away, the copy may hold fewer but not none. */
async function verifyCopy(driver: ClickHouseDriver, rebuild: Rebuild, sourceRows: number, copiedRows: number, when: string): Promise<void> {
  if (copiedRows === sourceRows) return;
  const engines = [await engineOf(driver, rebuild.table), await engineOf(driver, rebuild.copy)];
  const merging = engines.some((engine) => MERGING_ENGINE.test(engine));
  if (merging && copiedRows <= sourceRows && (copiedRows > 0 || sourceRows === 0)) return;
  throw new MooseError(
    "REBUILD_ROW_COUNT_MISMATCH",
    `Rebuilding ${rebuild.table}: the copy holds ${copiedRows} rows but ${rebuild.table} has ${sourceRows} (${when}). ${rebuild.table} was not replaced and still holds all its rows.`,
    {
      hint: `Rows were probably written to ${rebuild.table} while it was copied: stop writes to it and run the migration again (the copy starts over).`,
      details: { table: rebuild.table, copy: rebuild.copy, sourceRows, copiedRows },
    },
  );
}

/**
 * Runs `run` with a marker comment in front of its statement and, while it runs, reports the rows
 * the server says it has read (`system.processes`, found by the marker). Progress is best effort:
 * a failed sample is skipped.
 */
async function withProgress<T>(
  driver: ClickHouseDriver,
  report: ((rows: number, totalRows: number) => void) | undefined,
  run: (marker: string) => Promise<T>,
): Promise<T> {
  const marker = `/* moose-progress ${randomUUID()} */ `;
  if (!report) return run(marker);
  let running = true;
  let wake: () => void = () => {};
  const poll = async () => {
    while (running) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, PROGRESS_INTERVAL_MS);
      });
      if (!running) return;
      const [sample] = await driver
        .query<{ read_rows: string | number; total_rows_approx: string | number }>(
          "SELECT read_rows, total_rows_approx FROM system.processes WHERE position(query, {marker:String}) = 1 LIMIT 1",
          { marker },
        )
        .catch(() => []);
      if (running && sample) report(Number(sample.read_rows), Number(sample.total_rows_approx));
    }
  };
  const polling = poll();
  try {
    return await run(marker);
  } finally {
    running = false;
    wake();
    await polling;
  }
}

async function copyRows(driver: ClickHouseDriver, step: SqlStep, rebuild: Rebuild, onProgress?: ProgressListener): Promise<void> {
  await requireOneShard(driver, rebuild.cluster, rebuild.table, "Rebuilding");
  const totalRows = await countRows(driver, rebuild.table);
  // A copy interrupted earlier left rows behind: start it over.
  await driver.exec(`TRUNCATE TABLE IF EXISTS ${quoteIdentifier(rebuild.copy)}`);
  const progress = (rows: number, done = false) => onProgress?.({ table: rebuild.table, activity: "copy", rows, totalRows, done });
  progress(0);
  await withProgress(driver, onProgress && totalRows >= PROGRESS_MIN_ROWS ? (rows) => progress(Math.min(rows, totalRows)) : undefined, (marker) => driver.exec(marker + step.sql));
  const copiedRows = await countRows(driver, rebuild.copy);
  await verifyCopy(driver, rebuild, totalRows, copiedRows, "after the copy");
  await rememberCopy(driver, rebuild);
  progress(copiedRows, true);
}

/**
 * A process that dies after `EXCHANGE TABLES` but before the journal records the step would, on
 * resume, swap the tables back (and the next step would drop the new one). So the copy's UUID,
 * which stays with its data through the exchange, is noted when the copy is done; an exchange
 * whose table already carries the latest noted UUID has happened and is not repeated. Servers
 * without table UUIDs (Ordinary databases, old servers) have nothing to note and keep the plain
 * behaviour.
 */
const REBUILDS_TABLE = "_moose_rebuilds";

async function tableUuid(driver: ClickHouseDriver, table: string): Promise<string | undefined> {
  try {
    const [row] = await driver.query<{ uuid: string }>(
      "SELECT toString(uuid) AS uuid FROM system.tables WHERE database = currentDatabase() AND name = {table:String}",
      { table },
    );
    return row && row.uuid !== "00000000-0000-0000-0000-000000000000" ? row.uuid : undefined;
  } catch {
    return undefined; // no uuid column on this server
  }
}

/**
 * `_moose_rebuilds`, on the rebuilt table's cluster when it has one: replicated across every host of
 * it (one Keeper path per database, like the journal's), so a run resumed through another host sees the note.
 */
export function rebuildsTableSql(cluster: string | undefined): string {
  const columns = "(table String, copy_uuid String, at DateTime64(6))";
  if (cluster === undefined) return `CREATE TABLE IF NOT EXISTS ${REBUILDS_TABLE} ${columns} ENGINE = MergeTree ORDER BY table`;
  const keeper = `${quoteString(`/clickhouse/moose-ts/{database}/${REBUILDS_TABLE}`)}, ${quoteString("{shard}_{replica}")}`;
  return `CREATE TABLE IF NOT EXISTS ${REBUILDS_TABLE} ON CLUSTER ${quoteIdentifier(cluster)} ${columns} ENGINE = ReplicatedMergeTree(${keeper}) ORDER BY table`;
}

async function rememberCopy(driver: ClickHouseDriver, rebuild: Rebuild): Promise<void> {
  const uuid = await tableUuid(driver, rebuild.copy);
  if (uuid === undefined) return;
  const engine = await engineOf(driver, REBUILDS_TABLE);
  const clustered = rebuild.cluster !== undefined && driver.kind !== "embedded";
  if (clustered && engine !== "" && !engine.startsWith("Replicated")) {
    throw new MooseError("REBUILDS_TABLE_NOT_REPLICATED", `${REBUILDS_TABLE} exists with engine ${engine}, but ${rebuild.table} is on cluster ${rebuild.cluster}: a resume through another host would not see this rebuild's note`, {
      hint: `it was left by a rebuild of an unclustered table. With no migration running, DROP TABLE ${REBUILDS_TABLE} on every host of ${rebuild.cluster} and run again (it is recreated replicated)`,
      details: { table: REBUILDS_TABLE, engine, cluster: rebuild.cluster },
    });
  }
  // ON CLUSTER waits for every host even when the table exists: only when it is missing.
  if (engine === "") await driver.exec(rebuildsTableSql(clustered ? rebuild.cluster : undefined));
  await driver.exec(`INSERT INTO ${REBUILDS_TABLE} (table, copy_uuid, at) SELECT {table:String}, {uuid:String}, now64(6)`, { table: rebuild.table, uuid });
}

async function alreadyExchanged(driver: ClickHouseDriver, rebuild: Rebuild): Promise<boolean> {
  const uuid = await tableUuid(driver, rebuild.table);
  if (uuid === undefined) return false;
  const latest = await driver
    .query<{ copy_uuid: string }>(`SELECT copy_uuid FROM ${REBUILDS_TABLE} WHERE table = {table:String} ORDER BY at DESC LIMIT 1`, { table: rebuild.table })
    .catch(() => []);
  return latest[0]?.copy_uuid === uuid;
}

/** SYNTAX_ERROR (servers before EXCHANGE, < 20.x), NOT_IMPLEMENTED (an Ordinary database). */
const NO_EXCHANGE = new Set([62, 48]);

async function exchangeTables(driver: ClickHouseDriver, step: SqlStep, rebuild: Rebuild): Promise<void> {
  if (await alreadyExchanged(driver, rebuild)) return;
  const sourceRows = await countRows(driver, rebuild.table);
  const copiedRows = await countRows(driver, rebuild.copy);
  await verifyCopy(driver, rebuild, sourceRows, copiedRows, "just before the exchange");
  // The same swap with one multi-table RENAME, which every server has (on every host of the table's cluster).
  const [table, copy, aside] = [rebuild.table, rebuild.copy, `${rebuild.table}__moose_old`].map(quoteIdentifier);
  const cluster = step.cause?.cluster === undefined ? "" : ` ON CLUSTER ${quoteIdentifier(step.cause.cluster)}`;
  const renameSwap = `RENAME TABLE ${table} TO ${aside}, ${copy} TO ${table}, ${aside} TO ${copy}${cluster}`;
  if (!serverCapabilities(driver).exchangeTables) return execStatement(driver, renameSwap, step.cause?.cluster);
  try {
    await execStatement(driver, step.sql, step.cause?.cluster);
  } catch (error) {
    const code = clickHouseCodeOf(error);
    if (code === undefined || !NO_EXCHANGE.has(code)) throw error;
    await execStatement(driver, renameSwap, step.cause?.cluster);
  }
}

/** A column of a live table as system.columns describes it. */
interface LiveColumn {
  name: string;
  type: string;
  default_kind: string;
  default_expression: string;
  comment: string;
  is_in_partition_key: number;
  is_in_sorting_key: number;
  is_in_primary_key: number;
}

async function liveColumns(driver: ClickHouseDriver, table: string): Promise<Map<string, LiveColumn>> {
  const rows = await driver.query<LiveColumn>(
    "SELECT name, type, default_kind, default_expression, comment, is_in_partition_key, is_in_sorting_key, is_in_primary_key FROM system.columns WHERE database = currentDatabase() AND table = {table:String}",
    { table },
  );
  return new Map(rows.map((row) => [row.name, row]));
}

/** `Nullable(T)` / `LowCardinality(Nullable(T))` / `LowCardinality(T)` → `T`, and whether NULL is allowed. */
function castTarget(toType: string): { type: string; nullable: boolean } {
  const { type, nullable } = splitNullable(toType.trim());
  const lowCardinality = /^LowCardinality\(([\s\S]*)\)$/.exec(type);
  return { type: lowCardinality ? lowCardinality[1]!.trim() : type, nullable };
}

interface BadRows {
  /** undefined: the server could not count them (the cast itself failed). */
  count: number | undefined;
  samples: string[];
  totalRows: number;
  serverMessage?: string;
}

/**
 * Rows whose value would not convert exactly. NULLs count when the target is not Nullable, unless
 * ClickHouse fills them from the new DEFAULT (a plain cast only; an expression must yield a value).
 */
async function findBadRows(driver: ClickHouseDriver, check: ConversionCheck, onProgress?: ProgressListener): Promise<BadRows> {
  const table = quoteIdentifier(check.table);
  const value = check.using ?? quoteIdentifier(check.column);
  const target = castTarget(check.toType);
  const nullIsBad = !target.nullable && !(check.nullsTakeDefault === true && check.using === undefined);
  const condition =
    `(isNotNull(${value}) AND isNull(accurateCastOrNull(${value}, ${quoteString(target.type)})))` + (nullIsBad ? ` OR isNull(${value})` : "");
  const totalRows = await countRows(driver, check.table);
  const progress = (rows: number, done = false) => onProgress?.({ table: check.table, activity: "check", rows, totalRows, done });
  try {
    progress(0);
    const [row] = await withProgress(driver, onProgress && totalRows >= PROGRESS_MIN_ROWS ? (rows) => progress(Math.min(rows, totalRows)) : undefined, (marker) =>
      driver.query<{ n: string | number }>(`${marker}SELECT count() AS n FROM ${table} WHERE ${condition}`),
    );
    progress(totalRows, true);
    const count = Number(row?.n ?? 0);
    if (count === 0) return { count, samples: [], totalRows };
    const samples = await driver.query<{ value: string | null }>(`SELECT toString(${value}) AS value FROM ${table} WHERE ${condition} LIMIT ${SAMPLE_SIZE}`);
    return { count, samples: samples.map((sample) => (sample.value === null ? "NULL" : quoteString(sample.value))), totalRows };
  } catch (error) {
    // accurateCastOrNull cannot check every type (Array, Map, Tuple) and old servers lack it:
    // then cast every row for real, without storing anything. A broken `using` expression is
    // reported as it is.
    const code = clickHouseCodeOf(error);
    if (code === undefined || BROKEN_EXPRESSION.has(code)) throw error;
    try {
      await driver.exec(`SELECT CAST(${value} AS ${check.toType}) FROM ${table} FORMAT Null`);
      return { count: 0, samples: [], totalRows };
    } catch (castError) {
      if (clickHouseCodeOf(castError) === undefined) throw castError;
      const details = (castError as MooseError).details;
      return { count: undefined, samples: [], totalRows, serverMessage: String(details?.clickhouseMessage ?? (castError as Error).message) };
    }
  }
}

function conversionRefused(check: ConversionCheck, bad: BadRows): MooseError {
  const target = `${check.table}.${check.column} → ${check.toType}`;
  const what = bad.count === undefined ? "at least one row" : `${bad.count} of ${bad.totalRows} row${bad.totalRows === 1 ? "" : "s"}`;
  const samples = bad.samples.length > 0 ? ` Values that do not convert: ${bad.samples.join(", ")}.` : bad.serverMessage ? ` ClickHouse: ${bad.serverMessage}` : "";
  const castExample = `accurateCastOrNull(${quoteIdentifier(check.column)}, ${quoteString(castTarget(check.toType).type)})`;
  return new MooseError(
    "TYPE_CONVERSION_REFUSED",
    `Changing ${target}${check.using ? ` using ${check.using}` : ""}: ${what} hold a value that would fail to convert or change. Nothing was changed.${samples}`,
    {
      hint: [
        "Ways forward:",
        `(1) give the step a conversion expression — checkConversion: { …, using: "ifNull(${castExample}, <fallback>)" } — and every row is converted with it;`,
        "(2) for NULLs going into a non-Nullable column, give the new column a DEFAULT: ClickHouse stores it for NULL rows;",
        `(3) add a new column of type ${check.toType}, backfill it (ALTER TABLE … UPDATE new = <expression> WHERE 1), and drop ${check.column} in a later migration.`,
      ].join("\n  "),
      details: { table: check.table, column: check.column, toType: check.toType, using: check.using, badRows: bad.count, totalRows: bad.totalRows, samples: bad.samples },
    },
  );
}

/** Waits until the table's mutations (ALTER … UPDATE / MODIFY COLUMN rewrites) are done; fails if one failed. */
export async function waitForMutations(driver: ClickHouseDriver, table: string): Promise<void> {
  for (;;) {
    const [row] = await driver.query<{ pending: string | number; reason: string }>(
      "SELECT count() AS pending, max(latest_fail_reason) AS reason FROM system.mutations WHERE database = currentDatabase() AND table = {table:String} AND is_done = 0",
      { table },
    ).catch(async (error: unknown) => {
      // Old servers (18.x) have no latest_fail_reason.
      if (clickHouseCodeOf(error) === undefined) throw error;
      return driver.query<{ pending: string | number; reason: string }>(
        "SELECT count() AS pending, '' AS reason FROM system.mutations WHERE database = currentDatabase() AND table = {table:String} AND is_done = 0",
        { table },
      );
    });
    if (Number(row?.pending ?? 0) === 0) return;
    if (row?.reason) {
      throw new MooseError("CLICKHOUSE_MUTATION_FAILED", `A data rewrite of ${table} failed: ${row.reason}`, {
        hint: `Inspect it with SELECT * FROM system.mutations WHERE table = ${quoteString(table)} AND is_done = 0, fix the cause, then KILL MUTATION WHERE table = ${quoteString(table)} and run again.`,
        details: { table, reason: row.reason },
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Converts with an expression: a new column of the target type beside the old one, filled with
 * the expression, then swapped in by name. Each part checks what is already done, so a run
 * interrupted half-way resumes.
 */
async function convertWithExpression(driver: ClickHouseDriver, check: ConversionCheck & { using: string }): Promise<void> {
  const temporary = `${check.column}__moose_converted`;
  const table = quoteIdentifier(check.table);
  let columns = await liveColumns(driver, check.table);
  const column = columns.get(check.column);
  if (column && (column.is_in_partition_key || column.is_in_sorting_key || column.is_in_primary_key)) {
    throw new MooseError(
      "TYPE_CONVERSION_KEY_COLUMN",
      `${check.table}.${check.column} is part of the table's key, so it cannot be converted with an expression in place.`,
      {
        hint: "Drop `using` to convert with a plain cast (it is checked first), or change the key in a separate migration (a table rebuild) first.",
        details: { table: check.table, column: check.column },
      },
    );
  }
  if (column) {
    await driver.exec(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${quoteIdentifier(temporary)} ${check.toType} AFTER ${quoteIdentifier(check.column)}`);
    await driver.exec(`ALTER TABLE ${table} UPDATE ${quoteIdentifier(temporary)} = ${check.using} WHERE 1`);
    await waitForMutations(driver, check.table);
    await driver.exec(`ALTER TABLE ${table} DROP COLUMN IF EXISTS ${quoteIdentifier(check.column)}`);
    columns = await liveColumns(driver, check.table);
  }
  if (!columns.has(check.column) && columns.has(temporary)) {
    await driver.exec(`ALTER TABLE ${table} RENAME COLUMN IF EXISTS ${quoteIdentifier(temporary)} TO ${quoteIdentifier(check.column)}`);
  }
}

/** The check of a converting step: returns when the step may run, throws TYPE_CONVERSION_REFUSED otherwise. */
async function checkConversion(driver: ClickHouseDriver, step: SqlStep & { checkConversion: ConversionCheck }, onProgress?: ProgressListener): Promise<void> {
  const check = step.checkConversion;
  // Rows an unfinished ALTER … UPDATE/DELETE is about to change are what the ALTER will see.
  await waitForMutations(driver, check.table);
  const column = (await liveColumns(driver, check.table)).get(check.column);
  // Missing (the step is IF EXISTS, or a resumed expression conversion) or already converted: nothing to check.
  if (!column || (column.type === check.toType && check.using === undefined)) return;
  const bad = await findBadRows(driver, check, onProgress);
  if (bad.count !== 0) throw conversionRefused(check, bad);
}

/**
 * The resume of a step that ran on some hosts of its cluster and failed on others: the hosts it is
 * sent to alone, and how to reach each (`host_name:port` as system.clusters names it).
 */
export interface HostRetry {
  hosts: string[];
  connect(host: string): Promise<ClickHouseDriver>;
}

/**
 * Runs one SQL step: the conversion check first when the step has one, rebuild copy/exchange
 * with verification and progress, any other statement as is. With `retry`, a step on a cluster
 * runs on the retry's hosts only, each sent the statement without ON CLUSTER.
 */
export async function executeSqlStep(driver: ClickHouseDriver, given: SqlStep, onProgress?: ProgressListener, retry?: HostRetry): Promise<void> {
  const cluster = given.cause?.cluster;
  // The embedded engine has no access control (chdb refuses CREATE ROLE and ROW POLICY): moose applies
  // the app's row policies to the queries it runs for scoped callers itself (./row-policies.ts).
  if (driver.kind === "embedded" && given.cause?.needs?.includes("rowPolicy")) return;
  if (retry !== undefined && cluster !== undefined && driver.kind === "remote") return retryOnHosts(given, cluster, retry, onProgress);
  // The embedded engine has no Keeper and no cluster: a Replicated* table is created unreplicated there, on itself (./replication.ts).
  const local = driver.kind === "embedded" ? { ...given, sql: unreplicatedSql(withoutOnCluster(given.sql, given.cause?.cluster)) } : given;
  // A feature the server lacks (the runner refuses such steps before a run; this covers every other caller), or its adaptation.
  const version = serverVersionOf(driver);
  const support = stepSupport(local, version);
  if (support.kind === "unsupported") throw featureUnsupported(support.feature, version!, `the step "${local.summary ?? local.sql.split("\n")[0]}"`, local.cause);
  if (version !== undefined && version[0] === 18) await refuseCommentedReplicatedColumn(driver, local);
  if (support.kind === "adapted") return runAdaptation(driver, support.adaptation);
  // A server without column IF [NOT] EXISTS (18.x, 19.x): check the column first, run the plain statement (./capabilities.ts).
  const guarded = serverCapabilities(driver).columnIfExists ? undefined : guardColumnStatement(local.sql, local.cause);
  if (!guarded) return runStep(driver, local, onProgress);
  const step = { ...local, sql: guarded.sql };
  if (local.cause?.cluster === undefined) {
    if ((await liveColumns(driver, guarded.table)).has(guarded.column) !== (guarded.runWhen === "present")) return;
    return runStep(driver, step, onProgress);
  }
  // On a cluster the connected host does not speak for the others: the plain statement runs on every host.
  try {
    await runStep(driver, step, onProgress);
  } catch (error) {
    if (!(await columnChangeDone(driver, guarded, error))) throw error;
  }
}

async function runStep(driver: ClickHouseDriver, step: SqlStep, onProgress?: ProgressListener): Promise<void> {
  if (step.checkConversion) {
    const check = step.checkConversion;
    await requireOneShard(driver, step.cause?.cluster, check.table, `Changing ${check.column} of`);
    await checkConversion(driver, { ...step, checkConversion: check }, onProgress);
    if (check.using !== undefined) await convertWithExpression(driver, { ...check, using: check.using });
    await execStatement(driver, step.sql, step.cause?.cluster);
    await waitForMutations(driver, check.table);
    return;
  }
  const materialized = step.cause?.column?.materializes === undefined ? undefined : step.cause.column.table;
  if (materialized !== undefined) {
    // The next statement changes the expression these rows read: it must find them stored.
    await execStatement(driver, step.sql, step.cause?.cluster);
    await waitForMutations(driver, materialized);
    return;
  }
  const rebuild = rebuildOf(step);
  if (rebuild?.phase === "create") {
    // Noted here too, so a rebuild with nothing to copy also knows its swap once it happened.
    await execStatement(driver, step.sql, step.cause?.cluster);
    return rememberCopy(driver, rebuild.rebuild);
  }
  if (rebuild?.phase === "copy") return copyRows(driver, step, rebuild.rebuild, onProgress);
  if (rebuild?.phase === "exchange") return exchangeTables(driver, step, rebuild.rebuild);
  if (step.cause?.backfill === true) await requireOneShard(driver, step.cause.cluster, step.cause.target, "Backfilling");
  if (step.cause?.operation === "createMaterializedView" && onProgress) return backfill(driver, step, step.cause.target, onProgress);
  await execStatement(driver, step.sql, step.cause?.backfill === true ? undefined : step.cause?.cluster);
}

/**
 * A step's DDL statement: on a server's cluster (the cause's) with every host's result, so a
 * failure names each failed host (./distributed-ddl.ts); on one server or the embedded engine as is.
 */
async function execStatement(driver: ClickHouseDriver, sql: string, cluster: string | undefined): Promise<void> {
  if (cluster === undefined || driver.kind !== "remote") return driver.exec(sql);
  await runOnCluster(driver, sql, cluster);
}

/** Whether a step can be resumed host by host: it runs ON CLUSTER as ddl.ts writes the clause for its cause's cluster. */
export function retriesPerHost(step: SqlStep): boolean {
  const cluster = step.cause?.cluster;
  return cluster !== undefined && withoutOnCluster(step.sql, cluster) !== step.sql;
}

/**
 * The step on each retried host alone: the statement without ON CLUSTER and a cause without the
 * cluster, so the host's own state is checked (a column guard, a conversion check) as on one server.
 * Every host is tried; any that fails, or cannot be reached, fails the step, naming it.
 */
async function retryOnHosts(step: SqlStep, cluster: string, retry: HostRetry, onProgress?: ProgressListener): Promise<void> {
  const local: SqlStep = { ...step, sql: withoutOnCluster(step.sql, cluster), cause: { ...step.cause!, cluster: undefined } };
  const outcomes: HostOutcome[] = [];
  for (const host of retry.hosts) {
    try {
      const hostDriver = await retry.connect(host);
      try {
        await executeSqlStep(hostDriver, local, onProgress);
      } finally {
        await hostDriver.close();
      }
      outcomes.push({ host, ok: true });
    } catch (error) {
      outcomes.push({ host, ok: false, code: clickHouseCodeOf(error), error: error instanceof MooseError ? error.message : String((error as Error)?.message ?? error) });
    }
  }
  if (outcomes.some((outcome) => !outcome.ok)) throw clusterDdlFailed({ cluster, hosts: outcomes }, local.sql, undefined);
}

/** DUPLICATE_COLUMN, NO_SUCH_COLUMN_IN_TABLE; ILLEGAL_COLUMN is what 18.x says for both. */
const COLUMN_STATE_ERRORS = new Set([15, 16, 44]);

/**
 * A plain ADD or DROP COLUMN ON CLUSTER (18.x/19.x) that failed because a host already had (or
 * already lacked) the column, as resuming after a partial run does: done, when the connected host
 * also shows the change made. Every failed host's error must be such a one (ClickHouse itself
 * reports only the first: the others are read back from Keeper, ./distributed-ddl.ts).
 */
async function columnChangeDone(driver: ClickHouseDriver, guarded: GuardedColumnStatement, error: unknown): Promise<boolean> {
  // Every failed host's own code when the per-host results are known; else the one the server reported.
  const failure = clusterFailureOf(error);
  const codes = failure ? failure.hosts.filter((host) => !host.ok).map((host) => host.code) : [clickHouseCodeOf(error)];
  if (codes.some((code) => code === undefined || !COLUMN_STATE_ERRORS.has(code)) || (guarded.verb !== "ADD" && guarded.verb !== "DROP")) return false;
  const present = (await liveColumns(driver, guarded.table)).has(guarded.column);
  return present === (guarded.verb === "ADD");
}

/** A materialized view's steps, the backfill among them: progress is what the server says of reading the view's sources. */
async function backfill(driver: ClickHouseDriver, step: SqlStep, view: string, onProgress: ProgressListener): Promise<void> {
  let last: RowProgress | undefined;
  await withProgress(
    driver,
    (rows, totalRows) => {
      last = { table: view, activity: "backfill", rows, totalRows, done: false };
      onProgress(last);
    },
    (marker) => driver.exec(marker + step.sql),
  );
  if (last) onProgress({ ...last, rows: last.totalRows, done: true });
}


/**
 * On 18.x a MODIFY COLUMN of a Replicated table's column that has a comment drops the column from
 * the table, and COMMENT COLUMN is refused on Replicated tables (both tested on 18.16). So a generated
 * change or rename of such a column stops before it changes anything.
 */
async function refuseCommentedReplicatedColumn(driver: ClickHouseDriver, step: SqlStep): Promise<void> {
  const cause = step.cause;
  const target = cause?.column;
  if (target === undefined || (cause?.operation !== "modifyColumn" && cause?.operation !== "renameColumn")) return;
  const live = (await liveColumns(driver, target.table)).get(target.name);
  if (live === undefined || live.comment === "" || !(await engineOf(driver, target.table)).startsWith("Replicated")) return;
  throw new MooseError(
    "REPLICATED_COMMENTED_COLUMN_UNSUPPORTED",
    `${target.table}.${target.name} has a comment and ${target.table} is Replicated: ClickHouse 18.x loses such a column on MODIFY COLUMN and cannot COMMENT COLUMN it. Nothing was changed by this step.`,
    {
      hint: "upgrade the server to 19.x or later; or make the change by hand (a new column, ALTER UPDATE, drop the old one) and take the step out of the migration file",
      details: { table: target.table, column: target.name },
    },
  );
}

/** A generated step an old server runs in other statements (./capabilities.ts says when). */
function runAdaptation(driver: ClickHouseDriver, adaptation: Adaptation): Promise<void> {
  if (adaptation.kind === "rename") return renameByCopy(driver, adaptation);
  if (adaptation.kind === "remove") return removeByRedefinition(driver, adaptation);
  return rebuildWithSettings(driver, adaptation);
}

/**
 * MODIFY/RESET SETTING before 19.11/21.8: the data-keeping rebuild (the same steps a generated one
 * has, run here in turn: copy verified, swapped by RENAME) into a table created from the live one's
 * definition (introspected: the spec it was created from) with the settings changed. A table that
 * already has them was rebuilt by an earlier, interrupted run: only its leftover copy is dropped.
 */
async function rebuildWithSettings(driver: ClickHouseDriver, change: Extract<Adaptation, { kind: "settings" }>): Promise<void> {
  const live = (await driver.introspect()).tables[change.table];
  if (live === undefined) {
    throw new MooseError("REBUILD_TABLE_MISSING", `${change.table} does not exist, so its settings cannot be changed.`, {
      hint: "the migration expects the table the previous migrations created: check `moose migrate status` and the database the command targets",
      details: { table: change.table },
    });
  }
  const settings = { ...live.settings, ...change.set };
  for (const key of change.reset) delete settings[key];
  const cause = { operation: "recreateTable", target: change.table, risk: "rewrite" } as const;
  if (JSON.stringify(sortedEntries(settings)) === JSON.stringify(sortedEntries(live.settings))) {
    return driver.exec(dropTableSql(rebuildCopyName(change.table)));
  }
  for (const { phase, sql } of recreateTableSql(live, { ...live, settings })) await runStep(driver, { sql, cause: { ...cause, rebuild: phase } });
}

function sortedEntries(record: Record<string, string>): Array<[string, string]> {
  return Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
}

/**
 * RENAME COLUMN before 20.4: a new column after the old one with its type, default and comment, filled
 * from it with ALTER UPDATE (a computed column is recomputed instead), then the old one dropped. Each
 * part checks what is already done, so a run interrupted half-way resumes. Meanwhile readers see both
 * columns, and a row written to the old name after the UPDATE started gets the new column's default.
 */
async function renameByCopy(driver: ClickHouseDriver, rename: Extract<Adaptation, { kind: "rename" }>): Promise<void> {
  const table = quoteIdentifier(rename.table);
  const [from, to] = [quoteIdentifier(rename.from), quoteIdentifier(rename.to)];
  await waitForMutations(driver, rename.table);
  const columns = await liveColumns(driver, rename.table);
  const source = columns.get(rename.from);
  // Renamed already (a resumed run), or nothing to rename (the statement's IF EXISTS).
  if (source === undefined) return;
  if (source.is_in_sorting_key || source.is_in_partition_key || source.is_in_primary_key) {
    throw new MooseError(
      "RENAME_KEY_COLUMN_UNSUPPORTED",
      `${rename.table}.${rename.from} is part of the table's key: this server has no RENAME COLUMN (20.4+), and a key column cannot be copied and dropped instead. Nothing was changed by this step.`,
      {
        hint: "upgrade the server to 20.4 or later, or change the key in a migration of its own first (a table rebuild: change orderByFields), then rename",
        details: { table: rename.table, column: rename.from, to: rename.to },
      },
    );
  }
  if (!columns.has(rename.to)) {
    const computed = source.default_kind === "" ? "" : ` ${source.default_kind} ${source.default_expression}`;
    await driver.exec(`ALTER TABLE ${table} ADD COLUMN ${to} ${source.type}${computed} AFTER ${from}`);
  }
  // 18.16 ignores a COMMENT in ADD COLUMN (tested): its own statement.
  if (source.comment !== "" && columns.get(rename.to)?.comment !== source.comment) await driver.exec(`ALTER TABLE ${table} COMMENT COLUMN ${to} ${quoteString(source.comment)}`);
  if (source.default_kind === "" || source.default_kind === "DEFAULT") {
    await driver.exec(`ALTER TABLE ${table} UPDATE ${to} = ${from} WHERE 1`);
    await waitForMutations(driver, rename.table);
  }
  await driver.exec(`ALTER TABLE ${table} DROP COLUMN ${from}`);
}

/**
 * MODIFY COLUMN … REMOVE before 21.3: a comment is removed by an empty one; a default (materialized,
 * alias) by a MODIFY COLUMN that names only the column's type, which on these servers keeps the
 * comment and drops the default (checked after, since that is what the adaptation rests on).
 */
async function removeByRedefinition(driver: ClickHouseDriver, removal: Extract<Adaptation, { kind: "remove" }>): Promise<void> {
  const head = `ALTER TABLE ${quoteIdentifier(removal.table)}`;
  const column = quoteIdentifier(removal.column);
  const live = (await liveColumns(driver, removal.table)).get(removal.column);
  // The statement's IF EXISTS.
  if (live === undefined) return;
  if (removal.property === "comment") return driver.exec(`${head} COMMENT COLUMN ${column} ''`);
  await driver.exec(`${head} MODIFY COLUMN ${column} ${live.type}`);
  const after = (await liveColumns(driver, removal.table)).get(removal.column);
  if (after !== undefined && after.default_kind !== "") {
    throw new MooseError(
      "COLUMN_PROPERTY_NOT_REMOVED",
      `${removal.table}.${removal.column} still has its ${after.default_kind} ${after.default_expression} after MODIFY COLUMN ${removal.column} ${live.type}: this server keeps a default that a MODIFY COLUMN does not name, and has no MODIFY COLUMN … REMOVE (21.3+).`,
      {
        hint: "upgrade the server to 21.3 or later, or remove the default by hand and take the step out of the migration file",
        details: { table: removal.table, column: removal.column, property: removal.property },
      },
    );
  }
  // 18.16 keeps the comment through a MODIFY COLUMN that does not name it (tested); a server that drops it gets it back.
  if (after !== undefined && after.comment !== live.comment) await driver.exec(`${head} COMMENT COLUMN ${column} ${quoteString(live.comment)}`);
}

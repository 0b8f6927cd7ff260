/**
 * The journal and the state, kept in the target database as plain MergeTree-family tables that
 * every supported server accepts (no transactions, no query parameters, no DateTime64):
 *
 *   _moose_migrations  one row per status change of a migration; the row with the highest
 *                      `version` is the current one (ReplacingMergeTree(version) collapses older
 *                      rows eventually; reads never rely on that and take the newest row per id).
 *   _moose_state       the manifest after every applied (or reverted) migration; the newest row is
 *                      the database's state, what `moose plan` against a server compares with.
 *
 * Rows are only ever inserted (JSONEachRow; DateTime as unix seconds, UInt64 as a string, which
 * every server version parses), while the migration lock is held, with a version from one
 * monotonic counter seeded from the tables themselves.
 */
import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { clickHouseCodeOf } from "../../infra/clickhouse/errors.js";
import type { ClickHouseDriver } from "../../infra/clickhouse/driver.js";
import { columnsOfTables, type TableColumns } from "../../infra/clickhouse/introspect.js";
import { fromStoredManifest, type Manifest, type StoredManifest } from "../../manifest/types.js";
import { journalEngine, onJournalCluster, replicatedTableExists, UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE, waitForActiveReplicas, type JournalPlacement } from "./cluster.js";
import type { JournalStore, StateRecord } from "./store.js";

export const JOURNAL_TABLE = "_moose_migrations";
/** Added after the first release: a journal created before it gets it on its next write (prepare). */
const HOST_RESULTS_COLUMN = "host_results";
export const STATE_TABLE = "_moose_state";
/** How long a clustered journal write waits for the table's previous, unconfirmed quorum write (Journal.insert). */
const PREVIOUS_QUORUM_WAIT_MS = 10_000;

/**
 * running: up in progress (or interrupted) after `steps_done` steps · failed: up stopped at step
 * `steps_done` (0-based index of the failing step) · applied · reverting / revert_failed: the same
 * for down · reverted: down finished (the migration is pending again).
 */
export type JournalStatus = "running" | "failed" | "applied" | "reverting" | "revert_failed" | "reverted";

export interface JournalEntry {
  id: string;
  checksum: string;
  from: string;
  to: string;
  status: JournalStatus;
  /** Steps of the current direction already done; a resumed run starts at this index. */
  stepsDone: number;
  /** Fingerprint of the steps already done: a resumed run refuses when they changed. */
  doneHash: string;
  /** Epoch milliseconds (stored with second precision). */
  startedAt: number;
  finishedAt: number;
  durationMs: number;
  appliedBy: string;
  error: string;
  failedStep: string;
  /** Per-host results of the migration's latest step on a cluster that failed on some host or was resumed host by host. */
  hosts?: StepHosts;
  version: bigint;
}

/**
 * Which hosts of a cluster have run step `step` (0-based) and which failed it, with each failure's
 * error. Hosts are `host_name:port` as system.clusters names them. `retried`: the hosts the latest
 * run sent the step to alone (without ON CLUSTER), resuming it where it had failed.
 */
export interface StepHosts {
  step: number;
  /** The step's fingerprint when it ran (plan.ts doneHash of it alone): a step edited since is not resumed host by host. */
  stepHash: string;
  cluster: string;
  done: string[];
  failed: Array<{ host: string; code?: number; error: string }>;
  retried?: string[];
}

/** `host_results`: StepHosts as JSON, "" for none (rows written before the column existed read as ""). */
function parseStepHosts(text: string | undefined): StepHosts | undefined {
  if (text === undefined || text === "") return undefined;
  try {
    const value = JSON.parse(text) as StepHosts;
    return typeof value.step === "number" && typeof value.stepHash === "string" && typeof value.cluster === "string" && Array.isArray(value.done) && Array.isArray(value.failed)
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}

/** Counts as applied for planning: fully applied, or on its way down (a failed down resumes). */
export function isApplied(entry: JournalEntry | undefined): boolean {
  return entry !== undefined && (entry.status === "applied" || entry.status === "reverting" || entry.status === "revert_failed");
}

function journalDdl(placement: JournalPlacement | undefined): string {
  return `CREATE TABLE IF NOT EXISTS ${JOURNAL_TABLE}${onJournalCluster(placement)} (
  id String,
  checksum String,
  from_hash String,
  to_hash String,
  status String,
  steps_done UInt32,
  done_hash String,
  started_at DateTime,
  finished_at DateTime,
  duration_ms UInt64,
  applied_by String,
  error String,
  failed_step String,
  version UInt64,
  ${HOST_RESULTS_COLUMN} String
) ENGINE = ${journalEngine(JOURNAL_TABLE, "ReplacingMergeTree", ["version"], placement)} ORDER BY id`;
}

function stateDdl(placement: JournalPlacement | undefined): string {
  return `CREATE TABLE IF NOT EXISTS ${STATE_TABLE}${onJournalCluster(placement)} (
  migration_id String,
  manifest_hash String,
  manifest String,
  recorded_at DateTime,
  version UInt64
) ENGINE = ${journalEngine(STATE_TABLE, "MergeTree", [], placement)} ORDER BY version`;
}

let identity: string | undefined;

/** `user@host:pid` for `applied_by` (containers may have no passwd entry for the uid). */
export function whoAmI(): string {
  if (identity === undefined) {
    let user: string;
    try {
      user = os.userInfo().username;
    } catch {
      user = process.env.USER ?? "unknown";
    }
    identity = `${user}@${os.hostname()}:${process.pid}`;
  }
  return identity;
}

/** Which of moose's `tables` exist in the target database, with their columns: one read for all of them. */
export function readTableColumns(driver: ClickHouseDriver, tables: readonly string[]): Promise<TableColumns> {
  return columnsOfTables((sql) => driver.query(sql), tables);
}

export async function tableExists(driver: ClickHouseDriver, table: string): Promise<boolean> {
  return (await readTableColumns(driver, [table])).has(table);
}

interface JournalRow {
  id: string;
  checksum: string;
  from_hash: string;
  to_hash: string;
  status: JournalStatus;
  steps_done: number | string;
  done_hash: string;
  started_s: string | number;
  finished_s: string | number;
  duration_ms: number | string;
  applied_by: string;
  error: string;
  failed_step: string;
  version_text: string;
  host_results?: string;
}

/** The ClickHouse journal store: `_moose_migrations` and `_moose_state` in the target database. */
export class Journal implements JournalStore {
  private lastVersion = 0n;
  private prepared = false;

  /**
   * Reads never create the tables (dry runs and `status` create nothing); `prepare` does. `placement`:
   * the tables are replicated across a cluster (./cluster.ts), and `driver` writes with its quorum.
   */
  constructor(
    readonly driver: ClickHouseDriver,
    private readonly placement?: JournalPlacement,
  ) {}

  /** A journal whose tables exist (created when missing). */
  static async open(driver: ClickHouseDriver, placement?: JournalPlacement): Promise<Journal> {
    const journal = new Journal(driver, placement);
    await journal.prepare();
    return journal;
  }

  async prepare(): Promise<void> {
    if (this.prepared) return;
    // On a cluster, CREATE … ON CLUSTER waits for every host even when the table exists: only when missing.
    const created: string[] = [];
    for (const [table, ddl] of [
      [JOURNAL_TABLE, journalDdl(this.placement)],
      [STATE_TABLE, stateDdl(this.placement)],
    ] as const) {
      if (this.placement !== undefined && (await replicatedTableExists(this.driver, table, this.placement))) continue;
      await this.driver.exec(ddl);
      created.push(table);
    }
    const hasHostResults = async () => (await readTableColumns(this.driver, [JOURNAL_TABLE])).get(JOURNAL_TABLE)?.has(HOST_RESULTS_COLUMN) ?? false;
    if (!(await hasHostResults())) {
      // ALTER on a Replicated table reaches its other replicas through Keeper; ON CLUSTER covers the rest.
      // No IF NOT EXISTS (18.x has none) and this runs before the lock: a run that loses the race to
      // add the column finds it there afterwards, which is all it needs.
      await this.driver.exec(`ALTER TABLE ${JOURNAL_TABLE}${onJournalCluster(this.placement)} ADD COLUMN ${HOST_RESULTS_COLUMN} String`).catch(async (error: unknown) => {
        if (!(await hasHostResults())) throw error;
      });
    }
    if (this.placement !== undefined && created.length > 0) await waitForActiveReplicas(this.driver, created);
    this.prepared = true;
  }

  /** The current row of every migration the database has seen, by id. Also re-seeds the version counter. */
  async entries(): Promise<Map<string, JournalEntry>> {
    const tables = this.prepared ? undefined : await readTableColumns(this.driver, [JOURNAL_TABLE, STATE_TABLE]);
    const entries = await readJournal(this.driver, tables);
    let highest = 0n;
    if (!tables || tables.has(STATE_TABLE)) {
      const stateVersion = await this.driver.query<{ v: string | number }>(`SELECT toString(max(version)) AS v FROM ${STATE_TABLE}`);
      highest = BigInt(stateVersion[0]?.v ?? 0);
    }
    for (const entry of entries.values()) if (entry.version > highest) highest = entry.version;
    if (highest > this.lastVersion) this.lastVersion = highest;
    return entries;
  }

  async state(): Promise<StateRecord | undefined> {
    if (!this.prepared && !(await tableExists(this.driver, STATE_TABLE))) return undefined;
    const rows = await this.driver.query<{ migration_id: string; manifest_hash: string }>(
      `SELECT migration_id, manifest_hash FROM ${STATE_TABLE} ORDER BY version DESC LIMIT 1`,
    );
    const row = rows[0];
    return row ? { migrationId: row.migration_id, hash: row.manifest_hash } : undefined;
  }

  /** Strictly increasing across writers: seeded from the tables (read under the lock), then from the clock. */
  private nextVersion(): bigint {
    const fromClock = BigInt(Date.now()) * 1000n;
    this.lastVersion = fromClock > this.lastVersion ? fromClock : this.lastVersion + 1n;
    return this.lastVersion;
  }

  async record(entry: Omit<JournalEntry, "version">): Promise<void> {
    await this.prepare();
    await this.insert(JOURNAL_TABLE, [
      {
        id: entry.id,
        checksum: entry.checksum,
        from_hash: entry.from,
        to_hash: entry.to,
        status: entry.status,
        steps_done: entry.stepsDone,
        done_hash: entry.doneHash,
        started_at: Math.floor(entry.startedAt / 1000),
        finished_at: Math.floor(entry.finishedAt / 1000),
        duration_ms: Math.round(entry.durationMs),
        applied_by: entry.appliedBy,
        error: entry.error,
        failed_step: entry.failedStep,
        [HOST_RESULTS_COLUMN]: entry.hosts === undefined ? "" : JSON.stringify(entry.hosts),
        version: String(this.nextVersion()),
      },
    ]);
  }

  /**
   * On a cluster, a write refused because the table's previous quorum write is unconfirmed (it timed
   * out waiting for a replica that was down: servers before 20.10 allow one at a time) is retried
   * while that replica catches up; nothing was written by the refused one.
   */
  private async insert(table: string, rows: Record<string, unknown>[]): Promise<void> {
    const deadline = Date.now() + PREVIOUS_QUORUM_WAIT_MS;
    for (;;) {
      try {
        return await this.driver.insert(table, rows);
      } catch (error) {
        if (this.placement === undefined || clickHouseCodeOf(error) !== UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE || Date.now() >= deadline) throw error;
        await sleep(200);
      }
    }
  }

  /** `state` is the manifest's hash and canonical JSON (computed once, when its snapshot was verified). */
  async recordState(migrationId: string, state: { hash: string; json: string }): Promise<void> {
    await this.prepare();
    await this.insert(STATE_TABLE, [
      {
        migration_id: migrationId,
        manifest_hash: state.hash,
        manifest: state.json,
        recorded_at: Math.floor(Date.now() / 1000),
        version: String(this.nextVersion()),
      },
    ]);
  }
}

/**
 * Read-only: an absent journal is an empty one (dry runs and `status` create nothing). `tables`:
 * what readTableColumns already read of the journal's table, when the caller has it.
 */
export async function readJournal(driver: ClickHouseDriver, tables?: TableColumns): Promise<Map<string, JournalEntry>> {
  const columns = (tables ?? (await readTableColumns(driver, [JOURNAL_TABLE]))).get(JOURNAL_TABLE);
  if (!columns) return new Map();
  const hostResults = columns.has(HOST_RESULTS_COLUMN) ? `, ${HOST_RESULTS_COLUMN}` : "";
  const rows = await driver.query<JournalRow>(
    `SELECT id, checksum, from_hash, to_hash, status, steps_done, done_hash, toUInt32(started_at) AS started_s, toUInt32(finished_at) AS finished_s, duration_ms, applied_by, error, failed_step, toString(version) AS version_text${hostResults} FROM ${JOURNAL_TABLE} ORDER BY id, version DESC LIMIT 1 BY id`,
  );
  return new Map(
    rows.map((row) => {
      const hosts = parseStepHosts(row.host_results);
      return [
        row.id,
        {
          id: row.id,
          checksum: row.checksum,
          from: row.from_hash,
          to: row.to_hash,
          status: row.status,
          stepsDone: Number(row.steps_done),
          doneHash: row.done_hash,
          startedAt: Number(row.started_s) * 1000,
          finishedAt: Number(row.finished_s) * 1000,
          durationMs: Number(row.duration_ms),
          appliedBy: row.applied_by,
          error: row.error,
          failedStep: row.failed_step,
          ...(hosts ? { hosts } : {}),
          version: BigInt(row.version_text),
        },
      ];
    }),
  );
}

export interface AppliedState {
  migrationId: string;
  hash: string;
  manifest: Manifest;
  /** The `_moose_state` row's version: unique per recorded state (a re-apply of the same migration gets a new one). */
  version: string;
}

/** The newest `_moose_state` row without its manifest (the table must exist). */
export async function readAppliedStateHead(driver: ClickHouseDriver): Promise<Omit<AppliedState, "manifest"> | undefined> {
  const [row] = await driver.query<{ migration_id: string; manifest_hash: string; version_text: string }>(
    `SELECT migration_id, manifest_hash, toString(version) AS version_text FROM ${STATE_TABLE} ORDER BY version DESC LIMIT 1`,
  );
  return row ? { migrationId: row.migration_id, hash: row.manifest_hash, version: row.version_text } : undefined;
}

/** The manifest the database is at (after its newest applied migration), or undefined for a fresh database. */
export async function readAppliedState(driver: ClickHouseDriver): Promise<AppliedState | undefined> {
  return (await tableExists(driver, STATE_TABLE)) ? readAppliedStateRow(driver) : undefined;
}

/** As readAppliedState, when the caller knows the table exists. */
export async function readAppliedStateRow(driver: ClickHouseDriver): Promise<AppliedState | undefined> {
  const rows = await driver.query<{ migration_id: string; manifest_hash: string; manifest: string; version_text: string }>(
    `SELECT migration_id, manifest_hash, manifest, toString(version) AS version_text FROM ${STATE_TABLE} ORDER BY version DESC LIMIT 1`,
  );
  const row = rows[0];
  if (!row) return undefined;
  return { migrationId: row.migration_id, hash: row.manifest_hash, manifest: fromStoredManifest(JSON.parse(row.manifest) as StoredManifest), version: row.version_text };
}

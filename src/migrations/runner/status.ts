/**
 * `moose migrate status`: every migration file with what the database's journal says about it,
 * plus what stops a run (a refusal is reported here instead of thrown: a broken chain or sum, meta
 * files or snapshot.json that disagree with the chain, a journal and state that disagree, applied
 * files that changed) and whether the code has changes that are not in a migration yet.
 */
import { existsSync } from "node:fs";
import { isMooseError } from "../../errors.js";
import type { ClickHouseDriver } from "../../infra/clickhouse/driver.js";
import { EMPTY_MANIFEST_HASH, hashManifest } from "../../manifest/canonical.js";
import { codeState } from "../../diff/index.js";
import { emptyManifest, type Manifest } from "../../manifest/types.js";
import { readSnapshotManifest } from "../snapshots.js";
import { DEV_STATE_TABLE, readAppliedHead } from "../../dev/state.js";
import { migrationsLayout } from "../layout.js";
import { loadMigrations, readMigrationSources } from "../load.js";
import { checkSum, refuseEditedFile, refuseSumProblem, verifyChain, verifySnapshots } from "../verify.js";
import { verifyHistory } from "./history.js";
import { JOURNAL_TABLE, readJournal, readTableColumns, STATE_TABLE, type JournalStatus, type StepHosts } from "./journal.js";
import { liveHolders, LOCK_TABLE, type LockHolder } from "./lock.js";
import { planUp, verifyAgainstJournal } from "./plan.js";

export interface MigrationStatusEntry {
  id: string;
  file: string;
  /** `pending` when the journal has no row or says `reverted`. */
  status: "pending" | Exclude<JournalStatus, "reverted">;
  steps: number;
  stepsDone: number;
  finishedAt?: string;
  appliedBy?: string;
  durationMs?: number;
  error?: string;
  failedStep?: string;
  /** The per-host results of its latest step on a cluster that failed on some host or was resumed host by host. */
  hosts?: StepHosts;
}

export interface MigrationsStatus {
  migrations: MigrationStatusEntry[];
  /** Migrations the journal has (applied, failed or half-reverted) whose file is gone. */
  unknownApplied: string[];
  database: { migrationId: string; hash: string } | null;
  lock: LockHolder | null;
  /** The refusal a `migrate up` would stop with, if any. */
  problem: { code: string; message: string; hint?: string } | null;
  snapshotHash: string | null;
  /** null when the code's manifest was not given (or could not be extracted). */
  codeDiffersFromSnapshot: boolean | null;
  /**
   * `moose dev` applied changes to this database beyond its newest migration state: they are in no
   * migration file yet (src/dev/state.ts: the same reading `moose ls` and `moose dev` use).
   */
  devChangesNotInMigration: boolean;
}

export async function migrationStatus(options: { projectDir: string; dir?: string; driver: ClickHouseDriver; codeManifest?: Manifest }): Promise<MigrationsStatus> {
  const layout = migrationsLayout(options.projectDir, options.dir);
  const sources = await readMigrationSources(layout);
  const sum = await checkSum(layout, sources);
  refuseEditedFile(layout, sum);
  const migrations = await loadMigrations(layout, sources);
  // Read-only: absent tables read as empty, nothing is created. Which exist: one read for all.
  const tables = await readTableColumns(options.driver, [JOURNAL_TABLE, STATE_TABLE, DEV_STATE_TABLE, LOCK_TABLE]);
  const journal = await readJournal(options.driver, tables);
  const applied = await readAppliedHead(options.driver, tables);
  const recorded = applied.migrations;
  let problem: MigrationsStatus["problem"] = null;
  try {
    verifyChain(layout, migrations);
    refuseSumProblem(layout, sum);
    await verifySnapshots(layout, migrations);
    verifyHistory(migrations, journal, recorded);
    verifyAgainstJournal(layout, migrations, journal);
    // What `up` would refuse at planning too (a half-applied migration whose done steps changed).
    planUp(layout, migrations, journal);
  } catch (error) {
    if (!isMooseError(error)) throw error;
    problem = { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  }
  const files = new Set(migrations.map((migration) => migration.id));
  const lock = tables.has(LOCK_TABLE) ? ((await liveHolders(options.driver))[0] ?? null) : null;
  const snapshot = existsSync(layout.snapshot) ? await readSnapshotManifest(layout) : null;
  const snapshotHash = snapshot ? hashManifest(snapshot) : null;
  return {
    migrations: migrations.map((migration) => {
      const entry = journal.get(migration.id);
      const status = !entry || entry.status === "reverted" ? "pending" : entry.status;
      return {
        id: migration.id,
        file: migration.fileName,
        status,
        steps: migration.definition.up.length,
        stepsDone: status === "pending" ? 0 : entry!.stepsDone,
        ...(entry && status !== "pending"
          ? {
              finishedAt: new Date(entry.finishedAt).toISOString(),
              appliedBy: entry.appliedBy,
              durationMs: entry.durationMs,
              ...(entry.error ? { error: entry.error, failedStep: entry.failedStep } : {}),
              ...(entry.hosts ? { hosts: entry.hosts } : {}),
            }
          : {}),
      };
    }),
    unknownApplied: [...journal.values()].filter((entry) => entry.status !== "reverted" && !files.has(entry.id)).map((entry) => entry.id),
    database: recorded ? { migrationId: recorded.migrationId, hash: recorded.hash } : null,
    lock,
    problem,
    snapshotHash,
    devChangesNotInMigration: applied.devAhead,
    codeDiffersFromSnapshot: options.codeManifest ? hashManifest(codeState(snapshot ?? emptyManifest(), options.codeManifest)) !== (snapshotHash ?? EMPTY_MANIFEST_HASH) : null,
  };
}

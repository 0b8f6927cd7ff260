/**
 * History integrity: the journal (`_moose_migrations`) and the state (`_moose_state`) are written
 * after every applied migration, so they must agree on the last one applied. When they do not —
 * the journal table was dropped (a run would apply every migration again, doubling data that is
 * not idempotent), the state is gone, or one is behind the other — every run refuses (exit 4)
 * until `moose migrate status --repair` rebuilds the missing side.
 *
 * The one disagreement that is normal: a run that was interrupted between writing the state and
 * the journal row of its last step (the state is written first). Up: the state is at M while M is
 * still `running`/`failed` in the journal. Down: the state is at the migration before M while M
 * is still `reverting`/`revert_failed`. The next run repeats that last step and writes both.
 */
import { ExitCode, MooseError } from "../../errors.js";
import { openMigrationsDirectory } from "../directory.js";
import { migrationsLayout, type MigrationsLayout } from "../layout.js";
import type { LoadedMigration } from "../load.js";
import { readMigrationState, verifySnapshots } from "../verify.js";
import { isApplied, Journal, whoAmI, type JournalEntry } from "./journal.js";
import { MigrationLock, type LockOptions } from "./lock.js";
import { doneHash } from "./plan.js";
import type { JournalStore, LockStore, StateRecord } from "./store.js";
import type { ClickHouseDriver } from "../../infra/clickhouse/driver.js";

const REPAIR = "moose migrate status --repair";

/** The newest migration the journal counts as applied ("" when none). Ids sort in chain order. */
export function lastApplied(entries: Map<string, JournalEntry>): string {
  let last = "";
  for (const entry of entries.values()) if (isApplied(entry) && entry.id > last) last = entry.id;
  return last;
}

/** The refusal for a journal and state that disagree, or undefined when they agree. */
export function historyProblem(migrations: LoadedMigration[], entries: Map<string, JournalEntry>, state: StateRecord | undefined): MooseError | undefined {
  const journalAt = lastApplied(entries);
  const stateAt = state?.migrationId ?? "";
  if (journalAt === stateAt) return undefined;

  // An interrupted finish (see the header): the state is one write ahead of the journal.
  // (The runner journals a migration as in progress before its first step, so such a row exists.)
  const before = (id: string): string | undefined => {
    const index = migrations.findIndex((migration) => migration.id === id);
    return index < 0 ? undefined : (migrations[index - 1]?.id ?? "");
  };
  const stateEntry = stateAt ? entries.get(stateAt) : undefined;
  if (stateEntry && (stateEntry.status === "running" || stateEntry.status === "failed") && before(stateAt) === journalAt) return undefined;
  const journalEntry = journalAt ? entries.get(journalAt) : undefined;
  if (journalEntry && (journalEntry.status === "reverting" || journalEntry.status === "revert_failed") && before(journalAt) === stateAt) return undefined;

  const details = { journal: journalAt || null, state: stateAt || null };
  if (journalAt === "") {
    return new MooseError(
      "MIGRATION_JOURNAL_MISSING",
      `the journal (_moose_migrations) records no applied migration, but the state (_moose_state) says this database is at ${stateAt}: the journal was dropped or emptied, and running now would apply every migration again`,
      {
        exitCode: ExitCode.conflict,
        hint: `run \`${REPAIR}\` to rebuild the journal from _moose_state (every migration up to ${stateAt} is marked applied, with the checksums of the files here), then run the command again`,
        details,
      },
    );
  }
  const stateText = stateAt === "" ? (state ? "says nothing is applied" : "has no state at all (the table was dropped or emptied)") : `says this database is at ${stateAt}`;
  return new MooseError("MIGRATION_HISTORY_MISMATCH", `the journal (_moose_migrations) says the last applied migration is ${journalAt}, but the state (_moose_state) ${stateText}`, {
    exitCode: ExitCode.conflict,
    hint: `run \`${REPAIR}\`: it takes the later of the two as applied (each is written only after a migration was applied) and rewrites the other; check \`moose migrate status\` first if someone edited these tables by hand`,
    details,
  });
}

export function verifyHistory(migrations: LoadedMigration[], entries: Map<string, JournalEntry>, state: StateRecord | undefined): void {
  const problem = historyProblem(migrations, entries, state);
  if (problem) throw problem;
}

export interface RepairResult {
  /** What was done, one sentence each (empty when nothing needed repair). */
  actions: string[];
  /** Migrations whose journal row was rebuilt as applied. */
  markedApplied: string[];
  /** The migration whose state was recorded again, if the state was rebuilt. */
  stateRecorded?: string;
}

export interface RepairOptions {
  projectDir: string;
  dir?: string;
  driver?: ClickHouseDriver;
  /** Other stores than the driver's tables (tests). */
  stores?: { journal?: JournalStore; lock?: LockStore };
  lock?: LockOptions;
}

/**
 * `moose migrate status --repair`: under the lock, makes the journal and the state agree again on
 * the later of the migrations they name: journal rows (applied, with the files' checksums) for
 * every migration up to it that the journal does not count as applied, and a state row with its
 * `meta/<id>.json` when the state is elsewhere.
 */
export async function repairHistory(options: RepairOptions): Promise<RepairResult> {
  const layout = migrationsLayout(options.projectDir, options.dir);
  const migrations = await openMigrationsDirectory(layout);
  await verifySnapshots(layout, migrations);
  const journal = options.stores?.journal ?? new Journal(requireDriver(options.driver));
  const lockTarget = options.stores?.lock ?? requireDriver(options.driver);
  await journal.prepare();
  const lock = await MigrationLock.acquire(lockTarget, { timeoutMs: 0, ...options.lock });
  let failed = false;
  try {
    return await repairUnderLock(layout, migrations, journal);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await lock.release().catch((error: unknown) => {
      if (!failed) throw error;
    });
  }
}

function requireDriver(driver: ClickHouseDriver | undefined): ClickHouseDriver {
  if (!driver) throw new Error("repairHistory needs a driver or stores");
  return driver;
}

async function repairUnderLock(layout: MigrationsLayout, migrations: LoadedMigration[], journal: JournalStore): Promise<RepairResult> {
  const entries = await journal.entries();
  const state = await journal.state();
  if (!historyProblem(migrations, entries, state)) return { actions: [], markedApplied: [] };

  const journalAt = lastApplied(entries);
  const stateAt = state?.migrationId ?? "";
  const position = (id: string, where: string): number => {
    if (id === "") return -1;
    const index = migrations.findIndex((migration) => migration.id === id);
    if (index < 0) {
      throw new MooseError("MIGRATION_REPAIR_IMPOSSIBLE", `${where} names ${id}, but there is no such migration file here, so it cannot be rebuilt`, {
        exitCode: ExitCode.conflict,
        hint: "restore the migration files this database was migrated with (from version control), then run the repair again",
        details: { id },
      });
    }
    return index;
  };
  const target = Math.max(position(journalAt, "the journal (_moose_migrations)"), position(stateAt, "the state (_moose_state)"));

  const actions: string[] = [];
  const markedApplied: string[] = [];
  const now = Date.now();
  for (const migration of migrations.slice(0, target + 1)) {
    if (isApplied(entries.get(migration.id))) continue;
    const { up } = migration.definition;
    await journal.record({
      id: migration.id,
      checksum: migration.checksum,
      from: migration.definition.from,
      to: migration.definition.to,
      status: "applied",
      stepsDone: up.length,
      doneHash: doneHash(up, up.length),
      startedAt: now,
      finishedAt: now,
      durationMs: 0,
      appliedBy: `${whoAmI()} (repair)`,
      error: "",
      failedStep: "",
    });
    markedApplied.push(migration.id);
  }
  if (markedApplied.length > 0) {
    actions.push(`rebuilt the journal (_moose_migrations): marked ${markedApplied.length} migration${markedApplied.length === 1 ? "" : "s"} applied (${markedApplied.join(", ")}), with the checksums of the files here`);
  }
  let stateRecorded: string | undefined;
  const targetMigration = migrations[target];
  if (targetMigration && stateAt !== targetMigration.id) {
    await journal.recordState(targetMigration.id, await readMigrationState(layout, targetMigration));
    stateRecorded = targetMigration.id;
    actions.push(`recorded the state (_moose_state) after ${targetMigration.id} from its meta file (it was ${stateAt ? `at ${stateAt}` : "empty"})`);
  }
  return { actions, markedApplied, ...(stateRecorded ? { stateRecorded } : {}) };
}

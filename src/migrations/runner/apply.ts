/**
 * The programmatic API of the runner (`moose migrate up/down`, `moose dev`, `moose prod --migrate`):
 *
 *   verify the directory (sum, chain, meta files, snapshot.json) → take the lock → read the
 *   journal and the state, refuse when they disagree (history.ts) → refuse changed applied files
 *   and unallowed data loss → run the planned migrations with umzug, whose storage is the journal
 *   → release the lock (a release error never hides the run's own error).
 *
 * The journal and the lock are used through their store interfaces (store.ts): ClickHouse tables in
 * the target database by default, in-memory stores in tests. The lock is fenced: no step starts
 * once its lease may have lapsed (lock.ts).
 *
 * Inside a migration every step is journaled as it completes, so a crash or a failed step leaves
 * the migration `running`/`failed` at that step and the next run resumes there. Nothing is applied
 * before every check passed.
 */
import { Umzug, type UmzugStorage } from "umzug";
import { isMooseError, MooseError } from "../../errors.js";
import type { ClickHouseDriver } from "../../infra/clickhouse/driver.js";
import { canonicalManifestJson, EMPTY_MANIFEST_HASH } from "../../manifest/canonical.js";
import { emptyManifest, type Manifest } from "../../manifest/types.js";
import { openMigrationsDirectory } from "../directory.js";
import { migrationsLayout, type MigrationsLayout } from "../layout.js";
import type { LoadedMigration } from "../load.js";
import { stepKind, stepSummary, type Step } from "../../steps/index.js";
import { clusterFailureOf, type ClusterFailure } from "../../infra/clickhouse/distributed-ddl.js";
import { clickHouseCodeOf } from "../../infra/clickhouse/errors.js";
import { TOO_FEW_LIVE_REPLICAS, UNKNOWN_STATUS_OF_INSERT } from "./cluster.js";
import { retriesPerHost, type HostRetry } from "../../infra/clickhouse/executor.js";
import type { ClusterHostConnector } from "./cluster-hosts.js";
import { readMigrationState, verifySnapshots } from "../verify.js";
import { executeStep, type KafkaExecutor, type StepTargets, type TemporalExecutor } from "./dispatch.js";
import { silentReporter, type Direction, type Reporter } from "./events.js";
import { verifyHistory } from "./history.js";
import { isApplied, Journal, whoAmI, type JournalEntry, type StepHosts } from "./journal.js";
import { MigrationLock, type LockOptions } from "./lock.js";
import { judgePlanned, refuseDifferentExistingObjects, refuseUnsupportedFeatures } from "./judge.js";
import { doneHash, planDown, plannedSteps, planUp, refuseDataLoss, verifyAgainstJournal, type PlannedMigration } from "./plan.js";
import type { JournalStore, LockStore } from "./store.js";

export interface RunOptions {
  projectDir: string;
  /** Migrations directory, relative to projectDir (default `migrations`). */
  dir?: string;
  driver: ClickHouseDriver;
  /** Executes kafka steps; omit when streaming is not configured. */
  kafka?: KafkaExecutor;
  /** Executes temporal (schedule) steps; omit when workflows are not enabled. */
  temporal?: TemporalExecutor;
  reporter?: Reporter;
  /** Run steps that delete data (otherwise refused with exit 3). */
  allowDataLoss?: boolean;
  /** Print what would run; take no lock, write nothing. */
  dryRun?: boolean;
  lock?: LockOptions;
  /** Where the journal/state and the lock live (default: tables in the driver's database). */
  stores?: { journal?: JournalStore; lock?: LockStore };
  /**
   * Each host of a cluster on its own (cluster-stores.ts): a step that failed on some hosts of its
   * cluster resumes on those alone. Without it, or without a host's address, it runs ON CLUSTER again.
   */
  clusterHosts?: ClusterHostConnector;
}

export interface RunResult {
  direction: Direction;
  /** Ids run to completion (or, on a dry run, that would run). */
  migrations: string[];
  dryRun: boolean;
}

export async function applyMigrations(options: RunOptions & { to?: string }): Promise<RunResult> {
  return run(options, "up", (layout, migrations, journal) => planUp(layout, migrations, journal, options.to));
}

export async function revertMigrations(options: RunOptions & { to?: string; steps?: number }): Promise<RunResult> {
  return run(options, "down", (layout, migrations, journal) => planDown(layout, migrations, journal, options));
}

type Planner = (layout: MigrationsLayout, migrations: LoadedMigration[], journal: Map<string, JournalEntry>) => PlannedMigration[];

async function run(options: RunOptions, direction: Direction, plan: Planner): Promise<RunResult> {
  const reporter = options.reporter ?? silentReporter;
  const layout = migrationsLayout(options.projectDir, options.dir);
  const migrations = await openMigrationsDirectory(layout);
  await verifySnapshots(layout, migrations);
  const journalStore = options.stores?.journal ?? new Journal(options.driver);

  if (options.dryRun) {
    // Read-only: the ClickHouse store reads an absent table as empty and creates nothing.
    const journal = await journalStore.entries();
    verifyHistory(migrations, journal, await journalStore.state());
    verifyAgainstJournal(layout, migrations, journal);
    const planned = await judgePlanned(layout, plan(layout, migrations, journal));
    const states = await statesAfter(layout, migrations, planned);
    if (planned.length === 0) reporter({ type: "nothing-to-do", direction });
    for (const item of planned) {
      reporter({ type: "planned", direction, id: item.migration.id, resumeAt: item.resumeAt, steps: plannedSteps(item) });
    }
    // After the listing, so the steps a real run would refuse are shown (marked) before the refusal.
    if (!options.allowDataLoss) refuseDataLoss(layout, planned);
    refuseUnsupportedFeatures(layout, planned, options.driver);
    await refuseDifferentExistingObjects(layout, planned, states, options.driver);
    return { direction, migrations: planned.map((item) => item.migration.id), dryRun: true };
  }

  await journalStore.prepare();
  const lock = await MigrationLock.acquire(options.stores?.lock ?? options.driver, {
    ...options.lock,
    onWait: (holder) => {
      reporter({ type: "lock-waiting", owner: holder.owner, ageSeconds: holder.ageSeconds });
      options.lock?.onWait?.(holder);
    },
  });
  let failed = false;
  try {
    // Read under the lock: whatever another run did before we got it is in here.
    const entries = await journalStore.entries();
    verifyHistory(migrations, entries, await journalStore.state());
    verifyAgainstJournal(layout, migrations, entries);
    const planned = await judgePlanned(layout, plan(layout, migrations, entries));
    if (!options.allowDataLoss) refuseDataLoss(layout, planned);
    refuseUnsupportedFeatures(layout, planned, options.driver);
    const states = await statesAfter(layout, migrations, planned);
    await refuseDifferentExistingObjects(layout, planned, states, options.driver);
    if (planned.length === 0) {
      reporter({ type: "nothing-to-do", direction });
      return { direction, migrations: [], dryRun: false };
    }
    const done: string[] = [];
    const runner = new MigrationRunner(options, journalStore, lock, reporter, states, migrations, entries);
    const umzug = new Umzug<object>({
      migrations: planned.map((item) => ({
        name: item.migration.id,
        path: item.migration.path,
        up: () => runner.runSteps(item),
        down: () => runner.runSteps(item),
      })),
      storage: runner.storage(entries, done),
      logger: undefined,
      context: {},
    });
    const ids = planned.map((item) => item.migration.id);
    try {
      if (direction === "up") await umzug.up({ migrations: ids });
      else await umzug.down({ migrations: ids });
    } catch (error) {
      throw unwrapUmzugError(error);
    }
    return { direction, migrations: done, dryRun: false };
  } catch (error) {
    failed = true;
    throw await releaseAfterFailure(lock, error);
  } finally {
    if (!failed) await releaseLock(lock);
  }
}

function errorText(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}

/**
 * A step failed and its failure could not be written to the journal either (the same outage, often:
 * on a cluster, a replica down refuses the journal's all-replica quorum). The journal still says
 * the migration is running at the step, so the next run starts that step again from the top.
 */
function unjournaledFailureHint(journalError: unknown, index: number, failure: ClusterFailure | undefined): string {
  const replicaDown = clickHouseCodeOf(journalError) === TOO_FEW_LIVE_REPLICAS;
  const then = replicaDown ? "bring the replica back (every replica must be up for the journal)" : "fix the cause";
  const where = failure === undefined ? "" : ", ON CLUSTER again on every host (with no per-host results journaled it cannot resume on the failed hosts alone; generated statements are idempotent)";
  return `the failure could not be journaled either (${errorText(journalError)}), so the journal keeps the last progress; ${then}, then run the command again: it resumes at step ${index + 1}${where}`;
}

/** After a successful run a release error is reported: the lease runs out by itself. */
async function releaseLock(lock: MigrationLock): Promise<void> {
  try {
    await lock.release();
  } catch (error) {
    throw new MooseError("MIGRATION_LOCK_RELEASE_FAILED", `the run finished, but releasing the migration lock failed: ${errorText(error)}`, {
      hint: `nothing needs repair: the lock's lease runs out by itself (${lock.leaseSeconds} s); \`moose migrate unlock\` breaks it at once`,
      cause: error,
    });
  }
}

/**
 * Releasing after a failed run never replaces the run's own error (a failed step, a lapsed lease);
 * a release that fails too (the same outage, often) is added to it: the lock stays claimed, and
 * the user needs to know how it gets free.
 */
async function releaseAfterFailure(lock: MigrationLock, runError: unknown): Promise<unknown> {
  try {
    await lock.release();
    return runError;
  } catch (releaseError) {
    const note =
      `the migration lock could not be released either (${errorText(releaseError)}): it stays claimed by ${lock.owner} until its lease runs out (${lock.leaseSeconds} s). ` +
      "A run from this host takes it over as soon as this process has exited; `moose migrate unlock` breaks it at once, once the lock can be written again";
    if (!isMooseError(runError)) {
      // A bug keeps its own error and stack; the lock's state still reaches the user.
      const bug = runError instanceof Error ? runError : new Error(String(runError));
      bug.message = `${bug.message}\n  → ${note}`;
      return bug;
    }
    return new MooseError(runError.code, runError.message, {
      exitCode: runError.exitCode,
      location: runError.location,
      config: runError.config,
      hint: runError.hint === undefined ? note : `${runError.hint}\n  → ${note}`,
      details: { ...runError.details, lockReleaseError: errorText(releaseError) },
      cause: runError,
    });
  }
}

/**
 * The state to record after each planned migration: its own snapshot going up, the previous
 * migration's (or the empty state) going down. Read up front, so a bad snapshot stops the run
 * before anything is applied.
 */
async function statesAfter(layout: MigrationsLayout, migrations: LoadedMigration[], planned: PlannedMigration[]): Promise<Map<string, RecordedState>> {
  const states = new Map<string, RecordedState>();
  for (const item of planned) {
    const index = migrations.indexOf(item.migration);
    const target = item.direction === "up" ? item.migration : migrations[index - 1];
    if (target) {
      const { manifest, hash, json } = await readMigrationState(layout, target);
      states.set(item.migration.id, { id: target.id, hash, json, manifest });
    } else {
      states.set(item.migration.id, { id: "", hash: EMPTY_MANIFEST_HASH, json: canonicalManifestJson(emptyManifest()), manifest: emptyManifest() });
    }
  }
  return states;
}

/** What `_moose_state` gets after a migration: the id the database is then at, and that manifest. */
interface RecordedState {
  id: string;
  hash: string;
  json: string;
  manifest: Manifest;
}

class MigrationRunner {
  private readonly startedAt = new Map<string, { wall: number; clock: number }>();
  /** Per migration: the per-host results of its latest step on a cluster that failed on some host or was resumed host by host. */
  private readonly hostResults = new Map<string, StepHosts>();

  constructor(
    private readonly options: RunOptions,
    private readonly journal: JournalStore,
    private readonly lock: MigrationLock,
    private readonly reporter: Reporter,
    private readonly states: Map<string, RecordedState>,
    private readonly migrations: LoadedMigration[],
    /** The journal as read under the lock: a failed step's per-host results say where to resume it. */
    private readonly entries: Map<string, JournalEntry>,
  ) {}

  /**
   * The hosts step `index` of a failed run is resumed on: those where it failed, when it was done
   * on others and every failed host has an address; otherwise undefined (it runs ON CLUSTER again).
   */
  private hostRetry(id: string, index: number, step: Step, log: (message: string) => void): HostRetry | undefined {
    const previous = this.hostResults.get(id);
    if (previous === undefined || previous.step !== index || previous.failed.length === 0 || previous.done.length === 0 || !("sql" in step)) return undefined;
    const hosts = previous.failed.map((failed) => failed.host);
    if (previous.stepHash !== doneHash([step], 1)) {
      // The hosts where it was done ran the step as it was: they need the edited one too.
      log(`step ${index + 1} changed since it ran on ${previous.done.join(", ")}: it runs ON CLUSTER again, on every host`);
      return undefined;
    }
    const connector = this.options.clusterHosts;
    const missing = hosts.filter((host) => connector?.address(previous.cluster, host) === undefined);
    if (connector === undefined || missing.length > 0 || !retriesPerHost(step)) {
      const why = retriesPerHost(step) ? `no HTTP address for ${missing.join(", ")} ([[clickhouse_config.clusters]] hosts of ${previous.cluster})` : "its statement has no ON CLUSTER clause to take out";
      log(`step ${index + 1} ran on ${previous.done.join(", ")} and failed on ${hosts.join(", ")}; ${why}, so it runs ON CLUSTER again, on every host`);
      return undefined;
    }
    log(`step ${index + 1} ran on ${previous.done.join(", ")}: resuming it on ${hosts.join(", ")} only`);
    return { hosts, connect: (host) => connector.connect(previous.cluster, host) };
  }

  /** What the journal says of step `index` after it failed (`failure`) or succeeded (no failure) on a cluster. */
  private noteHosts(id: string, index: number, step: Step, retry: HostRetry | undefined, failure: ClusterFailure | undefined): void {
    const previous = this.hostResults.get(id);
    const stepHash = doneHash([step], 1);
    const doneBefore = retry !== undefined && previous !== undefined ? previous.done : [];
    const retried = retry === undefined ? {} : { retried: retry.hosts };
    if (failure !== undefined) {
      const done = [...doneBefore, ...failure.hosts.filter((host) => host.ok).map((host) => host.host)];
      const failed = failure.hosts.filter((host) => !host.ok).map((host) => ({ host: host.host, ...(host.code === undefined ? {} : { code: host.code }), error: host.error ?? "failed" }));
      this.hostResults.set(id, { step: index, stepHash, cluster: failure.cluster, done, failed, ...retried });
    } else if (retry !== undefined && previous !== undefined) {
      this.hostResults.set(id, { step: index, stepHash, cluster: previous.cluster, done: [...doneBefore, ...retry.hosts], failed: [], ...retried });
    } else if (previous?.step === index) {
      // Run ON CLUSTER again and done everywhere: the earlier failure no longer describes the step.
      this.hostResults.delete(id);
    }
  }

  private entry(item: PlannedMigration, status: JournalEntry["status"], stepsDone: number, extra: { error?: string; failedStep?: string } = {}) {
    const started = this.startedAt.get(item.migration.id)!;
    const { definition } = item.migration;
    return {
      id: item.migration.id,
      checksum: item.migration.checksum,
      from: definition.from,
      to: definition.to,
      status,
      stepsDone,
      doneHash: doneHash(item.steps, stepsDone),
      startedAt: started.wall,
      finishedAt: Date.now(),
      durationMs: performance.now() - started.clock,
      appliedBy: whoAmI(),
      error: extra.error ?? "",
      failedStep: extra.failedStep ?? "",
      ...(this.hostResults.has(item.migration.id) ? { hosts: this.hostResults.get(item.migration.id) } : {}),
    };
  }

  async runSteps(item: PlannedMigration): Promise<void> {
    const { id } = item.migration;
    const { direction, steps } = item;
    this.startedAt.set(id, { wall: Date.now(), clock: performance.now() });
    // A step that failed on some hosts of its cluster: the journal says where to resume it (hostRetry).
    const previous = this.entries.get(id);
    if (previous?.hosts !== undefined && previous.status === (direction === "up" ? "failed" : "revert_failed")) this.hostResults.set(id, previous.hosts);
    // The states map holds every planned migration, in run order.
    const order = [...this.states.keys()];
    this.reporter({ type: "migration-started", direction, id, resumeAt: item.resumeAt, steps: steps.length, position: order.indexOf(id) + 1, of: order.length });
    let index = item.resumeAt;
    const targets: StepTargets = {
      clickhouse: this.options.driver,
      kafka: this.options.kafka,
      temporal: this.options.temporal,
      log: (message) => this.reporter({ type: "step-log", direction, id, message }),
      onProgress: ({ table, activity, rows, totalRows }) => this.reporter({ type: "step-progress", direction, id, index, table, activity, rows, totalRows }),
      allowDataLoss: this.options.allowDataLoss === true,
    };
    // Journaled as in progress before its first step, so the state (written before the journal
    // when it finishes) is never ahead of a journal without a row for it (history.ts).
    if (item.resumeAt === 0) {
      this.lock.assertHeld();
      await this.recordProgress(item, "starting it", 0, () => this.journal.record(this.entry(item, direction === "up" ? "running" : "reverting", 0)));
    }
    for (; index < steps.length; index++) {
      this.lock.assertHeld();
      const step = steps[index]!;
      const stepStart = performance.now();
      let stateOnly: boolean;
      const retry = this.hostRetry(id, index, step, targets.log);
      try {
        ({ stateOnly } = await executeStep(step, targets, { migrationId: id, direction }, retry));
        this.noteHosts(id, index, step, retry, undefined);
      } catch (error) {
        const failure = clusterFailureOf(error);
        if (failure !== undefined) this.noteHosts(id, index, step, retry, failure);
        const message = isMooseError(error) ? error.format() : ((error as Error)?.message ?? String(error));
        const summary = stepSummary(step);
        // The step's error is what the user must see: a journal that cannot be written either
        // (the same outage, often) is mentioned, never thrown instead of it.
        let journalError: unknown;
        try {
          await this.journal.record(this.entry(item, direction === "up" ? "failed" : "revert_failed", index, { error: message, failedStep: summary }));
        } catch (caught) {
          journalError = caught ?? new Error("unknown journal error");
        }
        this.reporter({ type: "migration-failed", direction, id, index, summary, error: message, ms: performance.now() - this.startedAt.get(id)!.clock });
        throw new MooseError("MIGRATION_STEP_FAILED", `${item.migration.fileName} ${direction} step ${index + 1} of ${steps.length} (${summary}) failed: ${message}`, {
          hint:
            journalError === undefined
              ? `fix the cause (the step is journaled as failed); running the command again resumes at step ${index + 1}${failure === undefined ? "" : ", on the hosts where it failed (docs/clusters.md)"}`
              : unjournaledFailureHint(journalError, index, failure),
          details: { id, direction, step: index + 1, ...(isMooseError(error) ? { cause: error.toJSON() } : {}), ...(journalError === undefined ? {} : { journalError: errorText(journalError) }) },
          cause: error,
        });
      }
      this.reporter({ type: "step-done", direction, id, index, steps: steps.length, kind: stepKind(step), summary: stepSummary(step), ms: performance.now() - stepStart, stateOnly });
      // The last step's progress is written with the final status (umzug's logMigration / unlogMigration).
      if (index < steps.length - 1) await this.recordProgress(item, `step ${index + 1} of ${steps.length} ran`, index, () => this.journal.record(this.entry(item, direction === "up" ? "running" : "reverting", index + 1)));
    }
  }

  /** Progress that could not be journaled stops the run (the next one resumes at step `resumeAt` + 1). */
  private async recordProgress(item: PlannedMigration, what: string, resumeAt: number, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      const message = isMooseError(error) ? error.message : ((error as Error)?.message ?? String(error));
      const code = clickHouseCodeOf(error);
      const replicaDown = code === TOO_FEW_LIVE_REPLICAS || code === UNKNOWN_STATUS_OF_INSERT;
      const check = replicaDown ? "bring the replica that is down back" : "check the connection to ClickHouse";
      const idempotence = "(check its effect first if it is not idempotent, such as a hand-written insert)";
      throw new MooseError(
        "MIGRATION_JOURNAL_WRITE_FAILED",
        `${item.migration.fileName} ${item.direction}: ${what}, but writing that to the journal failed: ${message}`,
        {
          hint:
            resumeAt < 0 || what === "starting it"
              ? `${check}, then run the command again`
              : code === UNKNOWN_STATUS_OF_INSERT
                ? `${check}, then run the command again. The write was not confirmed by every replica but is kept on the one it reached, and the others get it when they are back: the run then resumes after step ${resumeAt + 1}, or runs step ${resumeAt + 1} again if the write was lost ${idempotence}`
                : `${check}, then run the command again: it resumes at step ${resumeAt + 1}, which runs again ${idempotence}`,
          details: { id: item.migration.id, direction: item.direction, step: resumeAt + 1 },
          cause: error,
        },
      );
    }
  }

  /** umzug's storage contract over the journal: executed = applied ids; log/unlog = the final rows. */
  storage(entries: Map<string, JournalEntry>, done: string[]): UmzugStorage<object> {
    const byId = new Map(this.migrations.map((migration) => [migration.id, migration]));
    const finish = async (name: string, direction: Direction) => {
      this.lock.assertHeld();
      const migration = byId.get(name)!;
      const steps = direction === "up" ? migration.definition.up : migration.definition.down;
      const item: PlannedMigration = { migration, direction, steps, resumeAt: 0 };
      const record = this.entry(item, direction === "up" ? "applied" : "reverted", steps.length);
      const state = this.states.get(name)!;
      // The state first, then the journal: a run that stops between them leaves the state one
      // migration ahead of a journal still at the last step — the one disagreement history.ts
      // accepts — and the next run repeats that step (steps are idempotent) and writes both again.
      const last = `all ${steps.length} steps ran`;
      await this.recordProgress(item, last, steps.length - 1, () => this.journal.recordState(state.id, state));
      await this.recordProgress(item, last, steps.length - 1, () => this.journal.record(record));
      entries.set(name, { ...record, version: 0n });
      done.push(name);
      this.reporter({ type: "migration-finished", direction, id: name, ms: performance.now() - this.startedAt.get(name)!.clock, steps: steps.length });
    };
    return {
      executed: async () => this.migrations.filter((migration) => isApplied(entries.get(migration.id))).map((migration) => migration.id),
      logMigration: async ({ name }) => finish(name, "up"),
      unlogMigration: async ({ name }) => finish(name, "down"),
    };
  }
}

/** umzug wraps what a migration threw; the MooseError inside is what the user needs. */
function unwrapUmzugError(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5 && current && !isMooseError(current); depth++) {
    const cause = (current as { cause?: unknown; jse_cause?: unknown }).cause ?? (current as { jse_cause?: unknown }).jse_cause;
    if (!cause) break;
    current = cause;
  }
  return isMooseError(current) ? current : error;
}

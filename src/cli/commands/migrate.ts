/**
 * `moose migrate generate | up | down | status | rebase | hash | unlock`. Flags are parsed here and
 * handed to src/migrations; database commands target the configured ClickHouse server, or
 * `--clickhouse-url`, or `--embedded` (<project>/.moose/clickhouse).
 */
import path from "node:path";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import type { Config } from "../../config/types.js";
import type { RenameCandidate, RenameMap } from "../../diff/operations.js";
import { ExitCode, MooseError } from "../../errors.js";
import type { ClickHouseDriver } from "../../infra/clickhouse/driver.js";
import { bothReporters, logMigrationEvents } from "../../logs/migration-events.js";
import { readManifest } from "../../manifest/canonical.js";
import type { Manifest } from "../../manifest/types.js";
import type { GenerateOptions, GenerateResult, RenameResolver } from "../../migrations/generate.js";
import type { RunOptions } from "../../migrations/runner/apply.js";
import { jsonReporter, textReporter } from "../../migrations/runner/events.js";
import { breakLock } from "../../migrations/runner/lock.js";
import type { MigrationsStatus } from "../../migrations/runner/status.js";
import { renderPlan, renameFlag } from "../../plan/render.js";
import { action } from "../action.js";
import { loadProjectConfig, migrationsDirOf, openTargetDatabase, projectDirOf, withMigrationsDir } from "../project.js";

interface DirectoryOptions {
  /** The project directory. */
  dir: string;
  migrationsDir?: string;
}
/** Where a command works: the project, its config, its migrations directory (relative to the project). */
interface Place {
  projectDir: string;
  config: Config;
  dir: string;
}
interface TargetOptions extends DirectoryOptions {
  clickhouseUrl?: string;
  embedded?: boolean;
}
interface GenerateFlags extends DirectoryOptions {
  name?: string;
  allowDataLoss?: boolean;
  rename: string[];
  manifest?: string;
  backfill?: boolean;
}
interface RunFlags extends TargetOptions {
  allowDataLoss?: boolean;
  dryRun?: boolean;
  json?: boolean;
  lockTimeout: string;
}

const out = (line: string) => process.stdout.write(`${line}\n`);

export function register(program: Command): void {
  const migrate = program.command("migrate").description("Versioned migration files and the runner that applies them");
  const withDir = (command: Command) => withMigrationsDir(command);
  const withTarget = (command: Command) =>
    withDir(command)
      .option("--clickhouse-url <url>", "target this ClickHouse server (http[s]://user:password@host:port/database) instead of clickhouse_config")
      .option("--embedded", "target the embedded engine in <project>/.moose/clickhouse");

  // generate and rebase both write a migration file from a plan: the same choices shape it.
  const withPlanChoices = (command: Command) =>
    command
      .option("--allow-data-loss", "write the migration even if it drops data (or set MOOSE_ACCEPT_DESTRUCTIVE=1)")
      .option("--rename <Table.old=new>", "declare a column rename (repeatable)", collect, [])
      .option("--manifest <file>", "use this manifest JSON instead of extracting app/index.ts")
      .option("--backfill", "a new materialized view over tables that already hold rows also copies those rows through its SELECT");

  withPlanChoices(
    withDir(migrate.command("generate"))
      .description("Write the difference between migrations/snapshot.json and the code as a new migration file")
      .option("--name <slug>", "file name slug (default: derived from the changes)"),
  ).action(action(async (flags: GenerateFlags) => generateCommand(flags)));

  const withRun = (command: Command) =>
    withTarget(command)
      .option("--allow-data-loss", "run steps that delete data (or set MOOSE_ACCEPT_DESTRUCTIVE=1)")
      .option("--dry-run", "print what would run; change nothing")
      .option("--json", "progress as JSON lines")
      .option("--lock-timeout <seconds>", "how long to wait for another run's lock", "60");

  withRun(migrate.command("up"))
    .description("Apply pending migrations in order (resumes a failed or interrupted one at its step)")
    .option("--to <id>", "stop after this migration")
    .action(
      action(async (flags: RunFlags & { to?: string }) => {
        const { applyMigrations } = await import("../../migrations/runner/apply.js");
        return runCommand(flags, (options) => applyMigrations({ ...options, to: flags.to }));
      }),
    );

  withRun(migrate.command("down"))
    .description("Revert applied migrations, newest first (default: one)")
    .option("--to <id>", "revert every migration applied after this one")
    .option("--steps <n>", "revert this many migrations")
    .action(
      action(async (flags: RunFlags & { to?: string; steps?: string }) => {
        if (flags.to !== undefined && flags.steps !== undefined) throw usage("pass either --to or --steps, not both");
        const steps = flags.steps === undefined ? undefined : positiveInteger(flags.steps, "--steps");
        const { revertMigrations } = await import("../../migrations/runner/apply.js");
        return runCommand(flags, (options) => revertMigrations({ ...options, to: flags.to, steps }));
      }),
    );

  withTarget(migrate.command("status"))
    .description("Applied, pending and failed migrations, and whether the code has changes not in a migration")
    .option("--json", "print the status as JSON")
    .option("--manifest <file>", "compare this manifest JSON with snapshot.json instead of extracting app/index.ts")
    .option("--repair", "rebuild the journal (_moose_migrations) from _moose_state, or the state from the journal, when they disagree")
    .action(action(async (flags: StatusFlags) => statusCommand(flags)));

  withPlanChoices(
    withDir(migrate.command("rebase"))
      .description("After a merge: regenerate this branch's migration on top of the other branch's")
      .argument("[id]", "the migration to move (default: the newest of the files that start from the same state)"),
  ).action(action(async (id: string | undefined, flags: GenerateFlags) => rebaseCommand(id, flags)));

  withDir(migrate.command("hash"))
    .description("Re-sum the migration files into moose.sum after a deliberate hand edit")
    .action(
      action(async (flags: DirectoryOptions) => {
        const { projectDir, dir } = await placeOf(flags);
        const { hashMigrations } = await import("../../migrations/generate.js");
        const { files } = await hashMigrations({ projectDir, dir });
        out(`✓ ${path.join(dir, "moose.sum")} now sums ${files} migration file${files === 1 ? "" : "s"}`);
        return ExitCode.ok;
      }),
    );

  withTarget(migrate.command("unlock"))
    .description("Break the migration lock (after showing who holds it and for how long)")
    .action(
      action(async (flags: TargetOptions) =>
        withDriver(flags, async (driver, { config }) => {
          // A clustered lock is released with the journal's quorum, like every other write to it.
          const cluster = await openClusterJournal(flags, config, driver);
          const broken = await breakLock(cluster?.stores.lock ?? driver).finally(() => cluster?.close());
          if (broken.length === 0) out("the migration lock is free: nothing to break");
          for (const holder of broken) out(`✓ broke the lock held by ${holder.owner} for ${holder.ageSeconds} s (its lease had ${holder.expiresInSeconds} s left)`);
          return ExitCode.ok;
        }),
      ),
    );
}

/** --allow-data-loss, or MOOSE_ACCEPT_DESTRUCTIVE=1 for pipelines. */
function acceptsDataLoss(flags: { allowDataLoss?: boolean }): boolean {
  return Boolean(flags.allowDataLoss) || process.env.MOOSE_ACCEPT_DESTRUCTIVE === "1";
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function usage(message: string, hint?: string): MooseError {
  return new MooseError("USAGE", message, { exitCode: ExitCode.usage, hint });
}

function positiveInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw usage(`${flag} must be a positive whole number, got "${text}"`);
  return value;
}

/** `--rename Users.name=full_name` → { Users: { name: "full_name" } }. */
export function parseRenames(flags: string[]): RenameMap {
  const renames: RenameMap = {};
  for (const flag of flags) {
    const match = /^([^.=]+)\.([^=]+)=(.+)$/.exec(flag);
    if (!match) throw usage(`--rename ${flag} is not Table.old_column=new_column`, "example: --rename Users.name=full_name");
    (renames[match[1]!] ??= {})[match[2]!] = match[3]!;
  }
  return renames;
}

/** Extraction loads the TypeScript compiler: imported only by the commands that need it. */
async function extractCodeManifest(projectDir: string): Promise<Manifest> {
  const { extractManifest } = await import("../../extract/index.js");
  return extractManifest({ projectDir });
}

async function codeManifest(manifestFile: string | undefined, projectDir: string): Promise<Manifest> {
  if (!manifestFile) return extractCodeManifest(projectDir);
  // A manifest from a file passes the same model checks as one extracted from code (they load ClickHouse's parser).
  const manifest = await readManifest(path.resolve(manifestFile));
  const { checkManifest } = await import("../../extract/check.js");
  await checkManifest(manifest);
  return manifest;
}

/** Asks on a TTY; elsewhere nobody is asked and the result lists how to declare renames. */
function renamePrompt(): RenameResolver | undefined {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return undefined;
  return async (candidate: RenameCandidate) => {
    const prompt = createInterface({ input: process.stdin, output: process.stdout });
    try {
      const answer = await prompt.question(`Is ${candidate.table}.${candidate.from} → ${candidate.to} a rename (keep the data)? [y/N] `);
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      prompt.close();
    }
  };
}

/** Prints the outcome of generate/rebase; returns the exit code. */
function reportGenerated(result: GenerateResult, place: { dir?: string }): number {
  const dir = place.dir ?? "migrations";
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  switch (result.kind) {
    case "no-changes":
      // What DELETION_PROTECTED keeps is the only difference: said, as the plan says it.
      if (result.plan.kept.length > 0) process.stdout.write(renderPlan(result.plan, { color }));
      out("✓ no changes: the code matches migrations/snapshot.json; nothing written");
      return ExitCode.ok;
    case "refused":
      process.stdout.write(renderPlan(result.plan, { color }));
      process.stderr.write(
        result.reason === "blocked"
          ? "error MIGRATION_BLOCKED: the plan contains changes moose-ts will not make (listed above); nothing written\n  → change the code (or the object's lifeCycle) so the change is no longer needed\n"
          : "error MIGRATION_DESTRUCTIVE: the plan deletes data (listed above); nothing written\n  → if that is intended, run again with --allow-data-loss; if a column was renamed, declare it with --rename Table.old=new\n",
      );
      return ExitCode.blockedDestructive;
    case "written": {
      process.stdout.write(renderPlan(result.plan, { color }));
      out(`✓ wrote ${path.relative(process.cwd(), result.file)} (+ ${path.join(dir, "meta", `${result.id}.json`)}, snapshot.json, moose.sum)`);
      if (result.unresolvedRenames.length > 0) {
        out("  possible renames were treated as drop + add (no TTY to ask). If any is a rename, delete the file, then:");
        for (const candidate of result.unresolvedRenames) out(`    moose migrate generate ${renameFlag(candidate)}`);
      }
      out("  review it, commit it, then `moose migrate up`");
      return ExitCode.ok;
    }
  }
}

async function generateCommand(flags: GenerateFlags): Promise<number> {
  const { generateMigration } = await import("../../migrations/generate.js");
  const options = await generateOptions(flags);
  const result = await generateMigration({ ...options, name: flags.name });
  return reportGenerated(result, options);
}

/** What generate and rebase both pass on from their flags. */
async function generateOptions(flags: GenerateFlags): Promise<GenerateOptions> {
  const renames = parseRenames(flags.rename); // a malformed flag fails before the code is extracted
  const { projectDir, dir } = await placeOf(flags);
  return {
    projectDir,
    dir,
    manifest: await codeManifest(flags.manifest, projectDir),
    allowDataLoss: acceptsDataLoss(flags),
    renames,
    backfillMaterializedViews: flags.backfill,
    resolveRename: renamePrompt(),
  };
}

async function rebaseCommand(id: string | undefined, flags: GenerateFlags): Promise<number> {
  const { rebaseMigrations } = await import("../../migrations/rebase.js");
  const options = await generateOptions(flags);
  const rebase = await rebaseMigrations({ ...options, id });
  if (rebase.result.kind !== "refused") {
    out(`↻ took ${rebase.rebased} out of the chain (its old content: ${path.relative(process.cwd(), rebase.previousFile)}; copy any hand-written steps over)`);
  }
  if (rebase.result.kind === "no-changes") {
    out("✓ the other branch's migrations already bring the database to the code's state; no new file needed");
    return ExitCode.ok;
  }
  return reportGenerated(rebase.result, options);
}

/** The project (--dir), its config and its migrations directory (--migrations-dir / [migration_config] dir). */
async function placeOf(flags: DirectoryOptions): Promise<Place> {
  const projectDir = projectDirOf(flags);
  const config = await loadProjectConfig(projectDir);
  return { projectDir, config, dir: migrationsDirOf(flags, config) };
}

async function withDriver(flags: TargetOptions, work: (driver: ClickHouseDriver, place: Place) => Promise<number>): Promise<number> {
  const place = await placeOf(flags);
  const driver = await openTargetDatabase(flags, place.projectDir, place.config);
  try {
    return await work(driver, place);
  } finally {
    await driver.close();
  }
}

async function runCommand(flags: RunFlags, run: (options: RunOptions) => Promise<unknown>): Promise<number> {
  const lockTimeoutSeconds = Number(flags.lockTimeout);
  if (!Number.isFinite(lockTimeoutSeconds) || lockTimeoutSeconds < 0) throw usage(`--lock-timeout must be a number of seconds, got "${flags.lockTimeout}"`);
  const { RowProgressView, progressMode, withRowProgress } = await import("../progress.js");
  return withDriver(flags, async (driver, { projectDir, dir, config }) => {
    const kafka = config.features.streaming_engine ? (await import("../../infra/kafka/executor.js")).openKafkaAdmin(config.redpanda_config) : undefined;
    const temporal = (await import("../../workflows/index.js")).openTemporalSteps(config, projectDir);
    let clusterStores: Awaited<ReturnType<typeof openClusterJournal>>;
    try {
      // Opened inside the try: a failure after it (or in it) still closes kafka and temporal, and it is closed in turn.
      clusterStores = await openClusterJournal(flags, config, driver);
      await run({
        projectDir,
        dir,
        driver,
        kafka,
        temporal,
        stores: clusterStores?.stores,
        clusterHosts: clusterStores?.hosts,
        // Printed, and kept in .moose/logs for `moose logs`.
        reporter: bothReporters(flags.json ? jsonReporter(out) : withRowProgress(textReporter(out), new RowProgressView(progressMode(), out), { write: out }), logMigrationEvents(projectDir)),
        allowDataLoss: acceptsDataLoss(flags),
        dryRun: flags.dryRun,
        lock: { timeoutMs: lockTimeoutSeconds * 1000 },
      });
      return ExitCode.ok;
    } finally {
      await kafka?.close();
      await temporal?.close();
      await clusterStores?.close();
    }
  });
}

/** The journal and lock replicated across `journal_cluster` (docs/clusters.md); undefined on a single server or the embedded engine. */
async function openClusterJournal(flags: TargetOptions, config: Config, driver: ClickHouseDriver) {
  const { openJournalCluster } = await import("../../migrations/runner/cluster-stores.js");
  return openJournalCluster(config, driver, flags.clickhouseUrl ? { url: flags.clickhouseUrl } : { config: config.clickhouse_config });
}

interface StatusFlags extends TargetOptions {
  json?: boolean;
  manifest?: string;
  repair?: boolean;
}

async function statusCommand(flags: StatusFlags): Promise<number> {
  return withDriver(flags, async (driver, { projectDir, dir, config }) => {
    const { migrationStatus } = await import("../../migrations/runner/status.js");
    let repaired: string[] | undefined;
    if (flags.repair) {
      const { repairHistory } = await import("../../migrations/runner/history.js");
      const clusterStores = await openClusterJournal(flags, config, driver);
      try {
        repaired = (await repairHistory({ projectDir, dir, driver, stores: clusterStores?.stores })).actions;
      } finally {
        await clusterStores?.close();
      }
      if (!flags.json) {
        if (repaired.length === 0) out("✓ nothing to repair: the journal and the state agree");
        for (const done of repaired) out(`✓ repair: ${done}`);
        out("");
      }
    }
    let manifest: Manifest | undefined;
    let extractError: string | undefined;
    try {
      manifest = await codeManifest(flags.manifest, projectDir);
    } catch (error) {
      extractError = error instanceof MooseError ? error.format() : String(error);
    }
    const status = await migrationStatus({ projectDir, dir, driver, codeManifest: manifest });
    if (flags.json) out(JSON.stringify({ ...status, ...(extractError ? { extractError } : {}), ...(repaired ? { repaired } : {}) }, null, 2));
    else printStatus(status, driver, extractError);
    return status.problem ? ExitCode.conflict : ExitCode.ok;
  });
}

/** `step 2 on cluster c: done on h1, h2 (h2 resumed alone); failed on h3 (code 57: …)`. */
function describeStepHosts(hosts: NonNullable<MigrationsStatus["migrations"][number]["hosts"]>): string {
  const parts = [`step ${hosts.step + 1} on cluster ${hosts.cluster}`];
  const resumed = (hosts.retried ?? []).filter((host) => hosts.done.includes(host));
  if (hosts.done.length > 0) parts.push(`done on ${hosts.done.join(", ")}${resumed.length > 0 ? ` (${resumed.join(", ")} resumed alone)` : ""}`);
  const retriedAgain = (hosts.retried ?? []).filter((host) => !hosts.done.includes(host));
  if (retriedAgain.length > 0) parts.push(`resumed alone on ${retriedAgain.join(", ")}`);
  for (const failed of hosts.failed) parts.push(`failed on ${failed.host}${failed.code === undefined ? "" : ` (code ${failed.code})`}: ${failed.error.split("\n")[0]}`);
  return parts.join("; ");
}

function printStatus(status: MigrationsStatus, driver: ClickHouseDriver, extractError: string | undefined): void {
  out(`Migrations → database ${driver.database} (${driver.kind})`);
  if (status.migrations.length === 0) out("  (no migration files yet: `moose migrate generate`)");
  for (const entry of status.migrations) {
    const mark = { applied: "✓ applied  ", pending: "· pending  ", failed: "✗ failed   ", running: "… running  ", reverting: "… reverting", revert_failed: "✗ down failed" }[entry.status];
    const detail =
      entry.status === "applied"
        ? `${entry.finishedAt} by ${entry.appliedBy}, ${entry.durationMs} ms`
        : entry.status === "pending"
          ? `${entry.steps} step${entry.steps === 1 ? "" : "s"}`
          : entry.error
            ? `step ${entry.stepsDone + 1} failed: ${entry.failedStep} — ${entry.error.split("\n")[0]}; fix it, then \`moose migrate ${entry.status === "failed" ? "up" : "down"}\` resumes there`
            : `interrupted after step ${entry.stepsDone}; \`moose migrate ${entry.status === "running" ? "up" : "down"}\` resumes at step ${entry.stepsDone + 1}`;
    out(`  ${mark} ${entry.id}   ${detail}`);
    if (entry.hosts) out(`      ${describeStepHosts(entry.hosts)}`);
  }
  for (const id of status.unknownApplied) out(`  ? in this database's journal, but no file: ${id}`);
  out(`Database state: ${status.database ? `${status.database.migrationId || "(empty)"} (${status.database.hash.slice(0, 12)})` : "nothing applied yet"}`);
  out(`Lock: ${status.lock ? `held by ${status.lock.owner} for ${status.lock.ageSeconds} s (lease ends in ${status.lock.expiresInSeconds} s)` : "free"}`);
  if (status.codeDiffersFromSnapshot === null) out(`Code: not checked${extractError ? ` (${extractError.split("\n")[0]})` : ""}`);
  else out(status.codeDiffersFromSnapshot ? "Code: has changes that are not in a migration yet — run `moose migrate generate`" : "Code: matches migrations/snapshot.json");
  if (status.devChangesNotInMigration) {
    out(
      status.codeDiffersFromSnapshot === false
        ? "Local dev: `moose dev` applied changes to this database ahead of its applied migrations; the pending migrations contain them — `moose migrate up` records them"
        : "Local dev: `moose dev` applied changes to this database that are not in a migration yet (migrations/draft.ts shows them) — `moose migrate generate` writes them as one",
    );
  }
  if (status.problem) {
    out(`\nerror ${status.problem.code}: ${status.problem.message}`);
    if (status.problem.hint) out(`  → ${status.problem.hint}`);
  }
}

/**
 * `moose migrate generate`: plan migrations/snapshot.json → the code's manifest and write the
 * difference as a new migration file, its snapshot (meta/<id>.json), the new snapshot.json and
 * moose.sum. Writes nothing when there is nothing to do or when the plan needs a decision
 * (data loss without permission, blocked changes).
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { diffManifests, withKept } from "../diff/index.js";
import type { DiffResult, Operation, RenameCandidate, RenameMap } from "../diff/operations.js";
import { ExitCode, MooseError } from "../errors.js";
import { EMPTY_MANIFEST_HASH, hashManifest, writeManifest } from "../manifest/canonical.js";
import { readSnapshotManifest, writeSnapshot } from "./snapshots.js";
import { emptyManifest, type Manifest } from "../manifest/types.js";
import { operationSteps } from "../plan/steps.js";
import { openMigrationsDirectory } from "./directory.js";
import { metaPath, migrationsLayout, MIGRATIONS_GITATTRIBUTES, nextTimestamp, toSlug, type MigrationsLayout } from "./layout.js";
import { loadMigrations, readMigrationSources, type LoadedMigration } from "./load.js";
import { renderMigrationFile } from "./render.js";
import type { Step } from "../steps/index.js";
import { computeSum, formatSum } from "./sum.js";
import { parseSchedule } from "../workflows/schedule.js";
import { readMigrationMeta, verifyChain } from "./verify.js";

/** Asked for each possible rename (a dropped and an added column of one table with the same type). */
export type RenameResolver = (candidate: RenameCandidate) => Promise<boolean>;

export interface GenerateOptions {
  projectDir: string;
  dir?: string;
  /** The code's manifest (from extractManifest). */
  manifest: Manifest;
  /** Slug for the file name; derived from the changes when absent. */
  name?: string;
  allowDataLoss?: boolean;
  renames?: RenameMap;
  /** Backfill new materialized views over tables that already hold rows (DiffOptions.backfillMaterializedViews). */
  backfillMaterializedViews?: boolean;
  /** Interactive rename questions (a TTY prompt); without it candidates are reported, not asked. */
  resolveRename?: RenameResolver;
  now?: Date;
}

export type GenerateResult =
  | { kind: "no-changes"; plan: DiffResult }
  | {
      kind: "refused";
      plan: DiffResult;
      /** Operations that delete data (refused without allowDataLoss). */
      dataLoss: Operation[];
      reason: "blocked" | "data-loss";
    }
  | {
      kind: "written";
      plan: DiffResult;
      id: string;
      /** Absolute path of the new file. */
      file: string;
      /** Rename candidates nobody answered (no TTY): the columns were dropped and added. */
      unresolvedRenames: RenameCandidate[];
    };

export async function generateMigration(options: GenerateOptions): Promise<GenerateResult> {
  const layout = migrationsLayout(options.projectDir, options.dir);
  const migrations = await openMigrationsDirectory(layout);
  const base = await currentSnapshot(layout, migrations);
  return writeNextMigration(layout, migrations, base, options);
}

/** Plans `base` → options.manifest and, when allowed, writes it as the migration after `migrations`. */
export async function writeNextMigration(
  layout: MigrationsLayout,
  migrations: LoadedMigration[],
  base: Manifest,
  options: Omit<GenerateOptions, "projectDir" | "dir">,
): Promise<GenerateResult> {
  const renames: RenameMap = structuredClone(options.renames ?? {});
  let plan = diffManifests(base, options.manifest, { renames, backfillMaterializedViews: options.backfillMaterializedViews });
  let unresolvedRenames = plan.renameCandidates;
  if (options.resolveRename && plan.renameCandidates.length > 0) {
    for (const candidate of plan.renameCandidates) {
      if (await options.resolveRename(candidate)) (renames[candidate.table] ??= {})[candidate.from] = candidate.to;
    }
    plan = diffManifests(base, options.manifest, { renames, backfillMaterializedViews: options.backfillMaterializedViews });
    unresolvedRenames = [];
  }

  if (plan.operations.length === 0 && plan.blocked.length === 0) return { kind: "no-changes", plan };
  refuseInvalidSchedules(options.manifest);
  const dataLoss = plan.operations.filter((op) => op.risk === "data-loss");
  if (plan.blocked.length > 0) return { kind: "refused", plan, dataLoss, reason: "blocked" };
  if (dataLoss.length > 0 && !options.allowDataLoss) return { kind: "refused", plan, dataLoss, reason: "data-loss" };

  const now = options.now ?? new Date();
  const slug = options.name !== undefined ? toSlug(options.name) : slugFor(plan.operations);
  const id = `${nextTimestamp(now, migrations.at(-1)?.id)}_${slug}`;
  const { up, down, irreversible } = migrationSteps(plan.operations);
  const from = migrations.at(-1)?.definition.to ?? EMPTY_MANIFEST_HASH;
  // What the database holds after it: the code, and what DELETION_PROTECTED keeps.
  const state = withKept(options.manifest, base, plan.kept);
  const to = hashManifest(state);
  const text = await renderMigrationFile({ id, createdAt: now, from, to, operations: plan.operations, up, down, irreversible });

  const file = path.join(layout.dir, `${id}.ts`);
  await mkdir(layout.dir, { recursive: true });
  await writeFile(file, text);
  await writeManifest(metaPath(layout, id), state);
  await writeSnapshot(layout, state);
  await writeSum(layout);
  if (!existsSync(layout.gitattributes)) await writeFile(layout.gitattributes, MIGRATIONS_GITATTRIBUTES);
  return { kind: "written", plan, id, file, unresolvedRenames };
}

/**
 * Steps of a plan, each carrying its cause (operationSteps). Down runs the operations' inverses in
 * reverse order. An operation with no inverse gets a note in `down`, so reverting says so instead
 * of silently doing nothing.
 */
export function migrationSteps(operations: Operation[]): { up: Step[]; down: Step[]; irreversible: string[] } {
  const parts = operations.map((op) => ({ op, steps: operationSteps(op) }));
  const up = parts.flatMap(({ op, steps }) =>
    steps.up.map((step) => (steps.up.length === 1 && ("sql" in step || "kafka" in step) && step.summary === undefined ? { ...step, summary: op.summary } : step)),
  );
  const down = [...parts].reverse().flatMap(({ op, steps }) =>
    steps.down.length > 0 ? steps.down : [{ note: `cannot undo: ${op.summary}${steps.irreversible ? ` (${steps.irreversible})` : ""}` }],
  );
  const irreversible = parts.flatMap(({ steps }) => (steps.irreversible ? [steps.irreversible] : []));
  return { up, down, irreversible };
}

/** `create_table_users`, `add_column_users_and_2_more`. */
export function slugFor(operations: Operation[]): string {
  const first = operations[0]!;
  const head = `${first.kind.replace(/([A-Z])/g, "_$1").toLowerCase()}_${first.target}`;
  return toSlug(operations.length > 1 ? `${head}_and_${operations.length - 1}_more` : head);
}

/** The manifest after the newest migration; snapshot.json must agree with it. */
async function currentSnapshot(layout: MigrationsLayout, migrations: LoadedMigration[]): Promise<Manifest> {
  const newest = migrations.at(-1);
  const base = newest ? await readMigrationMeta(layout, newest) : emptyManifest();
  if (existsSync(layout.snapshot)) {
    const snapshot = await readSnapshotManifest(layout);
    if (hashManifest(snapshot) !== hashManifest(base)) {
      const shown = path.relative(layout.projectDir, layout.snapshot);
      throw new MooseError("MIGRATION_SNAPSHOT_MISMATCH", `${shown} is not the state after ${newest ? newest.fileName : "an empty migrations directory"}`, {
        exitCode: ExitCode.conflict,
        hint: `restore it from version control (it must equal ${newest ? path.relative(layout.projectDir, metaPath(layout, newest.id)) : "the empty state"}); moose-ts writes it, do not edit it by hand`,
      });
    }
  }
  return base;
}

/** Rewrites moose.sum over the files as they are now (`moose migrate hash`, and after every generate/rebase). */
export async function writeSum(layout: MigrationsLayout): Promise<void> {
  const sources = await readMigrationSources(layout);
  await mkdir(layout.dir, { recursive: true });
  await writeFile(layout.sum, formatSum(computeSum(sources.map((source) => ({ fileName: source.fileName, content: source.content })))));
}

/** `moose migrate hash`: accept the files as they are. Still refuses a broken chain. */
export async function hashMigrations(options: { projectDir: string; dir?: string }): Promise<{ files: number }> {
  const layout = migrationsLayout(options.projectDir, options.dir);
  const sources = await readMigrationSources(layout);
  verifyChain(layout, await loadMigrations(layout, sources));
  await writeSum(layout);
  return { files: sources.length };
}

/** A workflow `schedule` Temporal would refuse is an error at its file:line now, not at `migrate up`. */
function refuseInvalidSchedules(manifest: Manifest): void {
  for (const workflow of Object.values(manifest.workflows)) {
    if (workflow.schedule === undefined) continue;
    const parsed = parseSchedule(workflow.schedule);
    if ("error" in parsed) {
      throw new MooseError("WORKFLOW_SCHEDULE_INVALID", `workflow ${workflow.name}: schedule ${parsed.error}`, {
        ...(workflow.source ? { location: workflow.source } : {}),
        hint: "use a five-field cron expression in UTC (`0 2 * * *`), a shorthand (`@daily`, `@hourly`) or `@every <number><unit>` (`@every 15m`)",
      });
    }
  }
}

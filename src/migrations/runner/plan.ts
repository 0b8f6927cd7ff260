/**
 * Decides what a run will do before it does anything: the journal is compared with the files
 * (refusing applied files that changed or vanished), and the migrations to run are picked with
 * the step each one resumes at.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { canonicalJson } from "../../manifest/canonical.js";
import { ExitCode, MooseError } from "../../errors.js";
import type { MigrationsLayout } from "../layout.js";
import type { LoadedMigration } from "../load.js";
import { stepKind, stepSummary, type Step } from "../../steps/index.js";
import type { Direction, PlannedStep } from "./events.js";
import { isApplied, type JournalEntry } from "./journal.js";
import type { JudgedMigration } from "./judge.js";

export interface PlannedMigration {
  migration: LoadedMigration;
  direction: Direction;
  steps: Step[];
  /** Index of the first step to run (after an interrupted or failed run). */
  resumeAt: number;
}

/** What identifies a step's effect: its statement, payload, note or function source. */
function stepFingerprint(step: Step): string {
  if ("sql" in step) return `sql\0${step.sql}`;
  if ("kafka" in step) return `kafka\0${canonicalJson(step.kafka)}`;
  if ("temporal" in step) return `temporal\0${canonicalJson(step.temporal)}`;
  if ("note" in step) return `note\0${step.note}`;
  return `run\0${step.run.toString()}`;
}

/** Hash of the first `count` steps: stored with progress, compared when a run resumes. */
export function doneHash(steps: Step[], count: number): string {
  const hash = createHash("sha256");
  for (const step of steps.slice(0, count)) hash.update(stepFingerprint(step)).update("\n");
  return hash.digest("hex");
}

/** The steps from `resumeAt` on, each with whether it needs --allow-data-loss. */
export function plannedSteps(planned: JudgedMigration): PlannedStep[] {
  return planned.verdicts.map((verdict, offset) => {
    const index = planned.resumeAt + offset;
    const step = planned.steps[index]!;
    return { index, kind: stepKind(step), summary: stepSummary(step), destructive: verdict.consent, ...(verdict.consent ? { reasons: verdict.reasons } : {}) };
  });
}

/** Refuses when the database has applied a file that is gone or changed, or skipped one. */
export function verifyAgainstJournal(layout: MigrationsLayout, migrations: LoadedMigration[], journal: Map<string, JournalEntry>): void {
  const files = new Set(migrations.map((migration) => migration.id));
  for (const entry of journal.values()) {
    if (isApplied(entry) && !files.has(entry.id)) {
      throw new MooseError("MIGRATION_APPLIED_MISSING", `${entry.id} is applied on this database, but ${path.relative(layout.projectDir, layout.dir)}/${entry.id}.ts does not exist`, {
        exitCode: ExitCode.conflict,
        hint: "restore the file from version control; if it was rebased away, revert it on this database first with the old file (`moose migrate down`), then apply the new chain",
        details: { id: entry.id },
      });
    }
  }
  let firstPending: LoadedMigration | undefined;
  for (const migration of migrations) {
    const entry = journal.get(migration.id);
    if (!isApplied(entry)) {
      firstPending ??= migration;
      continue;
    }
    const file = path.relative(layout.projectDir, migration.path);
    // A half-reverted migration may have its failed down step fixed; resumePoint checks the done ones.
    if (entry!.status === "applied" && entry!.checksum !== migration.checksum) {
      throw new MooseError("MIGRATION_APPLIED_MODIFIED", `${file} was changed after it was applied to this database (checksum ${entry!.checksum.slice(0, 12)} in the journal, ${migration.checksum.slice(0, 12)} now)`, {
        exitCode: ExitCode.conflict,
        hint: `an applied migration must not change: undo the edit (\`git checkout -- ${file}\`) and put the change into a new migration (\`moose migrate generate\`)`,
        details: { file, journalChecksum: entry!.checksum, fileChecksum: migration.checksum },
      });
    }
    if (firstPending) {
      throw new MooseError("MIGRATION_CHAIN_GAP", `this database has ${migration.id} applied but not the earlier ${firstPending.id}`, {
        exitCode: ExitCode.conflict,
        hint: `the chain was rewritten after ${migration.id} was applied here: revert down to before ${firstPending.id} with the old files, or restore the old chain from version control`,
        details: { applied: migration.id, pending: firstPending.id },
      });
    }
  }
}

/** A run that picks up after a crash or failure must find the steps it already did unchanged. */
function resumePoint(migration: LoadedMigration, direction: Direction, steps: Step[], entry: JournalEntry | undefined, layout: MigrationsLayout): number {
  if (!entry || entry.stepsDone === 0) return 0;
  const resuming = direction === "up" ? entry.status === "running" || entry.status === "failed" : entry.status === "reverting" || entry.status === "revert_failed";
  if (!resuming) return 0;
  if (entry.stepsDone > steps.length || doneHash(steps, entry.stepsDone) !== entry.doneHash) {
    const file = path.relative(layout.projectDir, migration.path);
    throw new MooseError(
      "MIGRATION_APPLIED_MODIFIED",
      `${file}: steps 1–${entry.stepsDone} of its ${direction} were already applied to this database, and they changed since`,
      {
        exitCode: ExitCode.conflict,
        hint: `only the failed step and the ones after it may change while a migration is half applied: restore steps 1–${entry.stepsDone} as they were (\`git diff ${file}\`), then run the command again`,
        details: { file, stepsDone: entry.stepsDone },
      },
    );
  }
  return entry.stepsDone;
}

export function planUp(layout: MigrationsLayout, migrations: LoadedMigration[], journal: Map<string, JournalEntry>, to?: string): PlannedMigration[] {
  const last = to === undefined ? migrations.length - 1 : indexOf(migrations, to);
  return migrations
    .slice(0, last + 1)
    .filter((migration) => !isApplied(journal.get(migration.id)))
    .map((migration) => {
      const steps = migration.definition.up;
      return { migration, direction: "up" as const, steps, resumeAt: resumePoint(migration, "up", steps, journal.get(migration.id), layout) };
    });
}

/** Newest first: `steps` migrations (default 1), or every migration applied after `to`. */
export function planDown(layout: MigrationsLayout, migrations: LoadedMigration[], journal: Map<string, JournalEntry>, options: { to?: string; steps?: number }): PlannedMigration[] {
  const applied = migrations.filter((migration) => isApplied(journal.get(migration.id))).reverse();
  let chosen: LoadedMigration[];
  if (options.to !== undefined) {
    indexOf(migrations, options.to);
    if (!isApplied(journal.get(options.to))) {
      throw new MooseError("MIGRATION_NOT_APPLIED", `${options.to} is not applied on this database, so there is nothing to go back to`, {
        exitCode: ExitCode.usage,
        hint: "pass an applied migration id (see `moose migrate status`) or use --steps n",
      });
    }
    chosen = applied.slice(0, applied.findIndex((migration) => migration.id === options.to));
  } else {
    chosen = applied.slice(0, options.steps ?? 1);
  }
  return chosen.map((migration) => {
    const steps = migration.definition.down;
    return { migration, direction: "down" as const, steps, resumeAt: resumePoint(migration, "down", steps, journal.get(migration.id), layout) };
  });
}

function indexOf(migrations: LoadedMigration[], id: string): number {
  const index = migrations.findIndex((migration) => migration.id === id || migration.fileName === id);
  if (index < 0) {
    throw new MooseError("MIGRATION_UNKNOWN", `no migration ${id} in this directory`, {
      exitCode: ExitCode.usage,
      hint: `pass an id as listed by \`moose migrate status\`${migrations.length ? `, e.g. ${migrations[migrations.length - 1]!.id}` : ""}`,
    });
  }
  return index;
}

/** Steps that may lose data never run silently: listed with why, and refused (exit 3) unless allowed. */
export function refuseDataLoss(layout: MigrationsLayout, planned: JudgedMigration[]): void {
  const destructive = planned.flatMap((item) =>
    plannedSteps(item)
      .filter((step) => step.destructive)
      .map((step) => `${path.relative(layout.projectDir, item.migration.path)} ${item.direction} step ${step.index + 1}: ${step.summary} (${step.reasons!.join("; ")})`),
  );
  if (destructive.length === 0) return;
  throw new MooseError("MIGRATION_DESTRUCTIVE", `these steps may delete data:\n  ${destructive.join("\n  ")}`, {
    exitCode: ExitCode.blockedDestructive,
    hint: "review them; to run them anyway pass --allow-data-loss (or set MOOSE_ACCEPT_DESTRUCTIVE=1)",
    details: { steps: destructive },
  });
}

/**
 * The refusals that keep a migrations directory trustworthy. Each is a MooseError with exit code 4,
 * the files involved and what to do; they run before anything is applied.
 *   MIGRATION_FORK              two files start from the same state (two branches merged)
 *   MIGRATION_CHAIN_GAP         a file does not start where the one before it ends
 *   MIGRATION_CHECKSUM_MISMATCH a file changed (or appeared / vanished) after moose.sum was written
 *   MIGRATION_SNAPSHOT_MISMATCH meta/<id>.json is missing or does not hash to the file's `to`, or
 *                               snapshot.json is not the newest meta (verifySnapshots)
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ExitCode, MooseError } from "../errors.js";
import { EMPTY_MANIFEST_HASH, hashManifest } from "../manifest/canonical.js";
import { readMetaManifest, readSnapshotManifest } from "./snapshots.js";
import type { Manifest } from "../manifest/types.js";
import { metaPath, type MigrationsLayout } from "./layout.js";
import type { LoadedMigration, MigrationFileSource } from "./load.js";
import { compareSum, computeSum, type SumProblem } from "./sum.js";

export function short(hash: string): string {
  return hash.slice(0, 12);
}

function display(layout: MigrationsLayout, fileName: string): string {
  return path.relative(layout.projectDir, path.join(layout.dir, fileName));
}

/** Forks first (the likely cause of a gap after a merge), then gaps. */
export function verifyChain(layout: MigrationsLayout, migrations: LoadedMigration[]): void {
  const byFrom = new Map<string, LoadedMigration[]>();
  for (const migration of migrations) {
    byFrom.set(migration.definition.from, [...(byFrom.get(migration.definition.from) ?? []), migration]);
  }
  for (const [from, sharing] of byFrom) {
    if (sharing.length < 2) continue;
    const names = sharing.map((migration) => display(layout, migration.fileName));
    const newest = sharing[sharing.length - 1]!;
    throw new MooseError(
      "MIGRATION_FORK",
      `${names.join(" and ")} all start from state ${short(from)}: two branches generated migrations from the same state`,
      {
        exitCode: ExitCode.conflict,
        hint: `run \`moose migrate rebase\` to regenerate the newest of them (${newest.id}) on top of the others, or \`moose migrate rebase <id>\` to pick the one that belongs to your branch`,
        details: { files: names, from },
      },
    );
  }
  let expected = EMPTY_MANIFEST_HASH;
  let previous: LoadedMigration | undefined;
  for (const migration of migrations) {
    if (migration.definition.from !== expected) {
      const file = display(layout, migration.fileName);
      const after = previous ? `${display(layout, previous.fileName)} ends at state ${short(expected)}` : `the first migration must start from the empty state ${short(expected)}`;
      throw new MooseError("MIGRATION_CHAIN_GAP", `${file} starts from state ${short(migration.definition.from)}, but ${after}`, {
        exitCode: ExitCode.conflict,
        hint: `a migration between them is missing: restore it from version control, or run \`moose migrate rebase ${migration.id}\` to regenerate ${migration.fileName} on top of ${previous ? previous.fileName : "the empty state"}`,
        details: { file, from: migration.definition.from, expected, previous: previous?.fileName },
      });
    }
    expected = migration.definition.to;
    previous = migration;
  }
}

/** moose.sum against the files: its first disagreement (SumProblem), or the sum missing while there are files. */
export type SumCheck = SumProblem | { kind: "absent"; files: number };

/** Reads moose.sum once and compares it with the files; undefined when they agree. */
export async function checkSum(layout: MigrationsLayout, sources: MigrationFileSource[]): Promise<SumCheck | undefined> {
  if (!existsSync(layout.sum)) return sources.length === 0 ? undefined : { kind: "absent", files: sources.length };
  return compareSum(await readFile(layout.sum, "utf8"), computeSum(sources.map(({ fileName, content }) => ({ fileName, content }))));
}

/**
 * Loading a migration file runs its top-level code, so a file edited after it was summed is refused
 * before any file is loaded. moose.sum's other disagreements (a merge's new files, a git conflict in
 * it) wait for refuseSumProblem after the chain check, whose errors say more about a merge.
 */
export function refuseEditedFile(layout: MigrationsLayout, check: SumCheck | undefined): void {
  if (check?.kind === "changed") refuseSumProblem(layout, check);
}

/** Throws MIGRATION_CHECKSUM_MISMATCH (exit 4) for what checkSum found, if anything. */
export function refuseSumProblem(layout: MigrationsLayout, check: SumCheck | undefined): void {
  if (!check) return;
  const sumFile = display(layout, "moose.sum");
  const deliberate = "if that was deliberate, run `moose migrate hash`";
  switch (check.kind) {
    case "absent":
      throw new MooseError("MIGRATION_CHECKSUM_MISMATCH", `${sumFile} is missing but there are ${check.files} migration files`, {
        exitCode: ExitCode.conflict,
        hint: "restore it from version control; if the files are exactly as intended, run `moose migrate hash` to write it",
      });
    case "changed":
      throw new MooseError("MIGRATION_CHECKSUM_MISMATCH", `${display(layout, check.fileName)} changed after it was summed in ${sumFile}`, {
        exitCode: ExitCode.conflict,
        hint: `${deliberate} (a migration that is already applied anywhere must not change: undo the edit with \`git checkout -- ${display(layout, check.fileName)}\` and put the change in a new migration)`,
        details: { file: check.fileName },
      });
    case "unsummed":
      throw new MooseError("MIGRATION_CHECKSUM_MISMATCH", `${display(layout, check.fileName)} is not in ${sumFile} (added or renamed by hand, or brought in by a merge)`, {
        exitCode: ExitCode.conflict,
        hint: `after a merge of another branch's migrations run \`moose migrate rebase\`; ${deliberate}`,
        details: { file: check.fileName },
      });
    case "missing":
      throw new MooseError("MIGRATION_CHECKSUM_MISMATCH", `${sumFile} lists ${check.fileName}, but the file is gone`, {
        exitCode: ExitCode.conflict,
        hint: `restore it from version control; ${deliberate}`,
        details: { file: check.fileName },
      });
    case "corrupt":
      throw new MooseError("MIGRATION_CHECKSUM_MISMATCH", `${sumFile} does not match the migration files (${check.detail})`, {
        exitCode: ExitCode.conflict,
        hint: `a git conflict in ${sumFile} means two branches added migrations: run \`moose migrate rebase\`; ${deliberate}`,
      });
  }
}

/** The manifest after a migration, checked against the file's `to`. */
export async function readMigrationMeta(layout: MigrationsLayout, migration: LoadedMigration): Promise<Manifest> {
  return (await readMigrationState(layout, migration)).manifest;
}

/** The state after a migration: its manifest, hash and canonical JSON (what `_moose_state` stores). */
export async function readMigrationState(layout: MigrationsLayout, migration: LoadedMigration): Promise<{ manifest: Manifest; hash: string; json: string }> {
  const file = metaPath(layout, migration.id);
  const shown = path.relative(layout.projectDir, file);
  if (!existsSync(file)) {
    throw new MooseError("MIGRATION_SNAPSHOT_MISMATCH", `${shown} is missing (the state after ${migration.fileName})`, {
      exitCode: ExitCode.conflict,
      hint: "restore it from version control (generate writes it next to every migration file); or run `moose migrate rebase " + migration.id + "` to regenerate the migration and its snapshot",
    });
  }
  const manifest = await readMetaManifest(layout, migration.id);
  const hash = hashManifest(manifest);
  if (hash !== migration.definition.to) {
    throw new MooseError("MIGRATION_SNAPSHOT_MISMATCH", `${shown} does not hash to the \`to\` of ${migration.fileName} (${short(migration.definition.to)})`, {
      exitCode: ExitCode.conflict,
      hint: "restore both files from version control; snapshots are written by `moose migrate generate`, not by hand",
    });
  }
  // The file is canonical JSON as written by writeManifest: stored as is, not serialised again.
  return { manifest, hash, json: await readFile(file, "utf8") };
}

/**
 * Every `meta/<id>.json` hashes to its file's `to`, and `snapshot.json` (when present) is the state
 * after the newest migration: `up` and `status` refuse a directory whose recorded states disagree
 * with its chain (MIGRATION_SNAPSHOT_MISMATCH, exit 4), since `_moose_state` and the next
 * `generate` take them as the truth.
 */
export async function verifySnapshots(layout: MigrationsLayout, migrations: LoadedMigration[]): Promise<void> {
  let newest: { hash: string; id: string } = { hash: EMPTY_MANIFEST_HASH, id: "" };
  for (const migration of migrations) newest = { hash: (await readMigrationState(layout, migration)).hash, id: migration.id };
  if (!existsSync(layout.snapshot)) return;
  const snapshotHash = hashManifest(await readSnapshotManifest(layout));
  if (snapshotHash === newest.hash) return;
  const shown = path.relative(layout.projectDir, layout.snapshot);
  const expected = newest.id ? path.relative(layout.projectDir, metaPath(layout, newest.id)) : "the empty state";
  throw new MooseError("MIGRATION_SNAPSHOT_MISMATCH", `${shown} (state ${short(snapshotHash)}) is not the state after the newest migration${newest.id ? ` ${newest.id}` : ""} (${short(newest.hash)})`, {
    exitCode: ExitCode.conflict,
    hint: `restore it from version control (it must equal ${expected}); moose-ts writes it, do not edit it by hand`,
    details: { snapshot: shown, snapshotHash, expected: newest.hash },
  });
}

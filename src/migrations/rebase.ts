/**
 * `moose migrate rebase`: after a merge brought in another branch's migration, two files start
 * from the same state (a fork). Rebase takes this branch's file out of the chain, checks that the
 * rest is a clean chain, and regenerates the file on top of it, from the newest state to the
 * code's manifest (which, after the merge, holds both branches' changes). The new file gets a new
 * timestamp, so it sorts last. The old file is moved to .moose/rebased/ so hand-written steps can
 * be copied over; nothing is lost.
 */
import { mkdir, rename } from "node:fs/promises";
import path from "node:path";
import { ExitCode, MooseError } from "../errors.js";
import { writeSnapshot } from "./snapshots.js";
import { emptyManifest } from "../manifest/types.js";
import { writeNextMigration, writeSum, type GenerateOptions, type GenerateResult } from "./generate.js";
import { metaPath, migrationsLayout } from "./layout.js";
import { loadMigrations, readMigrationSources, type LoadedMigration } from "./load.js";
import { readMigrationMeta, verifyChain } from "./verify.js";

export interface RebaseResult {
  /** The file taken out of the chain. */
  rebased: string;
  /** Where its old content now is. */
  previousFile: string;
  /** The regenerated migration (or no-changes when the other branch already made the same change). */
  result: GenerateResult;
}

export async function rebaseMigrations(options: GenerateOptions & { id?: string }): Promise<RebaseResult> {
  const layout = migrationsLayout(options.projectDir, options.dir);
  const migrations = await loadMigrations(layout, await readMigrationSources(layout));
  const moving = options.id !== undefined ? findById(migrations, options.id) : pickForkedFile(migrations);
  const rest = migrations.filter((migration) => migration !== moving);
  verifyChain(layout, rest);
  const newest = rest.at(-1);
  const base = newest ? await readMigrationMeta(layout, newest) : emptyManifest();

  const previousFile = path.join(layout.projectDir, ".moose", "rebased", moving.fileName);
  const previousMeta = previousFile.replace(/\.ts$/, ".json");
  await mkdir(path.dirname(previousFile), { recursive: true });
  await rename(moving.path, previousFile);
  await rename(metaPath(layout, moving.id), previousMeta).catch(() => undefined);
  const restore = async () => {
    await rename(previousFile, moving.path);
    await rename(previousMeta, metaPath(layout, moving.id)).catch(() => undefined);
  };
  const { projectDir: _projectDir, dir: _dir, id: _id, ...generateOptions } = options;
  let result: GenerateResult;
  try {
    result = await writeNextMigration(layout, rest, base, {
      ...generateOptions,
      name: options.name ?? moving.id.replace(/^\d{8}T\d{6}Z_/, ""),
    });
  } catch (error) {
    // Nothing was written (e.g. a --rename that does not apply): the chain stays as it was.
    await restore();
    throw error;
  }
  if (result.kind === "refused") {
    // Nothing was written: put the file back as it was.
    await restore();
  } else if (result.kind === "no-changes") {
    // The other branch already made the same change: the chain without the moved file is complete.
    await writeSnapshot(layout, base);
    await writeSum(layout);
  }
  return { rebased: moving.fileName, previousFile, result };
}

function findById(migrations: LoadedMigration[], id: string): LoadedMigration {
  const found = migrations.find((migration) => migration.id === id || migration.fileName === id);
  if (!found) {
    throw new MooseError("MIGRATION_UNKNOWN", `no migration ${id} in this directory`, {
      exitCode: ExitCode.usage,
      hint: "pass the id (file name without .ts) of the migration that belongs to your branch",
    });
  }
  return found;
}

/** The newest of the files that share a `from`; refuses when there is no fork to resolve. */
function pickForkedFile(migrations: LoadedMigration[]): LoadedMigration {
  const seen = new Map<string, LoadedMigration>();
  for (const migration of migrations) {
    if (seen.has(migration.definition.from)) return migration;
    seen.set(migration.definition.from, migration);
  }
  throw new MooseError("MIGRATION_NO_FORK", "no two migrations start from the same state: there is nothing to rebase", {
    exitCode: ExitCode.usage,
    hint: "to regenerate a particular file anyway, pass its id: `moose migrate rebase <id>`",
  });
}

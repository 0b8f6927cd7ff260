/** Opens a migrations directory for planning or applying: loaded files, verified chain and sum. */
import { loadMigrations, readMigrationSources, type LoadedMigration } from "./load.js";
import type { MigrationsLayout } from "./layout.js";
import { refuseEditedFiles, verifyChain, verifySum } from "./verify.js";

export async function openMigrationsDirectory(layout: MigrationsLayout): Promise<LoadedMigration[]> {
  const sources = await readMigrationSources(layout);
  await refuseEditedFiles(layout, sources);
  const migrations = await loadMigrations(layout, sources);
  verifyChain(layout, migrations);
  await verifySum(layout, sources);
  return migrations;
}

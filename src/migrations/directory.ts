/** Opens a migrations directory for planning or applying: loaded files, verified chain and sum. */
import { loadMigrations, readMigrationSources, type LoadedMigration } from "./load.js";
import type { MigrationsLayout } from "./layout.js";
import { checkSum, refuseEditedFile, refuseSumProblem, verifyChain } from "./verify.js";

export async function openMigrationsDirectory(layout: MigrationsLayout): Promise<LoadedMigration[]> {
  const sources = await readMigrationSources(layout);
  const sum = await checkSum(layout, sources);
  refuseEditedFile(layout, sum);
  const migrations = await loadMigrations(layout, sources);
  verifyChain(layout, migrations);
  refuseSumProblem(layout, sum);
  return migrations;
}

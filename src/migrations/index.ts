/** Migration files (generate, load, verify, rebase, hash) and the runner that applies them. */
export * from "./runner/index.js";
export { generateMigration, hashMigrations, migrationSteps, type GenerateOptions, type GenerateResult, type RenameResolver } from "./generate.js";
export { rebaseMigrations, type RebaseResult } from "./rebase.js";
export { openMigrationsDirectory } from "./directory.js";
export { migrationsLayout, type MigrationsLayout } from "./layout.js";
export { defineMigration, type MigrationDefinition, type Step, type StepContext } from "../steps/index.js";

export { applyMigrations, revertMigrations, type RunOptions, type RunResult } from "./apply.js";
export { migrationStatus, type MigrationsStatus, type MigrationStatusEntry } from "./status.js";
export { readAppliedState, readJournal, JOURNAL_TABLE, STATE_TABLE, type AppliedState, type JournalEntry } from "./journal.js";
export { breakLock, liveHolders, LOCK_TABLE, MigrationLock, type LockHolder, type LockOptions } from "./lock.js";
export { jsonReporter, silentReporter, textReporter, type MigrationEvent, type Reporter } from "./events.js";
export type { KafkaExecutor, TemporalExecutor } from "./dispatch.js";

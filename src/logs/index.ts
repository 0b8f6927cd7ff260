/** The moose log: `logEvent` / `logTimed` for stages, `logMigrationEvents` for the migration runner. */
export { logEvent, logTimed, logFilePath, type LogEventInput, type LogKind, type LogLevel, type LogRecord } from "./logger.js";
export { logMigrationEvents, bothReporters } from "./migration-events.js";
export { redact, redactString } from "./redact.js";

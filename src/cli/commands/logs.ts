/** `moose logs`: the project's structured log (.moose/logs/moose.jsonl), for humans or as JSON lines. */
import type { Command } from "commander";
import { resolve } from "node:path";
import { ExitCode } from "../../errors.js";
import type { LogRecord } from "../../logs/logger.js";
import { logFilePath } from "../../logs/logger.js";
import { followLog, formatLogRecord, matchesFilter, readLogSnapshot } from "../../logs/read.js";
import { action } from "../action.js";

/** With --tail, how many existing events are shown before following. */
const TAIL_BACKLOG = 20;

interface LogsOptions {
  dir: string;
  tail?: boolean;
  filter?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("logs")
    .description("Show what moose did: builds, plans, migrations and their steps, reloads, errors")
    .option("--dir <path>", "project directory", ".")
    .option("-t, --tail", `show the last ${TAIL_BACKLOG} events, then follow new ones until Ctrl-C`)
    .option("-f, --filter <text>", "only events containing this text (case-insensitive)")
    .option("--json", "print the raw JSON lines")
    .action(
      action(async (options: LogsOptions) => {
        const projectDir = resolve(options.dir);
        const render = (record: LogRecord) =>
          process.stdout.write(`${options.json ? JSON.stringify(record) : formatLogRecord(record)}\n`);
        const snapshot = readLogSnapshot(projectDir);
        const existing = snapshot.records.filter((record) => matchesFilter(record, options.filter));
        if (!options.tail) {
          if (existing.length === 0 && !options.json) {
            process.stderr.write(`no log events yet (${logFilePath(projectDir)})\n`);
          }
          existing.forEach(render);
          return ExitCode.ok;
        }
        existing.slice(-TAIL_BACKLOG).forEach(render);
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
        try {
          await followLog(projectDir, snapshot.endOffset, (record) => matchesFilter(record, options.filter) && render(record), stop.signal);
        } finally {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
        }
        return ExitCode.ok;
      }),
    );
}

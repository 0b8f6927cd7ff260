/**
 * A running `moose dev` (or `moose prod --embedded`) holds `.moose/clickhouse` (chdb binds a data
 * directory to one process), and serves that engine over the ClickHouse HTTP interface. It says where in `.moose/running.json`, so
 * `moose ls`, `moose migrate … --embedded` and friends go through it instead of failing on the
 * data-directory lock (`findRunning`). The file is removed on shutdown; a file whose process is gone
 * (a crash) is ignored.
 */
import { existsSync, readFileSync, unlinkSync } from "node:fs";
import path from "node:path";
import { isAlive } from "../infra/pid.js";
import { writeFileAtomicSync } from "../files.js";

export interface RunningInstance {
  pid: number;
  /** `moose dev`, or `moose prod --embedded` (which serves the engine on a free loopback port). */
  kind: "dev" | "prod";
  /** `http://127.0.0.1:<port>`: the ClickHouse HTTP interface of the embedded engine. */
  clickhouseUrl: string;
  /**
   * Who may use it, when not `[clickhouse_config]`'s user and password: `moose prod --embedded`
   * makes a password for each run, so the engine of a production app never answers to the
   * well-known defaults (the file is readable by its owner only).
   */
  credentials?: { user: string; password: string };
  /** The app's HTTP server (`/health` reports the stream processes), once it listens. */
  apiUrl?: string;
  database: string;
  startedAt: string;
}

export function runningFile(projectDir: string): string {
  return path.join(projectDir, ".moose", "running.json");
}

export function writeRunning(projectDir: string, instance: Omit<RunningInstance, "pid" | "startedAt">): void {
  const record: RunningInstance = { pid: process.pid, startedAt: new Date().toISOString(), ...instance };
  // A new file (`mode` applies only to a file it creates) renamed into place: a password in it is never
  // in a file others may read, not even while one a previous run left is overwritten.
  writeFileAtomicSync(runningFile(projectDir), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

/** Removes the file if this process wrote it. */
export function removeRunning(projectDir: string): void {
  const file = runningFile(projectDir);
  try {
    const record = JSON.parse(readFileSync(file, "utf8")) as RunningInstance;
    if (record.pid === process.pid) unlinkSync(file);
  } catch {
    // gone already, or not ours
  }
}

/** The `moose dev` or `moose prod --embedded` running on this project (another process), if any. */
export function findRunning(projectDir: string): RunningInstance | undefined {
  const file = runningFile(projectDir);
  if (!existsSync(file)) return undefined;
  try {
    const record = JSON.parse(readFileSync(file, "utf8")) as RunningInstance;
    if (!Number.isInteger(record.pid) || record.pid === process.pid || !isAlive(record.pid)) return undefined;
    return record;
  } catch {
    return undefined;
  }
}

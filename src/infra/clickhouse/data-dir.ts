/**
 * Which embedded data directory this process holds. chdb binds one directory per process: a second
 * directory in the same process is refused (CLICKHOUSE_DATA_DIR_IN_USE), and `<dir>/moose.lock`,
 * holding our pid, keeps other processes off it (CLICKHOUSE_DATA_DIR_LOCKED names the holder).
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { drainPending } from "chdb";
import { MooseError } from "../../errors.js";
import { isAlive } from "../pid.js";

export const LOCK_FILE = "moose.lock";

/** The data directory this process has bound, and how many drivers use it. */
let boundDirectory: { dir: string; users: number } | undefined;

function releaseLockFile(dir: string): void {
  const lockPath = path.join(dir, LOCK_FILE);
  try {
    if (readFileSync(lockPath, "utf8").trim() === String(process.pid)) unlinkSync(lockPath);
  } catch {
    // already gone
  }
}

let exitHookInstalled = false;
function releaseOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    if (boundDirectory) releaseLockFile(boundDirectory.dir);
  });
}

/** Takes `<dir>/moose.lock` for this process, or says which live process has it. */
function acquireLockFile(dir: string): void {
  const lockPath = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockPath, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      releaseOnExit();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let holder = NaN;
    try {
      holder = Number.parseInt(readFileSync(lockPath, "utf8").trim(), 10);
    } catch {
      continue; // removed between our attempts: try again
    }
    if (holder === process.pid) return; // left behind by an earlier open in this process
    if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
      throw new MooseError(
        "CLICKHOUSE_DATA_DIR_LOCKED",
        `The local ClickHouse data directory ${dir} is in use by another process (pid ${holder}).`,
        {
          hint: `Stop that process (e.g. the other \`moose dev\`), or point this one at another project. If pid ${holder} is not moose, delete ${lockPath}.`,
          details: { dataDir: dir, pid: holder, lockFile: lockPath },
        },
      );
    }
    // The holder is gone (crashed): the lock is stale.
    try {
      unlinkSync(lockPath);
    } catch {
      // someone else cleaned it up first
    }
  }
  throw new MooseError("CLICKHOUSE_DATA_DIR_LOCKED", `Could not take the lock ${lockPath}.`, {
    hint: `Another process keeps recreating it; stop other moose processes using ${dir}.`,
    details: { dataDir: dir, lockFile: lockPath },
  });
}

/** Claims `dir` for this process (once per driver; counted). */
export function bindDirectory(dir: string): void {
  if (boundDirectory && boundDirectory.dir !== dir) {
    throw new MooseError(
      "CLICKHOUSE_DATA_DIR_IN_USE",
      `This process already uses the local ClickHouse data directory ${boundDirectory.dir}; the embedded engine cannot open a second one (${dir}).`,
      {
        hint: "Close the open embedded driver first (await driver.close()), or run the second project in its own process.",
        details: { open: boundDirectory.dir, requested: dir },
      },
    );
  }
  if (!boundDirectory) {
    mkdirSync(dir, { recursive: true });
    acquireLockFile(dir);
    boundDirectory = { dir, users: 0 };
  }
  boundDirectory.users++;
}

/** Releases one claim; the last one waits for chdb to let go of the directory, then drops the lock. */
export async function unbindDirectory(dir: string): Promise<void> {
  if (!boundDirectory || boundDirectory.dir !== dir) return;
  boundDirectory.users--;
  if (boundDirectory.users > 0) return;
  // A different directory can only be opened once chdb has really released this one.
  await drainPending();
  boundDirectory = undefined;
  releaseLockFile(dir);
}

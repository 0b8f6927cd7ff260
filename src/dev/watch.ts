/**
 * Watches the project for source changes (chokidar). What moose itself writes (.moose: builds, the
 * embedded database, logs; migrations: the draft) and what the app only consumes (node_modules,
 * dist) are ignored, so a reload never triggers another.
 */
import { statSync } from "node:fs";
import path from "node:path";
import { watch, type FSWatcher } from "chokidar";

// Python apps: the virtualenv and bytecode caches are not source.
const IGNORED_DIRECTORIES = new Set([".moose", "node_modules", "dist", "migrations", ".git", ".venv", "venv", "__pycache__"]);
/** Files that can change what the app's code compiles to, and the config (reported, not reloaded). */
const WATCHED_FILE = /(\.(ts|tsx|mts|cts|js|mjs|cjs|json|py)|^moose\.config\.toml)$/;
/**
 * A save truncates the file before writing it: read in between, an entry file is an empty app and
 * the reload would drop every table. An empty file is reported once it has content (its size is
 * looked at again every RECHECK_MS), or if it is still empty this long after.
 */
export const EMPTY_FILE_SETTLE_MS = 150;
/**
 * chokidar reports a file's change at most once per 50 ms and drops the events in between: a save
 * right after another (a formatter rewriting what the editor wrote, a write after its truncate)
 * would go unseen. So a file is looked at again once that window is over, and reported again if
 * its size, modification time or inode moved since it was reported.
 */
const CHOKIDAR_CHANGE_THROTTLE_MS = 50;
const RECHECK_MS = 5;

export interface ProjectWatcher {
  close(): Promise<void>;
}

export function isIgnoredPath(projectDir: string, file: string): boolean {
  const relative = path.relative(projectDir, file);
  if (relative === "" || relative.startsWith("..")) return false;
  return relative.split(path.sep).some((part) => IGNORED_DIRECTORIES.has(part));
}

/** Calls `onChange(relativePath)` for every added, changed or removed source file (and moose.config.toml); resolves once watching. */
export async function watchProject(
  projectDir: string,
  onChange: (file: string) => void,
  onError: (error: unknown) => void,
  emptyFileSettleMs = EMPTY_FILE_SETTLE_MS,
): Promise<ProjectWatcher> {
  const watcher: FSWatcher = watch(projectDir, {
    ignoreInitial: true,
    ignored: (file) => isIgnoredPath(projectDir, file),
  });
  // One pending look per file: at an empty file until it has content, or after a report.
  const looks = new Map<string, NodeJS.Timeout>();
  const lookLater = (relative: string, afterMs: number, look: () => void) => {
    looks.set(
      relative,
      setTimeout(() => {
        looks.delete(relative);
        look();
      }, afterMs),
    );
  };
  const report = (file: string, relative: string) => {
    const reported = versionOf(file);
    onChange(relative);
    lookLater(relative, CHOKIDAR_CHANGE_THROTTLE_MS + RECHECK_MS, () => {
      const now = versionOf(file);
      // A file gone since is chokidar's to report (its unlink event, which also folds an editor's delete-and-write).
      if (now !== undefined && now !== reported) changed(file);
    });
  };
  const whenWritten = (file: string, relative: string, settlesAt: number) => {
    lookLater(relative, RECHECK_MS, () => {
      if (sizeOf(file) === 0 && performance.now() < settlesAt) whenWritten(file, relative, settlesAt);
      else report(file, relative);
    });
  };
  const changed = (file: string) => {
    const relative = path.relative(projectDir, file);
    if (!WATCHED_FILE.test(relative)) return;
    clearTimeout(looks.get(relative));
    looks.delete(relative);
    if (sizeOf(file) === 0) whenWritten(file, relative, performance.now() + emptyFileSettleMs);
    else report(file, relative);
  };
  watcher.on("add", changed).on("change", changed).on("unlink", changed).on("error", onError);
  await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  return {
    close: async () => {
      for (const timer of looks.values()) clearTimeout(timer);
      looks.clear();
      await watcher.close();
    },
  };
}

/** What tells one write of the file from the next (undefined when it is gone). */
function versionOf(file: string): string | undefined {
  try {
    const stats = statSync(file);
    return `${stats.size}:${stats.mtimeMs}:${stats.ino}`;
  } catch {
    return undefined;
  }
}

/** The file's size now, or undefined when it is gone (a removal is reported at once). */
function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}

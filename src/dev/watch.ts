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
 * the reload would drop every table. An empty file is reported only if it is still empty this long
 * after (the write's own change event comes first and replaces it).
 */
export const EMPTY_FILE_SETTLE_MS = 150;

export interface ProjectWatcher {
  close(): Promise<void>;
}

export function isIgnoredPath(projectDir: string, file: string): boolean {
  const relative = path.relative(projectDir, file);
  if (relative === "" || relative.startsWith("..")) return false;
  return relative.split(path.sep).some((part) => IGNORED_DIRECTORIES.has(part));
}

/** Calls `onChange(relativePath)` for every added, changed or removed source file (and moose.config.toml); resolves once watching. */
export async function watchProject(projectDir: string, onChange: (file: string) => void, onError: (error: unknown) => void): Promise<ProjectWatcher> {
  const watcher: FSWatcher = watch(projectDir, {
    ignoreInitial: true,
    ignored: (file) => isIgnoredPath(projectDir, file),
  });
  const emptyFiles = new Map<string, NodeJS.Timeout>();
  const changed = (file: string) => {
    const relative = path.relative(projectDir, file);
    if (!WATCHED_FILE.test(relative)) return;
    clearTimeout(emptyFiles.get(relative));
    emptyFiles.delete(relative);
    if (sizeOf(file) === 0) {
      emptyFiles.set(relative, setTimeout(() => (emptyFiles.delete(relative), onChange(relative)), EMPTY_FILE_SETTLE_MS));
      return;
    }
    onChange(relative);
  };
  watcher.on("add", changed).on("change", changed).on("unlink", changed).on("error", onError);
  await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  return {
    close: async () => {
      for (const timer of emptyFiles.values()) clearTimeout(timer);
      await watcher.close();
    },
  };
}

/** The file's size now, or undefined when it is gone (a removal is reported at once). */
function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}

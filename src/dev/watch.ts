/**
 * Watches the project for source changes (chokidar). What moose itself writes (.moose: builds, the
 * embedded database, logs; migrations: the draft) and what the app only consumes (node_modules,
 * dist) are ignored, so a reload never triggers another.
 */
import path from "node:path";
import { watch, type FSWatcher } from "chokidar";

// Python apps: the virtualenv and bytecode caches are not source.
const IGNORED_DIRECTORIES = new Set([".moose", "node_modules", "dist", "migrations", ".git", ".venv", "venv", "__pycache__"]);
/** Files that can change what the app's code compiles to, and the config (reported, not reloaded). */
const WATCHED_FILE = /(\.(ts|tsx|mts|cts|js|mjs|cjs|json|py)|^moose\.config\.toml)$/;

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
  const changed = (file: string) => {
    const relative = path.relative(projectDir, file);
    if (WATCHED_FILE.test(relative)) onChange(relative);
  };
  watcher.on("add", changed).on("change", changed).on("unlink", changed).on("error", onError);
  await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  return { close: () => watcher.close() };
}

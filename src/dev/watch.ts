/**
 * Watches the project for source changes (chokidar). What moose itself writes (.moose: builds, the
 * embedded database, logs; migrations: the draft) and what the app only consumes (node_modules,
 * dist) are ignored, so a reload never triggers another.
 */
import path from "node:path";
import { watch, type FSWatcher } from "chokidar";

const IGNORED_DIRECTORIES = new Set([".moose", "node_modules", "dist", "migrations", ".git"]);
/** Files that can change what the app's code compiles to. */
const SOURCE_FILE = /\.(ts|tsx|mts|cts|js|mjs|cjs|json)$/;

export interface ProjectWatcher {
  close(): Promise<void>;
}

export function isIgnoredPath(projectDir: string, file: string): boolean {
  const relative = path.relative(projectDir, file);
  if (relative === "" || relative.startsWith("..")) return false;
  return relative.split(path.sep).some((part) => IGNORED_DIRECTORIES.has(part));
}

/** Calls `onChange(relativePath)` for every added, changed or removed source file; resolves once watching. */
export async function watchProject(projectDir: string, onChange: (file: string) => void, onError: (error: unknown) => void): Promise<ProjectWatcher> {
  const watcher: FSWatcher = watch(projectDir, {
    ignoreInitial: true,
    ignored: (file) => isIgnoredPath(projectDir, file),
  });
  const changed = (file: string) => {
    if (SOURCE_FILE.test(file)) onChange(path.relative(projectDir, file));
  };
  watcher.on("add", changed).on("change", changed).on("unlink", changed).on("error", onError);
  await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  return { close: () => watcher.close() };
}

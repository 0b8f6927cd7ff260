/**
 * Where the running moose-ts package lives and what its package.json says. The CLI is bundled into
 * dist/ (possibly into a shared chunk), so the root is found by walking up from this module to the
 * package.json named moose-ts rather than by a fixed relative path.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface MooseTsPackage {
  /** Absolute path of the moose-ts package root (the folder holding its package.json). */
  root: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

let cached: MooseTsPackage | undefined;

export function mooseTsPackage(): MooseTsPackage {
  cached ??= findPackage(path.dirname(fileURLToPath(import.meta.url)));
  return cached;
}

function findPackage(start: string): MooseTsPackage {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, "utf8")) as Partial<MooseTsPackage> & { name?: string };
      if (json.name === "moose-ts") {
        return {
          root: dir,
          version: json.version ?? "0.0.0",
          dependencies: json.dependencies ?? {},
          devDependencies: json.devDependencies ?? {},
        };
      }
    }
    // Reaching the filesystem root means the install is broken: a bug, not a user error.
    if (path.dirname(dir) === dir) throw new Error(`no moose-ts package.json above ${start}`);
  }
}

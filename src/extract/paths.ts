/** Where the moose-ts package itself lives, so user apps always get this copy's SDK. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function findPackageRoot(start: string): string {
  let directory = start;
  for (;;) {
    const manifest = path.join(directory, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "moose-ts") return directory;
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error(`moose-ts: cannot find the package root above ${start}`);
    directory = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
export const SDK_DIR = path.join(PACKAGE_ROOT, "src", "sdk");
/** The SDK entry, as TypeScript source: type-checked with the app and bundled into it. */
export const SDK_ENTRY = path.join(SDK_DIR, "index.ts");
export const SDK_PACKAGE = "moose-ts";

/** Files of moose-ts itself (the SDK and what it imports): not the user's to fix, so not type-checked for them. */
export function isMooseSourceFile(fileName: string): boolean {
  return path.resolve(fileName).startsWith(path.join(PACKAGE_ROOT, "src") + path.sep);
}

/** Project-relative, forward-slash path (what manifests and messages show). */
export function relativePath(projectDir: string, fileName: string): string {
  const relative = path.relative(projectDir, fileName);
  return (relative.startsWith("..") ? fileName : relative).split(path.sep).join("/");
}

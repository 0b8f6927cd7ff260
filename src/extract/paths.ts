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
const SDK_DIR = path.join(PACKAGE_ROOT, "src", "sdk");
/** The SDK entry, as TypeScript source: bundled into the app. */
export const SDK_ENTRY = path.join(SDK_DIR, "index.ts");
export const SDK_PACKAGE = "moose-ts";
/** The SDK's declaration files, which `npm run build` writes in the same step as the bundles. */
const SDK_TYPES_DIR = path.join(PACKAGE_ROOT, "dist", "types", "src", "sdk");
const runsFromBuild = path.relative(PACKAGE_ROOT, fileURLToPath(import.meta.url)).split(path.sep)[0] === "dist";

/**
 * What `import … from "moose-ts"` in the app is to the type checker. Running from the build, the
 * SDK's declarations: the program then parses ≈ 25 small .d.ts files rather than the SDK's sources
 * and all they import (@types/node, the ClickHouse client's types, …: ≈ 180 files, most of a small
 * app's cold build). Under a test runner, whose dist/ may be older than src/, the sources.
 */
export const SDK_TYPES_ENTRY = runsFromBuild && existsSync(path.join(SDK_TYPES_DIR, "index.d.ts")) ? path.join(SDK_TYPES_DIR, "index.d.ts") : SDK_ENTRY;

const SDK_PREFIXES = [SDK_DIR + path.sep, SDK_TYPES_DIR + path.sep];
const MOOSE_PREFIXES = [path.join(PACKAGE_ROOT, "src") + path.sep, path.join(PACKAGE_ROOT, "dist") + path.sep];

/** Does this file declare the SDK's classes (its sources, or their declarations)? */
export function isSdkFile(fileName: string): boolean {
  return startsWithAny(normalized(fileName), SDK_PREFIXES);
}

/** Files of moose-ts itself (the SDK and what it imports, or their declarations): not the user's to fix, so not type-checked for them. */
export function isMooseSourceFile(fileName: string): boolean {
  return startsWithAny(normalized(fileName), MOOSE_PREFIXES);
}

// Asked for every file of the program on every save: TypeScript's names are absolute and normalized already.
const NEEDS_RESOLVING = /(^|[\\/])\.\.?([\\/]|$)|\\|\/\//;

function normalized(fileName: string): string {
  return path.isAbsolute(fileName) && !NEEDS_RESOLVING.test(fileName) ? fileName : path.resolve(fileName);
}

function startsWithAny(text: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => text.startsWith(prefix));
}

export function buildDir(projectDir: string): string {
  return path.join(projectDir, ".moose", "build");
}

/** Where `moose dev` emits an app file as an ES module (see dev-modules.ts). */
export function devModuleFile(projectDir: string, fileName: string): string {
  // A JSON file (`resolveJsonModule`) becomes a module too, named so Node does not read it as JSON.
  return path.join(buildDir(projectDir), "dev", path.relative(projectDir, fileName)).replace(/\.[cm]?tsx?$|(\.json)$/, "$1.mjs");
}

/** Project-relative, forward-slash path (what manifests and messages show). */
export function relativePath(projectDir: string, fileName: string): string {
  const relative = path.relative(projectDir, fileName);
  return (relative.startsWith("..") ? fileName : relative).split(path.sep).join("/");
}

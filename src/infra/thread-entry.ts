/**
 * The file a `worker_threads` worker of moose-ts runs. The built package has it as its own entry in
 * dist/ (scripts/build.mjs). Under tests vitest runs the TypeScript sources, which Node cannot load
 * in a worker, so the entry is bundled with esbuild on first use (once per process, packages left
 * external) into node_modules/.cache/moose-ts/threads/, named by its content's hash so concurrent
 * test processes never read each other's half-written file.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { mooseTsPackage } from "../cli/package-info.js";
import { writeFileAtomicSync } from "../files.js";

/** Entries by their path under src/ without extension, e.g. "infra/kafka/producer-thread". */
const bundled = new Map<string, Promise<string>>();

export function threadEntry(name: string): Promise<string> {
  const root = mooseTsPackage().root;
  if (!fileURLToPath(import.meta.url).endsWith(".ts")) {
    const built = path.join(root, "dist", `${name}.js`);
    if (!existsSync(built)) return Promise.reject(new Error(`moose-ts is not built: ${built} is missing (npm run build)`));
    return Promise.resolve(built);
  }
  let entry = bundled.get(name);
  if (!entry) {
    entry = bundleSource(root, name);
    bundled.set(name, entry);
  }
  return entry;
}

async function bundleSource(root: string, name: string): Promise<string> {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [path.join(root, "src", `${name}.ts`)],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.contents;
  const directory = path.join(root, "node_modules", ".cache", "moose-ts", "threads");
  const file = path.join(directory, `${name.replaceAll("/", "-")}-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`);
  if (!existsSync(file)) writeFileAtomicSync(file, code);
  return file;
}

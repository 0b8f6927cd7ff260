/**
 * Bundles the app with esbuild + the moose-ts plugin into .moose/build/app.mjs. The entry
 * re-exports the user's main file plus the bundled SDK's registryToManifest, so whoever imports
 * the bundle (the child process, or loadApp in-process) can read what the app registered.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { MooseError } from "../errors.js";
import { diagnosticsError, type ExtractDiagnostic } from "./diagnostic.js";
import { mooseEsbuildPlugin } from "./esbuild-plugin.js";
import type { ProgramSession } from "./program.js";
import { buildDir, PACKAGE_ROOT, relativePath, SDK_PACKAGE } from "./paths.js";

export const MANIFEST_EXPORT = "__mooseManifest";

export interface AppBundle {
  /** Absolute path of the bundled ES module. */
  file: string;
}

function buildOptions(projectDir: string, mainFile: string, session: ProgramSession, outName: string): esbuild.BuildOptions {
  const relativeMain = `./${path.relative(projectDir, mainFile).split(path.sep).join("/")}`;
  return {
    stdin: {
      contents: `export * from ${JSON.stringify(relativeMain)};\nexport { registryToManifest as ${MANIFEST_EXPORT} } from "${SDK_PACKAGE}";\n`,
      resolveDir: projectDir,
      sourcefile: "moose-entry.ts",
      loader: "ts",
    },
    absWorkingDir: projectDir,
    outfile: path.join(buildDir(projectDir), outName),
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    sourcemap: "linked",
    logLevel: "silent",
    // The bundled SDK loads its run-time half (insert, send, cache) from this moose-ts's dist/.
    define: { __MOOSE_TS_RUNTIME__: JSON.stringify(pathToFileURL(path.join(PACKAGE_ROOT, "dist", "sdk", "runtime.js")).href) },
    // MooseStack runs apps as CommonJS: `require` of a package (esbuild's __require calls this one) and each file's own paths.
    banner: { js: `import { createRequire as __mooseCreateRequire } from "node:module"; const require = __mooseCreateRequire(import.meta.url);` },
    plugins: [mooseEsbuildPlugin({ projectDir, session, bundleSdk: true, commonJsPaths: true })],
  };
}

export async function bundleApp(projectDir: string, mainFile: string, session: ProgramSession, outName = "app.mjs"): Promise<AppBundle> {
  mkdirSync(buildDir(projectDir), { recursive: true });
  const options = buildOptions(projectDir, mainFile, session, outName);
  try {
    await esbuild.build(options);
  } catch (error) {
    throw bundleError(error, projectDir);
  }
  return { file: options.outfile as string };
}

export function writeRunner(projectDir: string): string {
  const runner = path.join(buildDir(projectDir), "run.mjs");
  writeFileSync(runner, RUNNER_SOURCE);
  return runner;
}

/**
 * esbuild failures: our diagnostics come back in `detail`; anything else is a bundling error. Its
 * location is relative to esbuild's working directory (the project, `absWorkingDir`): shown
 * project-relative like every location, or absolute for a file outside the project.
 */
function bundleError(error: unknown, projectDir: string): Error {
  const failure = error as Partial<esbuild.BuildFailure>;
  if (!Array.isArray(failure.errors)) return error as Error;
  const diagnostics = failure.errors.map((message) => message.detail as ExtractDiagnostic | undefined).filter((detail): detail is ExtractDiagnostic => detail?.code !== undefined);
  if (diagnostics.length > 0) return diagnosticsError(diagnostics);
  const [first] = failure.errors;
  return new MooseError("BUNDLE_FAILED", failure.errors.map((message) => message.text).join("\n"), {
    ...(first?.location ? { location: { file: relativePath(projectDir, path.resolve(projectDir, first.location.file)), line: first.location.line, col: first.location.column + 1 } } : {}),
    hint: "check the import named above: is the package installed, is the path right?",
  });
}

/**
 * The child-process runner: imports the bundle and writes `{ ok, manifest }` or `{ ok, error }` to
 * the file named by its first argument. Kept as plain JavaScript so no build step is needed.
 */
const RUNNER_SOURCE = `import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const [bundle, out] = process.argv.slice(2);
try {
  const app = await import(pathToFileURL(bundle).href);
  const registry = globalThis[Symbol.for("moose-ts.registry")];
  writeFileSync(out, JSON.stringify({ ok: true, manifest: app.${MANIFEST_EXPORT}(), notices: registry && registry.noticeList ? registry.noticeList() : [] }));
} catch (error) {
  const moose = error && error.name === "MooseError" && typeof error.toJSON === "function";
  writeFileSync(out, JSON.stringify({ ok: false, error: moose ? error.toJSON() : { code: "APP_ERROR", message: String(error && error.message || error), stack: String(error && error.stack || "") } }));
}
`;

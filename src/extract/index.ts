/**
 * Extraction: app/index.ts → Manifest. Type-check the app (errors printed like tsc), bundle it
 * with the moose-ts transformer (which injects column metadata into every SDK constructor), run
 * it, collect what it registered, and check it (./check.ts) before anyone writes it.
 */
import path from "node:path";
import type { Manifest } from "../manifest/types.js";
import { bundleApp } from "./bundle.js";
import { checkManifest } from "./check.js";
import { DevModuleLoader } from "./dev-modules.js";
import { typeScriptError } from "./diagnostic.js";
import { ProgramSession } from "./program.js";
import { resolveMainFile } from "./main-file.js";
import { runInChildProcess } from "./run.js";
import { extractPythonManifest, projectLanguage } from "./python/index.js";

export interface ExtractOptions {
  projectDir: string;
  /** Relative to projectDir; default `<source_dir>/index.ts` (app/index.ts). */
  mainFile?: string;
  /** Where warnings go (default: stderr). */
  warn?: (message: string) => void;
}

/** Builds the app and returns its manifest; throws a MooseError (with file:line) on any problem. */
export async function extractManifest(options: ExtractOptions): Promise<Manifest> {
  const projectDir = path.resolve(options.projectDir);
  // The one language switch: Python models go through their own extractor (./python), to the same manifest.
  const manifest =
    projectLanguage(projectDir, options.mainFile) === "python"
      ? await extractPythonManifest(projectDir, options.mainFile)
      : await extractTypeScriptManifest(projectDir, options.mainFile);
  await checkManifest(manifest);
  return withStreamingFeature(projectDir, manifest, options.warn);
}

async function extractTypeScriptManifest(projectDir: string, mainFileInput: string | undefined): Promise<Manifest> {
  const mainFile = resolveMainFile(projectDir, mainFileInput);
  const session = new ProgramSession(projectDir, [mainFile]);
  session.update();
  const syntaxErrors = session.syntaxErrors();
  if (syntaxErrors.length > 0) throw typeScriptError(syntaxErrors, projectDir);
  let bundle: Awaited<ReturnType<typeof bundleApp>>;
  try {
    bundle = await bundleApp(projectDir, mainFile, session);
  } catch (error) {
    checkTypes(session); // a type error explains more than what it broke downstream
    throw error;
  }
  // The app runs in its child process while this one finishes type-checking: a type error still
  // wins, the run's result is then dropped.
  const run = runInChildProcess(projectDir, bundle.file).then(
    (manifest) => ({ manifest }),
    (error: unknown) => ({ error }),
  );
  checkTypes(session);
  const outcome = await run;
  if ("error" in outcome) throw outcome.error;
  return outcome.manifest;
}

/** The extracted manifest as the project's `[features] streaming_engine` has it (both languages). */
export async function withStreamingFeature(projectDir: string, manifest: Manifest, warn?: (message: string) => void): Promise<Manifest> {
  const { loadConfig } = await import("../config/load.js");
  const config = await loadConfig(projectDir);
  return config.features.streaming_engine ? manifest : withoutStreams(manifest, warn);
}

/**
 * `[features] streaming_engine = false`, as in MooseStack: streams in the code are left out of the
 * manifest (so no plan, migration file or `up` touches Kafka), with one warning; an ingest API that
 * fed a stream writes its stream's table instead.
 */
export function withoutStreams(manifest: Manifest, warn: (message: string) => void = (message) => process.stderr.write(`warning: ${message}\n`)): Manifest {
  const streams = manifest.streams;
  const count = Object.keys(streams).length;
  if (count === 0) return manifest;
  warn(`Streaming is disabled but ${count} stream(s) found: ${Object.keys(streams).sort().join(", ")} ([features] streaming_engine = false leaves them out)`);
  const ingestApis = Object.fromEntries(
    Object.entries(manifest.ingestApis).map(([id, api]) => {
      const stream = streams[api.destination];
      return [id, stream?.destination !== undefined ? { ...api, destination: stream.destination } : api];
    }),
  );
  return { ...manifest, streams: {}, ingestApis };
}

export interface IncrementalExtractor {
  /** Re-extracts from the files as they are now, reusing the previous program and module instances. */
  extract(): Promise<Manifest>;
  close(): void;
}

/**
 * For `moose dev`: keeps the TypeScript program between runs (after one file changes only that
 * file and what depends on it is re-parsed, re-checked and re-analysed) and re-runs only the
 * changed modules of the app, in-process (see dev-modules.ts).
 */
export function createIncrementalExtractor(projectDirInput: string, mainFileInput?: string): IncrementalExtractor {
  const projectDir = path.resolve(projectDirInput);
  if (projectLanguage(projectDir, mainFileInput) === "python") {
    // A Python app is re-imported in a fresh interpreter on every save: nothing to keep between runs.
    return {
      async extract() {
        const manifest = await extractPythonManifest(projectDir, mainFileInput);
        await checkManifest(manifest);
        return manifest;
      },
      close() {},
    };
  }
  let session: ProgramSession | undefined;
  let loader: DevModuleLoader | undefined;
  return {
    async extract() {
      const mainFile = resolveMainFile(projectDir, mainFileInput);
      session ??= new ProgramSession(projectDir, [mainFile], { incremental: true });
      loader ??= new DevModuleLoader(projectDir, mainFile, session);
      session.update();
      checkTypes(session);
      const manifest = await loader.load();
      await checkManifest(manifest);
      return manifest;
    },
    close() {
      session = undefined;
      loader = undefined;
    },
  };
}

function checkTypes(session: ProgramSession): void {
  const errors = session.typeErrors();
  if (errors.length > 0) throw typeScriptError(errors, session.projectDir);
}

export { loadApp, type LoadedApp } from "./load-app.js";
export { DEFAULT_MAIN_FILE, resolveMainFile } from "./main-file.js";

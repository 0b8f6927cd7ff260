/**
 * Extraction: app/index.ts → Manifest. Type-check the app (errors printed like tsc), bundle it
 * with the moose-ts transformer (which injects column metadata into every SDK constructor), run
 * it, collect what it registered, and check it (./check.ts) before anyone writes it. A result the
 * build cache (./build-cache.ts) holds for the same inputs stands in for all of that.
 *
 * This module loads no compiler, bundler or engine itself: a cache hit must not pay for them.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Manifest } from "../manifest/types.js";
import { BuildCache, type BuildInput, type PythonWebApp } from "./build-cache.js";
import type { DevModuleLoader } from "./dev-modules.js";
import { printNotice, recordingNotices } from "./notices.js";
import type { ProgramSession } from "./program.js";
import { resolveMainFile } from "./main-file.js";
import { devModuleFile } from "./paths.js";
import { extractPythonApp, projectLanguage, pythonInterpreter, type ModelLanguage } from "./python/index.js";

export interface ExtractOptions {
  projectDir: string;
  /** Relative to projectDir; default `<source_dir>/index.ts` (app/index.ts). */
  mainFile?: string;
  /** Where warnings go (default: stderr). */
  warn?: (message: string) => void;
}

/** Builds the app and returns its manifest; throws a MooseError (with file:line) on any problem. */
export async function extractManifest(options: ExtractOptions): Promise<Manifest> {
  return (await extractApp(options)).manifest;
}

/** As extractManifest, with a Python app's WebApps (which its manifest does not hold). */
export async function extractApp(options: ExtractOptions): Promise<{ manifest: Manifest; pythonWebApps: readonly PythonWebApp[] }> {
  const projectDir = path.resolve(options.projectDir);
  // The one language switch: Python models go through their own extractor (./python), to the same manifest.
  const language = projectLanguage(projectDir, options.mainFile);
  const { manifest, pythonWebApps } = await buildOrReuse(projectDir, language, options.mainFile);
  return { manifest: await withStreamingFeature(projectDir, manifest, options.warn), pythonWebApps: pythonWebApps ?? [] };
}

/** The checked manifest of the code: the build cache's when it holds one for these inputs (its notices printed again), else a build's. */
async function buildOrReuse(projectDir: string, language: ModelLanguage, mainFile: string | undefined): Promise<{ manifest: Manifest; pythonWebApps?: PythonWebApp[] }> {
  const cache = BuildCache.open({ projectDir, language, mainFile, ...(language === "python" ? { python: pythonInterpreter(projectDir) } : {}) });
  const cached = cache?.lookup();
  if (cached) {
    for (const notice of cached.notices) printNotice(notice);
    return cached;
  }
  const { result, notices } = await recordingNotices(async () => {
    if (language === "python") {
      const inputFiles = cache?.pythonSources() ?? [];
      const { manifest, webApps } = await extractPythonApp(projectDir, mainFile);
      return { manifest, pythonWebApps: webApps, inputFiles };
    }
    const { buildTypeScriptApp } = await import("./typescript-build.js");
    return buildTypeScriptApp(projectDir, mainFile);
  });
  const { checkManifest } = await import("./check.js");
  await checkManifest(result.manifest);
  const pythonWebApps = "pythonWebApps" in result ? result.pythonWebApps : undefined;
  cache?.store({ manifest: result.manifest, notices, ...(pythonWebApps ? { pythonWebApps } : {}) }, result.inputFiles);
  return { manifest: result.manifest, ...(pythonWebApps ? { pythonWebApps } : {}) };
}

/** The extracted manifest as the project's `[features] streaming_engine` has it (both languages). */
export async function withStreamingFeature(projectDir: string, manifest: Manifest, warn?: (message: string) => void): Promise<Manifest> {
  const [{ loadConfig }, { checkModelClusters }] = await Promise.all([import("../config/load.js"), import("../config/clusters.js")]);
  const config = await loadConfig(projectDir);
  // Where the models meet the config: a cluster a model names must be one the config lists.
  checkModelClusters(manifest, config.clickhouse_config.clusters);
  return config.features.streaming_engine ? manifest : withoutStreams(manifest, warn);
}

/**
 * `[features] streaming_engine = false`, as in MooseStack: streams in the code are left out of the
 * manifest (so no plan, migration file or `up` touches Kafka), and with them the processes that
 * read them, with one warning; an ingest API that fed a stream writes its stream's table instead.
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
  return { ...manifest, streams: {}, ingestApis, processes: {} };
}

export interface IncrementalExtractor {
  /** Re-extracts from the files as they are now, reusing the previous program and module instances. */
  extract(): Promise<Manifest>;
  /** A Python app's WebApps as the last good extraction found them (a TypeScript app's are in its registry). */
  pythonWebApps?(): readonly PythonWebApp[];
  /** A Python app's manifest from the last good extraction (its workflows' tasks run in a Python worker); undefined before one. */
  pythonManifest?(): Manifest | undefined;
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
    // A Python app is re-imported in a fresh interpreter on every save: nothing to keep between runs but its WebApps.
    let webApps: readonly PythonWebApp[] = [];
    let latest: Manifest | undefined;
    return {
      async extract() {
        const build = await buildOrReuse(projectDir, "python", mainFileInput);
        webApps = build.pythonWebApps ?? [];
        latest = build.manifest;
        return build.manifest;
      },
      pythonWebApps: () => webApps,
      pythonManifest: () => latest,
      close() {},
    };
  }
  const cache = () => BuildCache.open({ projectDir, language: "typescript", mainFile: mainFileInput, mode: "dev" });
  let session: ProgramSession | undefined;
  let loader: DevModuleLoader | undefined;
  let started = false;
  let closed = false;
  /** The last extraction, while it is the last and it succeeded: kept in the build cache on close. */
  let lastGood: { manifest: Manifest; inputs: BuildInput[] } | undefined;
  const prepare = async (mainFile: string) => {
    const [{ ProgramSession }, { DevModuleLoader }] = await Promise.all([import("./program.js"), import("./dev-modules.js")]);
    session ??= new ProgramSession(projectDir, [mainFile], { incremental: true });
    loader ??= new DevModuleLoader(projectDir, mainFile, session);
    return { session, loader };
  };
  return {
    async extract() {
      const mainFile = resolveMainFile(projectDir, mainFileInput);
      if (!started) {
        started = true;
        const warm = await warmStart(cache(), projectDir, mainFile);
        if (warm) {
          // The program is built, checked and analysed once the start is over (it blocks for its
          // length), so the first save does not pay for it; a problem here is the next save's to report.
          const warmUp = setTimeout(() => {
            if (closed) return;
            prepare(mainFile)
              .then(({ session }) => {
                session.update();
                session.typeErrors();
                for (const file of session.appFiles()) session.transformFile(file.fileName);
              })
              .catch(() => undefined);
          }, PROGRAM_WARM_UP_DELAY_MS);
          warmUp.unref();
          return warm;
        }
      }
      lastGood = undefined;
      // New compiler options: a new program, and every module emitted and run again under them.
      if (session?.configChanged()) {
        session = undefined;
        loader = undefined;
      }
      const [{ session: program, loader: modules }, { checkTypes }, { checkManifest }] = await Promise.all([prepare(mainFile), import("./typescript-build.js"), import("./check.js")]);
      program.update();
      checkTypes(program);
      const manifest = await modules.load();
      await checkManifest(manifest);
      lastGood = { manifest, inputs: program.inputFiles() };
      return manifest;
    },
    close() {
      closed = true;
      if (lastGood && loader) cache()?.store({ manifest: lastGood.manifest, notices: [] }, lastGood.inputs, loader.outputs());
      session = undefined;
      loader = undefined;
    },
  };
}

/** After a warm start: how long until the TypeScript program is built in the background. */
const PROGRAM_WARM_UP_DELAY_MS = 1000;

/**
 * A restarted `moose dev` on code the build cache says is unchanged (same inputs, and the modules
 * the last run emitted under .moose/build/dev as it left them): those modules are imported as they
 * are, without building a TypeScript program, type-checking or emitting anything. The program is
 * built at the first save. Undefined when there is nothing to reuse, or the modules fail to run
 * or register something else than they did (the full path then decides).
 */
async function warmStart(cache: BuildCache | undefined, projectDir: string, mainFile: string): Promise<Manifest | undefined> {
  const cached = cache?.lookup();
  if (!cached) return undefined;
  const [{ evaluateInProcess }, { registryToManifest }, { getRegistry }, { canonicalJson }] = await Promise.all([
    import("./run.js"),
    import("../sdk/manifest.js"),
    import("../sdk/registry.js"),
    import("../manifest/canonical.js"),
  ]);
  getRegistry().clear();
  let manifest: Manifest;
  try {
    manifest = await evaluateInProcess(projectDir, [`${pathToFileURL(devModuleFile(projectDir, mainFile)).href}?warm`], registryToManifest);
  } catch {
    return undefined;
  }
  // What the code registered now is what was checked then, unless it depends on more than its files
  // (the environment), or this process imported these modules before: then the full path decides.
  return canonicalJson(manifest) === canonicalJson(cached.manifest) ? manifest : undefined;
}

export { DEFAULT_MAIN_FILE, resolveMainFile } from "./main-file.js";

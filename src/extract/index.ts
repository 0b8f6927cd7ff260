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

export interface ExtractOptions {
  projectDir: string;
  /** Relative to projectDir; default app/index.ts. */
  mainFile?: string;
}

/** Builds the app and returns its manifest; throws a MooseError (with file:line) on any problem. */
export async function extractManifest(options: ExtractOptions): Promise<Manifest> {
  const projectDir = path.resolve(options.projectDir);
  const mainFile = resolveMainFile(projectDir, options.mainFile);
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
  await checkManifest(outcome.manifest);
  return outcome.manifest;
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

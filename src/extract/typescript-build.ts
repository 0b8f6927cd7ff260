/**
 * One TypeScript build of the app (`moose build` and the commands that extract): type-check it
 * (errors printed like tsc), bundle it with the moose-ts transformer, run it in a child process.
 * Loaded only when the build cache (./build-cache.ts) has no result: it loads the compiler and esbuild.
 */
import type { Manifest } from "../manifest/types.js";
import type { BuildInput } from "./build-cache.js";
import { bundleApp } from "./bundle.js";
import { typeScriptError } from "./diagnostic.js";
import { resolveMainFile } from "./main-file.js";
import { ProgramSession } from "./program.js";
import { runInChildProcess } from "./run.js";

export interface TypeScriptBuild {
  manifest: Manifest;
  /** Every file the build read: the build cache's inputs. */
  inputFiles: BuildInput[];
}

export async function buildTypeScriptApp(projectDir: string, mainFileInput: string | undefined): Promise<TypeScriptBuild> {
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
  return { manifest: outcome.manifest, inputFiles: session.inputFiles() };
}

export function checkTypes(session: ProgramSession): void {
  const errors = session.typeErrors();
  if (errors.length > 0) throw typeScriptError(errors, session.projectDir);
}

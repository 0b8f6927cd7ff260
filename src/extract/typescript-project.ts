/**
 * Names the project whose own `typescript` package extraction uses (see ./typescript.ts). Call it
 * before the first import of anything under src/extract: the compiler is loaded once per process.
 * Kept apart from typescript.ts so calling it does not load the compiler.
 */
import path from "node:path";

const TYPESCRIPT_PROJECT = Symbol.for("moose-ts.typescript-project");

export function setTypeScriptProject(projectDir: string): void {
  (globalThis as { [TYPESCRIPT_PROJECT]?: string })[TYPESCRIPT_PROJECT] = path.resolve(projectDir);
}

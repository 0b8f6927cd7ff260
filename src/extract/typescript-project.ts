/**
 * Names the project whose own `typescript` package extraction uses (see ./typescript.ts), and finds
 * that package. Call setTypeScriptProject before the first import of anything under src/extract:
 * the compiler is loaded once per process. Kept apart from typescript.ts so neither naming nor
 * finding it loads the compiler (the build cache keys on which TypeScript would run).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);

const TYPESCRIPT_PROJECT = Symbol.for("moose-ts.typescript-project");

export function setTypeScriptProject(projectDir: string): void {
  (globalThis as { [TYPESCRIPT_PROJECT]?: string })[TYPESCRIPT_PROJECT] = path.resolve(projectDir);
}

export interface TypeScriptPackage {
  /** typescript.js, the compiler API module. */
  file: string;
  version: string;
}

/**
 * The project's own TypeScript when it has one (5.3 or newer: the compiler API moose-ts uses), so
 * its tsconfig means what `tsc` makes of it (a MooseStack project pins TypeScript 5.x for typia);
 * otherwise moose-ts's own. The project is the one `setTypeScriptProject` named, else the working directory.
 */
export function projectTypeScript(): TypeScriptPackage {
  const projectDir = (globalThis as { [TYPESCRIPT_PROJECT]?: string })[TYPESCRIPT_PROJECT] ?? process.cwd();
  try {
    const file = require.resolve("typescript", { paths: [projectDir] });
    const version = packageVersion(file);
    const [major = 0, minor = 0] = version.split(".").map(Number);
    if (major > 5 || (major === 5 && minor >= 3)) return { file, version };
  } catch {
    // No TypeScript in the project: moose-ts's own.
  }
  const file = require.resolve("typescript");
  return { file, version: packageVersion(file) };
}

function packageVersion(typeScriptFile: string): string {
  const manifest = JSON.parse(readFileSync(path.resolve(typeScriptFile, "../../package.json"), "utf8")) as { version?: string };
  return manifest.version ?? "";
}

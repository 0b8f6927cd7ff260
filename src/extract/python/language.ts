/**
 * Which language a project's models are written in, and so which extractor runs: moose.config.toml's
 * top-level `language` (MooseStack's key: "Typescript" or "Python"), else the main file given
 * (`--main app/main.py`), else what the source folder holds (`main.py` without `index.ts` is Python).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { projectLayout } from "../../config/project-layout.js";

export type ModelLanguage = "typescript" | "python";

export const PYTHON_MAIN_FILE = "main.py";

export function projectLanguage(projectDir: string, mainFile?: string): ModelLanguage {
  if (mainFile !== undefined) return mainFile.endsWith(".py") ? "python" : "typescript";
  const settings = projectLayout(projectDir);
  if (settings.language) return settings.language;
  const sourceDir = path.join(projectDir, settings.sourceDir);
  return !existsSync(path.join(sourceDir, "index.ts")) && existsSync(path.join(sourceDir, PYTHON_MAIN_FILE)) ? "python" : "typescript";
}

/** The Python main file, relative to the project: `--main`, else `<source_dir>/main.py`. */
export function pythonMainFile(projectDir: string, mainFile?: string): string {
  return mainFile ?? `${projectLayout(projectDir).sourceDir}/${PYTHON_MAIN_FILE}`;
}

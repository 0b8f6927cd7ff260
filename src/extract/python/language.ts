/**
 * Which language a project's models are written in, and so which extractor runs: moose.config.toml's
 * top-level `language` (MooseStack's key: "Typescript" or "Python"), else the main file given
 * (`--main app/main.py`), else what the source folder holds (`main.py` without `index.ts` is Python).
 * The config file is read here leniently; loadConfig reports its errors.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "smol-toml";

export type ModelLanguage = "typescript" | "python";

export const PYTHON_MAIN_FILE = "main.py";

interface ProjectSettings {
  language?: ModelLanguage;
  sourceDir: string;
}

function readSettings(projectDir: string): ProjectSettings {
  let document: Record<string, unknown> = {};
  try {
    document = parse(readFileSync(path.join(projectDir, "moose.config.toml"), "utf8"));
  } catch {
    // Missing or invalid: the defaults (loadConfig reports an invalid file where it matters).
  }
  const language = typeof document.language === "string" ? document.language.toLowerCase() : undefined;
  const sourceDir = typeof document.source_dir === "string" && document.source_dir.trim() !== "" ? document.source_dir.trim().replace(/\/+$/, "") : "app";
  return { ...(language === "python" || language === "typescript" ? { language } : {}), sourceDir };
}

export function projectLanguage(projectDir: string, mainFile?: string): ModelLanguage {
  if (mainFile !== undefined) return mainFile.endsWith(".py") ? "python" : "typescript";
  const settings = readSettings(projectDir);
  if (settings.language) return settings.language;
  const sourceDir = path.join(projectDir, settings.sourceDir);
  return !existsSync(path.join(sourceDir, "index.ts")) && existsSync(path.join(sourceDir, PYTHON_MAIN_FILE)) ? "python" : "typescript";
}

/** The Python main file, relative to the project: `--main`, else `<source_dir>/main.py`. */
export function pythonMainFile(projectDir: string, mainFile?: string): string {
  return mainFile ?? `${readSettings(projectDir).sourceDir}/${PYTHON_MAIN_FILE}`;
}

import { existsSync } from "node:fs";
import path from "node:path";
import { projectLayout } from "../config/project-layout.js";
import { MooseError } from "../errors.js";

export const DEFAULT_MAIN_FILE = "app/index.ts";

/** The main file when none is given: `<source_dir>/index.ts` (app/index.ts by default). */
export function defaultMainFile(projectDir: string): string {
  return `${projectLayout(projectDir).sourceDir}/index.ts`;
}

export function resolveMainFile(projectDir: string, mainFile = defaultMainFile(projectDir)): string {
  const absolute = path.resolve(projectDir, mainFile);
  if (!existsSync(absolute)) {
    const fromConfig = mainFile !== DEFAULT_MAIN_FILE && mainFile === defaultMainFile(projectDir);
    throw new MooseError("MISSING_MAIN_FILE", `the main file ${mainFile} does not exist in ${projectDir}`, {
      location: { file: mainFile.split(path.sep).join("/"), line: 1 },
      hint: fromConfig
        ? `create ${mainFile} (source_dir in moose.config.toml names its folder) exporting your tables, streams and APIs`
        : `create ${mainFile} exporting your tables, streams and APIs, or run the command from (or --dir) your project folder`,
    });
  }
  return absolute;
}

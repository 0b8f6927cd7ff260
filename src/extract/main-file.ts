import { existsSync } from "node:fs";
import path from "node:path";
import { MooseError } from "../errors.js";

export const DEFAULT_MAIN_FILE = "app/index.ts";

export function resolveMainFile(projectDir: string, mainFile = DEFAULT_MAIN_FILE): string {
  const absolute = path.resolve(projectDir, mainFile);
  if (!existsSync(absolute)) {
    throw new MooseError("MISSING_MAIN_FILE", `the main file ${mainFile} does not exist in ${projectDir}`, {
      location: { file: mainFile.split(path.sep).join("/"), line: 1 },
      hint: `create ${mainFile} exporting your tables, streams and APIs, or run the command from (or --dir) your project folder`,
    });
  }
  return absolute;
}


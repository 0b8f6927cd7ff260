import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "smol-toml";
import { MooseError } from "../errors.js";

export const DEFAULT_MAIN_FILE = "app/index.ts";

/**
 * The main file when none is given: `<source_dir>/index.ts`, source_dir being moose.config.toml's
 * top-level key (MooseStack's; default "app"). Read here without the full config loader so every
 * caller (build, plan, migrate, dev, prod, ls) agrees; an unreadable config is reported by loadConfig.
 */
export function defaultMainFile(projectDir: string): string {
  try {
    const document = parse(readFileSync(path.join(projectDir, "moose.config.toml"), "utf8")) as Record<string, unknown>;
    const sourceDir = document.source_dir;
    if (typeof sourceDir === "string" && sourceDir.trim() !== "") return `${sourceDir.trim().replace(/\\/g, "/").replace(/\/+$/, "")}/index.ts`;
  } catch {
    // No config, or one loadConfig will reject with a better message.
  }
  return DEFAULT_MAIN_FILE;
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

/**
 * Where a project's models are and which language they are in: moose.config.toml's top-level
 * `source_dir` (default "app") and `language` (MooseStack's keys). Every command needs them
 * before anything else, including commands that never load the rest of the config, so they are
 * read here leniently: a missing or broken config gives the defaults, and loadConfig reports its
 * errors where the config matters.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "smol-toml";

export const DEFAULT_SOURCE_DIR = "app";

export interface ProjectLayout {
  /** Relative to the project, forward slashes, no trailing slash. */
  sourceDir: string;
  /** Undefined when the config does not say: the files decide (src/extract/python/language.ts). */
  language?: "typescript" | "python";
}

export function projectLayout(projectDir: string): ProjectLayout {
  let document: Record<string, unknown> = {};
  try {
    document = parse(readFileSync(path.join(projectDir, "moose.config.toml"), "utf8"));
  } catch {
    // No config, or one loadConfig will reject with a better message.
  }
  const sourceDir =
    typeof document.source_dir === "string" && document.source_dir.trim() !== ""
      ? document.source_dir.trim().replace(/\\/g, "/").replace(/\/+$/, "")
      : DEFAULT_SOURCE_DIR;
  const language = typeof document.language === "string" ? document.language.toLowerCase() : undefined;
  return { sourceDir, ...(language === "typescript" || language === "python" ? { language } : {}) };
}

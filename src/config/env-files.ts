/**
 * MooseStack's env files: before a command reads moose.config.toml or runs the app, the project's
 * `.env`, then `.env.dev` or `.env.prod`, then (dev only) `.env.local` are read, a later file's
 * value winning over an earlier one's; a variable the environment already has is never replaced,
 * so the shell and the deploy's own variables (and `MOOSE_*` overrides set there) come first.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import { MooseError } from "../errors.js";

export type EnvMode = "dev" | "prod";

/** The env files a command in `mode` reads, in order (a later one's values win). */
export function envFileNames(mode: EnvMode): string[] {
  return [".env", `.env.${mode}`, ...(mode === "dev" ? [".env.local"] : [])];
}

/** Sets the variables of the project's env files that `env` lacks; returns the files read, in order. */
export function loadEnvFiles(projectDir: string, mode: EnvMode, env: NodeJS.ProcessEnv = process.env): string[] {
  const names = envFileNames(mode);
  const values: Record<string, string> = {};
  const read: string[] = [];
  for (const name of names) {
    const file = path.join(projectDir, name);
    if (!existsSync(file)) continue;
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new MooseError("ENV_FILE_UNREADABLE", `cannot read ${file}: ${(error as Error).message}`, {
        hint: "make the file readable, or remove it",
        cause: error,
      });
    }
    Object.assign(values, parseEnv(text));
    read.push(name);
  }
  for (const [name, value] of Object.entries(values)) {
    if (env[name] === undefined) env[name] = value;
  }
  return read;
}

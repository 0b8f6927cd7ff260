import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadEnvFiles } from "../../../src/config/env-files.js";
import { MooseError } from "../../../src/errors.js";

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "moose-env-files-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe("loadEnvFiles", () => {
  it("reads .env, then the mode's file, then (dev) .env.local; a later file wins, the environment wins over all", () => {
    const dir = project({ ".env": "A=env\nB=env\nC=env\nD=env\n", ".env.dev": "B=dev\nC=dev\n", ".env.local": "C=local\n", ".env.prod": "B=prod\n" });
    const env: NodeJS.ProcessEnv = { D: "shell" };
    expect(loadEnvFiles(dir, "dev", env)).toEqual([".env", ".env.dev", ".env.local"]);
    expect(env).toEqual({ A: "env", B: "dev", C: "local", D: "shell" });
    const prodEnv: NodeJS.ProcessEnv = {};
    expect(loadEnvFiles(dir, "prod", prodEnv)).toEqual([".env", ".env.prod"]);
    expect(prodEnv).toEqual({ A: "env", B: "prod", C: "env", D: "env" });
  });

  it("refuses an env file it cannot read, naming it, and sets nothing", () => {
    const dir = project({ ".env": "A=1\n" });
    // A folder in the file's place: it exists, and reading it fails (as a file without read permission would).
    mkdirSync(path.join(dir, ".env.dev"));
    const env: NodeJS.ProcessEnv = {};
    let caught: unknown;
    try {
      loadEnvFiles(dir, "dev", env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MooseError);
    expect((caught as MooseError).code).toBe("ENV_FILE_UNREADABLE");
    expect((caught as MooseError).message).toContain(path.join(dir, ".env.dev"));
    expect(env).toEqual({});
  });
});

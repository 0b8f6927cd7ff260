/**
 * One meaning per flag: `--dir` is the project for every command (from any working directory); the
 * migrations directory is `--migrations-dir`, else `[migration_config] dir`, else `migrations`.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../../src/cli/index.js";
import { writeManifest } from "../../../src/manifest/canonical.js";
import { tempProject, usersV1, usersV2, type TempProject } from "../migrations/helpers.js";

let project: TempProject;
let elsewhere: TempProject;
const originalCwd = process.cwd();
let stdout = "";

beforeAll(async () => {
  project = tempProject();
  elsewhere = tempProject();
  mkdirSync(path.join(project.dir, "app"), { recursive: true });
  writeFileSync(path.join(project.dir, "moose.config.toml"), '[migration_config]\ndir = "db/migrations"\n');
  await writeManifest(path.join(project.dir, "v1.json"), usersV1);
  await writeManifest(path.join(project.dir, "v2.json"), usersV2);
  // Run from somewhere else: --dir must be what finds the project.
  process.chdir(elsewhere.dir);
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
});
afterAll(() => {
  vi.restoreAllMocks();
  process.chdir(originalCwd);
  project.remove();
  elsewhere.remove();
});

const moose = async (...args: string[]) => {
  stdout = "";
  return { code: await main(["node", "moose", ...args]), stdout };
};

describe("--dir and the migrations directory", () => {
  it("migrate generate --dir <project> writes into [migration_config] dir of that project, nothing into the working directory", async () => {
    const result = await moose("migrate", "generate", "--dir", project.dir, "--manifest", path.join(project.dir, "v1.json"), "--name", "initial");
    expect(result.code).toBe(0);
    expect(readdirSync(path.join(project.dir, "db", "migrations")).filter((file) => file.endsWith("_initial.ts"))).toHaveLength(1);
    expect(existsSync(path.join(project.dir, "migrations"))).toBe(false);
    expect(readdirSync(elsewhere.dir)).toEqual([]);
  });

  it("plan --dir <project> compares with that directory's snapshot; --migrations-dir overrides the config", async () => {
    const same = await moose("plan", "--dir", project.dir, "--manifest", path.join(project.dir, "v1.json"), "--detailed-exitcode");
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("No changes");
    // An empty migrations directory: everything is new.
    const other = await moose("plan", "--dir", project.dir, "--migrations-dir", "other", "--manifest", path.join(project.dir, "v1.json"), "--detailed-exitcode");
    expect(other.code).toBe(6);
    expect(other.stdout).toContain("+ Users (OLAP Table)");
  });

  it("migrate generate --migrations-dir writes there", async () => {
    const result = await moose("migrate", "generate", "--dir", project.dir, "--migrations-dir", "other", "--manifest", path.join(project.dir, "v2.json"), "--name", "v2");
    expect(result.code).toBe(0);
    expect(readdirSync(path.join(project.dir, "other")).filter((file) => file.endsWith("_v2.ts"))).toHaveLength(1);
    expect(readdirSync(path.join(project.dir, "db", "migrations")).filter((file) => file.endsWith(".ts"))).toHaveLength(1);
  });
});

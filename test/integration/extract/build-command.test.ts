/** `moose build` end to end through the CLI entry: writes .moose/manifest.json, or nothing on error. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../../src/cli/index.js";
import { hashManifest, readManifest } from "../../../src/manifest/canonical.js";

const scratch = mkdtempSync(path.join(tmpdir(), "moose-build-command-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let stdout = "";
let stderr = "";
beforeEach(() => {
  stdout = "";
  stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
});
afterEach(() => vi.restoreAllMocks());

function project(name: string, index: string): string {
  const projectDir = path.join(scratch, name);
  mkdirSync(path.join(projectDir, "app"), { recursive: true });
  writeFileSync(path.join(projectDir, "app", "index.ts"), index);
  return projectDir;
}

const QUICKSTART = `import { OlapTable, Stream } from "moose-ts";
interface UserSchema { id: string; name: string; email: string }
export const usersTable = new OlapTable<UserSchema>("Users");
export const userEvents = new Stream<UserSchema>("UserEvents");
`;

describe("moose build", () => {
  it("writes the canonical manifest and prints a one-line summary", async () => {
    const projectDir = project("ok", QUICKSTART);
    expect(await main(["node", "moose", "build", "--dir", projectDir])).toBe(0);
    const manifestPath = path.join(projectDir, ".moose", "manifest.json");
    const manifest = await readManifest(manifestPath);
    expect(Object.keys(manifest.tables)).toEqual(["Users"]);
    expect(manifest.tables.Users.columns.map((column) => `${column.name} ${column.type}`)).toEqual(["id String", "name String", "email String"]);
    expect(stdout).toMatch(/^Built .*manifest\.json: 1 table, 1 stream, 0 views, 0 materialized views, 0 APIs, 0 ingest APIs, 0 workflows, 0 processes, 0 SQL resources in \d+\.\d\ds\n$/);
    const firstBytes = readFileSync(manifestPath, "utf8");
    expect(await main(["node", "moose", "build", "--dir", projectDir])).toBe(0);
    expect(readFileSync(manifestPath, "utf8")).toBe(firstBytes);
    expect(hashManifest(manifest)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("takes MooseStack's --docker (its templates' build script): builds, and warns that no image is made", async () => {
    const projectDir = project("docker", QUICKSTART);
    expect(await main(["node", "moose", "build", "--docker", "--amd64", "--dir", projectDir])).toBe(0);
    expect(existsSync(path.join(projectDir, ".moose", "manifest.json"))).toBe(true);
    expect(stdout).toMatch(/^Built .*: 1 table, 1 stream,/);
    expect(stderr).toContain("warning: --docker: moose-ts builds no Docker image");
  });

  it("reads the project's .env, .env.dev and .env.local first (a later file wins; a variable already set is kept), as MooseStack does", async () => {
    const projectDir = project(
      "env-files",
      QUICKSTART.replace('new OlapTable<UserSchema>("Users")', "new OlapTable<UserSchema>(`${process.env.SURVEY_TABLE}_${process.env.SURVEY_SUFFIX}_${process.env.SURVEY_KEPT}`)"),
    );
    writeFileSync(path.join(projectDir, ".env"), "SURVEY_TABLE=FromEnv\nSURVEY_SUFFIX=base\nSURVEY_KEPT=file\n");
    writeFileSync(path.join(projectDir, ".env.dev"), "SURVEY_SUFFIX=dev\n");
    writeFileSync(path.join(projectDir, ".env.local"), "# local overrides\nSURVEY_SUFFIX='local'\n");
    writeFileSync(path.join(projectDir, ".env.prod"), "SURVEY_SUFFIX=prod\n");
    process.env.SURVEY_KEPT = "shell";
    try {
      expect(await main(["node", "moose", "build", "--dir", projectDir])).toBe(0);
      expect(Object.keys((await readManifest(path.join(projectDir, ".moose", "manifest.json"))).tables)).toEqual(["FromEnv_local_shell"]);
      // A changed env file is a changed build (the build cache keys on the files moose loads).
      writeFileSync(path.join(projectDir, ".env.local"), "SURVEY_SUFFIX=edited\n");
      delete process.env.SURVEY_SUFFIX;
      delete process.env.SURVEY_TABLE;
      expect(await main(["node", "moose", "build", "--dir", projectDir])).toBe(0);
      expect(Object.keys((await readManifest(path.join(projectDir, ".moose", "manifest.json"))).tables)).toEqual(["FromEnv_edited_shell"]);
    } finally {
      for (const name of ["SURVEY_TABLE", "SURVEY_SUFFIX", "SURVEY_KEPT"]) delete process.env[name];
    }
  });

  it("exits 1 with file:line and the field, writing no manifest", async () => {
    const projectDir = project("bad", QUICKSTART.replace("email: string", "email: bigint"));
    expect(await main(["node", "moose", "build", "--dir", projectDir])).toBe(1);
    expect(stderr).toContain("app/index.ts:2:");
    expect(stderr).toContain("UserSchema.email");
    expect(stderr).toContain("use Int64 or UInt64");
    expect(existsSync(path.join(projectDir, ".moose", "manifest.json"))).toBe(false);
  });

  it("exits 1 on a broken moose.config.toml, naming the key, file:line and the likely fix", async () => {
    const projectDir = project("bad-config", QUICKSTART);
    writeFileSync(path.join(projectDir, "moose.config.toml"), "[clickhouse_config]\nhostport = 18123\n");
    expect(await main(["node", "moose", "build", "--dir", projectDir])).toBe(1);
    expect(stderr).toContain("moose.config.toml:2 [clickhouse_config.hostport]");
    expect(stderr).toContain("did you mean host_port?");
    expect(existsSync(path.join(projectDir, ".moose", "manifest.json"))).toBe(false);
  });

  it("exits 1 when the main file is missing", async () => {
    const projectDir = path.join(scratch, "empty");
    mkdirSync(projectDir, { recursive: true });
    expect(await main(["node", "moose", "build", "--dir", projectDir])).toBe(1);
    expect(stderr).toContain("MISSING_MAIN_FILE");
  });
});

describe("moose check", () => {
  it("checks as build does and writes nothing; --write-infra-map writes the manifest", async () => {
    const projectDir = project("check-ok", QUICKSTART);
    expect(await main(["node", "moose", "check", "--dir", projectDir])).toBe(0);
    expect(stdout).toMatch(/^✓ no errors: 1 table, 1 stream, 0 views, .* in \d+\.\d\ds\n$/);
    const manifestPath = path.join(projectDir, ".moose", "manifest.json");
    expect(existsSync(manifestPath)).toBe(false);
    expect(await main(["node", "moose", "check", "--write-infra-map", "--dir", projectDir])).toBe(0);
    expect(Object.keys((await readManifest(manifestPath)).tables)).toEqual(["Users"]);
  });

  it("fails on a type error with its file and line, writing nothing", async () => {
    const projectDir = project("check-broken", `${QUICKSTART}export const wrong: number = "text";\n`);
    expect(await main(["node", "moose", "check", "--dir", projectDir])).toBe(1);
    expect(stderr).toMatch(/app\/index\.ts:5/);
    expect(existsSync(path.join(projectDir, ".moose", "manifest.json"))).toBe(false);
  });
});

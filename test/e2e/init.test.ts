/**
 * `moose init` end to end: the built CLI (run `npm run build` first; scripts/test-all does) scaffolds
 * a project, npm installs it, and tsc type-checks it against this very moose-ts.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaffoldFiles } from "../../src/cli/commands/init.js";
import { loadConfig } from "../../src/config/load.js";
import { DEFAULT_CONFIG } from "../../src/config/types.js";
import { DOCS_CONFIG_TOML } from "../helpers/docs.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
const mooseBin = path.join(repoRoot, "bin", "moose.js");
const repoPackage = JSON.parse(await readFile(path.join(repoRoot, "package.json"), "utf8")) as { version: string };

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const moose = (args: string[], cwd = repoRoot) => run(process.execPath, [mooseBin, ...args], cwd);


let workDir: string;

beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, "dist", "cli", "index.js"))) {
    throw new Error("dist/ is missing: run `npm run build` before the e2e tests");
  }
  workDir = await mkdtemp(path.join(tmpdir(), "moose-init-e2e-"));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe("moose init <dir>", () => {
  let projectDir: string;

  beforeAll(async () => {
    projectDir = path.join(workDir, "My App");
    const result = await moose(["init", projectDir]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("npx moose dev");
  });

  it("writes exactly the project files", async () => {
    const files = await readdir(projectDir, { recursive: true });
    expect(files.sort()).toEqual([".gitignore", "app", "app/index.ts", "moose.config.toml", "package.json", "tsconfig.json"]);
    expect((await readFile(path.join(projectDir, ".gitignore"), "utf8")).split("\n").filter((line) => line && !line.startsWith("#"))).toEqual([
      ".moose/",
      "node_modules/",
      "migrations/draft.ts",
    ]);
  });

  it("writes the documented config, which loads to the defaults with the docs' replication factor pinned", async () => {
    const toml = await readFile(path.join(projectDir, "moose.config.toml"), "utf8");
    expect(toml.startsWith(DOCS_CONFIG_TOML)).toBe(true);
    expect(toml).toContain("[http_server_config]");
    expect(toml).toContain("[authentication]");
    // Unset by default (the broker's default.replication.factor); the docs' example file sets 1.
    expect(await loadConfig(projectDir, {})).toEqual({ ...DEFAULT_CONFIG, redpanda_config: { ...DEFAULT_CONFIG.redpanda_config, replication_factor: 1 } });
  });

  it("writes the docs' UserSchema, Users table and UserEvents stream", async () => {
    const source = await readFile(path.join(projectDir, "app", "index.ts"), "utf8");
    expect(source).toContain('from "moose-ts"');
    expect(source).toContain("interface UserSchema {\n  id: string;\n  name: string;\n  email: string;\n}");
    expect(source).toContain('export const usersTable = new OlapTable<UserSchema>("Users");');
    expect(source).toContain('export const userEvents = new Stream<UserSchema>("UserEvents");');
  });

  it("depends on the moose-ts it was created by, as an ESM package with a strict bundler tsconfig and a typia-compatible TypeScript", async () => {
    const pkg = JSON.parse(await readFile(path.join(projectDir, "package.json"), "utf8"));
    expect(pkg.name).toBe("my-app");
    expect(pkg.type).toBe("module");
    expect(pkg.dependencies["moose-ts"]).toBe(`file:${repoRoot}`);
    const tsconfig = JSON.parse(await readFile(path.join(projectDir, "tsconfig.json"), "utf8"));
    expect(tsconfig.compilerOptions).toMatchObject({ strict: true, module: "preserve", moduleResolution: "bundler" });
    // typia 9/10 (what MooseStack projects use) accept TypeScript >=4.8 <5.10.
    expect(pkg.devDependencies.typescript).toBe("~5.9.3");
  });

  it("installs, runs its own `moose`, and type-checks with tsc against this moose-ts", async () => {
    // --prefer-offline: typescript and @types/node are in npm's cache after the repo's own `npm ci`.
    // --ignore-scripts: installing `file:<repo>` runs the repo's `prepare` (its build), which would
    // rewrite dist/ under the other test file running beside this one; dist/ is built already.
    const install = await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], projectDir);
    expect(install.stderr).not.toMatch(/npm error/);
    expect(install.code).toBe(0);

    const version = await run(path.join(projectDir, "node_modules", ".bin", "moose"), ["--version"], projectDir);
    expect(version.stdout.trim()).toBe(repoPackage.version);

    const tsc = path.join(projectDir, "node_modules", ".bin", "tsc");
    const typecheck = await run(tsc, ["-p", "tsconfig.json"], projectDir);
    expect(typecheck.stdout + typecheck.stderr).toBe("");
    expect(typecheck.code).toBe(0);

    // The check has teeth: the SDK's real types are in use, so a type error in app code is caught.
    const indexFile = path.join(projectDir, "app", "index.ts");
    const original = await readFile(indexFile, "utf8");
    await writeFile(indexFile, `${original}export const wrong: number = usersTable.name;\n`);
    const broken = await run(tsc, ["-p", "tsconfig.json"], projectDir);
    expect(broken.code).not.toBe(0);
    expect(broken.stdout).toMatch(/app\/index\.ts\(\d+,\d+\): error TS2322/);
    await writeFile(indexFile, original);

    // MooseStack code pastes in: an extensionless relative import type-checks, and moose builds it.
    await writeFile(path.join(projectDir, "app", "models.ts"), 'import { OlapTable } from "moose-ts";\ninterface Visit { id: string; at: Date }\nexport const visits = new OlapTable<Visit>("Visits");\n');
    await writeFile(indexFile, `${original}export * from "./models";\n`);
    const pasted = await run(tsc, ["-p", "tsconfig.json"], projectDir);
    expect(pasted.stdout + pasted.stderr).toBe("");
    const build = await run(path.join(projectDir, "node_modules", ".bin", "moose"), ["build"], projectDir);
    expect(build.stderr).toBe("");
    expect(build.stdout).toMatch(/2 tables, 1 stream/);
    await writeFile(indexFile, original);
  });

  it("refuses a non-empty directory and leaves it untouched", async () => {
    const dir = path.join(workDir, "occupied");
    await moose(["init", dir]);
    await writeFile(path.join(dir, "notes.txt"), "mine");
    const result = await moose(["init", dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("INIT_DIR_NOT_EMPTY");
    expect(result.stderr).toContain("pick an empty directory");
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace without --debug
    expect(await readFile(path.join(dir, "notes.txt"), "utf8")).toBe("mine");
  });

  it("refuses a path that is a file", async () => {
    const file = path.join(workDir, "a-file");
    await writeFile(file, "");
    const result = await moose(["init", file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("INIT_NOT_A_DIRECTORY");
  });

  it("is a usage error without a directory", async () => {
    const result = await moose(["init"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing required argument");
  });
});

describe("the moose-ts dependency spec", () => {
  const mooseTs = { version: "1.2.3", dependencies: {}, devDependencies: {} };
  const dependencyOf = (root: string) =>
    JSON.parse(scaffoldFiles("app", { ...mooseTs, root })["package.json"]).dependencies["moose-ts"];

  it("links a clone of the repository by absolute path", () => {
    expect(dependencyOf("/home/me/src/moose-ts")).toBe("file:/home/me/src/moose-ts");
  });

  it("uses a version range when moose-ts itself was installed from a registry", () => {
    expect(dependencyOf("/home/me/.npm/_npx/abc/node_modules/moose-ts")).toBe("^1.2.3");
  });
});

describe("examples/quickstart", () => {
  const quickstart = path.join(repoRoot, "examples", "quickstart");

  it("is the app `moose init` writes, using moose-ts from this workspace", async () => {
    const expected = scaffoldFiles("quickstart", { root: repoRoot, ...repoPackage, dependencies: {}, devDependencies: {} });
    for (const file of ["app/index.ts", "moose.config.toml", "tsconfig.json", ".gitignore"]) {
      expect(await readFile(path.join(quickstart, file), "utf8"), file).toBe(expected[file]);
    }
    const pkg = JSON.parse(await readFile(path.join(quickstart, "package.json"), "utf8"));
    expect(pkg.dependencies).toEqual({ "moose-ts": "file:../.." });
    expect(pkg.type).toBe("module");
  });

  it("type-checks", async () => {
    const result = await run(path.join(repoRoot, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"], quickstart);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.code).toBe(0);
  });
});

describe("moose --version / --help", () => {
  it("prints the package version", async () => {
    const result = await moose(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(repoPackage.version);
  });

  it("lists every command on one line each", async () => {
    const result = await moose(["--help"]);
    expect(result.code).toBe(0);
    const commands = result.stdout.split("Commands:\n")[1].trimEnd().split("\n");
    for (const line of commands) expect(line).toMatch(/^ {2}\S.* {2,}\S/); // term, gap, description
    expect(commands.some((line) => /^ {2}init\|i \[options\] <dir> {2,}Create a project/.test(line))).toBe(true);
    expect(commands.some((line) => line.startsWith("  generate hash-token"))).toBe(true);
  });
});

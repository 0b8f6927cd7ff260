/**
 * The build cache with real extractions (TypeScript program + bundle + child process; the
 * project's Python): a second extraction of unchanged code does not run the app, and every input
 * that changes the build (an app file, an imported file, a new file beside them, tsconfig, a
 * dependency's version, the Python files) makes the next extraction a fresh one. A damaged or
 * tampered entry is ignored and rewritten. A restarted `moose dev` extractor imports the modules the
 * last run emitted when nothing changed, and compiles again when anything did. Each app appends a line to runs.log whenever it runs:
 * the count of lines is the count of real extractions.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BuildCache, BUILD_CACHE_ENV, cacheDir } from "../../../src/extract/build-cache.js";
import { createIncrementalExtractor, extractManifest } from "../../../src/extract/index.js";
import { pythonInterpreter } from "../../../src/extract/python/index.js";
import { emptyManifest } from "../../../src/manifest/types.js";
import { testPython } from "../../helpers/python.js";

const scratch = mkdtempSync(path.join(tmpdir(), "moose-build-cache-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let stderr = "";
beforeEach(() => {
  stderr = "";
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
});
afterEach(() => vi.restoreAllMocks());

const runProbe = (dir: string) => `import { appendFileSync } from "node:fs";
appendFileSync(${JSON.stringify(path.join(dir, "runs.log"))}, "run\\n");
`;

function tsProject(name: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(path.join(dir, "app"), { recursive: true });
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module", dependencies: { "left-pad": "1.3.0" } }));
  writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: true } }));
  writeFileSync(path.join(dir, "app", "models.ts"), "export interface User { id: string; name: string }\n");
  writeFileSync(
    path.join(dir, "app", "index.ts"),
    `${runProbe(dir)}import { OlapTable } from "moose-ts";
import type { User } from "./models.js";
export const users = new OlapTable<User>("Users");
`,
  );
  return dir;
}

function runs(dir: string): number {
  return existsSync(path.join(dir, "runs.log")) ? readFileSync(path.join(dir, "runs.log"), "utf8").split("\n").filter(Boolean).length : 0;
}

async function columns(dir: string): Promise<string[]> {
  const manifest = await extractManifest({ projectDir: dir });
  return manifest.tables.Users!.columns.map((column) => column.name);
}

function entryFiles(dir: string): string[] {
  return readdirSync(cacheDir(dir)).filter((name) => name.startsWith("build-"));
}

describe("build cache, TypeScript", () => {
  it("answers a second extraction of unchanged code without running the app", async () => {
    const dir = tsProject("hit");
    expect(await columns(dir)).toEqual(["id", "name"]);
    expect(runs(dir)).toBe(1);
    expect(entryFiles(dir)).toHaveLength(1);
    rmSync(path.join(dir, ".moose", "build"), { recursive: true });
    expect(await columns(dir)).toEqual(["id", "name"]);
    expect(runs(dir)).toBe(1);
    // Nothing was bundled either.
    expect(existsSync(path.join(dir, ".moose", "build"))).toBe(false);
  });

  it("extracts again after the main file, an imported file, or tsconfig.json changes", async () => {
    const dir = tsProject("changes");
    await columns(dir);
    writeFileSync(path.join(dir, "app", "models.ts"), "export interface User { id: string; name: string; age: number }\n");
    expect(await columns(dir)).toEqual(["id", "name", "age"]);
    expect(runs(dir)).toBe(2);
    writeFileSync(path.join(dir, "app", "index.ts"), readFileSync(path.join(dir, "app", "index.ts"), "utf8").replace('"Users"', '"Users", { orderByFields: ["id"] }'));
    await columns(dir);
    expect(runs(dir)).toBe(3);
    const tsconfig = JSON.parse(readFileSync(path.join(dir, "tsconfig.json"), "utf8")) as { compilerOptions: Record<string, unknown> };
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { ...tsconfig.compilerOptions, noUnusedLocals: true } }));
    await columns(dir);
    expect(runs(dir)).toBe(4);
    await columns(dir);
    expect(runs(dir)).toBe(4);
  });

  it("extracts again after a file the tsconfig extends changes", async () => {
    const dir = tsProject("extends");
    writeFileSync(path.join(dir, "tsconfig.base.json"), JSON.stringify({ compilerOptions: { strict: true } }));
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ extends: "./tsconfig.base.json", compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", skipLibCheck: true } }));
    await columns(dir);
    await columns(dir);
    expect(runs(dir)).toBe(1);
    writeFileSync(path.join(dir, "tsconfig.base.json"), JSON.stringify({ compilerOptions: { strict: true, noImplicitReturns: true } }));
    await columns(dir);
    expect(runs(dir)).toBe(2);
  });

  it("extracts again after a dependency's version or the lockfile changes", async () => {
    const dir = tsProject("dependencies");
    await columns(dir);
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "dependencies", private: true, type: "module", dependencies: { "left-pad": "1.3.1" } }));
    await columns(dir);
    expect(runs(dir)).toBe(2);
    writeFileSync(path.join(dir, "package-lock.json"), JSON.stringify({ lockfileVersion: 3, packages: { "node_modules/left-pad": { version: "1.3.1" } } }));
    await columns(dir);
    expect(runs(dir)).toBe(3);
    await columns(dir);
    expect(runs(dir)).toBe(3);
  });

  it("extracts again when a code file appears beside the app's files (it could shadow an import)", async () => {
    const dir = tsProject("new-file");
    await columns(dir);
    writeFileSync(path.join(dir, "app", "notes.txt"), "not code\n");
    await columns(dir);
    expect(runs(dir)).toBe(1);
    writeFileSync(path.join(dir, "app", "models.tsx"), "export {};\n");
    await columns(dir);
    expect(runs(dir)).toBe(2);
  });

  it("keeps the notices of the build it stands in for, to print them again", async () => {
    const dir = tsProject("notices");
    writeFileSync(path.join(dir, "app", "index.ts"), readFileSync(path.join(dir, "app", "index.ts"), "utf8").replace('"Users"', '"Users", { database: "analytics" }'));
    await columns(dir);
    expect(stderr).toContain("database is accepted but not applied");
    const cache = BuildCache.open({ projectDir: dir, language: "typescript" });
    expect(cache?.lookup()?.notices.map((notice) => [notice.source.file, notice.message])).toEqual([["app/index.ts", expect.stringContaining("database is accepted but not applied")]]);
    await columns(dir);
    expect(runs(dir)).toBe(1);
  });

  it("ignores a damaged or tampered entry and writes a good one", async () => {
    const dir = tsProject("damaged");
    await columns(dir);
    const file = path.join(cacheDir(dir), entryFiles(dir)[0]!);
    const good = readFileSync(file, "utf8");
    writeFileSync(file, good.slice(0, good.length / 2));
    expect(await columns(dir)).toEqual(["id", "name"]);
    expect(runs(dir)).toBe(2);
    expect(readFileSync(file, "utf8")).toBe(good);
    // Valid JSON whose checksum no longer matches: a column added by hand is not trusted.
    writeFileSync(file, good.replace('{"name":"name"', '{"name":"forged","nullable":false,"type":"String"},{"name":"name"'));
    expect(await columns(dir)).toEqual(["id", "name"]);
    expect(runs(dir)).toBe(3);
  });

  it("is off with MOOSE_BUILD_CACHE=off", async () => {
    const dir = tsProject("off");
    vi.stubEnv(BUILD_CACHE_ENV, "off");
    try {
      await columns(dir);
      await columns(dir);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(runs(dir)).toBe(2);
    expect(existsSync(cacheDir(dir))).toBe(false);
  });

  it("records nothing when a file changed while the build ran, and reads past a byte order mark", () => {
    const dir = tsProject("raced");
    const models = path.join(dir, "app", "models.ts");
    const cache = BuildCache.open({ projectDir: dir, language: "typescript" })!;
    const build = { manifest: emptyManifest(), notices: [] };
    cache.store(build, [{ file: models, text: "export interface User { id: string }\n" }]);
    expect(existsSync(cache.file)).toBe(false);
    writeFileSync(models, `\uFEFF${readFileSync(models, "utf8")}`);
    cache.store(build, [{ file: models, text: readFileSync(models, "utf8").replace(/^\uFEFF/, "") }]);
    expect(cache.lookup()).toEqual(build);
  });

  it("does not reuse a build for another main file", async () => {
    const dir = tsProject("main-file");
    writeFileSync(path.join(dir, "app", "other.ts"), readFileSync(path.join(dir, "app", "index.ts"), "utf8").replace('"Users"', '"Others"'));
    await extractManifest({ projectDir: dir });
    const other = await extractManifest({ projectDir: dir, mainFile: "app/other.ts" });
    expect(Object.keys(other.tables)).toEqual(["Others"]);
    expect(runs(dir)).toBe(2);
  });
});

describe("build cache, Python", () => {
  function pyProject(name: string): string {
    const dir = path.join(scratch, name);
    mkdirSync(path.join(dir, "app"), { recursive: true });
    writeFileSync(path.join(dir, "moose.config.toml"), 'language = "Python"\n');
    writeFileSync(path.join(dir, "app", "models.py"), "from pydantic import BaseModel\n\nclass User(BaseModel):\n    id: str\n    name: str\n");
    writeFileSync(
      path.join(dir, "app", "main.py"),
      `import os
with open(os.path.join(os.environ["MOOSE_PROJECT_DIR"], "runs.log"), "a") as log:
    log.write("run\\n")
from moose_ts import OlapTable
from app.models import User
users = OlapTable[User]("Users")
`,
    );
    return dir;
  }

  it("answers unchanged .py files from the cache and re-imports after any .py file changes or appears", async () => {
    vi.stubEnv("MOOSE_PYTHON", testPython());
    try {
      const dir = pyProject("python");
      expect(await columns(dir)).toEqual(["id", "name"]);
      expect(await columns(dir)).toEqual(["id", "name"]);
      expect(runs(dir)).toBe(1);
      writeFileSync(path.join(dir, "app", "models.py"), "from pydantic import BaseModel\n\nclass User(BaseModel):\n    id: str\n    name: str\n    age: int\n");
      expect(await columns(dir)).toEqual(["id", "name", "age"]);
      expect(runs(dir)).toBe(2);
      writeFileSync(path.join(dir, "app", "helpers.py"), "X = 1\n");
      await columns(dir);
      expect(runs(dir)).toBe(3);
      // Another interpreter is another key.
      const cache = BuildCache.open({ projectDir: dir, language: "python", python: pythonInterpreter(dir) });
      const elsewhere = BuildCache.open({ projectDir: dir, language: "python", python: "/usr/bin/false" });
      expect(cache?.file).not.toBe(elsewhere?.file);
      expect(cache?.lookup()).toBeDefined();
      expect(elsewhere?.lookup()).toBeUndefined();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("keeps a Python app's WebApps, which the manifest does not hold, for moose dev's worker", async () => {
    vi.stubEnv("MOOSE_PYTHON", testPython());
    try {
      const dir = pyProject("python-webapps");
      writeFileSync(path.join(dir, "app", "web.py"), 'from moose_ts import WebApp, WebAppConfig\n\nasync def app(scope, receive, send):\n    pass\n\nWebApp("web", app, WebAppConfig(mount_path="/web"))\n');
      writeFileSync(path.join(dir, "app", "main.py"), `${readFileSync(path.join(dir, "app", "main.py"), "utf8")}import app.web\n`);
      const extractor = createIncrementalExtractor(dir);
      await extractor.extract();
      expect(extractor.pythonWebApps?.()).toEqual([{ name: "web", mountPath: "/web" }]);
      // A second extractor (a restarted dev) is answered by the cache, WebApps included.
      const restarted = createIncrementalExtractor(dir);
      await restarted.extract();
      expect(runs(dir)).toBe(1);
      expect(restarted.pythonWebApps?.()).toEqual([{ name: "web", mountPath: "/web" }]);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("build cache, moose dev restarts", () => {
  function emitted(dir: string): Map<string, number> {
    const folder = path.join(dir, ".moose", "build", "dev", "app");
    return new Map(readdirSync(folder).map((name) => [name, statSync(path.join(folder, name)).mtimeMs]));
  }

  it("imports the modules the last run emitted when nothing changed, and rebuilds after a change", async () => {
    const dir = tsProject("dev-restart");
    const first = createIncrementalExtractor(dir);
    expect(Object.keys((await first.extract()).tables)).toEqual(["Users"]);
    first.close();
    const written = emitted(dir);

    const warm = createIncrementalExtractor(dir);
    const manifest = await warm.extract();
    expect(manifest.tables.Users!.columns.map((column) => column.name)).toEqual(["id", "name"]);
    expect(runs(dir)).toBe(2); // the app ran again (its live objects are needed) ...
    expect(emitted(dir)).toEqual(written); // ... from the modules as they were: nothing was compiled or emitted
    // A save after a warm start goes through the program as usual.
    writeFileSync(path.join(dir, "app", "models.ts"), "export interface User { id: string; name: string; age: number }\n");
    expect((await warm.extract()).tables.Users!.columns.map((column) => column.name)).toEqual(["id", "name", "age"]);
    warm.close();

    // Changed while no dev ran: the next start compiles again.
    writeFileSync(path.join(dir, "app", "models.ts"), "export interface User { id: string; email: string }\n");
    const cold = createIncrementalExtractor(dir);
    expect((await cold.extract()).tables.Users!.columns.map((column) => column.name)).toEqual(["id", "email"]);
    expect(emitted(dir).get("models.mjs")).not.toBe(written.get("models.mjs"));
    cold.close();
  });

  it("does not import emitted modules that were changed after the run that wrote them", async () => {
    const dir = tsProject("dev-tampered");
    const first = createIncrementalExtractor(dir);
    await first.extract();
    first.close();
    const models = path.join(dir, ".moose", "build", "dev", "app", "models.mjs");
    writeFileSync(models, `${readFileSync(models, "utf8")}\n// edited\n`);
    const next = createIncrementalExtractor(dir);
    expect((await next.extract()).tables.Users!.columns.map((column) => column.name)).toEqual(["id", "name"]);
    expect(readFileSync(models, "utf8")).not.toContain("// edited");
    next.close();
  });
});

/**
 * createIncrementalExtractor (moose dev) and loadApp (moose prod): same manifests as a cold
 * extractManifest, the previous program reused after an edit, live objects from the same registry.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import { createIncrementalExtractor, extractManifest } from "../../../src/extract/index.js";
import { loadApp } from "../../../src/extract/load-app.js";
import { canonicalJson } from "../../../src/manifest/canonical.js";
import { ProgramSession } from "../../../src/extract/program.js";
import { getRegistry } from "../../../src/sdk/registry.js";

const scratch = mkdtempSync(path.join(tmpdir(), "moose-extract-incremental-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function writeApp(projectDir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(projectDir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

const MODELS = `import type { Key } from "moose-ts";
export interface User { id: Key<string>; name: string }
`;
const INDEX = `import { OlapTable, Api } from "moose-ts";
import type { User } from "./models.js";
export const users = new OlapTable<User>("Users");
export const count = new Api<{ min: number }, { n: number }>("count", async ({ min }, { sql }) => ({ n: min + sql\`SELECT 1\`.strings.length }));
`;

describe("incremental extractor", () => {
  it("re-extracts after an edit, matching a cold build", async () => {
    const projectDir = path.join(scratch, "edit");
    writeApp(projectDir, { "app/models.ts": MODELS, "app/index.ts": INDEX });
    const extractor = createIncrementalExtractor(projectDir);
    try {
      const first = await extractor.extract();
      expect(first.tables.Users.columns.map((column) => column.name)).toEqual(["id", "name"]);

      writeApp(projectDir, { "app/models.ts": MODELS.replace("name: string", "name: string; age?: number") });
      const second = await extractor.extract();
      expect(second.tables.Users.columns.at(-1)).toEqual({ name: "age", type: "Float64", nullable: true });
      expect(canonicalJson(second)).toBe(canonicalJson(await extractManifest({ projectDir })));
    } finally {
      extractor.close();
    }
  });

  it("reports an error, then recovers when the file is fixed", async () => {
    const projectDir = path.join(scratch, "recover");
    writeApp(projectDir, { "app/models.ts": MODELS, "app/index.ts": INDEX });
    const extractor = createIncrementalExtractor(projectDir);
    try {
      await extractor.extract();
      writeApp(projectDir, { "app/models.ts": MODELS.replace("name: string", "name: bigint") });
      const error = await extractor.extract().catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(MooseError);
      expect((error as MooseError).code).toBe("UNSUPPORTED_TYPE");
      expect((error as MooseError).location).toMatchObject({ file: "app/models.ts", line: 2 });
      writeApp(projectDir, { "app/models.ts": MODELS });
      const fixed = await extractor.extract();
      expect(Object.keys(fixed.tables)).toEqual(["Users"]);
    } finally {
      extractor.close();
    }
  });
});

describe("incremental extractor re-runs only what changed", () => {
  it("keeps the components of modules that did not change, and re-runs the ones that did", async () => {
    const projectDir = path.join(scratch, "partial");
    const counted = (name: string) => `import { OlapTable } from "moose-ts";
interface ${name}Row { id: string }
const holder = globalThis as unknown as { runs?: Record<string, number> };
const runs = (holder.runs ??= {});
runs.${name} = (runs.${name} ?? 0) + 1;
export const ${name.toLowerCase()} = new OlapTable<${name}Row>("${name}");
`;
    writeApp(projectDir, {
      "app/a.ts": counted("A"),
      "app/b.ts": counted("B"),
      "app/index.ts": 'export * from "./a.js";\nexport * from "./b.js";\n',
    });
    const runs = () => (globalThis as { runs?: Record<string, number> }).runs ?? {};
    const extractor = createIncrementalExtractor(projectDir);
    try {
      await extractor.extract();
      const before = { ...runs() };
      writeApp(projectDir, { "app/a.ts": counted("A").replace("id: string", "id: string; extra: boolean") });
      const manifest = await extractor.extract();
      expect(runs().A).toBe((before.A ?? 0) + 1);
      expect(runs().B).toBe(before.B);
      expect(Object.keys(manifest.tables).sort()).toEqual(["A", "B"]);
      expect(manifest.tables.A.columns.map((column) => column.name)).toEqual(["id", "extra"]);

      writeApp(projectDir, { "app/index.ts": 'export * from "./a.js";\n' });
      expect(Object.keys((await extractor.extract()).tables)).toEqual(["A"]);
    } finally {
      extractor.close();
    }
  });
});

describe("program session", () => {
  it("keeps unchanged files' parsed SourceFiles and re-reads only the edited one", () => {
    const projectDir = path.join(scratch, "session");
    writeApp(projectDir, { "app/models.ts": MODELS, "app/index.ts": INDEX });
    const mainFile = path.join(projectDir, "app", "index.ts");
    const modelsFile = path.join(projectDir, "app", "models.ts");
    const session = new ProgramSession(projectDir, [mainFile], { incremental: true });
    const before = session.update();
    writeApp(projectDir, { "app/models.ts": `${MODELS}export type Extra = string;\n` });
    const after = session.update();
    expect(after).not.toBe(before);
    expect(after.getSourceFile(mainFile)).toBe(before.getSourceFile(mainFile));
    expect(after.getSourceFile(modelsFile)).not.toBe(before.getSourceFile(modelsFile));
  });
});

describe("loadApp", () => {
  it("returns the live objects the app registered, in this process's registry", async () => {
    const projectDir = path.join(scratch, "load");
    writeApp(projectDir, { "app/models.ts": MODELS, "app/index.ts": INDEX });
    const app = await loadApp(projectDir);
    expect(app.registry).toBe(getRegistry());
    expect([...app.tables.keys()]).toEqual(["Users"]);
    const api = app.apis.get("count");
    expect(api).toBeDefined();
    const { sql } = await import("../../../src/sdk/sql.js");
    type QueryClient = import("../../../src/sdk/api.js").QueryClient;
    const result = await api?.getHandler()({ min: 2 }, { client: { query: { execute: async () => ({ json: async () => [] }), command: async () => {} } as unknown as QueryClient }, sql });
    expect(result).toEqual({ n: 3 });
    expect(app.manifest.apis.count.params).toMatchObject({ type: "object", required: ["min"] });
  });

  it("fails with MISSING_MAIN_FILE when app/index.ts does not exist", async () => {
    const projectDir = path.join(scratch, "empty");
    mkdirSync(projectDir, { recursive: true });
    const error = await loadApp(projectDir).catch((thrown: unknown) => thrown);
    expect((error as MooseError).code).toBe("MISSING_MAIN_FILE");
    const cold = await extractManifest({ projectDir }).catch((thrown: unknown) => thrown);
    expect((cold as MooseError).code).toBe("MISSING_MAIN_FILE");
    expect((cold as MooseError).format()).toContain("app/index.ts");
  });
});

/**
 * The Manifest v1 JSON Schema (src/manifest/schema.ts) and the one validating reader
 * (src/manifest/read.ts): every manifest the repository holds passes; a broken one is refused
 * with MANIFEST_INVALID naming the file and the JSON path of the first problems.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import { canonicalJson, readManifest } from "../../../src/manifest/canonical.js";
import { emptyManifest, type Manifest, type TableSpec } from "../../../src/manifest/types.js";
import { manifestProblems } from "../../../src/manifest/validate.js";

const TEST_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const users: TableSpec = {
  name: "Users",
  columns: [
    { name: "id", type: "String", nullable: false, primaryKey: true },
    { name: "age", type: "Int32", nullable: true, default: "0", comment: "years" },
  ],
  orderBy: ["id"],
  engine: { name: "MergeTree", params: [] },
  settings: { index_granularity: "8192" },
  indexes: [{ name: "idx_age", expression: "age", type: "minmax", granularity: 1 }],
  lifeCycle: "FULLY_MANAGED",
  source: { file: "app/index.ts", line: 4, col: 14 },
};

const full: Manifest = {
  ...emptyManifest(),
  tables: { Users: users },
  streams: { Events: { name: "Events", partitionCount: 2, retentionMs: -1, config: {}, columns: users.columns, destination: "Users", lifeCycle: "DELETION_PROTECTED" } },
  views: { V: { name: "V", sql: "SELECT 1", sourceTables: ["Users"], lifeCycle: "FULLY_MANAGED" } },
  materializedViews: { MV: { name: "MV", sql: "SELECT id FROM Users", sourceTables: ["Users"], targetTable: "Users", lifeCycle: "EXTERNALLY_MANAGED" } },
  apis: { metrics: { name: "metrics", path: "metrics", params: { type: "object" }, result: {} } },
  ingestApis: { Events: { name: "Events", path: "Events", columns: users.columns, schema: {}, destination: "Events" } },
  workflows: { W: { name: "W", schedule: "@daily", tasks: [{ name: "t", onComplete: [] }] } },
};

function broken(edit: (manifest: Record<string, any>) => void): unknown {
  const copy = structuredClone(full) as Record<string, any>;
  edit(copy);
  return copy;
}

/** Every JSON manifest in the test golden folders (extraction outputs, plan and migration inputs). */
async function goldenManifests(): Promise<string[]> {
  const found: string[] = [];
  for (const area of ["extract", "plan", "migrations"]) {
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(file);
        else if (/^(manifest|before|after)\.json$/.test(entry.name)) found.push(file);
      }
    };
    await walk(path.join(TEST_ROOT, "unit", area, "golden"));
  }
  return found;
}

describe("Manifest v1 schema", () => {
  it("accepts every kind of component with every optional field", () => {
    expect(manifestProblems(full)).toEqual([]);
    expect(manifestProblems(emptyManifest())).toEqual([]);
  });

  it("accepts every manifest in the golden folders", async () => {
    const files = await goldenManifests();
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      expect({ file, problems: manifestProblems(JSON.parse(await readFile(file, "utf8"))) }).toEqual({ file, problems: [] });
    }
  });

  it.each<[string, (manifest: Record<string, any>) => void, string, string]>([
    ["a column without type", (m) => delete m.tables.Users.columns[1].type, "/tables/Users/columns/1", 'must have required property "type"'],
    ["a column type that is not text", (m) => (m.tables.Users.columns[0].type = 5), "/tables/Users/columns/0/type", "must be string"],
    ["columns that are not a list", (m) => (m.tables.Users.columns = {}), "/tables/Users/columns", "must be array"],
    ["an unknown lifeCycle", (m) => (m.views.V.lifeCycle = "KEEP"), "/views/V/lifeCycle", 'must be one of "FULLY_MANAGED", "DELETION_PROTECTED", "EXTERNALLY_MANAGED"'],
    ["a misspelt field", (m) => (m.streams.Events.partitions = 3), "/streams/Events", 'has unknown property "partitions"'],
    ["a fractional partition count", (m) => (m.streams.Events.partitionCount = 1.5), "/streams/Events/partitionCount", "must be integer"],
    ["a table map that is a list", (m) => (m.tables = []), "/tables", "must be object"],
    ["a missing component map", (m) => delete m.workflows, "", 'must have required property "workflows"'],
    ["a task without onComplete", (m) => delete m.workflows.W.tasks[0].onComplete, "/workflows/W/tasks/0", 'must have required property "onComplete"'],
  ])("refuses %s at its JSON path", (_name, edit, expectedPath, expectedMessage) => {
    expect(manifestProblems(broken(edit))[0]).toEqual({ path: expectedPath, message: expectedMessage });
  });

  it.each(["__proto__", "constructor", "toString", "hasOwnProperty"])("refuses a component named %s (a lookup by name finds the object's own property), whole and valid as it may be", (reserved) => {
    const sent = JSON.parse(JSON.stringify(full).replace('"tables":{"Users"', `"tables":{"${reserved}"`)) as unknown;
    expect(manifestProblems(sent)[0]).toEqual({ path: "/tables", message: `has a key "${reserved}", which no name may be (a property every JavaScript object has)` });
  });

  it("reports at most the first three problems", () => {
    const problems = manifestProblems(broken((m) => (m.tables.Users.columns = [{}, {}, {}])));
    expect(problems).toHaveLength(3);
  });
});

describe("readManifest validates against the schema", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "moose-manifest-schema-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a column without a type with MANIFEST_INVALID, the file, the JSON path and a hint", async () => {
    const file = path.join(dir, "bad.json");
    const onlyUsers = { ...emptyManifest(), tables: { Users: structuredClone(users) } } as Record<string, any>;
    delete onlyUsers.tables.Users.columns[1].type;
    await writeFile(file, canonicalJson(onlyUsers));
    const error = (await readManifest(file).catch((caught: unknown) => caught)) as MooseError;
    expect(error).toBeInstanceOf(MooseError);
    expect(error.code).toBe("MANIFEST_INVALID");
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(`${file} is not a valid Manifest v1: /tables/Users/columns/1: must have required property "type"`);
    expect(error.hint).toMatch(/regenerate|restore/);
    expect(error.details).toMatchObject({ path: file, problems: [{ path: "/tables/Users/columns/1" }] });
  });

  it("uses the caller's exit code and hint", async () => {
    const file = path.join(dir, "snapshot.json");
    await writeFile(file, JSON.stringify(broken((m) => (m.tables.Users.engine = "MergeTree"))));
    await expect(readManifest(file, { exitCode: 4, hint: "restore it" })).rejects.toMatchObject({ code: "MANIFEST_INVALID", exitCode: 4, hint: "restore it" });
  });

  it("reads a valid manifest unchanged", async () => {
    const file = path.join(dir, "ok.json");
    await writeFile(file, canonicalJson(full));
    expect(await readManifest(file)).toEqual(full);
  });
});

/**
 * Models ClickHouse would refuse, or whose SQL fragments would change the statement they are
 * pasted into, fail `moose build` at the model's file:line, and nothing is written.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../../src/cli/index.js";
import { checkManifest } from "../../../src/extract/check.js";
import { readManifest } from "../../../src/manifest/canonical.js";
import { emptyManifest } from "../../../src/manifest/types.js";
import { column, table } from "../../unit/diff/builders.js";

const scratch = mkdtempSync(path.join(tmpdir(), "moose-model-checks-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let stderr = "";
beforeEach(() => {
  stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
});
afterEach(() => vi.restoreAllMocks());

let projects = 0;
async function build(index: string): Promise<{ code: number; projectDir: string }> {
  const projectDir = path.join(scratch, `p${projects++}`);
  mkdirSync(path.join(projectDir, "app"), { recursive: true });
  writeFileSync(path.join(projectDir, "app", "index.ts"), index);
  return { code: await main(["node", "moose", "build", "--dir", projectDir]), projectDir };
}

const HEADER = `import { OlapTable, MaterializedView, type ClickHouseDefault } from "moose-ts";
interface Row { id: string; n: number }
export const big = new OlapTable<Row>("Big");
`;

const cases: Array<[string, string, string]> = [
  [
    "a materialized view SELECT carrying a second statement",
    `export const mv = new MaterializedView<Row>({ selectStatement: "SELECT id, n FROM Big; DROP TABLE Big; --", selectTables: [big], tableName: "Target", materializedViewName: "mv" });`,
    "Multi-statements are not allowed",
  ],
  [
    "a DEFAULT expression that closes itself and adds SQL",
    `interface D { id: string; v: string & ClickHouseDefault<"'x') ENGINE = Memory; DROP TABLE Big; --"> }\nexport const d = new OlapTable<D>("D");`,
    "DEFAULT of column v",
  ],
  ["a DEFAULT ending in a line comment", `interface D { id: string; v: number & ClickHouseDefault<"1 -- the rest of the line"> }\nexport const d = new OlapTable<D>("D");`, "not exactly one expression"],
  ["a partitionBy reaching into the next clause", `export const p = new OlapTable<Row>("P", { partitionBy: "n) ORDER BY id; DROP TABLE Big; --" });`, "partitionBy"],
  ["a setting name carrying SQL", `export const s = new OlapTable<Row>("S", { settings: { "index_granularity = 1 --": "8192" } });`, "not a ClickHouse setting name"],
  ["a table TTL with a trailing comment", `interface T { id: string; at: Date }\nexport const t = new OlapTable<T>("T", { ttl: "at + INTERVAL 1 DAY --" });`, "table TTL"],
  ["an interface with no fields", `interface Nothing {}\nexport const e = new OlapTable<Nothing>("Empty");`, "at least one column"],
  ["an empty table name", `export const e = new OlapTable<Row>("");`, "the name is empty"],
  ["an empty column name", `interface E { "": string; id: string }\nexport const e = new OlapTable<E>("E");`, "the name is empty"],
  ["a 300-character table name", `export const l = new OlapTable<Row>("${"a".repeat(300)}");`, "at most 189 fit"],
  ["a 100-character Cyrillic table name", `export const l = new OlapTable<Row>("${"ж".repeat(100)}");`, "600 bytes"],
  ["a table named like a rebuild copy", `export const c = new OlapTable<Row>("Big__moose_new");`, "reserved"],
  ["a table named like the journal", `export const j = new OlapTable<Row>("_moose_migrations");`, "reserved"],
  ["a SqlResource statement the parser refuses", `import { SqlResource } from "moose-ts";\nexport const r = new SqlResource("r", ["SELEC 1"], []);`, "SQL resource r: setup statement 1: ClickHouse's parser refuses it"],
  ["a SqlResource teardown of two statements", `import { SqlResource } from "moose-ts";\nexport const r = new SqlResource("r", ["CREATE VIEW v AS SELECT 1"], ["DROP VIEW v; DROP TABLE Big"]);`, "SQL resource r: teardown statement 1"],
];

describe("moose build refuses models that would not apply", () => {
  for (const [label, code, message] of cases) {
    it(`${label}: exit 1 at app/index.ts:line, no manifest`, async () => {
      const result = await build(HEADER + code + "\n");
      expect(result.code, stderr).toBe(1);
      expect(stderr).toContain(message);
      expect(stderr).toMatch(/app\/index\.ts:\d+/);
      expect(existsSync(path.join(result.projectDir, ".moose", "manifest.json"))).toBe(false);
    });
  }

  it("accepts the same kinds of fragments when they are sound", async () => {
    const result = await build(
      HEADER +
        `interface T { id: string; at: Date; v: number & ClickHouseDefault<"length('a;--b')"> }
export const t = new OlapTable<T>("T", { partitionBy: "toYYYYMM(at)", ttl: "at + INTERVAL 30 DAY", settings: { index_granularity: "8192" } });
export const mv = new MaterializedView<Row>({ selectStatement: "SELECT id, count(DISTINCT n) AS n FROM Big GROUP BY id", selectTables: [big], tableName: "Target", materializedViewName: "mv" });
`,
    );
    expect(result.code, stderr).toBe(0);
    const manifest = await readManifest(path.join(result.projectDir, ".moose", "manifest.json"));
    expect(manifest.tables.T!.columns.find((column) => column.name === "v")!.default).toBe("length('a;--b')");
  });
});

describe("checkManifest in one process (the dev loop)", () => {
  it("checks again a table it accepted once when its spec changes, and still refuses a bad fragment", async () => {
    const withDefault = (value: string) => {
      const manifest = emptyManifest();
      manifest.tables.Kept = table("Kept", [column("id", "String")]);
      manifest.tables.Edited = table("Edited", [column("id", "String"), column("v", "UInt8", { default: value })]);
      return manifest;
    };
    await checkManifest(withDefault("1"));
    await expect(checkManifest(withDefault("1 -- the rest of the line"))).rejects.toThrow(/Edited: DEFAULT of column v: .*not exactly one expression/);
    await checkManifest(withDefault("2"));
  });
});

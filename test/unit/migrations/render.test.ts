import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readManifest } from "../../../src/manifest/canonical.js";
import { generateMigration } from "../../../src/migrations/generate.js";
import { loadMigrations } from "../../../src/migrations/load.js";
import { renderStep, templateLiteral } from "../../../src/migrations/render.js";
import type { Step } from "../../../src/steps/index.js";
import { tempProject, writeHandMigration, usersV1, type TempProject } from "./helpers.js";

let project: TempProject;
beforeEach(() => {
  project = tempProject();
});
afterEach(() => project.remove());

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden");

describe("rendering steps", () => {
  it("keeps SQL byte for byte through a template literal (backticks, ${, backslashes, newlines)", async () => {
    const sql = "INSERT INTO `t` (a)\nSELECT 'it\\'s', '${not_a_placeholder}', '\\\\n'";
    const steps: Step[] = [
      { sql, summary: "tricky", cause: { operation: "recreateTable", target: "t", risk: "rewrite", rebuild: "copy" }, checkConversion: { table: "t", column: "a", toType: "Int32", nullsTakeDefault: true } },
      { kafka: { createTopic: { topic: "Events", partitions: 3, config: { "retention.ms": "1000" } } } },
      { note: 'API "x" added' },
    ];
    await writeHandMigration(project.layout, "20260101T000000Z_render", { after: usersV1, up: steps.map(renderStep).join("\n") });
    const [loaded] = await loadMigrations(project.layout);
    expect(loaded!.definition.up).toEqual(steps);
  });

  it("writes a template literal readers can follow", () => {
    expect(templateLiteral("SELECT 1")).toBe("`SELECT 1`");
    expect(templateLiteral("a`b${c}")).toBe("`a\\`b\\${c}`");
  });

  it("refuses to render a run step (only hand-written)", () => {
    expect(() => renderStep({ run: async () => {} })).toThrow();
  });
});

/**
 * Golden migration files: golden/<case>/before.json + after.json → migration.ts. Regenerate with
 * UPDATE_GOLDEN=1 (see test/README.md) and review the diff.
 */
describe("golden migration files", () => {
  const cases = existsSync(GOLDEN) ? readdirSync(GOLDEN).sort() : [];
  it("has cases", () => expect(cases.length).toBeGreaterThan(0));
  for (const name of cases) {
    it(name, async () => {
      const folder = path.join(GOLDEN, name);
      const before = await readManifest(path.join(folder, "before.json"));
      const after = await readManifest(path.join(folder, "after.json"));
      const now = new Date("2026-11-27T08:00:00Z");
      await generateMigration({ projectDir: project.dir, manifest: before, now, name: "base", allowDataLoss: true });
      const result = await generateMigration({ projectDir: project.dir, manifest: after, now, allowDataLoss: true, renames: readRenames(folder) });
      if (result.kind !== "written") throw new Error(`expected a migration, got ${result.kind}`);
      const text = readFileSync(result.file, "utf8");
      const expectedFile = path.join(folder, "migration.ts");
      if (process.env.UPDATE_GOLDEN === "1") writeFileSync(expectedFile, text);
      expect(existsSync(expectedFile), `${expectedFile} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
      expect(text).toBe(readFileSync(expectedFile, "utf8"));
      // The file is valid TypeScript the loader accepts.
      expect((await loadMigrations(project.layout)).at(-1)!.definition.up.length).toBeGreaterThan(0);
    });
  }
});

function readRenames(folder: string) {
  const file = path.join(folder, "renames.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, string>>) : undefined;
}

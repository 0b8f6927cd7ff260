/** Row types may come from installed packages (their .d.ts), not only from the app's own files. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { extractManifest } from "../../../src/extract/index.js";

const projectDir = mkdtempSync(path.join(tmpdir(), "moose-extract-package-types-"));
afterAll(() => rmSync(projectDir, { recursive: true, force: true }));

function write(name: string, text: string): void {
  mkdirSync(path.dirname(path.join(projectDir, name)), { recursive: true });
  writeFileSync(path.join(projectDir, name), text);
}

it("maps interfaces declared in a package's type definitions", async () => {
  write("node_modules/geo-model/package.json", JSON.stringify({ name: "geo-model", version: "1.0.0", types: "index.d.ts" }));
  write(
    "node_modules/geo-model/index.d.ts",
    `export interface Coordinates { lat: number; lon: number }
export interface Place { name: string; at: Coordinates; tags?: string[] }
`,
  );
  write(
    "app/index.ts",
    `import { OlapTable } from "moose-ts";
import type { Place } from "geo-model";
interface Visit extends Place { visitor: string }
export const visits = new OlapTable<Visit>("Visits");
`,
  );
  const manifest = await extractManifest({ projectDir });
  expect(manifest.tables.Visits.columns.map((column) => [column.name, column.type, column.nullable])).toEqual([
    ["name", "String", false],
    ["at", "Nested(lat Float64, lon Float64)", false],
    ["tags", "Array(String)", false],
    ["visitor", "String", false],
  ]);
});

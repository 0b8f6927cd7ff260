/**
 * The compiled Manifest v1 validator kept in node_modules/.cache/moose-ts/ (src/manifest/validate.ts):
 * a fresh module instance finds it and answers exactly as a compiled one, and a damaged file (code
 * that no longer matches its checksum) is never loaded: the schema is compiled again and the file
 * rewritten.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { emptyManifest } from "../../../src/manifest/types.js";

async function freshValidate(): Promise<typeof import("../../../src/manifest/validate.js")> {
  vi.resetModules();
  return import("../../../src/manifest/validate.js");
}

const broken = { ...emptyManifest(), tables: { Users: { name: "Users", columns: [{ name: "id" }] } } };

describe("compiled validator cache", () => {
  it("is written, then loaded by a fresh module with the same answers", async () => {
    const validate = await freshValidate();
    const first = validate.manifestProblems(broken);
    expect(existsSync(validate.compiledFile()!)).toBe(true);
    const second = await freshValidate();
    expect(second.manifestProblems(broken)).toEqual(first);
    expect(second.manifestProblems(emptyManifest())).toEqual([]);
    expect(first.map((problem) => problem.path)).toContain("/tables/Users");
  });

  it("ignores a file whose code does not match its checksum, and rewrites it", async () => {
    const first = await freshValidate();
    first.manifestProblems(emptyManifest());
    const file = first.compiledFile()!;
    const good = readFileSync(file, "utf8");
    // A validator that accepts everything, under the old checksum line.
    const [checksum] = good.split("\n", 1);
    writeFileSync(file, `${checksum}\nmodule.exports = () => true;\n`);
    const validate = await freshValidate();
    expect(validate.manifestProblems(broken)).not.toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(good);
  });
});

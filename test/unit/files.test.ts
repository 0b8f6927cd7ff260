import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeFileAtomic, writeFileAtomicSync } from "../../src/files.js";

const variants = [
  { name: "writeFileAtomicSync", write: async (file: string, data: string, mode?: number) => writeFileAtomicSync(file, data, mode === undefined ? {} : { mode }) },
  { name: "writeFileAtomic", write: (file: string, data: string, mode?: number) => writeFileAtomic(file, data, mode === undefined ? {} : { mode }) },
];

describe.each(variants)("$name", ({ write }) => {
  it("creates the folder, replaces the file and leaves nothing beside it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "moose-files-"));
    const file = path.join(dir, "nested", "state.json");
    await write(file, "first");
    await write(file, "second");
    expect(readFileSync(file, "utf8")).toBe("second");
    expect(readdirSync(path.dirname(file))).toEqual(["state.json"]);
  });

  it("gives a new file the mode asked for, also when it replaces a readable one", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "moose-files-"));
    const file = path.join(dir, "running.json");
    writeFileSync(file, "old", { mode: 0o644 });
    await write(file, "secret", 0o600);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("throws when the file cannot be replaced, and removes its partial file", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "moose-files-"));
    // A non-empty folder in the file's place: the rename fails after the partial file was written.
    const file = path.join(dir, "taken");
    mkdirSync(path.join(file, "inside"), { recursive: true });
    await expect(write(file, "data")).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(["taken"]);
  });
});

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "vitest";
import { removeAbandonedCaches } from "../../../src/extract/typescript.js";

test("a code cache left half-written by a killed process is removed; one still being written and other files are kept", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "moose-ts-v8cache-"));
  const exited = spawnSync(process.execPath, ["-e", "0"]).pid!;
  const names = [
    `typescript-1-2-v20-x64-aaaa.v8cache.${exited}`,
    `typescript-1-2-v20-x64-aaaa.v8cache.${process.pid}`,
    "typescript-1-2-v20-x64-aaaa.v8cache",
    `accepted-sql-3.4.0.txt.${exited}`,
  ];
  for (const name of names) writeFileSync(path.join(dir, name), "");
  removeAbandonedCaches(dir);
  expect(readdirSync(dir).sort()).toEqual(names.slice(1).sort());
});

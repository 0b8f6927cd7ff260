/**
 * A migration file that does not compile is reported at its project-relative path whatever the
 * working directory is. esbuild reports locations relative to its working directory, which
 * defaults to the process's directory when esbuild starts: moose-ts runs with `--dir <project>`
 * from anywhere, and tests run from wherever the clone sits. This file starts esbuild from the
 * filesystem root (a depth no project or clone has), so the path is only right if moose-ts pins
 * esbuild's working directory itself.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TempProject } from "./helpers.js";

const originalCwd = process.cwd();
let project: TempProject;
let loadMigrations: typeof import("../../../src/migrations/load.js").loadMigrations;

beforeAll(async () => {
  // Before esbuild is loaded (the loader and the helpers import it), so that its default working
  // directory is the filesystem root: everything that reaches esbuild is imported after this.
  process.chdir(path.parse(originalCwd).root);
  const { tempProject, usersV1, writeHandMigration } = await import("./helpers.js");
  ({ loadMigrations } = await import("../../../src/migrations/load.js"));
  project = tempProject("moose-load-paths-");
  await writeHandMigration(project.layout, "20260101T000000Z_broken", { after: usersV1, up: "    { sql: `SELECT 1` ,, }" });
  mkdirSync(path.join(project.dir, "deeply", "nested", "elsewhere"), { recursive: true });
});
afterAll(() => {
  process.chdir(originalCwd);
  project.remove();
});

describe("compile errors in migration files", () => {
  const workingDirectories: Array<[string, () => string]> = [
    ["the filesystem root", () => path.parse(project.dir).root],
    ["the migrations directory", () => project.layout.dir],
    ["a directory nested below the project", () => path.join(project.dir, "deeply", "nested", "elsewhere")],
    ["the project", () => project.dir],
    ["the repository", () => originalCwd],
  ];

  it.each(workingDirectories)("name the file relative to the project when run from %s", async (_name, cwd) => {
    process.chdir(cwd());
    try {
      const error = await loadMigrations(project.layout).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: "MIGRATION_INVALID_FILE", location: { file: "migrations/20260101T000000Z_broken.ts", line: 7 } });
    } finally {
      process.chdir(originalCwd);
    }
  });
});

/**
 * A migration file that does not compile is reported at its project-relative path whatever the
 * working directory is (esbuild reports locations relative to its working directory; moose-ts runs
 * with `--dir <project>` from anywhere, and tests run from wherever the clone sits).
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMigrations } from "../../../src/migrations/load.js";
import { tempProject, usersV1, writeHandMigration, type TempProject } from "./helpers.js";

const originalCwd = process.cwd();
let project: TempProject;

beforeAll(async () => {
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

import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashManifest } from "../../../src/manifest/canonical.js";
import { openMigrationsDirectory } from "../../../src/migrations/directory.js";
import { generateMigration, writeSum } from "../../../src/migrations/generate.js";
import { loadMigrations } from "../../../src/migrations/load.js";
import { migrationStatus } from "../../../src/migrations/runner/status.js";
import { readMigrationMeta } from "../../../src/migrations/verify.js";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { column, manifestWith, table, tempProject, usersV1, usersV2, writeHandMigration, type TempProject } from "./helpers.js";

/** Status refuses before it reads the database: any use of this driver fails the test. */
const unusedDriver = new Proxy({} as ClickHouseDriver, {
  get: (_target, property) => {
    throw new Error(`the driver was used (${String(property)})`);
  },
});

let project: TempProject;
beforeEach(() => {
  project = tempProject();
});
afterEach(() => project.remove());

async function twoMigrations(): Promise<[string, string]> {
  const first = await generateMigration({ projectDir: project.dir, manifest: usersV1, now: new Date("2026-01-01T00:00:00Z") });
  const second = await generateMigration({ projectDir: project.dir, manifest: usersV2, now: new Date("2026-01-02T00:00:00Z") });
  if (first.kind !== "written" || second.kind !== "written") throw new Error("expected files");
  return [first.file, second.file];
}

describe("refusals before anything is applied", () => {
  it("a file changed after it was summed → MIGRATION_CHECKSUM_MISMATCH naming the file", async () => {
    const [first] = await twoMigrations();
    writeFileSync(first, readFileSync(first, "utf8").replace("create table Users", "create the Users table"));
    const error = await openMigrationsDirectory(project.layout).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_CHECKSUM_MISMATCH", exitCode: 4 });
    expect((error as Error).message).toContain(path.basename(first));
    expect((error as { hint: string }).hint).toContain("moose migrate hash");
  });

  it("a summed file edited to run code at its top level is refused before any file is loaded, by the loader and by status", async () => {
    const [first] = await twoMigrations();
    const marker = path.join(project.dir, "top-level-ran");
    writeFileSync(first, `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "ran");\n${readFileSync(first, "utf8")}`);
    await expect(openMigrationsDirectory(project.layout)).rejects.toMatchObject({ code: "MIGRATION_CHECKSUM_MISMATCH", exitCode: 4 });
    await expect(migrationStatus({ projectDir: project.dir, driver: unusedDriver })).rejects.toMatchObject({ code: "MIGRATION_CHECKSUM_MISMATCH" });
    expect(existsSync(marker)).toBe(false);
    // The same edit, summed deliberately: the file loads and its code runs (what the sum guards is edits nobody summed).
    await writeSum(project.layout);
    await openMigrationsDirectory(project.layout);
    expect(existsSync(marker)).toBe(true);
  });

  it("a migration file that imports a project file → MIGRATION_INVALID_FILE at the import (its checksum would not cover it)", async () => {
    const [first] = await twoMigrations();
    writeFileSync(path.join(path.dirname(first), "helpers.ts"), "export const batch = 1000;\n");
    writeFileSync(first, `import { batch } from "./helpers.js";\nvoid batch;\n${readFileSync(first, "utf8")}`);
    await writeSum(project.layout);
    const error = await openMigrationsDirectory(project.layout).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_INVALID_FILE", location: { file: expect.stringContaining(path.basename(first)), line: 1 } });
    expect((error as Error).message).toContain("imports packages only, not ./helpers.js");
  });

  it("a file named almost like a migration → MIGRATION_BAD_FILE_NAME (it would never be applied); other modules are fine", async () => {
    const [first] = await twoMigrations();
    writeFileSync(path.join(path.dirname(first), "helpers.ts"), "export const batch = 1000;\n");
    await expect(openMigrationsDirectory(project.layout)).resolves.toHaveLength(2);
    writeFileSync(path.join(path.dirname(first), "20261127T0900_Add-Users.ts"), readFileSync(first, "utf8"));
    const error = await openMigrationsDirectory(project.layout).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_BAD_FILE_NAME", exitCode: 4 });
    expect((error as Error).message).toContain("20261127T0900_Add-Users.ts");
  });

  it("a file nobody summed, and a summed file that is gone", async () => {
    const [, second] = await twoMigrations();
    const copy = second.replace("20260102T000000Z", "20260103T000000Z");
    writeFileSync(copy, readFileSync(second));
    await expect(openMigrationsDirectory(project.layout)).rejects.toMatchObject({ code: "MIGRATION_FORK" });
    rmSync(copy);
    rmSync(second);
    const error = await openMigrationsDirectory(project.layout).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_CHECKSUM_MISMATCH", exitCode: 4 });
    expect((error as Error).message).toContain(path.basename(second));
  });

  it("two files from the same state → MIGRATION_FORK naming both, pointing at rebase", async () => {
    await generateMigration({ projectDir: project.dir, manifest: usersV1, now: new Date("2026-01-01T00:00:00Z") });
    const ours = await generateMigration({ projectDir: project.dir, manifest: usersV2, now: new Date("2026-01-02T00:00:00Z") });
    if (ours.kind !== "written") throw new Error("expected a file");
    // Another branch's migration from the same base, merged in.
    const theirs = manifestWith(table("Users", [column("id", "String"), column("name", "String")]), table("Events", [column("id", "String")]));
    await writeHandMigration(project.layout, "20260103T000000Z_create_events", {
      from: hashManifest(usersV1),
      after: theirs,
      up: "    { sql: `CREATE TABLE IF NOT EXISTS Events (id String) ENGINE = MergeTree ORDER BY id` },",
    });
    const error = await openMigrationsDirectory(project.layout).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_FORK", exitCode: 4 });
    expect((error as Error).message).toContain(`${ours.id}.ts`);
    expect((error as Error).message).toContain("20260103T000000Z_create_events.ts");
    expect((error as { hint: string }).hint).toContain("moose migrate rebase");
  });

  it("a file that does not start where the previous one ends → MIGRATION_CHAIN_GAP", async () => {
    const [first] = await twoMigrations();
    renameSync(first, path.join(project.dir, "elsewhere.ts"));
    await writeSum(project.layout);
    const error = await openMigrationsDirectory(project.layout).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_CHAIN_GAP", exitCode: 4 });
    expect((error as Error).message).toContain("add_column_users.ts");
    expect((error as Error).message).toContain("empty state");
  });

  it("a snapshot that does not hash to the file's `to` → MIGRATION_SNAPSHOT_MISMATCH", async () => {
    await twoMigrations();
    const [first] = await loadMigrations(project.layout);
    writeFileSync(path.join(project.layout.metaDir, `${first!.id}.json`), JSON.stringify(usersV2));
    await expect(readMigrationMeta(project.layout, first!)).rejects.toMatchObject({ code: "MIGRATION_SNAPSHOT_MISMATCH", exitCode: 4 });
    rmSync(path.join(project.layout.metaDir, `${first!.id}.json`));
    await expect(readMigrationMeta(project.layout, first!)).rejects.toMatchObject({ code: "MIGRATION_SNAPSHOT_MISMATCH" });
  });
});

describe("loading migration files", () => {
  it("reports a syntax error with the file and line", async () => {
    await writeHandMigration(project.layout, "20260101T000000Z_broken", { after: usersV1, up: "    { sql: `SELECT 1` ,, }" });
    const error = await loadMigrations(project.layout).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_INVALID_FILE", location: { file: "migrations/20260101T000000Z_broken.ts", line: 7 } });
  });

  it("reports a step of no known shape", async () => {
    await writeHandMigration(project.layout, "20260101T000000Z_bad_step", { after: usersV1, up: "    { statement: `SELECT 1` } as never," });
    await expect(loadMigrations(project.layout)).rejects.toMatchObject({ code: "MIGRATION_INVALID_FILE", message: expect.stringContaining("up[0]") });
  });

  it("reports a bad from/to", async () => {
    await writeHandMigration(project.layout, "20260101T000000Z_bad_hash", { from: "abc", after: usersV1, up: "" });
    await expect(loadMigrations(project.layout)).rejects.toMatchObject({ code: "MIGRATION_INVALID_FILE", message: expect.stringContaining("`from`") });
  });

  it("loads hand-written run steps as functions", async () => {
    await writeHandMigration(project.layout, "20260101T000000Z_run", { after: usersV1, up: "    { summary: 'x', run: async (ctx) => ctx.log('hi') }," });
    const [migration] = await loadMigrations(project.layout);
    const step = migration!.definition.up[0]!;
    expect("run" in step && typeof step.run).toBe("function");
  });
});

import { existsSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashManifest, readManifest } from "../../../src/manifest/canonical.js";
import { openMigrationsDirectory } from "../../../src/migrations/directory.js";
import { generateMigration } from "../../../src/migrations/generate.js";
import { rebaseMigrations } from "../../../src/migrations/rebase.js";
import { column, manifestWith, table, tempProject, usersV1, writeHandMigration, type TempProject } from "./helpers.js";

let project: TempProject;
beforeEach(() => {
  project = tempProject();
});
afterEach(() => project.remove());

const users = table("Users", [column("id", "String"), column("name", "String")]);
const usersWithAge = table("Users", [column("id", "String"), column("name", "String"), column("age", "Int32", true)]);
const events = table("Events", [column("id", "String")]);

/** main: V1 → +Events (theirs, merged in) · this branch: V1 → +age (ours). */
async function forkedDirectory(): Promise<string> {
  await generateMigration({ projectDir: project.dir, manifest: usersV1, now: new Date("2026-01-01T00:00:00Z") });
  const ours = await generateMigration({ projectDir: project.dir, manifest: manifestWith(usersWithAge), now: new Date("2026-01-03T00:00:00Z") });
  if (ours.kind !== "written") throw new Error("expected a file");
  await writeHandMigration(project.layout, "20260102T000000Z_create_events", {
    from: hashManifest(usersV1),
    after: manifestWith(users, events),
    up: "    { sql: `CREATE TABLE IF NOT EXISTS Events (id String) ENGINE = MergeTree ORDER BY id` },",
  });
  return ours.id;
}

describe("moose migrate rebase", () => {
  it("moves this branch's migration on top of the merged one; the chain verifies again", async () => {
    const oursId = await forkedDirectory();
    await expect(openMigrationsDirectory(project.layout)).rejects.toMatchObject({ code: "MIGRATION_FORK" });
    const merged = manifestWith(usersWithAge, events);
    const rebase = await rebaseMigrations({ projectDir: project.dir, manifest: merged, now: new Date("2026-01-04T00:00:00Z") });
    expect(rebase.rebased).toBe(`${oursId}.ts`);
    expect(existsSync(rebase.previousFile)).toBe(true);
    expect(rebase.result.kind).toBe("written");
    if (rebase.result.kind !== "written") return;
    expect(rebase.result.id).toBe("20260104T000000Z_add_column_users");
    expect(rebase.result.plan.operations.map((op) => op.kind)).toEqual(["addColumn"]);
    const chain = await openMigrationsDirectory(project.layout);
    expect(chain.map((migration) => migration.id)).toEqual(["20260101T000000Z_create_table_users", "20260102T000000Z_create_events", "20260104T000000Z_add_column_users"]);
    expect(hashManifest(await readManifest(project.layout.snapshot))).toBe(hashManifest(merged));
  });

  it("drops the file when the other branch already made the same change", async () => {
    await forkedDirectory();
    const rebase = await rebaseMigrations({ projectDir: project.dir, manifest: manifestWith(users, events), id: "20260103T000000Z_add_column_users" });
    expect(rebase.result.kind).toBe("no-changes");
    expect((await openMigrationsDirectory(project.layout)).map((migration) => migration.id)).toEqual(["20260101T000000Z_create_table_users", "20260102T000000Z_create_events"]);
  });

  it("puts the file back when regenerating fails (a --rename that does not apply): the fork is as it was", async () => {
    const oursId = await forkedDirectory();
    await expect(
      rebaseMigrations({ projectDir: project.dir, manifest: manifestWith(usersWithAge, events), renames: { Users: { nope: "age" } } }),
    ).rejects.toMatchObject({ code: "RENAME_NOT_APPLICABLE" });
    expect(existsSync(`${project.layout.dir}/${oursId}.ts`)).toBe(true);
    await expect(openMigrationsDirectory(project.layout)).rejects.toMatchObject({ code: "MIGRATION_FORK" });
  });

  it("refuses when there is no fork, and for an unknown id", async () => {
    await generateMigration({ projectDir: project.dir, manifest: usersV1 });
    await expect(rebaseMigrations({ projectDir: project.dir, manifest: usersV1 })).rejects.toMatchObject({ code: "MIGRATION_NO_FORK", exitCode: 2 });
    await expect(rebaseMigrations({ projectDir: project.dir, manifest: usersV1, id: "nope" })).rejects.toMatchObject({ code: "MIGRATION_UNKNOWN" });
  });
});

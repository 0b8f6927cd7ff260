/**
 * History integrity through the real CLI (child processes) on the embedded engine: a dropped
 * journal (or state) is refused with exit 4 and a repair hint instead of re-running every migration,
 * `moose migrate status --repair` rebuilds it, and meta files or snapshot.json that disagree with
 * the chain make `status` (and `up`) exit 4.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { hashManifest, writeManifest } from "../../../src/manifest/canonical.js";
import { metaPath } from "../../../src/migrations/layout.js";
import { usersV1, usersV2, writeHandMigration, type TempProject } from "../../unit/migrations/helpers.js";
import { runCli, useCliProjects } from "./cli.js";

const cliProjects = useCliProjects("moose-migrate-integrity-");

function newProject(): TempProject {
  const project = cliProjects.newProject();
  writeFileSync(path.join(project.dir, "code.json"), JSON.stringify(usersV2));
  return project;
}

const FIRST = "20260101T000000Z_counter";
const SECOND = "20260102T000000Z_more";

/** Two migrations whose `run` steps insert rows: applying them twice would double the rows. */
async function nonRepeatableMigrations(project: TempProject): Promise<void> {
  await writeHandMigration(project.layout, FIRST, {
    after: usersV1,
    up: `    { sql: \`CREATE TABLE IF NOT EXISTS Counter (step String) ENGINE = MergeTree ORDER BY step\` },
    { summary: "count a", run: async (ctx) => ctx.clickhouse.exec("INSERT INTO Counter VALUES ('a')") },`,
  });
  await writeHandMigration(project.layout, SECOND, {
    from: hashManifest(usersV1),
    after: usersV2,
    up: `    { summary: "count b", run: async (ctx) => ctx.clickhouse.exec("INSERT INTO Counter VALUES ('b')") },`,
  });
}

/** The CLI in the project, against its embedded engine. */
function moose(project: TempProject, ...args: string[]) {
  return runCli(cliProjects.cli(), [...args, "--embedded"], { cwd: project.dir });
}

/** Opens the project's engine in this process (only while no CLI process uses it). */
async function withDatabase<T>(project: TempProject, work: (query: (sql: string) => Promise<Record<string, string>[]>, exec: (sql: string) => Promise<void>) => Promise<T>): Promise<T> {
  const driver = await openEmbedded({ dataDir: path.join(project.dir, ".moose", "clickhouse"), database: "local" });
  try {
    return await work(
      (sql) => driver.query<Record<string, string>>(sql),
      (sql) => driver.exec(sql),
    );
  } finally {
    await driver.close();
  }
}

describe("a dropped journal or state", () => {
  it("DROP TABLE _moose_migrations → up exits 4 with the repair hint; status --repair rebuilds the journal; up has nothing to do (no row doubled)", async () => {
    const project = newProject();
    await nonRepeatableMigrations(project);
    const applied = await moose(project, "migrate", "up");
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);

    await withDatabase(project, async (_query, exec) => exec("DROP TABLE _moose_migrations"));

    const refused = await moose(project, "migrate", "up");
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("MIGRATION_JOURNAL_MISSING");
    expect(refused.stderr).toContain(SECOND);
    expect(refused.stderr).toContain("moose migrate status --repair");
    expect(refused.stdout).not.toContain("applying");

    const status = await moose(project, "migrate", "status", "--manifest", "code.json");
    expect(status.code).toBe(4);
    expect(status.stdout).toContain("error MIGRATION_JOURNAL_MISSING");

    const repaired = await moose(project, "migrate", "status", "--repair", "--manifest", "code.json");
    expect(repaired.stderr).toBe("");
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain(`rebuilt the journal (_moose_migrations): marked 2 migrations applied (${FIRST}, ${SECOND})`);
    expect(repaired.stdout).toMatch(new RegExp(`✓ applied\\s+${FIRST}`));
    expect(repaired.stdout).toMatch(new RegExp(`✓ applied\\s+${SECOND}`));

    const again = await moose(project, "migrate", "up");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("nothing to apply");

    await withDatabase(project, async (query) => {
      const rows = await query("SELECT step, count() AS n FROM Counter GROUP BY step ORDER BY step");
      expect(rows.map((row) => [row.step, Number(row.n)])).toEqual([["a", 1], ["b", 1]]);
      const journal = await query("SELECT id, status FROM _moose_migrations ORDER BY id, version DESC LIMIT 1 BY id");
      expect(journal).toEqual([{ id: FIRST, status: "applied" }, { id: SECOND, status: "applied" }]);
    });
  });

  it("DROP TABLE _moose_state → up exits 4; status --repair records the state again from the meta file", async () => {
    const project = newProject();
    await nonRepeatableMigrations(project);
    expect((await moose(project, "migrate", "up")).code).toBe(0);
    await withDatabase(project, async (_query, exec) => exec("DROP TABLE _moose_state"));

    const refused = await moose(project, "migrate", "up");
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("MIGRATION_HISTORY_MISMATCH");
    expect(refused.stderr).toContain("moose migrate status --repair");

    const repaired = await moose(project, "migrate", "status", "--repair", "--manifest", "code.json");
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain(`recorded the state (_moose_state) after ${SECOND}`);
    expect(repaired.stdout).toContain(`Database state: ${SECOND} (${hashManifest(usersV2).slice(0, 12)})`);
    expect((await moose(project, "migrate", "up")).stdout).toContain("nothing to apply");
  });
});

describe("meta files and snapshot.json that disagree with the chain", () => {
  it("status (and up) exit 4 on a snapshot.json that is not the newest meta, and on a meta file that does not hash to its `to`", async () => {
    const project = newProject();
    await nonRepeatableMigrations(project);
    expect((await moose(project, "migrate", "status", "--manifest", "code.json")).code).toBe(0);

    await writeManifest(project.layout.snapshot, usersV1);
    const snapshot = await moose(project, "migrate", "status", "--manifest", "code.json");
    expect(snapshot.code).toBe(4);
    expect(snapshot.stdout).toContain("error MIGRATION_SNAPSHOT_MISMATCH");
    expect(snapshot.stdout).toContain("snapshot.json");
    const up = await moose(project, "migrate", "up");
    expect(up.code).toBe(4);
    expect(up.stderr).toContain("MIGRATION_SNAPSHOT_MISMATCH");

    await writeManifest(project.layout.snapshot, usersV2);
    await writeManifest(metaPath(project.layout, FIRST), usersV2);
    const meta = await moose(project, "migrate", "status", "--manifest", "code.json");
    expect(meta.code).toBe(4);
    expect(meta.stdout).toContain("error MIGRATION_SNAPSHOT_MISMATCH");
    expect(meta.stdout).toContain(`meta/${FIRST}.json`);
    expect((await moose(project, "migrate", "up")).code).toBe(4);
  });
});

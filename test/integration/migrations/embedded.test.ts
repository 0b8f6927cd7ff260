/**
 * The runner against the embedded engine (chdb), in this process: generate → up → status → down →
 * up, a failed step journaled and resumed, the refusals that need a journal, the lock.
 */
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { beforeEach, describe, expect, it } from "vitest";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { createTableSql, createViewSql } from "../../../src/infra/clickhouse/ddl.js";
import { hashManifest } from "../../../src/manifest/canonical.js";
import { generateMigration, hashMigrations } from "../../../src/migrations/generate.js";
import { applyMigrations, revertMigrations } from "../../../src/migrations/runner/apply.js";
import type { MigrationEvent } from "../../../src/migrations/runner/events.js";
import { readAppliedState, readJournal } from "../../../src/migrations/runner/journal.js";
import { breakLock, ensureLockTable, liveHolders, LOCK_TABLE, MigrationLock } from "../../../src/migrations/runner/lock.js";
import { migrationStatus } from "../../../src/migrations/runner/status.js";
import { useEmbeddedDatabase } from "../../helpers/clickhouse.js";
import { column, manifestWith, table, tempProject, usersV1, usersV2, usersV3, writeHandMigration, type TempProject } from "../../unit/migrations/helpers.js";

const engine = useEmbeddedDatabase("migrations_test");
let driver: ClickHouseDriver;
let project: TempProject;

/** Each test gets its own project and an empty database (the driver's database stays the same). */
beforeEach(() => {
  project?.remove();
  project = tempProject();
  driver = engine();
});

function recorder(): { events: MigrationEvent[]; reporter: (event: MigrationEvent) => void } {
  const events: MigrationEvent[] = [];
  return { events, reporter: (event) => events.push(event) };
}

async function columnsOf(tableName: string): Promise<string[]> {
  const rows = await driver.query<{ name: string }>(`SELECT name FROM system.columns WHERE database = currentDatabase() AND table = '${tableName}' ORDER BY position`);
  return rows.map((row) => row.name);
}

describe("generate → up → status → down → up (embedded)", () => {
  it("applies, reports, reverts and re-applies, keeping journal and state in step", async () => {
    await generateMigration({ projectDir: project.dir, manifest: usersV1, now: new Date("2026-01-01T00:00:00Z") });
    await generateMigration({ projectDir: project.dir, manifest: usersV2, now: new Date("2026-01-02T00:00:00Z") });
    const first = "20260101T000000Z_create_table_users";
    const second = "20260102T000000Z_add_column_users";

    const { events, reporter } = recorder();
    const up = await applyMigrations({ projectDir: project.dir, driver, reporter });
    expect(up.migrations).toEqual([first, second]);
    expect(events.filter((event) => event.type === "migration-finished").map((event) => event.type === "migration-finished" && event.id)).toEqual([first, second]);
    expect(await columnsOf("Users")).toEqual(["id", "name", "age"]);
    expect((await readAppliedState(driver))?.hash).toBe(hashManifest(usersV2));

    const status = await migrationStatus({ projectDir: project.dir, driver, codeManifest: usersV3 });
    expect(status.migrations.map((entry) => entry.status)).toEqual(["applied", "applied"]);
    expect(status.codeDiffersFromSnapshot).toBe(true);
    expect(status.problem).toBeNull();
    expect(status.lock).toBeNull();

    // Reverting drops a column: refused without permission, then allowed.
    await expect(revertMigrations({ projectDir: project.dir, driver })).rejects.toMatchObject({ code: "MIGRATION_DESTRUCTIVE", exitCode: 3 });
    expect(await columnsOf("Users")).toEqual(["id", "name", "age"]);
    const down = await revertMigrations({ projectDir: project.dir, driver, allowDataLoss: true });
    expect(down.migrations).toEqual([second]);
    expect(await columnsOf("Users")).toEqual(["id", "name"]);
    expect((await readAppliedState(driver))?.hash).toBe(hashManifest(usersV1));
    expect((await migrationStatus({ projectDir: project.dir, driver })).migrations.map((entry) => entry.status)).toEqual(["applied", "pending"]);

    const again = await applyMigrations({ projectDir: project.dir, driver });
    expect(again.migrations).toEqual([second]);
    expect(await columnsOf("Users")).toEqual(["id", "name", "age"]);
    const nothing = recorder();
    expect((await applyMigrations({ projectDir: project.dir, driver, reporter: nothing.reporter })).migrations).toEqual([]);
    expect(nothing.events).toEqual([{ type: "nothing-to-do", direction: "up" }]);
  });

  it("--dry-run lists the steps and changes nothing, not even the journal tables", async () => {
    await generateMigration({ projectDir: project.dir, manifest: usersV1 });
    const { events, reporter } = recorder();
    const result = await applyMigrations({ projectDir: project.dir, driver, reporter, dryRun: true });
    expect(result).toMatchObject({ dryRun: true, migrations: [expect.stringMatching(/_create_table_users$/)] });
    expect(events[0]).toMatchObject({ type: "planned", steps: [{ kind: "sql", summary: "create table Users" }] });
    expect(await driver.query("SELECT name FROM system.tables WHERE database = currentDatabase()")).toEqual([]);
  });

  it("refuses destructive pending steps with exit 3 and applies nothing", async () => {
    await generateMigration({ projectDir: project.dir, manifest: usersV2 });
    await applyMigrations({ projectDir: project.dir, driver });
    await generateMigration({ projectDir: project.dir, manifest: manifestWith(table("Other", [column("id", "String")])), allowDataLoss: true });
    await expect(applyMigrations({ projectDir: project.dir, driver })).rejects.toMatchObject({ code: "MIGRATION_DESTRUCTIVE", exitCode: 3 });
    expect(await columnsOf("Other")).toEqual([]);
    expect(await columnsOf("Users")).toEqual(["id", "name", "age"]);
  });
});

  it("status reads the journal, the state and the lock with a statement each, after one look at which exist (each is a round trip to a server)", async () => {
    await generateMigration({ projectDir: project.dir, manifest: usersV1 });
    await applyMigrations({ projectDir: project.dir, driver });
    const held = await MigrationLock.acquire(driver);
    const statements: string[] = [];
    const counting: ClickHouseDriver = Object.assign(Object.create(driver) as ClickHouseDriver, {
      query: (sql: string, params?: Record<string, unknown>) => (statements.push(sql), driver.query(sql, params)),
      exec: (sql: string, params?: Record<string, unknown>) => (statements.push(sql), driver.exec(sql, params)),
    });
    try {
      const status = await migrationStatus({ projectDir: project.dir, driver: counting });
      expect(status).toMatchObject({ migrations: [{ status: "applied" }], database: { hash: hashManifest(usersV1) }, lock: { owner: `${os.hostname()}:${process.pid}` }, devChangesNotInMigration: false, problem: null });
      expect(statements).toHaveLength(4);
    } finally {
      await held.release();
    }
  });

describe("a table rebuild", () => {
  it("keeps the rows through an ORDER BY change and reports the copy's progress", async () => {
    await generateMigration({ projectDir: project.dir, manifest: usersV1 });
    await applyMigrations({ projectDir: project.dir, driver });
    await driver.exec("INSERT INTO Users VALUES ('1', 'a'), ('2', 'b'), ('3', 'c')");
    const reordered = manifestWith(table("Users", [column("id", "String"), column("name", "String")], ["name", "id"]));
    const generated = await generateMigration({ projectDir: project.dir, manifest: reordered });
    expect(generated.kind === "written" && generated.plan.operations.map((op) => op.kind)).toEqual(["recreateTable"]);
    const { events, reporter } = recorder();
    await applyMigrations({ projectDir: project.dir, driver, reporter });
    expect(events.filter((event) => event.type === "step-progress").at(-1)).toMatchObject({ table: "Users", activity: "copy", rows: 3, totalRows: 3 });
    const rows = await driver.query<{ n: string }>("SELECT count() AS n FROM Users");
    expect(Number(rows[0]!.n)).toBe(3);
    const [sortingKey] = await driver.query<{ sorting_key: string }>("SELECT sorting_key FROM system.tables WHERE database = currentDatabase() AND name = 'Users'");
    expect(sortingKey!.sorting_key.replace(/\s/g, "")).toBe("name,id");
  });
});

describe("a failed step", () => {
  it("a failed DDL step is journaled with its error; the next up resumes at it, after the file is fixed", async () => {
    const up = (ddl: string) => `    { sql: \`CREATE TABLE IF NOT EXISTS Counter (step String) ENGINE = MergeTree ORDER BY step\` },
    { summary: "step a", run: async (ctx) => ctx.clickhouse.exec("INSERT INTO Counter VALUES ('a')") },
    { summary: "add column extra", sql: \`${ddl}\` },
    { summary: "step c", run: async (ctx) => ctx.clickhouse.exec("INSERT INTO Counter (step) VALUES ('c')") },`;
    const broken = "ALTER TABLE Counter ADD COLUMN extra NoSuchType";
    const file = await writeHandMigration(project.layout, "20260101T000000Z_counter", { after: usersV1, up: up(broken) });
    const { events, reporter } = recorder();
    const error = await applyMigrations({ projectDir: project.dir, driver, reporter }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_STEP_FAILED", message: expect.stringContaining("step 3 of 4 (add column extra)") });
    expect(events.find((event) => event.type === "migration-failed")).toMatchObject({ index: 2, summary: "add column extra" });
    const journaled = (await readJournal(driver)).get("20260101T000000Z_counter");
    expect(journaled).toMatchObject({ status: "failed", stepsDone: 2, failedStep: "add column extra", error: expect.stringContaining("NoSuchType") });
    const status = await migrationStatus({ projectDir: project.dir, driver });
    expect(status.migrations[0]).toMatchObject({ status: "failed", stepsDone: 2, failedStep: "add column extra" });
    expect(await readAppliedState(driver)).toBeUndefined();

    // Fix the failing step (only it and later steps may change), accept the edit, run again.
    writeFileSync(file, readFileSync(file, "utf8").replace(broken, "ALTER TABLE Counter ADD COLUMN IF NOT EXISTS extra String DEFAULT 'x'"));
    await hashMigrations({ projectDir: project.dir });
    const resumed = recorder();
    await applyMigrations({ projectDir: project.dir, driver, reporter: resumed.reporter });
    expect(resumed.events[0]).toMatchObject({ type: "migration-started", resumeAt: 2 });
    const rows = await driver.query<{ step: string; n: string }>("SELECT step, count() AS n FROM Counter GROUP BY step ORDER BY step");
    expect(rows.map((row) => [row.step, Number(row.n)])).toEqual([["a", 1], ["c", 1]]);
    expect(await columnsOf("Counter")).toEqual(["step", "extra"]);
    expect((await readJournal(driver)).get("20260101T000000Z_counter")).toMatchObject({ status: "applied", stepsDone: 4 });
    expect((await readAppliedState(driver))?.migrationId).toBe("20260101T000000Z_counter");
  });

  it("refuses to resume when a step that already ran was edited", async () => {
    const file = await writeHandMigration(project.layout, "20260101T000000Z_edited", {
      after: usersV1,
      up: "    { sql: `CREATE TABLE IF NOT EXISTS T1 (x String) ENGINE = MergeTree ORDER BY x` },\n    { sql: `SELECT throwIf(1, 'stop')` },",
    });
    await expect(applyMigrations({ projectDir: project.dir, driver })).rejects.toMatchObject({ code: "MIGRATION_STEP_FAILED" });
    writeFileSync(file, readFileSync(file, "utf8").replace("T1 (x String)", "T1 (y String)").replace("SELECT throwIf(1, 'stop')", "SELECT 1"));
    await hashMigrations({ projectDir: project.dir });
    await expect(applyMigrations({ projectDir: project.dir, driver })).rejects.toMatchObject({ code: "MIGRATION_APPLIED_MODIFIED", exitCode: 4 });
  });
});

describe("a failed down step", () => {
  it("is journaled as revert_failed and the next down resumes at it", async () => {
    const file = await writeHandMigration(project.layout, "20260101T000000Z_down", {
      after: usersV1,
      up: "    { sql: `CREATE TABLE IF NOT EXISTS D1 (x String) ENGINE = MergeTree ORDER BY x` },",
      down: "    { sql: `RENAME TABLE D1 TO D1_old` },\n    { sql: `SELECT throwIf(1, 'down broke')` },\n    { sql: `DROP TABLE IF EXISTS D1_old` },",
    });
    await applyMigrations({ projectDir: project.dir, driver });
    await expect(revertMigrations({ projectDir: project.dir, driver, allowDataLoss: true })).rejects.toMatchObject({ code: "MIGRATION_STEP_FAILED" });
    expect((await readJournal(driver)).get("20260101T000000Z_down")).toMatchObject({ status: "revert_failed", stepsDone: 1 });
    expect((await migrationStatus({ projectDir: project.dir, driver })).migrations[0]).toMatchObject({ status: "revert_failed" });

    writeFileSync(file, readFileSync(file, "utf8").replace("SELECT throwIf(1, 'down broke')", "SELECT 1"));
    await hashMigrations({ projectDir: project.dir });
    const { events, reporter } = recorder();
    await revertMigrations({ projectDir: project.dir, driver, allowDataLoss: true, reporter });
    expect(events[0]).toMatchObject({ type: "migration-started", direction: "down", resumeAt: 1 });
    expect(await columnsOf("D1_old")).toEqual([]);
    expect((await readJournal(driver)).get("20260101T000000Z_down")).toMatchObject({ status: "reverted" });
    expect((await readAppliedState(driver))?.migrationId).toBe("");
  });
});

describe("refusals that need the journal", () => {
  it("an applied file whose checksum differs from the journal → MIGRATION_APPLIED_MODIFIED, nothing applied", async () => {
    const first = await generateMigration({ projectDir: project.dir, manifest: usersV1 });
    await applyMigrations({ projectDir: project.dir, driver });
    if (first.kind !== "written") throw new Error("expected a file");
    writeFileSync(first.file, readFileSync(first.file, "utf8").replace("Changes, in the order", "Changes (edited), in the order"));
    await hashMigrations({ projectDir: project.dir });
    await generateMigration({ projectDir: project.dir, manifest: usersV2 });
    const error = await applyMigrations({ projectDir: project.dir, driver }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_APPLIED_MODIFIED", exitCode: 4, message: expect.stringContaining(first.id) });
    expect(await columnsOf("Users")).toEqual(["id", "name"]);
    expect((await migrationStatus({ projectDir: project.dir, driver })).problem).toMatchObject({ code: "MIGRATION_APPLIED_MODIFIED" });
  });
});

describe("a table or view the database already has (made outside the migration history)", () => {
  it("a different one stops the run before anything is applied, naming the differences (exit 4); a dry run says the same", async () => {
    await driver.exec("CREATE TABLE Users (id String, legacy Int32) ENGINE = MergeTree ORDER BY id");
    await driver.exec("INSERT INTO Users VALUES ('kept', 1)");
    await generateMigration({ projectDir: project.dir, manifest: usersV1 });
    for (const dryRun of [true, false]) {
      const error = await applyMigrations({ projectDir: project.dir, driver, dryRun }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({
        code: "OBJECT_EXISTS_DIFFERENT",
        exitCode: 4,
        details: { object: "Users", step: 1, differences: [expect.stringContaining("name"), expect.stringContaining("legacy")] },
      });
    }
    expect(await columnsOf("Users")).toEqual(["id", "legacy"]);
    expect((await readJournal(driver)).size).toBe(0);
  });

  it("the same one is taken as it is, rows and all", async () => {
    await driver.exec(createTableSql(usersV1.tables.Users!));
    await driver.exec("INSERT INTO Users VALUES ('kept', 'Ada')");
    await generateMigration({ projectDir: project.dir, manifest: usersV1 });
    expect((await applyMigrations({ projectDir: project.dir, driver })).migrations).toHaveLength(1);
    expect(await driver.query("SELECT id, name FROM Users")).toEqual([{ id: "kept", name: "Ada" }]);
  });

  it("views too: a different one stops the run, the same one is kept", async () => {
    const withView: typeof usersV1 = { ...usersV1, views: { Named: { name: "Named", sql: "SELECT id, name FROM Users WHERE name != ''", sourceTables: ["Users"], lifeCycle: "FULLY_MANAGED" } } };
    await driver.exec(createTableSql(usersV1.tables.Users!));
    await driver.exec("CREATE VIEW Named AS SELECT id FROM Users");
    await generateMigration({ projectDir: project.dir, manifest: withView });
    const error = await applyMigrations({ projectDir: project.dir, driver }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "OBJECT_EXISTS_DIFFERENT", message: expect.stringContaining("creates view Named"), details: { object: "Named" } });

    await driver.exec("DROP VIEW Named");
    await driver.exec(createViewSql(withView.views.Named!));
    expect((await applyMigrations({ projectDir: project.dir, driver })).migrations).toHaveLength(1);
  });

  it("a view where a table is to be (one namespace) stops the run too", async () => {
    await driver.exec("CREATE VIEW Users AS SELECT 1 AS id");
    await generateMigration({ projectDir: project.dir, manifest: usersV1 });
    const error = await applyMigrations({ projectDir: project.dir, driver }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "OBJECT_EXISTS_DIFFERENT", exitCode: 4, message: expect.stringContaining("already has a view Users") });
  });

  it("a create after a hand-written step is left to the run (the step may rename or drop what is in the way)", async () => {
    await driver.exec("CREATE TABLE Users (id String, legacy Int32) ENGINE = MergeTree ORDER BY id");
    const create = JSON.stringify(createTableSql(usersV1.tables.Users!));
    await writeHandMigration(project.layout, "20260101T000000Z_move_aside", {
      after: usersV1,
      up: `    { sql: "RENAME TABLE Users TO Users_old" },\n    { sql: ${create}, cause: { operation: "createTable", target: "Users", risk: "safe" } },`,
    });
    expect((await applyMigrations({ projectDir: project.dir, driver, allowDataLoss: true })).migrations).toEqual(["20260101T000000Z_move_aside"]);
    expect(await columnsOf("Users")).toEqual(["id", "name"]);
    expect(await columnsOf("Users_old")).toEqual(["id", "legacy"]);
  });

  it("a table a planned step drops first is not in the way of the one a later step creates", async () => {
    const other = manifestWith(table("Other", [column("id", "String")]));
    const reshaped = manifestWith(table("Users", [column("key", "UInt64")]));
    await generateMigration({ projectDir: project.dir, manifest: usersV1, now: new Date("2026-01-01T00:00:00Z") });
    await applyMigrations({ projectDir: project.dir, driver });
    await generateMigration({ projectDir: project.dir, manifest: other, allowDataLoss: true, now: new Date("2026-01-02T00:00:00Z") });
    await generateMigration({ projectDir: project.dir, manifest: reshaped, allowDataLoss: true, now: new Date("2026-01-03T00:00:00Z") });
    expect((await applyMigrations({ projectDir: project.dir, driver, allowDataLoss: true })).migrations).toHaveLength(2);
    expect(await columnsOf("Users")).toEqual(["key"]);
  });
});

describe("step kinds", () => {
  // Kafka steps against a real broker: kafka.test.ts.
  it("notes are recorded as state only; kafka steps without streaming fail with a clear message", async () => {
    await writeHandMigration(project.layout, "20260101T000000Z_kinds", {
      after: usersV1,
      up: '    { note: "API /api/users added" },\n    { kafka: { createTopic: { topic: "Events", partitions: 1, config: {} } } },',
    });
    const { events, reporter } = recorder();
    await expect(applyMigrations({ projectDir: project.dir, driver, reporter })).rejects.toMatchObject({
      code: "MIGRATION_STEP_FAILED",
      message: expect.stringContaining("streaming is not configured"),
    });
    expect(events.find((event) => event.type === "step-done")).toMatchObject({ kind: "note", stateOnly: true });
    expect((await readJournal(driver)).get("20260101T000000Z_kinds")).toMatchObject({ status: "failed", stepsDone: 1 });
  });
});

describe("the migration lock", () => {
  it("a second claimant waits, then fails with the holder's name when it times out", async () => {
    const held = await MigrationLock.acquire(driver);
    const error = await MigrationLock.acquire(driver, { timeoutMs: 300 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_LOCKED", message: expect.stringContaining(`${os.hostname()}:${process.pid}`) });
    await held.release();
    const next = await MigrationLock.acquire(driver, { timeoutMs: 0 });
    await next.release();
    expect(await liveHolders(driver)).toEqual([]);
  });

  it("a crashed holder on another host blocks only until its lease ends", async () => {
    await ensureLockTable(driver);
    await driver.exec(`INSERT INTO ${LOCK_TABLE} (name, token, owner, event, at, expires_at) SELECT 'migrate', 'crashed', 'otherhost:42', 'claim', now(), now() + 2`);
    const waited: string[] = [];
    const lock = await MigrationLock.acquire(driver, { timeoutMs: 10_000, onWait: (holder) => waited.push(holder.owner) });
    expect(waited).toEqual(["otherhost:42"]);
    await lock.release();
  });

  it("a holder on this host whose process is gone is released at once", async () => {
    await ensureLockTable(driver);
    await driver.exec(`INSERT INTO ${LOCK_TABLE} (name, token, owner, event, at, expires_at) SELECT 'migrate', 'dead', '${os.hostname()}:2147483646', 'claim', now(), now() + 600`);
    // timeoutMs 0: acquire throws MIGRATION_LOCKED unless the dead holder is released without waiting.
    const lock = await MigrationLock.acquire(driver, { timeoutMs: 0 });
    expect(await liveHolders(driver)).toEqual([expect.objectContaining({ owner: `${os.hostname()}:${process.pid}`, token: lock.token })]);
    await lock.release();
  });

  it("unlock breaks a live lock and shows its owner; the holder notices on renewal", async () => {
    const held = await MigrationLock.acquire(driver, { leaseSeconds: 3 });
    const broken = await breakLock(driver);
    expect(broken).toEqual([expect.objectContaining({ owner: `${os.hostname()}:${process.pid}`, token: held.token })]);
    expect(await liveHolders(driver)).toEqual([]);
    // Renewal runs every lease/3 = 1 s.
    const deadline = Date.now() + 5000;
    while (!held.lost && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(() => held.assertHeld()).toThrow(expect.objectContaining({ code: "MIGRATION_LOCK_LOST" }));
    await held.release();
  });
});

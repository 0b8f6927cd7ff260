/**
 * Hand-written steps are judged by ClickHouse's parser, on the embedded engine: every way of
 * writing a data-losing statement is refused without --allow-data-loss before anything runs, a
 * text holding several statements is refused outright, and a `run` step's statements are judged
 * as they are sent.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { applyMigrations } from "../../../src/migrations/runner/apply.js";
import { readJournal } from "../../../src/migrations/runner/journal.js";
import { templateLiteral } from "../../../src/migrations/render.js";
import { useEmbeddedDatabase } from "../../helpers/clickhouse.js";
import { tempProject, usersV1, writeHandMigration, type TempProject } from "../../unit/migrations/helpers.js";

const engine = useEmbeddedDatabase("consent_test");
let driver: ClickHouseDriver;
let project: TempProject;

beforeEach(async () => {
  project?.remove();
  project = tempProject();
  driver = engine();
  await driver.exec("CREATE TABLE t (id UInt32, v String, d DateTime) ENGINE = MergeTree ORDER BY id");
  await driver.exec("CREATE TABLE `my t` (id UInt32, x String) ENGINE = MergeTree ORDER BY id");
  await driver.exec("INSERT INTO t SELECT number, toString(number), toDateTime('2001-01-01 00:00:00') FROM numbers(10)");
  await driver.exec("INSERT INTO `my t` SELECT number, 'x' FROM numbers(10)");
});

async function withStep(sql: string): Promise<void> {
  await writeHandMigration(project.layout, "20260101T000000Z_hand", { after: usersV1, up: `    { sql: ${templateLiteral(sql)} },` });
}

async function withStepObject(step: string): Promise<void> {
  await writeHandMigration(project.layout, "20260101T000000Z_hand", { after: usersV1, up: `    ${step},` });
}

async function intact(): Promise<void> {
  expect(await driver.query("SELECT count() AS n, countIf(v != '') AS v FROM t")).toEqual([{ n: "10", v: "10" }]);
  expect(await driver.query("SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 't' ORDER BY position")).toEqual([{ name: "id" }, { name: "v" }, { name: "d" }]);
  expect(await driver.query("SELECT count() AS n, countIf(x != '') AS x FROM `my t`")).toEqual([{ n: "10", x: "10" }]);
}

describe("hand-written SQL steps", () => {
  const losing = [
    "DELETE FROM t WHERE 1",
    "ALTER TABLE t ADD COLUMN z Int8, DROP COLUMN v",
    "/*c*/ DROP TABLE t",
    "-- note\nDROP TABLE t",
    "ALTER TABLE `my t` DROP COLUMN x",
    "ALTER TABLE t ON CLUSTER c DROP COLUMN v",
    "CREATE OR REPLACE TABLE t (a Int8) ENGINE = MergeTree ORDER BY a",
    "REPLACE TABLE t (a Int8) ENGINE = MergeTree ORDER BY a",
    "ALTER TABLE t CLEAR COLUMN v",
    "DETACH TABLE t",
    "ALTER TABLE t UPDATE v = '' WHERE 1",
    "ALTER TABLE t UPDATE v = v, d = v WHERE 1",
    "ALTER TABLE t UPDATE v = `my t`.v WHERE 1",
    "ALTER TABLE t MODIFY TTL d + INTERVAL 1 DAY",
    "ALTER TABLE t MODIFY COLUMN v TTL d + INTERVAL 1 DAY",
    "ALTER TABLE t MODIFY COLUMN v Int8",
    "TRUNCATE TABLE t",
    "ALTER TABLE t DROP PARTITION tuple()",
    "OPTIMIZE TABLE t FINAL DEDUPLICATE",
    "RENAME TABLE t TO t_old",
    "EXCHANGE TABLES t AND `my t`",
    "DROP VIEW IF EXISTS t",
    "INSERT INTO _moose_migrations (id, status) SELECT '20260101T000000Z_hand', 'applied'",
  ];
  for (const sql of losing) {
    it(`refuses ${JSON.stringify(sql)} without --allow-data-loss (exit 3), nothing applied`, async () => {
      await withStep(sql);
      await expect(applyMigrations({ projectDir: project.dir, driver })).rejects.toMatchObject({ code: "MIGRATION_DESTRUCTIVE", exitCode: 3 });
      await intact();
      expect((await readJournal(driver)).size).toBe(0);
    });
  }

  it("needs consent for a conversion with a `using` expression (it replaces values) and refuses one that is not one expression", async () => {
    const step = (using: string) =>
      `    { sql: \`ALTER TABLE t MODIFY COLUMN v String\`, checkConversion: { table: "t", column: "v", toType: "String", using: ${JSON.stringify(using)} } },`;
    await writeHandMigration(project.layout, "20260101T000000Z_hand", { after: usersV1, up: step("''") });
    await expect(applyMigrations({ projectDir: project.dir, driver })).rejects.toMatchObject({ code: "MIGRATION_DESTRUCTIVE", message: expect.stringContaining("replaces the values of v") });
    await writeHandMigration(project.layout, "20260101T000000Z_hand", { after: usersV1, up: step("'' WHERE 1; DROP TABLE t; --") });
    await expect(applyMigrations({ projectDir: project.dir, driver, allowDataLoss: true })).rejects.toMatchObject({ code: "MIGRATION_STEP_NOT_ONE_STATEMENT" });
    await intact();
  });

  it("needs consent for a checked conversion that also sets a column TTL", async () => {
    await withStepObject("{ sql: `ALTER TABLE t MODIFY COLUMN v String TTL d + INTERVAL 1 DAY`, checkConversion: { table: \"t\", column: \"v\", toType: \"String\" } }");
    await expect(applyMigrations({ projectDir: project.dir, driver })).rejects.toMatchObject({ code: "MIGRATION_DESTRUCTIVE" });
    await intact();
  });

  it("runs a refused statement once it is allowed", async () => {
    await withStep("ALTER TABLE t DELETE WHERE id < 5");
    await applyMigrations({ projectDir: project.dir, driver, allowDataLoss: true });
    expect(await driver.query("SELECT count() AS n FROM t")).toEqual([{ n: "5" }]);
  });

  it("refuses several statements in one step outright, even with --allow-data-loss", async () => {
    await withStep("SELECT 1; DROP TABLE t");
    await expect(applyMigrations({ projectDir: project.dir, driver, allowDataLoss: true })).rejects.toMatchObject({
      code: "MIGRATION_STEP_NOT_ONE_STATEMENT",
      message: expect.stringContaining("20260101T000000Z_hand.ts up step 1"),
    });
    await intact();
  });

  it("lets harmless statements run without the flag", async () => {
    await writeHandMigration(project.layout, "20260101T000000Z_hand", {
      after: usersV1,
      up: ["ALTER TABLE t ADD COLUMN IF NOT EXISTS z Int8 DEFAULT 1", "ALTER TABLE t UPDATE z = z WHERE 1", "INSERT INTO t (id, v) SELECT 100, 'new'", "SELECT count() FROM t", "CREATE TABLE IF NOT EXISTS u (id UInt8) ENGINE = MergeTree ORDER BY id"]
        .map((sql) => `    { sql: ${templateLiteral(sql)} },`)
        .join("\n"),
    });
    await applyMigrations({ projectDir: project.dir, driver });
    expect(await driver.query("SELECT count() AS n, sum(z) AS z FROM t")).toEqual([{ n: "11", z: "11" }]);
  });
});

describe("hand-written run steps", () => {
  it("judges each statement the step sends: a data-losing one is refused and journaled, and runs once allowed", async () => {
    await writeHandMigration(project.layout, "20260101T000000Z_run", {
      after: usersV1,
      up: "    { summary: 'clean up', run: async (ctx) => { await ctx.clickhouse.exec('INSERT INTO t (id, v) SELECT 200, \\'kept\\''); await ctx.clickhouse.exec('TRUNCATE TABLE t'); } },",
    });
    const error = await applyMigrations({ projectDir: project.dir, driver }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_STEP_FAILED", message: expect.stringContaining("may delete data") });
    expect(await driver.query("SELECT count() AS n FROM t")).toEqual([{ n: "11" }]);
    expect((await readJournal(driver)).get("20260101T000000Z_run")).toMatchObject({ status: "failed", stepsDone: 0 });
    await applyMigrations({ projectDir: project.dir, driver, allowDataLoss: true });
    expect(await driver.query("SELECT count() AS n FROM t")).toEqual([{ n: "0" }]);
  });

  it("guards inserts into moose-ts's own tables and keeps the runner's connection open; bound parameters are read", async () => {
    await writeHandMigration(project.layout, "20260101T000000Z_run", {
      after: usersV1,
      up: "    { run: async (ctx) => { await ctx.clickhouse.close(); await ctx.clickhouse.query('SELECT count() FROM t WHERE id > {min:UInt32}', { min: 3 }); await ctx.clickhouse.insert('_moose_state', [{ migration_id: 'forged' }]); } },",
    });
    const error = await applyMigrations({ projectDir: project.dir, driver }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_STEP_FAILED", message: expect.stringContaining("_moose_state, one of moose-ts's own tables") });
    expect((await readJournal(driver)).get("20260101T000000Z_run")).toMatchObject({ status: "failed" });
  });

  it("refuses a text with several statements sent by a run step", async () => {
    await writeHandMigration(project.layout, "20260101T000000Z_run", {
      after: usersV1,
      up: "    { run: async (ctx) => { await ctx.clickhouse.query('SELECT 1; DROP TABLE t'); } },",
    });
    await expect(applyMigrations({ projectDir: project.dir, driver, allowDataLoss: true })).rejects.toMatchObject({ message: expect.stringContaining("exactly one statement") });
    await intact();
  });
});

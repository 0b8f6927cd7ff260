/**
 * The `moose migrate` CLI in real child processes, against the embedded engine and against
 * Debian's ClickHouse server: kill -9 between steps then `up` again (every step applied exactly
 * once), two runs at once (one applies, the other waits and finds nothing to do, or gives up with
 * a lock message), the refusals' exit codes, and generate → up → status → down → up.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { writeManifest } from "../../../src/manifest/canonical.js";
import { serverExec, testServerUrl, withTestDatabase, SERVER_START_TIMEOUT_MS } from "../../helpers/clickhouse.js";
import { column, manifestWith, table, usersV1, writeHandMigration, type TempProject } from "../../unit/migrations/helpers.js";
import { runCli, spawnCli, useCliProjects, waitForFile } from "./cli.js";

const { cli, newProject } = useCliProjects("moose-migrate-cli-");

/**
 * Four steps counting into a table; step b blocks when MOOSE_TEST_BLOCK_FILE is set (after writing
 * that file, until MOOSE_TEST_RELEASE_FILE exists) so a test can kill or race the process there.
 */
async function countingMigration(project: TempProject): Promise<void> {
  const count = (step: string) => `async (ctx) => ctx.clickhouse.exec("INSERT INTO Counter VALUES ('${step}')")`;
  await writeHandMigration(project.layout, "20260101T000000Z_counting", {
    after: usersV1,
    up: `    { sql: \`CREATE TABLE IF NOT EXISTS Counter (step String) ENGINE = MergeTree ORDER BY step\` },
    { summary: "step a", run: ${count("a")} },
    {
      summary: "step b",
      run: async (ctx) => {
        const fs = await import("node:fs");
        const block = process.env.MOOSE_TEST_BLOCK_FILE;
        const release = process.env.MOOSE_TEST_RELEASE_FILE;
        if (block) {
          fs.writeFileSync(block, String(process.pid));
          await new Promise<void>((resolve) => {
            const timer = setInterval(() => {
              if (release && fs.existsSync(release)) {
                clearInterval(timer);
                resolve();
              }
            }, 20);
          });
        }
        await ctx.clickhouse.exec("INSERT INTO Counter VALUES ('b')");
      },
    },
    { summary: "step c", run: ${count("c")} },`,
  });
}

const COUNTS_SQL = "SELECT step, count() AS n FROM Counter GROUP BY step ORDER BY step";

describe("embedded engine", () => {
  it("kill -9 between steps, then up again: every step applied exactly once", async () => {
    const project = newProject();
    await countingMigration(project);
    const block = path.join(project.dir, "blocked");
    const first = spawnCli(cli(), ["migrate", "up", "--embedded"], { cwd: project.dir, env: { MOOSE_TEST_BLOCK_FILE: block } });
    await waitForFile(block);
    first.child.kill("SIGKILL");
    expect((await first.exit).signal).toBe("SIGKILL");

    const second = await runCli(cli(), ["migrate", "up", "--embedded"], { cwd: project.dir });
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("resuming at step 3 of 4");
    expect(second.stdout).not.toContain("[run] step a");

    const driver = await openEmbedded({ dataDir: path.join(project.dir, ".moose", "clickhouse"), database: "local" });
    try {
      const rows = await driver.query<{ step: string; n: string }>(COUNTS_SQL);
      expect(rows.map((row) => [row.step, Number(row.n)])).toEqual([["a", 1], ["b", 1], ["c", 1]]);
    } finally {
      await driver.close();
    }
  });
});

describe("embedded engine, two processes", () => {
  it("a second `migrate up --embedded` while one runs is refused with the holder's pid, and the first finishes", async () => {
    const project = newProject();
    await countingMigration(project);
    const block = path.join(project.dir, "blocked");
    const release = path.join(project.dir, "release");
    const first = spawnCli(cli(), ["migrate", "up", "--embedded"], { cwd: project.dir, env: { MOOSE_TEST_BLOCK_FILE: block, MOOSE_TEST_RELEASE_FILE: release } });
    await waitForFile(block);
    const second = await runCli(cli(), ["migrate", "up", "--embedded"], { cwd: project.dir });
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(String(first.child.pid));
    writeFileSync(release, "go");
    expect((await first.exit).code).toBe(0);
    expect(first.stdout()).toMatch(/✓ 20260101T000000Z_counting applied/);
  });
});

describe("Debian ClickHouse server", () => {
  let serverUrl: string;
  beforeAll(async () => {
    serverUrl = await testServerUrl();
  }, SERVER_START_TIMEOUT_MS);

  async function database(): Promise<{ url: string; drop(): Promise<void> }> {
    return withTestDatabase(serverUrl);
  }

  async function counts(url: string): Promise<Array<[string, number]>> {
    const text = await serverExec(url.replace(/\/(moose_test_\w+)$/, "/"), `${COUNTS_SQL.replace("FROM Counter", `FROM ${new URL(url).pathname.slice(1)}.Counter`)} FORMAT JSONEachRow`);
    return text
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { step: string; n: string })
      .map((row) => [row.step, Number(row.n)]);
  }

  it("generate → up → status → down → up", async () => {
    const project = newProject();
    const db = await database();
    try {
      const target = ["--clickhouse-url", db.url];
      const withEvents = manifestWith(usersV1.tables.Users!, table("Events", [column("id", "String"), column("at", "DateTime")]));
      await writeManifest(path.join(project.dir, "v1.json"), usersV1);
      await writeManifest(path.join(project.dir, "v2.json"), withEvents);
      expect((await runCli(cli(), ["migrate", "generate", "--manifest", "v1.json"], { cwd: project.dir })).code).toBe(0);
      expect((await runCli(cli(), ["migrate", "generate", "--manifest", "v2.json", "--name", "events"], { cwd: project.dir })).code).toBe(0);

      const up = await runCli(cli(), ["migrate", "up", ...target], { cwd: project.dir });
      expect(up.stderr).toBe("");
      expect(up.stdout).toMatch(/✓ \d{8}T\d{6}Z_create_table_users applied/);
      expect(up.stdout).toMatch(/✓ \d{8}T\d{6}Z_events applied/);

      const status = await runCli(cli(), ["migrate", "status", "--json", ...target], { cwd: project.dir });
      const parsed = JSON.parse(status.stdout) as { migrations: Array<{ status: string }>; problem: unknown };
      expect(parsed.migrations.map((entry) => entry.status)).toEqual(["applied", "applied"]);
      expect(parsed.problem).toBeNull();

      const refused = await runCli(cli(), ["migrate", "down", ...target], { cwd: project.dir });
      expect(refused.code).toBe(3);
      expect(refused.stderr).toContain("MIGRATION_DESTRUCTIVE");
      const down = await runCli(cli(), ["migrate", "down", ...target], { cwd: project.dir, env: { MOOSE_ACCEPT_DESTRUCTIVE: "1" } });
      expect(down.code).toBe(0);
      expect(down.stdout).toMatch(/✓ \d{8}T\d{6}Z_events reverted/);
      const database = new URL(db.url).pathname.slice(1);
      expect((await serverExec(serverUrl, `EXISTS TABLE ${database}.Events`)).trim()).toBe("0");

      const again = await runCli(cli(), ["migrate", "up", ...target], { cwd: project.dir });
      expect(again.code).toBe(0);
      expect((await serverExec(serverUrl, `EXISTS TABLE ${database}.Events`)).trim()).toBe("1");
      const state = await serverExec(serverUrl, `SELECT migration_id FROM ${database}._moose_state ORDER BY version DESC LIMIT 1`);
      expect(state.trim()).toMatch(/_events$/);
    } finally {
      await db.drop();
    }
  });

  it("kill -9 between steps, then up again: every step exactly once, the dead holder's lock is released", async () => {
    const project = newProject();
    const db = await database();
    try {
      await countingMigration(project);
      const block = path.join(project.dir, "blocked");
      const first = spawnCli(cli(), ["migrate", "up", "--clickhouse-url", db.url], { cwd: project.dir, env: { MOOSE_TEST_BLOCK_FILE: block } });
      await waitForFile(block);
      first.child.kill("SIGKILL");
      await first.exit;
      const second = await runCli(cli(), ["migrate", "up", "--clickhouse-url", db.url, "--lock-timeout", "0"], { cwd: project.dir });
      expect(second.stderr).toBe("");
      expect(second.stdout).toContain("resuming at step 3 of 4");
      expect(await counts(db.url)).toEqual([["a", 1], ["b", 1], ["c", 1]]);
    } finally {
      await db.drop();
    }
  });

  it("two runs at once: one applies, the other waits for the lock and then finds nothing to do", async () => {
    const project = newProject();
    const db = await database();
    try {
      await countingMigration(project);
      const block = path.join(project.dir, "blocked");
      const release = path.join(project.dir, "release");
      const env = { MOOSE_TEST_BLOCK_FILE: block, MOOSE_TEST_RELEASE_FILE: release };
      const holder = spawnCli(cli(), ["migrate", "up", "--clickhouse-url", db.url], { cwd: project.dir, env });
      await waitForFile(block);

      const impatient = await runCli(cli(), ["migrate", "up", "--clickhouse-url", db.url, "--lock-timeout", "0"], { cwd: project.dir });
      expect(impatient.code).toBe(1);
      expect(impatient.stderr).toContain("MIGRATION_LOCKED");
      expect(impatient.stderr).toContain(`:${holder.child.pid}`);

      const waiter = spawnCli(cli(), ["migrate", "up", "--clickhouse-url", db.url, "--lock-timeout", "60"], { cwd: project.dir });
      const deadline = Date.now() + 30_000;
      while (!waiter.stdout().includes("waiting for the migration lock") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(waiter.stdout()).toContain(`waiting for the migration lock held by`);
      writeFileSync(release, "go");

      expect((await holder.exit).code).toBe(0);
      expect((await waiter.exit).code).toBe(0);
      expect(holder.stdout()).toMatch(/✓ 20260101T000000Z_counting applied/);
      expect(waiter.stdout()).toContain("nothing to apply");
      expect(await counts(db.url)).toEqual([["a", 1], ["b", 1], ["c", 1]]);
    } finally {
      await db.drop();
    }
  });

  it("three runs started together: the migration is applied exactly once", async () => {
    const project = newProject();
    const db = await database();
    try {
      await countingMigration(project);
      const runs = [0, 1, 2].map(() => spawnCli(cli(), ["migrate", "up", "--clickhouse-url", db.url], { cwd: project.dir }));
      const exits = await Promise.all(runs.map((run) => run.exit));
      expect(exits.map((exit) => exit.code)).toEqual([0, 0, 0]);
      expect(runs.filter((run) => run.stdout().includes("applied")).length).toBe(1);
      expect(runs.filter((run) => run.stdout().includes("nothing to apply")).length).toBe(2);
      expect(await counts(db.url)).toEqual([["a", 1], ["b", 1], ["c", 1]]);
    } finally {
      await db.drop();
    }
  });

  it("a DDL step the server rejects is journaled as failed; fixed, the next up resumes at it", async () => {
    const project = newProject();
    const db = await database();
    try {
      const target = ["--clickhouse-url", db.url];
      // 18.16 has no ADD COLUMN IF NOT EXISTS: a real rejection by the server.
      const rejected = "ALTER TABLE Counter ADD COLUMN IF NOT EXISTS extra String";
      const file = await writeHandMigration(project.layout, "20260101T000000Z_extra", {
        after: usersV1,
        up: `    { sql: \`CREATE TABLE IF NOT EXISTS Counter (step String) ENGINE = MergeTree ORDER BY step\` },
    { summary: "add column extra", sql: \`${rejected}\` },`,
      });
      const failed = await runCli(cli(), ["migrate", "up", ...target], { cwd: project.dir });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain("MIGRATION_STEP_FAILED");
      const status = JSON.parse((await runCli(cli(), ["migrate", "status", "--json", ...target], { cwd: project.dir })).stdout) as { migrations: Array<Record<string, unknown>> };
      expect(status.migrations[0]).toMatchObject({ status: "failed", stepsDone: 1, failedStep: "add column extra", error: expect.stringContaining("Syntax error") });

      writeFileSync(file, readFileSync(file, "utf8").replace(rejected, "ALTER TABLE Counter ADD COLUMN extra String"));
      expect((await runCli(cli(), ["migrate", "hash"], { cwd: project.dir })).code).toBe(0);
      const resumed = await runCli(cli(), ["migrate", "up", ...target], { cwd: project.dir });
      expect(resumed.stderr).toBe("");
      expect(resumed.stdout).toContain("resuming at step 2 of 2");
      const database = new URL(db.url).pathname.slice(1);
      expect((await serverExec(serverUrl, `SELECT name FROM system.columns WHERE database = '${database}' AND table = 'Counter' ORDER BY name`)).trim().split("\n")).toEqual(["extra", "step"]);
    } finally {
      await db.drop();
    }
  });

  it("refusals exit 4 naming the files, and nothing is applied", async () => {
    const project = newProject();
    const db = await database();
    try {
      const target = ["--clickhouse-url", db.url];
      await writeManifest(path.join(project.dir, "v1.json"), usersV1);
      await runCli(cli(), ["migrate", "generate", "--manifest", "v1.json"], { cwd: project.dir });
      const [file] = readdirSync(project.layout.dir).filter((name) => name.endsWith(".ts"));
      const filePath = path.join(project.layout.dir, file!);
      const original = readFileSync(filePath, "utf8");
      writeFileSync(filePath, original.replace("create table Users", "create the Users table"));
      const changed = await runCli(cli(), ["migrate", "up", ...target], { cwd: project.dir });
      expect(changed.code).toBe(4);
      expect(changed.stderr).toContain("MIGRATION_CHECKSUM_MISMATCH");
      expect(changed.stderr).toContain(file!);
      expect(changed.stderr).toContain("moose migrate hash");
      const database = new URL(db.url).pathname.slice(1);
      expect((await serverExec(serverUrl, `EXISTS TABLE ${database}.Users`)).trim()).toBe("0");

      writeFileSync(filePath, original);
      expect((await runCli(cli(), ["migrate", "up", ...target], { cwd: project.dir })).code).toBe(0);
      writeFileSync(filePath, original.replace("create table Users", "create the Users table"));
      expect((await runCli(cli(), ["migrate", "hash"], { cwd: project.dir })).code).toBe(0);
      const applied = await runCli(cli(), ["migrate", "up", ...target], { cwd: project.dir });
      expect(applied.code).toBe(4);
      expect(applied.stderr).toContain("MIGRATION_APPLIED_MODIFIED");
      expect(applied.stderr).toContain(file!);

      const status = await runCli(cli(), ["migrate", "status", ...target], { cwd: project.dir });
      expect(status.code).toBe(4);
      expect(status.stdout).toContain("MIGRATION_APPLIED_MODIFIED");
    } finally {
      await db.drop();
    }
  });
});

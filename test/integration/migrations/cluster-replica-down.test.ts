/**
 * A replica that goes down DURING a step, through the real CLI, on a two-replica cluster of this
 * file's own (scripts/clickhouse-cluster with its own MOOSE_CLICKHOUSE_CLUSTER_DIR, so crashing a
 * replica here disturbs no other test):
 *
 * `migrate up` passes its pre-flight (the lock claim reaches both replicas), starts a generated
 * `CREATE TABLE … ON CLUSTER` step, replica 1 runs it, and replica 2 crashes before running it.
 * The step fails after `distributed_ddl_task_timeout` (given on the URL) naming replica 2; the
 * failure cannot be journaled and the lock cannot be released (both need every replica), and the
 * error says so, with how the lock gets free. Replica 2 back, `migrate up` again finishes the
 * migration exactly once: the table on both replicas, each migration journaled applied with one
 * state row, `migrate status` clean through replica 2, the lock free.
 *
 * And a replica that crashes between two steps: Keeper counts it alive until its session ends, so the
 * journal write after the step is accepted and waits for it; the write gives up after the journal's
 * quorum timeout (not the server's 10 minutes), the run stops saying the write's status is unknown,
 * and once the replica is back `migrate up` resumes after the step that ran. A run started right
 * after the crash stops at its lock claim the same way (CLUSTER_REPLICA_DOWN), changing nothing.
 *
 * To have replica 2 crash between the run's last journal write and the step deterministically, its
 * queue of ON CLUSTER statements is held first: a long SELECT on a table of replica 2 keeps an ALTER
 * of that table (queued ON CLUSTER before the run) waiting, and replica 2 runs queued statements in
 * order. Replication, which the journal's quorum needs, is not held.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emptyManifest, type Manifest, type TableSpec } from "../../../src/manifest/types.js";
import { CLUSTER_KEEPER_PATH, CLUSTER_REPLICA_NAME } from "../../../src/sdk/olap-table.js";
import { CLICKHOUSE_CLUSTER_SCRIPT, SERVER_START_TIMEOUT_MS, TEST_CLUSTER, urlWithDatabase } from "../../helpers/clickhouse.js";
import { column, writeHandMigration, type TempProject } from "../../unit/migrations/helpers.js";
import { runCli, spawnCli, useCliProjects } from "./cli.js";

const cliProjects = useCliProjects("moose-replica-down-");
const stateRoot = mkdtempSync(path.join(tmpdir(), "moose-replica-down-cluster-"));
const clusterEnv = { ...process.env, MOOSE_CLICKHOUSE_CLUSTER_DIR: path.join(stateRoot, "cluster") };
/** How long the run's ON CLUSTER statements wait for every host: long enough for Keeper to notice the crash (its 10 s session), short for a test. */
const DDL_TIMEOUT_S = 25;
let replicas: string[];
/** Each replica as system.clusters and the step's error name it (`127.0.0.1:<native port>`), by replica index. */
let hosts: string[];

function clusterScript(...args: string[]): Promise<{ stdout: string }> {
  return promisify(execFile)("bash", [CLICKHOUSE_CLUSTER_SCRIPT, ...args], { env: clusterEnv, timeout: SERVER_START_TIMEOUT_MS });
}

beforeAll(async () => {
  replicas = (await clusterScript("start", "--replicas", "2")).stdout.trim().split("\n");
  const byUrl = new Map((await clusterScript("hosts")).stdout.trim().split("\n").map((line) => line.split(" ").reverse() as [string, string]));
  hosts = replicas.map((url) => byUrl.get(url)!);
}, SERVER_START_TIMEOUT_MS);

afterAll(async () => {
  await clusterScript("stop");
  rmSync(stateRoot, { recursive: true, force: true });
}, 120_000);

/** One statement on one replica, in `database`, over plain HTTP: its rows as TSV cells. */
async function query(url: string, database: string, sql: string, settings: Record<string, string> = {}): Promise<string[][]> {
  const { protocol, host } = new URL(url);
  const params = new URLSearchParams({ database, ...settings });
  const response = await fetch(`${protocol}//${host}/?${params}`, { method: "POST", body: sql });
  const text = await response.text();
  if (!response.ok) throw new Error(`ClickHouse server: ${text}`);
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.split("\t"));
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting until ${what}`);
}

function replicatedTable(name: string): TableSpec {
  return {
    name,
    columns: [column("id", "String"), column("at", "DateTime")],
    orderBy: ["id"],
    engine: { name: "ReplicatedMergeTree", params: [`'${CLUSTER_KEEPER_PATH}'`, `'${CLUSTER_REPLICA_NAME}'`] },
    settings: {},
    indexes: [],
    cluster: TEST_CLUSTER,
    lifeCycle: "FULLY_MANAGED",
  };
}

function manifestOf(...tables: TableSpec[]): Manifest {
  return { ...emptyManifest(), tables: Object.fromEntries(tables.map((spec) => [spec.name, spec])) };
}

function moose(project: TempProject, args: string[]) {
  return runCli(cliProjects.cli(), args, { cwd: project.dir });
}

async function generate(project: TempProject, manifest: Manifest, name: string): Promise<void> {
  writeFileSync(path.join(project.dir, `${name}.json`), JSON.stringify(manifest));
  const generated = await moose(project, ["migrate", "generate", "--manifest", `${name}.json`, "--name", name]);
  expect(generated.stderr).toBe("");
  expect(generated.code).toBe(0);
}

/**
 * Holds replica 2's queue of ON CLUSTER statements: a SELECT on its table Blocker that takes a second
 * per row (ended by the crash), and an ALTER of Blocker queued ON CLUSTER behind it, which replica 2
 * cannot run before the SELECT ends. Statements queued later wait behind that ALTER on replica 2.
 */
async function holdReplicaTwoQueue(database: string): Promise<void> {
  const [first, second] = replicas as [string, string];
  await query(first, database, `CREATE TABLE Blocker ON CLUSTER ${TEST_CLUSTER}_sharded (n UInt32) ENGINE = MergeTree ORDER BY n`);
  await query(second, database, "INSERT INTO Blocker SELECT number FROM numbers(300)");
  // Not awaited: it runs until replica 2 crashes.
  query(second, database, "SELECT count() FROM Blocker WHERE sleep(1) = 0", { max_block_size: "1", query_id: `hold-${database}` }).catch(() => undefined);
  await until("replica 2 runs the holding SELECT", async () => (await query(second, database, `SELECT count() FROM system.processes WHERE query_id = 'hold-${database}'`))[0]![0] === "1");
  // Done on replica 1, waiting on replica 2: the statement's own wait gives up at once.
  await query(first, database, `ALTER TABLE Blocker ON CLUSTER ${TEST_CLUSTER}_sharded ADD COLUMN held UInt8`, { distributed_ddl_task_timeout: "1" }).catch(() => undefined);
}

/** A database on every replica, and a project whose config lists the cluster. */
async function clusterProject(): Promise<{ database: string; project: TempProject }> {
  const database = `moose_down_${Math.random().toString(16).slice(2, 10)}`;
  await query(replicas[0]!, "default", `CREATE DATABASE ${database} ON CLUSTER ${TEST_CLUSTER}`);
  const project = cliProjects.newProject();
  writeFileSync(path.join(project.dir, "moose.config.toml"), `[features]\nstreaming_engine = false\n\n[[clickhouse_config.clusters]]\nname = "${TEST_CLUSTER}"\n`);
  return { database, project };
}

describe("a replica down during a step", () => {
  it("fails the step naming the replica and saying what could not be written; back up, migrate up finishes the migration once, the lock free", async () => {
    const [first, second] = replicas as [string, string];
    const { database, project } = await clusterProject();
    // The URL's query parameters are ClickHouse settings for every statement of the run.
    const target = `${urlWithDatabase(first, database)}?distributed_ddl_task_timeout=${DDL_TIMEOUT_S}`;

    await generate(project, manifestOf(replicatedTable("Users")), "create_users");
    const created = await moose(project, ["migrate", "up", "--clickhouse-url", target]);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    await generate(project, manifestOf(replicatedTable("Users"), replicatedTable("Events")), "create_events");
    const eventsFile = readdirSync(project.layout.dir).find((file) => file.endsWith("_create_events.ts"))!;
    expect(readFileSync(path.join(project.layout.dir, eventsFile), "utf8")).toContain(`CREATE TABLE IF NOT EXISTS Events ON CLUSTER ${TEST_CLUSTER}`);
    const eventsId = eventsFile.replace(/\.ts$/, "");

    await holdReplicaTwoQueue(database);
    const run = spawnCli(cliProjects.cli(), ["migrate", "up", "--clickhouse-url", target], { cwd: project.dir });
    let runEnded = false;
    void run.exit.then(() => (runEnded = true));
    let failed: { code: number | null };
    try {
      // Replica 1 ran the step; replica 2 holds it in its queue. Now replica 2 crashes.
      await until("replica 1 has Events", async () => (await query(first, database, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'Events'"))[0]![0] === "1");
      expect(runEnded).toBe(false);
      await clusterScript("kill-replica", "2");
      failed = await run.exit;
    } finally {
      await clusterScript("start-replica", "2");
    }

    const stderr = run.stderr();
    expect(failed.code).toBe(1);
    expect(stderr).toContain("MIGRATION_STEP_FAILED");
    expect(stderr).toContain(`step 1 of 1 (create table Events`);
    expect(stderr).toContain(`${hosts[1]}: no answer within distributed_ddl_task_timeout`);
    expect(stderr).toContain(`done on ${hosts[0]}`);
    expect(stderr).toContain("could not be journaled");
    expect(stderr).toContain("less than requested quorum");
    expect(stderr).toContain("bring the replica back (every replica must be up for the journal), then run the command again: it resumes at step 1, ON CLUSTER again on every host");
    expect(stderr).toContain("the migration lock could not be released");
    expect(stderr).toContain("moose migrate unlock");
    // Nothing after the step's start reached the journal: it still says running at step 1.
    expect(await query(first, database, `SELECT status, steps_done FROM _moose_migrations WHERE id = '${eventsId}' ORDER BY version DESC LIMIT 1`)).toEqual([["running", "0"]]);

    await until("replica 1 sees replica 2's journal active again", async () =>
      (await query(first, database, "SELECT min(active_replicas) FROM system.replicas WHERE database = currentDatabase() AND table LIKE '\\_moose\\_%'"))[0]![0] === "2",
    );
    // The failed run's claim is still live, as its error said; a run from this host takes it over (its process is gone).
    const stuck = await moose(project, ["migrate", "status", "--clickhouse-url", target, "--json"]);
    expect((JSON.parse(stuck.stdout) as { lock: { owner: string } | null }).lock?.owner).toBe(`${hostname()}:${run.child.pid}`);
    const resumed = await moose(project, ["migrate", "up", "--clickhouse-url", target]);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);

    for (const url of replicas) {
      expect(await query(url, database, "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'Events' ORDER BY name")).toEqual([
        ["at", "DateTime"],
        ["id", "String"],
      ]);
      await query(url, database, "SYSTEM SYNC REPLICA _moose_state");
      // One state row per migration: each was finished once.
      expect(await query(url, database, "SELECT migration_id, count() FROM _moose_state GROUP BY migration_id ORDER BY migration_id")).toEqual(
        readdirSync(project.layout.dir)
          .filter((file) => file.endsWith(".ts"))
          .sort()
          .map((file) => [file.replace(/\.ts$/, ""), "1"]),
      );
    }
    const status = await moose(project, ["migrate", "status", "--clickhouse-url", urlWithDatabase(second, database), "--json"]);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as { migrations: Array<{ id: string; status: string; stepsDone: number }>; lock: unknown };
    expect(report.migrations.map(({ status: state, stepsDone }) => ({ state, stepsDone }))).toEqual([
      { state: "applied", stepsDone: 1 },
      { state: "applied", stepsDone: 1 },
    ]);
    expect(report.lock).toBeNull();
  }, 240_000);

  it("crashed between two steps: the journal write after the step gives up on it in seconds, and the run resumes after that step once it is back", async () => {
    const [first] = replicas as [string, string];
    const { database, project } = await clusterProject();
    const target = `${urlWithDatabase(first, database)}?distributed_ddl_task_timeout=${DDL_TIMEOUT_S}`;
    const crashes = path.join(project.dir, "crashes.log");
    // The crash step appends to crashes.log each time it runs, and crashes replica 2 only the first time.
    await writeHandMigration(project.layout, "20260101T000000Z_crash_then_create", {
      after: manifestOf(replicatedTable("Events")),
      up: `    { summary: "crash replica 2", run: async () => {
      const { appendFileSync, existsSync } = await import("node:fs");
      const { execFileSync } = await import("node:child_process");
      const first = !existsSync(process.env.CRASHES_LOG);
      appendFileSync(process.env.CRASHES_LOG, "ran\\n");
      if (first) execFileSync("bash", [process.env.CLUSTER_SCRIPT, "kill-replica", "2"]);
    } },
    { sql: \`CREATE TABLE IF NOT EXISTS Events ON CLUSTER ${TEST_CLUSTER} (id String, at DateTime) ENGINE = ReplicatedMergeTree('${CLUSTER_KEEPER_PATH}', '${CLUSTER_REPLICA_NAME}') ORDER BY id\` },`,
    });
    const env = { ...clusterEnv, CRASHES_LOG: crashes, CLUSTER_SCRIPT: CLICKHOUSE_CLUSTER_SCRIPT };
    let failed: { code: number | null; stderr: string };
    try {
      failed = await runCli(cliProjects.cli(), ["migrate", "up", "--clickhouse-url", target], { cwd: project.dir, env });
    } finally {
      await clusterScript("start-replica", "2");
    }
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("MIGRATION_JOURNAL_WRITE_FAILED");
    expect(failed.stderr).toContain("step 1 of 2 ran, but writing that to the journal failed");
    expect(failed.stderr).toContain("Timeout while waiting for quorum");
    expect(failed.stderr).toContain("the others get it when they are back: the run then resumes after step 1");
    expect(failed.stderr).toContain("the migration lock could not be released");
    expect(await query(first, database, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'Events'")).toEqual([["0"]]);

    await until("replica 1 sees replica 2's journal active again", async () =>
      (await query(first, database, "SELECT min(active_replicas) FROM system.replicas WHERE database = currentDatabase() AND table LIKE '\\_moose\\_%'"))[0]![0] === "2",
    );
    const resumed = await runCli(cliProjects.cli(), ["migrate", "up", "--clickhouse-url", target], { cwd: project.dir, env });
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    for (const url of replicas) {
      expect(await query(url, database, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'Events'")).toEqual([["1"]]);
    }
    const status = await moose(project, ["migrate", "status", "--clickhouse-url", urlWithDatabase(replicas[1]!, database), "--json"]);
    const report = JSON.parse(status.stdout) as { migrations: Array<{ status: string; stepsDone: number }>; lock: unknown };
    expect(report.migrations.map(({ status: state, stepsDone }) => ({ state, stepsDone }))).toEqual([{ state: "applied", stepsDone: 2 }]);
    expect(report.lock).toBeNull();
    // The unconfirmed write "step 1 ran" was on replica 1 and reached replica 2 when it came back: the run resumed at step 2.
    expect(readFileSync(crashes, "utf8")).toBe("ran\n");
  }, 240_000);

  it("crashed just before a run: the lock claim gives up on it in seconds with CLUSTER_REPLICA_DOWN; back up, the run applies", async () => {
    const [first] = replicas as [string, string];
    const { database, project } = await clusterProject();
    const target = urlWithDatabase(first, database);
    await generate(project, manifestOf(replicatedTable("Users")), "create_users");
    expect((await moose(project, ["migrate", "up", "--clickhouse-url", target])).code).toBe(0);
    await generate(project, manifestOf(replicatedTable("Users"), replicatedTable("Events")), "create_events");

    let refused: { code: number | null; stderr: string };
    await clusterScript("kill-replica", "2");
    try {
      refused = await moose(project, ["migrate", "up", "--clickhouse-url", target]);
    } finally {
      await clusterScript("start-replica", "2");
    }
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("CLUSTER_REPLICA_DOWN");
    expect(refused.stderr).toContain("Timeout while waiting for quorum");
    expect(await query(first, database, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'Events'")).toEqual([["0"]]);

    await until("replica 1 sees replica 2's journal active again", async () =>
      (await query(first, database, "SELECT min(active_replicas) FROM system.replicas WHERE database = currentDatabase() AND table LIKE '\\_moose\\_%'"))[0]![0] === "2",
    );
    const applied = await moose(project, ["migrate", "up", "--clickhouse-url", target]);
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    for (const url of replicas) {
      expect(await query(url, database, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'Events'")).toEqual([["1"]]);
    }
  }, 240_000);
});

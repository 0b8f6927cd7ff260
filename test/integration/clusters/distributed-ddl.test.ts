/**
 * ON CLUSTER statements host by host, on a real cluster (scripts/clickhouse-cluster: ZooKeeper and
 * two Debian 18.16 replicas of `moose_cluster`):
 *
 * - every host's result is read, not only the first failure the server reports over HTTP: a
 *   statement that fails on both hosts names both; one that fails on replica 2 only says it was
 *   done on replica 1; a replica down during the statement is named as not answering, and runs
 *   the queued statement once back; an ADD COLUMN is not counted as done when one host already
 *   had the column but another failed for another reason; a generated column change resumed on
 *   one host is sent to that host alone and checks that host's columns;
 * - through the CLI: a step done on replica 1 and failed on replica 2 is journaled per host
 *   (`migrate status` shows it); once fixed, `migrate up` resumes it on replica 2 alone — the step
 *   would fail on replica 1 if it were sent there again — and the journal says so;
 * - a step edited since it failed runs ON CLUSTER again on every host;
 * - a host that cannot be reached for the resume fails the step naming it, and the per-host
 *   journal is kept for the next run;
 * - a journal written before per-host results existed is read as it is and gets their column on
 *   the next run.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addColumnSql } from "../../../src/infra/clickhouse/ddl.js";
import { runOnCluster, clusterFailureOf } from "../../../src/infra/clickhouse/distributed-ddl.js";
import { executeSqlStep } from "../../../src/infra/clickhouse/executor.js";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { openRemote } from "../../../src/infra/clickhouse/remote.js";
import type { MigrationsStatus } from "../../../src/migrations/runner/status.js";
import { CLICKHOUSE_CLUSTER_SCRIPT, serverExec, SERVER_START_TIMEOUT_MS, TEST_CLUSTER, testClusterUrls, urlWithDatabase, useClusterDatabases } from "../../helpers/clickhouse.js";
import { usersV1, writeHandMigration, type TempProject } from "../../unit/migrations/helpers.js";
import { runCli, useCliProjects } from "../migrations/cli.js";

const cliProjects = useCliProjects("moose-distributed-ddl-");
let replicas: string[];
/** Each replica as system.clusters and the ON CLUSTER results name it (`127.0.0.1:<native port>`), by replica index. */
let hosts: string[];
/** A database on every replica (ON CLUSTER), dropped after the file. */
const { create: clusterDatabase } = useClusterDatabases("moose_ddl", () => replicas[0]!);
const drivers: ClickHouseDriver[] = [];

beforeAll(async () => {
  replicas = await testClusterUrls();
  const { stdout } = await promisify(execFile)("bash", [CLICKHOUSE_CLUSTER_SCRIPT, "hosts"]);
  const byUrl = new Map(stdout.trim().split("\n").map((line) => line.split(" ").reverse() as [string, string]));
  hosts = replicas.map((url) => {
    const host = byUrl.get(url);
    if (host === undefined) throw new Error(`scripts/clickhouse-cluster hosts does not list ${url}: the cluster tests run against another cluster`);
    return host;
  });
}, SERVER_START_TIMEOUT_MS);

afterAll(async () => {
  for (const driver of drivers) await driver.close();
});

/** One statement on one replica, in `database`; its TSV output. */
async function execIn(url: string, database: string, sql: string): Promise<string> {
  const parsed = new URL(url);
  const response = await fetch(`${parsed.protocol}//${parsed.host}/?database=${database}`, { method: "POST", body: sql });
  const text = await response.text();
  if (!response.ok) throw new Error(`ClickHouse server: ${text}`);
  return text;
}

async function tablesOn(url: string, database: string): Promise<string[]> {
  return (await execIn(url, database, "SELECT name FROM system.tables WHERE database = currentDatabase() AND name NOT LIKE '\\_moose\\_%' ORDER BY name")).split("\n").filter(Boolean);
}

describe("every host's result of an ON CLUSTER statement", () => {
  it("names every failed host, not only the first one the server reports, and the hosts where it was done", async () => {
    const database = await clusterDatabase();
    const driver = await openRemote({ url: urlWithDatabase(replicas[0]!, database) });
    drivers.push(driver);

    const created = await runOnCluster(driver, `CREATE TABLE Both ON CLUSTER ${TEST_CLUSTER} (x UInt8) ENGINE = MergeTree ORDER BY x`, TEST_CLUSTER);
    expect(created.map((outcome) => outcome.host).sort()).toEqual([...hosts].sort());
    expect(created.every((outcome) => outcome.ok)).toBe(true);

    // Both hosts have it now: both fail, and both are named.
    const twice = await runOnCluster(driver, `CREATE TABLE Both ON CLUSTER ${TEST_CLUSTER} (x UInt8) ENGINE = MergeTree ORDER BY x`, TEST_CLUSTER).catch((error: unknown) => error);
    const both = clusterFailureOf(twice);
    expect(both?.hosts.map(({ host, ok, code }) => ({ host, ok, code })).sort((a, b) => a.host.localeCompare(b.host))).toEqual(
      [...hosts].sort().map((host) => ({ host, ok: false, code: 57 })),
    );
    for (const host of hosts) expect((twice as Error).message).toContain(host);

    // Only replica 2 has it: done on replica 1, failed on replica 2.
    await execIn(replicas[1]!, database, "CREATE TABLE Second (x UInt8) ENGINE = MergeTree ORDER BY x");
    const partly = await runOnCluster(driver, `CREATE TABLE Second ON CLUSTER ${TEST_CLUSTER} (x UInt8) ENGINE = MergeTree ORDER BY x`, TEST_CLUSTER).catch((error: unknown) => error);
    const failure = clusterFailureOf(partly);
    expect(failure?.cluster).toBe(TEST_CLUSTER);
    expect(failure?.hosts.find((outcome) => outcome.host === hosts[0])).toEqual({ host: hosts[0], ok: true });
    expect(failure?.hosts.find((outcome) => outcome.host === hosts[1])).toMatchObject({ host: hosts[1], ok: false, code: 57 });
    expect((partly as Error).message).toContain(`failed on ${hosts[1]} (1 of 2 hosts of cluster ${TEST_CLUSTER}; done on ${hosts[0]})`);
  });

  it("names a replica that is down during the step as not answering; back up, it runs the queued statement", async () => {
    const database = await clusterDatabase();
    // A short wait for the hosts, so the step gives up on the stopped replica in seconds, not 3 minutes.
    const driver = await openRemote({ url: urlWithDatabase(replicas[0]!, database), settings: { distributed_ddl_task_timeout: "3" } });
    drivers.push(driver);
    const clusterScript = (...args: string[]) => promisify(execFile)("bash", [CLICKHOUSE_CLUSTER_SCRIPT, ...args], { timeout: 120_000 });
    await clusterScript("stop-replica", "2");
    let error: unknown;
    try {
      error = await runOnCluster(driver, `CREATE TABLE IF NOT EXISTS During ON CLUSTER ${TEST_CLUSTER} (x UInt8) ENGINE = MergeTree ORDER BY x`, TEST_CLUSTER).catch((caught: unknown) => caught);
    } finally {
      await clusterScript("start-replica", "2");
    }
    const failure = clusterFailureOf(error);
    expect(failure?.hosts.find((outcome) => outcome.host === hosts[0])).toEqual({ host: hosts[0], ok: true });
    expect(failure?.hosts.find((outcome) => outcome.host === hosts[1])).toMatchObject({ ok: false, error: expect.stringContaining("no answer") });
    expect((error as Error).message).toContain(`failed on ${hosts[1]} (1 of 2 hosts of cluster ${TEST_CLUSTER}; done on ${hosts[0]})`);
    // The task stays queued in Keeper: the replica runs it once it is back.
    for (let attempt = 0; attempt < 300 && (await tablesOn(replicas[1]!, database)).length === 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await tablesOn(replicas[1]!, database)).toEqual(["During"]);
  }, 120_000);

  it("an ADD COLUMN that one host already has is not counted as done when another host failed for another reason", async () => {
    // `moose_cluster_sharded`: each server a shard of its own, so an ALTER on one does not reach the other.
    const sharded = "moose_cluster_sharded";
    const database = `moose_ddl_sharded_${Math.random().toString(16).slice(2, 10)}`;
    await serverExec(replicas[0]!, `CREATE DATABASE ${database} ON CLUSTER ${sharded}`);
    const driver = await openRemote({ url: urlWithDatabase(replicas[0]!, database) });
    try {
      await driver.exec(`CREATE TABLE Events ON CLUSTER ${sharded} (id String) ENGINE = MergeTree ORDER BY id`);
      await driver.exec("ALTER TABLE Events ADD COLUMN n Int32");
      await execIn(replicas[1]!, database, "DROP TABLE Events");
      const error = await executeSqlStep(driver, {
        sql: addColumnSql("Events", { name: "n", type: "Int32", nullable: false }, undefined, sharded),
        cause: { operation: "addColumn", target: "Events", risk: "safe", cluster: sharded, column: { table: "Events", name: "n" } },
      }).catch((caught: unknown) => caught);
      const failure = clusterFailureOf(error);
      // Replica 1: "column already there" (done before); replica 2: no such table (60), which no resume of the ADD fixes.
      expect(failure?.hosts.find((outcome) => outcome.host === hosts[1])).toMatchObject({ ok: false, code: 60 });
      expect(failure?.hosts.find((outcome) => outcome.host === hosts[0])?.ok).toBe(false);
    } finally {
      await driver.close();
      await serverExec(replicas[0]!, `DROP DATABASE IF EXISTS ${database} ON CLUSTER ${sharded}`);
    }
  });

  it("a generated column change resumed on one host runs there alone, with that host's own column check (18.16: no IF NOT EXISTS)", async () => {
    const sharded = "moose_cluster_sharded";
    const database = `moose_ddl_sharded_${Math.random().toString(16).slice(2, 10)}`;
    await serverExec(replicas[0]!, `CREATE DATABASE ${database} ON CLUSTER ${sharded}`);
    const driver = await openRemote({ url: urlWithDatabase(replicas[0]!, database) });
    const step = {
      sql: addColumnSql("Events", { name: "n", type: "Int32", nullable: false }, undefined, sharded),
      cause: { operation: "addColumn", target: "Events", risk: "safe", cluster: sharded, column: { table: "Events", name: "n" } },
    } as const;
    try {
      // Replica 2 lacks the table: the ADD is done on replica 1 only.
      await execIn(replicas[0]!, database, "CREATE TABLE Events (id String) ENGINE = MergeTree ORDER BY id");
      const failure = clusterFailureOf(await executeSqlStep(driver, step).catch((caught: unknown) => caught));
      expect(failure?.hosts.map(({ host, ok }) => ({ host, ok }))).toEqual(hosts.map((host, index) => ({ host, ok: index === 0 })));

      await execIn(replicas[1]!, database, "CREATE TABLE Events (id String) ENGINE = MergeTree ORDER BY id");
      // Sent ON CLUSTER again, replica 1 would answer "column already there"; resumed on replica 2 alone, nothing fails.
      const connected: string[] = [];
      await executeSqlStep(driver, step, undefined, {
        hosts: [hosts[1]!],
        connect: async (host) => {
          connected.push(host);
          return openRemote({ url: urlWithDatabase(replicas[1]!, database) });
        },
      });
      expect(connected).toEqual([hosts[1]]);
      for (const url of replicas) {
        expect(await execIn(url, database, "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'Events' ORDER BY name")).toBe("id\nn\n");
      }
    } finally {
      await driver.close();
      await serverExec(replicas[0]!, `DROP DATABASE IF EXISTS ${database} ON CLUSTER ${sharded}`);
    }
  });
});

describe("a step done on replica 1 and failed on replica 2", () => {
  /** A project on the test cluster; `addresses` is the cluster's hosts table (host → HTTP URL). */
  function clusterProject(addresses: Record<string, string>): TempProject {
    const project = cliProjects.newProject();
    writeClusterConfig(project, addresses);
    return project;
  }

  function writeClusterConfig(project: TempProject, addresses: Record<string, string>): void {
    const table = Object.entries(addresses)
      .map(([host, url]) => `"${host}" = "${url}"`)
      .join(", ");
    writeFileSync(
      path.join(project.dir, "moose.config.toml"),
      `[features]\nstreaming_engine = false\n\n[[clickhouse_config.clusters]]\nname = "${TEST_CLUSTER}"\nhosts = { ${table} }\n`,
    );
  }

  /**
   * A migration whose step creates `Marker` ON CLUSTER without IF NOT EXISTS: a host that has it
   * fails the step, so a resume sent to replica 1 again would fail there.
   */
  async function markerMigration(project: TempProject, ifNotExists = false): Promise<void> {
    const sql = `CREATE TABLE ${ifNotExists ? "IF NOT EXISTS " : ""}Marker ON CLUSTER ${TEST_CLUSTER} (x UInt8) ENGINE = MergeTree ORDER BY x`;
    const cause = `{ operation: "createTable", target: "Marker", risk: "safe", cluster: "${TEST_CLUSTER}" }`;
    await writeHandMigration(project.layout, "20260101T000000Z_marker", { after: usersV1, up: `    { sql: \`${sql}\`, cause: ${cause} },` });
  }

  function moose(project: TempProject, args: string[]) {
    return runCli(cliProjects.cli(), args, { cwd: project.dir });
  }

  async function status(project: TempProject, url: string): Promise<MigrationsStatus["migrations"][number]> {
    const result = await moose(project, ["migrate", "status", "--clickhouse-url", url, "--json"]);
    return (JSON.parse(result.stdout) as MigrationsStatus).migrations[0]!;
  }

  it("is journaled per host, and resumed on replica 2 alone once fixed", async () => {
    const database = await clusterDatabase();
    const first = urlWithDatabase(replicas[0]!, database);
    const project = clusterProject({ [hosts[0]!]: replicas[0]!, [hosts[1]!]: replicas[1]! });
    await markerMigration(project);
    await execIn(replicas[1]!, database, "CREATE TABLE Marker (x UInt8) ENGINE = MergeTree ORDER BY x");

    const failed = await moose(project, ["migrate", "up", "--clickhouse-url", first]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("CLUSTER_DDL_FAILED");
    expect(failed.stderr).toContain(`failed on ${hosts[1]} (1 of 2 hosts of cluster ${TEST_CLUSTER}; done on ${hosts[0]})`);
    expect(failed.stderr).toContain(`${hosts[1]}: code 57`);
    expect(await status(project, first)).toMatchObject({
      status: "failed",
      stepsDone: 0,
      hosts: { step: 0, cluster: TEST_CLUSTER, done: [hosts[0]], failed: [{ host: hosts[1], code: 57 }] },
    });
    const text = await moose(project, ["migrate", "status", "--clickhouse-url", first]);
    expect(text.stdout).toContain(`step 1 on cluster ${TEST_CLUSTER}; done on ${hosts[0]}; failed on ${hosts[1]} (code 57)`);

    // The fix: replica 2's conflicting table goes. Replica 1 keeps the Marker the step made there,
    // so the statement sent there again would fail with code 57: the resume succeeds only if it is not.
    await execIn(replicas[1]!, database, "DROP TABLE Marker");
    const resumed = await moose(project, ["migrate", "up", "--clickhouse-url", first]);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`resuming it on ${hosts[1]} only`);
    for (const url of replicas) expect(await tablesOn(url, database)).toEqual(["Marker"]);
    expect(await status(project, first)).toMatchObject({
      status: "applied",
      hosts: { step: 0, cluster: TEST_CLUSTER, done: [hosts[0], hosts[1]], failed: [], retried: [hosts[1]] },
    });
  }, 120_000);

  it("runs a step edited since it failed ON CLUSTER again, on every host (the hosts where it was done ran the old one)", async () => {
    const database = await clusterDatabase();
    const first = urlWithDatabase(replicas[0]!, database);
    const project = clusterProject({ [hosts[0]!]: replicas[0]!, [hosts[1]!]: replicas[1]! });
    await markerMigration(project);
    await execIn(replicas[1]!, database, "CREATE TABLE Marker (x UInt8) ENGINE = MergeTree ORDER BY x");
    expect((await moose(project, ["migrate", "up", "--clickhouse-url", first])).code).toBe(1);

    await markerMigration(project, true);
    const resumed = await moose(project, ["migrate", "up", "--clickhouse-url", first]);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`step 1 changed since it ran on ${hosts[0]}: it runs ON CLUSTER again, on every host`);
    const applied = await status(project, first);
    expect(applied.status).toBe("applied");
    expect(applied.hosts).toBeUndefined();
  }, 120_000);

  it("fails naming a host that cannot be reached for the resume, keeps the per-host journal, and resumes once it can be", async () => {
    const database = await clusterDatabase();
    const first = urlWithDatabase(replicas[0]!, database);
    // Replica 2's address is a port nothing listens on.
    const deadPort = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const project = clusterProject({ [hosts[0]!]: replicas[0]!, [hosts[1]!]: `http://127.0.0.1:${deadPort}` });
    await markerMigration(project);
    await execIn(replicas[1]!, database, "CREATE TABLE Marker (x UInt8) ENGINE = MergeTree ORDER BY x");
    expect((await moose(project, ["migrate", "up", "--clickhouse-url", first])).code).toBe(1);
    await execIn(replicas[1]!, database, "DROP TABLE Marker");

    const unreachable = await moose(project, ["migrate", "up", "--clickhouse-url", first]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain(`${hosts[1]}: Cannot reach ClickHouse at 127.0.0.1:${deadPort}`);
    expect(await status(project, first)).toMatchObject({
      status: "failed",
      hosts: { step: 0, done: [hosts[0]], failed: [{ host: hosts[1] }], retried: [hosts[1]] },
    });
    expect(await tablesOn(replicas[1]!, database)).toEqual([]);

    writeClusterConfig(project, { [hosts[0]!]: replicas[0]!, [hosts[1]!]: replicas[1]! });
    const resumed = await moose(project, ["migrate", "up", "--clickhouse-url", first]);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    for (const url of replicas) expect(await tablesOn(url, database)).toEqual(["Marker"]);
  }, 120_000);
});

describe("a journal from before per-host results", () => {
  it("is read as it is, and gets the host_results column on every replica with the next run", async () => {
    const database = await clusterDatabase();
    const first = urlWithDatabase(replicas[0]!, database);
    // _moose_migrations as moose-ts created it before the column existed.
    await execIn(
      replicas[0]!,
      database,
      `CREATE TABLE _moose_migrations ON CLUSTER ${TEST_CLUSTER} (id String, checksum String, from_hash String, to_hash String, status String, steps_done UInt32, done_hash String, started_at DateTime, finished_at DateTime, duration_ms UInt64, applied_by String, error String, failed_step String, version UInt64) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/moose-ts/{database}/_moose_migrations', '{shard}_{replica}', version) ORDER BY id`,
    );
    const project = cliProjects.newProject();
    writeFileSync(path.join(project.dir, "moose.config.toml"), `[features]\nstreaming_engine = false\n\n[[clickhouse_config.clusters]]\nname = "${TEST_CLUSTER}"\n`);
    await writeHandMigration(project.layout, "20260101T000000Z_note", { after: usersV1, up: `    { note: "nothing to run" },` });
    const moose = (args: string[]) => runCli(cliProjects.cli(), args, { cwd: project.dir });

    const before = await moose(["migrate", "status", "--clickhouse-url", first, "--json"]);
    expect(before.code).toBe(0);
    expect((JSON.parse(before.stdout) as MigrationsStatus).migrations.map((migration) => migration.status)).toEqual(["pending"]);

    const applied = await moose(["migrate", "up", "--clickhouse-url", first]);
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    for (const url of replicas) {
      await execIn(url, database, "SYSTEM SYNC REPLICA _moose_migrations");
      expect(await execIn(url, database, "SELECT type FROM system.columns WHERE database = currentDatabase() AND table = '_moose_migrations' AND name = 'host_results'")).toBe("String\n");
    }
    const after = await moose(["migrate", "status", "--clickhouse-url", first, "--json"]);
    expect((JSON.parse(after.stdout) as MigrationsStatus).migrations.map((migration) => migration.status)).toEqual(["applied"]);
  }, 120_000);
});

/**
 * Migrations on a real ClickHouse cluster (scripts/clickhouse-cluster: ZooKeeper and two Debian
 * 18.16 replicas of one shard), through the real CLI in child processes:
 *
 * - a generated chain (create, add column, type change, rebuild, drop column, drop table) on a
 *   ReplicatedMergeTree table `cluster: moose_cluster`, applied through replica 1, is seen on
 *   replica 2: schema, rows, and the journal (status through replica 2 has nothing pending);
 * - a journal cluster the server does not have stops `migrate up` before anything is written;
 * - two `migrate up` started at once, one through each replica, apply every migration exactly
 *   once: the journal and lock are replicated with an all-replica quorum;
 * - with replica 2 down, `migrate up` through replica 1 changes nothing (no write reaches its
 *   quorum); with replica 2 back, the same command applies the migration on both.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { hashManifest } from "../../../src/manifest/canonical.js";
import { emptyManifest, type ColumnSpec, type Manifest, type TableSpec } from "../../../src/manifest/types.js";
import { CLUSTER_KEEPER_PATH, CLUSTER_REPLICA_NAME } from "../../../src/sdk/olap-table.js";
import { CLICKHOUSE_CLUSTER_SCRIPT, SERVER_START_TIMEOUT_MS, TEST_CLUSTER, testClusterUrls, urlWithDatabase, useClusterDatabases } from "../../helpers/clickhouse.js";
import { usersV1, usersV2, writeHandMigration, type TempProject } from "../../unit/migrations/helpers.js";
import { runCli, spawnCli, useCliProjects } from "./cli.js";

const cliProjects = useCliProjects("moose-migrate-cluster-");
let replicas: string[];
/** A database on every replica (ON CLUSTER), dropped after the file. */
const { create: clusterDatabase } = useClusterDatabases("moose_cluster", () => replicas[0]!);

beforeAll(async () => {
  replicas = await testClusterUrls();
}, SERVER_START_TIMEOUT_MS);


/** A project whose config lists the test cluster (no Kafka: the chain is ClickHouse only). */
function clusterProject(): TempProject {
  const project = cliProjects.newProject();
  writeFileSync(
    path.join(project.dir, "moose.config.toml"),
    `[features]\nstreaming_engine = false\n\n[[clickhouse_config.clusters]]\nname = "${TEST_CLUSTER}"\n`,
  );
  return project;
}

function moose(project: TempProject, args: string[]) {
  return runCli(cliProjects.cli(), args, { cwd: project.dir });
}

/** One statement on one replica, in `database`, over plain HTTP; its output. */
async function execIn(url: string, database: string, sql: string): Promise<string> {
  const parsed = new URL(url);
  const response = await fetch(`${parsed.protocol}//${parsed.host}/?database=${database}`, { method: "POST", body: sql });
  const text = await response.text();
  if (!response.ok) throw new Error(`ClickHouse server: ${text}`);
  return text;
}

/** A SELECT on one replica: rows as TSV cells. */
async function queryIn(url: string, database: string, sql: string): Promise<string[][]> {
  const text = await execIn(url, database, `${sql} FORMAT TSV`);
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.split("\t"));
}

function column(name: string, type: string, nullable = false): ColumnSpec {
  return { name, type, nullable };
}

function users(columns: ColumnSpec[], orderBy = ["id"]): Manifest {
  const spec: TableSpec = {
    name: "Users",
    columns,
    orderBy,
    engine: { name: "ReplicatedMergeTree", params: [`'${CLUSTER_KEEPER_PATH}'`, `'${CLUSTER_REPLICA_NAME}'`] },
    settings: {},
    indexes: [],
    cluster: TEST_CLUSTER,
    lifeCycle: "FULLY_MANAGED",
  };
  return { ...emptyManifest(), tables: { Users: spec } };
}

/** `moose migrate generate` from a manifest file; returns the new migration's file name. */
async function generate(project: TempProject, manifest: Manifest, name: string): Promise<string> {
  writeFileSync(path.join(project.dir, `${name}.json`), JSON.stringify(manifest));
  const generated = await moose(project, ["migrate", "generate", "--manifest", `${name}.json`, "--name", name, "--allow-data-loss"]);
  expect(generated.stderr).toBe("");
  expect(generated.code).toBe(0);
  return generated.stdout;
}

describe("a migration chain on a two-replica cluster", () => {
  it("create, add column, type change, rebuild, drop column through replica 1 → replica 2 has the schema, the rows and the journal; drop table reaches it too", async () => {
    const database = await clusterDatabase();
    const project = clusterProject();
    const [first, second] = replicas.map((url) => urlWithDatabase(url, database)) as [string, string];

    await generate(project, users([column("id", "String"), column("name", "String")]), "create_users");
    const created = await moose(project, ["migrate", "up", "--clickhouse-url", first]);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    await execIn(replicas[0]!, database, "INSERT INTO Users (id, name) VALUES ('u1', 'Ada'), ('u2', 'Grace')");

    await generate(project, users([column("id", "String"), column("name", "String"), column("age", "Int32")]), "add_age");
    await generate(project, users([column("id", "String"), column("name", "String"), column("age", "Int64")]), "widen_age");
    // A new ORDER BY: a data-keeping rebuild (copy, then a RENAME swap on every host: 18.16 has no EXCHANGE TABLES).
    await generate(project, users([column("id", "String"), column("name", "String"), column("age", "Int64")], ["id", "age"]), "reorder");
    await generate(project, users([column("id", "String"), column("age", "Int64")], ["id", "age"]), "drop_name");
    const widen = readdirSync(project.layout.dir).find((file) => file.endsWith("_widen_age.ts"))!;
    const widenText = readFileSync(path.join(project.layout.dir, widen), "utf8");
    expect(widenText).toContain(`on cluster ${TEST_CLUSTER}`);
    expect(widenText).toContain(`ALTER TABLE Users ON CLUSTER ${TEST_CLUSTER} MODIFY COLUMN IF EXISTS age Int64`);

    const changed = await moose(project, ["migrate", "up", "--clickhouse-url", first, "--allow-data-loss"]);
    expect(changed.stderr).toBe("");
    expect(changed.code).toBe(0);

    await execIn(replicas[1]!, database, "SYSTEM SYNC REPLICA Users");
    expect(await queryIn(replicas[1]!, database, "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'Users' ORDER BY name")).toEqual([
      ["age", "Int64"],
      ["id", "String"],
    ]);
    expect(await queryIn(replicas[1]!, database, "SELECT id, age FROM Users ORDER BY id")).toEqual([
      ["u1", "0"],
      ["u2", "0"],
    ]);
    // The journal, state and lock are replicated tables on every host of the cluster.
    expect(await queryIn(replicas[1]!, database, "SELECT name, engine FROM system.tables WHERE database = currentDatabase() AND name LIKE '\\_moose\\_%' ORDER BY name")).toEqual([
      ["_moose_lock", "ReplicatedMergeTree"],
      ["_moose_migrations", "ReplicatedReplacingMergeTree"],
      ["_moose_state", "ReplicatedMergeTree"],
    ]);
    const journal = await queryIn(replicas[1]!, database, "SELECT id, status FROM _moose_migrations ORDER BY id, version DESC LIMIT 1 BY id");
    expect(journal.map(([, status]) => status)).toEqual(["applied", "applied", "applied", "applied", "applied"]);
    expect((await execIn(replicas[1]!, database, "SHOW CREATE TABLE Users")).replace(/\\n/g, " ")).toContain("ORDER BY (id, age)");
    const status = await moose(project, ["migrate", "status", "--clickhouse-url", second, "--json"]);
    const statuses = (JSON.parse(status.stdout) as { migrations: Array<{ status: string }> }).migrations.map((migration) => migration.status);
    expect(statuses).toEqual(["applied", "applied", "applied", "applied", "applied"]);

    await generate(project, emptyManifest(), "drop_users");
    const dropped = await moose(project, ["migrate", "up", "--clickhouse-url", first, "--allow-data-loss"]);
    expect(dropped.stderr).toBe("");
    expect(dropped.code).toBe(0);
    expect(await queryIn(replicas[1]!, database, "SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'Users'")).toEqual([]);
  });
});

describe("a cluster the server does not have", () => {
  it("stops before writing anything, naming the cluster and the config key", async () => {
    const database = await clusterDatabase();
    const project = cliProjects.newProject();
    writeFileSync(path.join(project.dir, "moose.config.toml"), `[features]\nstreaming_engine = false\n\n[[clickhouse_config.clusters]]\nname = "elsewhere"\n`);
    await generate(project, users([column("id", "String")]), "create_users");
    const refused = await moose(project, ["migrate", "up", "--clickhouse-url", urlWithDatabase(replicas[0]!, database)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("UNKNOWN_CLUSTER");
    expect(refused.stderr).toContain('no cluster "elsewhere"');
    expect(await queryIn(replicas[0]!, database, "SELECT name FROM system.tables WHERE database = currentDatabase()")).toEqual([]);
  });
});

describe("two migrate up through two replicas at once", () => {
  it("apply each migration exactly once (one run waits for the other's lock or finds nothing pending)", async () => {
    const database = await clusterDatabase();
    const project = clusterProject();
    const counter = `CREATE TABLE IF NOT EXISTS Counter ON CLUSTER ${TEST_CLUSTER} (step String) ENGINE = ReplicatedMergeTree('${CLUSTER_KEEPER_PATH}', '${CLUSTER_REPLICA_NAME}') ORDER BY step`;
    // The runner's pid makes each inserted row unique: a second application cannot hide as a deduplicated block.
    await writeHandMigration(project.layout, "20260101T000000Z_first", {
      after: usersV1,
      up: `    { sql: \`${counter}\` },
    { summary: "count first", run: async (ctx) => ctx.clickhouse.exec(\`INSERT INTO Counter VALUES ('first-\${process.pid}')\`) },`,
    });
    await writeHandMigration(project.layout, "20260102T000000Z_second", {
      from: hashManifest(usersV1),
      after: usersV2,
      up: `    { summary: "count second", run: async (ctx) => ctx.clickhouse.exec(\`INSERT INTO Counter VALUES ('second-\${process.pid}')\`) },`,
    });

    const runs = replicas.map((url) => spawnCli(cliProjects.cli(), ["migrate", "up", "--clickhouse-url", urlWithDatabase(url, database), "--lock-timeout", "120"], { cwd: project.dir }));
    const exits = await Promise.all(runs.map((run) => run.exit));
    runs.forEach((run, index) => expect({ replica: index + 1, code: exits[index]!.code, stderr: run.stderr() }).toEqual({ replica: index + 1, code: 0, stderr: "" }));

    for (const url of replicas) await execIn(url, database, "SYSTEM SYNC REPLICA Counter");
    for (const url of replicas) {
      const steps = (await queryIn(url, database, "SELECT step FROM Counter ORDER BY step")).map(([step]) => step!.replace(/-\d+$/, ""));
      expect(steps).toEqual(["first", "second"]);
    }
  });
});

describe("a replica down", () => {
  const clusterScript = (...args: string[]) => promisify(execFile)("bash", [CLICKHOUSE_CLUSTER_SCRIPT, ...args], { timeout: 120_000 });

  /** Until replica 1 counts `active` live replicas of `table` (Keeper notices a stopped replica when its session expires). */
  async function waitForActiveReplicas(database: string, table: string, active: number): Promise<void> {
    for (let attempt = 0; attempt < 600; attempt++) {
      const [row] = await queryIn(replicas[0]!, database, `SELECT active_replicas FROM system.replicas WHERE database = currentDatabase() AND table = '${table}'`);
      if (Number(row?.[0]) === active) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`replica 1 never saw ${active} active replicas of ${table}`);
  }

  it("stops before changing anything while a replica is down, and applies the migration once it is back", async () => {
    const database = await clusterDatabase();
    const project = clusterProject();
    const [first] = replicas.map((url) => urlWithDatabase(url, database)) as [string, string];
    await generate(project, users([column("id", "String")]), "create_users");
    expect((await moose(project, ["migrate", "up", "--clickhouse-url", first])).code).toBe(0);
    await generate(project, users([column("id", "String"), column("age", "Int32")]), "add_age");

    await clusterScript("stop-replica", "2");
    try {
      await waitForActiveReplicas(database, "_moose_lock", 1);
      const refused = await moose(project, ["migrate", "up", "--clickhouse-url", first]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("CLUSTER_REPLICA_DOWN");
      expect(refused.stderr).toContain("less than requested quorum");
      expect(await queryIn(replicas[0]!, database, "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'Users' ORDER BY name")).toEqual([["id"]]);
    } finally {
      await clusterScript("start-replica", "2");
    }
    await waitForActiveReplicas(database, "_moose_lock", 2);

    const resumed = await moose(project, ["migrate", "up", "--clickhouse-url", first]);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    for (const url of replicas) {
      expect(await queryIn(url, database, "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'Users' ORDER BY name")).toEqual([["age"], ["id"]]);
    }
  }, 120_000);
});

describe("two rebuilds of one Replicated table", () => {
  it("each copy gets a Keeper path of its own: the second rebuild does not collide with the table the first one swapped in", async () => {
    const database = await clusterDatabase();
    const project = clusterProject();
    const first = urlWithDatabase(replicas[0]!, database);
    await generate(project, users([column("id", "String"), column("age", "Int32")]), "create_users");
    await generate(project, users([column("id", "String"), column("age", "Int32")], ["id", "age"]), "reorder");
    await generate(project, users([column("id", "String"), column("age", "Int32")], ["age", "id"]), "reorder_again");
    const createId = readdirSync(project.layout.dir).find((file) => file.endsWith("_create_users.ts"))!.replace(/\.ts$/, "");
    const created = await moose(project, ["migrate", "up", "--clickhouse-url", first, "--to", createId]);
    expect(created.code).toBe(0);
    await execIn(replicas[0]!, database, "INSERT INTO Users (id, age) VALUES ('u1', 36), ('u2', 45)");

    const rebuilt = await moose(project, ["migrate", "up", "--clickhouse-url", first]);
    expect(rebuilt.stderr).toBe("");
    expect(rebuilt.code).toBe(0);
    for (const url of replicas) {
      await execIn(url, database, "SYSTEM SYNC REPLICA Users");
      expect(await queryIn(url, database, "SELECT id, age FROM Users ORDER BY id")).toEqual([
        ["u1", "36"],
        ["u2", "45"],
      ]);
      expect((await execIn(url, database, "SHOW CREATE TABLE Users")).replace(/\\n/g, " ")).toContain("ORDER BY (age, id)");
    }
  }, 120_000);
});

describe("a journal table that is not replicated", () => {
  it("is refused, not adopted: a plain _moose_migrations on the connected host stops migrate up before anything is applied", async () => {
    const database = await clusterDatabase();
    const project = clusterProject();
    await execIn(replicas[0]!, database, "CREATE TABLE _moose_migrations (id String, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY id");
    await generate(project, users([column("id", "String")]), "create_users");
    const refused = await moose(project, ["migrate", "up", "--clickhouse-url", urlWithDatabase(replicas[0]!, database)]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("JOURNAL_TABLE_NOT_REPLICATED");
    expect(refused.stderr).toContain(`_moose_migrations exists with engine ReplacingMergeTree, but the journal is kept on cluster ${TEST_CLUSTER}`);
    expect(await queryIn(replicas[0]!, database, "SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'Users'")).toEqual([]);
  });

  it("migrate unlock creates no lock table (one made there would not be replicated)", async () => {
    const database = await clusterDatabase();
    const project = clusterProject();
    const unlocked = await moose(project, ["migrate", "unlock", "--clickhouse-url", urlWithDatabase(replicas[0]!, database)]);
    expect(unlocked.code).toBe(0);
    expect(unlocked.stdout).toContain("nothing to break");
    expect(await queryIn(replicas[0]!, database, "SELECT name FROM system.tables WHERE database = currentDatabase()")).toEqual([]);
  });
});

/**
 * Generated migrations on a real ClickHouse 18.16 server (scripts/clickhouse-server, Debian's
 * package), which has none of RENAME COLUMN, MODIFY COLUMN … REMOVE, MODIFY SETTING, TTL, codecs or
 * skip indexes:
 *
 * - a column rename runs as add + ALTER UPDATE + drop: rows, type, default, comment and position kept;
 *   it resumes after a half-done run, and its `down` renames back the same way;
 * - a removed default or comment is removed with the statements 18.16 has, on one server; on a
 *   cluster of two 18.16 replicas (scripts/clickhouse-cluster) it is refused, as is a rename, and a
 *   change of a Replicated table's commented column (which 18.16 would lose) stops before it runs;
 * - a settings change rebuilds the table (the data-keeping rebuild) with the setting changed;
 * - a migration that needs TTL or a skip index is refused before anything of it is applied (its
 *   earlier steps included), naming the feature, 18.16 and the oldest version with it.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { executeSqlStep } from "../../../src/infra/clickhouse/executor.js";
import { openRemote } from "../../../src/infra/clickhouse/remote.js";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { emptyManifest, type Manifest, type RowPolicySpec, type TableSpec } from "../../../src/manifest/types.js";
import { rowPolicyStatements } from "../../../src/infra/clickhouse/row-policies.js";
import { generateMigration } from "../../../src/migrations/generate.js";
import { applyMigrations, revertMigrations } from "../../../src/migrations/runner/apply.js";
import { readJournal } from "../../../src/migrations/runner/journal.js";
import { operationSteps } from "../../../src/plan/steps.js";
import { diffManifests } from "../../../src/diff/index.js";
import type { SqlStep } from "../../../src/steps/index.js";
import { serverExec, SERVER_START_TIMEOUT_MS, TEST_CLUSTER, testClusterUrls, testServerUrl, urlWithDatabase, withTestDatabase } from "../../helpers/clickhouse.js";
import { column, table } from "../../unit/diff/builders.js";
import { tempProject, type TempProject } from "../../unit/migrations/helpers.js";
import type { LiveColumn } from "./fixtures.js";
import { refusal } from "../../helpers/errors.js";

let database: Awaited<ReturnType<typeof withTestDatabase>>;
let driver: ClickHouseDriver & { readonly serverVersion: [number, number] };
let project: TempProject;

beforeAll(async () => {
  database = await withTestDatabase(await testServerUrl());
  driver = await openRemote({ url: database.url });
}, SERVER_START_TIMEOUT_MS);

afterAll(async () => {
  await driver?.close();
  await database?.drop();
});

beforeEach(async () => {
  project = tempProject("moose-old-server-");
  for (const row of await driver.query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase()")) {
    await driver.exec(`DROP TABLE IF EXISTS \`${row.name}\``);
  }
});

afterEach(() => project.remove());

/** The table's columns in their order (18.16's system.columns has no `position`: it lists them in order). */
function liveColumns(driver: ClickHouseDriver, tableName: string): Promise<LiveColumn[]> {
  return driver.query<LiveColumn>(
    "SELECT name, type, default_kind, default_expression, comment FROM system.columns WHERE database = currentDatabase() AND table = {table:String}",
    { table: tableName },
  );
}

function manifestOf(...tables: TableSpec[]): Manifest {
  return { ...emptyManifest(), tables: Object.fromEntries(tables.map((spec) => [spec.name, spec])) };
}

/** Writes the migration to `manifest` (renames as declared) and applies every pending one. */
async function migrateTo(manifest: Manifest, renames?: Record<string, Record<string, string>>): Promise<void> {
  const generated = await generateMigration({ projectDir: project.dir, manifest, renames, allowDataLoss: true });
  expect(generated.kind).toBe("written");
  await applyMigrations({ projectDir: project.dir, driver, allowDataLoss: true });
}

const usersV1 = table("Users", [column("id", "String"), column("name", "String", { default: "'anon'", comment: "who" }), column("email", "String")]);
const usersRenamed = table("Users", [column("id", "String"), column("full_name", "String", { default: "'anon'", comment: "who" }), column("email", "String")]);

it("the server under test is 18.16", () => {
  expect(driver.serverVersion).toEqual([18, 16]);
});

describe("a column rename on 18.16", () => {
  it("copies the column into its new name and drops the old one; down renames it back", async () => {
    await migrateTo(manifestOf(usersV1));
    await driver.exec("INSERT INTO Users (id, name, email) VALUES ('1', 'Ada', 'a@x'), ('2', 'Bob', 'b@x')");
    await driver.exec("INSERT INTO Users (id, email) VALUES ('3', 'c@x')");
    await migrateTo(manifestOf(usersRenamed), { Users: { name: "full_name" } });

    expect((await liveColumns(driver, "Users")).map(({ name, type, default_kind, default_expression, comment }) => [name, type, default_kind, default_expression, comment])).toEqual([
      ["id", "String", "", "", ""],
      ["full_name", "String", "DEFAULT", "'anon'", "who"],
      ["email", "String", "", "", ""],
    ]);
    expect(await driver.query("SELECT id, full_name FROM Users ORDER BY id")).toEqual([
      { id: "1", full_name: "Ada" },
      { id: "2", full_name: "Bob" },
      { id: "3", full_name: "anon" },
    ]);

    await revertMigrations({ projectDir: project.dir, driver, steps: 1 });
    expect((await liveColumns(driver, "Users")).map((live) => live.name)).toEqual(["id", "name", "email"]);
    expect(await driver.query("SELECT id, name FROM Users ORDER BY id")).toEqual([
      { id: "1", name: "Ada" },
      { id: "2", name: "Bob" },
      { id: "3", name: "anon" },
    ]);
  });

  it("resumes a rename that stopped after adding the new column", async () => {
    await migrateTo(manifestOf(usersV1));
    await driver.exec("INSERT INTO Users (id, name, email) VALUES ('1', 'Ada', 'a@x')");
    // What an interrupted run leaves: the new column there, not yet filled, the old one still there.
    await driver.exec("ALTER TABLE Users ADD COLUMN full_name String DEFAULT 'anon' COMMENT 'who' AFTER name");
    const [rename] = renameSteps(usersV1, usersRenamed);
    await executeSqlStep(driver, rename!);
    expect((await liveColumns(driver, "Users")).map((live) => live.name)).toEqual(["id", "full_name", "email"]);
    expect(await driver.query("SELECT full_name FROM Users")).toEqual([{ full_name: "Ada" }]);
    // Run again (the journal lost the step's completion): nothing left to do.
    await executeSqlStep(driver, rename!);
    expect(await driver.query("SELECT full_name FROM Users")).toEqual([{ full_name: "Ada" }]);
  });

  it("refuses to rename a key column, changing nothing", async () => {
    await migrateTo(manifestOf(usersV1));
    const renamedKey = table("Users", [column("user_id", "String"), ...usersV1.columns.slice(1)], { orderBy: ["user_id"] });
    const keyRename = operationSteps(diffManifests(manifestOf(usersV1), manifestOf(renamedKey), { renames: { Users: { id: "user_id" } } }).operations[0]!).up[0] as SqlStep;
    const error = await refusal(executeSqlStep(driver, keyRename));
    expect(error.code).toBe("RENAME_KEY_COLUMN_UNSUPPORTED");
    expect((await liveColumns(driver, "Users")).map((live) => live.name)).toEqual(["id", "name", "email"]);
  });
});

function renameSteps(from: TableSpec, to: TableSpec): SqlStep[] {
  const { operations } = diffManifests(manifestOf(from), manifestOf(to), { renames: { Users: { name: "full_name" } } });
  return operationSteps(operations[0]!).up as SqlStep[];
}

describe("a removed column property on 18.16", () => {
  it("removes a default and a comment, keeping the rows", async () => {
    await migrateTo(manifestOf(usersV1));
    await driver.exec("INSERT INTO Users (id, name, email) VALUES ('1', 'Ada', 'a@x')");
    const plain = table("Users", [column("id", "String"), column("name", "String", { comment: "who" }), column("email", "String")]);
    await migrateTo(manifestOf(plain));
    expect((await liveColumns(driver, "Users"))[1]).toMatchObject({ name: "name", default_kind: "", comment: "who" });
    await migrateTo(manifestOf(table("Users", [column("id", "String"), column("name", "String"), column("email", "String")])));
    expect((await liveColumns(driver, "Users"))[1]).toMatchObject({ name: "name", default_kind: "", comment: "" });
    expect(await driver.query("SELECT name FROM Users")).toEqual([{ name: "Ada" }]);
  });
});

describe("features 18.16 lacks, with no adaptation", () => {
  it("a migration needing TTL is refused before its first step runs", async () => {
    const events = table("Events", [column("id", "String"), column("at", "DateTime")]);
    await migrateTo(manifestOf(events));
    const later = table("Events", [column("id", "String"), column("at", "DateTime"), column("n", "Int32")], { ttl: "at + INTERVAL 1 DAY" });
    const generated = await generateMigration({ projectDir: project.dir, manifest: manifestOf(later), allowDataLoss: true });
    expect(generated.kind).toBe("written");

    const error = await refusal(applyMigrations({ projectDir: project.dir, driver, allowDataLoss: true }));
    expect(error.code).toBe("SERVER_FEATURE_UNSUPPORTED");
    expect(error.exitCode).toBe(1);
    expect(error.message).toMatch(/up step \d+ \(.*\) uses TTL \(table or column\), which ClickHouse has from 19\.6; the server is 18\.16\. Nothing was applied\./);
    expect(error.details).toMatchObject({ feature: "ttl", serverVersion: "18.16", oldestVersion: "19.6" });
    // The column the migration adds before its TTL step was not added, and the journal has only the first migration.
    expect((await liveColumns(driver, "Events")).map((live) => live.name)).toEqual(["id", "at"]);
    expect([...(await readJournal(driver)).values()].map((entry) => entry.status)).toEqual(["applied"]);
  });

  it("a row policy (SelectRowPolicy) is refused before its table is created", async () => {
    const events = table("Events", [column("id", "String"), column("org_id", "String")]);
    const policy: RowPolicySpec = { tables: ["Events"], column: "org_id", claim: "org" };
    const manifest = { ...manifestOf(events), sqlResources: { tenant_isolation: { name: "tenant_isolation", ...rowPolicyStatements("tenant_isolation", policy), pullsDataFrom: ["Events"], pushesDataTo: [], rowPolicy: policy } } };
    expect((await generateMigration({ projectDir: project.dir, manifest, allowDataLoss: true })).kind).toBe("written");
    const error = await refusal(applyMigrations({ projectDir: project.dir, driver, allowDataLoss: true }));
    expect(error.details).toMatchObject({ feature: "rowPolicy", serverVersion: "18.16", oldestVersion: "20.7" });
    expect(await driver.query("SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'Events'")).toEqual([]);
  });

  it("a skip index is refused with its own version, before the table is created", async () => {
    const indexed = { ...table("Indexed", [column("id", "String")]), indexes: [{ name: "by_id", expression: "id", type: "minmax", granularity: 1 }] };
    const create = operationSteps(diffManifests(emptyManifest(), manifestOf(indexed)).operations[0]!).up[0] as SqlStep;
    const index = await refusal(executeSqlStep(driver, create));
    expect(index.details).toMatchObject({ feature: "skipIndex", serverVersion: "18.16", oldestVersion: "20.1" });
    expect(await driver.query("SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'Indexed'")).toEqual([]);
  });
});

describe("a table settings change on 18.16", () => {
  const events = table("Events", [column("id", "String"), column("n", "Int32", { default: "7" })], { partitionBy: "tuple()" });
  const createQuery = async () => (await driver.query<{ q: string }>("SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = 'Events'"))[0]!.q;

  it("rebuilds the table with the setting, keeping its rows; down rebuilds it without", async () => {
    await migrateTo(manifestOf(events));
    await driver.exec("INSERT INTO Events (id, n) VALUES ('a', 1), ('b', 2)");
    await migrateTo(manifestOf({ ...events, settings: { parts_to_delay_insert: "100" } }));
    expect(await createQuery()).toContain("parts_to_delay_insert = 100");
    expect(await driver.query("SELECT id, n FROM Events ORDER BY id")).toEqual([{ id: "a", n: 1 }, { id: "b", n: 2 }]);
    expect(await driver.query("SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'Events%' ORDER BY name")).toEqual([{ name: "Events" }]);

    await revertMigrations({ projectDir: project.dir, driver, steps: 1 });
    expect(await createQuery()).not.toContain("parts_to_delay_insert");
    expect(await driver.query("SELECT count() AS n FROM Events")).toEqual([{ n: "2" }]);
  });

  it("resumed after its swap, drops the copy left behind and changes nothing else", async () => {
    await migrateTo(manifestOf({ ...events, settings: { parts_to_delay_insert: "100" } }));
    await driver.exec("INSERT INTO Events (id, n) VALUES ('a', 1)");
    // What a run stopped between the swap and the drop leaves: the table rebuilt, the old one under the copy's name.
    await driver.exec("CREATE TABLE Events__moose_new (id String, n Int32) ENGINE = MergeTree ORDER BY id");
    const { operations } = diffManifests(manifestOf(events), manifestOf({ ...events, settings: { parts_to_delay_insert: "100" } }));
    await executeSqlStep(driver, operationSteps(operations[0]!).up[0] as SqlStep);
    expect(await driver.query("SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'Events%' ORDER BY name")).toEqual([{ name: "Events" }]);
    expect(await driver.query("SELECT id FROM Events")).toEqual([{ id: "a" }]);
  });
});

describe("on a cluster of two 18.16 replicas", () => {
  it("refuses a removed default and a rename; stops a change that would lose a commented column", async () => {
    const urls = await testClusterUrls();
    const clustered = `moose_old_cluster_${Math.random().toString(16).slice(2, 10)}`;
    await serverExec(urls[0]!, `CREATE DATABASE ${clustered} ON CLUSTER ${TEST_CLUSTER}`);
    const first = await openRemote({ url: urlWithDatabase(urls[0]!, clustered) });
    try {
      const onCluster = (spec: TableSpec): TableSpec => ({ ...spec, cluster: TEST_CLUSTER, engine: { name: "ReplicatedMergeTree", params: ["'/clickhouse/tables/{shard}/{database}/{table}'", "'{replica}'"] } });
      const before = onCluster(usersV1);
      for (const step of operationSteps(diffManifests(emptyManifest(), manifestOf(before)).operations[0]!).up) await executeSqlStep(first, step as SqlStep);
      const liveName = async (url: string) => serverExec(url, `SELECT name, default_kind, comment FROM system.columns WHERE database = '${clustered}' AND table = 'Users' AND name = 'name' FORMAT TSV`);

      const plain = onCluster(table("Users", [column("id", "String"), column("name", "String"), column("email", "String")]));
      const removalSteps = operationSteps(diffManifests(manifestOf(before), manifestOf(plain)).operations[0]!).up as SqlStep[];
      const removal = removalSteps.find((step) => step.cause?.column?.removes === "default");
      const removalError = await refusal(executeSqlStep(first, removal!));
      expect(removalError.details).toMatchObject({ feature: "removeColumnProperty", cluster: TEST_CLUSTER });

      const rename = operationSteps(diffManifests(manifestOf(before), manifestOf(onCluster(usersRenamed)), { renames: { Users: { name: "full_name" } } }).operations[0]!).up[0] as SqlStep;
      const renameError = await refusal(executeSqlStep(first, rename));
      expect(renameError.message).toContain(`the step runs on cluster ${TEST_CLUSTER}, where moose-ts does not adapt it`);

      // 18.16 drops a Replicated table's commented column on MODIFY COLUMN: a type change of it stops first.
      const widened = onCluster(table("Users", [column("id", "String"), column("name", "String", { default: "'anon'", comment: "who", nullable: true }), column("email", "String")]));
      const typeChange = operationSteps(diffManifests(manifestOf(before), manifestOf(widened)).operations[0]!).up[0] as SqlStep;
      const lossError = await refusal(executeSqlStep(first, typeChange));
      expect(lossError.code).toBe("REPLICATED_COMMENTED_COLUMN_UNSUPPORTED");
      for (const url of urls) expect(await liveName(url)).toBe("name\tDEFAULT\twho\n");
    } finally {
      await first.close();
      await serverExec(urls[0]!, `DROP DATABASE IF EXISTS ${clustered} ON CLUSTER ${TEST_CLUSTER}`);
    }
  });
});

/**
 * SQL resources (MooseStack's SqlResource) through the real pipeline on the embedded engine:
 * `migrate generate` writes their setup and teardown as steps, `migrate up` judges each statement
 * with ClickHouse's parser (a dictionary, function or row policy needs no consent; a teardown that
 * drops a table does) and runs them; a changed resource is torn down and set up again.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import type { Manifest, SqlResourceSpec } from "../../../src/manifest/types.js";
import { generateMigration } from "../../../src/migrations/generate.js";
import { parseStatement } from "../../../src/infra/clickhouse/parser.js";
import { applyMigrations } from "../../../src/migrations/runner/apply.js";
import { judgeStep } from "../../../src/steps/judge.js";
import { useEmbeddedDatabase } from "../../helpers/clickhouse.js";
import { column, manifestWith, table, tempProject, type TempProject } from "../../unit/migrations/helpers.js";

const engine = useEmbeddedDatabase("sql_resources");
let driver: ClickHouseDriver;
let project: TempProject;
let clock = Date.parse("2026-01-01T00:00:00Z");

const customers = table("Customers", [column("id", "UInt64"), column("name", "String")]);

function withResources(...resources: SqlResourceSpec[]): Manifest {
  const manifest = manifestWith(customers);
  for (const resource of resources) manifest.sqlResources[resource.name] = resource;
  return manifest;
}

const dictionary = (layout: string): SqlResourceSpec => ({
  name: "customerLookup",
  setup: [
    `CREATE DICTIONARY customer_names (id UInt64, name String) PRIMARY KEY id SOURCE(CLICKHOUSE(TABLE 'Customers')) LAYOUT(${layout}) LIFETIME(0)`,
    "CREATE FUNCTION customerName AS (i) -> dictGet('customer_names', 'name', i)",
  ],
  teardown: ["DROP FUNCTION IF EXISTS customerName", "DROP DICTIONARY IF EXISTS customer_names"],
  pullsDataFrom: ["Customers"],
  pushesDataTo: [],
});

async function deploy(manifest: Manifest, allowDataLoss = false) {
  clock += 60_000;
  const generated = await generateMigration({ projectDir: project.dir, manifest, allowDataLoss: true, now: new Date(clock) });
  expect(generated.kind).toBe("written");
  return applyMigrations({ projectDir: project.dir, driver, allowDataLoss });
}

beforeEach(() => {
  project = tempProject();
  driver = engine();
});
afterEach(async () => {
  // Functions are global, and a dictionary holds its table: the next test starts without them.
  await driver.exec("DROP FUNCTION IF EXISTS customerName");
  await driver.exec("DROP DICTIONARY IF EXISTS customer_names");
  project.remove();
});

describe("SQL resources in migrations", () => {
  it("sets up a dictionary and a function after the table they read, without --allow-data-loss", async () => {
    await deploy(withResources(dictionary("FLAT()")));
    await driver.exec("INSERT INTO Customers VALUES (1, 'Ada'), (2, 'Grace')");
    await driver.exec("SYSTEM RELOAD DICTIONARY customer_names");
    expect(await driver.query("SELECT customerName(toUInt64(2)) AS name")).toEqual([{ name: "Grace" }]);
  });

  it("tears a changed resource down with its old teardown, sets it up with the new setup, and removes it", async () => {
    await deploy(withResources(dictionary("FLAT()")));
    await driver.exec("INSERT INTO Customers VALUES (1, 'Ada')");

    await deploy(withResources(dictionary("HASHED()")));
    expect(await driver.query("SELECT customerName(toUInt64(1)) AS name")).toEqual([{ name: "Ada" }]);
    // Loaded by the query above, with the new layout.
    expect(await driver.query("SELECT type FROM system.dictionaries WHERE name = 'customer_names'")).toEqual([{ type: "Hashed" }]);

    await deploy(withResources());
    expect(await driver.query("SELECT count() AS n FROM system.dictionaries WHERE name = 'customer_names'")).toEqual([{ n: "0" }]);
    expect(await driver.query("SELECT count() AS n FROM system.functions WHERE name = 'customerName'")).toEqual([{ n: "0" }]);
    // The table the dictionary read keeps its rows.
    expect(await driver.query("SELECT count() AS n FROM Customers")).toEqual([{ n: "1" }]);
  });

  it("judges definitions that store no rows as harmless, by ClickHouse's parse (the embedded engine cannot run row policies)", async () => {
    const harmless = [
      "CREATE ROW POLICY own_rows ON Customers FOR SELECT USING id = 1 TO ALL",
      "DROP ROW POLICY IF EXISTS own_rows ON Customers",
      // A SelectRowPolicy's setup: its role, and what the role may read.
      "CREATE ROLE IF NOT EXISTS moose_rls_role",
      "GRANT SELECT ON * TO moose_rls_role",
      "CREATE OR REPLACE FUNCTION f AS (x) -> x + 1",
      "DROP FUNCTION IF EXISTS f",
      "CREATE OR REPLACE DICTIONARY d (id UInt64) PRIMARY KEY id SOURCE(CLICKHOUSE(TABLE 'Customers')) LAYOUT(FLAT()) LIFETIME(0)",
      "DROP DICTIONARY d",
      "SYSTEM RELOAD DICTIONARY d",
    ];
    for (const statement of harmless) expect(judgeStep({ sql: statement }, await parseStatement(statement)), statement).toEqual({ consent: false });
    for (const statement of ["SYSTEM DROP REPLICA 'r' FROM TABLE Customers", "DROP TABLE Customers", "DROP VIEW v"]) {
      expect(judgeStep({ sql: statement }, await parseStatement(statement)).consent, statement).toBe(true);
    }
  });

  it("needs --allow-data-loss for a teardown that drops a table holding rows, and runs nothing before it", async () => {
    const staging: SqlResourceSpec = {
      name: "staging",
      setup: ["CREATE TABLE staging_rows (id UInt64) ENGINE = MergeTree ORDER BY id"],
      teardown: ["DROP TABLE IF EXISTS staging_rows"],
      pullsDataFrom: [],
      pushesDataTo: [],
    };
    await deploy(withResources(staging));
    await driver.exec("INSERT INTO staging_rows VALUES (1)");

    await expect(deploy(withResources())).rejects.toMatchObject({ code: "MIGRATION_DESTRUCTIVE", exitCode: 3, message: expect.stringContaining("drops table staging_rows") });
    expect(await driver.query("SELECT count() AS n FROM staging_rows")).toEqual([{ n: "1" }]);

    await applyMigrations({ projectDir: project.dir, driver, allowDataLoss: true });
    expect(await driver.query("SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 'staging_rows'")).toEqual([{ n: "0" }]);
  });
});

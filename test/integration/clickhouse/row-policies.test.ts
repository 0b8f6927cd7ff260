/**
 * Row policies on the embedded engine, which has no access control: the policies' migration steps are
 * recorded but not run there, and a scoped query reads through `additional_table_filters` built from
 * the policies and the caller's claims — on the table, through a view, in a join — with a claim's
 * value as a string literal (a hostile one selects nothing), and a missing claim failing the query.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MooseError } from "../../../src/errors.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { executeSqlStep } from "../../../src/infra/clickhouse/executor.js";
import type { RawClickHouseDriver } from "../../../src/infra/clickhouse/raw.js";
import { emulatedRowFilters, ensureRlsUser, rowPolicyStatements, scopeSettings } from "../../../src/infra/clickhouse/row-policies.js";
import type { RowPolicySpec } from "../../../src/manifest/types.js";
import { diffManifests } from "../../../src/diff/index.js";
import { emptyManifest } from "../../../src/manifest/types.js";
import { operationSteps } from "../../../src/plan/steps.js";
import type { SqlStep } from "../../../src/steps/index.js";
import { appObjects, scopedStatementRefusal } from "../../../src/infra/clickhouse/row-policy-emulation.js";
import { sql } from "../../../src/sdk/sql.js";
import { scopedClients } from "../../../src/server/row-scope.js";
import { tempDataDir } from "../../helpers/clickhouse.js";

const data = tempDataDir();
let driver: RawClickHouseDriver;

const byOrg: RowPolicySpec = { tables: ["Events"], column: "org_id", claim: "org" };
const byRegion: RowPolicySpec = { tables: ["Events"], column: "region", claim: "region" };

/** Rows of `sql` as a caller with `claims` reads them. */
async function scoped(sql: string, claims: Record<string, unknown>, policies = [byOrg, byRegion]): Promise<unknown[]> {
  const filters = emulatedRowFilters(policies, "local", scopeSettings(policies, claims))!;
  return driver.query(sql, {}, { additional_table_filters: filters, readonly: "1" });
}

beforeAll(async () => {
  driver = (await openEmbedded({ dataDir: data.dir, database: "local" })) as RawClickHouseDriver;
  await driver.exec("CREATE TABLE Events (id String, org_id String, region String) ENGINE = MergeTree ORDER BY id");
  await driver.exec("CREATE TABLE Orgs (org_id String, name String) ENGINE = MergeTree ORDER BY org_id");
  await driver.exec("INSERT INTO Events VALUES ('a1', 'acme', 'eu'), ('a2', 'acme', 'us'), ('b1', 'beta', 'eu'), ('q1', 'it''s', 'eu')");
  await driver.exec("INSERT INTO Orgs VALUES ('acme', 'Acme'), ('beta', 'Beta')");
  await driver.exec("CREATE VIEW PerOrg AS SELECT org_id, count() AS n FROM Events GROUP BY org_id");
});

afterAll(async () => {
  await driver?.close();
  data.remove();
});

describe("row policies on the embedded engine", () => {
  it("the policies' steps are recorded but not run: the engine has no access control", async () => {
    const resource = { name: "tenant_isolation", ...rowPolicyStatements("tenant_isolation", byOrg), pullsDataFrom: ["Events"], pushesDataTo: [], rowPolicy: byOrg };
    const steps = operationSteps(diffManifests(emptyManifest(), { ...emptyManifest(), sqlResources: { tenant_isolation: resource } }).operations[0]!);
    expect(steps.up.map((step) => (step as SqlStep).cause?.needs)).toEqual([["rowPolicy"], ["rowPolicy"], ["rowPolicy"]]);
    for (const step of [...steps.up, ...steps.down]) await executeSqlStep(driver, step as SqlStep);
    // The same statement run directly is what chdb refuses.
    await expect(driver.exec(resource.setup[0]!)).rejects.toThrow(/Not enough privileges/);
  });

  it("setting the RLS user up where the connection may not manage access says what to do (the statements parse: refused for privileges)", async () => {
    const error = await ensureRlsUser(driver, "moose_rls_user", "s3cr'et").catch((caught: unknown) => caught as MooseError);
    expect(JSON.stringify({ ...error, message: error?.message, cause: String(error?.cause) })).not.toContain("s3cr");
    expect(error).toMatchObject({
      code: "RLS_USER_SETUP_FAILED",
      message: expect.stringMatching(/the RLS user moose_rls_user could not be set up: .*Not enough privileges/),
      hint: expect.stringContaining("GRANT moose_rls_role TO moose_rls_user"),
      config: { key: "clickhouse_config.rls_user" },
    });
  });

  it("a caller reads the rows its claims choose: AND of the table's policies, through a view and a join", async () => {
    expect(await scoped("SELECT id FROM Events ORDER BY id", { org: "acme", region: "eu" })).toEqual([{ id: "a1" }]);
    expect(await scoped("SELECT id FROM local.Events AS e ORDER BY id", { org: "beta", region: "eu" })).toEqual([{ id: "b1" }]);
    expect(await scoped("SELECT org_id, n FROM PerOrg", { org: "acme", region: "us" })).toEqual([{ org_id: "acme", n: "1" }]);
    expect(await scoped("SELECT e.id, o.name FROM Orgs AS o INNER JOIN Events AS e USING org_id ORDER BY e.id", { org: "beta", region: "eu" })).toEqual([{ id: "b1", name: "Beta" }]);
    expect(await scoped("SELECT count() AS n FROM Events WHERE id IN (SELECT id FROM Events)", { org: "acme", region: "us" })).toEqual([{ n: "1" }]);
    // A table without a policy is read whole.
    expect(await scoped("SELECT count() AS n FROM Orgs", { org: "acme", region: "eu" })).toEqual([{ n: "2" }]);
  });

  it("a claim's value is a literal: quotes and backslashes select only rows equal to it", async () => {
    expect(await scoped("SELECT id FROM Events", { org: "it's", region: "eu" })).toEqual([{ id: "q1" }]);
    expect(await scoped("SELECT id FROM Events", { org: "x' OR 1 = 1 OR '", region: "eu" })).toEqual([]);
    expect(await scoped("SELECT id FROM Events", { org: "acme\\' OR 1 = 1 --", region: "eu" })).toEqual([]);
  });

  it("an Api handler's client for a scoped caller: its claims choose the rows, parameters bind, table functions are refused as on a server", async () => {
    const clients = scopedClients(() => [byOrg, byRegion], driver);
    expect(clients.enabled()).toBe(true);
    const { query } = clients.clientFor({ org: "acme", region: "us" })!;
    expect(await (await query.execute(sql`SELECT id FROM Events WHERE id LIKE ${"a%"} ORDER BY id`)).json()).toEqual([{ id: "a2" }]);
    await expect(query.execute(sql`SELECT id FROM merge(currentDatabase(), '^Events$')`)).rejects.toMatchObject({ code: "ROW_SCOPED_STATEMENT_REFUSED", message: expect.stringContaining("table function merge") });
    await expect(query.execute(sql`SELECT count() FROM Events WHERE id IN (SELECT toString(number) FROM numbers(3))`)).rejects.toMatchObject({ code: "ROW_SCOPED_STATEMENT_REFUSED" });
    await expect(query.command(sql`TRUNCATE TABLE Events`)).rejects.toMatchObject({ code: "ROW_SCOPED_WRITE" });
    // An app without row policies has no scoped callers.
    expect(scopedClients(() => [], driver).clientFor({ org: "acme" })).toBeUndefined();
  });

  it("what reads around the filters is refused, as a server refuses its RLS user: table functions, dictionaries, file(), PREWHERE, system tables, other statements", async () => {
    const refusal = async (statement: string) => scopedStatementRefusal("moose_rls_user", statement, {}, "local", await appObjects(driver));
    expect(await refusal("SELECT e.id FROM Events AS e JOIN Orgs USING org_id WHERE e.id IN (SELECT id FROM PerOrg) UNION ALL SELECT 'x'")).toBeUndefined();
    expect(await refusal("SELECT 1 FROM Events AS e JOIN view(SELECT 1 AS id) AS v USING id")).toMatch(/CREATE TEMPORARY TABLE .*table function view/);
    expect(await refusal("SELECT extractAll(file('/etc/hostname'), '.')")).toMatch(/file\(\) reads around/);
    expect(await refusal("SELECT FILE('moose.config.toml')")).toMatch(/FILE\(\) reads around/);
    expect(await refusal("SELECT dictGet('d', 'secret', tuple('b1'))")).toMatch(/dictGet\(\) reads around/);
    expect(await refusal("SELECT joinGet('j', 'v', 1)")).toMatch(/joinGet\(\) reads around/);
    expect(await refusal("SELECT id FROM Events PREWHERE toUInt64(id) = 0")).toMatch(/PREWHERE runs before them/);
    // The embedded engine writes INTO OUTFILE itself, readonly or not.
    expect(await refusal("SELECT id FROM Events INTO OUTFILE '/tmp/moose-rls-outfile' TRUNCATE FORMAT TSVRaw")).toMatch(/INTO OUTFILE writes a file/);
    expect(await refusal("SELECT query FROM system.processes")).toMatch(/system\.processes is not a table of the app/);
    expect(await refusal("SELECT 1 FROM other.Events")).toMatch(/other\.Events is not a table of the app/);
    expect(await refusal("SELECT 1 WHERE 0 IN system.one")).toMatch(/system\.one is not a table of the app/);
    expect(await refusal("SELECT 1 WHERE 'b1' IN Events")).toMatch(/IN Events is not taken here/);
    expect(await refusal("SELECT inIgnoreSet('x', system.processes)")).toMatch(/system\.processes is not a table of the app/);
    expect(await refusal("SELECT 1 WHERE 'b1' GLOBAL NOT IN Events")).toMatch(/IN Events is not taken here/);
    expect(await refusal("SELECT * FROM INFORMATION_SCHEMA.tables")).toMatch(/not a table of the app/);
    expect(await refusal("SHOW PROCESSLIST")).toMatch(/only: a SELECT/);
    expect(await refusal("EXPLAIN SELECT 1")).toMatch(/only: a SELECT/);
    expect(await refusal("SELECT 1; SELECT 2")).toMatch(/could not be read/);
  });

  it("a view is looked into, as deep as it goes: one that reads around the filters is refused", async () => {
    await driver.exec("CREATE VIEW AroundFilters AS SELECT id, org_id FROM merge(currentDatabase(), '^Events$')");
    await driver.exec("CREATE VIEW OverAround AS SELECT id FROM AroundFilters");
    await driver.exec("CREATE VIEW ReadsFile AS SELECT file('/etc/hostname') AS f");
    try {
      const refusal = async (statement: string) => scopedStatementRefusal("moose_rls_user", statement, {}, "local", await appObjects(driver));
      expect(await refusal("SELECT org_id, n FROM PerOrg")).toBeUndefined();
      expect(await refusal("SELECT id FROM OverAround")).toMatch(/table function merge.*\(in view AroundFilters\) \(in view OverAround\)/);
      expect(await refusal("SELECT count() FROM Events WHERE id IN (SELECT f FROM ReadsFile)")).toMatch(/file\(\) reads around .*\(in view ReadsFile\)/);
    } finally {
      for (const view of ["OverAround", "AroundFilters", "ReadsFile"]) await driver.exec(`DROP VIEW ${view}`);
    }
  });

  it("Merge, Buffer tables, dictionaries and materialized views (their TO table) are filtered by every policy, or read nothing when they lack one's column", async () => {
    await driver.exec("CREATE TABLE AllEvents AS Events ENGINE = Merge(currentDatabase(), '^Events$')");
    await driver.exec("CREATE TABLE BufEvents AS Events ENGINE = Buffer(currentDatabase(), Events, 1, 10, 100, 10000, 1000000, 10000000, 100000000)");
    await driver.exec("CREATE TABLE Ids (id String) ENGINE = Merge(currentDatabase(), '^Events$')");
    // Lacks the region policy's column, or has it only as an ALIAS: nothing to filter by.
    await driver.exec("CREATE TABLE ByOrgOnly (id String, org_id String) ENGINE = Merge(currentDatabase(), '^Events$')");
    await driver.exec("CREATE TABLE Aliased (id String, org_id String ALIAS 'beta', region String ALIAS 'eu') ENGINE = Merge(currentDatabase(), '^Events$')");
    // A materialized view read by its name reads its TO table.
    await driver.exec("CREATE TABLE Staging (id String, org_id String, region String) ENGINE = MergeTree ORDER BY id");
    await driver.exec("CREATE MATERIALIZED VIEW ToEvents TO Events AS SELECT id, org_id, region FROM Staging");
    await driver.exec("CREATE DICTIONARY EventsDict (id String, org_id String, region String) PRIMARY KEY id SOURCE(CLICKHOUSE(TABLE 'Events')) LAYOUT(COMPLEX_KEY_HASHED()) LIFETIME(0)");
    try {
      const { query } = scopedClients(() => [byOrg, byRegion], driver).clientFor({ org: "beta", region: "eu" })!;
      const ids = async (table: string) => (await (await query.execute(sql`SELECT id FROM ${sql.raw(table)} ORDER BY id`)).json()).map((row) => (row as { id: string }).id);
      expect(await ids("AllEvents")).toEqual(["b1"]);
      expect(await ids("BufEvents")).toEqual(["b1"]);
      expect(await ids("EventsDict")).toEqual(["b1"]);
      expect(await ids("ToEvents")).toEqual(["b1"]);
      // No policy column to filter by: nothing.
      expect(await ids("Ids")).toEqual([]);
      expect(await ids("ByOrgOnly")).toEqual([]);
      expect(await ids("Aliased")).toEqual([]);
    } finally {
      for (const table of ["AllEvents", "BufEvents", "Ids", "ByOrgOnly", "Aliased"]) await driver.exec(`DROP TABLE ${table}`);
      await driver.exec("DROP DICTIONARY EventsDict");
      await driver.exec("DROP VIEW ToEvents");
      await driver.exec("DROP TABLE Staging");
    }
  });

  it("a claim the caller lacks fails the query instead of reading unscoped; a scoped query cannot write", async () => {
    await expect(scoped("SELECT id FROM Events", { org: "acme" })).rejects.toThrow(/Unknown setting 'SQL_moose_rls_region'/);
    await expect(scoped("INSERT INTO Events VALUES ('z', 'acme', 'eu')", { org: "acme", region: "eu" })).rejects.toThrow(/readonly/i);
    // Nothing was written, and the scoped sessions' settings stayed in them: the driver's own queries read every row.
    expect(await driver.query("SELECT count() AS n FROM Events")).toEqual([{ n: "4" }]);
  });
});

/**
 * The dev state table and the local apply, against the real embedded ClickHouse (chdb): the state
 * survives closing and reopening the database, falls back to the migration runner's state, and a
 * partial apply changes exactly what succeeded.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyOperations, stateAfterApply } from "../../../src/dev/apply.js";
import { DEV_STATE_TABLE, DevStateStore, stateRecord } from "../../../src/dev/state.js";
import { diffManifests } from "../../../src/diff/index.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import type { RawClickHouseDriver } from "../../../src/infra/clickhouse/raw.js";
import { canonicalJson, hashManifest } from "../../../src/manifest/canonical.js";
import { emptyManifest, type Manifest, type TableSpec } from "../../../src/manifest/types.js";
import { Journal, STATE_TABLE } from "../../../src/migrations/runner/journal.js";
import { tempDataDir } from "../../helpers/clickhouse.js";
import { column, table } from "../../unit/diff/builders.js";

const data = tempDataDir();
const dataDir = path.join(data.dir, ".moose", "clickhouse");
let driver: RawClickHouseDriver;

function manifest(...tables: TableSpec[]): Manifest {
  const result = emptyManifest();
  for (const spec of tables) result.tables[spec.name] = spec;
  return result;
}

const columnsOf = async (name: string) =>
  Object.fromEntries(
    (await driver.query<{ name: string; type: string }>("SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {t:String} ORDER BY position", { t: name })).map(
      (row) => [row.name, row.type],
    ),
  );

beforeAll(async () => {
  driver = await openEmbedded({ dataDir, database: "local" });
});

afterAll(async () => {
  await driver?.close();
  data.remove();
});

describe("DevStateStore", () => {
  it("starts empty, then returns the newest saved manifest, also after the database is reopened", async () => {
    const store = await DevStateStore.open(driver);
    expect(await store.load()).toEqual({ manifest: emptyManifest(), origin: "empty" });

    const first = manifest(table("A", [column("id", "String")]));
    const second = manifest(table("A", [column("id", "String")]), table("B", [column("id", "String")]));
    await store.save(stateRecord(first));
    await store.save(stateRecord(second));
    expect(await store.load()).toEqual({ manifest: second, origin: "dev" });

    await driver.close();
    driver = await openEmbedded({ dataDir, database: "local" });
    const reopened = await DevStateStore.open(driver);
    expect(await reopened.load()).toEqual({ manifest: second, origin: "dev" });
    // Later saves still win over what is stored.
    await reopened.save(stateRecord(first));
    expect((await reopened.load()).manifest).toEqual(first);
  });

  it("reads a state's manifest only when the truth moved from the hash the caller knows", async () => {
    const store = await DevStateStore.open(driver);
    const saved = manifest(table("Known", [column("id", "String")]));
    await store.save(stateRecord(saved));
    expect(await store.truthUnless(hashManifest(saved))).toBeUndefined();

    // Someone else (a migration run) records a newer state: the whole truth comes back.
    const migrated = manifest(table("Known", [column("id", "String")]), table("Migrated", [column("id", "String")]));
    const journal = await Journal.open(driver);
    await journal.recordState("20261202T000000Z_newer", { hash: hashManifest(migrated), json: canonicalJson(migrated) });
    const moved = await store.truthUnless(hashManifest(saved));
    expect(moved).toMatchObject({ origin: "migrations", hash: hashManifest(migrated), manifest: migrated });
    expect(await store.truthUnless(hashManifest(migrated))).toBeUndefined();

    // Dev's next save builds on that state, and is the truth again.
    await store.save(stateRecord(saved));
    expect(await store.truthUnless(hashManifest(migrated))).toMatchObject({ origin: "dev", hash: hashManifest(saved), devAhead: true });
    await driver.exec(`DROP TABLE ${STATE_TABLE}`);
    await driver.exec(`TRUNCATE TABLE ${DEV_STATE_TABLE}`);
  });

  it("is invisible to introspection (a moose table, not the app's)", async () => {
    const live = await driver.introspect();
    expect(Object.keys(live.tables)).not.toContain(DEV_STATE_TABLE);
  });

  it("falls back to the migration runner's state when dev has none of its own", async () => {
    await driver.exec(`DROP TABLE ${DEV_STATE_TABLE}`);
    const migrated = manifest(table("Migrated", [column("id", "String")]));
    const journal = await Journal.open(driver);
    await journal.recordState("20261127T000000Z_initial", { hash: hashManifest(migrated), json: canonicalJson(migrated) });
    const store = await DevStateStore.open(driver);
    expect(await store.load()).toEqual({ manifest: migrated, origin: "migrations" });
    await driver.exec(`DROP TABLE ${STATE_TABLE}`);
  });
});

describe("applyOperations", () => {
  it("reports a refused conversion, skips the rest of that table, applies the other tables; the state keeps the refused table", async () => {
    const before = manifest(table("Users", [column("id", "String"), column("name", "String")]));
    const setup = diffManifests(emptyManifest(), before);
    expect((await applyOperations(setup.operations, { clickhouse: driver, log: () => {}, allowDataLoss: true })).failed).toEqual([]);
    await driver.insert("Users", [{ id: "1", name: "alice" }]);

    const after = manifest(table("Users", [column("id", "String"), column("name", "Int64"), column("age", "Float64")]), table("Analytics", [column("id", "String")]));
    const plan = diffManifests(before, after);
    const outcome = await applyOperations(plan.operations, { clickhouse: driver, log: () => {}, allowDataLoss: true });

    expect(outcome.failed.map(({ op, error }) => [op.summary, (error as { code?: string }).code])).toEqual([[expect.stringContaining("Users.name"), "TYPE_CONVERSION_REFUSED"]]);
    expect(outcome.applied.map((op) => op.summary)).toEqual([expect.stringContaining("Analytics")]);
    expect(outcome.skipped.map((op) => op.kind)).toEqual(["addColumn"]);
    expect(await columnsOf("Users")).toEqual({ id: "String", name: "String" });
    expect(await columnsOf("Analytics")).toEqual({ id: "String" });
    expect(await driver.query("SELECT id, name FROM Users")).toEqual([{ id: "1", name: "alice" }]);

    const state = stateAfterApply(before, after, plan, outcome);
    expect(Object.keys(state.tables).sort()).toEqual(["Analytics", "Users"]);
    expect(state.tables.Users).toEqual(before.tables.Users);
    // Planned again next time, once the code no longer asks for the refused conversion.
    const fixed = manifest(table("Users", [column("id", "String"), column("name", "String"), column("age", "Float64")]), table("Analytics", [column("id", "String")]));
    const retry = await applyOperations(diffManifests(state, fixed).operations, { clickhouse: driver, log: () => {}, allowDataLoss: true });
    expect(retry).toMatchObject({ failed: [], skipped: [] });
    expect(await columnsOf("Users")).toEqual({ id: "String", name: "String", age: "Float64" });
  });

  it("tears down what a SQL resource's failed setup made, so the fixed code sets it up from scratch", async () => {
    const resource = (second: string) => ({
      name: "views",
      setup: ["CREATE VIEW half_a AS SELECT 1 AS one", second],
      teardown: ["DROP VIEW IF EXISTS half_b", "DROP VIEW IF EXISTS half_a"],
      pullsDataFrom: [],
      pushesDataTo: [],
    });
    const broken = { ...emptyManifest(), sqlResources: { views: resource("CREATE VIEW half_b AS SELECT nope FROM numbers(1)") } };
    const outcome = await applyOperations(diffManifests(emptyManifest(), broken).operations, { clickhouse: driver, log: () => {}, allowDataLoss: true });
    expect(outcome.failed.map(({ op }) => op.kind)).toEqual(["createSqlResource"]);
    expect(await driver.query("SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name LIKE 'half_%'")).toEqual([{ n: "0" }]);

    const fixed = { ...emptyManifest(), sqlResources: { views: resource("CREATE VIEW half_b AS SELECT 2 AS two") } };
    const state = stateAfterApply(emptyManifest(), broken, diffManifests(emptyManifest(), broken), outcome);
    expect(await applyOperations(diffManifests(state, fixed).operations, { clickhouse: driver, log: () => {}, allowDataLoss: true })).toMatchObject({ failed: [], skipped: [] });
    expect(await driver.query("SELECT * FROM half_a, half_b")).toEqual([{ one: 1, two: 2 }]);
  });

  it("keeps the values rows read from a DEFAULT or MATERIALIZED expression when it changes or goes (rows from before the column was added store none)", async () => {
    const apply = async (from: Manifest, to: Manifest) => {
      const outcome = await applyOperations(diffManifests(from, to).operations, { clickhouse: driver, log: () => {}, allowDataLoss: true });
      expect(outcome.failed.map(({ error }) => String(error))).toEqual([]);
    };
    const start = manifest(table("Orders", [column("id", "String"), column("amount", "Float64")]));
    await apply(emptyManifest(), start);
    await driver.insert("Orders", [{ id: "o1", amount: 1 }, { id: "o2", amount: 2 }]);
    const defaulted = manifest(
      table("Orders", [column("id", "String"), column("amount", "Float64"), column("prio", "Int32", { default: "7" }), column("doubled", "Float64", { materialized: "amount * 2" })]),
    );
    await apply(start, defaulted);
    await driver.insert("Orders", [{ id: "o3", amount: 3, prio: 3 }]);
    const read = () => driver.query<{ id: string; prio: unknown; doubled: unknown }>("SELECT id, prio, doubled FROM Orders ORDER BY id");
    expect(await read()).toEqual([
      { id: "o1", prio: 7, doubled: 2 },
      { id: "o2", prio: 7, doubled: 4 },
      { id: "o3", prio: 3, doubled: 6 },
    ]);
    // The default goes with a type change, the MATERIALIZED expression changes: what the rows read stays.
    const changed = manifest(
      table("Orders", [column("id", "String"), column("amount", "Float64"), column("prio", "String"), column("doubled", "Float64", { materialized: "amount * 3" })]),
    );
    await apply(defaulted, changed);
    expect(await read()).toEqual([
      { id: "o1", prio: "7", doubled: 2 },
      { id: "o2", prio: "7", doubled: 4 },
      { id: "o3", prio: "3", doubled: 6 },
    ]);
  });

  it("creates a batch of new tables concurrently; one that fails does not stop the others", async () => {
    const wanted = manifest(
      ...Array.from({ length: 9 }, (_, index) => table(`Batch${index}`, [column("id", "String")])),
      table("BatchBroken", [column("id", "String")], { engine: { name: "NoSuchEngine", params: [] } }),
    );
    const plan = diffManifests(emptyManifest(), wanted);
    const outcome = await applyOperations(plan.operations, { clickhouse: driver, log: () => {}, allowDataLoss: true });
    expect(outcome.failed.map(({ op }) => op.target)).toEqual(["BatchBroken"]);
    expect(outcome.applied.map((op) => op.target)).toEqual(plan.operations.map((op) => op.target).filter((name) => name !== "BatchBroken"));
    const created = await driver.query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'Batch%' ORDER BY name");
    expect(created.map((row) => row.name)).toEqual(Array.from({ length: 9 }, (_, index) => `Batch${index}`));
  });
});

describe("applyOperations over objects the local database already has", () => {
  const apply = (from: Manifest, to: Manifest) => applyOperations(diffManifests(from, to).operations, { clickhouse: driver, log: () => {}, allowDataLoss: true });

  it("does not create a table over a different one of that name (rows kept, the others created); once it is gone the next apply creates it", async () => {
    await driver.exec("CREATE TABLE Handmade (id String, note String) ENGINE = MergeTree ORDER BY id");
    await driver.insert("Handmade", [{ id: "kept", note: "by hand" }]);
    const wanted = manifest(table("Handmade", [column("id", "String"), column("count", "Int64")]), table("Fresh", [column("id", "String")]));
    const plan = diffManifests(emptyManifest(), wanted);
    const outcome = await applyOperations(plan.operations, { clickhouse: driver, log: () => {}, allowDataLoss: true });

    expect(outcome.failed.map(({ op, error }) => [op.target, (error as { code?: string }).code])).toEqual([["Handmade", "OBJECT_EXISTS_DIFFERENT"]]);
    const message = (outcome.failed[0]!.error as Error).message;
    expect(message).toContain("table Handmade was not created");
    expect(message).toMatch(/count/);
    expect(message).toMatch(/note/);
    expect(outcome.applied.map((op) => op.target)).toEqual(["Fresh"]);
    expect(await columnsOf("Handmade")).toEqual({ id: "String", note: "String" });
    expect(await driver.query("SELECT id, note FROM Handmade")).toEqual([{ id: "kept", note: "by hand" }]);
    const state = stateAfterApply(emptyManifest(), wanted, plan, outcome);
    expect(Object.keys(state.tables)).toEqual(["Fresh"]);

    await driver.exec("DROP TABLE Handmade");
    expect(await apply(state, wanted)).toMatchObject({ failed: [], skipped: [] });
    expect(await columnsOf("Handmade")).toEqual({ id: "String", count: "Int64" });
    await driver.exec("DROP TABLE Handmade");
    await driver.exec("DROP TABLE Fresh");
  });

  it("takes a table that is already there as the code has it, rows and all", async () => {
    const wanted = manifest(table("Same", [column("id", "String")]));
    expect(await apply(emptyManifest(), wanted)).toMatchObject({ failed: [], skipped: [] });
    await driver.insert("Same", [{ id: "a" }]);
    // dev's state lost (a fresh .moose) while the table stayed: planned as new again.
    expect(await apply(emptyManifest(), wanted)).toMatchObject({ failed: [], skipped: [] });
    expect(await driver.query("SELECT id FROM Same")).toEqual([{ id: "a" }]);
    await driver.exec("DROP TABLE Same");
  });

  it("does not create a table where a view of that name is", async () => {
    await driver.exec("CREATE VIEW Shadow AS SELECT 1 AS id");
    const outcome = await apply(emptyManifest(), manifest(table("Shadow", [column("id", "String")])));
    expect(outcome.failed.map(({ error }) => (error as Error).message)).toEqual([expect.stringContaining("already has a view Shadow")]);
    expect(await driver.query("SELECT id FROM Shadow")).toEqual([{ id: 1 }]);
    await driver.exec("DROP VIEW Shadow");
  });
});

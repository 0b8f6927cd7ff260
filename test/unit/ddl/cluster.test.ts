/**
 * Objects on a cluster: every DDL builder writes ON CLUSTER where ClickHouse's grammar puts it, the
 * diff gives every operation on such an object its cluster (and refuses moving one between
 * clusters), and column changes are adapted for servers without column IF [NOT] EXISTS.
 */
import { describe, expect, it } from "vitest";
import { diffManifests } from "../../../src/diff/index.js";
import { capabilitiesOf, guardColumnStatement } from "../../../src/infra/clickhouse/capabilities.js";
import {
  addColumnSql,
  createMaterializedViewSql,
  createTableSql,
  createViewSql,
  dropColumnSql,
  dropTableSql,
  dropViewSql,
  modifyColumnSql,
  recreateTableSql,
  renameColumnSql,
} from "../../../src/infra/clickhouse/ddl.js";
import { rebuildsTableSql } from "../../../src/infra/clickhouse/executor.js";
import { emptyManifest, type Manifest, type TableSpec } from "../../../src/manifest/types.js";
import { renderPlan } from "../../../src/plan/render.js";
import { operationSteps } from "../../../src/plan/steps.js";
import type { StepCause } from "../../../src/steps/index.js";
import { column, mv, table, view } from "../diff/builders.js";

const onCluster = (spec: TableSpec): TableSpec => ({ ...spec, cluster: "events_cluster" });

function withTables(...tables: TableSpec[]): Manifest {
  return { ...emptyManifest(), tables: Object.fromEntries(tables.map((spec) => [spec.name, spec])) };
}

describe("ON CLUSTER in the DDL builders", () => {
  const events = onCluster(table("Events", [column("id", "String"), column("n", "Int32")]));

  it("puts ON CLUSTER after the object's name in CREATE, DROP and ALTER", () => {
    expect(createTableSql(events).split("\n")[0]).toBe("CREATE TABLE IF NOT EXISTS Events ON CLUSTER events_cluster");
    expect(dropTableSql("Events", "events_cluster")).toBe("DROP TABLE IF EXISTS Events ON CLUSTER events_cluster");
    expect(addColumnSql("Events", column("m", "UInt8"), { after: "n" }, "events_cluster")).toBe("ALTER TABLE Events ON CLUSTER events_cluster ADD COLUMN IF NOT EXISTS m UInt8 AFTER n");
    expect(dropColumnSql("Events", "n", "events_cluster")).toBe("ALTER TABLE Events ON CLUSTER events_cluster DROP COLUMN IF EXISTS n");
    expect(renameColumnSql("Events", "n", "m", "events_cluster")).toBe("ALTER TABLE Events ON CLUSTER events_cluster RENAME COLUMN IF EXISTS n TO m");
    expect(modifyColumnSql("Events", column("n", "Int32"), column("n", "Int64"), "events_cluster").map((statement) => statement.sql)).toEqual([
      "ALTER TABLE Events ON CLUSTER events_cluster MODIFY COLUMN IF EXISTS n Int64",
    ]);
  });

  it("writes views, materialized views and a rebuild's statements on the cluster too", () => {
    expect(createViewSql(view("Recent", "SELECT 1", [], { cluster: "events_cluster" }))).toBe("CREATE VIEW IF NOT EXISTS Recent ON CLUSTER events_cluster AS\nSELECT 1");
    expect(createMaterializedViewSql(mv("Copy", "SELECT id FROM Events", ["Events"], "Target", { cluster: "events_cluster" })).split("\n")[0]).toBe(
      "CREATE MATERIALIZED VIEW IF NOT EXISTS Copy ON CLUSTER events_cluster TO Target AS",
    );
    expect(dropViewSql("Recent", "events_cluster")).toBe("DROP VIEW IF EXISTS Recent ON CLUSTER events_cluster");
    const rebuild = recreateTableSql(events, { ...events, orderBy: ["n"] });
    expect(rebuild.map((statement) => statement.sql.split("\n")[0]!.includes("ON CLUSTER events_cluster"))).toEqual([true, true, false, true, true]);
  });

  it("gives a Replicated table's rebuild copy a Keeper path of its own, different for the next rebuild", () => {
    const replicated = { ...events, engine: { name: "ReplicatedMergeTree", params: ["'/clickhouse/tables/{shard}/{database}/{table}'", "'{replica}'"] } };
    const reordered = { ...replicated, orderBy: ["n"] };
    const createOf = (from: TableSpec, to: TableSpec) => recreateTableSql(from, to).find((statement) => statement.phase === "create")!.sql;
    const first = /ENGINE = ReplicatedMergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/Events__moose_new_([0-9a-f]{8})', '\{replica\}'\)/.exec(createOf(replicated, reordered));
    const second = /Events__moose_new_([0-9a-f]{8})'/.exec(createOf(reordered, { ...reordered, orderBy: ["id", "n"] }));
    expect(first?.[1]).toBeDefined();
    expect(second?.[1]).toBeDefined();
    expect(second![1]).not.toBe(first![1]);
    // A plain MergeTree copy has no Keeper path to change.
    expect(createOf(events, { ...events, orderBy: ["n"] })).toContain("ENGINE = MergeTree\n");
  });

  it("keeps _moose_rebuilds on the rebuilt table's cluster, replicated, and plain on a single server", () => {
    expect(rebuildsTableSql("events_cluster")).toBe(
      "CREATE TABLE IF NOT EXISTS _moose_rebuilds ON CLUSTER events_cluster (table String, copy_uuid String, at DateTime64(6)) ENGINE = ReplicatedMergeTree('/clickhouse/moose-ts/{database}/_moose_rebuilds', '{shard}_{replica}') ORDER BY table",
    );
    expect(rebuildsTableSql(undefined)).toBe("CREATE TABLE IF NOT EXISTS _moose_rebuilds (table String, copy_uuid String, at DateTime64(6)) ENGINE = MergeTree ORDER BY table");
  });

  it("writes no ON CLUSTER for an object on no cluster", () => {
    expect(createTableSql(table("Events", [column("id", "String")]))).not.toContain("ON CLUSTER");
    expect(dropColumnSql("Events", "n")).toBe("ALTER TABLE Events DROP COLUMN IF EXISTS n");
  });
});

describe("the diff on clustered objects", () => {
  it("gives every operation on a clustered table its cluster, named in the summary, and the steps run ON CLUSTER", () => {
    const before = withTables(onCluster(table("Events", [column("id", "String")])));
    const after = withTables(onCluster(table("Events", [column("id", "String"), column("n", "Int32")])));
    const { operations, blocked } = diffManifests(before, after);
    expect(blocked).toEqual([]);
    expect(operations).toHaveLength(1);
    expect(operations[0]).toMatchObject({ kind: "addColumn", cluster: "events_cluster", summary: expect.stringContaining("(on cluster events_cluster)") });
    const steps = operationSteps(operations[0]!);
    expect(steps.up.map((step) => ("sql" in step ? step.sql : ""))).toEqual(["ALTER TABLE Events ON CLUSTER events_cluster ADD COLUMN IF NOT EXISTS n Int32 AFTER id"]);
    expect(steps.down.map((step) => ("sql" in step ? step.sql : ""))).toEqual(["ALTER TABLE Events ON CLUSTER events_cluster DROP COLUMN IF EXISTS n"]);
  });

  it("creates and replaces a clustered view, and a materialized view, on their cluster", () => {
    const base = withTables(onCluster(table("Events", [column("id", "String")])));
    const recent = view("Recent", "SELECT id FROM Events", ["Events"], { cluster: "events_cluster" });
    const copy = mv("Copy", "SELECT id FROM Events", ["Events"], "Events", { cluster: "events_cluster" });
    const created = diffManifests(base, { ...base, views: { Recent: recent }, materializedViews: { Copy: copy } });
    const sqlOf = (result: typeof created) => result.operations.flatMap((op) => operationSteps(op).up.map((step) => ("sql" in step ? step.sql.split("\n")[0] : "")));
    expect(sqlOf(created)).toEqual(
      expect.arrayContaining(["CREATE VIEW IF NOT EXISTS Recent ON CLUSTER events_cluster AS", "CREATE MATERIALIZED VIEW IF NOT EXISTS Copy ON CLUSTER events_cluster TO Events AS"]),
    );
    const after = { ...base, views: { Recent: recent }, materializedViews: { Copy: copy } };
    const replaced = diffManifests(after, { ...after, views: { Recent: { ...recent, sql: "SELECT id FROM Events WHERE 1" } } });
    expect(sqlOf(replaced)).toEqual(["CREATE OR REPLACE VIEW Recent ON CLUSTER events_cluster AS"]);
  });

  it("says in the plan which cluster a component is on", () => {
    const before = withTables(onCluster(table("Events", [column("id", "String")])));
    const after = withTables(onCluster(table("Events", [column("id", "String"), column("n", "Int32")])));
    expect(renderPlan(diffManifests(before, after), { color: false })).toContain("~ Events (Schema Update, on cluster events_cluster)");
  });

  it("drops a clustered table on its cluster", () => {
    const { operations } = diffManifests(withTables(onCluster(table("Events", [column("id", "String")]))), emptyManifest());
    expect(operations.map((op) => operationSteps(op).up.map((step) => ("sql" in step ? step.sql : "")))).toEqual([["DROP TABLE IF EXISTS Events ON CLUSTER events_cluster"]]);
  });

  it("refuses to move a table onto, off or between clusters", () => {
    const plain = table("Events", [column("id", "String")]);
    for (const [from, to] of [
      [plain, onCluster(plain)],
      [onCluster(plain), plain],
      [onCluster(plain), { ...plain, cluster: "other" }],
    ] as const) {
      const { blocked } = diffManifests(withTables(from), withTables(to));
      expect(blocked).toEqual([expect.objectContaining({ target: "Events", reason: expect.stringContaining("does not move objects between clusters") })]);
    }
  });
});

describe("column changes on servers without column IF [NOT] EXISTS", () => {
  const cause = (operation: StepCause["operation"], column = "n", table = "Events", cluster?: string): StepCause => ({
    operation,
    target: table,
    risk: "safe",
    column: { table, name: column },
    ...(cluster ? { cluster } : {}),
  });

  it("knows which servers have what", () => {
    expect(capabilitiesOf([18, 16])).toEqual({ columnIfExists: false, exchangeTables: false });
    expect(capabilitiesOf([21, 8])).toEqual({ columnIfExists: true, exchangeTables: true });
    expect(capabilitiesOf(undefined)).toEqual({ columnIfExists: true, exchangeTables: true });
  });

  it("turns each generated column change into an existence check and the plain statement", () => {
    expect(guardColumnStatement(addColumnSql("Events", column("m", "UInt8"), { after: "n" }, "events_cluster"), cause("addColumn", "m", "Events", "events_cluster"))).toEqual({
      sql: "ALTER TABLE Events ON CLUSTER events_cluster ADD COLUMN m UInt8 AFTER n",
      table: "Events",
      column: "m",
      verb: "ADD",
      runWhen: "absent",
    });
    expect(guardColumnStatement(dropColumnSql("Events", "n"), cause("dropColumn"))).toEqual({ sql: "ALTER TABLE Events DROP COLUMN n", table: "Events", column: "n", verb: "DROP", runWhen: "present" });
    const [modify] = modifyColumnSql("Events", column("n", "Int32"), column("n", "Int64"));
    expect(guardColumnStatement(modify!.sql, cause("modifyColumn"))).toMatchObject({ sql: "ALTER TABLE Events MODIFY COLUMN n Int64", runWhen: "present" });
  });

  it("reads quoted names as the names they stand for", () => {
    const guarded = guardColumnStatement(dropColumnSql("My Events", "select"), cause("dropColumn", "select", "My Events"));
    expect(guarded).toEqual({ sql: "ALTER TABLE `My Events` DROP COLUMN `select`", table: "My Events", column: "select", verb: "DROP", runWhen: "present" });
  });

  it("takes table and column from the cause: a statement that does not start as ddl.ts writes that change runs as written", () => {
    expect(guardColumnStatement(dropColumnSql("Events", "n2"), cause("dropColumn", "n"))).toBeUndefined();
    expect(guardColumnStatement(dropColumnSql("Other", "n"), cause("dropColumn", "n"))).toBeUndefined();
    expect(guardColumnStatement(dropColumnSql("Events", "n", "events_cluster"), cause("dropColumn", "n"))).toBeUndefined();
    expect(guardColumnStatement(dropColumnSql("Events", "n"), { operation: "dropColumn", target: "Events", risk: "safe" })).toBeUndefined();
  });

  it("leaves statements alone whose cause is not a column change (hand-written SQL, other operations)", () => {
    expect(guardColumnStatement(dropColumnSql("Events", "n"), undefined)).toBeUndefined();
    expect(guardColumnStatement(dropColumnSql("Events", "n"), cause("rawSql"))).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { diffManifests } from "../../../src/diff/index.js";
import type { Operation } from "../../../src/diff/operations.js";
import type { Step } from "../../../src/steps/index.js";
import { migrationSteps } from "../../../src/migrations/generate.js";
import { operationSteps } from "../../../src/plan/steps.js";
import { ALL_KINDS, api, column, ingestApi, manifest, mv, sqlResource, stream, table, transform, users, view, workflow } from "../diff/builders.js";

/** One diff that produces every kind the differ can produce (rawSql is hand-written, added below). */
function everyOperation(): Operation[] {
  const before = manifest({
    tables: [
      users(
        { ttl: "toDateTime(0) + INTERVAL 1 DAY", settings: { a_setting: "1" }, indexes: [{ name: "i", expression: "id", type: "minmax", granularity: 1 }] },
        [column("id", "String"), column("name", "String"), column("email", "String"), column("extra", "String")],
      ),
      table("Dropped", [column("id", "String")]),
      table("Rebuilt", [column("id", "String")]),
    ],
    streams: [stream("Gone"), stream("Events", { retentionMs: 1000 }), stream("Grows"), stream("Shape")],
    views: [view("OldView", "SELECT 1", []), view("ChangedView", "SELECT 1", [])],
    materializedViews: [mv("OldMv", "SELECT 1", [], "Users"), mv("ChangedMv", "SELECT 1", [], "Users")],
    apis: [api("old"), api("changed")],
    ingestApis: [ingestApi("old"), ingestApi("changed")],
    workflows: [workflow("old"), workflow("changed")],
    processes: [transform("Events", "Gone"), transform("Events", "Grows")],
    sqlResources: [sqlResource("oldResource")],
  });
  const after = manifest({
    tables: [
      users({ settings: { a_setting: "2" }, indexes: [] }, [column("id", "String"), column("name", "Int64"), column("renamed", "String"), column("age", "Float64")]),
      table("Created", [column("id", "String")]),
      table("Rebuilt", [column("id", "String")], { orderBy: [] }),
    ],
    streams: [stream("New"), stream("Events", { retentionMs: 2000 }), stream("Grows", { partitionCount: 3 }), stream("Shape", { columns: [] })],
    views: [view("NewView", "SELECT 1", []), view("ChangedView", "SELECT 2", [])],
    materializedViews: [mv("NewMv", "SELECT 1", [], "Users"), mv("ChangedMv", "SELECT 2", [], "Users")],
    apis: [api("new"), api("changed", { version: "2" })],
    ingestApis: [ingestApi("new"), ingestApi("changed", { destination: "x" })],
    workflows: [workflow("new"), workflow("changed", { retries: 5 })],
    processes: [transform("Events", "New"), transform("Events", "Grows", "b")],
    sqlResources: [sqlResource("newResource")],
  });
  const afterWithIndex = structuredClone(after);
  afterWithIndex.tables.Users!.indexes = [{ name: "j", expression: "id", type: "minmax", granularity: 1 }];
  const ops = diffManifests(before, afterWithIndex, { renames: { Users: { email: "renamed" } } }).operations;
  return [...ops, { kind: "rawSql", target: "Users", summary: "optimize", risk: "rewrite", sql: "OPTIMIZE TABLE Users FINAL" }];
}

function stepKind(step: Step): string {
  return "sql" in step ? "sql" : "kafka" in step ? `kafka.${Object.keys(step.kafka)[0]}` : "note" in step ? "note" : "run";
}

describe("operationSteps", () => {
  const ops = everyOperation();

  it("the fixture covers every operation kind", () => {
    expect([...new Set(ops.map((op) => op.kind))].sort()).toEqual(Object.keys(ALL_KINDS).sort());
  });

  it.each(ops.map((op) => [op.kind, op] as const))("%s has up steps and a down or an explanation", (_kind, op) => {
    const steps = operationSteps(op);
    expect(steps.up.length).toBeGreaterThan(0);
    if (steps.down.length === 0) expect(steps.irreversible).toBeTruthy();
    for (const step of [...steps.up, ...steps.down]) {
      if ("sql" in step) expect(step.sql).not.toMatch(/\blocal\.|\bdefault\./);
    }
  });

  it("maps each kind to the right kind of step", () => {
    const shapes = Object.fromEntries(ops.map((op) => [op.kind, operationSteps(op).up.map(stepKind).join(",")]));
    expect(shapes).toMatchObject({
      createTable: "sql",
      dropTable: "sql",
      recreateTable: "sql,sql,sql,sql,sql",
      createTopic: "kafka.createTopic",
      deleteTopic: "kafka.deleteTopic",
      alterTopicConfig: "kafka.alterTopicConfig",
      addPartitions: "kafka.addPartitions",
      modifyStreamSchema: "note",
      addApi: "note",
      updateIngestApi: "note",
      updateWorkflow: "note",
      createSqlResource: "sql",
      dropSqlResource: "sql",
      rawSql: "sql",
    });
  });

  it("createTopic carries partitions, replication factor and retention.ms", () => {
    const [op] = diffManifests(manifest(), manifest({ streams: [stream("Events", { partitionCount: 3, replicationFactor: 2, retentionMs: 5000, config: { "cleanup.policy": "compact" } })] })).operations;
    expect(operationSteps(op!).up).toEqual([
      {
        kafka: { createTopic: { topic: "Events", partitions: 3, replicationFactor: 2, config: { "cleanup.policy": "compact", "retention.ms": "5000" } } },
        cause: { operation: "createTopic", target: "Events", risk: "safe" },
      },
    ]);
  });

  it("alterTopicConfig sets and resets, and its down restores", () => {
    const from = manifest({ streams: [stream("E", { config: { "max.message.bytes": "100" } })] });
    const to = manifest({ streams: [stream("E", { retentionMs: 1, config: {} })] });
    const [op] = diffManifests(from, to).operations;
    expect(operationSteps(op!)).toEqual({
      up: [{ kafka: { alterTopicConfig: { topic: "E", set: { "retention.ms": "1" }, reset: ["max.message.bytes"] } }, cause: { operation: "alterTopicConfig", target: "E", risk: op!.risk } }],
      down: [
        {
          kafka: { alterTopicConfig: { topic: "E", set: { "max.message.bytes": "100", "retention.ms": "30000" }, reset: [] } },
          cause: { operation: "alterTopicConfig", target: "E", risk: expect.any(String) },
        },
      ],
    });
  });

  it("a type change carries a conversion check on its MODIFY COLUMN", () => {
    const from = manifest({ tables: [users()] });
    const to = manifest({ tables: [users({}, [column("id", "String"), column("name", "Int32", { nullable: true }), column("email", "String")])] });
    const [op] = diffManifests(from, to).operations;
    const steps = operationSteps(op!);
    const cause = { operation: "modifyColumn", target: "Users", risk: "rewrite", column: { table: "Users", name: "name" } };
    expect(steps.up).toEqual([
      {
        sql: "ALTER TABLE Users MODIFY COLUMN IF EXISTS name Nullable(Int32)",
        checkConversion: { table: "Users", column: "name", toType: "Nullable(Int32)", nullsTakeDefault: false },
        cause,
      },
    ]);
    // Going back, NULLs meet a non-Nullable column: the lent DEFAULT is what they become, and the check knows it.
    expect(steps.down).toEqual([
      {
        sql: "ALTER TABLE Users MODIFY COLUMN IF EXISTS name String DEFAULT defaultValueOfTypeName('String')",
        checkConversion: { table: "Users", column: "name", toType: "String", nullsTakeDefault: true },
        cause,
      },
      {
        sql: "ALTER TABLE Users MODIFY COLUMN IF EXISTS name REMOVE DEFAULT",
        cause: { ...cause, column: { ...cause.column, removes: "default" }, needs: ["removeColumnProperty"] },
      },
    ]);
    expect(steps.irreversible).toMatch(/conversion/);
  });

  it("says what a drop cannot bring back", () => {
    const [dropColumn] = diffManifests(manifest({ tables: [users()] }), manifest({ tables: [users({}, [column("id", "String"), column("name", "String")])] })).operations;
    expect(operationSteps(dropColumn!).irreversible).toBe("the data in Users.email (down adds the column back with its default)");
    const [dropTable] = diffManifests(manifest({ tables: [users()] }), manifest()).operations;
    expect(operationSteps(dropTable!).irreversible).toMatch(/rows of Users/);
  });

  it("a backfilled materialized view gets an INSERT … SELECT step", () => {
    const from = manifest({ tables: [users()] });
    const to = manifest({ tables: [users()], materializedViews: [mv("M", "SELECT id FROM Users", ["Users"], "Users")] });
    const [op] = diffManifests(from, to, { backfillMaterializedViews: true }).operations;
    expect(operationSteps(op!).up.map((step) => ("sql" in step ? step.sql : ""))).toEqual([
      "CREATE MATERIALIZED VIEW IF NOT EXISTS M TO Users AS\nSELECT id FROM Users",
      `INSERT INTO Users (${users().columns.map((column) => column.name).join(", ")})\nSELECT ${users().columns.map((column) => column.name).join(", ")} FROM (\nSELECT id FROM Users\n)`,
    ]);
  });

  it("every SQL and Kafka step names its operation; a rebuild's steps name their part", () => {
    for (const op of ops) {
      const { up, down } = operationSteps(op);
      for (const step of up) if ("sql" in step || "kafka" in step) expect(step.cause).toMatchObject({ operation: op.kind, target: op.target, risk: op.risk });
      for (const step of down) if ("sql" in step || "kafka" in step) expect(step.cause?.target).toBe(op.target);
    }
    const rebuild = ops.find((op) => op.kind === "recreateTable")!;
    expect(operationSteps(rebuild).up.map((step) => ("sql" in step ? step.cause?.rebuild : undefined))).toEqual(["clear", "create", "copy", "exchange", "drop-old"]);
  });

  it("migrationSteps: up in order, down in reverse", () => {
    const ops2 = diffManifests(manifest(), manifest({ tables: [users()], streams: [stream("E")] })).operations;
    const { up, down } = migrationSteps(ops2);
    expect(up.map(stepKind)).toEqual(["sql", "kafka.createTopic"]);
    expect(down.map(stepKind)).toEqual(["kafka.deleteTopic", "sql"]);
  });
});

import { describe, expect, it } from "vitest";
import { assessRisk } from "../../../src/diff/index.js";
import { ingestBreakingChanges } from "../../../src/diff/risk.js";
import type { Operation, Risk } from "../../../src/diff/operations.js";
import { ALL_KINDS, api, column, ingestApi, mv, sqlResource, stream, table, transform, view, workflow } from "./builders.js";

const t = table("T", [column("id", "String")]);
const base = { target: "T", summary: "", risk: "safe" as Risk };

/** Every operation kind, with the risk it must get. */
const cases: Array<[Operation, Risk]> = [
  [{ ...base, kind: "createTable", table: t }, "safe"],
  [{ ...base, kind: "dropTable", table: t }, "data-loss"],
  [{ ...base, kind: "addColumn", table: "T", column: column("a", "Int32"), position: { after: "id" } }, "safe"],
  [{ ...base, kind: "dropColumn", table: "T", column: column("a", "Int32") }, "data-loss"],
  [{ ...base, kind: "modifyColumn", table: "T", from: column("a", "Int32"), to: column("a", "Int64"), changed: ["type"] }, "rewrite"],
  [{ ...base, kind: "modifyColumn", table: "T", from: column("a", "Int32"), to: column("a", "Int32", { nullable: true }), changed: ["nullable"] }, "rewrite"],
  [{ ...base, kind: "modifyColumn", table: "T", from: column("a", "Int32"), to: column("a", "Int32", { comment: "x" }), changed: ["comment"] }, "safe"],
  [{ ...base, kind: "modifyColumn", table: "T", from: column("a", "Int32"), to: column("a", "Int32", { ttl: "x" }), changed: ["ttl"] }, "data-loss"],
  [{ ...base, kind: "renameColumn", table: "T", from: "a", to: "b" }, "safe"],
  [{ ...base, kind: "modifyTtl", table: "T", to: "ts + INTERVAL 1 DAY" }, "data-loss"],
  [{ ...base, kind: "modifyTtl", table: "T", from: "ts + INTERVAL 1 DAY" }, "safe"],
  [{ ...base, kind: "modifySettings", table: "T", set: { a: "1" }, previous: {}, reset: [] }, "safe"],
  [{ ...base, kind: "addIndex", table: "T", index: { name: "i", expression: "id", type: "minmax", granularity: 1 } }, "safe"],
  [{ ...base, kind: "dropIndex", table: "T", index: { name: "i", expression: "id", type: "minmax", granularity: 1 } }, "safe"],
  [{ ...base, kind: "recreateTable", from: t, to: { ...t, orderBy: [] }, reasons: [] }, "rewrite"],
  [{ ...base, kind: "recreateTable", from: t, to: { ...t, columns: [column("other", "String")] }, reasons: [] }, "data-loss"],
  [{ ...base, kind: "createView", view: view("V", "SELECT 1", []) }, "safe"],
  [{ ...base, kind: "dropView", view: view("V", "SELECT 1", []) }, "breaking"],
  [{ ...base, kind: "replaceView", from: view("V", "SELECT 1", []), to: view("V", "SELECT 2", []) }, "safe"],
  [{ ...base, kind: "createMaterializedView", view: mv("M", "SELECT 1", [], "T"), backfill: { columns: ["x"] } }, "safe"],
  [{ ...base, kind: "dropMaterializedView", view: mv("M", "SELECT 1", [], "T") }, "breaking"],
  [{ ...base, kind: "createTopic", stream: stream("S") }, "safe"],
  [{ ...base, kind: "deleteTopic", stream: stream("S") }, "data-loss"],
  [{ ...base, kind: "alterTopicConfig", topic: "S", changes: { "retention.ms": { from: "100", to: "50" } } }, "data-loss"],
  [{ ...base, kind: "alterTopicConfig", topic: "S", changes: { "retention.ms": { from: "100", to: "500" } } }, "safe"],
  [{ ...base, kind: "addPartitions", topic: "S", from: 1, to: 2 }, "safe"],
  [{ ...base, kind: "modifyStreamSchema", topic: "S", from: [], to: [column("a", "String")] }, "breaking"],
  [{ ...base, kind: "addApi", api: api("a") }, "safe"],
  [{ ...base, kind: "removeApi", api: api("a") }, "breaking"],
  [{ ...base, kind: "updateApi", from: api("a"), to: api("a", { version: "2" }) }, "safe"],
  [{ ...base, kind: "addIngestApi", api: ingestApi("a") }, "safe"],
  [{ ...base, kind: "removeIngestApi", api: ingestApi("a") }, "breaking"],
  [{ ...base, kind: "updateIngestApi", from: ingestApi("a"), to: ingestApi("a", { columns: [] }) }, "breaking"],
  [{ ...base, kind: "addWorkflow", workflow: workflow("w") }, "safe"],
  [{ ...base, kind: "removeWorkflow", workflow: workflow("w") }, "safe"],
  [{ ...base, kind: "updateWorkflow", from: workflow("w"), to: workflow("w", { retries: 2 }) }, "safe"],
  [{ ...base, kind: "addProcess", process: transform("S", "D") }, "safe"],
  [{ ...base, kind: "removeProcess", process: transform("S", "D") }, "safe"],
  [{ ...base, kind: "updateProcess", from: transform("S", "D"), to: transform("S", "D", "b") }, "safe"],
  [{ ...base, kind: "createSqlResource", resource: sqlResource("R") }, "safe"],
  [{ ...base, kind: "dropSqlResource", resource: sqlResource("R") }, "breaking"],
  [{ ...base, kind: "rawSql", sql: "OPTIMIZE TABLE T FINAL" }, "rewrite"],
];

describe("assessRisk", () => {
  it.each(cases)("%# %o", (op, expected) => {
    expect(assessRisk(op)).toBe(expected);
  });

  it("covers every operation kind", () => {
    expect([...new Set(cases.map(([op]) => op.kind))].sort()).toEqual(Object.keys(ALL_KINDS).sort());
  });
});

describe("ingestBreakingChanges", () => {
  const withField = (type: string) => ingestApi("a", { columns: [column("id", "String"), column("n", type)] });
  it("lets a field widen to a type that takes every value it took", () => {
    for (const [from, to] of [["UInt16", "UInt32"], ["Int32", "Int64"], ["UInt8", "Int16"], ["Float32", "Float64"]]) {
      expect(ingestBreakingChanges(withField(from!), withField(to!)), `${from} → ${to}`).toEqual([]);
    }
  });

  it("calls a narrower or differently signed type breaking", () => {
    for (const [from, to] of [["UInt32", "UInt16"], ["Int32", "UInt64"], ["UInt32", "Int32"], ["Float64", "Float32"], ["Int64", "String"]]) {
      expect(ingestBreakingChanges(withField(from!), withField(to!)), `${from} → ${to}`).toEqual([`field n: ${from} → ${to}`]);
    }
  });
});

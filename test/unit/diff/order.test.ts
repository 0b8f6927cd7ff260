import { describe, expect, it } from "vitest";
import { diffManifests, orderOperations } from "../../../src/diff/index.js";
import type { Operation } from "../../../src/diff/operations.js";
import { withRisk } from "../../../src/diff/risk.js";
import { api, column, ingestApi, manifest, mv, stream, table, users, view, workflow } from "./builders.js";

const sequence = (ops: Operation[]) => ops.map((op) => `${op.kind}:${op.target}`);

describe("orderOperations", () => {
  it("creates tables before the materialized views that read and write them", () => {
    const to = manifest({
      tables: [users(), table("Counts", [column("id", "String"), column("n", "UInt64")])],
      materializedViews: [mv("UsersToCounts", "SELECT id, count() AS n FROM Users GROUP BY id", ["Users"], "Counts")],
    });
    expect(sequence(diffManifests(manifest(), to).operations)).toEqual([
      "createTable:Counts",
      "createTable:Users",
      "createMaterializedView:UsersToCounts",
    ]);
  });

  it("drops materialized views before their tables", () => {
    const from = manifest({
      tables: [users(), table("Counts", [column("id", "String"), column("n", "UInt64")])],
      materializedViews: [mv("UsersToCounts", "SELECT id, count() AS n FROM Users GROUP BY id", ["Users"], "Counts")],
    });
    expect(sequence(diffManifests(from, manifest()).operations)).toEqual([
      "dropMaterializedView:UsersToCounts",
      "dropTable:Counts",
      "dropTable:Users",
    ]);
  });

  it("creates a view after the views it reads, and drops it before them", () => {
    const views = [view("Top", "SELECT * FROM Middle", ["Middle"]), view("Middle", "SELECT * FROM Base", ["Base"]), view("Base", "SELECT * FROM Users", ["Users"])];
    const withViews = manifest({ tables: [users()], views });
    expect(sequence(diffManifests(manifest(), withViews).operations)).toEqual(["createTable:Users", "createView:Base", "createView:Middle", "createView:Top"]);
    expect(sequence(diffManifests(withViews, manifest()).operations)).toEqual(["dropView:Top", "dropView:Middle", "dropView:Base", "dropTable:Users"]);
  });

  it("does all teardown before any setup", () => {
    const from = manifest({ tables: [users(), table("Old", [column("id", "String")])], apis: [api("old")], streams: [stream("OldEvents")] });
    const to = manifest({
      tables: [users({}, [column("id", "String"), column("name", "String"), column("age", "Int32")]), table("New", [column("id", "String")])],
      apis: [api("new")],
      streams: [stream("Events", { destination: "New" })],
      ingestApis: [ingestApi("Events")],
      workflows: [workflow("daily")],
    });
    expect(sequence(diffManifests(from, to).operations)).toEqual([
      "removeApi:old",
      "deleteTopic:OldEvents",
      "dropColumn:Users",
      "dropTable:Old",
      "createTable:New",
      "addColumn:Users",
      "createTopic:Events",
      "addIngestApi:Events",
      "addApi:new",
      "addWorkflow:daily",
    ]);
  });

  it("keeps the given order within one rank and does not mutate its input", () => {
    const ops = [
      withRisk({ kind: "createTable", target: "B", summary: "", table: table("B", [column("id", "String")]) }),
      withRisk({ kind: "dropTable", target: "A", summary: "", table: table("A", [column("id", "String")]) }),
      withRisk({ kind: "createTable", target: "A", summary: "", table: table("A", [column("id", "String")]) }),
    ];
    const before = [...ops];
    expect(sequence(orderOperations(ops))).toEqual(["dropTable:A", "createTable:B", "createTable:A"]);
    expect(ops).toEqual(before);
  });

  it("does not loop on views that read each other", () => {
    const ops = [
      withRisk({ kind: "createView", target: "A", summary: "", view: view("A", "SELECT * FROM B", ["B"]) }),
      withRisk({ kind: "createView", target: "B", summary: "", view: view("B", "SELECT * FROM A", ["A"]) }),
    ];
    expect(orderOperations(ops)).toHaveLength(2);
  });
});

import { describe, expect, it } from "vitest";
import { diffManifests } from "../../../src/diff/index.js";
import { invertOperation } from "../../../src/diff/invert.js";
import { canonicalManifestJson, hashManifest } from "../../../src/manifest/canonical.js";
import { emptyManifest, fromStoredManifest, toStoredManifest } from "../../../src/manifest/types.js";
import { renderPlan } from "../../../src/plan/render.js";
import { operationSteps } from "../../../src/plan/steps.js";
import { rowPolicyStatements } from "../../../src/infra/clickhouse/row-policies.js";
import type { SqlStep } from "../../../src/steps/index.js";
import { column, manifest, sqlResource, table, view } from "./builders.js";

const orders = table("Orders", [column("id", "UInt64"), column("status", "String")]);
const lookup = sqlResource("lookup", {
  setup: ["CREATE DICTIONARY d (id UInt64, status String) PRIMARY KEY id SOURCE(CLICKHOUSE(TABLE 'Orders')) LAYOUT(FLAT()) LIFETIME(0)"],
  teardown: ["DROP DICTIONARY IF EXISTS d"],
  pullsDataFrom: ["Orders"],
});

describe("diffSqlResources", () => {
  it("sets a new resource up after the tables and views it reads, and tears it down before they go", () => {
    const paid = view("Paid", "SELECT id FROM Orders WHERE status = 'paid'", ["Orders"]);
    const up = diffManifests(manifest(), manifest({ tables: [orders], views: [paid], sqlResources: [lookup] }));
    expect(up.operations.map((op) => [op.kind, op.target, op.risk])).toEqual([
      ["createTable", "Orders", "safe"],
      ["createView", "Paid", "safe"],
      ["createSqlResource", "lookup", "safe"],
    ]);
    const down = diffManifests(manifest({ tables: [orders], views: [paid], sqlResources: [lookup] }), manifest());
    expect(down.operations.map((op) => op.kind)).toEqual(["dropSqlResource", "dropView", "dropTable"]);
    expect(down.operations[0]).toMatchObject({ risk: "breaking", summary: "remove SQL resource lookup" });
  });

  it("sets a resource up after the resources it reads, whatever their names, and tears it down before them", () => {
    const dictionary = sqlResource("zDictionary");
    const reader = sqlResource("aReader", { pullsDataFrom: ["zDictionary"] });
    const readerOfReader = sqlResource("bReader", { pullsDataFrom: ["aReader", "Orders"] });
    const all = manifest({ tables: [orders], sqlResources: [readerOfReader, reader, dictionary] });
    expect(diffManifests(manifest(), all).operations.map((op) => op.target)).toEqual(["Orders", "zDictionary", "aReader", "bReader"]);
    expect(diffManifests(all, manifest()).operations.map((op) => op.target)).toEqual(["bReader", "aReader", "zDictionary", "Orders"]);
  });

  it("ignores a change of layout or comments only, and recreates on a changed statement", () => {
    const before = manifest({ tables: [orders], sqlResources: [lookup] });
    const reformatted = sqlResource("lookup", { ...lookup, setup: [`-- the status of each order\n${lookup.setup[0]!.replace(/ /g, "  ")}`], source: { file: "app/other.ts", line: 3 } });
    expect(diffManifests(before, manifest({ tables: [orders], sqlResources: [reformatted] })).operations).toEqual([]);

    const hashed = sqlResource("lookup", { ...lookup, setup: [lookup.setup[0]!.replace("FLAT()", "HASHED()")] });
    const changed = diffManifests(before, manifest({ tables: [orders], sqlResources: [hashed] }));
    expect(changed.operations.map((op) => [op.kind, op.summary])).toEqual([
      ["dropSqlResource", "tear down SQL resource lookup to set it up again (setup changed)"],
      ["createSqlResource", "set up SQL resource lookup (setup changed)"],
    ]);
    // The old teardown runs, then the new setup.
    expect(changed.operations.flatMap((op) => operationSteps(op).up.map((step) => ("sql" in step ? step.sql : "")))).toEqual([lookup.teardown[0], hashed.setup[0]]);

    const newTeardown = sqlResource("lookup", { ...lookup, teardown: ["DROP DICTIONARY d"] });
    expect(diffManifests(before, manifest({ tables: [orders], sqlResources: [newTeardown] })).operations[1]!.summary).toBe("set up SQL resource lookup (teardown changed)");
  });

  it("sets a resource up again when a table it reads is rebuilt", () => {
    const before = manifest({ tables: [orders], sqlResources: [lookup] });
    const reordered = table("Orders", orders.columns, { orderBy: ["status", "id"] });
    const ops = diffManifests(before, manifest({ tables: [reordered], sqlResources: [lookup] })).operations;
    expect(ops.map((op) => op.kind)).toEqual(["dropSqlResource", "recreateTable", "createSqlResource"]);
    expect(ops[2]!.summary).toBe("set up SQL resource lookup (table Orders is rebuilt)");
  });

  it("writes each statement as a step, the other list as its down, and says when there is no teardown", () => {
    const [create] = diffManifests(manifest(), manifest({ sqlResources: [lookup] })).operations;
    expect(operationSteps(create!)).toMatchObject({
      up: [{ sql: lookup.setup[0], cause: { operation: "createSqlResource", target: "lookup", risk: "safe" } }],
      down: [{ sql: lookup.teardown[0] }],
    });
    expect(invertOperation(create!)).toMatchObject({ kind: "dropSqlResource", target: "lookup" });

    const lasting = sqlResource("lasting", { teardown: [] });
    const [add] = diffManifests(manifest(), manifest({ sqlResources: [lasting] })).operations;
    expect(operationSteps(add!).irreversible).toBe("SQL resource lasting has no teardown statements");
    const [remove] = diffManifests(manifest({ sqlResources: [lasting] }), manifest()).operations;
    expect(operationSteps(remove!)).toEqual({ up: [{ note: "SQL resource lasting has no teardown statements: what its setup made stays" }], down: [] });
  });

  it("shows each statement's first line in the plan", () => {
    const plan = diffManifests(manifest({ tables: [orders] }), manifest({ tables: [orders], sqlResources: [lookup] }));
    const text = renderPlan(plan, { color: false });
    expect(text).toContain("+ lookup (SQL Resource)");
    expect(text).toContain("+ CREATE DICTIONARY d (id UInt64, status String) PRIMARY KEY id");
  });

  it("a SelectRowPolicy's resource is shown and summarised as a row policy, and its steps need the server's row policies", () => {
    const policy = { tables: ["Orders"], column: "status", claim: "status" };
    const statements = rowPolicyStatements("by_status", policy);
    const byStatus = sqlResource("by_status", { ...statements, pullsDataFrom: ["Orders"], rowPolicy: policy });
    const plan = diffManifests(manifest({ tables: [orders] }), manifest({ tables: [orders], sqlResources: [byStatus] }));
    expect(renderPlan(plan, { color: false })).toContain("+ by_status (Row Policy)");
    expect(plan.operations[0]).toMatchObject({ summary: "set up row policy by_status" });
    const steps = operationSteps(plan.operations[0]!);
    expect([...steps.up, ...steps.down].map((step) => (step as SqlStep).cause?.needs)).toEqual([["rowPolicy"], ["rowPolicy"], ["rowPolicy"], ["rowPolicy"]]);
    const removal = diffManifests(manifest({ tables: [orders], sqlResources: [byStatus] }), manifest({ tables: [orders] }));
    expect(removal.operations[0]).toMatchObject({ summary: "remove row policy by_status" });
    expect(renderPlan(removal, { color: false })).toContain("- by_status (Row Policy)");
  });
});

describe("SQL resources in stored manifests", () => {
  it("leave no key while there are none, so earlier states keep their hashes", () => {
    const stored = toStoredManifest(manifest({ tables: [orders] }));
    expect("sqlResources" in stored).toBe(false);
    expect(canonicalManifestJson(manifest({ tables: [orders] }))).not.toContain("sqlResources");
    expect(fromStoredManifest(stored).sqlResources).toEqual({});
    expect(hashManifest(emptyManifest())).toBe(hashManifest(fromStoredManifest(toStoredManifest(emptyManifest()))));
    expect(hashManifest(manifest({ sqlResources: [lookup] }))).not.toBe(hashManifest(emptyManifest()));
  });
});

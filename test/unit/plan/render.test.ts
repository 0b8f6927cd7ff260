import { describe, expect, it } from "vitest";
import { diffManifests } from "../../../src/diff/index.js";
import { planToJson } from "../../../src/plan/json.js";
import { renderPlan } from "../../../src/plan/render.js";
import { column, manifest, stream, table, users } from "../diff/builders.js";

describe("renderPlan", () => {
  it("says No changes. for an empty plan", () => {
    expect(renderPlan({ operations: [], blocked: [], kept: [], renameCandidates: [] })).toBe("No changes.\n");
  });

  it("has no escape codes unless colour is asked for", () => {
    const result = diffManifests(manifest({ tables: [users()] }), manifest({ tables: [users({}, [column("id", "String")])], streams: [stream("E")] }));
    const plain = renderPlan(result);
    const coloured = renderPlan(result, { color: true });
    expect(plain).not.toMatch(/\u001b\[/);
    expect(coloured).toMatch(/\u001b\[32m\+ E\u001b\[0m \(Streaming Topic\)/);
    expect(coloured.replace(/\u001b\[\d+m/g, "")).toBe(plain);
  });

  it("shows blocked changes even when nothing else changes", () => {
    const result = diffManifests(manifest({ streams: [stream("E", { partitionCount: 3 })] }), manifest({ streams: [stream("E", { partitionCount: 1 })] }));
    expect(renderPlan(result)).toBe(
      "Infrastructure Changes:\n\n⛔ blocked: shrink topic E from 3 to 1 partitions — Kafka topics can only gain partitions. " +
        "Keep partitionCount at 3, or create a new stream (new name or version) with 1 partitions and move producers to it.\n",
    );
  });

  it("escapes control characters in names so they cannot forge plan lines", () => {
    const result = diffManifests(manifest(), manifest({ tables: [table("evil\n  + fake (OLAP Table)", [column("id", "String")])] }));
    const text = renderPlan(result);
    expect(text).toContain("+ evil\\n  + fake (OLAP Table) (OLAP Table)");
    expect(text.split("\n").filter((line) => line.includes("+ fake"))).toHaveLength(1);
  });
});

describe("planToJson", () => {
  it("summarises counts, risks and flags, and carries each operation's steps", () => {
    const from = manifest({ tables: [users(), table("Old", [column("id", "String")])] });
    const to = manifest({ tables: [users({}, [column("id", "String"), column("name", "String"), column("contact", "String")])], streams: [stream("E")] });
    const json = planToJson(diffManifests(from, to), { from: "a".repeat(64), to: "b".repeat(64) });
    expect(json).toMatchObject({
      version: 1,
      from: "a".repeat(64),
      to: "b".repeat(64),
      hasChanges: true,
      hasDataLoss: true,
      hasBlocked: false,
      summary: { new: 1, modified: 1, removed: 1, operations: 4, blocked: 0, byRisk: { safe: 2, "data-loss": 2, rewrite: 0, breaking: 0 } },
      renameCandidates: [{ table: "Users", from: "email", to: "contact", flag: "--rename Users.email=contact" }],
    });
    expect(json.components.map((component) => [component.name, component.label, component.change])).toEqual([
      ["Users", "OLAP Table", "modified"],
      ["Old", "OLAP Table", "removed"],
      ["E", "Streaming Topic", "new"],
    ]);
    const dropTable = json.operations.find((op) => op.kind === "dropTable");
    expect(dropTable?.steps.up).toEqual([{ sql: "DROP TABLE IF EXISTS Old", cause: { operation: "dropTable", target: "Old", risk: "data-loss" } }]);
    expect(dropTable?.effect).toBe("all rows are lost");
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it("an empty plan has no changes", () => {
    expect(planToJson({ operations: [], blocked: [], kept: [], renameCandidates: [] })).toMatchObject({ hasChanges: false, components: [], operations: [] });
  });
});

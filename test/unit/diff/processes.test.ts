import { describe, expect, it } from "vitest";
import { diffManifests } from "../../../src/diff/index.js";
import { invertOperation } from "../../../src/diff/invert.js";
import { planToJson } from "../../../src/plan/json.js";
import { renderPlan } from "../../../src/plan/render.js";
import { operationSteps } from "../../../src/plan/steps.js";
import { column, manifest, stream, sync, table, transform } from "./builders.js";

const users = table("Users", [column("id", "String")]);
const events = stream("UserEvents", { destination: "Users" });
const enriched = stream("Enriched");
const failures = stream("Failures");

describe("diffProcesses", () => {
  it("adds a process after the topic and table it reads and writes exist", () => {
    const result = diffManifests(manifest(), manifest({ tables: [users], streams: [events], processes: [sync("UserEvents", "Users")] }));
    expect(result.operations.map((op) => [op.kind, op.target, op.risk])).toEqual([
      ["createTable", "Users", "safe"],
      ["createTopic", "UserEvents", "safe"],
      ["addProcess", "sync:UserEvents->Users", "safe"],
    ]);
  });

  it("removes a process before the topic and table it used are dropped", () => {
    const result = diffManifests(manifest({ tables: [users], streams: [events], processes: [sync("UserEvents", "Users")] }), manifest());
    expect(result.operations.map((op) => op.kind)).toEqual(["removeProcess", "deleteTopic", "dropTable"]);
    expect(result.operations[0]!.risk).toBe("safe");
  });

  it("updates a transform whose code changed, and only then", () => {
    const before = manifest({ streams: [events, enriched], processes: [transform("UserEvents", "Enriched", "a")] });
    const moved = manifest({ streams: [events, enriched], processes: [transform("UserEvents", "Enriched", "a", { location: { file: "app/other.ts", line: 9 } })] });
    expect(diffManifests(before, moved).operations).toEqual([]);
    const changed = manifest({ streams: [events, enriched], processes: [transform("UserEvents", "Enriched", "b")] });
    const [op] = diffManifests(before, changed).operations;
    expect(op).toMatchObject({ kind: "updateProcess", target: "transform:UserEvents->Enriched", risk: "safe" });
    expect(op!.summary).toBe(`update transform process UserEvents -> Enriched: code ${"a".repeat(8)} → ${"b".repeat(8)}`);
  });

  it("updates a transform whose dead-letter queue changed, after the queue's topic is created", () => {
    const before = manifest({ streams: [events, enriched], processes: [transform("UserEvents", "Enriched")] });
    const after = manifest({ streams: [events, enriched, failures], processes: [transform("UserEvents", "Enriched", "a", { deadLetterQueue: "Failures" })] });
    const result = diffManifests(before, after);
    expect(result.operations.map((op) => op.kind)).toEqual(["createTopic", "updateProcess"]);
    expect(result.operations[1]!.summary).toContain("dead-letter queue none → Failures");
  });

  it("treats a new version as a new process beside the old one", () => {
    const before = manifest({ streams: [events, enriched], processes: [transform("UserEvents", "Enriched")] });
    const after = manifest({ streams: [events, enriched], processes: [transform("UserEvents", "Enriched"), transform("UserEvents", "Enriched", "b", { version: "2" })] });
    expect(diffManifests(before, after).operations.map((op) => [op.kind, op.target])).toEqual([["addProcess", "transform:UserEvents->Enriched@2"]]);
  });

  it("inverts each process operation for down, judged safe as well", () => {
    const before = manifest({ streams: [events, enriched], processes: [transform("UserEvents", "Enriched"), { kind: "consumer", source: "Enriched", codeHash: "c".repeat(64) }] });
    const after = manifest({ streams: [events, enriched], processes: [transform("UserEvents", "Enriched", "b"), sync("UserEvents", "Users")] });
    const operations = diffManifests(before, after).operations;
    expect(operations.map((op) => op.kind).sort()).toEqual(["addProcess", "removeProcess", "updateProcess"]);
    for (const op of operations) {
      const inverse = invertOperation(op)!;
      expect(inverse.risk).toBe("safe");
      expect(inverse.target).toBe(op.target);
    }
    const update = operations.find((op) => op.kind === "updateProcess")!;
    expect(invertOperation(update)).toMatchObject({ kind: "updateProcess", from: { codeHash: "b".repeat(64) }, to: { codeHash: "a".repeat(64) } });
  });
});

describe("plans of processes", () => {
  it("shows a new sync and transform as the docs do, with a note step each and nothing to run in Kafka", () => {
    const result = diffManifests(
      manifest({ tables: [users], streams: [events, enriched] }),
      manifest({ tables: [users], streams: [events, enriched], processes: [sync("UserEvents", "Users"), transform("UserEvents", "Enriched")] }),
    );
    expect(renderPlan(result)).toBe(
      "Infrastructure Changes:\n\n✨ New Components\n  + UserEvents -> Users (Sync Process)\n  + UserEvents -> Enriched (Function Process)\n",
    );
    for (const op of result.operations) {
      const steps = operationSteps(op);
      expect([...steps.up, ...steps.down].every((step) => "note" in step)).toBe(true);
    }
    expect(operationSteps(result.operations[0]!).up).toEqual([{ note: "sync process UserEvents -> Users (sync:UserEvents->Users) added" }]);
  });

  it("shows a code change as `~ … (Function Process)` and a removal as a Background Process", () => {
    const before = manifest({ streams: [events, enriched], processes: [transform("UserEvents", "Enriched"), { kind: "consumer", source: "Enriched", codeHash: "c".repeat(64) }] });
    const after = manifest({ streams: [events, enriched], processes: [transform("UserEvents", "Enriched", "b")] });
    const text = renderPlan(diffManifests(before, after));
    expect(text).toContain("🔄 Modified Components\n  ~ UserEvents -> Enriched (Function Process)\n      ~ code aaaaaaaa → bbbbbbbb\n");
    expect(text).toContain("❌ Removed Components\n  - Enriched consumer (Background Process)\n      - consumer process consumer:Enriched\n");
    expect(text).not.toContain("⚠️");
  });

  it("gives the JSON plan each process component with its label, change label and note steps", () => {
    const before = manifest({ streams: [events, enriched, failures], processes: [transform("UserEvents", "Enriched")] });
    const after = manifest({ streams: [events, enriched, failures], processes: [transform("UserEvents", "Enriched", "a", { deadLetterQueue: "Failures" })] });
    const json = planToJson(diffManifests(before, after));
    expect(json.components).toEqual([
      {
        kind: "process",
        label: "Function Process",
        name: "UserEvents -> Enriched",
        change: "modified",
        changeLabel: "Config Change",
        details: [{ sign: "~", text: "dead-letter queue none → Failures" }],
        operations: [0],
      },
    ]);
    expect(json.hasDataLoss).toBe(false);
    expect(json.operations[0]!.steps.up).toEqual([
      { note: "transform process UserEvents -> Enriched (transform:UserEvents->Enriched) updated: dead-letter queue none → Failures" },
    ]);
  });
});

describe("plans of processes that read alike", () => {
  it("keeps a sync into table X and a transform into stream X apart", () => {
    const raw = stream("Raw", { destination: "Users" });
    const usersStream = stream("Users");
    const result = diffManifests(
      manifest({ tables: [users], streams: [raw, usersStream] }),
      manifest({ tables: [users], streams: [raw, usersStream], processes: [sync("Raw", "Users"), transform("Raw", "Users")] }),
    );
    expect(renderPlan(result)).toBe("Infrastructure Changes:\n\n✨ New Components\n  + Raw -> Users (Sync Process)\n  + Raw -> Users (Function Process)\n");
  });
});

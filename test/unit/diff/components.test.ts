import { describe, expect, it } from "vitest";
import { diffManifests, withKept } from "../../../src/diff/index.js";
import type { Manifest } from "../../../src/manifest/types.js";
import { api, column, ingestApi, manifest, mv, stream, users, view, workflow } from "./builders.js";

type Case = { name: string; from: Manifest; to: Manifest; expected: Array<[string, string, string]>; blocked?: string[]; kept?: string[] };

const cases: Case[] = [
  // Streams
  { name: "create topic", from: manifest(), to: manifest({ streams: [stream("Events")] }), expected: [["createTopic", "Events", "safe"]] },
  { name: "delete topic", from: manifest({ streams: [stream("Events")] }), to: manifest(), expected: [["deleteTopic", "Events", "data-loss"]] },
  {
    name: "longer retention",
    from: manifest({ streams: [stream("Events")] }),
    to: manifest({ streams: [stream("Events", { retentionMs: 60000 })] }),
    expected: [["alterTopicConfig", "Events", "safe"]],
  },
  {
    name: "shorter retention deletes messages",
    from: manifest({ streams: [stream("Events", { retentionMs: 60000 })] }),
    to: manifest({ streams: [stream("Events")] }),
    expected: [["alterTopicConfig", "Events", "data-loss"]],
  },
  {
    name: "other topic config",
    from: manifest({ streams: [stream("Events")] }),
    to: manifest({ streams: [stream("Events", { config: { "max.message.bytes": "2097152" } })] }),
    expected: [["alterTopicConfig", "Events", "safe"]],
  },
  {
    name: "more partitions",
    from: manifest({ streams: [stream("Events")] }),
    to: manifest({ streams: [stream("Events", { partitionCount: 4 })] }),
    expected: [["addPartitions", "Events", "safe"]],
  },
  {
    name: "fewer partitions is blocked",
    from: manifest({ streams: [stream("Events", { partitionCount: 4 })] }),
    to: manifest({ streams: [stream("Events", { partitionCount: 2 })] }),
    expected: [],
    blocked: ["shrink topic Events from 4 to 2 partitions"],
  },
  {
    name: "replication factor change is blocked",
    from: manifest({ streams: [stream("Events", { replicationFactor: 1 })] }),
    to: manifest({ streams: [stream("Events", { replicationFactor: 3 })] }),
    expected: [],
    blocked: ["change replication factor of topic Events from 1 to 3"],
  },
  {
    name: "message schema change breaks consumers",
    from: manifest({ streams: [stream("Events")] }),
    to: manifest({ streams: [stream("Events", { columns: [column("id", "String"), column("at", "DateTime")] })] }),
    expected: [["modifyStreamSchema", "Events", "breaking"]],
  },
  {
    name: "protected topic delete is not done: the topic is kept",
    from: manifest({ streams: [stream("Events", { lifeCycle: "DELETION_PROTECTED" })] }),
    to: manifest(),
    expected: [],
    kept: ["delete topic Events"],
  },
  { name: "externally managed topic", from: manifest({ streams: [stream("Events", { lifeCycle: "EXTERNALLY_MANAGED" })] }), to: manifest(), expected: [] },
  // Views
  { name: "create view", from: manifest(), to: manifest({ views: [view("V", "SELECT 1", [])] }), expected: [["createView", "V", "safe"]] },
  { name: "drop view", from: manifest({ views: [view("V", "SELECT 1", [])] }), to: manifest(), expected: [["dropView", "V", "breaking"]] },
  { name: "replace view", from: manifest({ views: [view("V", "SELECT 1", [])] }), to: manifest({ views: [view("V", "SELECT 2", [])] }), expected: [["replaceView", "V", "safe"]] },
  {
    name: "protected view drop is not done: the view is kept",
    from: manifest({ views: [view("V", "SELECT 1", [], { lifeCycle: "DELETION_PROTECTED" })] }),
    to: manifest(),
    expected: [],
    kept: ["drop view V"],
  },
  // Materialized views
  {
    name: "create materialized view",
    from: manifest(),
    to: manifest({ materializedViews: [mv("M", "SELECT id FROM Users", ["Users"], "Counts")] }),
    expected: [["createMaterializedView", "M", "safe"]],
  },
  {
    name: "drop materialized view",
    from: manifest({ materializedViews: [mv("M", "SELECT id FROM Users", ["Users"], "Counts")] }),
    to: manifest(),
    expected: [["dropMaterializedView", "M", "breaking"]],
  },
  {
    name: "materialized view SQL change: drop, then create",
    from: manifest({ materializedViews: [mv("M", "SELECT id FROM Users", ["Users"], "Counts")] }),
    to: manifest({ materializedViews: [mv("M", "SELECT id, name FROM Users", ["Users"], "Counts")] }),
    expected: [
      ["dropMaterializedView", "M", "breaking"],
      ["createMaterializedView", "M", "safe"],
    ],
  },
  {
    name: "materialized view over a rebuilt table is re-attached",
    from: manifest({ tables: [users()], materializedViews: [mv("M", "SELECT id FROM Users", ["Users"], "Counts")] }),
    to: manifest({ tables: [users({ orderBy: ["id", "email"] })], materializedViews: [mv("M", "SELECT id FROM Users", ["Users"], "Counts")] }),
    expected: [
      ["dropMaterializedView", "M", "breaking"],
      ["recreateTable", "Users", "rewrite"],
      ["createMaterializedView", "M", "safe"],
    ],
  },
  // APIs
  { name: "add API", from: manifest(), to: manifest({ apis: [api("metrics")] }), expected: [["addApi", "metrics", "safe"]] },
  { name: "remove API", from: manifest({ apis: [api("metrics")] }), to: manifest(), expected: [["removeApi", "metrics", "breaking"]] },
  {
    name: "API: new optional parameter is compatible",
    from: manifest({ apis: [api("metrics")] }),
    to: manifest({ apis: [api("metrics", { params: { type: "object", properties: { limit: { type: "number" }, offset: { type: "number" } }, required: [] } })] }),
    expected: [["updateApi", "metrics", "safe"]],
  },
  {
    name: "API: parameter removed",
    from: manifest({ apis: [api("metrics")] }),
    to: manifest({ apis: [api("metrics", { params: { type: "object", properties: {}, required: [] } })] }),
    expected: [["updateApi", "metrics", "breaking"]],
  },
  {
    name: "API: parameter becomes required",
    from: manifest({ apis: [api("metrics")] }),
    to: manifest({ apis: [api("metrics", { params: { type: "object", properties: { limit: { type: "number" } }, required: ["limit"] } })] }),
    expected: [["updateApi", "metrics", "breaking"]],
  },
  {
    name: "API: result field removed",
    from: manifest({ apis: [api("metrics")] }),
    to: manifest({ apis: [api("metrics", { result: { type: "array", items: { type: "object", properties: { id: { type: "string" } } } } })] }),
    expected: [["updateApi", "metrics", "breaking"]],
  },
  {
    // TypeScript lists a literal union in no fixed order: a manifest written by another build is the same API.
    name: "API: a parameter's enum values in another order",
    from: manifest({ apis: [api("metrics", { params: { type: "object", properties: { status: { enum: ["refunded", "paid", 2, 1] } } } })] }),
    to: manifest({ apis: [api("metrics", { params: { type: "object", properties: { status: { enum: [1, 2, "paid", "refunded"] } } } })] }),
    expected: [],
  },
  {
    name: "ingest API: a field's enum values in another order",
    from: manifest({ ingestApis: [ingestApi("events", { schema: { type: "object", properties: { status: { enum: ["refunded", "paid"] } } } })] }),
    to: manifest({ ingestApis: [ingestApi("events", { schema: { type: "object", properties: { status: { enum: ["paid", "refunded"] } } } })] }),
    expected: [],
  },
  // Ingest APIs
  { name: "add ingest API", from: manifest(), to: manifest({ ingestApis: [ingestApi("events")] }), expected: [["addIngestApi", "events", "safe"]] },
  { name: "remove ingest API", from: manifest({ ingestApis: [ingestApi("events")] }), to: manifest(), expected: [["removeIngestApi", "events", "breaking"]] },
  {
    name: "ingest API: new optional field",
    from: manifest({ ingestApis: [ingestApi("events")] }),
    to: manifest({ ingestApis: [ingestApi("events", { columns: [column("id", "String"), column("note", "String", { nullable: true })] })] }),
    expected: [["updateIngestApi", "events", "safe"]],
  },
  {
    name: "ingest API: new required field",
    from: manifest({ ingestApis: [ingestApi("events")] }),
    to: manifest({ ingestApis: [ingestApi("events", { columns: [column("id", "String"), column("at", "DateTime")] })] }),
    expected: [["updateIngestApi", "events", "breaking"]],
  },
  // Workflows
  { name: "add workflow", from: manifest(), to: manifest({ workflows: [workflow("daily")] }), expected: [["addWorkflow", "daily", "safe"]] },
  { name: "remove workflow", from: manifest({ workflows: [workflow("daily")] }), to: manifest(), expected: [["removeWorkflow", "daily", "safe"]] },
  {
    name: "update workflow schedule, retries, timeout, tasks",
    from: manifest({ workflows: [workflow("daily")] }),
    to: manifest({ workflows: [workflow("daily", { schedule: "@daily", retries: 3, timeout: "1h", tasks: [{ name: "first", onComplete: ["second"] }, { name: "second", onComplete: [] }] })] }),
    expected: [["updateWorkflow", "daily", "safe"]],
  },
];

describe("streams, views, materialized views, APIs, workflows", () => {
  it.each(cases)("$name", ({ from, to, expected, blocked, kept }) => {
    const result = diffManifests(from, to);
    expect(result.operations.map((op) => [op.kind, op.target, op.risk])).toEqual(expected);
    expect(result.blocked.map((entry) => entry.summary)).toEqual(blocked ?? []);
    expect(result.kept.map((entry) => entry.summary)).toEqual(kept ?? []);
    for (const entry of [...result.blocked, ...result.kept]) expect(entry.reason.length).toBeGreaterThan(20);
    // What is kept stays in the state the plan leads to, as it was.
    const state = withKept(to, from, result.kept);
    for (const entry of result.kept) expect(state[entry.section][entry.target]).toEqual(from[entry.section][entry.target]);
  });

  it("explains a partition decrease and what to do instead", () => {
    const result = diffManifests(manifest({ streams: [stream("Events", { partitionCount: 4 })] }), manifest({ streams: [stream("Events", { partitionCount: 2 })] }));
    expect(result.blocked[0]?.reason).toMatch(/only gain partitions.*new stream/);
  });

  it("summarises the workflow changes", () => {
    const result = diffManifests(manifest({ workflows: [workflow("daily")] }), manifest({ workflows: [workflow("daily", { schedule: "@daily" })] }));
    expect(result.operations[0]?.summary).toBe("update workflow daily: schedule none → @daily");
  });

  it("backfills a new materialized view over an existing table when asked", () => {
    const from = manifest({ tables: [users()] });
    const to = manifest({ tables: [users()], materializedViews: [mv("M", "SELECT id FROM Users", ["Users"], "Users")] });
    const [op] = diffManifests(from, to, { backfillMaterializedViews: true }).operations;
    expect(op?.kind === "createMaterializedView" && op.backfill).toEqual({ columns: users().columns.map((column) => column.name) });
    const [plain] = diffManifests(from, to).operations;
    expect(plain?.kind === "createMaterializedView" && plain.backfill).toBe(false);
  });

  it("does not backfill a view over tables created in the same plan", () => {
    const to = manifest({ tables: [users()], materializedViews: [mv("M", "SELECT id FROM Users", ["Users"], "Users")] });
    const op = diffManifests(manifest(), to, { backfillMaterializedViews: true }).operations.find((entry) => entry.kind === "createMaterializedView");
    expect(op?.kind === "createMaterializedView" && op.backfill).toBe(false);
  });

  it("does not backfill a re-created view: its target already holds what the view produced", () => {
    const from = manifest({ tables: [users()], materializedViews: [mv("M", "SELECT id FROM Users", ["Users"], "Users")] });
    const to = manifest({ tables: [users()], materializedViews: [mv("M", "SELECT id FROM Users WHERE id != ''", ["Users"], "Users")] });
    const created = diffManifests(from, to, { backfillMaterializedViews: true }).operations.find((entry) => entry.kind === "createMaterializedView");
    expect(created?.kind === "createMaterializedView" && created.backfill).toBe(false);
  });
});

import { createHash } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import type { ColumnSpec } from "../../../src/manifest/types.js";
import { DeadLetterQueue, getRegistry, IngestPipeline, OlapTable, registryToManifest, Stream } from "../../../src/sdk/index.js";
import { METADATA_MARKER, type InjectedMetadata } from "../../../src/sdk/metadata.js";
import { processFunctions, processId, processSpecs } from "../../../src/sdk/processes.js";

const columns: ColumnSpec[] = [
  { name: "id", type: "String", nullable: false, primaryKey: true },
  { name: "n", type: "Int64", nullable: false },
];

function injected(line: number): InjectedMetadata {
  return { [METADATA_MARKER]: 1, source: { file: "app/index.ts", line, col: 1 }, columns, schema: { type: "object" } };
}

interface Row {
  id: string;
  n: number;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

beforeEach(() => getRegistry().clear());

describe("processId", () => {
  it("names syncs, transforms (versioned, multi) and consumers as the contract says", () => {
    expect(processId({ kind: "sync", source: "Events", destination: "Events" })).toBe("sync:Events->Events");
    expect(processId({ kind: "transform", source: "Events", destination: "Enriched" })).toBe("transform:Events->Enriched");
    expect(processId({ kind: "transform", source: "Events", destination: "Enriched", version: "1.1" })).toBe("transform:Events->Enriched@1.1");
    expect(processId({ kind: "transform", source: "Events", destination: "*" })).toBe("transform:Events->*");
    expect(processId({ kind: "consumer", source: "Events" })).toBe("consumer:Events");
    expect(processId({ kind: "consumer", source: "Events", version: "2" })).toBe("consumer:Events@2");
  });
});

describe("processSpecs", () => {
  it("sends the dead letters of a pipeline's sync, transforms and consumers to its queue, unless one names its own (as MooseStack)", () => {
    const pipeline = new IngestPipeline<Row>("Orders", { table: true, stream: true, ingestApi: true, deadLetterQueue: true }, injected(3));
    const enriched = new Stream<Row>("Enriched", {}, injected(4));
    const own = new DeadLetterQueue<Row>("OwnQueue", {}, injected(5));
    pipeline.stream!.addTransform(enriched, (row) => row);
    pipeline.stream!.addConsumer(() => undefined);
    pipeline.stream!.addConsumer(() => undefined, { version: "2", deadLetterQueue: own });
    const specs = processSpecs();
    expect(specs["sync:Orders->Orders"]?.deadLetterQueue).toBe("OrdersDeadLetterQueue");
    expect(specs["transform:Orders->Enriched"]?.deadLetterQueue).toBe("OrdersDeadLetterQueue");
    expect(specs["consumer:Orders"]?.deadLetterQueue).toBe("OrdersDeadLetterQueue");
    expect(specs["consumer:Orders@2"]?.deadLetterQueue).toBe("OwnQueue");
    // `null`: no queue at all, the pipeline's included (MooseStack's TransformConfig / ConsumerConfig).
    pipeline.stream!.addConsumer(() => undefined, { version: "3", deadLetterQueue: null });
    expect(processSpecs()["consumer:Orders@3"]?.deadLetterQueue).toBeUndefined();
    expect(pipeline.ingestApi!.config.deadLetterQueue).toBe(pipeline.deadLetterQueue);
  });

  it("lets a pipeline's version and path win over its ingest API's own (as MooseStack)", () => {
    const pipeline = new IngestPipeline<Row>("Clicks", { table: true, stream: true, ingestApi: { version: "9", path: "mine" }, version: "2", path: "clicks/v2" }, injected(3));
    expect(pipeline.ingestApi!.id).toBe("clicks/v2");
  });

  it("records a sync for a stream with a destination table, and each transform and consumer with its code hash", () => {
    const pipeline = new IngestPipeline<Row>("Events", { table: true, stream: true, ingestApi: true }, injected(3));
    const enriched = new Stream<Row>("Enriched", {}, injected(4));
    const failures = new DeadLetterQueue<Row>("Failures", {}, injected(5));
    const enrich = (row: Row) => ({ ...row, n: row.n + 1 });
    pipeline.stream!.addTransform(enriched, enrich, { deadLetterQueue: failures });
    pipeline.stream!.addTransform(enriched, (row: Row) => row, { version: "2" });
    const audit = (row: Row) => void row;
    enriched.addConsumer(audit);

    const specs = processSpecs();
    expect(Object.keys(specs).sort()).toEqual(["consumer:Enriched", "sync:Events->Events", "transform:Events->Enriched", "transform:Events->Enriched@2"]);
    expect(specs["sync:Events->Events"]).toEqual({ kind: "sync", source: "Events", destination: "Events", location: { file: "app/index.ts", line: 3, col: 1 } });
    expect(specs["transform:Events->Enriched"]).toEqual({
      kind: "transform",
      source: "Events",
      destination: "Enriched",
      codeHash: sha256(enrich.toString()),
      deadLetterQueue: "Failures",
      location: { file: "app/index.ts", line: 3, col: 1 },
    });
    expect(specs["transform:Events->Enriched@2"]).toMatchObject({ version: "2" });
    expect(specs["consumer:Enriched"]).toMatchObject({ kind: "consumer", source: "Enriched", codeHash: sha256(audit.toString()) });
    expect(specs["consumer:Enriched"]!.destination).toBeUndefined();
    expect(registryToManifest().processes).toEqual(specs);
  });

  it("hashes the user's function behind a dead-letter queue's wrapper, so two different handlers differ", () => {
    const queue = new DeadLetterQueue<Row>("Failures", {}, injected(3));
    const retries = new Stream<Row>("Retries", {}, injected(4));
    const recover = (letter: { asTyped: () => Row }) => letter.asTyped();
    queue.addTransform(retries, recover);
    const alert = (letter: { errorMessage: string }) => void letter.errorMessage;
    queue.addConsumer(alert);
    const specs = processSpecs();
    expect(specs["transform:Failures->Retries"]!.codeHash).toBe(sha256(recover.toString()));
    expect(specs["consumer:Failures"]!.codeHash).toBe(sha256(alert.toString()));
  });

  it("records addMultiTransform as the transform to *", () => {
    const events = new Stream<Row>("Events", {}, injected(3));
    const other = new Stream<Row>("Other", {}, injected(4));
    events.addMultiTransform((row: Row) => [other.routed(row)]);
    expect(processSpecs()["transform:Events->*"]).toMatchObject({ kind: "transform", source: "Events", destination: "*" });
  });

  it("gives the running half each transform and consumer's function, and no function for a sync", async () => {
    const table = new OlapTable<Row>("Rows", {}, injected(2));
    const events = new Stream<Row>("Events", { destination: table }, injected(3));
    const enriched = new Stream<Row>("Enriched", {}, injected(4));
    events.addTransform(enriched, (row: Row) => ({ ...row, n: row.n * 2 }));
    const functions = processFunctions();
    expect(functions.get("sync:Events->Rows")!.run).toBeUndefined();
    expect(await functions.get("transform:Events->Enriched")!.run!({ id: "a", n: 2 })).toEqual({ id: "a", n: 4 });
  });

  it("has no processes for streams without a destination, transforms or consumers", () => {
    new Stream<Row>("Events", {}, injected(3));
    expect(registryToManifest().processes).toEqual({});
  });
});

describe("a stream's functions and its Date fields", () => {
  it("get the record with each Date field as a Date (nested, in arrays and maps), as MooseStack's runner gives it; other text is left", async () => {
    const source = new Stream<Row>("Dated", {}, { ...injected(3), dateFields: [["at"], ["visits", "[]", "at"], ["last", "at"], ["days", "[]"], ["byKey", "{}"], ["pair", "1"], ["event.time"], ["missing"]] });
    const seen: unknown[] = [];
    source.addConsumer((record) => void seen.push(record));
    const dead = new DeadLetterQueue<Row>("DatedDead", {}, injected(4));
    dead.addConsumer((record) => void seen.push(record.failedAt));
    const run = (id: string, record: unknown) => processFunctions().get(id)!.run!(record);
    await run("consumer:Dated", JSON.parse(JSON.stringify({
      id: "a", at: "2026-01-02T03:04:05.250Z", text: "2026-01-02T03:04:05Z", visits: [{ at: "2026-01-03T00:00:00Z" }, { at: null }], last: { at: "not a date" },
      days: ["2026-01-04T00:00:00Z"], byKey: { k: "2026-01-05T00:00:00Z" }, pair: ["2026-01-07T00:00:00Z", "2026-01-07T00:00:00Z"], "event.time": "2026-01-08T00:00:00Z",
    })));
    await run("consumer:DatedDead", { originalRecord: {}, errorMessage: "x", errorType: "Error", failedAt: "2026-01-06T00:00:00Z", source: "transform" });
    const [record, failedAt] = seen as [Record<string, any>, unknown];
    expect(record.at).toEqual(new Date("2026-01-02T03:04:05.250Z"));
    expect(record.text).toBe("2026-01-02T03:04:05Z");
    expect(record.visits[0].at).toEqual(new Date("2026-01-03T00:00:00Z"));
    expect(record.visits[1].at).toBeNull();
    expect(record.last.at).toBe("not a date");
    expect(record.days[0]).toBeInstanceOf(Date);
    expect(record.byKey.k).toBeInstanceOf(Date);
    expect(record.pair).toEqual(["2026-01-07T00:00:00Z", new Date("2026-01-07T00:00:00Z")]);
    expect(record["event.time"]).toBeInstanceOf(Date);
    expect(failedAt).toEqual(new Date("2026-01-06T00:00:00Z"));
  });
});

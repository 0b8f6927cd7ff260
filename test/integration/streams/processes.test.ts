/**
 * Stream processes against a real broker and the embedded engine: a sync stores every valid record
 * once and sends the rest to its dead-letter queue, retries (never skips) a batch ClickHouse refuses
 * for reasons other than its values, and after dying between insert and commit it
 * stores its pending range once on a deduplicating engine; a transform's poisoned record goes to the DLQ
 * with MooseStack's fields while the others are delivered (fan-out and drops included); a consumer
 * sees every record; reconcile restarts only what changed and resumes at the committed offsets, and
 * starts a process kept as not-run once the reloaded code has its function (TypeScript and Python); a
 * Python app's record that kills its worker is dead-lettered alone, the good records batched with it delivered.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractManifest } from "../../../src/extract/index.js";
import type { ColumnSpec } from "../../../src/manifest/types.js";
import { processId } from "../../../src/sdk/processes.js";
import { processGroupId } from "../../../src/streams/kafka.js";
import { Supervisor, type ProcessFunctions, type ProcessReport } from "../../../src/streams/supervisor.js";
import { deduplicationToken } from "../../../src/streams/sync.js";
import { useEmbeddedDatabase } from "../../helpers/clickhouse.js";
import { startTestBroker, testNamespace, type TestBroker } from "../../helpers/kafka.js";
import { testPython } from "../../helpers/python.js";
import { createTopics, manifestOf, markPending, produce, readTopic, stream, streamsConfig, table, until } from "./fixtures.js";

const columns: ColumnSpec[] = [
  { name: "id", type: "UInt32", nullable: false },
  { name: "name", type: "String", nullable: false },
  { name: "at", type: "DateTime('UTC')", nullable: false },
];
const DLQ_COLUMNS: ColumnSpec[] = [{ name: "originalRecord", type: "JSON", nullable: false }];

const database = useEmbeddedDatabase("streams_processes");
let broker: TestBroker;
const errors: string[] = [];
const events = { error: (_id: string, message: string) => void errors.push(message) };

beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

async function createTable(name: string): Promise<void> {
  await database().exec(`CREATE TABLE ${name} (id UInt32, name String, at DateTime('UTC')) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 1000`);
}

describe("sync: topic → table", () => {
  it("stores each valid record once, converted like ingest, and dead-letters the ones that do not fit (not JSON, not UTF-8, nested too deep)", async () => {
    const namespace = testNamespace();
    const config = streamsConfig(broker.broker, namespace);
    const events_ = stream("Events", columns, { destination: "Events" });
    const dlq = stream("EventsDead", DLQ_COLUMNS);
    const manifest = manifestOf({ streams: [events_, dlq], tables: [table("Events", columns)], processes: [{ kind: "sync", source: "Events", destination: "Events", deadLetterQueue: "EventsDead" }] });
    await createTopics(config, [events_, dlq]);
    await createTable("Events");
    const valid = Array.from({ length: 300 }, (_, index) => ({ id: index, name: `n${index}`, at: "2026-01-05T10:00:00+02:00", extra: "dropped" }));
    // Nested deeper than JSON.stringify goes: its letter carries the message's text.
    const deep = `{"id":1,"name":"deep","at":"2026-01-05T10:00:00Z","x":${"[".repeat(20_000)}${"]".repeat(20_000)}}`;
    const latin1 = Buffer.from('{"id":2,"name":"caf\xe9","at":"2026-01-05T10:00:00Z"}', "latin1");
    await produce(broker.broker, `${namespace}Events`, [...valid.slice(0, 150), { id: -1, name: "negative", at: "2026-01-05T10:00:00Z" }, { id: 7 }, ...valid.slice(150)], ["not json", deep, latin1]);

    const supervisor = new Supervisor({ projectDir: "/tmp/streams-test", config, driver: database(), events });
    try {
      const result = await supervisor.reconcile(manifest, new Map());
      expect(result).toEqual({ started: ["sync:Events->Events"], restarted: [], stopped: [], failed: [], notRun: [] });
      await until(async () => (await database().query<{ n: string }>("SELECT count() AS n FROM Events"))[0]!.n === "300", 30_000, "300 rows");
      const letters = (await readTopic(broker.broker, `${namespace}EventsDead`, 5)) as Array<Record<string, unknown>>;
      expect(letters.map((letter) => letter.originalRecord)).toEqual([
        { id: -1, name: "negative", at: "2026-01-05T10:00:00Z" },
        { id: 7 },
        { value: "not json" },
        { value: deep },
        { value: latin1.toString("utf8") },
      ]);
      expect(letters.map((letter) => [letter.source, letter.errorType])).toEqual([
        ["table", "RecordInvalidError"],
        ["table", "RecordInvalidError"],
        ["table", "SyntaxError"],
        ["table", "RecordInvalidError"],
        ["table", "RecordInvalidError"],
      ]);
      expect(letters.slice(3).map((letter) => letter.errorMessage)).toEqual(["nests arrays and objects more than 100 levels deep", "the message is not valid UTF-8"]);
      expect(String(letters[1]!.errorMessage)).toContain("name");
      expect(Number.isNaN(Date.parse(String(letters[0]!.failedAt)))).toBe(false);
      const [row] = await database().query("SELECT id, name, toString(at) AS at FROM Events WHERE id = 3");
      expect(row).toEqual({ id: 3, name: "n3", at: "2026-01-05 08:00:00" });
      const [report] = await supervisor.report();
      expect(report).toMatchObject({ id: "sync:Events->Events", state: "running", processed: 300, deadLettered: 5, skipped: 0, lag: 0 });

      // A new column in the table restarts the sync (its checks follow the columns); the same manifest restarts nothing.
      expect(await supervisor.reconcile(manifest, new Map())).toEqual({ started: [], restarted: [], stopped: [], failed: [], notRun: [] });
      const wider = { ...manifest, tables: { Events: table("Events", [...columns, { name: "note", type: "String", nullable: true }]) } };
      expect(await supervisor.reconcile(wider, new Map())).toEqual({ started: [], restarted: ["sync:Events->Events"], stopped: [], failed: [], notRun: [] });
    } finally {
      await supervisor.close();
    }
  });
});

describe("sync: a dead-letter queue that refuses its letters for good", () => {
  it("logs and skips those records instead of failing the sync, and keeps storing the rest", async () => {
    const namespace = testNamespace();
    const config = streamsConfig(broker.broker, namespace);
    const source = stream("Strict", columns, { destination: "Strict" });
    // Every dead letter (the record plus the error's text) is larger than the queue's topic accepts.
    const dlq = stream("StrictDead", DLQ_COLUMNS, { config: { "max.message.bytes": "64" } });
    await createTopics(config, [source, dlq]);
    await createTable("Strict");
    const manifest = manifestOf({ streams: [source, dlq], tables: [table("Strict", columns)], processes: [{ kind: "sync", source: "Strict", destination: "Strict", deadLetterQueue: "StrictDead" }] });
    const supervisor = new Supervisor({ projectDir: "/tmp/streams-test", config, driver: database(), events });
    try {
      await supervisor.reconcile(manifest, new Map());
      await produce(broker.broker, `${namespace}Strict`, [{ id: 1, name: "n1", at: "2026-01-05T10:00:00Z" }, { id: 2 }]);
      await until(async () => (await supervisor.report())[0]?.skipped === 1, 30_000, "the refused letter counted as skipped");
      await produce(broker.broker, `${namespace}Strict`, [{ id: 3, name: "n3", at: "2026-01-05T10:00:00Z" }]);
      await until(async () => (await supervisor.report())[0]?.lag === 0, 30_000, "the sync to catch up");
      expect((await supervisor.report())[0]).toMatchObject({ state: "running", processed: 2, skipped: 1, deadLettered: 0 });
      expect((await database().query<{ id: number }>("SELECT id FROM Strict ORDER BY id")).map((row) => row.id)).toEqual([1, 3]);
      expect(errors.some((message) => message.includes(`could not be sent to the dead-letter queue ${namespace}StrictDead (skipped)`))).toBe(true);
    } finally {
      await supervisor.close();
    }
  });
});

describe("sync: ClickHouse refusing every insert", () => {
  it("retries the batch with backoff instead of skipping it, and stores it once ClickHouse takes it", async () => {
    const namespace = testNamespace();
    const config = streamsConfig(broker.broker, namespace);
    const late = stream("Late", columns, { destination: "Late" });
    await createTopics(config, [late]);
    await produce(broker.broker, `${namespace}Late`, Array.from({ length: 50 }, (_, id) => ({ id, name: `n${id}`, at: "2026-01-05T10:00:00Z" })));
    const supervisor = new Supervisor({ projectDir: "/tmp/streams-test", config, driver: database(), events });
    try {
      // The table is not there yet: every insert fails (UNKNOWN_TABLE), which is not the records' fault.
      await supervisor.reconcile(manifestOf({ streams: [late], tables: [table("Late", columns)], processes: [{ kind: "sync", source: "Late", destination: "Late" }] }), new Map());
      await until(async () => ((await supervisor.report())[0]?.lastError?.message ?? "").includes("retrying"), 30_000, "a retried insert");
      await createTable("Late");
      await until(async () => (await database().query<{ n: string }>("SELECT count() AS n FROM Late"))[0]!.n === "50", 30_000, "50 rows");
      // Lags are measured at most every LAG_MAX_AGE_MS: wait for a fresh one.
      await until(async () => (await supervisor.report())[0]?.lag === 0, 30_000, "lag 0");
      expect((await supervisor.report())[0]).toMatchObject({ processed: 50, skipped: 0, deadLettered: 0, lag: 0 });
    } finally {
      await supervisor.close();
    }
  });
});

describe("sync: resuming after a process died between its insert and its commit", () => {
  it("inserts the pending range again with the same token: stored once on a deduplicating MergeTree, twice on a plain one", async () => {
    const namespace = testNamespace();
    const config = streamsConfig(broker.broker, namespace);
    const projectDir = "/tmp/streams-resume";
    const dedup = stream("Dedup", columns, { destination: "Dedup" });
    const plain = stream("Plain", columns, { destination: "Plain" });
    await createTopics(config, [dedup, plain]);
    await createTable("Dedup");
    await database().exec("CREATE TABLE Plain (id UInt32, name String, at DateTime('UTC')) ENGINE = MergeTree ORDER BY id");
    const records = Array.from({ length: 10 }, (_, id) => ({ id, name: `n${id}`, at: "2026-01-05T10:00:00Z" }));
    // Recent: the broker deletes records older than its retention (7 days) at its next retention check.
    const sentAt = String(Date.now());
    const processes = [
      { kind: "sync" as const, source: "Dedup", destination: "Dedup" },
      { kind: "sync" as const, source: "Plain", destination: "Plain" },
    ];
    for (const spec of processes) {
      const topic = `${namespace}${spec.source}`;
      await produce(broker.broker, topic, records, [], sentAt);
      // What a killed sync leaves: offsets 0–4 marked pending in its group, and inserted with their token.
      await markPending(broker.broker, processGroupId(projectDir, namespace, processId(spec)), topic, "moose-ts:pending:4");
      await database().insert(spec.destination, records.slice(0, 5).map((record) => ({ ...record, at: "2026-01-05 10:00:00" })), {
        deduplicationToken: deduplicationToken(topic, 0, 0n, 4n, { first: sentAt, last: sentAt }),
      });
    }

    const supervisor = new Supervisor({ projectDir, config, driver: database(), events });
    try {
      await supervisor.reconcile(manifestOf({ streams: [dedup, plain], tables: [table("Dedup", columns), table("Plain", columns, {})], processes }), new Map());
      // Every record handled, the pending range too (a lag of 0 alone can be read before that range's insert).
      let reports: ProcessReport[] = [];
      await until(
        async () => (reports = await supervisor.report()).every((report) => report.lag === 0 && report.processed === 10),
        30_000,
        () => `both syncs to catch up; last seen: ${JSON.stringify(reports)}; errors: ${JSON.stringify(errors)}`,
      );
      expect(await database().query("SELECT count() AS rows, uniqExact(id) AS ids FROM Dedup")).toEqual([{ rows: "10", ids: "10" }]);
      // Without non_replicated_deduplication_window the engine keeps the repeat (docs/streams.md "Deduplication").
      expect(await database().query("SELECT count() AS rows, uniqExact(id) AS ids FROM Plain")).toEqual([{ rows: "15", ids: "10" }]);
    } finally {
      await supervisor.close();
    }
  });
});

describe("transforms and consumers", () => {
  it("delivers every result in order, fans out arrays, drops null, and dead-letters the record that keeps throwing", async () => {
    const namespace = testNamespace();
    const config = streamsConfig(broker.broker, namespace, { process_retries: 2 });
    const source = stream("Raw", columns);
    const target = stream("Clean", columns);
    const dlq = stream("RawDead", DLQ_COLUMNS);
    await createTopics(config, [source, target, dlq]);
    const attempts = new Map<number, number>();
    const seen: number[] = [];
    const transform = (record: { id: number; name: string; at: string }) => {
      attempts.set(record.id, (attempts.get(record.id) ?? 0) + 1);
      if (record.id === 13) throw new RangeError("unlucky record");
      if (record.id % 10 === 0) return null;
      if (record.id === 5) return [record, { ...record, name: "copy" }];
      return { ...record, name: record.name.toUpperCase() };
    };
    const manifest = manifestOf({
      streams: [source, target, dlq],
      processes: [
        { kind: "transform", source: "Raw", destination: "Clean", codeHash: "a", deadLetterQueue: "RawDead" },
        { kind: "consumer", source: "Raw", codeHash: "b" },
      ],
    });
    const functions: ProcessFunctions = new Map([
      ["transform:Raw->Clean", { spec: manifest.processes["transform:Raw->Clean"]!, run: transform }],
      ["consumer:Raw", { spec: manifest.processes["consumer:Raw"]!, run: (record: { id: number }) => void seen.push(record.id) }],
    ]);
    await produce(broker.broker, `${namespace}Raw`, Array.from({ length: 30 }, (_, id) => ({ id, name: `n${id}`, at: "2026-01-05T10:00:00Z" })));

    const supervisor = new Supervisor({ projectDir: "/tmp/streams-test", config, driver: database(), events });
    try {
      await supervisor.reconcile(manifest, functions);
      // 30 records: 3 dropped (0, 10, 20), 1 dead-lettered (13), 1 fanned out to 2 (5) → 27 results.
      const results = (await readTopic(broker.broker, `${namespace}Clean`, 27)) as Array<{ id: number; name: string }>;
      expect(results.map((result) => result.id)).toEqual([1, 2, 3, 4, 5, 5, 6, 7, 8, 9, 11, 12, 14, 15, 16, 17, 18, 19, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
      expect(results.find((result) => result.id === 5 && result.name === "copy")).toBeDefined();
      const [letter] = (await readTopic(broker.broker, `${namespace}RawDead`, 1)) as Array<Record<string, unknown>>;
      expect(letter).toMatchObject({ originalRecord: { id: 13, name: "n13" }, errorMessage: "unlucky record", errorType: "RangeError", source: "transform" });
      // Where it came from, as MooseStack's runner adds it.
      expect(letter!.originalRecord).toMatchObject({ __sourcePartition: expect.any(Number), __sourceOffset: expect.stringMatching(/^\d+$/), __sourceTimestamp: expect.stringMatching(/^\d+$/) });
      expect(attempts.get(13)).toBe(3); // the first try and process_retries = 2 retries
      await until(() => seen.length >= 30, 30_000, "the consumer to see 30 records");
      expect(seen).toEqual(Array.from({ length: 30 }, (_, id) => id));

      // Same definitions: nothing restarts, and the next record runs the reloaded app's function (a changed helper it calls).
      const reloaded: ProcessFunctions = new Map([...functions, ["transform:Raw->Clean", { spec: manifest.processes["transform:Raw->Clean"]!, run: (record: { id: number; name: string }) => ({ ...record, name: "reloaded" }) }]]);
      expect(await supervisor.reconcile(manifest, reloaded)).toEqual({ started: [], restarted: [], stopped: [], failed: [], notRun: [] });
      await produce(broker.broker, `${namespace}Raw`, [{ id: 30, name: "n30", at: "2026-01-05T10:00:00Z" }]);
      expect(((await readTopic(broker.broker, `${namespace}Clean`, 28)) as Array<{ id: number; name: string }>).at(-1)).toEqual({ id: 30, name: "reloaded", at: "2026-01-05T10:00:00Z" });
      // A new code hash restarts the transform only, at its committed offset.
      const changed = manifestOf({ streams: [source, target, dlq], processes: [{ ...manifest.processes["transform:Raw->Clean"]!, codeHash: "c" }] });
      expect(await supervisor.reconcile(changed, functions)).toEqual({ started: [], restarted: ["transform:Raw->Clean"], stopped: ["consumer:Raw"], failed: [], notRun: [] });
      await produce(broker.broker, `${namespace}Raw`, [{ id: 31, name: "late", at: "2026-01-05T10:00:00Z" }]);
      const after = (await readTopic(broker.broker, `${namespace}Clean`, 29)) as Array<{ id: number }>;
      expect(after.map((result) => result.id).filter((id) => id === 31 || id === 1)).toEqual([1, 31]);
      const reports = await supervisor.report();
      expect(reports).toEqual([expect.objectContaining({ id: "transform:Raw->Clean", state: "running", lag: 0 })]);
    } finally {
      await supervisor.close();
    }
  });

  it("sends results larger together than one batch may be in several requests, and skips (logs) a result its topic never takes", async () => {
    const namespace = testNamespace();
    const config = streamsConfig(broker.broker, namespace);
    const source = stream("Small", columns);
    // 64 KiB per message at most: 500 results of 3 KB (1.5 MB in all) are several batches, one of 100 KB is refused.
    const target = stream("Wide", columns, { config: { "max.message.bytes": "65536" } });
    await createTopics(config, [source, target]);
    const manifest = manifestOf({ streams: [source, target], processes: [{ kind: "transform", source: "Small", destination: "Wide", codeHash: "w" }] });
    const widen = (record: { id: number; name: string; at: string }) => ({ ...record, name: record.name.repeat(record.id === 7 ? 25_000 : 750) });
    const functions: ProcessFunctions = new Map([["transform:Small->Wide", { spec: manifest.processes["transform:Small->Wide"]!, run: widen }]]);
    await produce(broker.broker, `${namespace}Small`, Array.from({ length: 500 }, (_, id) => ({ id, name: `n${String(id).padStart(3, "0")}`, at: "2026-01-05T10:00:00Z" })));
    const before = errors.length;
    const supervisor = new Supervisor({ projectDir: "/tmp/streams-test", config, driver: database(), events });
    try {
      await supervisor.reconcile(manifest, functions);
      const results = (await readTopic(broker.broker, `${namespace}Wide`, 499)) as Array<{ id: number }>;
      expect(results.map((result) => result.id)).toEqual(Array.from({ length: 500 }, (_, id) => id).filter((id) => id !== 7));
      await until(async () => (await supervisor.report())[0]?.skipped === 1, 10_000, "the refused result counted");
      expect((await supervisor.report())[0]).toMatchObject({ state: "running", processed: 500, skipped: 1 });
      expect(errors.slice(before).some((message) => message.includes(`a message for ${namespace}Wide could not be sent (skipped)`))).toBe(true);
    } finally {
      await supervisor.close();
    }
  });

  it("routes a multi-transform's messages to their streams, and dead-letters a result that is not routed messages", async () => {
    const namespace = testNamespace();
    const config = streamsConfig(broker.broker, namespace, { process_retries: 0 });
    const source = stream("Mixed", columns);
    const evens = stream("Evens", columns);
    const odds = stream("Odds", columns);
    const dlq = stream("MixedDead", DLQ_COLUMNS);
    await createTopics(config, [source, evens, odds, dlq]);
    const route = (record: { id: number }) => {
      if (record.id === 3) return "not routed";
      const target = record.id % 2 === 0 ? "Evens" : "Odds";
      return [{ destination: { id: target }, values: [record] }, ...(record.id === 4 ? [{ destination: { id: "Odds" }, values: null }] : [])];
    };
    const spec = { kind: "transform" as const, source: "Mixed", destination: "*", codeHash: "m", deadLetterQueue: "MixedDead" };
    const manifest = manifestOf({ streams: [source, evens, odds, dlq], processes: [spec] });
    await produce(broker.broker, `${namespace}Mixed`, Array.from({ length: 6 }, (_, id) => ({ id, name: `n${id}`, at: "2026-01-05T10:00:00Z" })));
    const supervisor = new Supervisor({ projectDir: "/tmp/streams-test", config, driver: database(), events });
    try {
      const result = await supervisor.reconcile(manifest, new Map([["transform:Mixed->*", { spec, run: route }]]));
      expect(result.started).toEqual(["transform:Mixed->*"]);
      expect(((await readTopic(broker.broker, `${namespace}Evens`, 3)) as Array<{ id: number }>).map((record) => record.id)).toEqual([0, 2, 4]);
      expect(((await readTopic(broker.broker, `${namespace}Odds`, 2)) as Array<{ id: number }>).map((record) => record.id)).toEqual([1, 5]);
      const [letter] = (await readTopic(broker.broker, `${namespace}MixedDead`, 1)) as Array<Record<string, unknown>>;
      expect(letter).toMatchObject({ originalRecord: { id: 3 }, errorType: "TypeError", source: "transform" });
    } finally {
      await supervisor.close();
    }
  });

  it("reports a process that cannot start as failed and one whose function the loaded code lacks as not-run, once", async () => {
    const config = streamsConfig(broker.broker, testNamespace());
    const manifest = manifestOf({
      streams: [stream("Lonely", columns), stream("Orphan", columns, { destination: "Gone" })],
      processes: [
        { kind: "consumer", source: "Lonely", codeHash: "x" },
        { kind: "sync", source: "Orphan", destination: "Gone" },
      ],
    });
    const supervisor = new Supervisor({ projectDir: "/tmp/streams-test", config, driver: database(), events });
    try {
      const result = await supervisor.reconcile(manifest, new Map());
      expect(result.notRun).toEqual([{ id: "consumer:Lonely", message: "the app's code has no function for consumer:Lonely (the applied state is not the code's)" }]);
      expect(result.failed).toEqual([{ id: "sync:Orphan->Gone", message: 'its destination table "Gone" does not exist: the app has none of that name, or creating it failed' }]);
      const reports = await supervisor.report();
      expect(reports.find((report) => report.id === "consumer:Lonely")).toMatchObject({ state: "not-run" });
      expect(reports.find((report) => report.id === "consumer:Lonely")?.lastError).toBeUndefined();
      expect(reports.find((report) => report.id === "sync:Orphan->Gone")).toMatchObject({ state: "failed", lastError: { message: expect.stringContaining("Gone") } });
      // The next reconcile tries the failed one again but does not report the not-run one again.
      const again = await supervisor.reconcile(manifest, new Map());
      expect(again.notRun).toEqual([]);
      expect(again.failed.map((failure) => failure.id)).toEqual(["sync:Orphan->Gone"]);
      // Reloaded code that has the function (same definition) starts the not-run process.
      await createTopics(config, [manifest.streams.Lonely!]);
      const seen: number[] = [];
      const withFunction: ProcessFunctions = new Map([["consumer:Lonely", { spec: manifest.processes["consumer:Lonely"]!, run: (record: { id: number }) => void seen.push(record.id) }]]);
      const found = await supervisor.reconcile(manifest, withFunction);
      expect(found.started).toEqual(["consumer:Lonely"]);
      expect(found.notRun).toEqual([]);
      await produce(broker.broker, `${config.redpanda_config.namespace}Lonely`, [{ id: 1, name: "n1", at: "2026-01-05T10:00:00Z" }]);
      await until(() => seen.length === 1, 30_000, "the started consumer to see the record");
      expect((await supervisor.report()).find((report) => report.id === "consumer:Lonely")).toMatchObject({ state: "running", processed: 1 });
    } finally {
      await supervisor.close();
    }
  });
});

describe("a process whose source topic does not exist yet", () => {
  it("fails to start, is tried again on its own, and runs once the topic is there (an external topic Debezium creates later)", async () => {
    const config = streamsConfig(broker.broker, testNamespace());
    const manifest = manifestOf({ streams: [stream("Late", columns)], processes: [{ kind: "consumer", source: "Late", codeHash: "x" }] });
    const seen: number[] = [];
    const functions: ProcessFunctions = new Map([["consumer:Late", { spec: manifest.processes["consumer:Late"]!, run: (record: { id: number }) => void seen.push(record.id) }]]);
    const supervisor = new Supervisor({ projectDir: "/tmp/streams-test", config, driver: database(), events, startRetryMs: 300 });
    try {
      const result = await supervisor.reconcile(manifest, functions);
      expect(result.failed.map((failure) => failure.id)).toEqual(["consumer:Late"]);
      expect((await supervisor.report())[0]).toMatchObject({ state: "failed" });
      await createTopics(config, [manifest.streams.Late!]);
      await until(async () => (await supervisor.report())[0]?.state === "running", 30_000, "the consumer to start once its topic exists");
      await produce(broker.broker, `${config.redpanda_config.namespace}Late`, [{ id: 7, name: "n7", at: "2026-01-05T10:00:00Z" }]);
      await until(() => seen.length === 1, 30_000, "the consumer to see the record");
      expect(seen).toEqual([7]);
    } finally {
      await supervisor.close();
    }
  });
});

describe("a Python app's transforms and consumers", () => {
  const APP = `import os

from pydantic import BaseModel

from moose_ts import DeadLetterQueue, Key, Stream, TransformConfig


class Reading(BaseModel):
    id: Key[str]
    value: float


readings = Stream[Reading]("Readings")
kept = Stream[Reading]("Kept")
failures = DeadLetterQueue[Reading]("ReadingsDead")


def keep(reading: Reading) -> Reading:
    if reading.id == "killer":
        os._exit(9)
    return reading


def note(reading: Reading) -> None:
    with open(os.path.join(os.environ["MOOSE_PROJECT_DIR"], "seen.txt"), "a") as seen:
        seen.write(reading.id + "\\n")


readings.add_transform(kept, keep, TransformConfig(dead_letter_queue=failures))
readings.add_consumer(note)
`;
  const projectDir = mkdtempSync(path.join(tmpdir(), "moose-streams-python-"));

  beforeAll(() => {
    process.env.MOOSE_PYTHON = testPython();
    mkdirSync(path.join(projectDir, "app"));
    writeFileSync(path.join(projectDir, "moose.config.toml"), `language = "Python"\n`);
    writeFileSync(path.join(projectDir, "app", "main.py"), APP);
  });
  afterAll(() => rmSync(projectDir, { recursive: true, force: true }));

  /** The app's streams, and of its processes only `id`. */
  async function componentsWith(id: string) {
    const manifest = await extractManifest({ projectDir });
    const spec = manifest.processes[id];
    if (!spec) throw new Error(`the app has no process ${id}: ${Object.keys(manifest.processes).join(", ")}`);
    return { streams: manifest.streams, tables: manifest.tables, processes: { [id]: spec } };
  }

  it("dead-letters only the record that kills the worker; the good records batched with it are delivered (process_retries = 0)", async () => {
    const namespace = testNamespace();
    const config = streamsConfig(broker.broker, namespace, { process_retries: 0 });
    const components = await componentsWith("transform:Readings->Kept");
    await createTopics(config, Object.values(components.streams));
    // Produced before the transform starts: its first fetch holds them all, so their first attempts are one worker batch.
    const ids = ["g1", "g2", "killer", "g3", "g4", "g5"];
    await produce(broker.broker, `${namespace}Readings`, ids.map((id) => ({ id, value: 1 })));
    const supervisor = new Supervisor({ projectDir, config, driver: database(), events });
    try {
      expect((await supervisor.reconcile(components, new Map())).started).toEqual(["transform:Readings->Kept"]);
      const delivered = (await readTopic(broker.broker, `${namespace}Kept`, 5)) as Array<{ id: string }>;
      expect(delivered.map((record) => record.id)).toEqual(["g1", "g2", "g3", "g4", "g5"]);
      const letters = (await readTopic(broker.broker, `${namespace}ReadingsDead`, 1)) as Array<Record<string, unknown>>;
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({ originalRecord: { id: "killer", value: 1 }, errorType: "PythonWorkerExitedError", source: "transform" });
      await until(async () => (await supervisor.report())[0]?.lag === 0, 30_000, "the transform to commit every record");
      expect((await supervisor.report())[0]).toMatchObject({ state: "running", processed: 5, deadLettered: 1 });
      expect(errors.some((message) => message.includes("exited (code 9); starting it again"))).toBe(true);
    } finally {
      await supervisor.close();
    }
  });

  it("starts a consumer kept as not-run once the reloaded code has its function", async () => {
    const namespace = testNamespace();
    const config = streamsConfig(broker.broker, namespace);
    const components = await componentsWith("consumer:Readings");
    await createTopics(config, Object.values(components.streams));
    const supervisor = new Supervisor({ projectDir, config, driver: database(), events });
    try {
      // The applied state has the consumer; the code loaded first does not.
      writeFileSync(path.join(projectDir, "app", "main.py"), APP.replace("readings.add_consumer(note)\n", ""));
      const first = await supervisor.reconcile(components, new Map());
      expect(first.notRun.map((entry) => entry.id)).toEqual(["consumer:Readings"]);
      writeFileSync(path.join(projectDir, "app", "main.py"), APP);
      const second = await supervisor.reconcile(components, new Map());
      expect(second).toEqual({ started: ["consumer:Readings"], restarted: [], stopped: [], failed: [], notRun: [] });
      await produce(broker.broker, `${namespace}Readings`, [{ id: "c1", value: 1 }, { id: "c2", value: 2 }]);
      const seen = path.join(projectDir, "seen.txt");
      await until(() => existsSync(seen) && readFileSync(seen, "utf8") === "c1\nc2\n", 30_000, "the consumer to see both records");
    } finally {
      await supervisor.close();
    }
  });
});

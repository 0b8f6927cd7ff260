/**
 * Stream processes' delivery at the edges, against a real broker and the embedded engine: a sync
 * whose batch is retried in the same process (its dead letters refused) inserts the same range
 * with the same token; a sync resuming a pending range that one fetch does not hold inserts it
 * once, whole; a transform stopped while it retries a record leaves that record uncommitted (not
 * dead-lettered) and the next run handles it; a process whose stop fails neither loses its
 * successor nor keeps the shared producer connected; lags are reused for a while, not re-measured per probe,
 * and records the broker deleted before they were read are not lag.
 */
import kafkajs, { type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ColumnSpec } from "../../../src/manifest/types.js";
import { processId } from "../../../src/sdk/processes.js";
import { processGroupId } from "../../../src/streams/kafka.js";
import { Supervisor, type ProcessFunctions } from "../../../src/streams/supervisor.js";
import { deduplicationToken } from "../../../src/streams/sync.js";
import { useEmbeddedDatabase } from "../../helpers/clickhouse.js";
import { startTestBroker, testNamespace, type TestBroker } from "../../helpers/kafka.js";
import { createTopics, manifestOf, markPending, produce, readTopic, stream, streamsConfig, table, until } from "./fixtures.js";

const columns: ColumnSpec[] = [
  { name: "id", type: "UInt32", nullable: false },
  { name: "name", type: "String", nullable: false },
  { name: "at", type: "DateTime('UTC')", nullable: false },
];
const DLQ_COLUMNS: ColumnSpec[] = [{ name: "originalRecord", type: "JSON", nullable: false }];
const record = (id: number) => ({ id, name: `n${id}`, at: "2026-01-05T10:00:00Z" });
/**
 * The Kafka timestamp of the records a test produces, where it builds their deduplication token itself.
 * Recent: the broker deletes records older than its retention (7 days) at its next retention check.
 */
const SENT_AT = String(Date.now());

interface SupervisorInternals {
  running: Map<string, { process?: { stop(): Promise<void> } }>;
  producer?: Producer;
}

const database = useEmbeddedDatabase("streams_delivery");
let broker: TestBroker;
const errors: Array<{ id: string; message: string }> = [];
const events = { error: (id: string, message: string) => void errors.push({ id, message }) };

beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

function admin() {
  return new kafkajs.Kafka({ clientId: "streams-delivery-admin", brokers: [broker.broker], logLevel: kafkajs.logLevel.NOTHING }).admin();
}

async function createDedupTable(name: string): Promise<void> {
  await database().exec(`CREATE TABLE ${name} (id UInt32, name String, at DateTime('UTC')) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 1000`);
}

async function stored(name: string): Promise<{ rows: string; ids: string }> {
  return (await database().query<{ rows: string; ids: string }>(`SELECT count() AS rows, uniqExact(id) AS ids FROM ${name}`))[0]!;
}

describe("sync: a batch retried inside the same process", () => {
  it("inserts the same range under the same token when its dead letters could not be sent and more records arrived meanwhile", async () => {
    const namespace = testNamespace();
    const config = streamsConfig(broker.broker, namespace);
    const source = stream("Retried", columns, { destination: "Retried" });
    const dlq = stream("RetriedDead", DLQ_COLUMNS);
    await createTopics(config, [source, dlq]);
    await createDedupTable("Retried");
    const manifest = manifestOf({
      streams: [source, dlq],
      tables: [table("Retried", columns)],
      processes: [{ kind: "sync", source: "Retried", destination: "Retried", deadLetterQueue: "RetriedDead" }],
    });
    const supervisor = new Supervisor({ projectDir: "/tmp/streams-delivery", config, driver: database(), events });
    try {
      await supervisor.reconcile(manifest, new Map());
      // The shared producer loses its connection: the batch's dead letter fails after its insert, and kafkajs
      // runs the batch again in this process (fetching from the last resolved offset, no rejoin).
      const producer = (supervisor as unknown as SupervisorInternals).producer!;
      await producer.disconnect();
      await produce(broker.broker, `${namespace}Retried`, [record(0), record(1), { id: 2 }, record(3), record(4)]);
      await until(async () => (await stored("Retried")).rows === "4", 30_000, "the first attempt's rows");
      await produce(broker.broker, `${namespace}Retried`, [5, 6, 7, 8, 9].map(record));
      // Each attempt inserts again (counted as processed): wait for two more, so one fetched the new records too.
      const before = (await supervisor.report())[0]!.processed;
      await until(async () => (await supervisor.report())[0]!.processed >= before + 8, 30_000, "two more attempts of the batch");
      await producer.connect();
      await until(async () => (await supervisor.report())[0]?.lag === 0, 60_000, "the sync to catch up");
      expect(await stored("Retried")).toEqual({ rows: "9", ids: "9" });
      const letters = (await readTopic(broker.broker, `${namespace}RetriedDead`, 1)) as Array<Record<string, unknown>>;
      expect(letters[0]).toMatchObject({ originalRecord: { id: 2 }, source: "table" });
    } finally {
      await supervisor.close();
    }
  }, 120_000);
});

describe("sync: resuming a pending range longer than one fetch", () => {
  it("holds the records read until the whole range is there, then inserts it once with its token", async () => {
    const namespace = testNamespace();
    const config = streamsConfig(broker.broker, namespace);
    const projectDir = "/tmp/streams-delivery-resume";
    const source = stream("Partial", columns, { destination: "Partial" });
    const spec = { kind: "sync" as const, source: "Partial", destination: "Partial" };
    const topic = `${namespace}Partial`;
    await createTopics(config, [source]);
    await createDedupTable("Partial");
    const records = Array.from({ length: 15 }, (_, id) => record(id));
    await produce(broker.broker, topic, records.slice(0, 5), [], SENT_AT);
    // A killed process had marked 0–9 pending and inserted them; the first fetch after it returns 0–4 only.
    await markPending(broker.broker, processGroupId(projectDir, namespace, processId(spec)), topic, "moose-ts:pending:9");
    await database().insert("Partial", records.slice(0, 10).map((row) => ({ ...row, at: "2026-01-05 10:00:00" })), {
      deduplicationToken: deduplicationToken(topic, 0, 0n, 9n, { first: SENT_AT, last: SENT_AT }),
    });
    const supervisor = new Supervisor({ projectDir, config, driver: database(), events });
    try {
      await supervisor.reconcile(manifestOf({ streams: [source], tables: [table("Partial", columns)], processes: [spec] }), new Map());
      await until(async () => (await supervisor.report())[0]?.state === "running", 30_000, "the sync to join its group");
      // Let its first fetches (offsets 0–4, inside the pending range) pass before the rest arrives.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await produce(broker.broker, topic, records.slice(5), [], SENT_AT);
      await until(async () => (await supervisor.report())[0]?.lag === 0, 30_000, "the sync to catch up");
      expect(await stored("Partial")).toEqual({ rows: "15", ids: "15" });
    } finally {
      await supervisor.close();
    }
  }, 60_000);
});

describe("sync: a stream created again under the same name", () => {
  it("stores the new topic's first records although the table keeps the old topic's token for the same offsets", async () => {
    const namespace = testNamespace();
    const config = streamsConfig(broker.broker, namespace);
    const source = stream("Again", columns, { destination: "Again" });
    const topic = `${namespace}Again`;
    await createTopics(config, [source]);
    await createDedupTable("Again");
    // What the old topic's sync left: its offsets 0–4 inserted under their token, those records sent an hour earlier.
    const oldSentAt = String(Number(SENT_AT) - 3_600_000);
    await database().insert("Again", [0, 1, 2, 3, 4].map((id) => ({ ...record(id), at: "2026-01-05 10:00:00" })), {
      deduplicationToken: deduplicationToken(topic, 0, 0n, 4n, { first: oldSentAt, last: oldSentAt }),
    });
    // The new topic's offsets 0–4 are other records.
    await produce(broker.broker, topic, [5, 6, 7, 8, 9].map(record), [], SENT_AT);
    const supervisor = new Supervisor({ projectDir: "/tmp/streams-delivery-again", config, driver: database(), events });
    try {
      await supervisor.reconcile(manifestOf({ streams: [source], tables: [table("Again", columns)], processes: [{ kind: "sync", source: "Again", destination: "Again" }] }), new Map());
      await until(async () => (await supervisor.report())[0]?.lag === 0, 30_000, "the sync to catch up");
      expect(await stored("Again")).toEqual({ rows: "10", ids: "10" });
    } finally {
      await supervisor.close();
    }
  }, 60_000);
});

describe("transforms: stopping while a record is retried", () => {
  it("neither dead-letters nor commits that record; the next run handles it", async () => {
    const namespace = testNamespace();
    const config = streamsConfig(broker.broker, namespace, { process_retries: 50 });
    const source = stream("Flaky", columns);
    const target = stream("Steady", columns);
    const dlq = stream("FlakyDead", DLQ_COLUMNS);
    await createTopics(config, [source, target, dlq]);
    const spec = { kind: "transform" as const, source: "Flaky", destination: "Steady", codeHash: "f", deadLetterQueue: "FlakyDead" };
    const manifest = manifestOf({ streams: [source, target, dlq], processes: [spec] });
    let attempts = 0;
    const failing = (value: { id: number }) => {
      if (value.id === 3) {
        attempts++;
        throw new Error("downstream is away");
      }
      return value;
    };
    await produce(broker.broker, `${namespace}Flaky`, [0, 1, 2, 3, 4, 5].map(record));
    const first = new Supervisor({ projectDir: "/tmp/streams-delivery", config, driver: database(), events });
    try {
      await first.reconcile(manifest, new Map([[processId(spec), { spec, run: failing }]]));
      await until(() => attempts >= 2, 30_000, "the record to be retried");
    } finally {
      await first.close();
    }
    const kafkaAdmin = admin();
    await kafkaAdmin.connect();
    try {
      const [committed] = await kafkaAdmin.fetchOffsets({ groupId: processGroupId("/tmp/streams-delivery", namespace, processId(spec)), topics: [`${namespace}Flaky`] });
      expect(committed!.partitions.map((partition) => partition.offset)).toEqual(["3"]);
      expect((await kafkaAdmin.fetchTopicOffsets(`${namespace}FlakyDead`)).map((partition) => partition.high)).toEqual(["0"]);
    } finally {
      await kafkaAdmin.disconnect();
    }

    const second = new Supervisor({ projectDir: "/tmp/streams-delivery", config, driver: database(), events });
    try {
      await second.reconcile(manifest, new Map([[processId(spec), { spec, run: (value: unknown) => value }]]));
      const results = (await readTopic(broker.broker, `${namespace}Steady`, 6)) as Array<{ id: number }>;
      expect(results.map((result) => result.id)).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      await second.close();
    }
  }, 60_000);
});

/** Makes the running process `id` fail its stop after stopping for real (a disconnect the broker refused). */
function failStopOf(supervisor: Supervisor, id: string): void {
  const process = (supervisor as unknown as SupervisorInternals).running.get(id)!.process!;
  const stop = process.stop.bind(process);
  process.stop = async () => {
    await stop();
    throw new Error("the broker refused the leave");
  };
}

describe("supervisor: a process whose stop fails", () => {
  it("still restarts every changed process, and close still disconnects the shared producer; the failures are reported", async () => {
    const namespace = testNamespace();
    const config = streamsConfig(broker.broker, namespace);
    const source = stream("Watched", columns);
    await createTopics(config, [source]);
    const specs = [
      { kind: "consumer" as const, source: "Watched", version: "a", codeHash: "1" },
      { kind: "consumer" as const, source: "Watched", version: "b", codeHash: "1" },
    ];
    const functionsOf = (manifest: ReturnType<typeof manifestOf>): ProcessFunctions =>
      new Map(Object.entries(manifest.processes).map(([id, spec]) => [id, { spec, run: () => undefined }]));
    const manifest = manifestOf({ streams: [source], processes: specs });
    const supervisor = new Supervisor({ projectDir: "/tmp/streams-delivery", config, driver: database(), events });
    try {
      await supervisor.reconcile(manifest, functionsOf(manifest));
      failStopOf(supervisor, "consumer:Watched@a");
      const changed = manifestOf({ streams: [source], processes: specs.map((spec) => ({ ...spec, codeHash: "2" })) });
      const result = await supervisor.reconcile(changed, functionsOf(changed));
      expect(result.restarted.sort()).toEqual(["consumer:Watched@a", "consumer:Watched@b"]);
      expect(errors).toContainEqual({ id: "consumer:Watched@a", message: "did not stop cleanly: the broker refused the leave" });
      expect((await supervisor.report()).map((report) => report.id).sort()).toEqual(["consumer:Watched@a", "consumer:Watched@b"]);

      failStopOf(supervisor, "consumer:Watched@b");
      const producer = (supervisor as unknown as SupervisorInternals).producer!;
      let disconnected = false;
      producer.on(producer.events.DISCONNECT, () => void (disconnected = true));
      await supervisor.close();
      expect(disconnected).toBe(true);
      expect(errors).toContainEqual({ id: "consumer:Watched@b", message: "did not stop cleanly: the broker refused the leave" });
    } finally {
      await supervisor.close();
    }
  }, 60_000);
});

describe("supervisor: lag", () => {
  it("is measured once per lagMaxAgeMs and reused by the reports in between", async () => {
    const namespace = testNamespace();
    const config = streamsConfig(broker.broker, namespace);
    const source = stream("Measured", columns);
    await createTopics(config, [source]);
    const spec = { kind: "consumer" as const, source: "Measured", codeHash: "m" };
    const manifest = manifestOf({ streams: [source], processes: [spec] });
    // The function holds its first record until the end: nothing is committed, so the lag stays what was produced.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const functions: ProcessFunctions = new Map([[processId(spec), { spec, run: () => ((calls += 1), held) }]]);
    const kept = new Supervisor({ projectDir: "/tmp/streams-delivery-kept", config, driver: database(), events, lagMaxAgeMs: 600_000 });
    const fresh = new Supervisor({ projectDir: "/tmp/streams-delivery-fresh", config, driver: database(), events, lagMaxAgeMs: 0 });
    try {
      await kept.reconcile(manifest, functions);
      await fresh.reconcile(manifest, functions);
      expect((await kept.report())[0]?.lag).toBe(0);
      await produce(broker.broker, `${namespace}Measured`, [0, 1, 2].map(record));
      await until(() => calls >= 2, 30_000, "both consumers to hold a record");
      await until(async () => (await fresh.report())[0]?.lag === 3, 30_000, "a fresh lag of 3");
      expect((await kept.report())[0]?.lag).toBe(0);
    } finally {
      release();
      await kept.close();
      await fresh.close();
    }
  }, 60_000);

  it("does not count records the broker deleted (retention, deleteRecords) before the group read them, and says they are lost", async () => {
    const namespace = testNamespace();
    const config = streamsConfig(broker.broker, namespace);
    const source = stream("Expired", columns);
    const topic = `${namespace}Expired`;
    await createTopics(config, [source]);
    await produce(broker.broker, topic, Array.from({ length: 10 }, (_, id) => record(id)));
    const projectDir = "/tmp/streams-delivery-expired";
    const spec = { kind: "consumer" as const, source: "Expired", codeHash: "e" };
    // The group read 2 records; then the broker dropped all 10 (what its retention check does to old records).
    const admin = new kafkajs.Kafka({ clientId: "streams-test-expired", brokers: [broker.broker], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.setOffsets({ groupId: processGroupId(projectDir, namespace, processId(spec)), topic, partitions: [{ partition: 0, offset: "2" }] });
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: "10" }] });
    } finally {
      await admin.disconnect();
    }
    const seen: unknown[] = [];
    const functions: ProcessFunctions = new Map([[processId(spec), { spec, run: async (value: unknown) => void seen.push(value) }]]);
    const supervisor = new Supervisor({ projectDir, config, driver: database(), events, lagMaxAgeMs: 0 });
    try {
      await supervisor.reconcile(manifestOf({ streams: [source], processes: [spec] }), functions);
      await until(async () => (await supervisor.report())[0]?.state === "running", 30_000, "the consumer to run");
      expect((await supervisor.report())[0]?.lag).toBe(0);
      await produce(broker.broker, topic, [record(10)]);
      await until(() => seen.length === 1, 30_000, "the record produced after the deletion");
      expect(seen).toEqual([record(10)]);
      // The loss is said, not skipped silently.
      expect((await supervisor.report())[0]?.lastError?.message).toMatch(new RegExp(`records of ${topic}\\[0\\] it had not read are no longer on the broker`));
    } finally {
      await supervisor.close();
    }
  }, 60_000);
});

/**
 * What the stream-process tests share: a manifest of streams, tables and processes built by hand,
 * topics created through the executor, JSON records produced with kafkajs, and waiting for a condition.
 */
import kafkajs from "kafkajs";
import { DEFAULT_CONFIG, type Config } from "../../../src/config/types.js";
import { openKafkaAdmin } from "../../../src/infra/kafka/executor.js";
import { emptyManifest, type ColumnSpec, type Manifest, type ProcessSpec, type StreamSpec, type TableSpec } from "../../../src/manifest/types.js";
import { processId } from "../../../src/sdk/processes.js";

export function streamsConfig(broker: string, namespace: string, redpanda: Partial<Config["redpanda_config"]> = {}): Config {
  return { ...DEFAULT_CONFIG, redpanda_config: { ...DEFAULT_CONFIG.redpanda_config, broker, namespace, sync_batch_timeout_ms: 100, ...redpanda } };
}

export function stream(name: string, columns: ColumnSpec[], extra: Partial<StreamSpec> = {}): StreamSpec {
  return { name, partitionCount: 1, retentionMs: 3_600_000, config: {}, columns, lifeCycle: "FULLY_MANAGED", ...extra };
}

/** A MergeTree that drops a block inserted again with the same deduplication token. */
export function table(name: string, columns: ColumnSpec[], settings: Record<string, string> = { non_replicated_deduplication_window: "1000" }): TableSpec {
  return { name, columns, orderBy: [columns[0]!.name], engine: { name: "MergeTree", params: [] }, settings, indexes: [], lifeCycle: "FULLY_MANAGED" };
}

export function manifestOf(parts: { streams?: StreamSpec[]; tables?: TableSpec[]; processes?: ProcessSpec[] }): Manifest {
  return {
    ...emptyManifest(),
    streams: Object.fromEntries((parts.streams ?? []).map((spec) => [spec.name, spec])),
    tables: Object.fromEntries((parts.tables ?? []).map((spec) => [spec.name, spec])),
    processes: Object.fromEntries((parts.processes ?? []).map((spec) => [processId(spec), spec])),
  };
}

export async function createTopics(config: Config, streams: StreamSpec[]): Promise<void> {
  const admin = openKafkaAdmin(config.redpanda_config);
  try {
    for (const spec of streams) await admin.execute({ createTopic: { topic: spec.name, partitions: spec.partitionCount, config: spec.config } });
  } finally {
    await admin.close();
  }
}

/** Sends `values` as JSON, then `raw` as they are; `timestamp` (ms since the epoch) gives every message that time. */
export async function produce(broker: string, topic: string, values: unknown[], raw: Array<string | Buffer> = [], timestamp?: string): Promise<void> {
  const producer = new kafkajs.Kafka({ clientId: "streams-test", brokers: [broker], logLevel: kafkajs.logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    const messages = [...values.map((value) => JSON.stringify(value)), ...raw].map((value) => ({ value, ...(timestamp ? { timestamp } : {}) }));
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

/** Every JSON message on `topic` from the beginning, once `count` arrived (or the timeout). */
export async function readTopic(broker: string, topic: string, count: number, timeoutMs = 30_000): Promise<unknown[]> {
  const kafka = new kafkajs.Kafka({ clientId: "streams-test-reader", brokers: [broker], logLevel: kafkajs.logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `reader-${Math.random().toString(16).slice(2)}`, maxWaitTimeInMs: 100 });
  const values: unknown[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(JSON.parse(message.value!.toString())) });
    await until(() => values.length >= count, timeoutMs, `${count} messages on ${topic}`);
    return values;
  } finally {
    await consumer.disconnect();
  }
}

/** `what` may be a function, to say what was seen last when the wait times out. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === "string" ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Commits offset 0 of `topic` for `groupId` with `metadata`, as a sync does before it inserts. */
export async function markPending(brokerAddress: string, groupId: string, topic: string, metadata: string): Promise<void> {
  // The broker's shortest session (group.min.session.timeout.ms): should its leave be lost on a loaded
  // machine, the sync that joins the group next waits 6 s for it, not kafkajs's default 30 s.
  const consumer = new kafkajs.Kafka({ clientId: "streams-test-pending", brokers: [brokerAddress], logLevel: kafkajs.logLevel.NOTHING }).consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 6_000 });
  await consumer.connect();
  let marked = false;
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch }) => {
        if (marked) return;
        await consumer.commitOffsets([{ topic, partition: batch.partition, offset: "0", metadata }]);
        marked = true;
      },
    });
    await until(() => marked, 30_000, "the pending mark");
  } finally {
    await consumer.disconnect();
  }
}

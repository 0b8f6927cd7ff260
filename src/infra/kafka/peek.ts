/**
 * `moose peek --stream`: the newest records of a topic, read without disturbing anyone. The reader
 * joins a consumer group of its own (kafkajs has no group-less consumer), never commits, starts each
 * partition `limit` records before its end, stops at the end it saw when it began, and deletes its
 * group afterwards: the app's processes and their committed offsets are untouched.
 */
import { randomUUID } from "node:crypto";
import kafkajs from "kafkajs";
import type { Config } from "../../config/types.js";
import { MooseError } from "../../errors.js";
import { kafkaUnreachable } from "./errors.js";
import { toMooseError } from "./kafkajs-failures.js";
import { kafkaTimeouts } from "./timeouts.js";

export interface PeekedRecord {
  partition: number;
  offset: string;
  timestamp: number;
  /** The record's value: its JSON when it is JSON, else its text; null for a tombstone. */
  value: unknown;
}

/** How long the reader waits for the records it saw on the broker before it reports what it has. */
const READ_DEADLINE_MS = 15_000;

export interface PeekResult {
  records: PeekedRecord[];
  /** Partitions not read to their end within READ_DEADLINE_MS (their records so far are in `records`). */
  unfinished: number[];
}

/**
 * The last `limit` records of `topic` across its partitions, oldest first (by timestamp, then
 * partition and offset). Transaction markers take offsets too, so a transactional topic may give
 * fewer than `limit`.
 */
export async function peekTopic(config: Config["redpanda_config"], topic: string, limit: number): Promise<PeekResult> {
  const brokers = config.broker.split(",").map((address) => address.trim()).filter((address) => address !== "");
  if (brokers.length === 0) throw kafkaUnreachable(config.broker, "no broker address is configured");
  const timeouts = kafkaTimeouts(config);
  const kafka = new kafkajs.Kafka({
    clientId: "moose-ts-peek",
    brokers,
    connectionTimeout: timeouts.connectionMs,
    requestTimeout: timeouts.requestMs,
    retry: { retries: timeouts.retries, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const groupId = `moose-ts:peek:${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  let joined = false;
  try {
    await admin.connect();
    if (!(await admin.listTopics()).includes(topic)) {
      throw new MooseError("PEEK_NO_TOPIC", `the stream's topic "${topic}" does not exist on the broker at ${config.broker}`, {
        hint: "apply the code first (`moose dev`, or `moose migrate up`), or check redpanda_config.namespace",
      });
    }
    // Where each partition starts (limit records before its end) and the end it had when the read began.
    const ranges = new Map<number, { from: bigint; end: bigint }>();
    for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) {
      const end = BigInt(high);
      const from = end - BigInt(limit) > BigInt(low) ? end - BigInt(limit) : BigInt(low);
      if (from < end) ranges.set(partition, { from, end });
    }
    if (ranges.size === 0) return { records: [], unfinished: [] };

    const records: PeekedRecord[] = [];
    const pending = new Set(ranges.keys());
    let finish!: () => void;
    let fail!: (error: unknown) => void;
    const done = new Promise<void>((resolve, reject) => ((finish = resolve), (fail = reject)));
    // Awaited below; a crash before then must not count as an unhandled rejection.
    done.catch(() => {});
    let crashed: unknown;
    const reached = (partition: number, lastOffset: string) => {
      const range = ranges.get(partition);
      if (range === undefined || !pending.has(partition) || BigInt(lastOffset) + 1n < range.end) return;
      pending.delete(partition);
      consumer.pause([{ topic, partitions: [partition] }]);
      if (pending.size === 0) finish();
    };
    // Fired for every fetched batch, also one kafkajs hands no record of (a transaction's marker alone).
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic === topic) reached(payload.partition, payload.lastOffset);
    });
    // A failure kafkajs only reports as an event (the group could not be joined): no waiting out the deadline.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      crashed = payload.error;
      fail(payload.error);
    });
    await consumer.connect();
    joined = true;
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = ranges.get(batch.partition);
        if (!range || !pending.has(batch.partition)) return;
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset < range.from || offset >= range.end) continue;
          records.push({ partition: batch.partition, offset: message.offset, timestamp: Number(message.timestamp), value: decodeValue(message.value) });
        }
      },
    });
    // A failed join ends run() quietly (the crash event says why), and the consumer cannot seek.
    if (crashed !== undefined) throw crashed;
    for (const [partition, { from }] of ranges) consumer.seek({ topic, partition, offset: String(from) });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, READ_DEADLINE_MS)))]).finally(() => clearTimeout(timer));
    records.sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
    return { records: records.slice(-limit), unfinished: [...pending].sort((a, b) => a - b) };
  } catch (error) {
    throw toMooseError(error, config.broker, "peek", topic);
  } finally {
    await consumer.disconnect().catch(() => {});
    // A group that never committed is empty once its member left; delete it rather than wait for the broker to expire it.
    if (joined) await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

function decodeValue(value: Buffer | null): unknown {
  if (value === null) return null;
  const text = value.toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

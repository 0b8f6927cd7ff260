/**
 * A sync: a stream's topic → its destination table, at least once and, on engines that
 * deduplicate, exactly once in effect (docs/streams.md "Delivery").
 *
 * A kafkajs consumer group (one per sync) fetches with the broker holding each fetch until
 * `sync_batch_timeout_ms` passed or enough bytes arrived, so records are stored within that time
 * and in batches under load. Each partition's messages are inserted in chunks of at most
 * `sync_batch_size`. A chunk's offset range is committed as the group's *pending* range (offset
 * metadata) before it is inserted, it is inserted with an `insert_deduplication_token` naming
 * the range (deduplicationToken), and only after ClickHouse acknowledged the insert is the
 * offset after it committed. A process killed between the insert and the commit comes back, reads
 * the pending range, inserts the same range with the same token, and the engine drops the repeat.
 *
 * Records are checked and converted with the ingest API's rules (src/server/ingest.ts). A record
 * that does not fit goes to the dead-letter queue when the process has one, else it is logged and
 * counted (`skipped`): it never blocks its partition. ClickHouse being unreachable does block:
 * the chunk is retried with backoff until it is stored or the process stops (nothing is lost).
 */
import type { KafkaMessage, Producer } from "kafkajs";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import type { ColumnSpec } from "../manifest/types.js";
import { isInputError, tableRecords } from "../server/ingest.js";
import { deadLetter, RecordInvalidError, sendableLetter, type DeadLetterMessage } from "./dead-letter.js";
import { backoffMs, batchesInHand, GROUP_SESSION, openProcessConsumer, readMessage, sendInParts, wait, type Kafka } from "./kafka.js";
import { newStatus, recordError, type ProcessEvents, type RunningProcess } from "./process.js";

export interface SyncOptions {
  id: string;
  groupId: string;
  /** The source stream's topic on the broker (namespace applied). */
  topic: string;
  table: { name: string; columns: ColumnSpec[] };
  driver: ClickHouseDriver;
  kafka: Kafka;
  /** Sends dead letters (shared by the supervisor's processes). */
  producer: Producer;
  /** The dead-letter queue's topic on the broker; absent: records that do not fit are logged and skipped. */
  deadLetterTopic?: string;
  batchSize: number;
  batchTimeoutMs: number;
  events: ProcessEvents;
}

/** Offset metadata of a range that may be inserted but is not committed yet. */
const PENDING_PREFIX = "moose-ts:pending:";
/** The broker answers a fetch once this much is there (or the batch timeout passed). */
const FETCH_MIN_BYTES = 1 << 20;
const FETCH_MAX_BYTES_PER_PARTITION = 16 << 20;
/** Partitions inserted at the same time. */
const PARTITIONS_AT_ONCE = 4;
/** A whole fetch: room for every partition in hand at its own limit (kafkajs's default is 10 MB). */
const FETCH_MAX_BYTES = FETCH_MAX_BYTES_PER_PARTITION * PARTITIONS_AT_ONCE;

/**
 * `<topic>:<partition>:<first>-<last>@<first record's timestamp>-<last record's>`. The offsets name
 * the range; the timestamps tell it from the same range of an earlier topic of the same name (a
 * stream deleted and created again starts at offset 0 again), whose tokens the table may still keep.
 */
export function deduplicationToken(topic: string, partition: number, first: bigint, last: bigint, timestamps: { first: string; last: string }): string {
  return `${topic}:${partition}:${first}-${last}@${timestamps.first}-${timestamps.last}`;
}

/** The last offset of the pending range recorded in offset metadata, if any. */
export function pendingEnd(metadata: string | null | undefined): bigint | undefined {
  if (!metadata?.startsWith(PENDING_PREFIX)) return undefined;
  const text = metadata.slice(PENDING_PREFIX.length);
  return /^\d+$/.test(text) ? BigInt(text) : undefined;
}

export async function startSync(options: SyncOptions): Promise<RunningProcess> {
  const { topic, groupId, driver, events } = options;
  const status = newStatus(options.id, "sync");
  const records = tableRecords(options.table.columns);
  const stopping = new AbortController();
  const batches = batchesInHand();
  const consumer = openProcessConsumer(
    options.kafka,
    {
      groupId,
      ...GROUP_SESSION,
      minBytes: FETCH_MIN_BYTES,
      maxWaitTimeInMs: options.batchTimeoutMs,
      maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
      maxBytes: FETCH_MAX_BYTES,
      allowAutoTopicCreation: false,
    },
    { status, events, stopping: stopping.signal },
  );
  const admin = options.kafka.admin();
  // partition → end of its pending range (null: none); a partition not here is read from the group first.
  const pending = new Map<number, bigint | null>();
  // partition → the part of its pending range read so far, when a fetch ended inside the range.
  const held = new Map<number, KafkaMessage[]>();

  async function pendingOf(partition: number): Promise<bigint | null> {
    if (!pending.has(partition)) {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      for (const { partition: number, metadata } of offsets?.partitions ?? []) pending.set(number, pendingEnd(metadata) ?? null);
    }
    return pending.get(partition) ?? null;
  }

  const commit = (partition: number, offset: bigint, metadata: string | null) =>
    consumer.commitOffsets([{ topic, partition, offset: offset.toString(), metadata }]);

  /** Inserts with retries while ClickHouse is unreachable; rows it refuses are tried one by one. */
  async function insert(rows: Record<string, unknown>[], token: string, offsets: string[], values: unknown[], letters: DeadLetterMessage[], heartbeat: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await driver.insert(options.table.name, rows, { deduplicationToken: token });
        status.processed += rows.length;
        return;
      } catch (error) {
        if (isInputError(error)) {
          if (rows.length === 1) {
            reject(values[0], error, offsets[0]!, letters);
            return;
          }
          // One row's token per offset: a repeat after a crash is still recognised.
          for (const [index, row] of rows.entries()) await insert([row], `${token}#${offsets[index]}`, [offsets[index]!], [values[index]], letters, heartbeat);
          return;
        }
        if (stopping.signal.aborted) throw error;
        recordError(status, events, `inserting into ${options.table.name} failed (attempt ${attempt}, retrying): ${(error as Error).message}`);
        await wait(backoffMs(attempt), stopping.signal);
        // Still alive for the group while ClickHouse is away, so the partition is not handed over.
        await heartbeat();
      }
    }
  }

  /** `text`: the message's text, which the letter carries when `value` cannot be written as JSON again. */
  function reject(value: unknown, error: unknown, offset: string, letters: DeadLetterMessage[], text: string | null = null): void {
    const message = error instanceof Error ? error.message : String(error);
    if (options.deadLetterTopic) {
      letters.push(sendableLetter(deadLetter(value, error, "table"), text));
      status.deadLettered++;
    } else {
      status.skipped++;
    }
    recordError(status, events, `record at ${topic}[${offset}] not stored in ${options.table.name}${options.deadLetterTopic ? " (sent to the dead-letter queue)" : " (skipped)"}: ${message}`);
  }

  async function store(partition: number, chunk: KafkaMessage[], first: bigint, last: bigint, heartbeat: () => Promise<void>): Promise<void> {
    const rows: Record<string, unknown>[] = [];
    const offsets: string[] = [];
    const values: unknown[] = [];
    const letters: DeadLetterMessage[] = [];
    for (const message of chunk) {
      const read = readMessage(message);
      const { text } = read;
      if ("error" in read) {
        reject({ value: text }, read.error, message.offset, letters);
        continue;
      }
      const value = read.record;
      const problems = records.problems(value);
      if (problems.length > 0) {
        reject(value, new RecordInvalidError(problems.map((problem) => (problem.field ? `${problem.field}: ${problem.message}` : problem.message)).join("; ")), message.offset, letters, text);
        continue;
      }
      rows.push(records.toRow(value as Record<string, unknown>));
      offsets.push(message.offset);
      values.push(value);
    }
    const timestamps = { first: chunk[0]!.timestamp, last: chunk.at(-1)!.timestamp };
    if (rows.length > 0) await insert(rows, deduplicationToken(topic, partition, first, last, timestamps), offsets, values, letters, heartbeat);
    if (letters.length > 0 && options.deadLetterTopic) await sendDeadLetters(options.deadLetterTopic, letters);
  }

  /**
   * A failure the broker may get over (it is away, a leader moves) is thrown: kafkajs runs the batch
   * again, the same range under the same token. A letter the queue never will take (larger than its
   * topic's `max.message.bytes`, a topic the client may not write) would block the partition forever
   * that way: it is logged with its record and skipped; the other letters are sent.
   */
  async function sendDeadLetters(deadLetterTopic: string, letters: DeadLetterMessage[]): Promise<void> {
    const messages = letters.map((letter) => ({ value: JSON.stringify(letter) }));
    await sendInParts(options.producer, [{ topic: deadLetterTopic, messages }], (_topic, message, error) => {
      const letter = letters[messages.indexOf(message as (typeof messages)[number])]!;
      status.deadLettered--;
      status.skipped++;
      recordError(status, events, `a record of ${topic} could not be sent to the dead-letter queue ${deadLetterTopic} (skipped): ${(error as Error).message}`, {
        records: [letter.originalRecord],
      });
    });
  }

  consumer.on(consumer.events.GROUP_JOIN, () => {
    // After a rebalance the group's committed metadata is the truth again.
    pending.clear();
    held.clear();
    status.state = "running";
  });

  try {
    await admin.connect();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: PARTITIONS_AT_ONCE,
      eachBatch: (payload) =>
        batches.run(async () => {
          const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
          const { partition } = batch;
          const kept = held.get(partition) ?? [];
          const keptUpTo = kept.length > 0 ? BigInt(kept.at(-1)!.offset) : -1n;
          const messages = [...kept, ...batch.messages.filter((message) => BigInt(message.offset) > keptUpTo)];
          let index = 0;
          while (index < messages.length && isRunning() && !isStale() && !stopping.signal.aborted) {
            const first = BigInt(messages[index]!.offset);
            const planned = await pendingOf(partition);
            const resuming = planned !== null && planned >= first;
            let end = Math.min(messages.length, index + options.batchSize);
            if (resuming) {
              // The range a killed process may have inserted: the same range, so the same token.
              end = index;
              while (end < messages.length && BigInt(messages[end]!.offset) <= planned) end++;
              if (end === messages.length && BigInt(messages[end - 1]!.offset) < planned) {
                // The fetch ended inside the range: keep what was read, fetch on, insert once it is all here.
                held.set(partition, messages.slice(index));
                resolveOffset(messages[end - 1]!.offset);
                await heartbeat();
                return;
              }
            }
            const chunk = messages.slice(index, end);
            const last = resuming ? planned : BigInt(chunk.at(-1)!.offset);
            if (!resuming) {
              await commit(partition, first, `${PENDING_PREFIX}${last}`);
              // A retry of this batch in this process (the store or the commit below threw) cuts the same range.
              pending.set(partition, last);
            }
            await store(partition, chunk, first, last, heartbeat);
            await commit(partition, last + 1n, null);
            pending.set(partition, null);
            held.delete(partition);
            resolveOffset(chunk.at(-1)!.offset);
            await heartbeat();
            index = end;
          }
        }),
    });
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    throw error;
  }

  return {
    status,
    groupId,
    topic,
    async stop() {
      stopping.abort();
      await batches.finished();
      // kafkajs lets the batch in hand finish (insert, commit) before it leaves the group.
      await consumer.disconnect();
      await admin.disconnect();
      status.state = "stopped";
    },
  };
}

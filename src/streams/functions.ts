/**
 * Transforms and consumers: the user's function on every record of the source stream, in a kafkajs
 * consumer group per process (records of one partition one after the other, in offset order).
 *
 * A function that throws is retried `process_retries` times with backoff; a record that still
 * fails goes to the process's dead-letter queue (MooseStack's contract, ./dead-letter.ts) or, with
 * none, is logged and counted: it never blocks its partition. A transform's result is produced to
 * the destination stream's topic: an array fans out, null/undefined drops the record; an
 * addMultiTransform returns routed messages (`stream.routed(values)`), each produced to its stream.
 * Results and dead letters are acknowledged by the broker before the source offsets are committed
 * (at least once: a crash replays the records after the last commit). A record being retried when
 * the process stops is not handled: nothing of it is produced and its offset is not committed.
 * With `runBatch` (a Python app's functions, one worker round trip per call) the first attempt of up
 * to FLUSH_EVERY records is one call; a record that failed it is retried alone, in its turn.
 */
import type { KafkaMessage, Message, Producer } from "kafkajs";
import type { SourceLocation } from "../errors.js";
import type { ProcessFunction } from "../sdk/processes.js";
import { MAX_NESTING, nestedTooDeep } from "../server/input.js";
import { deadLetter, RecordInvalidError, sendableLetter } from "./dead-letter.js";
import { backoffMs, batchesInHand, GROUP_SESSION, openProcessConsumer, readMessage, sendInParts, wait, type Kafka, type ReadMessage } from "./kafka.js";
import { newStatus, recordError, type ProcessEvents, type RunningProcess } from "./process.js";

/** The first attempt of many records in one call: an outcome per record, in their order. */
export type BatchFunction = (records: unknown[]) => Promise<BatchOutcome[]>;
export type BatchOutcome = { ok: true; result: unknown } | { ok: false; error: unknown };

export interface FunctionProcessOptions {
  id: string;
  kind: "transform" | "consumer";
  groupId: string;
  /** The source stream's topic on the broker. */
  topic: string;
  run: ProcessFunction;
  runBatch?: BatchFunction;
  /**
   * Where a transform's results go: the destination stream's broker topic, or, for an
   * addMultiTransform, a function from each routed message's stream id to its topic.
   */
  destination?: { topic: string } | { topicOf: (streamId: string) => string };
  deadLetterTopic?: string;
  retries: number;
  kafka: Kafka;
  producer: Producer;
  events: ProcessEvents;
}

/** Results are produced and offsets committed at least this often within a batch. */
const FLUSH_EVERY = 500;

export async function startFunctionProcess(options: FunctionProcessOptions): Promise<RunningProcess> {
  const { topic, groupId, events } = options;
  const status = newStatus(options.id, options.kind);
  const stopping = new AbortController();
  const batches = batchesInHand();
  const consumer = openProcessConsumer(options.kafka, { groupId, ...GROUP_SESSION, maxWaitTimeInMs: 100, allowAutoTopicCreation: false }, { status, events, stopping: stopping.signal });

  /** The function's result as messages by topic (validated: a bad shape is the record's failure). */
  function results(result: unknown): Array<{ topic: string; value: unknown }> {
    const destination = options.destination;
    if (!destination) return [];
    if ("topic" in destination) return spread(result).map((value) => ({ topic: destination.topic, value }));
    const routed = spread(result);
    return routed.flatMap((message) => {
      const streamId = (message as { destination?: { id?: unknown } } | null)?.destination?.id;
      if (typeof streamId !== "string") throw new TypeError("an addMultiTransform function must return routed messages (`stream.routed(values)`), got " + JSON.stringify(message));
      return spread((message as { values: unknown }).values).map((value) => ({ topic: destination.topicOf(streamId), value }));
    });
  }

  /** Messages read by a batch call's first attempts, read again by `handle`: read once. */
  const reads = new WeakMap<KafkaMessage, ReadMessage>();

  /**
   * A record, or why it is none (readMessage), or arrays and objects nested more than MAX_NESTING
   * deep (serialising such a record for a Python worker, or a result built from it, would exhaust
   * the stack).
   */
  function parse(message: KafkaMessage): ReadMessage {
    let read = reads.get(message);
    if (!read) {
      read = readMessage(message);
      if ("record" in read && nestedTooDeep(read.record)) {
        read = { error: new RecordInvalidError(`the record nests arrays and objects more than ${MAX_NESTING} levels deep`), text: read.text };
      }
      reads.set(message, read);
    }
    return read;
  }

  /** The first attempts of `messages` by offset, in one runBatch call (records that are not JSON left out). */
  async function firstAttempts(runBatch: BatchFunction, messages: KafkaMessage[], heartbeat: () => Promise<void>): Promise<Map<string, BatchOutcome>> {
    const parsed = messages.flatMap((message) => {
      const read = parse(message);
      return "record" in read ? [{ offset: message.offset, record: read.record }] : [];
    });
    // Slow functions can keep a call busy past the session timeout: the group hears from the process meanwhile.
    const beating = setInterval(() => void heartbeat().catch(() => undefined), 1000);
    try {
      const outcomes = await runBatch(parsed.map(({ record }) => record));
      return new Map(parsed.map(({ offset }, index) => [offset, outcomes[index]!]));
    } finally {
      clearInterval(beating);
    }
  }

  /** False when the process stopped while retrying the record: it is not handled, and read again later. */
  async function handle(message: KafkaMessage, partition: number, out: Map<string, Message[]>, heartbeat: () => Promise<void>, first?: BatchOutcome): Promise<boolean> {
    const read = parse(message);
    // Where a dead letter's record came from, in its originalRecord as MooseStack writes it (for replays and deduplication).
    const origin = { __sourcePartition: partition, __sourceOffset: message.offset, __sourceTimestamp: message.timestamp };
    if ("error" in read) {
      fail({ value: read.text }, read.error, message.offset, out, null, origin);
      return true;
    }
    const { record, text } = read;
    for (let attempt = 0; ; attempt++) {
      try {
        const outcome = attempt === 0 ? first : undefined;
        if (outcome && !outcome.ok) throw outcome.error;
        const produced = results(outcome ? outcome.result : await options.run(record));
        status.processed++;
        events.payload?.(options.id, record, options.kind === "transform" ? produced.map(({ value }) => value) : undefined);
        for (const { topic: target, value } of produced) {
          const list = out.get(target) ?? [];
          list.push({ value: JSON.stringify(value), ...(message.key ? { key: message.key } : {}) });
          out.set(target, list);
        }
        return true;
      } catch (error) {
        if (stopping.signal.aborted) return false;
        if (attempt >= options.retries) {
          fail(record, error, message.offset, out, text, origin);
          return true;
        }
        await wait(backoffMs(attempt + 1), stopping.signal);
        if (stopping.signal.aborted) return false;
        await heartbeat();
      }
    }
  }

  /** `messageText`: what the letter carries when the record cannot be written as JSON again. */
  function fail(record: unknown, error: unknown, offset: string, out: Map<string, Message[]>, messageText: string | null, origin: Record<string, unknown>): void {
    const text = error instanceof Error ? error.message : String(error);
    if (options.deadLetterTopic) {
      const letters = out.get(options.deadLetterTopic) ?? [];
      const traced = typeof record === "object" && record !== null && !Array.isArray(record) ? { ...record, ...origin } : record;
      letters.push({ value: JSON.stringify(sendableLetter(deadLetter(traced, error, "transform"), messageText)) });
      out.set(options.deadLetterTopic, letters);
      status.deadLettered++;
    } else {
      status.skipped++;
    }
    recordError(status, events, `${options.kind} ${options.id} failed on ${topic}[${offset}]${options.deadLetterTopic ? " (sent to the dead-letter queue)" : " (skipped)"}: ${text}${whereRaised(error)}`, {
      errorType: error instanceof Error ? error.constructor.name : "Unknown",
    });
  }

  consumer.on(consumer.events.GROUP_JOIN, () => {
    status.state = "running";
  });

  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) =>
        batches.run(async () => {
          const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
          const out = new Map<string, Message[]>();
          const flush = async (last: KafkaMessage) => {
            if (out.size > 0) {
              // A result or letter its topic never will take (larger than its max.message.bytes) would
              // block the partition: it is logged and skipped, the others are sent.
              await sendInParts(options.producer, [...out].map(([target, messages]) => ({ topic: target, messages })), (target, message, error) => {
                if (target === options.deadLetterTopic) status.deadLettered--;
                status.skipped++;
                recordError(status, events, `${options.kind} ${options.id}: a message for ${target} could not be sent (skipped): ${(error as Error).message}`, {
                  message: message.value,
                });
              });
              out.clear();
            }
            await consumer.commitOffsets([{ topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
            resolveOffset(last.offset);
            await heartbeat();
          };
          let handled = 0;
          let flushed = 0;
          let firsts: Map<string, BatchOutcome> | undefined;
          for (const message of batch.messages) {
            // Stopping part-way: what was handled is produced and committed, the rest is read again later
            // (records whose first attempt already ran in a batch call are handled first: it had their effects).
            if (!isRunning() || isStale() || (stopping.signal.aborted && !firsts?.has(message.offset))) break;
            if (options.runBatch && handled % FLUSH_EVERY === 0) firsts = await firstAttempts(options.runBatch, batch.messages.slice(handled, handled + FLUSH_EVERY), heartbeat);
            if (!(await handle(message, batch.partition, out, heartbeat, firsts?.get(message.offset)))) break;
            handled++;
            // kafkajs sends one only when heartbeatInterval has passed: a slow function keeps its membership.
            await heartbeat();
            if (handled - flushed >= FLUSH_EVERY) {
              await flush(message);
              flushed = handled;
            }
          }
          if (handled > flushed) await flush(batch.messages[handled - 1]!);
        }),
    });
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    throw error;
  }

  return {
    status,
    groupId,
    topic,
    async stop() {
      stopping.abort();
      await batches.finished();
      await consumer.disconnect();
      status.state = "stopped";
    },
  };
}

/** Where the app's code raised, when its runner knows it (a Python app's function: ` at app/main.py:12`). */
function whereRaised(error: unknown): string {
  const location = error instanceof Error ? (error as Error & { location?: SourceLocation }).location : undefined;
  return location ? ` at ${location.file}:${location.line}` : "";
}

/** A function's result as records: an array fans out, null and undefined are none. */
function spread(result: unknown): unknown[] {
  if (result === undefined || result === null) return [];
  return (Array.isArray(result) ? result : [result]).filter((value) => value !== undefined && value !== null);
}

/**
 * The kafkajs client every stream process uses: redpanda_config's broker and timeouts (as the admin
 * client and the ingest producer), consumer group ids, and retrying backoff.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isUtf8 } from "node:buffer";
import kafkajs, { type Consumer, type ConsumerConfig, type KafkaMessage, type Message, type Producer } from "kafkajs";
import type { Config } from "../config/types.js";
import { RECORD_FRAMING_BYTES, REQUEST_BYTES } from "../infra/kafka/limits.js";
import { kafkaTimeouts } from "../infra/kafka/timeouts.js";
import { RecordInvalidError } from "./dead-letter.js";
import { recordError, type ProcessEvents, type ProcessStatus } from "./process.js";

export type Kafka = InstanceType<typeof kafkajs.Kafka>;

/** A group's committed offset the broker no longer has, which kafkajs replaced with the oldest offset there. */
export interface OffsetReset {
  groupId: string;
  topic: string;
  partition: number;
}

/** What kafkajs logs, and does nothing else to tell, when it resets a group's offset that is out of range. */
const OFFSET_RESET_LOG = "Offset out of range, resetting to default offset";

/** `onOffsetReset`: told when a consumer skips to the oldest record kept because its next record is gone. */
export function openStreamsKafka(config: Config["redpanda_config"], clientId: string, onOffsetReset?: (reset: OffsetReset) => void): Kafka {
  const brokers = config.broker.split(",").map((address) => address.trim()).filter((address) => address !== "");
  const timeouts = kafkaTimeouts(config);
  return new kafkajs.Kafka({
    clientId,
    brokers,
    connectionTimeout: timeouts.connectionMs,
    requestTimeout: timeouts.requestMs,
    // A process outlives broker restarts: kafkajs keeps reconnecting (the consumer restarts itself).
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
    // kafkajs's own log is silent except for the offset reset, which the processes report.
    logLevel: onOffsetReset ? kafkajs.logLevel.ERROR : kafkajs.logLevel.NOTHING,
    logCreator: () => (entry) => {
      const { message, groupId, topic, partition } = entry.log as { message: string; groupId?: string; topic?: string; partition?: number };
      if (message === OFFSET_RESET_LOG && groupId !== undefined && topic !== undefined && partition !== undefined) onOffsetReset?.({ groupId, topic, partition });
    },
  });
}

/**
 * The producer of processes' results and dead letters. kafkajs's own retry of a send that failed on
 * one broker of several sends again only to the brokers that did not answer, after partitioning anew:
 * records that move to a partition on a broker that answered (unkeyed records go round-robin, a
 * partition's leader may have moved there) are dropped while the send succeeds. So it does not retry:
 * sendInParts sends a failed request again whole, and after a few attempts fails the batch, which
 * runs again (at least once, as every send here).
 */
export function openProcessProducer(kafka: Kafka): Producer {
  return kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
}

/**
 * The consumer group of a process: one per project, namespace and process id, so each process
 * resumes at its own committed offsets, replicas of one app (`moose prod` twice) share the work,
 * and two apps on one broker never share a group.
 */
export function processGroupId(projectDir: string, namespace: string, processId: string): string {
  return `moose-ts:${namespace}${projectName(projectDir)}:${processId}`;
}

/** package.json's `name`, else the project folder's name (deployments often all live in /app). */
function projectName(projectDir: string): string {
  try {
    const { name } = JSON.parse(readFileSync(path.join(projectDir, "package.json"), "utf8")) as { name?: unknown };
    if (typeof name === "string" && name !== "") return name;
  } catch {
    // no readable package.json: the folder names the project
  }
  return path.basename(path.resolve(projectDir));
}

/**
 * Group membership: a process that died (kill -9) is replaced after this long without its
 * heartbeat, so a restarted `moose dev` resumes within about 10 s (kafkajs's default is 30 s).
 * Processes heartbeat after every record or chunk, and while they wait to retry.
 */
export const GROUP_SESSION = { sessionTimeout: 10_000, heartbeatInterval: 3000 } as const;

/**
 * A process's consumer, which restarts itself after a crash only while the process runs (after 5
 * retries, kafkajs's default for consumers), and reports each crash in the process's status. kafkajs
 * restarts a crashed consumer on a timer that `disconnect` clears; a crash handled after the stop (a
 * restart still connecting to a broker that is gone) set it again, so the stopped process reconnected
 * forever: `moose dev` never exited, and once the broker was back the consumer joined its group again
 * for a process that is gone.
 */
export function openProcessConsumer(
  kafka: Kafka,
  config: Omit<ConsumerConfig, "retry">,
  process: { status: ProcessStatus; events: ProcessEvents; stopping: AbortSignal },
): Consumer {
  const { status, events, stopping } = process;
  const consumer = kafka.consumer({ ...config, retry: { retries: 5, restartOnFailure: async () => !stopping.aborted } });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    // After the stop, a crash (a restart that was still connecting) ends nothing that still runs.
    if (stopping.aborted) return;
    recordError(status, events, `${status.kind} consumer crashed${payload.restart ? " (restarting)" : ""}: ${payload.error.message}`);
    // kafkajs restarts the consumer after a retriable failure (a broker away): running again once it rejoins.
    status.state = payload.restart ? "starting" : "failed";
  });
  return consumer;
}

/** 100 ms, 200 ms, 400 ms, … capped at 5 s: the wait before retry number `attempt` (1-based). */
export function backoffMs(attempt: number): number {
  return Math.min(5000, 100 * 2 ** (attempt - 1));
}

/** Waits `ms`, or less when `signal` aborts (a stopping process does not sit out its backoff). */
export function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

/**
 * The batches a process is handling. kafkajs drops commits once its consumer is stopping, so a
 * process's `stop` lets these finish (they stop early and commit what they handled) before it
 * disconnects.
 */
export function batchesInHand(): { run(work: () => Promise<void>): Promise<void>; finished(): Promise<void> } {
  const inHand = new Set<Promise<void>>();
  return {
    async run(work) {
      const batch = work();
      inHand.add(batch);
      try {
        await batch;
      } finally {
        inHand.delete(batch);
      }
    },
    async finished() {
      await Promise.allSettled([...inHand]);
    },
  };
}

/** Broker refusals no retry changes: a message too large for its topic, or a topic the client may not write to. */
const PERMANENT_REFUSALS = new Set(["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE", "INVALID_RECORD", "TOPIC_AUTHORIZATION_FAILED"]);

/**
 * Whether a failed send can never succeed. Decided on the broker's error at the root: kafkajs wraps
 * a send's failure in KafkaJSNonRetriableError or KafkaJSNumberOfRetriesExceeded (both
 * `retriable: false`), the latter also for a broker away longer than the client's retries.
 */
export function refusedForGood(error: unknown): boolean {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof kafkajs.KafkaJSProtocolError && PERMANENT_REFUSALS.has(cause.type)) return true;
  }
  return false;
}

export interface TopicMessages {
  topic: string;
  messages: Message[];
}

/**
 * Sends every message, in requests of at most REQUEST_BYTES. A request the broker refuses for good
 * (refusedForGood) is split in halves and each sent again, down to single messages; a message
 * refused for good by itself is handed to `refused` (the caller logs and counts it) instead of
 * failing the others. A refused request may have been written for some partitions: those messages
 * are sent again (at least once, as every send here). A request that failed otherwise is sent again
 * whole a few times while kafkajs finds its failure retriable; then the failure is thrown (the broker
 * may get over it: the caller's batch runs again).
 */
export async function sendInParts(producer: Producer, topicMessages: TopicMessages[], refused: (topic: string, message: Message, error: unknown) => void): Promise<void> {
  let request: Addressed[] = [];
  let bytes = 0;
  for (const { topic, messages } of topicMessages) {
    for (const message of messages) {
      const size = (message.value ? Buffer.byteLength(message.value) : 0) + (message.key ? Buffer.byteLength(message.key) : 0) + RECORD_FRAMING_BYTES;
      if (bytes + size > REQUEST_BYTES && request.length > 0) {
        await sendOrSplit(producer, request, refused);
        request = [];
        bytes = 0;
      }
      request.push({ topic, message });
      bytes += size;
    }
  }
  if (request.length > 0) await sendOrSplit(producer, request, refused);
}

interface Addressed {
  topic: string;
  message: Message;
}

/** Sends of one request in all, when kafkajs finds each failure retriable (a leader moving, a topic not known yet). */
const SEND_ATTEMPTS = 4;

async function sendOrSplit(producer: Producer, request: Addressed[], refused: (topic: string, message: Message, error: unknown) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await producer.sendBatch({ topicMessages: byTopic(request) });
      return;
    } catch (error) {
      if (refusedForGood(error)) {
        if (request.length === 1) return refused(request[0]!.topic, request[0]!.message, error);
        const half = Math.ceil(request.length / 2);
        await sendOrSplit(producer, request.slice(0, half), refused);
        await sendOrSplit(producer, request.slice(half), refused);
        return;
      }
      // The whole request again (openProcessProducer: kafkajs's partial retry can drop records).
      if (!(error instanceof kafkajs.KafkaJSNumberOfRetriesExceeded) || attempt === SEND_ATTEMPTS) throw error;
      await sleep(backoffMs(attempt));
    }
  }
}

/** Consecutive messages to one topic together, in their order. */
function byTopic(request: Addressed[]): TopicMessages[] {
  const grouped: TopicMessages[] = [];
  for (const { topic, message } of request) {
    const last = grouped.at(-1);
    if (last?.topic === topic) last.messages.push(message);
    else grouped.push({ topic, messages: [message] });
  }
  return grouped;
}

/** A message's JSON record, or why it has none; `text` either way, for a dead letter to carry. */
export type ReadMessage = { record: unknown; text: string | null } | { error: Error; text: string | null };

/**
 * A message's value as JSON (a missing value is `null`). Bytes that are not UTF-8 are refused:
 * decoding would turn them into U+FFFD silently, and the ingest API refuses them too.
 */
export function readMessage(message: KafkaMessage): ReadMessage {
  const text = message.value?.toString("utf8") ?? null;
  if (message.value && !isUtf8(message.value)) return { error: new RecordInvalidError("the message is not valid UTF-8"), text };
  try {
    return { record: JSON.parse(text ?? "null"), text };
  } catch (error) {
    return { error: error as Error, text };
  }
}

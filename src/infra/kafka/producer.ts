/**
 * The ingest API's producer: JSON messages to a stream's topic on `redpanda_config.broker`. A dead
 * broker fails with KAFKA_UNREACHABLE within the timeouts derived from `message_timeout_ms`, like
 * the admin client.
 *
 * Producing costs more CPU than checking and serialising the records (docs/performance.md,
 * "Streams"): the producer runs in a worker thread (./producer-thread.ts, on @platformatic/kafka),
 * on the machine's other core, started on the first send. The calling thread serialises the values
 * and hands them over as one string, a line per message (JSON text never holds a raw line feed), so
 * a send crosses the threads as one copy and is encoded to UTF-8 once; a send resolves once the
 * broker acknowledged every message of it, each stored once however often the client retried it
 * (idempotent requests). The worker keeps the process alive only while sends are in flight.
 */
import { Worker } from "node:worker_threads";
import type { Config } from "../../config/types.js";
import { MooseError, type MooseErrorOptions } from "../../errors.js";
import { threadEntry } from "../thread-entry.js";
import { kafkaUnreachable } from "./errors.js";
import { brokerTopicName } from "./topics.js";

export interface KafkaProducer {
  /** Sends each value as one JSON message to the stream's topic (model name; the namespace is added here). */
  send(stream: string, values: unknown[]): Promise<void>;
  close(): Promise<void>;
}

/** What the thread is started with. */
export interface ProducerThreadData {
  config: Config["redpanda_config"];
}

/** `lines`: the messages' JSON, one per line. */
export type ToProducerThread = { type: "send"; id: number; topic: string; lines: string } | { type: "close" };

/** A MooseError as it crosses to the calling thread (its cause stays behind); anything else is a bug and keeps its stack. */
export interface TransferredError {
  message: string;
  code?: string;
  options?: Omit<MooseErrorOptions, "cause">;
  stack?: string;
}

export type FromProducerThread = { type: "sent"; id: number } | { type: "failed"; id: number; error: TransferredError };

export function transferError(error: unknown): TransferredError {
  if (!(error instanceof MooseError)) return error instanceof Error ? { message: error.message, ...(error.stack ? { stack: error.stack } : {}) } : { message: String(error) };
  const { exitCode, location, config, hint, details } = error;
  // Details are facts for --json output: plain data, which JSON keeps and structured clone accepts.
  return { message: error.message, code: error.code, options: JSON.parse(JSON.stringify({ exitCode, location, config, hint, details })) as TransferredError["options"] };
}

function receivedError(error: TransferredError): Error {
  if (error.code !== undefined) return new MooseError(error.code, error.message, error.options);
  const bug = new Error(error.message);
  if (error.stack) bug.stack = error.stack;
  return bug;
}

/**
 * The thread's young generation may grow to this size (V8's default allows about a third of it): a
 * send's records live until the broker answers, so with the default many survive a scavenge and are
 * copied again; producing the same records took about a tenth less CPU with it (docs/performance.md).
 */
const YOUNG_GENERATION_MB = 96;

export function openKafkaProducer(config: Config["redpanda_config"]): KafkaProducer {
  const brokers = config.broker.split(",").filter((address) => address.trim() !== "");
  const waiting = new Map<number, { resolve(): void; reject(error: Error): void }>();
  let nextId = 0;
  let thread: Promise<Worker> | undefined;
  let closed: Promise<void> | undefined;

  function failAll(error: Error): void {
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
  }

  async function start(): Promise<Worker> {
    const worker = new Worker(await threadEntry("infra/kafka/producer-thread"), { workerData: { config } satisfies ProducerThreadData, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    worker.unref();
    worker.on("message", (message: FromProducerThread) => {
      const sender = waiting.get(message.id);
      waiting.delete(message.id);
      if (waiting.size === 0) worker.unref();
      if (message.type === "sent") sender?.resolve();
      else sender?.reject(receivedError(message.error));
    });
    worker.on("error", (error) => failAll(error));
    worker.on("exit", (code) => {
      // A thread that died takes its sends with it; the next send starts a new one.
      thread = undefined;
      failAll(new Error(`the Kafka producer thread exited (code ${code})`));
    });
    return worker;
  }

  return {
    async send(stream, values) {
      if (values.length === 0) return;
      if (brokers.length === 0) throw kafkaUnreachable(config.broker, "no broker address is configured");
      const lines = values.map((value) => JSON.stringify(value) ?? "null").join("\n");
      if (closed) throw new Error("the Kafka producer is closed");
      thread ??= start().catch((error: unknown) => {
        thread = undefined;
        throw error;
      });
      // A close() called after this send posts its message after this one: the thread answers this send first.
      const worker = await thread;
      const id = nextId++;
      const acknowledged = new Promise<void>((resolve, reject) => waiting.set(id, { resolve, reject }));
      worker.ref();
      worker.postMessage({ type: "send", id, topic: brokerTopicName(config.namespace, stream), lines } satisfies ToProducerThread);
      await acknowledged;
    },
    close() {
      closed ??= (async () => {
        const started = thread;
        if (!started) return;
        const worker = await started;
        worker.ref();
        const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
        worker.postMessage({ type: "close" } satisfies ToProducerThread);
        await exited;
      })();
      return closed;
    },
  };
}

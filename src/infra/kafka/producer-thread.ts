/**
 * The worker thread behind ./producer.ts: one @platformatic/kafka producer, connected by the first
 * send, and the answer naming each send. Failures are translated into MooseErrors here, where the
 * client's error is.
 *
 * Why not kafkajs, the client everything else uses: producing is the ingest API's hot path, and
 * kafkajs encodes every record into buffers of its own (a zero-filled 512-byte buffer per record,
 * copied into the batch; its grouping by partition is quadratic in a send's length). Producing the same
 * records costs less than half the CPU with @platformatic/kafka, and ingest → topic → table about a
 * quarter less per record (`npm run bench -- streams`, docs/performance.md "Streams").
 */
import { parentPort, workerData } from "node:worker_threads";
import { ProduceAcks, Producer } from "@platformatic/kafka";
import { kafkaRejected, kafkaUnreachable } from "./errors.js";
import { RECORD_FRAMING_BYTES, REQUEST_BYTES } from "./limits.js";
import { kafkaTimeouts } from "./timeouts.js";
import { transferError, type FromProducerThread, type ProducerThreadData, type ToProducerThread } from "./producer.js";

const LINE_FEED = 0x0a;

const { config } = workerData as ProducerThreadData;
const port = parentPort!;
const broker = config.broker;
const timeouts = kafkaTimeouts(config);
const newProducer = () =>
  new Producer({
    clientId: "moose-ts-ingest",
    bootstrapBrokers: broker.split(",").map((address) => address.trim()).filter((address) => address !== ""),
    // Values arrive as UTF-8 already (see send): the client's default passes Buffers through.
    autocreateTopics: false,
    connectTimeout: timeouts.connectionMs,
    // How long the broker may wait for the replicas' acknowledgements.
    timeout: timeouts.requestMs,
    // kafkajs waits 100 ms, then 200 ms between its attempts; this client takes one fixed pause.
    retries: timeouts.retries,
    retryDelay: 250,
  });
let producer: Producer<Buffer, Buffer, Buffer, Buffer> = newProducer();

/**
 * This client version (the newest whose dependencies all run on Node 20) has no timeout for a request
 * the broker accepted and never answers (a stalled broker): a send gets the bound the admin client
 * puts on a whole call, however its retries add up, and a producer that overran it is replaced, as
 * its connection may never answer again. Closing a producer waits at most CLOSE_BOUND_MS for the same reason.
 */
const SEND_DEADLINE_MS = (timeouts.retries + 1) * (timeouts.connectionMs + timeouts.requestMs) + 1000;
const CLOSE_BOUND_MS = 2000;

function closeWithin(stuck: Producer<Buffer, Buffer, Buffer, Buffer>): Promise<unknown> {
  let bound: NodeJS.Timeout | undefined;
  return Promise.race([stuck.close().catch(() => undefined), new Promise((resolve) => (bound = setTimeout(resolve, CLOSE_BOUND_MS)))]).finally(() => clearTimeout(bound));
}

/** `lines`: one message's JSON per line, encoded once; each message is a view of its line. */
async function send(topic: string, lines: string): Promise<void> {
  const text = Buffer.from(lines, "utf8");
  const parts: Buffer[][] = [[]];
  let bytes = 0;
  for (let start = 0; start <= text.length; ) {
    const found = text.indexOf(LINE_FEED, start);
    const end = found === -1 ? text.length : found;
    const size = end - start + RECORD_FRAMING_BYTES;
    if (bytes + size > REQUEST_BYTES && parts.at(-1)!.length > 0) {
      parts.push([]);
      bytes = 0;
    }
    parts.at(-1)!.push(text.subarray(start, end));
    bytes += size;
    start = end + 1;
  }
  const used = producer;
  let deadline: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(
        parts.map((part) =>
          // Every in-sync replica has each record before the POST is answered, as with kafkajs's default.
          // Per send: the client's default for a send is the leader's answer alone, whatever the constructor was given.
          used.send({ messages: part.map((value) => ({ topic, value })), acks: ProduceAcks.ALL }),
        ),
      ),
      new Promise<never>((_, reject) => {
        deadline = setTimeout(() => {
          // Concurrent sends overrun together: the first replaces the producer they shared.
          if (producer === used) {
            producer = newProducer();
            void closeWithin(used);
          }
          reject(kafkaUnreachable(broker, `no answer within ${SEND_DEADLINE_MS} ms`));
        }, SEND_DEADLINE_MS);
      }),
    ]);
  } catch (error) {
    throw translate(error, topic);
  } finally {
    clearTimeout(deadline);
  }
}

interface ClientError extends Error {
  code?: string;
  apiId?: string;
  errors?: unknown[];
}

/** The client's errors, depth first: its MultipleErrors hold one per attempt or broker, each with causes. */
function* clientErrors(error: unknown): Generator<ClientError> {
  if (!(error instanceof Error)) return;
  yield error as ClientError;
  for (const inner of (error as ClientError).errors ?? []) yield* clientErrors(inner);
  yield* clientErrors(error.cause);
}

/**
 * No broker could be talked to → KAFKA_UNREACHABLE; a broker's refusal → KAFKA_REJECTED; anything
 * else is a bug. The last of these the client met decides: its attempts come in order, and a
 * connection reset followed by a refusal is the refusal.
 */
function translate(error: unknown, topic: string): unknown {
  for (const inner of [...clientErrors(error)].reverse()) {
    if (inner.code === "PLT_KFK_NETWORK" || inner.code === "PLT_KFK_TIMEOUT") {
      return kafkaUnreachable(broker, inner.cause instanceof Error ? `${inner.message} (${inner.cause.message})` : inner.message, error);
    }
    if (inner.code === "PLT_KFK_PROTOCOL" && inner.apiId !== undefined) {
      return kafkaRejected({ broker, operation: "produce", topic, errorType: inner.apiId, message: inner.message, cause: error });
    }
    // The client checks the topic against the broker's metadata before sending, and says so only in words.
    if (inner.code === "PLT_KFK_USER" && inner.message === `Unknown topic ${topic}.`) {
      return kafkaRejected({ broker, operation: "produce", topic, errorType: "UNKNOWN_TOPIC_OR_PARTITION", message: inner.message, cause: error });
    }
  }
  return error;
}

const answer = (message: FromProducerThread) => port.postMessage(message);

/** Sends not answered yet: closing waits for them (a request still being answered over HTTP holds one). */
const inFlight = new Set<Promise<void>>();

port.on("message", (message: ToProducerThread) => {
  if (message.type === "send") {
    const sending = send(message.topic, message.lines).then(
      () => answer({ type: "sent", id: message.id }),
      (error: unknown) => answer({ type: "failed", id: message.id, error: transferError(error) }),
    );
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
    return;
  }
  void Promise.allSettled([...inFlight])
    .then(() => closeWithin(producer))
    .catch(() => undefined)
    .then(() => process.exit(0));
});

/**
 * The worker thread behind ./producer.ts: one @platformatic/kafka producer, connected by the first
 * send, and the answer naming each send. Failures are translated into MooseErrors here, where the
 * client's error is.
 *
 * Why not kafkajs, the client everything else uses: producing is the ingest API's hot path, and
 * kafkajs encodes every record into buffers of its own (a zero-filled 512-byte buffer per record,
 * copied into the batch; its grouping by partition is quadratic in a send's length). The same records
 * cost about half the CPU with @platformatic/kafka (`npm run bench -- streams`, docs/performance.md
 * "Streams"), which is what lets ingest → topic → table keep up with 50,000 records/s on two cores.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ProduceAcks, Producer, stringSerializers } from "@platformatic/kafka";
import { kafkaRejected, kafkaUnreachable } from "./errors.js";
import { kafkaTimeouts } from "./executor.js";
import { transferError, type FromProducerThread, type ProducerThreadData, type ToProducerThread } from "./producer.js";

const { config } = workerData as ProducerThreadData;
const port = parentPort!;
const broker = config.broker;
const timeouts = kafkaTimeouts(config);
const producer = new Producer({
  clientId: "moose-ts-ingest",
  bootstrapBrokers: broker.split(",").map((address) => address.trim()).filter((address) => address !== ""),
  serializers: stringSerializers,
  autocreateTopics: false,
  connectTimeout: timeouts.connectionMs,
  timeout: timeouts.requestMs,
  retries: timeouts.retries,
  retryDelay: (_client, _operation, attempt) => Math.min(1000, 100 * 2 ** (attempt - 1)),
});

async function send(topic: string, values: string[]): Promise<void> {
  try {
    // Every in-sync replica has each record before the POST is answered, as with kafkajs's default.
    // Per send: the client's default for a send is the leader's answer alone, whatever the constructor was given.
    await producer.send({ messages: values.map((value) => ({ topic, value })), acks: ProduceAcks.ALL });
  } catch (error) {
    throw translate(error, topic);
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

/** No broker could be talked to → KAFKA_UNREACHABLE; a broker's refusal → KAFKA_REJECTED; anything else is a bug. */
function translate(error: unknown, topic: string): unknown {
  const all = [...clientErrors(error)];
  const unreachable = all.findLast((inner) => inner.code === "PLT_KFK_NETWORK" || inner.code === "PLT_KFK_TIMEOUT");
  if (unreachable) {
    const reason = unreachable.cause instanceof Error ? `${unreachable.message} (${unreachable.cause.message})` : unreachable.message;
    return kafkaUnreachable(broker, reason, error);
  }
  const refusal = all.find((inner) => inner.code === "PLT_KFK_PROTOCOL" && inner.apiId !== undefined);
  if (refusal) return kafkaRejected({ broker, operation: "produce", topic, errorType: refusal.apiId!, message: refusal.message, cause: error });
  // The client checks the topic against the broker's metadata before sending, and says so only in words.
  const unknownTopic = all.find((inner) => inner.code === "PLT_KFK_USER" && inner.message === `Unknown topic ${topic}.`);
  if (unknownTopic) return kafkaRejected({ broker, operation: "produce", topic, errorType: "UNKNOWN_TOPIC_OR_PARTITION", message: unknownTopic.message, cause: error });
  return error;
}

const answer = (message: FromProducerThread) => port.postMessage(message);

/** Sends not answered yet: closing waits for them (a request still being answered over HTTP holds one). */
const inFlight = new Set<Promise<void>>();

port.on("message", (message: ToProducerThread) => {
  if (message.type === "send") {
    const sending = send(message.topic, message.messages).then(
      () => answer({ type: "sent", id: message.id }),
      (error: unknown) => answer({ type: "failed", id: message.id, error: transferError(error) }),
    );
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
    return;
  }
  void Promise.allSettled([...inFlight])
    .then(() => producer.close())
    .catch(() => undefined)
    .then(() => process.exit(0));
});

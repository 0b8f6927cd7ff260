/**
 * The worker thread behind ./producer.ts: one kafkajs producer, connected on the first send. Each
 * send's messages go as concurrent kafkajs sends of MESSAGES_PER_SEND over one connection, and the
 * answer names the send; failures are translated into MooseErrors here, where kafkajs's error is.
 */
import { parentPort, workerData } from "node:worker_threads";
import kafkajs from "kafkajs";
import { MooseError } from "../../errors.js";
import { kafkaUnreachable, toMooseError } from "./errors.js";
import { kafkaTimeouts } from "./executor.js";
import { transferError, type FromProducerThread, type ProducerThreadData, type ToProducerThread } from "./producer.js";

/**
 * kafkajs groups a send's messages by partition in time quadratic in their number (2.2.4 copies the
 * partition's list for each message), so a POST of 10,000 records would spend more CPU grouping than
 * encoding. Larger lists go as concurrent sends of this many (in order over one connection, unless
 * kafkajs retries one); fewer per send costs more in per-request work (bench: 1,000 beat 100, 250 and all).
 */
const MESSAGES_PER_SEND = 1000;

const { config } = workerData as ProducerThreadData;
const port = parentPort!;
const broker = config.broker;
const timeouts = kafkaTimeouts(config);
const producer = new kafkajs.Kafka({
  clientId: "moose-ts-ingest",
  brokers: broker.split(",").map((address) => address.trim()).filter((address) => address !== ""),
  connectionTimeout: timeouts.connectionMs,
  requestTimeout: timeouts.requestMs,
  retry: { retries: timeouts.retries, initialRetryTime: 100, maxRetryTime: 1000 },
  logLevel: kafkajs.logLevel.NOTHING,
}).producer({ allowAutoTopicCreation: false });
let connection: Promise<void> | undefined;

function connected(): Promise<void> {
  connection ??= producer.connect().catch((error: unknown) => {
    connection = undefined; // the next send tries again
    const mapped = toMooseError(error, broker, "connect");
    throw mapped instanceof MooseError ? mapped : kafkaUnreachable(broker, String((error as Error)?.message ?? error), error);
  });
  return connection;
}

async function send(topic: string, values: string[]): Promise<void> {
  await connected();
  try {
    const sends: Promise<unknown>[] = [];
    for (let start = 0; start < values.length; start += MESSAGES_PER_SEND) {
      sends.push(producer.send({ topic, messages: values.slice(start, start + MESSAGES_PER_SEND).map((value) => ({ value })) }));
    }
    await Promise.all(sends);
  } catch (error) {
    throw toMooseError(error, broker, "produce", topic);
  }
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
    .then(() => (connection ? producer.disconnect() : undefined))
    .catch(() => undefined)
    .then(() => process.exit(0));
});

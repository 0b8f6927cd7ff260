/**
 * A kafkajs producer for the ingest API: JSON messages to a stream's topic on
 * `redpanda_config.broker`. Connects on the first send; a dead broker fails with KAFKA_UNREACHABLE
 * within the timeouts derived from `message_timeout_ms`, like the admin client.
 */
import kafkajs from "kafkajs";
import type { Producer } from "kafkajs";
import type { Config } from "../../config/types.js";
import { MooseError } from "../../errors.js";
import { kafkaTimeouts } from "./executor.js";
import { kafkaUnreachable, toMooseError } from "./errors.js";
import { brokerTopicName } from "./topics.js";

export interface KafkaProducer {
  /** Sends each value as one JSON message to the stream's topic (model name; the namespace is added here). */
  send(stream: string, values: unknown[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * kafkajs groups a send's messages by partition in time quadratic in their number (2.2.4 copies the
 * partition's list for each message), so a POST of 10,000 records would spend more CPU grouping than
 * encoding. Larger lists go as concurrent sends of this many (in order over one connection, unless
 * kafkajs retries one); fewer per send costs more in per-request work (bench: 1,000 beat 100, 250 and all).
 */
const MESSAGES_PER_SEND = 1000;

export function openKafkaProducer(config: Config["redpanda_config"]): KafkaProducer {
  const broker = config.broker;
  const brokers = broker.split(",").map((address) => address.trim()).filter((address) => address !== "");
  const timeouts = kafkaTimeouts(config);
  const kafka = new kafkajs.Kafka({
    clientId: "moose-ts-ingest",
    brokers,
    connectionTimeout: timeouts.connectionMs,
    requestTimeout: timeouts.requestMs,
    retry: { retries: timeouts.retries, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  let connection: Promise<void> | undefined;

  async function connected(): Promise<void> {
    if (brokers.length === 0) throw kafkaUnreachable(broker, "no broker address is configured");
    connection ??= producer.connect().catch((error: unknown) => {
      connection = undefined; // the next send tries again
      const mapped = toMooseError(error, broker, "connect");
      throw mapped instanceof MooseError ? mapped : kafkaUnreachable(broker, String((error as Error)?.message ?? error), error);
    });
    await connection;
  }

  return {
    async send(stream, values) {
      if (values.length === 0) return;
      const topic = brokerTopicName(config.namespace, stream);
      await connected();
      try {
        const sends: Promise<unknown>[] = [];
        for (let start = 0; start < values.length; start += MESSAGES_PER_SEND) {
          const messages = values.slice(start, start + MESSAGES_PER_SEND).map((value) => ({ value: JSON.stringify(value) }));
          sends.push(producer.send({ topic, messages }));
        }
        await Promise.all(sends);
      } catch (error) {
        throw toMooseError(error, broker, "produce", topic);
      }
    },
    async close() {
      if (connection) await producer.disconnect();
    },
  };
}

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
        await producer.send({ topic, messages: values.map((value) => ({ value: JSON.stringify(value) })) });
      } catch (error) {
        throw toMooseError(error, broker, "produce", topic);
      }
    },
    async close() {
      if (connection) await producer.disconnect();
    },
  };
}

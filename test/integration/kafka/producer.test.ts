// The ingest producer against a real Apache Kafka broker: a list longer than one kafkajs send
// (src/infra/kafka/producer.ts sends it in parts) arrives whole, each value once, in order per partition.
import kafkajs from "kafkajs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openKafkaAdmin } from "../../../src/infra/kafka/executor.js";
import { openKafkaProducer } from "../../../src/infra/kafka/producer.js";
import { BROKER_START_TIMEOUT_MS, redpandaConfig, startTestBroker, testNamespace, type TestBroker } from "../../helpers/kafka.js";

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker();
}, BROKER_START_TIMEOUT_MS);

afterAll(async () => {
  await broker?.stop();
}, 60_000);

it("sends every value of a long list once, each partition's share in the order given", async () => {
  const config = redpandaConfig({ broker: broker.broker, namespace: testNamespace() });
  const admin = openKafkaAdmin(config);
  const producer = openKafkaProducer(config);
  const consumer = new kafkajs.Kafka({ brokers: [broker.broker], logLevel: kafkajs.logLevel.NOTHING }).consumer({ groupId: `${config.namespace}check` });
  try {
    await admin.execute({ createTopic: { topic: "Events", partitions: 2, config: {} } });
    const values = Array.from({ length: 2345 }, (_, id) => ({ id, text: `value ${id}` }));
    await producer.send("Events", values.slice(0, 2100));
    await producer.send("Events", values.slice(2100));

    const received = new Map<number, number[]>();
    let count = 0;
    await consumer.connect();
    await consumer.subscribe({ topic: `${config.namespace}Events`, fromBeginning: true });
    const all = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const { id } = JSON.parse(message.value!.toString("utf8")) as { id: number };
          received.set(partition, [...(received.get(partition) ?? []), id]);
          if (++count === values.length) resolve();
        },
      });
    });
    await all;
    const ids = [...received.values()].flat();
    expect(ids.sort((a, b) => a - b)).toEqual(values.map((value) => value.id));
    expect(received.size).toBe(2);
    for (const share of received.values()) expect(share).toEqual([...share].sort((a, b) => a - b));
  } finally {
    await consumer.disconnect();
    await producer.close();
    await admin.close();
  }
}, 120_000);

// The ingest producer (src/infra/kafka/producer.ts, @platformatic/kafka in a worker thread) against a
// real Apache Kafka broker: a long list arrives whole, each value once, in order per partition; closing
// waits for the sends in flight on its thread; a dead broker and a missing topic arrive as MooseErrors.
import { createServer, type AddressInfo } from "node:net";
import kafkajs from "kafkajs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
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

/** Each partition's high watermark (how many records it holds), read by a kafkajs admin client of its own. */
async function highWatermarks(topic: string): Promise<string[]> {
  const offsets = new kafkajs.Kafka({ brokers: [broker.broker], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await offsets.connect();
  try {
    return (await offsets.fetchTopicOffsets(topic)).map((partition) => partition.high);
  } finally {
    await offsets.disconnect();
  }
}

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

it("closing waits for the sends in flight; a send after close is refused", async () => {
  const config = redpandaConfig({ broker: broker.broker, namespace: testNamespace() });
  const admin = openKafkaAdmin(config);
  const producer = openKafkaProducer(config);
  try {
    await admin.execute({ createTopic: { topic: "Closing", partitions: 1, config: {} } });
    await producer.send("Closing", [{ id: 0 }]);
    // A request still being answered (the HTTP server closed around it) while the app shuts the producer.
    const inFlight = producer.send("Closing", Array.from({ length: 5000 }, (_, id) => ({ id: id + 1 })));
    const closed = producer.close();
    await expect(inFlight).resolves.toBeUndefined();
    await closed;
    await expect(producer.send("Closing", [{ id: -1 }])).rejects.toThrow("the Kafka producer is closed");
    expect(await highWatermarks(`${config.namespace}Closing`)).toEqual(["5001"]);
  } finally {
    await producer.close();
    await admin.close();
  }
}, 120_000);

it("a broker that does not answer fails the send with KAFKA_UNREACHABLE, its config key and hint intact across the thread", async () => {
  const producer = openKafkaProducer(redpandaConfig({ broker: "127.0.0.1:1", namespace: testNamespace() }));
  try {
    const failure = await producer.send("Anywhere", [{ id: 1 }]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(MooseError);
    expect(failure).toMatchObject({ code: "KAFKA_UNREACHABLE", config: { key: "redpanda_config.broker" }, details: { broker: "127.0.0.1:1" } });
    expect((failure as MooseError).hint).toContain("scripts/kafka-local start");
  } finally {
    await producer.close();
  }
}, 60_000);

it("a topic the broker does not have fails the send with KAFKA_REJECTED naming UNKNOWN_TOPIC_OR_PARTITION", async () => {
  const config = redpandaConfig({ broker: broker.broker, namespace: testNamespace() });
  const producer = openKafkaProducer(config);
  try {
    const failure = await producer.send("Missing", [{ id: 1 }]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(MooseError);
    expect(failure).toMatchObject({ code: "KAFKA_REJECTED", details: { topic: `${config.namespace}Missing`, errorType: "UNKNOWN_TOPIC_OR_PARTITION" } });
  } finally {
    await producer.close();
  }
}, 60_000);

it("a request's records beyond one batch the broker accepts (1 MiB by default) go as several: 1.5 MB to one partition, in large records and in tiny ones", async () => {
  const config = redpandaConfig({ broker: broker.broker, namespace: testNamespace() });
  const admin = openKafkaAdmin(config);
  const producer = openKafkaProducer(config);
  try {
    await admin.execute({ createTopic: { topic: "Large", partitions: 1, config: {} } });
    const values = Array.from({ length: 10_000 }, (_, id) => ({ id, text: "x".repeat(130) }));
    await producer.send("Large", values);
    expect(await highWatermarks(`${config.namespace}Large`)).toEqual(["10000"]);
    // Tiny records: 300 KB of JSON, but each record's framing in the batch outweighs its value (≈ 1.5 MB in all).
    await producer.send("Large", Array.from({ length: 150_000 }, () => ({})));
    expect(await highWatermarks(`${config.namespace}Large`)).toEqual(["160000"]);
  } finally {
    await producer.close();
    await admin.close();
  }
}, 120_000);

it("a broker that accepts connections but never answers fails the send with KAFKA_UNREACHABLE within its bound", async () => {
  const silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
  const address = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
  // message_timeout_ms 100: connect 100 ms, requests 5 s, 2 retries → the send's bound is ≈ 16 s.
  const producer = openKafkaProducer(redpandaConfig({ broker: address, namespace: testNamespace(), message_timeout_ms: 100 }));
  try {
    await expect(producer.send("Anywhere", [{ id: 1 }])).rejects.toMatchObject({ code: "KAFKA_UNREACHABLE", details: { broker: address } });
  } finally {
    await producer.close();
    silent.close();
  }
}, 60_000);

// The ingest producer against a broker of its own that stops answering (SIGSTOP: connections are still
// accepted, requests never answered — a frozen VM, a long pause) and then comes back: the send meanwhile
// fails with KAFKA_UNREACHABLE within its bound, and the next send after the broker resumes is delivered.
// (The thread replaces a producer that overran its bound; a resumed broker also answers the old
// connection, so this test passes either way: it proves recovery, not the replacement. The replacement
// after a failed request is proved in producer-idempotence.test.ts.)
import kafkajs from "kafkajs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openKafkaAdmin } from "../../../src/infra/kafka/executor.js";
import { openKafkaProducer } from "../../../src/infra/kafka/producer.js";
import { BROKER_START_TIMEOUT_MS, redpandaConfig, startTestCluster, testNamespace, type TestCluster } from "../../helpers/kafka.js";

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster(1);
}, BROKER_START_TIMEOUT_MS);

afterAll(async () => {
  if (cluster) process.kill(cluster.pid(1), "SIGCONT");
  await cluster?.stop();
}, 60_000);

async function storedIds(topic: string): Promise<number[]> {
  const kafka = new kafkajs.Kafka({ brokers: [cluster.broker], logLevel: kafkajs.logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `${topic}-check` });
  const ids: number[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const admin = kafka.admin();
    await admin.connect();
    const [{ high }] = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          ids.push((JSON.parse(message.value!.toString("utf8")) as { id: number }).id);
          if (ids.length === Number(high)) resolve();
        },
      });
    });
    return ids.sort((a, b) => a - b);
  } finally {
    await consumer.disconnect();
  }
}

it("a send to a stalled broker fails within its bound; once the broker answers again, the next send is delivered", async () => {
  // message_timeout_ms 100: connect 100 ms, requests 5 s, 2 retries → a send's bound is ≈ 16 s.
  const config = redpandaConfig({ broker: cluster.broker, namespace: testNamespace(), message_timeout_ms: 100 });
  const admin = openKafkaAdmin(config);
  const producer = openKafkaProducer(config);
  const pid = cluster.pid(1);
  try {
    await admin.execute({ createTopic: { topic: "Stalled", partitions: 1, config: {} } });
    await producer.send("Stalled", [{ id: 1 }]);

    process.kill(pid, "SIGSTOP");
    const started = Date.now();
    await expect(producer.send("Stalled", [{ id: 2 }])).rejects.toMatchObject({ code: "KAFKA_UNREACHABLE" });
    expect(Date.now() - started).toBeLessThan(30_000);
    process.kill(pid, "SIGCONT");

    await producer.send("Stalled", [{ id: 3 }]);
    // Every delivered send is there; the stalled request may still be served once the broker resumes,
    // but never twice: a retry of it carries the same producer id and sequence, which the broker drops.
    const ids = await storedIds(`${config.namespace}Stalled`);
    expect(ids).toEqual([...new Set(ids)]);
    expect(ids.includes(1) && ids.includes(3)).toBe(true);
    expect(ids.every((id) => [1, 2, 3].includes(id))).toBe(true);
  } finally {
    process.kill(pid, "SIGCONT");
    await producer.close();
    await admin.close();
  }
}, 120_000);

// The ingest producer's requests are idempotent: a produce request whose answer is lost on the way back
// (the broker stored the records, the connection then dropped) is retried by the client, and the
// broker keeps the records once. A send whose every attempt lost its answer fails, and the next send
// is stored: its batch is not taken for a duplicate of the failed one. The faults come from a TCP proxy
// between the producer and a real broker that drops the connection instead of passing a produce
// answer on; it gives its own port for the broker's in the metadata answers, so every connection the
// client opens goes through it.
import { createConnection, createServer, type AddressInfo, type Socket } from "node:net";
import kafkajs from "kafkajs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openKafkaAdmin } from "../../../src/infra/kafka/executor.js";
import { openKafkaProducer } from "../../../src/infra/kafka/producer.js";
import { BROKER_START_TIMEOUT_MS, readJsonMessages, redpandaConfig, startTestBroker, testNamespace, type TestBroker } from "../../helpers/kafka.js";

const PRODUCE_API_KEY = 0;

interface FaultyProxy {
  address: string;
  /** The next `count` produce requests reach the broker; their answers do not reach the client. */
  dropProduceAnswers(count: number): void;
  /** Produce answers dropped so far. */
  dropped(): number;
  close(): Promise<void>;
}

/** Splits a byte stream into Kafka frames (a 4-byte big-endian size, then that many bytes). */
function frames(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      const size = 4 + pending.readInt32BE(0);
      onFrame(pending.subarray(0, size));
      pending = pending.subarray(size);
    }
  };
}

/** Where an answer names the broker's address (host then port), the proxy's port instead: same length. */
function advertiseProxy(frame: Buffer, brokerPort: number, proxyPort: number): Buffer {
  const copy = Buffer.from(frame);
  for (const host of ["127.0.0.1", "localhost"]) {
    const needle = Buffer.concat([Buffer.from(host), Buffer.from([brokerPort >>> 24, (brokerPort >>> 16) & 255, (brokerPort >>> 8) & 255, brokerPort & 255])]);
    for (let at = copy.indexOf(needle); at !== -1; at = copy.indexOf(needle, at + 1)) copy.writeInt32BE(proxyPort, at + host.length);
  }
  return copy;
}

async function startFaultyProxy(brokerAddress: string): Promise<FaultyProxy> {
  const [brokerHost, brokerPortText] = brokerAddress.split(",")[0]!.split(":");
  const brokerPort = Number(brokerPortText);
  let toDrop = 0;
  let dropped = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: brokerHost, port: brokerPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", cut);
    upstream.on("close", cut);
    /** Correlation ids of produce requests whose answers this connection drops. */
    const dropping = new Set<number>();
    client.on(
      "data",
      frames((frame) => {
        // Request header: size, API key (int16), API version (int16), correlation id (int32).
        if (frame.readInt16BE(4) === PRODUCE_API_KEY && toDrop > 0) {
          toDrop--;
          dropping.add(frame.readInt32BE(8));
        }
        upstream.write(frame);
      }),
    );
    upstream.on(
      "data",
      frames((frame) => {
        // Answer header: size, correlation id.
        if (dropping.has(frame.readInt32BE(4))) {
          dropped++;
          cut();
          return;
        }
        client.write(advertiseProxy(frame, brokerPort, (server.address() as AddressInfo).port));
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    dropProduceAnswers: (count) => void (toDrop = count),
    dropped: () => dropped,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker();
}, BROKER_START_TIMEOUT_MS);

afterAll(async () => {
  await broker?.stop();
}, 60_000);

/** A producer through a proxy of its own (the tests of this file run at once), and an admin client straight to the broker. */
async function throughProxy(topic: string, messageTimeoutMs?: number) {
  const proxy = await startFaultyProxy(broker.broker);
  const config = redpandaConfig({ broker: proxy.address, namespace: testNamespace(), ...(messageTimeoutMs ? { message_timeout_ms: messageTimeoutMs } : {}) });
  const admin = openKafkaAdmin(redpandaConfig({ broker: broker.broker, namespace: config.namespace }));
  const producer = openKafkaProducer(config);
  await admin.execute({ createTopic: { topic, partitions: 1, config: {} } });
  return {
    proxy,
    producer,
    topic: `${config.namespace}${topic}`,
    async close() {
      await producer.close();
      await admin.close();
      await proxy.close();
    },
  };
}

async function storedIds(topic: string, count: number): Promise<number[]> {
  const kafka = new kafkajs.Kafka({ brokers: [broker.broker], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [{ high }] = await admin.fetchTopicOffsets(topic);
    // Every record the topic holds: more than `count` would be a duplicate.
    expect(Number(high)).toBe(count);
  } finally {
    await admin.disconnect();
  }
  const values = (await readJsonMessages(kafka, topic, count, `${topic}-check`)) as { id: number }[];
  return values.map((value) => value.id).sort((a, b) => a - b);
}

it("a produce request whose answer was lost is retried, and the broker keeps its records once", async () => {
  // message_timeout_ms 300: each attempt waits 300 ms to connect; the client retries twice.
  const { proxy, producer, topic, close } = await throughProxy("Retried", 300);
  try {
    await producer.send("Retried", [{ id: 1 }]);
    proxy.dropProduceAnswers(1);
    await producer.send("Retried", [{ id: 2 }, { id: 3 }, { id: 4 }]);
    expect(proxy.dropped()).toBe(1);
    expect(await storedIds(topic, 4)).toEqual([1, 2, 3, 4]);
  } finally {
    await close();
  }
}, 120_000);

it("a send whose every attempt lost its answer fails; the next send, as long, is stored and not taken for a duplicate", async () => {
  const { proxy, producer, topic, close } = await throughProxy("Lost", 300);
  try {
    await producer.send("Lost", [{ id: 1 }]);
    // The first attempt and both retries reach the broker; no answer reaches the producer.
    proxy.dropProduceAnswers(3);
    await expect(producer.send("Lost", [{ id: 2 }, { id: 3 }])).rejects.toMatchObject({ code: "KAFKA_UNREACHABLE" });
    expect(proxy.dropped()).toBe(3);
    await producer.send("Lost", [{ id: 4 }, { id: 5 }]);
    // The failed send's records were stored once (its retries were duplicates); the next send's are there too.
    expect(await storedIds(topic, 5)).toEqual([1, 2, 3, 4, 5]);
  } finally {
    await close();
  }
}, 120_000);

it("sends made while requests are in flight are each answered, every record stored once, a long send's records in its order", async () => {
  const { producer, topic, close } = await throughProxy("Queued");
  try {
    // ≈ 1.4 MB: more than one request carries, so its requests go one after another among the others'.
    const long = Array.from({ length: 10_000 }, (_, index) => ({ id: 1000 + index, text: "x".repeat(120) }));
    const small = Array.from({ length: 50 }, (_, index) => [{ id: 2 * index + 1 }, { id: 2 * index + 2 }]);
    await Promise.all([...small.slice(0, 25).map((values) => producer.send("Queued", values)), producer.send("Queued", long), ...small.slice(25).map((values) => producer.send("Queued", values))]);
    const kafka = new kafkajs.Kafka({ brokers: [broker.broker], logLevel: kafkajs.logLevel.NOTHING });
    const ids = ((await readJsonMessages(kafka, topic, 10_100, `${topic}-check`)) as { id: number }[]).map((value) => value.id);
    expect([...ids].sort((a, b) => a - b)).toEqual([...Array.from({ length: 100 }, (_, index) => index + 1), ...long.map((value) => value.id)]);
    expect(ids.filter((id) => id >= 1000)).toEqual(long.map((value) => value.id));
  } finally {
    await close();
  }
}, 120_000);

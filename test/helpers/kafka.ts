/**
 * A real Kafka broker for integration tests. With MOOSE_TEST_KAFKA_BROKER set (CI starts one broker
 * with `scripts/kafka-local start` and shares it), that broker is used; otherwise each test file
 * starts its own on a free port and stops it afterwards. Tests sharing a broker stay apart by giving
 * each its own topic namespace (`testNamespace()`).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import kafkajs from "kafkajs";
import { DEFAULT_CONFIG, type Config } from "../../src/config/types.js";

const run = promisify(execFile);
export const KAFKA_LOCAL = fileURLToPath(new URL("../../scripts/kafka-local", import.meta.url));
/** The first start downloads the broker's jars with Maven; later ones take a few seconds. */
export const BROKER_START_TIMEOUT_MS = 300_000;

export interface TestBroker {
  /** Bootstrap address, e.g. `localhost:40123`. */
  broker: string;
  stop(): Promise<void>;
}

export async function startTestBroker(): Promise<TestBroker> {
  const shared = process.env.MOOSE_TEST_KAFKA_BROKER;
  if (shared) return { broker: shared, stop: async () => {} };
  const port = await freePort();
  const { stdout } = await run(KAFKA_LOCAL, ["start", "--port", String(port)], { timeout: BROKER_START_TIMEOUT_MS });
  return {
    broker: stdout.trim(),
    stop: async () => {
      await run(KAFKA_LOCAL, ["stop", "--port", String(port)], { timeout: 60_000 });
    },
  };
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return address.port;
}

/** A topic-name prefix of its own for one test, so tests sharing a broker never see each other's topics. */
export function testNamespace(): string {
  return `t${randomBytes(4).toString("hex")}_`;
}

/** The first `count` messages of `topic`, from its beginning, each read as JSON (fails after 30 s with fewer). */
export async function readJsonMessages(kafka: kafkajs.Kafka, topic: string, count: number, groupId: string): Promise<unknown[]> {
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received.length} message(s) arrived`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          received.push(JSON.parse(message.value?.toString() ?? "null"));
          if (received.length === count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    return received;
  } finally {
    await consumer.disconnect();
  }
}

export function redpandaConfig(overrides: Partial<Config["redpanda_config"]>): Config["redpanda_config"] {
  return { ...DEFAULT_CONFIG.redpanda_config, ...overrides };
}

export interface TestCluster {
  /** Bootstrap list, `127.0.0.1:p1,127.0.0.1:p2,…`. */
  broker: string;
  /** The pid of node `index` (1-based), as `scripts/kafka-local` recorded it. */
  pid(index: number): number;
  /** `scripts/kafka-local start` again: starts the nodes that are down; its stdout. */
  restart(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A cluster of `brokers` KRaft nodes of its own (`scripts/kafka-local start --brokers N`), with its state in a
 * temporary MOOSE_KAFKA_HOME so the test can find each node's pid; never a shared broker.
 */
export async function startTestCluster(brokers: number): Promise<TestCluster> {
  const home = mkdtempSync(path.join(tmpdir(), "moose-kafka-cluster-"));
  const port = await freePort();
  const env = { ...process.env, MOOSE_KAFKA_HOME: home };
  const stop = async () => {
    await run(KAFKA_LOCAL, ["stop", "--port", String(port)], { env, timeout: 60_000 });
    rmSync(home, { recursive: true, force: true });
  };
  const start = async () => (await run(KAFKA_LOCAL, ["start", "--port", String(port), "--brokers", String(brokers)], { env, timeout: BROKER_START_TIMEOUT_MS })).stdout;
  try {
    const stdout = await start();
    return {
      broker: stdout.trim(),
      restart: start,
      // One broker is started without a node directory of its own.
      pid: (index) => Number(readFileSync(path.join(home, String(port), ...(brokers === 1 ? [] : [`broker-${index}`]), "pid"), "utf8").trim()),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Whether a broker's JVM still runs (and is not a zombie: the script that started it has exited, and
 * whoever adopted the JVM may reap it late).
 */
export function brokerRunning(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  return existsSync(stat) && readFileSync(stat, "utf8").split(") ")[1]?.[0] !== "Z";
}

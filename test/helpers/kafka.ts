/**
 * A real Kafka broker for integration tests. With MOOSE_TEST_KAFKA_BROKER set (CI starts one broker
 * with `scripts/kafka-local start` and shares it), that broker is used; otherwise each test file
 * starts its own on a free port and stops it afterwards. Tests sharing a broker stay apart by giving
 * each its own topic namespace (`testNamespace()`).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
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

export function redpandaConfig(overrides: Partial<Config["redpanda_config"]>): Config["redpanda_config"] {
  return { ...DEFAULT_CONFIG.redpanda_config, ...overrides };
}

/**
 * What the benchmarks share: the moose-ts checkout they run from (bundled into
 * node_modules/.cache/moose-bench or not), free loopback ports, and a Kafka broker —
 * MOOSE_TEST_KAFKA_BROKER when set, else scripts/kafka-local on a free port, stopped afterwards.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The nearest directory above the running script with bin/moose.js. */
function findMooseRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "bin", "moose.js"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`bin/moose.js not found above ${start}`);
  }
}

export const mooseRoot = findMooseRoot(path.dirname(fileURLToPath(import.meta.url)));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface BenchBroker {
  broker: string;
  /** Stops the broker when the benchmark started it. */
  stop(): Promise<void>;
}

export async function benchBroker(): Promise<BenchBroker> {
  const shared = process.env.MOOSE_TEST_KAFKA_BROKER;
  if (shared) return { broker: shared, stop: async () => undefined };
  const script = path.join(mooseRoot, "scripts", "kafka-local");
  const port = String(await freePort());
  const broker = (await run(script, ["start", "--port", port], { timeout: 300_000 })).stdout.trim();
  return {
    broker,
    stop: async () => {
      await run(script, ["stop", "--port", port], { timeout: 60_000 });
    },
  };
}

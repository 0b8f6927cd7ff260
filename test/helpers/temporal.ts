/**
 * A real Temporal server for integration tests: Temporal's Java test server from
 * `scripts/temporal-local`. With MOOSE_TEST_TEMPORAL_ADDRESS set (CI starts one server and shares
 * it), that server is used; otherwise each test file starts its own on a free port and stops it.
 * Tests sharing a server stay apart by giving each its own task queue and workflow names.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { TemporalTarget } from "../../src/workflows/connection.js";
import { freePort } from "./kafka.js";

const run = promisify(execFile);
export const TEMPORAL_LOCAL = fileURLToPath(new URL("../../scripts/temporal-local", import.meta.url));
/** The first start downloads the server's jars with Maven; later ones take a few seconds. */
export const TEMPORAL_START_TIMEOUT_MS = 300_000;

export interface TestTemporal {
  /** host:port, e.g. `localhost:40123`. */
  address: string;
  target: TemporalTarget;
  stop(): Promise<void>;
}

export async function startTestTemporal(): Promise<TestTemporal> {
  const shared = process.env.MOOSE_TEST_TEMPORAL_ADDRESS;
  if (shared) return { address: shared, target: { address: shared, namespace: "default" }, stop: async () => {} };
  const port = await freePort();
  const { stdout } = await run(TEMPORAL_LOCAL, ["start", "--port", String(port)], { timeout: TEMPORAL_START_TIMEOUT_MS });
  const address = stdout.trim().split("\n").pop()!;
  return {
    address,
    target: { address, namespace: "default" },
    stop: async () => {
      await run(TEMPORAL_LOCAL, ["stop", "--port", String(port)], { timeout: 60_000 });
    },
  };
}

/** A name of its own for one test (task queue, workflow id prefix). */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString("hex")}`;
}

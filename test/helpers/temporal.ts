/**
 * Real Temporal servers for integration tests, from `scripts/temporal-local`: Temporal's Java test
 * server (startTestTemporal; MOOSE_TEST_TEMPORAL_ADDRESS), and a full Temporal with schedules, the
 * Temporal CLI's dev server (startFullTemporal; MOOSE_TEST_TEMPORAL_FULL_ADDRESS). With the variable
 * set (scripts/test-all starts one of each and shares them), that server is used; otherwise each test
 * file starts its own on a free port and stops it. Tests sharing a server stay apart by giving each
 * its own task queue and workflow names.
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

/** The first build of the Temporal CLI (go install) takes minutes; later starts take seconds. */
export const TEMPORAL_CLI_START_TIMEOUT_MS = 900_000;

export function startTestTemporal(): Promise<TestTemporal> {
  return startTemporal(process.env.MOOSE_TEST_TEMPORAL_ADDRESS, [], TEMPORAL_START_TIMEOUT_MS);
}

export function startFullTemporal(): Promise<TestTemporal> {
  return startTemporal(process.env.MOOSE_TEST_TEMPORAL_FULL_ADDRESS, ["--cli"], TEMPORAL_CLI_START_TIMEOUT_MS);
}

/** The pinned Temporal CLI binary (built on first use, as `start --cli` does). */
export async function temporalCliBinary(): Promise<string> {
  const { stdout } = await run(TEMPORAL_LOCAL, ["build-cli"], { timeout: TEMPORAL_CLI_START_TIMEOUT_MS });
  return stdout.trim().split("\n").pop()!;
}

async function startTemporal(shared: string | undefined, args: string[], timeout: number): Promise<TestTemporal> {
  if (shared) return { address: shared, target: { address: shared, namespace: "default" }, stop: async () => {} };
  const port = await freePort();
  const { stdout } = await run(TEMPORAL_LOCAL, ["start", "--port", String(port), ...args], { timeout });
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

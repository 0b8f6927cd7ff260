/**
 * The kafkajs client every stream process uses: redpanda_config's broker and timeouts (as the admin
 * client and the ingest producer), consumer group ids, and retrying backoff.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import kafkajs from "kafkajs";
import type { Config } from "../config/types.js";
import { kafkaTimeouts } from "../infra/kafka/timeouts.js";

export type Kafka = InstanceType<typeof kafkajs.Kafka>;

export function openStreamsKafka(config: Config["redpanda_config"], clientId: string): Kafka {
  const brokers = config.broker.split(",").map((address) => address.trim()).filter((address) => address !== "");
  const timeouts = kafkaTimeouts(config);
  return new kafkajs.Kafka({
    clientId,
    brokers,
    connectionTimeout: timeouts.connectionMs,
    requestTimeout: timeouts.requestMs,
    // A process outlives broker restarts: kafkajs keeps reconnecting (the consumer restarts itself).
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
    logLevel: kafkajs.logLevel.NOTHING,
  });
}

/**
 * The consumer group of a process: one per project, namespace and process id, so each process
 * resumes at its own committed offsets, replicas of one app (`moose prod` twice) share the work,
 * and two apps on one broker never share a group.
 */
export function processGroupId(projectDir: string, namespace: string, processId: string): string {
  return `moose-ts:${namespace}${projectName(projectDir)}:${processId}`;
}

/** package.json's `name`, else the project folder's name (deployments often all live in /app). */
function projectName(projectDir: string): string {
  try {
    const { name } = JSON.parse(readFileSync(path.join(projectDir, "package.json"), "utf8")) as { name?: unknown };
    if (typeof name === "string" && name !== "") return name;
  } catch {
    // no readable package.json: the folder names the project
  }
  return path.basename(path.resolve(projectDir));
}

/**
 * Group membership: a process that died (kill -9) is replaced after this long without its
 * heartbeat, so a restarted `moose dev` resumes within about 10 s (kafkajs's default is 30 s).
 * Processes heartbeat after every record or chunk, and while they wait to retry.
 */
export const GROUP_SESSION = { sessionTimeout: 10_000, heartbeatInterval: 3000 } as const;

/** 100 ms, 200 ms, 400 ms, … capped at 5 s: the wait before retry number `attempt` (1-based). */
export function backoffMs(attempt: number): number {
  return Math.min(5000, 100 * 2 ** (attempt - 1));
}

/** Waits `ms`, or less when `signal` aborts (a stopping process does not sit out its backoff). */
export function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

/**
 * The batches a process is handling. kafkajs drops commits once its consumer is stopping, so a
 * process's `stop` lets these finish (they stop early and commit what they handled) before it
 * disconnects.
 */
export function batchesInHand(): { run(work: () => Promise<void>): Promise<void>; finished(): Promise<void> } {
  const inHand = new Set<Promise<void>>();
  return {
    async run(work) {
      const batch = work();
      inHand.add(batch);
      try {
        await batch;
      } finally {
        inHand.delete(batch);
      }
    },
    async finished() {
      await Promise.allSettled([...inHand]);
    },
  };
}

/**
 * A sync across a broker restart: records keep arriving while the broker is shut down and started
 * again on the same data; once it is back the sync resumes at its committed offsets, and every
 * record on the topic is in the table exactly once. And processes stopped while the broker is gone
 * stay stopped once it is back. Always a broker of its own (not MOOSE_TEST_KAFKA_BROKER), since it
 * is restarted.
 */
import { execFile, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import kafkajs from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ColumnSpec } from "../../../src/manifest/types.js";
import { processGroupId } from "../../../src/streams/kafka.js";
import { Supervisor, type ProcessFunctions } from "../../../src/streams/supervisor.js";
import { useEmbeddedDatabase } from "../../helpers/clickhouse.js";
import { BROKER_START_TIMEOUT_MS, freePort, KAFKA_LOCAL } from "../../helpers/kafka.js";
import { createTopics, manifestOf, stream, streamsConfig, table, until } from "./fixtures.js";

const run = promisify(execFile);
const columns: ColumnSpec[] = [
  { name: "id", type: "UInt32", nullable: false },
  { name: "name", type: "String", nullable: false },
];
const database = useEmbeddedDatabase("streams_broker_restart");
let port: number;
let broker: string;

beforeAll(async () => {
  port = await freePort();
  broker = (await run(KAFKA_LOCAL, ["start", "--port", String(port)], { timeout: BROKER_START_TIMEOUT_MS })).stdout.trim();
}, BROKER_START_TIMEOUT_MS);
afterAll(async () => {
  if (port) await run(KAFKA_LOCAL, ["stop", "--port", String(port)], { timeout: 60_000 });
}, 60_000);

/** Shuts the broker down (SIGTERM: a clean stop that keeps its data) and starts the same command again. */
async function restartBroker(): Promise<{ before: number; after: number }> {
  const { pid, argv } = await stopBroker("SIGTERM");
  return { before: pid, after: startBroker(argv) };
}

function brokerInstance(): string {
  return path.join(process.env.MOOSE_KAFKA_HOME ?? path.join(homedir(), ".cache", "moose-ts", "kafka"), String(port));
}

/** Stops the broker with `signal`; its command line, to start it again on the same data. */
async function stopBroker(signal: NodeJS.Signals): Promise<{ pid: number; argv: string[] }> {
  const pid = Number(readFileSync(path.join(brokerInstance(), "pid"), "utf8"));
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((part) => part !== "");
  process.kill(pid, signal);
  await until(() => !alive(pid), 60_000, "the broker to exit");
  return { pid, argv };
}

function startBroker(argv: string[]): number {
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: "ignore" });
  child.unref();
  // kafka-local stop finds the broker by this file.
  writeFileSync(path.join(brokerInstance(), "pid"), String(child.pid));
  return child.pid!;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("sync across a broker restart", () => {
  it(
    "resumes without loss: every record on the topic is in the table once",
    async () => {
      const config = streamsConfig(broker, "");
      const events = stream("Events", columns, { destination: "Events", partitionCount: 2 });
      await createTopics(config, [events]);
      await database().exec("CREATE TABLE Events (id UInt32, name String) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 1000");
      const errors: string[] = [];
      const supervisor = new Supervisor({ projectDir: "/tmp/streams-broker-restart", config, driver: database(), events: { error: (_id, message) => void errors.push(message) } });
      const producer = new kafkajs.Kafka({ clientId: "restart-test", brokers: [broker], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 30, maxRetryTime: 2000 } }).producer();
      const count = async () => Number((await database().query<{ n: string }>("SELECT count() AS n FROM Events"))[0]!.n);
      try {
        await supervisor.reconcile(manifestOf({ streams: [events], tables: [table("Events", columns)], processes: [{ kind: "sync", source: "Events", destination: "Events" }] }), new Map());
        await producer.connect();
        const BATCHES = 40;
        const PER_BATCH = 250;
        let restarted: Promise<{ before: number; after: number }> | undefined;
        let storedAtRestart = 0;
        for (let batch = 0; batch < BATCHES; batch++) {
          const messages = Array.from({ length: PER_BATCH }, (_, index) => ({ value: JSON.stringify({ id: batch * PER_BATCH + index, name: "x" }) }));
          // A send the broker did not acknowledge is sent again (a repeat is a second message, counted below).
          for (;;) {
            try {
              await producer.send({ topic: "Events", messages });
              break;
            } catch {
              await new Promise((resolve) => setTimeout(resolve, 500));
            }
          }
          if (batch === 10) {
            await until(async () => (await count()) > 0, 30_000, "the sync to store the first records");
            storedAtRestart = await count();
            restarted = restartBroker();
          }
        }
        const pids = await restarted;
        const admin = new kafkajs.Kafka({ clientId: "restart-test-admin", brokers: [broker], logLevel: kafkajs.logLevel.NOTHING }).admin();
        await admin.connect();
        const onTopic = (await admin.fetchTopicOffsets("Events")).reduce((sum, partition) => sum + Number(partition.high), 0);
        await admin.disconnect();
        await until(async () => (await count()) >= onTopic, 90_000, `${onTopic} rows`);
        const [stored] = await database().query<{ rows: string; ids: string }>("SELECT count() AS rows, uniqExact(id) AS ids FROM Events");
        expect(Number(stored!.rows), `the sync's errors:\n${errors.join("\n")}`).toBe(onTopic);
        expect(Number(stored!.ids)).toBe(BATCHES * PER_BATCH);
        // The broker really went away and came back (a new process) while records were still flowing.
        expect(pids!.after).not.toBe(pids!.before);
        expect(storedAtRestart).toBeLessThan(BATCHES * PER_BATCH);
        expect((await supervisor.report())[0]).toMatchObject({ state: "running", lag: 0 });
      } finally {
        await producer.disconnect();
        await supervisor.close();
      }
    },
    240_000,
  );

  it(
    "a stop while the broker is gone ends the consumers: none restarts or rejoins its group once the broker is back",
    async () => {
      // kafkajs restarts a consumer after a retriable crash, also one handled after the stop: a stopped
      // process's consumer went on reconnecting (so `moose dev` never exited) and joined its group
      // again when the broker came back.
      const config = streamsConfig(broker, "");
      const raw = stream("Gone", columns, { destination: "Gone", partitionCount: 1 });
      const clean = stream("GoneClean", columns, { partitionCount: 1 });
      await createTopics(config, [raw, clean]);
      await database().exec("CREATE TABLE Gone (id UInt32, name String) ENGINE = MergeTree ORDER BY id");
      const projectDir = "/tmp/streams-broker-gone";
      const errors: Array<{ at: number; id: string; message: string }> = [];
      const supervisor = new Supervisor({ projectDir, config, driver: database(), events: { error: (id, message) => void errors.push({ at: Date.now(), id, message }) } });
      const manifest = manifestOf({
        streams: [raw, clean],
        tables: [table("Gone", columns)],
        processes: [
          { kind: "sync", source: "Gone", destination: "Gone" },
          { kind: "transform", source: "Gone", destination: "GoneClean", codeHash: "g" },
        ],
      });
      const functions: ProcessFunctions = new Map([["transform:Gone->GoneClean", { spec: manifest.processes["transform:Gone->GoneClean"]!, run: (record: unknown) => record }]]);
      const described = (list: typeof errors) => list.map(({ id, message }) => `${id}: ${message}`);
      let closed = false;
      try {
        await supervisor.reconcile(manifest, functions);
        await until(async () => (await supervisor.report()).every((process) => process.state === "running"), 60_000, "both processes to run");
        const { argv } = await stopBroker("SIGKILL");
        await until(() => new Set(errors.filter(({ message }) => message.includes("crashed (restarting)")).map(({ id }) => id)).size === 2, 90_000, () => `both consumers to crash and restart; errors:\n${described(errors).join("\n")}`);
        // Past the restart's delay: each consumer is starting again, connecting for seconds to a closed
        // port. The broker is started again (it listens within seconds), and the processes stopped meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        startBroker(argv);
        await supervisor.close();
        closed = true;
        const stoppedAt = Date.now();
        const admin = new kafkajs.Kafka({ clientId: "gone-test-admin", brokers: [broker], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 30, maxRetryTime: 2000 } }).admin();
        try {
          await admin.connect();
          // Longer than a consumer's connection retries (from 200 ms doubling, ≈ 20 s at most), so a start that outlived the stop has joined by now.
          await new Promise((resolve) => setTimeout(resolve, 25_000));
          const groupIds = Object.keys(manifest.processes).map((id) => processGroupId(projectDir, "", id));
          const { groups } = await admin.describeGroups(groupIds);
          expect(groups.map(({ groupId, members }) => ({ groupId, members: members.length }))).toEqual(groupIds.map((groupId) => ({ groupId, members: 0 })));
        } finally {
          await admin.disconnect();
        }
        expect(described(errors.filter(({ at }) => at > stoppedAt))).toEqual([]);
      } finally {
        if (!closed) await supervisor.close();
      }
    },
    180_000,
  );
});

/**
 * `moose dev` runs the app's stream processes on a real broker (MOOSE_TEST_KAFKA_BROKER, or one
 * started for this file): a record POSTed to an ingest API goes to the topic and its sync writes
 * the table; a transform into a second stream with a table lands there too; a save that changes
 * the transform's code restarts that process only; a record the transform throws on is skipped and
 * logged (`moose logs`); /health and `moose ls` report each process's state and lag; Ctrl-C stops
 * them with dev; --log-payloads shows each record at ingest and through the transform, and
 * --timestamps starts each line with its time. And dev killed with SIGKILL after its sync inserted a batch but before it committed
 * it: the next dev inserts that batch again with the same token, and every record on the topic is
 * in the table exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BROKER_START_TIMEOUT_MS, startTestBroker, testNamespace, type TestBroker } from "../helpers/kafka.js";
import { clickhouse, copyQuickstart, DevProcess, devEnv, freePorts, MOOSE_BIN, rows, DEV_TEST_TIMEOUT_MS, type DevPorts, type TestProject } from "./dev-process.js";
import { cleanEnv, run } from "./scenarios/project.js";
import { processGroupId } from "../../src/streams/kafka.js";
import type { ClickHouseClient } from "@clickhouse/client";
import kafkajs from "kafkajs";

const MAIN = "app/index.ts";
const APP = `import { IngestPipeline, OlapTable, Stream, type Key } from "moose-ts";

interface Reading {
  id: Key<string>;
  value: number;
}
interface Doubled {
  id: Key<string>;
  doubled: number;
}

export const readings = new IngestPipeline<Reading>("Reading", { table: true, stream: true, ingestApi: true });
export const doubledTable = new OlapTable<Doubled>("Doubled");
export const doubled = new Stream<Doubled>("DoubledStream", { destination: doubledTable });
readings.stream!.addTransform(doubled, (reading) => {
  if (reading.value < 0) throw new RangeError(\`negative reading \${reading.id}\`);
  return { id: reading.id, doubled: reading.value * 2 };
});
`;

describe("moose dev runs stream processes", () => {
  let broker: TestBroker;
  let project: TestProject;
  let dev: DevProcess;
  let ports: DevPorts;
  let client: ClickHouseClient;
  const namespace = testNamespace();

  beforeAll(async () => {
    broker = await startTestBroker();
    project = copyQuickstart();
    await project.write(MAIN, APP);
    ports = await freePorts();
    // MooseStack's --log-payloads and --timestamps: each record shown where it passes, each line with its time.
    dev = new DevProcess(project, devEnv(ports, { MOOSE_REDPANDA_CONFIG__BROKER: broker.broker, MOOSE_REDPANDA_CONFIG__NAMESPACE: namespace }), ["--log-payloads", "--timestamps"]);
    client = clickhouse(ports);
  }, BROKER_START_TIMEOUT_MS);

  afterAll(async () => {
    await client?.close();
    await dev?.stop();
    project?.remove();
    await broker?.stop();
  });

  const count = async (table: string) => Number((await rows<{ n: string }>(client, `SELECT count() AS n FROM ${table}`))[0]!.n);
  async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${dev.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it(
    "POST /ingest → topic → sync → table, and a transform into a second stream's table; /health lists the processes",
    async () => {
      const output = await dev.ready();
      expect(output).toContain("▶ started sync:Reading->Reading");
      expect(output).toContain("▶ started sync:DoubledStream->Doubled");
      expect(output).toContain("▶ started transform:Reading->DoubledStream");
      expect(output).toMatch(/^\d\d:\d\d:\d\d\.\d{3} .*moose dev ready in \d+ ms/m);
      const response = await fetch(`http://localhost:${ports.api}/ingest/Reading`, { method: "POST", body: JSON.stringify([{ id: "a", value: 1 }, { id: "b", value: 2 }]) });
      expect(await response.json()).toEqual({ ingested: 2 });
      await eventually(async () => (await count("Reading")) === 2 && (await count("Doubled")) === 2, "rows in Reading and Doubled");
      expect(await rows(client, "SELECT id, doubled FROM Doubled ORDER BY id")).toEqual([
        { id: "a", doubled: 2 },
        { id: "b", doubled: 4 },
      ]);
      expect(dev.output).toContain(`ingest /ingest/Reading: [{"id":"a","value":1},{"id":"b","value":2}]`);
      expect(dev.output).toContain(`process transform:Reading->DoubledStream: {"id":"a","value":1} → {"id":"a","doubled":2}`);
      // A record the transform throws on (no dead-letter queue): skipped, logged, the rest flows on.
      await fetch(`http://localhost:${ports.api}/ingest/Reading`, { method: "POST", body: JSON.stringify([{ id: "bad", value: -1 }, { id: "after", value: 4 }]) });
      await eventually(async () => (await count("Doubled")) === 3, "the record after the failing one");
      const health = (await (await fetch(`http://localhost:${ports.api}/health`)).json()) as { status: string; processes: Array<{ id: string; state: string; lag?: number; skipped: number }> };
      expect(health.status).toBe("ok");
      expect(health.processes.map((process) => [process.id, process.state]).sort()).toEqual([
        ["sync:DoubledStream->Doubled", "running"],
        ["sync:Reading->Reading", "running"],
        ["transform:Reading->DoubledStream", "running"],
      ]);
      expect(health.processes.find((process) => process.id === "transform:Reading->DoubledStream")).toMatchObject({ skipped: 1 });
      expect(dev.output).toContain("process transform:Reading->DoubledStream: transform transform:Reading->DoubledStream failed on");

      // `moose logs` has the error; `moose ls` shows each process's state and lag from the running dev.
      const env = cleanEnv(devEnv(ports, { MOOSE_REDPANDA_CONFIG__BROKER: broker.broker, MOOSE_REDPANDA_CONFIG__NAMESPACE: namespace }));
      const logs = await run(process.execPath, [MOOSE_BIN, "logs", "--filter", "negative reading"], { cwd: project.dir, env });
      expect(logs.stdout).toContain("transform:Reading->DoubledStream");
      expect(logs.stdout).toContain("RangeError");
      const ls = await run(process.execPath, [MOOSE_BIN, "ls", "--type", "process", "--json"], { cwd: project.dir, env });
      expect(ls.code, ls.stderr).toBe(0);
      const listed = JSON.parse(ls.stdout) as Array<{ id: string; running?: { state: string; lag?: number; lastError?: string } }>;
      expect(listed.find((item) => item.id === "sync:Reading->Reading")?.running).toEqual({ state: "running", lag: 0 });
      // /health leaves last errors out (anyone may ask it); `moose ls` reads them back from the project's log.
      expect(JSON.stringify(health)).not.toContain("negative reading");
      expect(listed.find((item) => item.id === "transform:Reading->DoubledStream")?.running?.lastError).toContain("negative reading");
    },
    DEV_TEST_TIMEOUT_MS,
  );

  it(
    "a save that changes the transform's code restarts that process only; new records take the new code",
    async () => {
      const mark = dev.mark();
      await project.edit(MAIN, "reading.value * 2", "reading.value * 3");
      const reload = await dev.waitFor(/(✓|✖) reload (in|failed after) \d+ ms/, mark);
      expect(reload).toContain("↻ restarted transform:Reading->DoubledStream");
      expect(reload).not.toContain("sync:Reading->Reading");
      expect(reload).not.toContain("sync:DoubledStream->Doubled");
      await fetch(`http://localhost:${ports.api}/ingest/Reading`, { method: "POST", body: JSON.stringify({ id: "c", value: 5 }) });
      await eventually(async () => (await count("Doubled")) === 4, "the new row in Doubled");
      expect(await rows(client, "SELECT id, doubled FROM Doubled WHERE id = 'c'")).toEqual([{ id: "c", doubled: 15 }]);
      expect(await dev.stop()).toBe(0);
      // Ctrl-C left no member behind: each process's group is empty, with everything committed.
      const admin = new kafkajs.Kafka({ clientId: "dev-processes-test", brokers: [broker.broker], logLevel: kafkajs.logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const ids = ["sync:Reading->Reading", "sync:DoubledStream->Doubled", "transform:Reading->DoubledStream"];
        const { groups } = await admin.describeGroups(ids.map((id) => processGroupId(project.dir, namespace, id)));
        expect(groups.map((group) => [group.state, group.members.length])).toEqual(ids.map(() => ["Empty", 0]));
      } finally {
        await admin.disconnect();
      }
    },
    DEV_TEST_TIMEOUT_MS,
  );
});

const KILL_APP = `import { OlapTable, Stream, type Key } from "moose-ts";

interface Tick {
  id: Key<number>;
  name: string;
}

// A MergeTree that recognises a batch inserted again with its deduplication token (docs/streams.md).
export const ticksTable = new OlapTable<Tick>("Ticks", { settings: { non_replicated_deduplication_window: "1000" } });
export const ticks = new Stream<Tick>("Ticks", { destination: ticksTable });
`;

describe("moose dev killed with SIGKILL in the middle of a sync", () => {
  let broker: TestBroker;
  let project: TestProject;
  let ports: DevPorts;
  let client: ClickHouseClient;
  const namespace = testNamespace();
  const devs: DevProcess[] = [];

  beforeAll(async () => {
    broker = await startTestBroker();
    project = copyQuickstart();
    await project.write(MAIN, KILL_APP);
    ports = await freePorts();
    client = clickhouse(ports);
  }, BROKER_START_TIMEOUT_MS);

  afterAll(async () => {
    await client?.close();
    for (const dev of devs) await dev.stop();
    project?.remove();
    await broker?.stop();
  });

  const startDev = () => {
    // Batches of 100 records.
    const dev = new DevProcess(project, devEnv(ports, { MOOSE_REDPANDA_CONFIG__BROKER: broker.broker, MOOSE_REDPANDA_CONFIG__NAMESPACE: namespace, MOOSE_REDPANDA_CONFIG__SYNC_BATCH_SIZE: "100" }));
    devs.push(dev);
    return dev;
  };
  const count = async () => Number((await rows<{ n: string }>(client, "SELECT count() AS n FROM Ticks"))[0]!.n);

  it(
    "killed after its insert ran but before the commit, the next moose dev stores that batch once: each record on the topic is in the table once",
    async () => {
      const first = startDev();
      await first.ready();
      // A materialized view that sleeps 10 ms per row: a batch's rows are visible in Ticks about a
      // second before its insert returns, which is when the sync would commit. Killing dev then
      // lands exactly between the insert and the commit.
      await client.command({ query: "CREATE TABLE SlowCopy (id Int64) ENGINE = MergeTree ORDER BY id" });
      await client.command({ query: "CREATE MATERIALIZED VIEW SlowCopy_mv TO SlowCopy AS SELECT id FROM Ticks WHERE sleepEachRow(0.01) = 0" });
      const TOTAL = 600;
      const kafka = new kafkajs.Kafka({ clientId: "kill-test", brokers: [broker.broker], logLevel: kafkajs.logLevel.NOTHING });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: `${namespace}Ticks`, messages: Array.from({ length: TOTAL }, (_, id) => ({ value: JSON.stringify({ id, name: "tick" }) })) });
      await producer.disconnect();
      const deadline = Date.now() + 60_000;
      while ((await count()) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      first.child.kill("SIGKILL");
      await first.exited();

      // The killed sync had marked the batch pending and inserted it, but not committed past it.
      const admin = kafka.admin();
      await admin.connect();
      try {
        const [offsets] = await admin.fetchOffsets({ groupId: processGroupId(project.dir, namespace, "sync:Ticks->Ticks"), topics: [`${namespace}Ticks`] });
        expect(offsets!.partitions).toEqual([{ partition: 0, offset: "0", metadata: "moose-ts:pending:99" }]);
      } finally {
        await admin.disconnect();
      }

      const second = startDev();
      await second.ready();
      const resumeDeadline = Date.now() + 90_000;
      while ((await count()) < TOTAL && Date.now() < resumeDeadline) await new Promise((resolve) => setTimeout(resolve, 200));
      // Nothing more arrives later (a repeat would show up as extra rows).
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(await rows(client, "SELECT count() AS rows, uniqExact(id) AS ids FROM Ticks")).toEqual([{ rows: String(TOTAL), ids: String(TOTAL) }]);
      expect(await second.stop()).toBe(0);
    },
    DEV_TEST_TIMEOUT_MS + 120_000,
  );
});

/**
 * A real 3-broker KRaft cluster (`scripts/kafka-local start --brokers 3`, started once for the file):
 * a topic whose stream and config name no replication factor gets the brokers' default (3), one with
 * `redpanda_config.replication_factor` gets that; a broker killed with SIGKILL in the middle of
 * `moose migrate up` does not fail the topic steps after it, which the two remaining brokers can serve;
 * the ingest producer delivers with that broker down, and waits for every in-sync replica (refused when
 * three are required); `start` again brings it back; a broker that stalls mid-send makes the stream
 * processes' producer send the request again whole (or fail it) rather than lose records; `stop` ends all three.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { openKafkaAdmin, type TopicDescription } from "../../../src/infra/kafka/executor.js";
import { openKafkaProducer } from "../../../src/infra/kafka/producer.js";
import { emptyManifest, type Manifest, type StreamSpec } from "../../../src/manifest/types.js";
import { checkReality } from "../../../src/server/live-state.js";
import { openProcessProducer, openStreamsKafka, sendInParts } from "../../../src/streams/kafka.js";
import { BROKER_START_TIMEOUT_MS, brokerRunning, readJsonMessages, redpandaConfig, startTestCluster, testNamespace, type TestCluster } from "../../helpers/kafka.js";
import { writeHandMigration } from "../../unit/migrations/helpers.js";
import { runCli, useCliProjects } from "../migrations/cli.js";

const { cli, newProject } = useCliProjects("moose-kafka-cluster-");
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster(3);
}, BROKER_START_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

function stream(name: string, partitionCount: number, replicationFactor?: number, config: Record<string, string> = {}): StreamSpec {
  return {
    name,
    partitionCount,
    retentionMs: 3_600_000,
    config,
    columns: [{ name: "id", type: "String", nullable: false }],
    lifeCycle: "FULLY_MANAGED",
    ...(replicationFactor === undefined ? {} : { replicationFactor }),
  };
}

describe("replication factor on a 3-broker cluster", () => {
  it("redpanda_config.replication_factor is used by a topic whose step names none; a topic made with another is a conflict", async () => {
    const namespace = testNamespace();
    const pinned = openKafkaAdmin(redpandaConfig({ broker: cluster.broker, namespace, replication_factor: 2 }));
    const byDefault = openKafkaAdmin(redpandaConfig({ broker: cluster.broker, namespace }));
    try {
      await pinned.execute({ createTopic: { topic: "Pinned", partitions: 1, config: {} } });
      await pinned.execute({ createTopic: { topic: "Pinned", partitions: 1, config: {} } });
      await byDefault.execute({ createTopic: { topic: "Default", partitions: 1, config: {} } });
      // Without a configured factor, any existing one is accepted: the broker's default is what was asked for.
      await byDefault.execute({ createTopic: { topic: "Pinned", partitions: 1, config: {} } });
      const conflict = await pinned.execute({ createTopic: { topic: "Default", partitions: 1, config: {} } }).catch((error: unknown) => error);
      expect(conflict).toMatchObject({ code: "KAFKA_TOPIC_CONFLICT", message: expect.stringContaining("replication factor: 3 on the broker, 2 wanted") });
      const factors = async () => Object.fromEntries((await byDefault.describeTopics()).map((topic) => [topic.name, topic.replicationFactor]));
      // The namespace's topics as the broker asked lists them: a topic created through another may show up a moment later.
      await expect.poll(factors, { timeout: 10_000, interval: 200 }).toEqual({ Default: 3, Pinned: 2 });
    } finally {
      await pinned.close();
      await byDefault.close();
    }
  });
});

describe("a broker killed on a 3-broker cluster", () => {
  const namespace = testNamespace();
  const config = () => redpandaConfig({ broker: cluster.broker, namespace });
  const killed = { node: 1, pid: 0 };

  // Each topic step after the kill may wait up to its own call bound (≈ 19 s) for the controller to fence
  // the dead broker and move its partitions' leaders: together more than the default test timeout.
  it("migrate up: a broker killed between topic steps, every later step done; RF 3 from the stream and from the broker's default", async () => {
    const project = newProject();
    writeFileSync(path.join(project.dir, "moose.config.toml"), `[redpanda_config]\nbroker = "${cluster.broker}"\nnamespace = "${namespace}"\n`);
    const after: Manifest = { ...emptyManifest(), streams: { Orders: stream("Orders", 4, 3), Clicks: stream("Clicks", 2, undefined, { "max.message.bytes": "2097152" }) } };
    // Node 1 is the first bootstrap address: the broker the CLI's admin client talks to first.
    await writeHandMigration(project.layout, "20260101T000000Z_topics", {
      after,
      up: `    { kafka: { createTopic: { topic: "Orders", partitions: 2, replicationFactor: 3, config: { "retention.ms": "3600000" } } } },
    { summary: "kill -9 a broker", run: async () => { process.kill(Number(process.env.MOOSE_TEST_KILL_PID), "SIGKILL"); } },
    { kafka: { createTopic: { topic: "Clicks", partitions: 2, config: { "retention.ms": "3600000" } } } },
    { kafka: { addPartitions: { topic: "Orders", from: 2, count: 4 } } },
    { kafka: { alterTopicConfig: { topic: "Clicks", set: { "max.message.bytes": "2097152" }, reset: [] } } },`,
    });
    killed.pid = cluster.pid(killed.node);

    const up = await runCli(cli(), ["migrate", "up", "--embedded"], { cwd: project.dir, env: { MOOSE_TEST_KILL_PID: String(killed.pid) } });
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/✓ 20260101T000000Z_topics applied/);
    expect(brokerRunning(killed.pid)).toBe(false);

    const admin = openKafkaAdmin(config());
    try {
      const topics: TopicDescription[] = await admin.describeTopics();
      expect(topics.map(({ name, partitionCount, replicationFactor }) => ({ name, partitionCount, replicationFactor })).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
        { name: "Clicks", partitionCount: 2, replicationFactor: 3 },
        { name: "Orders", partitionCount: 4, replicationFactor: 3 },
      ]);
      // Brokers learn a config change from the controller a moment apart; the one asked here may lag.
      await expect.poll(async () => (await admin.describeTopics(["Clicks"]))[0]?.configs["max.message.bytes"], { timeout: 10_000, interval: 200 }).toBe("2097152");
    } finally {
      await admin.close();
    }

    // What `moose ls` reads: the applied state matches the broker, and each topic's live shape is there to show.
    const driver = await openEmbedded({ dataDir: path.join(project.dir, ".moose", "clickhouse"), database: "local" });
    try {
      const projectConfig = await loadConfig(project.dir, {});
      await expect.poll(() => checkReality(projectConfig, driver), { timeout: 10_000, interval: 200 }).toMatchObject({
        status: "in-sync",
        checked: { kafka: true },
        topics: { Clicks: { partitionCount: 2, replicationFactor: 3 }, Orders: { partitionCount: 4, replicationFactor: 3 } },
      });
    } finally {
      await driver.close();
    }
  }, 150_000);

  it("once every surviving broker knows its partitions' new leaders, the ingest producer delivers with that broker still down", async () => {
    expect(killed.pid).toBeGreaterThan(0);
    expect(brokerRunning(killed.pid)).toBe(false);
    const { Kafka } = (await import("kafkajs")).default;
    const topic = `${namespace}Orders`;
    // Until the controller fences the dead broker (broker.session.timeout.ms), it still leads its
    // partitions; then each broker learns the new leaders from the metadata log, a moment apart.
    // Sends in between can fail (docs/streams.md): ask every survivor, not just one.
    const survivors = cluster.broker.split(",").filter((_, index) => index + 1 !== killed.node);
    for (const address of survivors) {
      const admin = new Kafka({ brokers: [address], logLevel: 0 }).admin();
      await admin.connect();
      try {
        const leaders = async () => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.map((partition) => partition.leader);
        await expect.poll(async () => (await leaders()).filter((leader) => leader === killed.node || leader < 0), { timeout: 30_000, interval: 250 }).toEqual([]);
      } finally {
        await admin.disconnect();
      }
    }

    const producer = openKafkaProducer(config());
    try {
      await producer.send("Orders", Array.from({ length: 40 }, (_, index) => ({ id: `order-${index}` })));
    } finally {
      await producer.close();
    }
    const admin = new Kafka({ brokers: survivors, logLevel: 0 }).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.reduce((sum, partition) => sum + Number(partition.high), 0)).toBe(40);
    } finally {
      await admin.disconnect();
    }
  });

  it("the ingest producer waits for every in-sync replica: with three required and that broker down, the records are refused", async () => {
    const { Kafka, ConfigResourceTypes } = (await import("kafkajs")).default;
    const topic = `${namespace}Orders`;
    const survivors = cluster.broker.split(",").filter((_, index) => index + 1 !== killed.node);
    const admin = new Kafka({ brokers: survivors, logLevel: 0 }).admin();
    await admin.connect();
    const minInSync = (value: string) => admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: "min.insync.replicas", value }] }] });
    const producer = openKafkaProducer(config());
    try {
      // Three replicas, two in sync: a send acknowledged by the leader alone would be accepted.
      await minInSync("3");
      // The change reaches each broker through the metadata log, and its partition's log a moment after
      // describeConfigs shows it (CI once had a record taken then): until the leader applies it, a send
      // is taken. Once it does, every send is refused; a producer asking the leader alone never would be.
      const outcome = () => producer.send("Orders", [{ id: "unsafe" }]).then(() => "taken", (error: { code?: string; details?: { errorType?: string } }) => `${error.code} ${error.details?.errorType}`);
      await expect.poll(outcome, { timeout: 30_000, interval: 200 }).toBe("KAFKA_REJECTED NOT_ENOUGH_REPLICAS");
      expect(await outcome()).toBe("KAFKA_REJECTED NOT_ENOUGH_REPLICAS");
    } finally {
      await producer.close();
      await minInSync("2");
      await admin.disconnect();
    }
  });

  it("`scripts/kafka-local start --brokers 3` again starts the killed broker on its data: the cluster is whole again", async () => {
    expect(brokerRunning(killed.pid)).toBe(false);
    expect((await cluster.restart()).trim()).toBe(cluster.broker);
    expect(brokerRunning(cluster.pid(killed.node))).toBe(true);
    const kafka = new (await import("kafkajs")).default.Kafka({ brokers: cluster.broker.split(","), logLevel: 0 });
    const admin = kafka.admin();
    await admin.connect();
    try {
      // The script waits until the restarted node lists all three; the others learn it is back a moment later.
      await expect.poll(async () => (await admin.describeCluster()).brokers.map((broker) => broker.nodeId).sort(), { timeout: 30_000, interval: 250 }).toEqual([1, 2, 3]);
      // Its replicas of the topics catch up from the others' logs and rejoin the in-sync set.
      const topic = `${namespace}Orders`;
      await expect.poll(async () => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.every((partition) => partition.isr.includes(killed.node)), { timeout: 30_000, interval: 250 }).toBe(true);
    } finally {
      await admin.disconnect();
    }
  });
});

describe("stream processes' producer on a 3-broker cluster", () => {
  it("a broker that stops answering mid-send: the request is sent again whole (or the batch runs again), never with the records kafkajs re-partitions dropped", async () => {
    const { Kafka } = (await import("kafkajs")).default;
    const config = redpandaConfig({ broker: cluster.broker, namespace: testNamespace() });
    const topic = `${config.namespace}Results`;
    const admin = openKafkaAdmin(config);
    await admin.execute({ createTopic: { topic: "Results", partitions: 6, config: {} } });
    await admin.close();
    const kafka = openStreamsKafka(config, "broker-down-test");
    const producer = openProcessProducer(kafka);
    await producer.connect();
    const messages = Array.from({ length: 60 }, (_, id) => ({ value: JSON.stringify({ id }) }));
    const inspector = new Kafka({ brokers: cluster.broker.split(","), logLevel: 0 }).admin();
    await inspector.connect();
    const leadersOf = async () => (await inspector.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.map((partition) => partition.leader);
    // Right after the creation a broker may not know the topic yet (UNKNOWN_TOPIC_OR_PARTITION), or a partition its leader (-1).
    const led = () => leadersOf().then((leaders) => leaders.filter((leader) => leader > 0).length, () => 0);
    await expect.poll(led, { timeout: 30_000, interval: 250 }).toBe(6);
    const leaders = await leadersOf();
    // A broker leading some partitions, but not all: the others answer the send.
    const stalled = [1, 2, 3].find((node) => leaders.includes(node) && leaders.some((leader) => leader !== node))!;
    process.kill(cluster.pid(stalled), "SIGSTOP");
    let outcome: string;
    try {
      outcome = await sendInParts(producer, [{ topic, messages }], () => undefined).then(
        () => "sent",
        () => "failed",
      );
    } finally {
      process.kill(cluster.pid(stalled), "SIGCONT");
    }
    try {
      // What the process does after a failed send: the batch again, whole, until it is sent.
      if (outcome === "failed") {
        await expect
          .poll(() => sendInParts(producer, [{ topic, messages }], () => undefined).then(() => "sent", () => "failed"), { timeout: 30_000, interval: 1000 })
          .toBe("sent");
      }
      const offsets = await inspector.fetchTopicOffsets(topic);
      const stored = offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
      // At least once: every record, some possibly twice (sent before the failure, and again).
      expect(stored).toBeGreaterThanOrEqual(messages.length);
      const ids = new Set((await readJsonMessages(kafka, topic, stored, `${topic}-check`)).map((record) => (record as { id: number }).id));
      expect(ids.size).toBe(messages.length);
    } finally {
      await producer.disconnect();
      await inspector.disconnect();
    }
  }, 120_000);
});

describe("scripts/kafka-local stop --port of a cluster", () => {
  it("ends every node it started", async () => {
    const pids = [1, 2, 3].map((node) => cluster.pid(node));
    expect(pids.every(brokerRunning)).toBe(true);
    await cluster.stop();
    expect(pids.filter(brokerRunning)).toEqual([]);
  });
});

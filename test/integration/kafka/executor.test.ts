// Every kafka step against a real Apache Kafka broker, each result checked with the admin API's describe.
import { connect, createServer, type Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import { openKafkaAdmin, type KafkaAdmin } from "../../../src/infra/kafka/executor.js";
import { introspectTopics } from "../../../src/infra/kafka/introspect.js";
import { BROKER_START_TIMEOUT_MS, freePort, redpandaConfig, startTestBroker, testNamespace, type TestBroker } from "../../helpers/kafka.js";

let broker: TestBroker;
let admin: KafkaAdmin;
let namespace: string;

beforeAll(async () => {
  broker = await startTestBroker();
}, BROKER_START_TIMEOUT_MS);

afterAll(async () => {
  await broker?.stop();
}, 60_000);

function open(): KafkaAdmin {
  namespace = testNamespace();
  admin = openKafkaAdmin(redpandaConfig({ broker: broker.broker, namespace }));
  return admin;
}

afterEach(async () => {
  await admin?.close();
});

async function describeOne(name: string) {
  const [topic] = await admin.describeTopics([name]);
  return topic;
}

async function failure(promise: Promise<unknown>): Promise<MooseError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(MooseError);
  return error as MooseError;
}

describe("createTopic", () => {
  it("creates the topic with its partitions, replication factor and configs under the namespace", async () => {
    open();
    await admin.execute({
      createTopic: {
        topic: "events",
        partitions: 3,
        replicationFactor: 1,
        config: { "retention.ms": "3600000", "max.message.bytes": "2097152", "cleanup.policy": "compact" },
      },
    });
    const topic = await describeOne("events");
    expect(topic).toMatchObject({ name: "events", topic: `${namespace}events`, partitionCount: 3, replicationFactor: 1 });
    expect(topic!.configs).toMatchObject({ "retention.ms": "3600000", "max.message.bytes": "2097152", "cleanup.policy": "compact" });
    expect(topic!.overrides.sort()).toEqual(["cleanup.policy", "max.message.bytes", "retention.ms"]);
  });

  it("leaves the replication factor to the broker's default (1 here) when neither the step nor the config names one, and is idempotent", async () => {
    open();
    const step = { createTopic: { topic: "plain", partitions: 1, config: {} } };
    await admin.execute(step);
    await admin.execute(step);
    expect(await describeOne("plain")).toMatchObject({ partitionCount: 1, replicationFactor: 1, overrides: [] });
  });

  it("refuses a topic that already exists with other settings, and names each difference", async () => {
    open();
    await admin.execute({ createTopic: { topic: "taken", partitions: 1, config: { "retention.ms": "60000" } } });
    const error = await failure(
      admin.execute({ createTopic: { topic: "taken", partitions: 2, config: { "retention.ms": "120000" } } }),
    );
    expect(error.code).toBe("KAFKA_TOPIC_CONFLICT");
    expect(error.message).toContain("partitions: 1 on the broker, 2 wanted");
    expect(error.message).toContain("retention.ms: 60000 on the broker, 120000 wanted");
    expect(await describeOne("taken")).toMatchObject({ partitionCount: 1 });
  });

  it("reports a config the broker rejects as KAFKA_REJECTED with the broker's reason", async () => {
    open();
    const error = await failure(
      admin.execute({ createTopic: { topic: "bad", partitions: 1, config: { "cleanup.policy": "sometimes" } } }),
    );
    expect(error.code).toBe("KAFKA_REJECTED");
    expect(error.message).toContain("INVALID_CONFIG");
    expect(await describeOne("bad")).toBeUndefined();
  });

  it("reports a replication factor above the broker count as KAFKA_REJECTED", async () => {
    open();
    const error = await failure(
      admin.execute({ createTopic: { topic: "replicated", partitions: 1, replicationFactor: 3, config: {} } }),
    );
    expect(error.code).toBe("KAFKA_REJECTED");
    expect(error.message).toContain("INVALID_REPLICATION_FACTOR");
  });
});

describe("alterTopicConfig", () => {
  it("sets and resets configs and keeps the other overrides", async () => {
    open();
    await admin.execute({
      createTopic: { topic: "tuned", partitions: 1, config: { "retention.ms": "60000", "max.message.bytes": "2097152" } },
    });
    await admin.execute({
      alterTopicConfig: { topic: "tuned", set: { "retention.ms": "120000", "segment.ms": "3600000" }, reset: ["max.message.bytes"] },
    });
    const topic = await describeOne("tuned");
    expect(topic!.overrides.sort()).toEqual(["retention.ms", "segment.ms"]);
    expect(topic!.configs["retention.ms"]).toBe("120000");
    expect(topic!.configs["segment.ms"]).toBe("3600000");
    // Back to the broker's default (1 MiB plus record overhead).
    expect(topic!.configs["max.message.bytes"]).toBe("1048588");
  });

  it("is idempotent: applying the same change twice leaves the same topic", async () => {
    open();
    await admin.execute({ createTopic: { topic: "again", partitions: 1, config: {} } });
    const step = { alterTopicConfig: { topic: "again", set: { "retention.ms": "90000" }, reset: ["segment.ms"] } };
    await admin.execute(step);
    await admin.execute(step);
    const topic = await describeOne("again");
    expect(topic!.overrides).toEqual(["retention.ms"]);
    expect(topic!.configs["retention.ms"]).toBe("90000");
  });

  it("fails with KAFKA_TOPIC_NOT_FOUND for a missing topic", async () => {
    open();
    const error = await failure(admin.execute({ alterTopicConfig: { topic: "ghost", set: { "retention.ms": "1000" }, reset: [] } }));
    expect(error.code).toBe("KAFKA_TOPIC_NOT_FOUND");
  });
});

describe("addPartitions", () => {
  it("grows the topic to the new total, and running it again changes nothing", async () => {
    open();
    await admin.execute({ createTopic: { topic: "growing", partitions: 1, config: {} } });
    await admin.execute({ addPartitions: { topic: "growing", from: 1, count: 4 } });
    await admin.execute({ addPartitions: { topic: "growing", from: 1, count: 4 } });
    expect(await describeOne("growing")).toMatchObject({ partitionCount: 4 });
  });

  it("refuses a count below the broker's when the step does not say where it started", async () => {
    open();
    await admin.execute({ createTopic: { topic: "wide", partitions: 3, config: {} } });
    const error = await failure(admin.execute({ addPartitions: { topic: "wide", count: 2 } }));
    expect(error.code).toBe("KAFKA_PARTITION_DECREASE");
    expect(error.message).toContain("from 3 to 2 partitions");
    expect(await describeOne("wide")).toMatchObject({ partitionCount: 3 });
  });

  it("fails with KAFKA_TOPIC_NOT_FOUND for a missing topic", async () => {
    open();
    const error = await failure(admin.execute({ addPartitions: { topic: "ghost", count: 2 } }));
    expect(error.code).toBe("KAFKA_TOPIC_NOT_FOUND");
  });
});

describe("deleteTopic", () => {
  it("deletes the topic; deleting it again is fine, and the name can be created again at once", async () => {
    open();
    await admin.execute({ createTopic: { topic: "doomed", partitions: 2, config: {} } });
    await admin.execute({ deleteTopic: { topic: "doomed" } });
    expect(await describeOne("doomed")).toBeUndefined();
    await admin.execute({ deleteTopic: { topic: "doomed" } });
    await admin.execute({ createTopic: { topic: "doomed", partitions: 1, config: {} } });
    expect(await describeOne("doomed")).toMatchObject({ partitionCount: 1 });
  });
});

describe("introspection", () => {
  it("lists only the namespace's topics, shaped like the streams that made them", async () => {
    open();
    await admin.execute({
      createTopic: { topic: "UserEvents", partitions: 2, config: { "retention.ms": "3600000", "max.message.bytes": "2097152" } },
    });
    await admin.execute({ createTopic: { topic: "Other", partitions: 1, config: {} } });
    const outsider = openKafkaAdmin(redpandaConfig({ broker: broker.broker, namespace: testNamespace() }));
    try {
      await outsider.execute({ createTopic: { topic: "UserEvents", partitions: 1, config: {} } });
    } finally {
      await outsider.close();
    }

    const live = await introspectTopics(admin);
    expect(live).toEqual([
      // Kafka's default retention (7 days) when the topic sets none.
      { name: "Other", topic: `${namespace}Other`, partitionCount: 1, retentionMs: 604_800_000, replicationFactor: 1, config: {} },
      {
        name: "UserEvents",
        topic: `${namespace}UserEvents`,
        partitionCount: 2,
        retentionMs: 3_600_000,
        replicationFactor: 1,
        config: { "max.message.bytes": "2097152" },
      },
    ]);
    expect(await introspectTopics(admin, ["UserEvents", "Missing"])).toHaveLength(1);
  });
});

describe("a broker that comes back", () => {
  it("serves the next call after one failed for an unreachable broker (a failed migration can resume)", async () => {
    // The bootstrap address is a port nothing listens on at first; later it forwards to the real broker
    // (which then hands out its own address for everything else).
    const bootstrapPort = await freePort();
    const [brokerHost, brokerPort] = broker.broker.split(":");
    namespace = testNamespace();
    admin = openKafkaAdmin(redpandaConfig({ broker: `127.0.0.1:${bootstrapPort}`, namespace }));
    const step = { createTopic: { topic: "resumed", partitions: 2, config: {} } };
    expect((await failure(admin.execute(step))).code).toBe("KAFKA_UNREACHABLE");

    const sockets: Socket[] = [];
    const forwarder = createServer((client) => {
      const upstream = connect(Number(brokerPort), brokerHost === "localhost" ? "127.0.0.1" : brokerHost);
      sockets.push(client, upstream);
      client.pipe(upstream).pipe(client);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
    });
    await new Promise<void>((resolve) => forwarder.listen(bootstrapPort, "127.0.0.1", resolve));
    try {
      await admin.execute(step);
      expect(await describeOne("resumed")).toMatchObject({ partitionCount: 2 });
    } finally {
      await admin.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => forwarder.close(() => resolve()));
    }
  });
});

// What the executor does when it must not, or cannot, talk to a broker: steps refused before any
// connection, a closed port, and a broker that accepts connections but never answers.
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ExitCode, MooseError } from "../../../src/errors.js";
import { openKafkaAdmin, type KafkaAdmin } from "../../../src/infra/kafka/executor.js";
import type { KafkaAction } from "../../../src/steps/index.js";
import { freePort, redpandaConfig } from "../../helpers/kafka.js";

let admin: KafkaAdmin | undefined;

afterEach(async () => {
  await admin?.close();
  admin = undefined;
  vi.restoreAllMocks();
});

async function failure(promise: Promise<unknown>): Promise<MooseError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(MooseError);
  return error as MooseError;
}

/** An admin whose broker address has nothing behind it: any attempt to connect would fail. */
async function adminWithoutBroker(namespace = ""): Promise<{ admin: KafkaAdmin; address: string }> {
  const address = `127.0.0.1:${await freePort()}`;
  admin = openKafkaAdmin(redpandaConfig({ broker: address, namespace }));
  return { admin, address };
}

describe("steps refused before contacting the broker", () => {
  it("refuses a partition decrease with the reason and what to do instead", async () => {
    const { admin } = await adminWithoutBroker();
    const error = await failure(admin.execute({ addPartitions: { topic: "events", from: 4, count: 2 } }));
    expect(error.code).toBe("KAFKA_PARTITION_DECREASE");
    expect(error.exitCode).toBe(ExitCode.blockedDestructive);
    expect(error.message).toContain("Kafka can only add partitions");
    expect(error.hint).toContain("create a new stream with 2 partitions");
  });

  const invalidSteps: Array<[string, KafkaAction, string]> = [
    ["zero partitions", { createTopic: { topic: "events", partitions: 0, config: {} } }, "partitions must be a whole number"],
    ["fractional replication", { createTopic: { topic: "events", partitions: 1, replicationFactor: 1.5, config: {} } }, "replicationFactor"],
    ["a non-string config value", { createTopic: { topic: "events", partitions: 1, config: { "retention.ms": 5 as unknown as string } } }, "retention.ms"],
    ["an illegal topic name", { deleteTopic: { topic: "user events" } }, "not a legal Kafka topic name"],
    ["a config both set and reset", { alterTopicConfig: { topic: "events", set: { "retention.ms": "1" }, reset: ["retention.ms"] } }, "both sets and resets"],
    ["a reset that is not a list", { alterTopicConfig: { topic: "events", set: {}, reset: "retention.ms" as unknown as string[] } }, "reset must be a list"],
    ["configs that are not an object", { alterTopicConfig: { topic: "events", set: ["retention.ms"] as unknown as Record<string, string>, reset: [] } }, "must be an object"],
    ["zero partitions to add", { addPartitions: { topic: "events", count: 0 } }, "count must be a whole number"],
    ["an unknown step", { renameTopic: { topic: "events" } } as unknown as KafkaAction, 'unknown kafka step "renameTopic"'],
  ];
  it.each(invalidSteps)("refuses %s as KAFKA_INVALID_STEP", async (_, action, message) => {
    const { admin } = await adminWithoutBroker();
    const error = await failure(admin.execute(action));
    expect(error.code).toBe("KAFKA_INVALID_STEP");
    expect(error.message).toContain(message);
  });

  it("checks the topic name with the namespace prefix applied", async () => {
    const { admin } = await adminWithoutBroker("x".repeat(245));
    const error = await failure(admin.execute({ deleteTopic: { topic: "events" } }));
    expect(error.code).toBe("KAFKA_INVALID_STEP");
    expect(error.message).toContain(`"${"x".repeat(245)}events"`);
  });
});

describe("an unreachable broker", () => {
  it("fails with KAFKA_UNREACHABLE naming the address, the config key and the ways out", async () => {
    const { admin, address } = await adminWithoutBroker();
    const error = await failure(admin.execute({ createTopic: { topic: "events", partitions: 1, config: {} } }));
    expect(error.code).toBe("KAFKA_UNREACHABLE");
    expect(error.message).toContain(address);
    expect(error.config?.key).toBe("redpanda_config.broker");
    expect(error.hint).toContain("scripts/kafka-local start");
    expect(error.hint).toContain("streaming_engine = false");
    expect(error.format()).toContain(`[redpanda_config.broker] - error KAFKA_UNREACHABLE: cannot reach the Kafka broker at ${address}`);
  }, 20_000);

  it("fails with KAFKA_UNREACHABLE when no broker address is configured", async () => {
    admin = openKafkaAdmin(redpandaConfig({ broker: " " }));
    const error = await failure(admin.execute({ deleteTopic: { topic: "events" } }));
    expect(error.code).toBe("KAFKA_UNREACHABLE");
    expect(error.message).toContain("no broker address is configured");
    expect(error.config?.key).toBe("redpanda_config.broker");
  });

  it("fails describeTopics the same way", async () => {
    const { admin } = await adminWithoutBroker();
    expect((await failure(admin.describeTopics())).code).toBe("KAFKA_UNREACHABLE");
    expect((await failure(admin.describeTopics(["events"]))).code).toBe("KAFKA_UNREACHABLE");
  }, 20_000);

  it("prints nothing on the console; kafkajs's lines go to the log callback", async () => {
    const printed = [
      vi.spyOn(console, "log"),
      vi.spyOn(console, "info"),
      vi.spyOn(console, "warn"),
      vi.spyOn(console, "error"),
    ];
    const stderr = vi.spyOn(process.stderr, "write");
    const quiet = await adminWithoutBroker();
    await failure(quiet.admin.execute({ deleteTopic: { topic: "events" } }));

    const logged: string[] = [];
    admin = openKafkaAdmin(redpandaConfig({ broker: quiet.address }), { log: (level, message) => logged.push(`${level} ${message}`) });
    await failure(admin.execute({ deleteTopic: { topic: "events" } }));

    for (const spy of printed) expect(spy).not.toHaveBeenCalled();
    expect(stderr).not.toHaveBeenCalled();
    expect(logged.some((line) => line.startsWith("error ") && line.includes("ECONNREFUSED"))).toBe(true);
  }, 20_000);
});

describe("a broker that accepts connections but never answers", () => {
  let server: Server | undefined;
  const sockets: Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it("gives up after the derived timeouts with KAFKA_UNREACHABLE", async () => {
    server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    admin = openKafkaAdmin(redpandaConfig({ broker: `127.0.0.1:${port}`, message_timeout_ms: 200 }), {
      timeouts: { requestMs: 500, retries: 1 },
    });
    const error = await failure(admin.execute({ createTopic: { topic: "events", partitions: 1, config: {} } }));
    expect(error.code).toBe("KAFKA_UNREACHABLE");
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(sockets.length).toBeGreaterThan(0);
  }, 20_000);
});

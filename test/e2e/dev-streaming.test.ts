/**
 * `moose dev` with streaming on: topics follow the code on a real Kafka broker (MOOSE_TEST_KAFKA_BROKER,
 * or one started for this file); with no broker at a local address dev starts its own, and a remote
 * broker that is not there stops the start with a clear error.
 */
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openKafkaAdmin, type KafkaAdmin } from "../../src/infra/kafka/executor.js";
import { BROKER_START_TIMEOUT_MS, freePort, redpandaConfig, startTestBroker, testNamespace, type TestBroker } from "../helpers/kafka.js";
import { copyQuickstart, DevProcess, devEnv, freePorts, DEV_TEST_TIMEOUT_MS, type TestProject } from "./dev-process.js";

describe("moose dev with no broker answering", () => {
  let project: TestProject;
  afterAll(() => project?.remove());

  it("at a local address: starts the repository's broker there (data in .moose/kafka), creates the topic, stops the broker on Ctrl-C (not a second dev that is refused); the next dev creates the topic again on its new broker", async () => {
    project = copyQuickstart();
    const port = await freePort();
    const dev = new DevProcess(project, devEnv(await freePorts(), { MOOSE_REDPANDA_CONFIG__BROKER: `localhost:${port}` }));
    let kafka: KafkaAdmin | undefined;
    try {
      const output = await dev.waitFor(/moose dev ready in \d+ ms/, 0, BROKER_START_TIMEOUT_MS);
      expect(output).toContain(`Kafka: nothing answers at localhost:${port} (redpanda_config.broker); starting a local broker there`);
      expect(output).toMatch(new RegExp(`Kafka: ready at localhost:${port} in \\d+\\.\\d s`));
      expect(output).toContain(`Kafka       localhost:${port} (local broker started by moose dev, data in .moose/kafka)`);
      expect(existsSync(path.join(project.dir, ".moose", "kafka", String(port), "pid"))).toBe(true);
      kafka = openKafkaAdmin(redpandaConfig({ broker: `localhost:${port}` }));
      expect((await kafka.describeTopics()).map((topic) => topic.name)).toEqual(["UserEvents"]);
      // A second dev on the project is refused, and leaves the first one's broker running.
      const second = new DevProcess(project, devEnv(await freePorts(), { MOOSE_REDPANDA_CONFIG__BROKER: `localhost:${port}` }));
      expect(await second.exited()).not.toBe(0);
      expect(second.output).toContain("CLICKHOUSE_DATA_DIR_LOCKED");
      expect((await kafka.describeTopics()).map((topic) => topic.name)).toEqual(["UserEvents"]);
      expect(existsSync(path.join(project.dir, ".moose", "kafka", String(port), "pid"))).toBe(true);
    } finally {
      await kafka?.close();
      expect(await dev.stop()).toBe(0);
    }
    // Stopped with dev, its data deleted.
    expect(existsSync(path.join(project.dir, ".moose", "kafka", String(port)))).toBe(false);
    expect(await portOpen(port)).toBe(false);

    // The next dev resumes its local state on a new broker: the topics the state names are created again.
    const again = new DevProcess(project, devEnv(await freePorts(), { MOOSE_REDPANDA_CONFIG__BROKER: `localhost:${port}` }));
    try {
      const output = await again.waitFor(/moose dev ready in \d+ ms/, 0, BROKER_START_TIMEOUT_MS);
      expect(output).toContain("local state: resuming from the last `moose dev` run");
      expect(output).not.toContain("did not start");
      kafka = openKafkaAdmin(redpandaConfig({ broker: `localhost:${port}` }));
      expect((await kafka.describeTopics()).map((topic) => topic.name)).toEqual(["UserEvents"]);
    } finally {
      await kafka?.close();
      expect(await again.stop()).toBe(0);
    }
  }, 2 * (BROKER_START_TIMEOUT_MS + DEV_TEST_TIMEOUT_MS));

  it("after its broker was killed: /health says so within seconds; Ctrl-C stops the processes for good and dev exits at once after 'moose dev stopped'", async () => {
    // kafkajs restarted the crashed consumers after the stop, forever; its connection retries held the process ≈ 20 s.
    const gone = copyQuickstart();
    try {
      await gone.edit("app/index.ts", 'new Stream<UserSchema>("UserEvents")', 'new Stream<UserSchema>("UserEvents", { destination: usersTable })');
      const port = await freePort();
      const ports = await freePorts();
      const dev = new DevProcess(gone, devEnv(ports, { MOOSE_REDPANDA_CONFIG__BROKER: `localhost:${port}` }));
      try {
        await dev.waitFor(/moose dev ready in \d+ ms/, 0, BROKER_START_TIMEOUT_MS);
        process.kill(Number(readFileSync(path.join(gone.dir, ".moose", "kafka", String(port), "pid"), "utf8")), "SIGKILL");
        // kafkajs's own retries took ≈ 20 s to give up; the probe answers within its 2 s.
        const asked = Date.now();
        const health = await fetch(`http://localhost:${ports.api}/health`);
        expect(Date.now() - asked).toBeLessThan(6_000);
        expect(health.status).toBe(503);
        expect(await health.json()).toMatchObject({ services: { clickhouse: "ok", kafka: "unavailable" } });
        await dev.waitFor(/process sync:UserEvents->Users: sync consumer crashed \(restarting\)/, 0, 90_000);
        // Past the restart's delay: the consumer is connecting again, retrying for seconds.
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        dev.child.kill("SIGINT");
        await dev.waitFor(/moose dev stopped/);
        const stoppedAt = Date.now();
        expect(await dev.exited()).toBe(0);
        expect(Date.now() - stoppedAt).toBeLessThan(5_000);
        expect(dev.output.slice(dev.output.indexOf("moose dev stopped"))).not.toContain("crashed");
      } finally {
        await dev.stop();
      }
    } finally {
      gone.remove();
    }
  }, BROKER_START_TIMEOUT_MS + DEV_TEST_TIMEOUT_MS);

  it("at another machine's address: stops at start-up naming the broker and its config key, and says what to do", async () => {
    const broker = "kafka.invalid:9092";
    const dev = new DevProcess(project, devEnv(await freePorts(), { MOOSE_REDPANDA_CONFIG__BROKER: broker }));
    expect(await dev.exited()).toBe(1);
    expect(dev.output).toContain(`[redpanda_config.broker] - error DEV_KAFKA_UNREACHABLE: moose dev cannot reach the Kafka broker at ${broker}`);
    expect(dev.output).toContain("moose dev starts a local broker itself only for an address on this machine");
    expect(dev.output).toContain("`[features] streaming_engine = false`");
    expect(dev.output).not.toContain("internal error");
  }, DEV_TEST_TIMEOUT_MS);
});

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("moose dev with a broker", () => {
  let broker: TestBroker;
  let kafka: KafkaAdmin;
  let project: TestProject;
  let dev: DevProcess;
  const namespace = testNamespace();
  const MAIN = "app/index.ts";

  beforeAll(async () => {
    broker = await startTestBroker();
    kafka = openKafkaAdmin(redpandaConfig({ broker: broker.broker, namespace }));
    project = copyQuickstart();
    dev = new DevProcess(project, devEnv(await freePorts(), { MOOSE_REDPANDA_CONFIG__BROKER: broker.broker, MOOSE_REDPANDA_CONFIG__NAMESPACE: namespace }));
  }, BROKER_START_TIMEOUT_MS);

  afterAll(async () => {
    await dev?.stop();
    await kafka?.close();
    await broker?.stop();
    project?.remove();
  });

  const topics = async () => (await kafka.describeTopics()).map((topic) => topic.name).sort();

  it("creates the quickstart's topic with its table", async () => {
    const output = await dev.ready();
    expect(output).toContain("+ UserEvents (Streaming Topic)");
    expect(output).toMatch(/✓ initial build in \d+ ms: 2 changes applied/);
    expect(output).toContain(`Kafka       ${broker.broker}`);
    expect(await topics()).toEqual(["UserEvents"]);
  }, DEV_TEST_TIMEOUT_MS);

  it("adds and removes a topic as the code changes", async () => {
    let mark = dev.mark();
    await project.write(MAIN, `${await project.read(MAIN)}export const clicks = new Stream<UserSchema>("Clicks");\n`);
    expect(await dev.nextReload(mark)).toMatch(/✓ reload in \d+ ms: 1 change applied/);
    expect(await topics()).toEqual(["Clicks", "UserEvents"]);

    mark = dev.mark();
    await project.edit(MAIN, `export const clicks = new Stream<UserSchema>("Clicks");\n`, "");
    expect(await dev.nextReload(mark)).toMatch(/✓ reload in \d+ ms: 1 change applied/);
    expect(await topics()).toEqual(["UserEvents"]);
  });

  it("shuts down cleanly on SIGTERM", async () => {
    expect(await dev.stop("SIGTERM")).toBe(0);
  });

  it("restarted with streaming off, it leaves the topics alone", async () => {
    dev = new DevProcess(project, devEnv(await freePorts(), { MOOSE_FEATURES__STREAMING_ENGINE: "false", MOOSE_REDPANDA_CONFIG__NAMESPACE: namespace }));
    const output = await dev.ready();
    expect(output).toMatch(/✓ initial build in \d+ ms: no infrastructure changes/);
    expect(output).not.toContain("Kafka       ");
    expect(await topics()).toEqual(["UserEvents"]);
  }, DEV_TEST_TIMEOUT_MS);
});

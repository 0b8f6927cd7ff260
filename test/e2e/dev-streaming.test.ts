/**
 * `moose dev` with streaming on: topics follow the code on a real Kafka broker (MOOSE_TEST_KAFKA_BROKER,
 * or one started for this file), and a broker that is not there stops the start with a clear error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openKafkaAdmin, type KafkaAdmin } from "../../src/infra/kafka/executor.js";
import { BROKER_START_TIMEOUT_MS, freePort, redpandaConfig, startTestBroker, testNamespace, type TestBroker } from "../helpers/kafka.js";
import { copyQuickstart, DevProcess, devEnv, freePorts, DEV_TEST_TIMEOUT_MS, type TestProject } from "./dev-process.js";

describe("moose dev with an unreachable broker", () => {
  let project: TestProject;
  afterAll(() => project?.remove());

  it("stops at start-up naming the broker and its config key, and says how to start one or turn streaming off", async () => {
    project = copyQuickstart();
    const broker = `localhost:${await freePort()}`;
    const dev = new DevProcess(project, devEnv(await freePorts(), { MOOSE_REDPANDA_CONFIG__BROKER: broker }));
    expect(await dev.exited()).toBe(1);
    expect(dev.output).toContain(`[redpanda_config.broker] - error DEV_KAFKA_UNREACHABLE: moose dev cannot reach the Kafka broker at ${broker}`);
    expect(dev.output).toContain("run `scripts/kafka-local start` in the moose-ts repository");
    expect(dev.output).toContain("`[features] streaming_engine = false`");
    expect(dev.output).not.toContain("internal error");
  }, DEV_TEST_TIMEOUT_MS);
});

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

/** Kafka steps run through the Kafka executor against a real broker: up creates the topic, down deletes it. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { openKafkaAdmin, type KafkaAdmin } from "../../../src/infra/kafka/executor.js";
import { generateMigration } from "../../../src/migrations/generate.js";
import { applyMigrations, revertMigrations } from "../../../src/migrations/runner/apply.js";
import type { MigrationEvent } from "../../../src/migrations/runner/events.js";
import { emptyManifest } from "../../../src/manifest/types.js";
import { tempDataDir } from "../../helpers/clickhouse.js";
import { BROKER_START_TIMEOUT_MS, redpandaConfig, startTestBroker, testNamespace, type TestBroker } from "../../helpers/kafka.js";
import { tempProject, type TempProject } from "../../unit/migrations/helpers.js";

const data = tempDataDir("moose-migrations-kafka-");
let broker: TestBroker;
let kafka: KafkaAdmin;
let driver: ClickHouseDriver;
let project: TempProject;

beforeAll(async () => {
  broker = await startTestBroker();
  kafka = openKafkaAdmin(redpandaConfig({ broker: broker.broker, namespace: testNamespace() }));
  driver = await openEmbedded({ dataDir: data.dir, database: "kafka_steps" });
  project = tempProject();
}, BROKER_START_TIMEOUT_MS);

afterAll(async () => {
  await kafka?.close();
  await driver?.close();
  await broker?.stop();
  project?.remove();
  data.remove();
});

describe("kafka steps", () => {
  it("generate → up creates the topic → down deletes it", async () => {
    const withTopic = {
      ...emptyManifest(),
      streams: { Events: { name: "Events", partitionCount: 2, retentionMs: 60_000, config: {}, columns: [{ name: "id", type: "String", nullable: false }], lifeCycle: "FULLY_MANAGED" as const } },
    };
    const generated = await generateMigration({ projectDir: project.dir, manifest: withTopic });
    expect(generated.kind).toBe("written");

    const events: MigrationEvent[] = [];
    await applyMigrations({ projectDir: project.dir, driver, kafka, reporter: (event) => events.push(event) });
    expect(events.find((event) => event.type === "step-done")).toMatchObject({ kind: "kafka", stateOnly: false });
    const [topic] = await kafka.describeTopics(["Events"]);
    expect(topic).toMatchObject({ name: "Events", partitionCount: 2 });

    await revertMigrations({ projectDir: project.dir, driver, kafka, allowDataLoss: true });
    expect(await kafka.describeTopics(["Events"])).toEqual([]);
  });
});

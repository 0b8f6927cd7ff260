/**
 * Stream.send against a real Kafka broker (scripts/kafka-local, or MOOSE_TEST_KAFKA_BROKER): the
 * records arrive as JSON messages on the stream's topic, with redpanda_config.namespace applied; a
 * call with a record that does not fit the stream's type sends nothing.
 * Needs `npm run build` (the runtime is dist/sdk/runtime.js).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import kafkajs from "kafkajs";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ColumnSpec } from "../../../src/manifest/types.js";
import { getRegistry, Stream } from "../../../src/sdk/index.js";
import { METADATA_MARKER } from "../../../src/sdk/metadata.js";
import { BROKER_START_TIMEOUT_MS, readJsonMessages, startTestBroker, testNamespace, type TestBroker } from "../../helpers/kafka.js";

interface Click {
  id: string;
  n: number;
}

const columns: ColumnSpec[] = [
  { name: "id", type: "String", nullable: false },
  { name: "n", type: "Float64", nullable: false },
];

let broker: TestBroker;
let projectDir: string;
const namespace = testNamespace();

beforeAll(async () => {
  broker = await startTestBroker();
  projectDir = mkdtempSync(path.join(tmpdir(), "moose-stream-send-"));
  writeFileSync(path.join(projectDir, "moose.config.toml"), `[redpanda_config]\nbroker = "${broker.broker}"\nnamespace = "${namespace}"\n`);
  process.env.MOOSE_PROJECT_DIR = projectDir;
}, BROKER_START_TIMEOUT_MS);

afterAll(async () => {
  getRegistry().clear();
  delete process.env.MOOSE_PROJECT_DIR;
  rmSync(projectDir, { recursive: true, force: true });
  await broker?.stop();
});

it("sends each record as one JSON message to the namespaced topic", async () => {
  const kafka = new kafkajs.Kafka({ clientId: "stream-send-test", brokers: [broker.broker], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `${namespace}Clicks`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();

  getRegistry().clear();
  const clicks = new Stream<Click>("Clicks", {}, { [METADATA_MARKER]: 1, source: { file: "app/index.ts", line: 1 }, columns });
  await clicks.send([
    { id: "a", n: 1 },
    { id: "b", n: 2 },
  ]);
  await clicks.send({ id: "c", n: 3 });
  await clicks.send(undefined);
  // A record that does not fit the stream's type: nothing of that call is sent.
  const refused = await clicks.send([{ id: "d", n: 4 }, { id: "e", n: "five" } as unknown as Click]).then(() => undefined, (error: unknown) => error);
  expect(refused).toMatchObject({ code: "STREAM_RECORD_INVALID", message: expect.stringContaining('record 1 for stream "Clicks" does not fit its type: n:') });
  await clicks.closeProducer();

  const received = await readJsonMessages(kafka, topic, 3, `${namespace}reader`);
  const offsets = kafka.admin();
  await offsets.connect();
  expect((await offsets.fetchTopicOffsets(topic)).map((partition) => partition.high)).toEqual(["3"]);
  await offsets.disconnect();
  expect(received).toEqual([
    { id: "a", n: 1 },
    { id: "b", n: 2 },
    { id: "c", n: 3 },
  ]);
}, 120_000);

/**
 * A Python app's `Stream.send` from an Api handler, against a real Kafka broker (scripts/kafka-local,
 * or MOOSE_TEST_KAFKA_BROKER): dicts are validated into the model, the moose process checks every
 * record against the stream's columns and produces them with the TypeScript SDK's send (namespace
 * applied); a record the model refuses, or one out of its column's range, sends nothing of its call.
 * Needs `npm run build` (the runtime is dist/sdk/runtime.js).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import kafkajs from "kafkajs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { extractManifest } from "../../../src/extract/index.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import type { RawClickHouseDriver } from "../../../src/infra/clickhouse/raw.js";
import { startPythonApiWorker, type PythonApiWorker } from "../../../src/server/python-worker.js";
import { BROKER_START_TIMEOUT_MS, readJsonMessages, startTestBroker, testNamespace, type TestBroker } from "../../helpers/kafka.js";
import { testPython } from "../../helpers/python.js";

const APP = `from pydantic import BaseModel
from moose_ts import Api, Stream, UInt8
from moose_ts.errors import MooseError


class Click(BaseModel):
    id: str
    n: UInt8


clicks = Stream[Click]("Clicks")


class Params(BaseModel):
    step: str


def send(client, params: Params):
    try:
        if params.step == "good":
            clicks.send([Click(id="a", n=1), {"id": "b", "n": "2"}])
            clicks.send({"id": "c", "n": 3})
            clicks.send(None)
        elif params.step == "model":
            clicks.send([{"id": "d", "n": 4}, {"id": "e", "n": "five"}])
        else:
            clicks.send([{"id": "f", "n": 5}, {"id": "g", "n": 300}])
    except MooseError as error:
        return {"code": error.code, "message": error.message.splitlines()[0]}
    return {"sent": True}


Api[Params, dict]("send", send)
`;

const namespace = testNamespace();
const projectDir = mkdtempSync(path.join(tmpdir(), "moose-python-stream-send-"));
const previousProjectDir = process.env.MOOSE_PROJECT_DIR;
let broker: TestBroker;
let driver: RawClickHouseDriver;
let worker: PythonApiWorker;

beforeAll(async () => {
  process.env.MOOSE_PYTHON = testPython();
  broker = await startTestBroker();
  mkdirSync(path.join(projectDir, "app"));
  writeFileSync(path.join(projectDir, "app", "main.py"), APP);
  writeFileSync(path.join(projectDir, "moose.config.toml"), `language = "Python"\n\n[redpanda_config]\nbroker = "${broker.broker}"\nnamespace = "${namespace}"\n`);
  process.env.MOOSE_PROJECT_DIR = projectDir;
  const manifest = await extractManifest({ projectDir });
  driver = await openEmbedded({ dataDir: path.join(projectDir, ".moose", "clickhouse"), database: "local" });
  worker = await startPythonApiWorker({ projectDir, apis: manifest.apis, components: manifest, driver, log: () => {} });
}, BROKER_START_TIMEOUT_MS);

afterAll(async () => {
  await worker?.close();
  await driver?.close();
  await broker?.stop();
  if (previousProjectDir === undefined) delete process.env.MOOSE_PROJECT_DIR;
  else process.env.MOOSE_PROJECT_DIR = previousProjectDir;
  rmSync(projectDir, { recursive: true, force: true });
});

const step = async (name: string) => (await worker.routes("send", new URLSearchParams({ step: name })))?.body;

it("sends each record as one JSON message to the namespaced topic; a call with a record that does not fit sends nothing", async () => {
  const kafka = new kafkajs.Kafka({ clientId: "python-stream-send-test", brokers: [broker.broker], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `${namespace}Clicks`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });

  expect(await step("good")).toEqual({ sent: true });
  expect(await step("model")).toEqual({ code: "STREAM_RECORD_INVALID", message: 'record 1 for stream "Clicks" does not fit its type: 1 validation error for Click' });
  expect(await step("range")).toEqual({ code: "STREAM_RECORD_INVALID", message: expect.stringMatching(/^record 1 for stream "Clicks" does not fit its type: n: .*255.*nothing was sent$/) });

  expect((await admin.fetchTopicOffsets(topic)).map((partition) => partition.high)).toEqual(["3"]);
  await admin.disconnect();
  const received = await readJsonMessages(kafka, topic, 3, `${namespace}reader`);
  expect(received).toEqual([
    { id: "a", n: 1 },
    { id: "b", n: 2 },
    { id: "c", n: 3 },
  ]);
}, 120_000);

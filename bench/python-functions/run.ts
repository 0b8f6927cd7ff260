/**
 * Python stream functions: records/s through a Python app's transform (kafkajs consumer group in
 * Node → the Python worker, batches of the records queued while it works → results produced to the
 * destination topic), beside the same transform written as a TypeScript function run by the same
 * supervisor on the same records in the same run (the reference), and the ratio. Small records
 * (~80 bytes), PARTITIONS partitions, RECORDS records already on the source topic when the process
 * starts; the rate is taken from the first handled record to the last (the consumer group's join and
 * the Python worker's start left out). Never asserted.
 *   npm run bench -- python-functions      (RECORDS=50000 PARTITIONS=2 to change)
 * Broker: MOOSE_TEST_KAFKA_BROKER when set, else scripts/kafka-local on a free port (stopped after).
 * Python: MOOSE_PYTHON when set, else .moose/python-venv (scripts/python-venv), else python3.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import kafkajs from "kafkajs";
import { DEFAULT_CONFIG, type Config } from "../../src/config/types.js";
import type { ClickHouseDriver } from "../../src/infra/clickhouse/driver.js";
import { openKafkaAdmin } from "../../src/infra/kafka/executor.js";
import { emptyManifest, type ColumnSpec, type Manifest } from "../../src/manifest/types.js";
import type { ProcessFunction } from "../../src/sdk/processes.js";
import { Supervisor, type ProcessFunctions } from "../../src/streams/supervisor.js";
import { benchBroker, mooseRoot } from "../local.js";

const RECORDS = Number(process.env.RECORDS ?? 50_000);
const PARTITIONS = Number(process.env.PARTITIONS ?? 2);
const PROCESS_ID = "transform:Events->Scaled";



const APP = `from datetime import datetime

from pydantic import BaseModel

from moose_ts import Key, Stream


class Event(BaseModel):
    id: Key[int]
    user: str
    value: float
    sent: datetime


class Scaled(BaseModel):
    id: Key[int]
    user: str
    scaled: float


events = Stream[Event]("Events")
scaled = Stream[Scaled]("Scaled")
events.add_transform(scaled, lambda event: Scaled(id=event.id, user=event.user, scaled=event.value * 2))
`;

/** The reference: the same transform in TypeScript (a record is checked as the Python model checks it). */
const typescriptTransform: ProcessFunction = (event: { id: number; user: string; value: number; sent: string }) => {
  if (typeof event.id !== "number" || typeof event.user !== "string" || typeof event.value !== "number" || Number.isNaN(Date.parse(event.sent))) throw new TypeError("not an Event");
  return { id: event.id, user: event.user, scaled: event.value * 2 };
};

function manifest(): Pick<Manifest, "processes" | "streams" | "tables"> {
  const column = (name: string, type: string): ColumnSpec => ({ name, type, nullable: false });
  const stream = (name: string, columns: ColumnSpec[]) => ({ name, partitionCount: PARTITIONS, retentionMs: 3_600_000, config: {}, columns, lifeCycle: "FULLY_MANAGED" as const });
  return {
    ...emptyManifest(),
    streams: {
      Events: stream("Events", [column("id", "Int64"), column("user", "String"), column("value", "Float64"), column("sent", "DateTime('UTC')")]),
      Scaled: stream("Scaled", [column("id", "Int64"), column("user", "String"), column("scaled", "Float64")]),
    },
    processes: { [PROCESS_ID]: { kind: "transform", source: "Events", destination: "Scaled", codeHash: "bench" } },
  };
}

/** Records/s of the transform over the records already on its topic, from its first handled record to the last. */
async function transformRate(broker: string, projectDir: string, functions: ProcessFunctions): Promise<number> {
  const namespace = `bench${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}_`;
  const config: Config = { ...DEFAULT_CONFIG, redpanda_config: { ...DEFAULT_CONFIG.redpanda_config, broker, namespace } };
  const admin = openKafkaAdmin(config.redpanda_config);
  try {
    for (const topic of ["Events", "Scaled"]) await admin.execute({ createTopic: { topic, partitions: PARTITIONS, config: {} } });
  } finally {
    await admin.close();
  }
  const producer = new kafkajs.Kafka({ clientId: "bench-python-functions", brokers: [broker], logLevel: kafkajs.logLevel.NOTHING }).producer();
  await producer.connect();
  const sent = new Date().toISOString();
  for (let start = 0; start < RECORDS; start += 5000) {
    const messages = Array.from({ length: Math.min(5000, RECORDS - start) }, (_, index) => {
      const id = start + index;
      return { key: String(id), value: JSON.stringify({ id, user: `user${id % 1000}`, value: id * 0.5, sent }) };
    });
    await producer.send({ topic: `${namespace}Events`, messages });
  }
  await producer.disconnect();

  // No sync runs here: the driver is never used.
  const supervisor = new Supervisor({ projectDir, config, driver: undefined as unknown as ClickHouseDriver, events: { error: (id, message) => console.error(`${id}: ${message}`) } });
  try {
    const result = await supervisor.reconcile(manifest(), functions);
    if (result.started.length !== 1) throw new Error(`the transform did not start: ${JSON.stringify(result)}`);
    let first: { at: number; handled: number } | undefined;
    for (;;) {
      const [status] = await supervisor.report();
      const handled = status ? status.processed + status.deadLettered + status.skipped : 0;
      if (handled > 0) first ??= { at: performance.now(), handled };
      if (first && handled >= RECORDS) {
        if (status!.processed !== RECORDS) throw new Error(`${RECORDS - status!.processed} records failed: ${status!.lastError?.message}`);
        return (handled - first.handled) / ((performance.now() - first.at) / 1000);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await supervisor.close();
  }
}

async function main(): Promise<void> {
  const kafka = await benchBroker();
  const broker = kafka.broker;
  const venvPython = path.join(mooseRoot, ".moose", "python-venv", "bin", "python");
  process.env.MOOSE_PYTHON ??= existsSync(venvPython) ? venvPython : "python3";
  const projectDir = mkdtempSync(path.join(tmpdir(), "moose-bench-python-functions-"));
  const referenceDir = mkdtempSync(path.join(tmpdir(), "moose-bench-typescript-functions-"));
  try {
    mkdirSync(path.join(projectDir, "app"));
    writeFileSync(path.join(projectDir, "app", "main.py"), APP);
    writeFileSync(path.join(projectDir, "moose.config.toml"), `language = "Python"\n`);
    const spec = manifest().processes[PROCESS_ID]!;
    // The reference's project is an empty folder (not Python): no Python worker is started for it.
    const reference = await transformRate(broker, referenceDir, new Map([[PROCESS_ID, { spec, run: typescriptTransform }]]));
    // No function in the map: the supervisor runs the Python app's own (the project is Python).
    const python = await transformRate(broker, projectDir, new Map());
    const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
    console.log(`records: ${fmt(RECORDS)} small JSON records, ${PARTITIONS} partitions, already on the source topic; Python ${process.env.MOOSE_PYTHON}`);
    console.log(`reference  TypeScript transform (same supervisor)    ${fmt(reference)} records/s`);
    console.log(`python     Python transform (pydantic in, model out) ${fmt(python)} records/s   ratio ${(python / reference).toFixed(2)} of the reference`);
  } finally {
    rmSync(projectDir, { recursive: true, force: true });
    rmSync(referenceDir, { recursive: true, force: true });
    await kafka.stop();
  }
}

await main();

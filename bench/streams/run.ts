/**
 * Streams benchmark: small records through ingest → topic → sync → table, in one process as
 * `moose dev`/`prod` run them (the ingest HTTP server, the kafkajs producer, the sync's consumer
 * group, the embedded engine). Prints, from one run:
 *   - reference: kafkajs producing the same JSON records straight to a topic (records/s);
 *   - end to end: records/s from the first POST until every row is queryable (the HTTP clients run
 *     in a worker thread, as clients would run elsewhere), with p50/p99 of
 *     POST-to-queryable latency (each record carries the time its POST started; the table's
 *     `stored DEFAULT now64(3)` is the time its insert ran), and the ratio to the reference;
 *   - paced: the same latencies at a steady PACED_RATE records/s (freshness when not saturated).
 *   - cpu: this process's CPU time per record during the end-to-end run (steadier than wall time under load).
 * Targets: ≥ 50,000 records/s end to end, p50 ≤ 1 s. Never asserted (docs/performance.md, "Streams").
 *   npm run bench -- streams      (RECORDS=200000 BATCH=2000 CLIENTS=4 PACED_RATE=5000, and the config
 *                                 keys SYNC_BATCH_SIZE / SYNC_BATCH_TIMEOUT_MS, to change)
 * Broker: MOOSE_TEST_KAFKA_BROKER when set, else scripts/kafka-local on a free port (stopped after).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import kafkajs from "kafkajs";
import { DEFAULT_CONFIG, type Config } from "../../src/config/types.js";
import { openEmbedded } from "../../src/infra/clickhouse/embedded.js";
import { openKafkaAdmin } from "../../src/infra/kafka/executor.js";
import { openKafkaProducer } from "../../src/infra/kafka/producer.js";
import { emptyManifest, type ColumnSpec, type Manifest } from "../../src/manifest/types.js";
import { startMooseServer } from "../../src/server/http.js";
import { ingestRoutes } from "../../src/server/ingest.js";
import { Supervisor } from "../../src/streams/supervisor.js";
import { benchBroker } from "../local.js";

const RECORDS = Number(process.env.RECORDS ?? 200_000);
const BATCH = Number(process.env.BATCH ?? 2000);
const CLIENTS = Number(process.env.CLIENTS ?? 4);
const PACED_RATE = Number(process.env.PACED_RATE ?? 5000);
const PACED_SECONDS = 5;
const PARTITIONS = 2;



const columns: ColumnSpec[] = [
  { name: "id", type: "UInt64", nullable: false },
  { name: "user", type: "String", nullable: false },
  { name: "value", type: "Float64", nullable: false },
  { name: "sent", type: "DateTime64(3, 'UTC')", nullable: false },
  { name: "stored", type: "DateTime64(3, 'UTC')", nullable: false, default: "now64(3)" },
];
const recordColumns = columns.filter((column) => column.name !== "stored");

/** One record's JSON, written out directly (what JSON.stringify gives for the object): the clients build it cheaply. */
function recordJson(id: number, sent: string): string {
  return `{"id":${id},"user":"user${id % 1000}","value":${id * 0.5},"sent":"${sent}"}`;
}

function manifest(): Manifest {
  const properties = { id: { type: "integer" }, user: { type: "string" }, value: { type: "number" }, sent: { type: "string", format: "date-time" } };
  return {
    ...emptyManifest(),
    tables: { Events: { name: "Events", columns, orderBy: ["id"], engine: { name: "MergeTree", params: [] }, settings: {}, indexes: [], lifeCycle: "FULLY_MANAGED" } },
    streams: { Events: { name: "Events", partitionCount: PARTITIONS, retentionMs: 3_600_000, config: {}, columns: recordColumns, destination: "Events", lifeCycle: "FULLY_MANAGED" } },
    ingestApis: { Events: { name: "Events", path: "Events", columns: recordColumns, schema: { type: "object", properties, required: Object.keys(properties) }, destination: "Events" } },
    processes: { "sync:Events->Events": { kind: "sync", source: "Events", destination: "Events" } },
  };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const kafka = await benchBroker();
  const broker = kafka.broker;
  const namespace = `bench${Date.now().toString(36)}_`;
  const redpanda = DEFAULT_CONFIG.redpanda_config;
  const config: Config = {
    ...DEFAULT_CONFIG,
    redpanda_config: {
      ...redpanda,
      broker,
      namespace,
      sync_batch_size: Number(process.env.SYNC_BATCH_SIZE ?? redpanda.sync_batch_size),
      sync_batch_timeout_ms: Number(process.env.SYNC_BATCH_TIMEOUT_MS ?? redpanda.sync_batch_timeout_ms),
    },
  };
  const projectDir = mkdtempSync(path.join(tmpdir(), "moose-bench-streams-"));
  const driver = await openEmbedded({ dataDir: path.join(projectDir, ".moose", "clickhouse"), database: "bench" });
  const admin = openKafkaAdmin(config.redpanda_config);
  const supervisor = new Supervisor({ projectDir, config, driver, events: { error: (id, message) => console.error(`${id}: ${message}`) } });
  const producer = openKafkaProducer(config.redpanda_config);
  const app = manifest();
  try {
    await admin.execute({ createTopic: { topic: "Events", partitions: PARTITIONS, config: {} } });
    await admin.execute({ createTopic: { topic: "Raw", partitions: PARTITIONS, config: {} } });
    await driver.exec("CREATE TABLE Events (id UInt64, user String, value Float64, sent DateTime64(3, 'UTC'), stored DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = MergeTree ORDER BY id");

    // Reference: kafkajs alone, the same records, the same batch size, the same concurrency.
    const raw = new kafkajs.Kafka({ clientId: "bench-raw", brokers: [broker], logLevel: kafkajs.logLevel.NOTHING }).producer();
    await raw.connect();
    const rawStarted = performance.now();
    await inParallel(RECORDS / BATCH, CLIENTS, async (batch) => {
      const sent = new Date().toISOString();
      await raw.send({ topic: `${namespace}Raw`, messages: Array.from({ length: BATCH }, (_, index) => ({ value: recordJson(batch * BATCH + index, sent) })) });
    });
    const rawRate = RECORDS / ((performance.now() - rawStarted) / 1000);
    await raw.disconnect();

    await supervisor.reconcile(app, new Map());
    const server = await startMooseServer({
      host: "127.0.0.1",
      port: 0,
      projectDir,
      adminApiKey: "",
      apiAuth: { ingest: { enforceJwt: false }, consumption: { enforceJwt: false } },
      health: async () => ({}),
      consumption: async () => undefined,
      ingest: ingestRoutes(app, { driver, producer }),
      admin: async () => undefined,
    });
    const count = async () => Number((await driver.query<{ n: string }>("SELECT count() AS n FROM Events"))[0]!.n);
    const latencies = async (from: number, to: number) =>
      (await driver.query<{ ms: string }>(`SELECT toInt64(dateDiff('millisecond', sent, stored)) AS ms FROM Events WHERE id >= ${from} AND id < ${to}`)).map((row) => Number(row.ms)).sort((a, b) => a - b);

    // End to end, saturated: every client posts batches back to back (from a worker thread: the
    // clients are not the server's work, as they would run elsewhere).
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const loopBefore = performance.eventLoopUtilization();
    await runClients({ url: `${server.url}/ingest/Events`, mode: "saturated", first: 0, total: RECORDS, batch: BATCH, clients: CLIENTS });
    const posted = performance.now();
    while ((await count()) < RECORDS) await new Promise((resolve) => setTimeout(resolve, 20));
    const seconds = (performance.now() - started) / 1000;
    // CPU of this process (every thread, the clients' included): steadier than wall time on a loaded machine.
    const cpu = process.cpuUsage(cpuBefore);
    const mainBusy = performance.eventLoopUtilization(loopBefore).utilization;
    const cpuMicrosPerRecord = (cpu.user + cpu.system) / RECORDS;
    const rate = RECORDS / seconds;
    const saturated = await latencies(0, RECORDS);

    // Paced: PACED_RATE records/s in POSTs of 100 for PACED_SECONDS.
    const pacedTotal = PACED_RATE * PACED_SECONDS;
    await runClients({ url: `${server.url}/ingest/Events`, mode: "paced", first: RECORDS, total: pacedTotal, batch: 100, rate: PACED_RATE });
    while ((await count()) < RECORDS + pacedTotal) await new Promise((resolve) => setTimeout(resolve, 20));
    const paced = await latencies(RECORDS, RECORDS + pacedTotal);
    await server.close();

    const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
    console.log(`records: ${fmt(RECORDS)} of ~${recordJson(RECORDS, new Date().toISOString()).length} bytes, POST batches of ${BATCH}, ${CLIENTS} clients, ${PARTITIONS} partitions, sync_batch_size ${config.redpanda_config.sync_batch_size}, sync_batch_timeout_ms ${config.redpanda_config.sync_batch_timeout_ms}`);
    console.log(`reference  kafkajs produce (same records)   ${fmt(rawRate)} records/s`);
    console.log(`end to end ingest → topic → sync → table    ${fmt(rate)} records/s  (all POSTs answered after ${((posted - started) / 1000).toFixed(2)} s, all rows queryable after ${seconds.toFixed(2)} s)   ratio ${(rate / rawRate).toFixed(2)} of the reference   target ≥ 50,000`);
    console.log(`cpu        this process during end to end      ${cpuMicrosPerRecord.toFixed(1)} µs per record (all threads, HTTP clients included); main thread busy ${Math.round(mainBusy * 100)} %`);
    console.log(`latency    POST → queryable, saturated     p50 ${fmt(quantile(saturated, 0.5))} ms  p99 ${fmt(quantile(saturated, 0.99))} ms   target p50 ≤ 1,000 ms`);
    console.log(`latency    POST → queryable, ${fmt(PACED_RATE)}/s paced  p50 ${fmt(quantile(paced, 0.5))} ms  p99 ${fmt(quantile(paced, 0.99))} ms`);
  } finally {
    await supervisor.close();
    await producer.close();
    await admin.close();
    await driver.close();
    rmSync(projectDir, { recursive: true, force: true });
    await kafka.stop();
  }
}

/** The HTTP clients, in a worker thread: records of ids first … first+total-1, `sent` set as each POST starts. */
const CLIENTS_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const http = require("node:http");
const { url, mode, first, total, batch, clients, rate } = workerData;
const recordJson = ${recordJson.toString()};
// A keep-alive connection per client and bodies written as text: about half the CPU of fetch() and
// JSON.stringify over objects, which leaves more of the machine to the server (as clients elsewhere would).
const agent = new http.Agent({ keepAlive: true, maxSockets: mode === "saturated" ? clients : Infinity });
function post(start) {
  const sent = new Date().toISOString();
  const lines = [];
  for (let id = start; id < start + batch; id++) lines.push(recordJson(id, sent));
  const body = "[" + lines.join(",") + "]";
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => response.statusCode === 200 ? resolve() : reject(new Error("ingest answered " + response.statusCode + ": " + Buffer.concat(chunks))));
    });
    request.on("error", reject);
    request.end(body);
  });
}
async function main() {
  if (mode === "saturated") {
    let next = 0;
    await Promise.all(Array.from({ length: clients }, async () => {
      while (next < total) { const start = first + next; next += batch; await post(start); }
    }));
  } else {
    const every = (batch / rate) * 1000;
    const begin = performance.now();
    const pending = [];
    for (let index = 0; index * batch < total; index++) {
      const wait = begin + index * every - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      pending.push(post(first + index * batch));
    }
    await Promise.all(pending);
  }
}
main().then(() => parentPort.postMessage("done"), (error) => parentPort.postMessage(String(error)));
`;

function runClients(work: { url: string; mode: "saturated" | "paced"; first: number; total: number; batch: number; clients?: number; rate?: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(CLIENTS_SOURCE, { eval: true, workerData: work });
    worker.once("message", (message) => {
      void worker.terminate();
      if (message === "done") resolve();
      else reject(new Error(String(message)));
    });
    worker.once("error", reject);
  });
}

/** Runs task(0 … count-1) with at most `clients` at a time. */
async function inParallel(count: number, clients: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

await main();

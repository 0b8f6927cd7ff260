/**
 * `moose prod` on a Python app with a consumer: moose-ts runs its sync but not its Python function,
 * so the consumer is reported `not-run` (the reason in the project log once) and /health stays 200.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { extractManifest } from "../../../src/extract/index.js";
import { logFilePath } from "../../../src/logs/logger.js";
import { generateMigration } from "../../../src/migrations/generate.js";
import { startProdServer, type ProdServer } from "../../../src/server/prod.js";
import { BROKER_START_TIMEOUT_MS, startTestBroker, testNamespace, type TestBroker } from "../../helpers/kafka.js";
import { testPython } from "../../helpers/python.js";
import { until } from "./fixtures.js";

const APP = `from pydantic import BaseModel

from moose_ts import IngestPipeline, IngestPipelineConfig, Key


class Order(BaseModel):
    id: Key[str]
    amount: float


orders = IngestPipeline[Order]("Orders", IngestPipelineConfig(table=True, stream=True, ingest_api=True, dead_letter_queue=False))
orders.get_stream().add_consumer(lambda order: print(order))
`;

const projectDir = mkdtempSync(path.join(tmpdir(), "moose-prod-python-streams-"));
const dataDir = path.join(projectDir, ".moose", "clickhouse");
let broker: TestBroker;
let server: ProdServer | undefined;

beforeAll(async () => {
  process.env.MOOSE_PYTHON = testPython();
  broker = await startTestBroker();
  mkdirSync(path.join(projectDir, "app"));
  writeFileSync(path.join(projectDir, "app", "main.py"), APP);
  writeFileSync(
    path.join(projectDir, "moose.config.toml"),
    `language = "Python"\n\n[clickhouse_config]\ndb_name = "prod_python_streams"\n\n[redpanda_config]\nbroker = "${broker.broker}"\nnamespace = "${testNamespace()}"\n\n[http_server_config]\nhost = "127.0.0.1"\n`,
  );
  const generated = await generateMigration({ projectDir, manifest: await extractManifest({ projectDir }), name: "init", now: new Date("2026-12-01T08:00:00Z") });
  if (generated.kind !== "written") throw new Error(`expected a migration, got ${generated.kind}`);
}, BROKER_START_TIMEOUT_MS);

afterAll(async () => {
  await server?.close();
  rmSync(projectDir, { recursive: true, force: true });
  await broker?.stop();
});

describe("moose prod with a Python app's consumer", () => {
  it("runs the sync, reports the consumer not-run, and stays healthy", async () => {
    const config = await loadConfig(projectDir);
    server = await startProdServer({ projectDir, config, clickhouse: { embedded: true, dataDir }, port: 0, migrate: true });
    const health = async () => {
      const response = await fetch(`${server!.url}/health`);
      return { status: response.status, body: (await response.json()) as { status: string; processes: Array<{ id: string; state: string }> } };
    };
    await until(async () => (await health()).body.processes.some((process) => process.state === "running"), 30_000, "the sync to run");
    const { status, body } = await health();
    expect(status).toBe(200);
    expect(body.processes.map((process) => [process.id, process.state]).sort()).toEqual([
      ["consumer:Orders", "not-run"],
      ["sync:Orders->Orders", "running"],
    ]);
    const notes = readFileSync(logFilePath(projectDir), "utf8").split("\n").filter((line) => line.includes("consumer:Orders: not run"));
    expect(notes).toHaveLength(1);
  }, 120_000);
});

/**
 * `moose prod` on a Python app, with a real broker, the embedded engine and the machine's Python:
 * records POSTed to the ingest API go through the app's Python transform into a second stream whose
 * sync stores them; the record the function raises on lands in the dead-letter queue with MooseStack's
 * fields (errorType the Python exception's class), the rest are delivered; a record on which the
 * function kills its worker (os._exit) is retried on a new worker and delivered; a Python consumer sees
 * every record; /health lists every process running.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { extractManifest } from "../../../src/extract/index.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { logFilePath } from "../../../src/logs/logger.js";
import { generateMigration } from "../../../src/migrations/generate.js";
import { startProdServer, type ProdServer } from "../../../src/server/prod.js";
import { BROKER_START_TIMEOUT_MS, startTestBroker, testNamespace, type TestBroker } from "../../helpers/kafka.js";
import { testPython } from "../../helpers/python.js";
import { readTopic, until } from "./fixtures.js";

const APP = `import os

from pydantic import BaseModel

from moose_ts import IngestPipeline, IngestPipelineConfig, Key, OlapTable, Stream, StreamConfig, TransformConfig


class Order(BaseModel):
    id: Key[str]
    amount: float


class Taxed(BaseModel):
    id: Key[str]
    gross: float


orders = IngestPipeline[Order]("Orders", IngestPipelineConfig(table=True, stream=True, ingest_api=True, dead_letter_queue=True))
taxed = Stream[Taxed]("TaxedStream", StreamConfig(destination=OlapTable[Taxed]("Taxed")))


def tax(order: Order) -> Taxed:
    crashed = os.path.join(os.environ["MOOSE_PROJECT_DIR"], "crashed")
    if order.id == "o4" and not os.path.exists(crashed):
        open(crashed, "w").close()
        os._exit(7)
    if order.amount < 0:
        raise ValueError(f"negative amount on {order.id}")
    return Taxed(id=order.id, gross=order.amount * 1.25)


def note(order: Order) -> None:
    with open(os.path.join(os.environ["MOOSE_PROJECT_DIR"], "seen.txt"), "a") as seen:
        seen.write(f"{order.id} {order.amount}\\n")


orders.get_stream().add_transform(taxed, tax, TransformConfig(dead_letter_queue=orders.dead_letter_queue))
orders.get_stream().add_consumer(note)
`;

const projectDir = mkdtempSync(path.join(tmpdir(), "moose-prod-python-streams-"));
const dataDir = path.join(projectDir, ".moose", "clickhouse");
const namespace = testNamespace();
let broker: TestBroker;
let server: ProdServer | undefined;

beforeAll(async () => {
  process.env.MOOSE_PYTHON = testPython();
  broker = await startTestBroker();
  mkdirSync(path.join(projectDir, "app"));
  writeFileSync(path.join(projectDir, "app", "main.py"), APP);
  writeFileSync(
    path.join(projectDir, "moose.config.toml"),
    `language = "Python"\n\n[clickhouse_config]\ndb_name = "prod_python_streams"\n\n[redpanda_config]\nbroker = "${broker.broker}"\nnamespace = "${namespace}"\n\n[http_server_config]\nhost = "127.0.0.1"\n`,
  );
  const generated = await generateMigration({ projectDir, manifest: await extractManifest({ projectDir }), name: "init", now: new Date("2026-12-01T08:00:00Z") });
  if (generated.kind !== "written") throw new Error(`expected a migration, got ${generated.kind}`);
}, BROKER_START_TIMEOUT_MS);

afterAll(async () => {
  await server?.close();
  rmSync(projectDir, { recursive: true, force: true });
  await broker?.stop();
});

interface Health {
  status: string;
  processes: Array<{ id: string; state: string; processed: number; deadLettered: number }>;
}

describe("moose prod with a Python app's transform and consumer", () => {
  it("transforms into the second table, dead-letters the failing record, survives a worker crash, and the consumer sees every record", async () => {
    const config = await loadConfig(projectDir);
    server = await startProdServer({ projectDir, config, clickhouse: { embedded: true, dataDir }, port: 0, migrate: true });
    const orders = [
      { id: "o1", amount: 100 },
      { id: "o2", amount: -4 },
      { id: "o3", amount: 8 },
      { id: "o4", amount: 2 },
    ];
    const response = await fetch(`${server.url}/ingest/Orders`, { method: "POST", body: JSON.stringify(orders) });
    expect(response.status).toBe(200);
    const health = async () => (await (await fetch(`${server!.url}/health`)).json()) as Health;
    const counts = (report: Health) => Object.fromEntries(report.processes.map((process) => [process.id, [process.state, process.processed, process.deadLettered]]));
    await until(
      async () => {
        const now = counts(await health());
        return now["transform:Orders->TaxedStream"]?.[2] === 1 && now["sync:TaxedStream->Taxed"]?.[1] === 3 && now["consumer:Orders"]?.[1] === 4;
      },
      60_000,
      "the transform, its sync and the consumer to handle every record",
    );
    const report = await health();
    expect(report.status).toBe("ok");
    expect(counts(report)).toEqual({
      "consumer:Orders": ["running", 4, 0],
      "sync:Orders->Orders": ["running", 4, 0],
      "sync:TaxedStream->Taxed": ["running", 3, 0],
      "transform:Orders->TaxedStream": ["running", 3, 1],
    });
    // At least once: the consumer's records in the batch the crash cut short ran again on the new worker.
    expect(new Set(readFileSync(path.join(projectDir, "seen.txt"), "utf8").split("\n").filter(Boolean))).toEqual(new Set(["o1 100.0", "o2 -4.0", "o3 8.0", "o4 2.0"]));
    const log = readFileSync(logFilePath(projectDir), "utf8");
    expect(log).toContain("exited (code 7); starting it again");
    // The failure's log line says where the app raised.
    expect(log).toContain(`negative amount on o2 at app/main.py:${APP.split("\n").findIndex((line) => line.includes("raise ValueError")) + 1}`);

    const [letter] = (await readTopic(broker.broker, `${namespace}OrdersDeadLetterQueue`, 1)) as Array<Record<string, unknown>>;
    expect(letter).toMatchObject({ originalRecord: { id: "o2", amount: -4 }, errorMessage: "negative amount on o2", errorType: "ValueError", source: "transform" });
    expect(new Date(letter!.failedAt as string).toISOString()).toBe(letter!.failedAt);

    await server.close();
    server = undefined;
    const driver = await openEmbedded({ dataDir, database: "prod_python_streams" });
    try {
      expect(await driver.query("SELECT id, gross FROM Taxed ORDER BY id")).toEqual([
        { id: "o1", gross: 125 },
        { id: "o3", gross: 10 },
        { id: "o4", gross: 2.5 },
      ]);
    } finally {
      await driver.close();
    }
  }, 120_000);
});

/**
 * `moose prod` runs every stream process of the app: after its migration created the topics, a
 * record POSTed to the ingest API reaches its table through the sync and a second table through a
 * transform; /health lists the processes; closing the server leaves their consumer groups empty.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import kafkajs from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { extractManifest } from "../../../src/extract/index.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { generateMigration } from "../../../src/migrations/generate.js";
import { startProdServer, type ProdServer } from "../../../src/server/prod.js";
import { processGroupId } from "../../../src/streams/kafka.js";
import { BROKER_START_TIMEOUT_MS, startTestBroker, testNamespace, type TestBroker } from "../../helpers/kafka.js";
import { until } from "./fixtures.js";

const APP = `import { IngestPipeline, OlapTable, Stream, type Key } from "moose-ts";

interface Order {
  id: Key<string>;
  amount: number;
}
interface Taxed {
  id: Key<string>;
  gross: number;
}

export const orders = new IngestPipeline<Order>("Orders", { table: true, stream: true, ingestApi: true });
export const taxedTable = new OlapTable<Taxed>("Taxed");
export const taxed = new Stream<Taxed>("TaxedStream", { destination: taxedTable });
orders.stream!.addTransform(taxed, (order) => ({ id: order.id, gross: order.amount * 1.25 }));
`;

const projectDir = mkdtempSync(path.join(tmpdir(), "moose-prod-streams-"));
const dataDir = path.join(projectDir, ".moose", "clickhouse");
const namespace = testNamespace();
let broker: TestBroker;
let server: ProdServer | undefined;

beforeAll(async () => {
  broker = await startTestBroker();
  mkdirSync(path.join(projectDir, "app"));
  writeFileSync(path.join(projectDir, "app", "index.ts"), APP);
  writeFileSync(
    path.join(projectDir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", lib: ["ES2023"], types: [], strict: true, skipLibCheck: true, noEmit: true }, include: ["app"] }),
  );
  writeFileSync(
    path.join(projectDir, "moose.config.toml"),
    `[clickhouse_config]\ndb_name = "prod_streams"\n\n[redpanda_config]\nbroker = "${broker.broker}"\nnamespace = "${namespace}"\n\n[http_server_config]\nhost = "127.0.0.1"\n`,
  );
  const generated = await generateMigration({ projectDir, manifest: await extractManifest({ projectDir }), name: "init", now: new Date("2026-12-01T08:00:00Z") });
  if (generated.kind !== "written") throw new Error(`expected a migration, got ${generated.kind}`);
}, BROKER_START_TIMEOUT_MS);

afterAll(async () => {
  await server?.close();
  rmSync(projectDir, { recursive: true, force: true });
  await broker?.stop();
});

describe("moose prod with stream processes", () => {
  it("runs the syncs and the transform; closing leaves no group member", async () => {
    const config = await loadConfig(projectDir);
    server = await startProdServer({ projectDir, config, clickhouse: { embedded: true, dataDir }, port: 0, migrate: true });
    const response = await fetch(`${server.url}/ingest/Orders`, { method: "POST", body: JSON.stringify([{ id: "o1", amount: 100 }, { id: "o2", amount: 8 }]) });
    expect(response.status).toBe(200);
    const health = async () => (await (await fetch(`${server!.url}/health`)).json()) as { status: string; processes: Array<{ id: string; state: string; processed: number }> };
    // The syncs' rows are counted by the processes themselves (the engine is bound to the server).
    await until(async () => (await health()).processes.every((process) => process.processed === 2), 30_000, "every process to handle both records");
    const report = await health();
    expect(report.status).toBe("ok");
    expect(report.processes.map((process) => [process.id, process.state]).sort()).toEqual([
      ["sync:Orders->Orders", "running"],
      ["sync:TaxedStream->Taxed", "running"],
      ["transform:Orders->TaxedStream", "running"],
    ]);
    await server.close();
    server = undefined;

    const driver = await openEmbedded({ dataDir, database: "prod_streams" });
    try {
      expect(await driver.query("SELECT id, amount FROM Orders ORDER BY id")).toEqual([
        { id: "o1", amount: 100 },
        { id: "o2", amount: 8 },
      ]);
      expect(await driver.query("SELECT id, gross FROM Taxed ORDER BY id")).toEqual([
        { id: "o1", gross: 125 },
        { id: "o2", gross: 10 },
      ]);
    } finally {
      await driver.close();
    }
    const admin = new kafkajs.Kafka({ clientId: "prod-streams-test", brokers: [broker.broker], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups(["sync:Orders->Orders", "transform:Orders->TaxedStream"].map((id) => processGroupId(projectDir, namespace, id)));
      expect(groups.map((group) => group.state)).toEqual(["Empty", "Empty"]);
    } finally {
      await admin.disconnect();
    }
  }, 120_000);
});

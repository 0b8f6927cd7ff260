/**
 * A MooseStack Python project, unchanged (its modules import `moose_lib`, `moose_lib.dmv2`; one imports
 * `moose_ts`, as a ported file would), through the CLI:
 * test/fixtures/moosestack-python has the layout and shapes of MooseStack's Python template (a package
 * `app` of modules imported by app/main.py: an ingest pipeline of raw records transformed into a second
 * pipeline's table with `get_dead_letter_queue()` as the transform's queue, a consumer, a typed
 * dead-letter consumer, a materialized view over the table, an Api over the view, a generator workflow
 * posting to the ingest API, the template's moose.config.toml with its Docker-era keys). `moose-cli build`,
 * `plan`, `migrate generate`, `migrate up --embedded`, then `moose dev` on a real Kafka broker and Temporal:
 * records ingested reach the table, the view and the API; a failing one reaches the dead-letter consumer;
 * the workflow run from the CLI posts more. The steps run in order.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../src/manifest/types.js";
import { BROKER_START_TIMEOUT_MS, startTestBroker, testNamespace, type TestBroker } from "../helpers/kafka.js";
import { testPython } from "../helpers/python.js";
import { startTestTemporal, type TestTemporal } from "../helpers/temporal.js";
import { clickhouse, DEV_TEST_TIMEOUT_MS, DevProcess, devEnv, freePorts, projectIn, rows, type DevPorts, type TestProject } from "./dev-process.js";
import { cleanEnv, REPO_ROOT, run, type RunResult } from "./scenarios/project.js";

const FIXTURE = path.join(REPO_ROOT, "test", "fixtures", "moosestack-python");

describe("a MooseStack Python project (the template's shapes)", () => {
  let broker: TestBroker;
  let temporal: TestTemporal;
  let root: string;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let project: TestProject;
  let ports: DevPorts;
  let dev: DevProcess;
  let client: ClickHouseClient;

  /** `moose-cli`, the MooseStack binary name. */
  const mooseCli = (args: string[]) => run(process.execPath, [path.join(REPO_ROOT, "node_modules", ".bin", "moose-cli"), ...args], { cwd: dir, env: cleanEnv(env) });
  const ok = (result: RunResult, what: string) => {
    expect(result.code, `${what}:\n${result.stdout}${result.stderr}`).toBe(0);
    return result;
  };
  const ingest = (records: unknown) => fetch(`http://localhost:${ports.api}/ingest/PageView`, { method: "POST", body: JSON.stringify(records) });
  const visits = () => rows<{ view_id: string; has_referrer: boolean; referrer_length: string }>(client, "SELECT view_id, has_referrer, referrer_length FROM Visit ORDER BY view_id");

  beforeAll(async () => {
    [broker, temporal] = await Promise.all([startTestBroker(), startTestTemporal()]);
    root = mkdtempSync(path.join(tmpdir(), "moose-moosestack-python-"));
    dir = path.join(root, "project");
    cpSync(FIXTURE, dir, { recursive: true, filter: (source) => !source.includes("__pycache__") });
    ports = await freePorts();
    const [host, port] = temporal.address.split(":");
    env = devEnv(ports, {
      MOOSE_PYTHON: testPython(),
      MOOSE_REDPANDA_CONFIG__BROKER: broker.broker,
      MOOSE_REDPANDA_CONFIG__NAMESPACE: testNamespace(),
      MOOSE_TEMPORAL_CONFIG__TEMPORAL_HOST: host!,
      MOOSE_TEMPORAL_CONFIG__TEMPORAL_PORT: port!,
    });
    project = projectIn(dir, root);
    client = clickhouse(ports);
  }, BROKER_START_TIMEOUT_MS);

  afterAll(async () => {
    await client?.close();
    if (dev) expect(await dev.stop()).toBe(0);
    rmSync(root, { recursive: true, force: true });
    await broker?.stop();
    await temporal?.stop();
  });

  it("builds every component of the package's modules, plans them, and applies the generated migration to the embedded engine", async () => {
    const built = ok(await mooseCli(["build"]), "build");
    expect(built.stdout).toContain("3 tables, 4 streams, 0 views, 1 materialized view, 1 API, 1 ingest API, 1 workflow, 4 processes");
    // The template's Docker-era keys are named, not refused.
    expect(built.stderr).toContain("accepted but not used by moose-ts: http_server_config.management_port, redis_config");
    const manifest = JSON.parse(readFileSync(path.join(dir, ".moose", "manifest.json"), "utf8")) as Manifest;
    expect(Object.keys(manifest.tables).sort()).toEqual(["GeneratorRun", "Visit", "VisitsByDay"]);
    expect(manifest.tables.Visit?.columns.map((column) => `${column.name} ${column.type}`)).toEqual([
      "view_id String",
      "seen_at DateTime('UTC')",
      "device Enum8('DESKTOP' = 1, 'MOBILE' = 2)",
      "has_referrer Bool",
      "referrer_length Int64",
    ]);
    expect(Object.keys(manifest.processes).sort()).toEqual(["consumer:PageView", "consumer:PageViewDeadLetterQueue", "sync:Visit->Visit", "transform:PageView->Visit"]);
    expect(manifest.workflows.generator?.tasks).toEqual([{ name: "generate", onComplete: [], timeout: "1m", retries: 1 }]);

    const plan = ok(await mooseCli(["plan"]), "plan");
    for (const line of ["+ VisitsByDay_MV (Materialized View)", "+ PageView -> Visit (Function Process)", "+ api/visits (API Endpoint)", "+ generator (Workflow)"]) expect(plan.stdout).toContain(line);
    ok(await mooseCli(["migrate", "generate", "--name", "init"]), "migrate generate");
    expect(readdirSync(path.join(dir, "migrations")).some((file) => file.endsWith("_init.ts"))).toBe(true);
    ok(await mooseCli(["migrate", "up", "--embedded"]), "migrate up");
    const ls = ok(await mooseCli(["ls"]), "ls");
    expect(ls.stdout).toMatch(/VisitsByDay_MV/);
  }, DEV_TEST_TIMEOUT_MS);

  it("under moose dev: ingested records go through the transform to the table, the view and the API; a failing one to the dead-letter consumer", async () => {
    dev = new DevProcess(project, env);
    await dev.ready();
    const mark = dev.mark();
    const response = await ingest([
      { view_id: "v1", epoch_seconds: 1764547200, device: 1, referrer: "https://example.com" },
      { view_id: "v2", epoch_seconds: 1764547260, device: 2 },
      { view_id: "neg-1", epoch_seconds: -5, device: 2 },
    ]);
    expect(response.status).toBe(200);
    await expect.poll(visits, { timeout: 30_000, interval: 200 }).toEqual([
      // Int64 comes back as text, as ClickHouse writes 64-bit integers in JSON.
      { view_id: "v1", has_referrer: true, referrer_length: "19" },
      { view_id: "v2", has_referrer: false, referrer_length: "0" },
    ]);
    await dev.waitFor(/page view received: v2/, mark);
    await dev.waitFor(/dead letter for neg-1: ValueError: page view neg-1 has a negative time/, mark);
    const api = await fetch(`http://localhost:${ports.api}/api/visits?start_day=1&end_day=31`);
    expect(api.status).toBe(200);
    expect(await api.json()).toEqual([{ day_of_month: 1, total_visits: 2, visits_with_referrer: 1 }]);
    expect((await fetch(`http://localhost:${ports.api}/api/visits?order_by=nonsense`)).status).toBe(400);
  }, DEV_TEST_TIMEOUT_MS);

  it("runs the generator workflow from the CLI: its task posts to the ingest API and records its run", async () => {
    const done = ok(await mooseCli(["workflow", "run", "generator", "--input", '{"count": 3}', "--wait", "--json"]), "workflow run");
    expect(JSON.parse(done.stdout)).toMatchObject({ status: "COMPLETED", result: { output: { sent: 3 } } });
    expect(await rows(client, "SELECT success, message FROM GeneratorRun")).toEqual([{ success: true, message: "sent 3" }]);
    await expect.poll(async () => (await visits()).filter((visit) => visit.view_id.startsWith("gen-")).length, { timeout: 30_000, interval: 200 }).toBe(3);
  }, DEV_TEST_TIMEOUT_MS);
});

/**
 * A Python project's workflows end to end from the CLI: `moose dev` with `[features] workflows = true`
 * on a real Temporal (MOOSE_TEST_TEMPORAL_ADDRESS, or a Java test server started for this file) runs
 * the tasks of app/main.py in a Python worker: `moose workflow run --wait` reads back every task's
 * output, a task's `OlapTable.insert` reaches dev's engine, a Python Api handler starts a run with
 * `client.workflow.execute`, and a save reaches the next run; and `moose prod` runs them after
 * `moose migrate generate`.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testPython } from "../helpers/python.js";
import { startTestTemporal, TEMPORAL_START_TIMEOUT_MS, uniqueName, type TestTemporal } from "../helpers/temporal.js";
import { DEV_TEST_TIMEOUT_MS, DevProcess, devEnv, freePorts, projectIn, rows, type DevPorts, type TestProject } from "./dev-process.js";
import { cleanEnv, MOOSE_BIN, run } from "./scenarios/project.js";

const WORKFLOW = uniqueName("nightly");

const main = (version: string) => `from pydantic import BaseModel

from moose_ts import Api, OlapTable, Task, TaskConfig, TaskContext, Workflow, WorkflowConfig


class Load(BaseModel):
    day: str
    rows: int


class Loaded(BaseModel):
    day: str
    version: str


loads = OlapTable[Loaded]("Loads")


def count(ctx: TaskContext[Load]) -> Load:
    print(f"counting {ctx.input.day}")
    ctx.state["counted"] = ctx.input.rows
    return Load(day=ctx.input.day, rows=ctx.input.rows * 2)


def store(ctx: TaskContext[Load]) -> Loaded:
    row = Loaded(day=ctx.input.day, version="${version}")
    result = loads.insert([row])
    assert result.successful == 1, result
    return row


store_task = Task[Load, Loaded]("store", TaskConfig(run=store))
count_task = Task[Load, Load]("count", TaskConfig(run=count, on_complete=[store_task]))
nightly = Workflow("${WORKFLOW}", WorkflowConfig(starting_task=count_task))


class Trigger(BaseModel):
    day: str


def trigger(client, params: Trigger):
    return client.workflow.execute("${WORKFLOW}", Load(day=params.day, rows=3))


trigger_api = Api[Trigger, dict]("trigger", trigger)
`;

let server: TestTemporal;

beforeAll(async () => {
  server = await startTestTemporal();
}, TEMPORAL_START_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
});

function temporalEnv(): NodeJS.ProcessEnv {
  const [host, port] = server.address.split(":");
  return { MOOSE_PYTHON: testPython(), MOOSE_FEATURES__STREAMING_ENGINE: "false", MOOSE_FEATURES__WORKFLOWS: "true", MOOSE_TEMPORAL_CONFIG__TEMPORAL_HOST: host!, MOOSE_TEMPORAL_CONFIG__TEMPORAL_PORT: port! };
}

/** A new Python project (`moose init --language python`) whose app/main.py is `main("v1")`, in a folder of its own. */
async function pythonProject(): Promise<{ root: string; dir: string }> {
  const root = mkdtempSync(path.join(tmpdir(), "moose-python-workflows-"));
  const dir = path.join(root, "app");
  const init = await run(process.execPath, [MOOSE_BIN, "init", dir, "--language", "python", "--no-venv"], { cwd: root, env: cleanEnv() });
  expect(init.code, init.stdout + init.stderr).toBe(0);
  writeFileSync(path.join(dir, "app", "main.py"), main("v1"));
  return { root, dir };
}

async function runWorkflow(dir: string, env: NodeJS.ProcessEnv, input: unknown): Promise<{ status: string; result: { tasks: unknown[] } }> {
  const done = await run(process.execPath, [MOOSE_BIN, "workflow", "run", WORKFLOW, "--input", JSON.stringify(input), "--wait", "--json"], { cwd: dir, env: cleanEnv(env) });
  expect(done.code, done.stdout + done.stderr).toBe(0);
  return JSON.parse(done.stdout) as { status: string; result: { tasks: unknown[] } };
}

describe("moose dev on a Python project with workflows", () => {
  let root: string;
  let project: TestProject;
  let dev: DevProcess;
  let client: ClickHouseClient;
  let env: NodeJS.ProcessEnv;
  let ports: DevPorts;

  beforeAll(async () => {
    const { root, dir } = await pythonProject();
    project = projectIn(dir, root);
    ports = await freePorts();
    env = devEnv(ports, temporalEnv());
    dev = new DevProcess(project, env, ["--dir", dir], root);
    client = createClient({ url: `http://127.0.0.1:${ports.clickhouse}`, username: "panda", password: "pandapass", database: "local" });
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    if (dev) expect(await dev.stop()).toBe(0);
    project?.remove();
  });

  it("runs the app's workflow: each task's output, the task's insert in dev's engine, its prints in dev's output", async () => {
    const ready = await dev.ready();
    expect(ready).toContain(`+ ${WORKFLOW} (Workflow)`);
    const mark = dev.mark();
    const status = await runWorkflow(project.dir, env, { day: "2026-12-01", rows: 21 });
    expect(status.status).toBe("COMPLETED");
    expect(status.result.tasks).toEqual([
      { task: "count", output: { day: "2026-12-01", rows: 42 } },
      { task: "store", output: { day: "2026-12-01", version: "v1" } },
    ]);
    expect(await rows(client, "SELECT day, version FROM Loads")).toEqual([{ day: "2026-12-01", version: "v1" }]);
    await dev.waitFor(/counting 2026-12-01/, mark);
    await dev.waitFor(new RegExp(`workflow ${WORKFLOW} \\(${WORKFLOW}\\): task store done`), mark);
  }, DEV_TEST_TIMEOUT_MS);

  it("starts a run from a Python Api handler with client.workflow.execute", async () => {
    const response = await fetch(`http://localhost:${ports.api}/api/trigger?day=2026-12-05`);
    expect(response.status).toBe(200);
    const started = (await response.json()) as { status: number; body: string };
    expect(started.status).toBe(200);
    expect(JSON.parse(started.body)).toMatchObject({ workflow: WORKFLOW, workflowId: WORKFLOW });
    await expect.poll(async () => rows(client, "SELECT day FROM Loads WHERE day = '2026-12-05'"), { timeout: 20_000, interval: 300 }).toEqual([{ day: "2026-12-05" }]);
  }, DEV_TEST_TIMEOUT_MS);

  it("runs the saved code on the next run", async () => {
    const mark = dev.mark();
    await project.write("app/main.py", main("v2"));
    expect(await dev.nextReload(mark)).toMatch(/✓ reload in \d+ ms/);
    const status = await runWorkflow(project.dir, env, { day: "2026-12-02", rows: 1 });
    expect(status.result.tasks.at(-1)).toEqual({ task: "store", output: { day: "2026-12-02", version: "v2" } });
    expect(await rows(client, "SELECT day, version FROM Loads ORDER BY day")).toEqual([
      { day: "2026-12-01", version: "v1" },
      { day: "2026-12-02", version: "v2" },
      { day: "2026-12-05", version: "v1" },
    ]);
  }, DEV_TEST_TIMEOUT_MS);
});

describe("moose prod on a Python project with workflows", () => {
  it("runs the app's workflow after `moose migrate generate`", async () => {
    const { root, dir } = await pythonProject();
    const env = temporalEnv();
    try {
      const generated = await run(process.execPath, [MOOSE_BIN, "migrate", "generate"], { cwd: dir, env: cleanEnv(env) });
      expect(generated.code, generated.stdout + generated.stderr).toBe(0);
      const prod = spawn(process.execPath, [MOOSE_BIN, "prod", "--embedded", "--migrate", "--port", "0"], { cwd: dir, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      prod.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      prod.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise((resolve) => prod.once("exit", resolve));
      try {
        await expect.poll(() => output, { timeout: 60_000, interval: 200 }).toContain("moose prod listening on");
        const status = await runWorkflow(dir, env, { day: "2026-12-03", rows: 5 });
        expect(status.status).toBe("COMPLETED");
        expect(status.result.tasks).toEqual([
          { task: "count", output: { day: "2026-12-03", rows: 10 } },
          { task: "store", output: { day: "2026-12-03", version: "v1" } },
        ]);
        expect(output).toContain("counting 2026-12-03");
      } finally {
        prod.kill("SIGTERM");
        await exited;
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, DEV_TEST_TIMEOUT_MS);
});

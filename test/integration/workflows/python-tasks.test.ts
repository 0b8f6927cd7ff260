/**
 * A Python app's workflows on a real Temporal (the Java test server) with the machine's Python: the
 * tasks run in the Python worker's `tasks` mode (src/workflows/python-tasks.ts), under the same
 * interpreter workflow and Temporal worker as a TypeScript app's. Inputs validated into the task's
 * pydantic model, outputs passed on, state carried over, async tasks, a task's exception retried
 * with its Python type, an input that cannot validate failing at once, on_cancel, a worker killed
 * mid-task, and a code change while a task runs.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractManifest } from "../../../src/extract/index.js";
import type { Manifest } from "../../../src/manifest/types.js";
import { connectTemporal, type TemporalClient } from "../../../src/workflows/connection.js";
import { startRun, waitForRun } from "../../../src/workflows/operations.js";
import { PythonTaskRunner, pythonWorkflowCode } from "../../../src/workflows/python-tasks.js";
import { startWorkflowWorker, type WorkflowWorker } from "../../../src/workflows/worker.js";
import { testPython } from "../../helpers/python.js";
import { startTestTemporal, TEMPORAL_START_TIMEOUT_MS, uniqueName, type TestTemporal } from "../../helpers/temporal.js";

const app = (version: number) => `import asyncio
import os
import time
from pathlib import Path
from typing import Optional

from pydantic import BaseModel

from moose_ts import Task, TaskConfig, TaskContext, Workflow, WorkflowConfig

VERSION = ${version}
OUT = Path(os.environ["MOOSE_PROJECT_DIR"]) / "out"


class Since(BaseModel):
    since: str


class Extracted(BaseModel):
    rows: int
    since: str


def extract(ctx: TaskContext[Since]) -> Extracted:
    assert isinstance(ctx.input, Since)
    ctx.state["started_by"] = "extract"
    return Extracted(rows=2, since=ctx.input.since)


async def load(ctx: TaskContext[Extracted]) -> dict:
    await asyncio.sleep(0.01)
    return {"loaded": ctx.input.rows, "typed": isinstance(ctx.input, Extracted), "state": ctx.state.get("started_by"), "nan": float("nan")}


load_task = Task[Extracted, None]("load", TaskConfig(run=load))
extract_task = Task[Since, Extracted]("extract", TaskConfig(run=extract, on_complete=[load_task]))
etl = Workflow("etl", WorkflowConfig(starting_task=extract_task))


def attempt(name: str) -> int:
    marker = OUT / name
    count = int(marker.read_text()) + 1 if marker.exists() else 1
    marker.write_text(str(count))
    return count


def flaky(ctx: TaskContext[None]) -> str:
    if attempt("flaky") < 2:
        raise ValueError("upstream not ready")
    return "ok"


Workflow("flaky", WorkflowConfig(starting_task=Task[None, None]("flaky", TaskConfig(run=flaky, retries=2))))


def broken(ctx: TaskContext[None]) -> None:
    attempt("broken")
    raise KeyError("no such partition")


Workflow("broken", WorkflowConfig(starting_task=Task[None, None]("broken", TaskConfig(run=broken, retries=1))))
Workflow("typed", WorkflowConfig(starting_task=Task[Since, None]("typed", TaskConfig(run=lambda ctx: attempt("typed"), retries=3))))


def crash(ctx: TaskContext[None]) -> str:
    if attempt("crash") == 1:
        os._exit(3)
    return "survived"


Workflow("crash", WorkflowConfig(starting_task=Task[None, None]("crash", TaskConfig(run=crash, retries=2))))


def slow(ctx: TaskContext[None]) -> int:
    (OUT / "slow-started").write_text("yes")
    time.sleep(1.5)
    return VERSION


Workflow("versioned", WorkflowConfig(starting_task=Task[None, None]("slow", TaskConfig(run=slow))))


def wait_forever(ctx: TaskContext[Since]) -> None:
    (OUT / "waiting").write_text("yes")
    time.sleep(60)


def on_cancel(ctx: TaskContext[Since]) -> None:
    (OUT / "cancelled").write_text(ctx.input.since)


Workflow("cancellable", WorkflowConfig(starting_task=Task[Since, None]("wait", TaskConfig(run=wait_forever, on_cancel=on_cancel, retries=0))))
`;

const projectDir = mkdtempSync(path.join(tmpdir(), "moose-python-tasks-"));
const out = path.join(projectDir, "out");
const taskQueue = uniqueName("moose-ts.python-tasks");
let server: TestTemporal;
let temporal: TemporalClient;
let worker: WorkflowWorker;
let runner: PythonTaskRunner;
let manifest: Manifest;
const logs: string[] = [];

async function waitFor(file: string): Promise<void> {
  for (let tries = 0; !existsSync(path.join(out, file)); tries++) {
    if (tries > 300) throw new Error(`${file} never written`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function run(name: string, input?: unknown) {
  const started = await startRun(temporal, { workflow: manifest.workflows[name]!, input, taskQueue, workflowId: uniqueName(name) });
  return { started, status: await waitForRun(temporal, name, started) };
}

beforeAll(async () => {
  process.env.MOOSE_PYTHON = testPython();
  mkdirSync(path.join(projectDir, "app"));
  mkdirSync(out);
  writeFileSync(path.join(projectDir, "app", "main.py"), app(1));
  writeFileSync(path.join(projectDir, "moose.config.toml"), `language = "Python"\n`);
  manifest = await extractManifest({ projectDir });
  server = await startTestTemporal();
  temporal = await connectTemporal(server.target);
  runner = new PythonTaskRunner({ projectDir, components: () => manifest, log: () => {} });
  worker = await startWorkflowWorker({ target: server.target, taskQueue, code: pythonWorkflowCode(manifest.workflows, runner), log: (line) => logs.push(line) });
}, TEMPORAL_START_TIMEOUT_MS);

afterAll(async () => {
  await worker?.stop();
  await runner?.close();
  await temporal?.close();
  await server?.stop();
  rmSync(projectDir, { recursive: true, force: true });
});

describe("a Python app's workflows", () => {
  it("are in the manifest with their tasks", () => {
    expect(manifest.workflows.etl?.tasks).toEqual([
      { name: "extract", onComplete: ["load"] },
      { name: "load", onComplete: [] },
    ]);
  });

  it("run task after task: the input validated into the task's model, the output passed on, the state carried, async tasks awaited", async () => {
    const { status } = await run("etl", { since: "2026-01-01" });
    expect(status.status).toBe("COMPLETED");
    expect(status.result?.tasks).toEqual([
      { task: "extract", output: { rows: 2, since: "2026-01-01" } },
      { task: "load", output: { loaded: 2, typed: true, state: "extract", nan: null } },
    ]);
    expect(logs.some((line) => line.includes("workflow etl") && line.includes("task load done"))).toBe(true);
  }, 60_000);

  it("retry a task that raised, and report the exception's type and message when the retries run out", async () => {
    const flaky = await run("flaky");
    expect(flaky.status.status).toBe("COMPLETED");
    expect(flaky.status.result?.output).toBe("ok");
    expect(readFileSync(path.join(out, "flaky"), "utf8")).toBe("2");

    const broken = await run("broken");
    expect(broken.status.status).toBe("FAILED");
    expect(broken.status.failure).toContain("no such partition");
    expect(broken.status.failure).toContain("main.py:");
    expect(readFileSync(path.join(out, "broken"), "utf8")).toBe("2");
    const failure = await temporal.client.workflow.getHandle(broken.started.workflowId, broken.started.runId).result().catch((error: { cause?: { cause?: { type?: string } } }) => error);
    expect((failure as { cause?: { cause?: { type?: string } } }).cause?.cause?.type).toBe("KeyError");
  }, 60_000);

  it("fail at once, without running the task, when the input does not validate into its model", async () => {
    const { status } = await run("typed", { since: 5 });
    expect(status.status).toBe("FAILED");
    expect(status.failure).toContain("the input is not a Since");
    expect(existsSync(path.join(out, "typed"))).toBe(false);
  }, 60_000);

  it("survive a worker killed mid-task: the attempt fails, the retry runs in a new worker", async () => {
    const { status } = await run("crash");
    expect(status.status).toBe("COMPLETED");
    expect(status.result?.output).toBe("survived");
    expect(readFileSync(path.join(out, "crash"), "utf8")).toBe("2");
    expect(logs.some((line) => line.includes("task crash failed: the Python worker running the task stopped (code 3)"))).toBe(true);
  }, 60_000);

  it("run on_cancel with the task's input when the run is cancelled", async () => {
    const started = await startRun(temporal, { workflow: manifest.workflows.cancellable!, input: { since: "2026-02-02" }, taskQueue, workflowId: uniqueName("cancellable") });
    await waitFor("waiting");
    await temporal.client.workflow.getHandle(started.workflowId, started.runId).cancel();
    const status = await waitForRun(temporal, "cancellable", started);
    expect(status.status).toBe("CANCELLED");
    await waitFor("cancelled");
    expect(readFileSync(path.join(out, "cancelled"), "utf8")).toBe("2026-02-02");
  }, 60_000);

  it("finish a running task on the code it started with; the next task runs the new code", async () => {
    const first = await startRun(temporal, { workflow: manifest.workflows.versioned!, taskQueue, workflowId: uniqueName("versioned") });
    await waitFor("slow-started");
    writeFileSync(path.join(projectDir, "app", "main.py"), app(2));
    runner.codeChanged();
    const second = await run("versioned");
    expect(second.status.result?.output).toBe(2);
    const firstStatus = await waitForRun(temporal, "versioned", first);
    expect(firstStatus.status).toBe("COMPLETED");
    expect(firstStatus.result?.output).toBe(1);
  }, 60_000);
});

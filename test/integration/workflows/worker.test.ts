/**
 * The worker and the workflow operations against a real Temporal (the Java test server from
 * scripts/temporal-local, or MOOSE_TEST_TEMPORAL_ADDRESS): MooseStack Workflow/Task objects run as
 * Temporal activities under moose-ts's interpreter workflow. One worker (one workflow bundle) per file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getRegistry } from "../../../src/sdk/registry.js";
import { Task, Workflow } from "../../../src/sdk/workflow.js";
import { connectTemporal, type TemporalClient } from "../../../src/workflows/connection.js";
import { runStatus, startRun, terminateRun, waitForRun } from "../../../src/workflows/operations.js";
import { startWorkflowWorker, typescriptWorkflowCode, type WorkflowWorker } from "../../../src/workflows/worker.js";
import { startTestTemporal, TEMPORAL_START_TIMEOUT_MS, uniqueName, type TestTemporal } from "../../helpers/temporal.js";

let server: TestTemporal;
let temporal: TemporalClient;
let worker: WorkflowWorker;
const taskQueue = uniqueName("moose-ts.worker-test");
const logs: string[] = [];
const workflows = new Map<string, Workflow>();

function add(workflow: Workflow): Workflow {
  workflows.set(workflow.name, workflow);
  worker?.setCode(typescriptWorkflowCode(new Map(workflows)));
  return workflow;
}

beforeAll(async () => {
  server = await startTestTemporal();
  temporal = await connectTemporal(server.target);
  worker = await startWorkflowWorker({ target: server.target, taskQueue, code: typescriptWorkflowCode(new Map()), log: (line) => logs.push(line) });
}, TEMPORAL_START_TIMEOUT_MS);

afterAll(async () => {
  await worker?.stop();
  // What moose dev reads to start a new worker on the next code change.
  expect(worker?.stopped).toBe(true);
  await temporal?.close();
  await server?.stop();
});

describe("Temporal worker", () => {
  it("is running until stopped", () => {
    expect(worker.stopped).toBe(false);
  });

  it("runs a two-task workflow: the second task gets the first one's output, state carries over, the result is read back", async () => {
    const name = uniqueName("two_tasks");
    const load = new Task<{ rows: number }, { loaded: number; since: string }>("load", {
      run: async ({ input, state }) => ({ loaded: input.rows, since: state.since }),
    });
    const extract = new Task<{ since: string }, { rows: number }>("extract", {
      run: async ({ input, state }) => {
        state.since = input.since;
        return { rows: 2 };
      },
      onComplete: [load as never],
    });
    const workflow = add(new Workflow(name, { startingTask: extract }));
    const run = await startRun(temporal, { workflow: workflow.toSpec(), input: { since: "2026-01-01" }, taskQueue });
    expect(run.workflowId).toBe(name);
    const status = await waitForRun(temporal, name, run);
    expect(status.status).toBe("COMPLETED");
    expect(status.result).toEqual({
      workflow: name,
      tasks: [
        { task: "extract", output: { rows: 2 } },
        { task: "load", output: { loaded: 2, since: "2026-01-01" } },
      ],
      output: { loaded: 2, since: "2026-01-01" },
    });
    expect(logs.some((line) => line.includes(`workflow ${name}`) && line.includes("task load done"))).toBe(true);
  });

  it("retries a task that fails twice, then succeeds (retries: 2 → three attempts)", async () => {
    const name = uniqueName("flaky");
    let attempts = 0;
    const flaky = new Task<null, string>("flaky", {
      retries: 2,
      run: async () => {
        attempts++;
        if (attempts < 3) throw new Error(`upstream not ready (attempt ${attempts})`);
        return "ok";
      },
    });
    add(new Workflow(name, { startingTask: flaky }));
    const run = await startRun(temporal, { workflow: workflows.get(name)!.toSpec(), taskQueue });
    const status = await waitForRun(temporal, name, run);
    expect(attempts).toBe(3);
    expect(status.status).toBe("COMPLETED");
    expect(status.result?.output).toBe("ok");
    expect(logs.filter((line) => line.includes(`workflow ${name}`) && line.includes("failed: upstream not ready"))).toHaveLength(2);
  }, 30_000);

  it("a workflow's retries re-run a failed run; waiting for it reports the retried run's end, not CONTINUED_AS_NEW", async () => {
    const name = uniqueName("rerun");
    let runs = 0;
    const once = new Task<null, string>("once", {
      retries: 0,
      run: async () => {
        runs++;
        if (runs === 1) throw new Error("first run fails");
        return "second run";
      },
    });
    add(new Workflow(name, { startingTask: once, retries: 1 }));
    const started = await startRun(temporal, { workflow: workflows.get(name)!.toSpec(), taskQueue });
    const status = await waitForRun(temporal, name, started);
    expect(runs).toBe(2);
    expect(status.status).toBe("COMPLETED");
    expect(status.runId).not.toBe(started.runId);
    expect(status.result?.output).toBe("second run");
  }, 30_000);

  it("fails the run when a task keeps failing past its retries, with the task's error and the tasks done before it", async () => {
    const name = uniqueName("broken");
    let attempts = 0;
    const broken = new Task<{ rows: number }, void>("broken", {
      retries: 1,
      run: async () => {
        attempts++;
        throw new Error("the source table is gone");
      },
    });
    const extract = new Task<null, { rows: number }>("extract", { run: async () => ({ rows: 3 }), onComplete: [broken as never] });
    add(new Workflow(name, { startingTask: extract }));
    const status = await waitForRun(temporal, name, await startRun(temporal, { workflow: workflows.get(name)!.toSpec(), taskQueue }));
    expect(status.status).toBe("FAILED");
    expect(status.failure).toContain("the source table is gone");
    expect(status.tasksDone).toEqual([{ task: "extract", output: { rows: 3 } }]);
    expect(attempts).toBe(2);
  }, 30_000);

  it("a code change (new app handed to the worker) reaches the next task of a running workflow; the run keeps its history", async () => {
    const name = uniqueName("reloaded");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const version = (label: string) => {
      getRegistry().clear(); // a reloaded app registers its workflow again
      const second = new Task<null, string>("second", { run: async () => label });
      const first = new Task<null, string>("first", {
        run: async () => {
          await gate;
          return "first done";
        },
        onComplete: [second as never],
      });
      return new Workflow(name, { startingTask: first });
    };
    add(version("v1"));
    const run = await startRun(temporal, { workflow: workflows.get(name)!.toSpec(), taskQueue });
    await expect.poll(() => logs.some((line) => line.includes(`workflow ${name}`) && line.includes("task first started")), { timeout: 10_000 }).toBe(true);
    try {
      add(version("v2"));
    } finally {
      release();
    }
    const status = await waitForRun(temporal, name, run);
    expect(status.status).toBe("COMPLETED");
    expect(status.result?.tasks).toEqual([{ task: "first", output: "first done" }, { task: "second", output: "v2" }]);
    expect(status.runId).toBe(run.runId);
    expect(status.historyLength).toBeGreaterThan(10);
  });

  it("cancelling a run calls the running task's onCancel, with the task's input", async () => {
    const name = uniqueName("cancelled");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const cancelled: unknown[] = [];
    const waiting = new Task<{ job: number }, void>("waiting", { run: () => gate, onCancel: async ({ input }) => void cancelled.push(input) });
    add(new Workflow(name, { startingTask: waiting }));
    const run = await startRun(temporal, { workflow: workflows.get(name)!.toSpec(), input: { job: 7 }, taskQueue });
    await expect.poll(() => logs.some((line) => line.includes(`workflow ${name}`) && line.includes("task waiting started")), { timeout: 10_000 }).toBe(true);
    await temporal.client.workflow.getHandle(run.workflowId, run.runId).cancel();
    const status = await waitForRun(temporal, name, run);
    release();
    expect(status.status).toBe("CANCELLED");
    expect(cancelled).toEqual([{ job: 7 }]);
  });

  it("refuses a second manual run while one is running; terminate stops it", async () => {
    const name = uniqueName("long");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = new Task<null, void>("slow", { run: () => gate });
    add(new Workflow(name, { startingTask: slow }));
    const spec = workflows.get(name)!.toSpec();
    const run = await startRun(temporal, { workflow: spec, taskQueue });
    await expect(startRun(temporal, { workflow: spec, taskQueue })).rejects.toMatchObject({ code: "WORKFLOW_ALREADY_RUNNING" });
    expect((await runStatus(temporal, name)).status).toBe("RUNNING");
    const terminated = await terminateRun(temporal, name);
    expect(terminated.status).toBe("TERMINATED");
    expect(terminated.runId).toBe(run.runId);
    await expect(terminateRun(temporal, name)).rejects.toMatchObject({ code: "WORKFLOW_NOT_RUNNING" });
    release();
    await expect(runStatus(temporal, uniqueName("never_started"))).rejects.toMatchObject({ code: "WORKFLOW_RUN_NOT_FOUND" });
  });
});

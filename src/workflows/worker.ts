/**
 * The project's Temporal worker: polls the project's task queue with moose-ts's interpreter workflow
 * (./temporal-workflow.ts, bundled once per process) and runs the app's tasks as activities.
 *
 * The app's code is read at every task, through `workflows()`: when `moose dev` reloads the code it
 * hands the worker the new app (`setWorkflows`) instead of tearing it down, so a task already running
 * finishes on the code it started with, the next task runs the new code, and no run loses its history
 * or waits for a cancelled activity to time out. The workflow code Temporal replays never changes.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import type { Worker, WorkflowBundleWithSourceMap } from "@temporalio/worker";
import { mooseTsPackage } from "../cli/package-info.js";
import { MooseError } from "../errors.js";
import type { Workflow } from "../sdk/workflow.js";
import { unreachable, type TemporalTarget } from "./connection.js";
import type { MooseActivities, TaskRequest, TaskResponse, WorkflowGraph } from "./temporal-workflow.js";

export interface WorkflowWorker {
  taskQueue: string;
  /** Runs the next tasks with this code (a reloaded app). */
  setWorkflows(workflows: ReadonlyMap<string, Workflow>): void;
  /** True once the worker stopped polling (stop(), or a fatal error such as a lost Temporal). */
  readonly stopped: boolean;
  /** Stops polling, lets running tasks finish (a few seconds at most), closes the connection. */
  stop(): Promise<void>;
}

export interface WorkerOptions {
  target: TemporalTarget;
  taskQueue: string;
  workflows: ReadonlyMap<string, Workflow>;
  /** One line per task started, retried, failed or done. */
  log?: (line: string) => void;
}

/** The interpreter's source: the TypeScript file under tests (vitest runs src/), the built one in dist/. */
export function workflowSourcePath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith(".ts")) return path.join(path.dirname(here), "temporal-workflow.ts");
  const built = path.join(mooseTsPackage().root, "dist", "workflows", "temporal-workflow.js");
  if (!existsSync(built)) throw new Error(`moose-ts is not built: ${built} is missing (npm run build)`);
  return built;
}

/** How long `stop()` waits for running tasks (the SDK's grace time is 5 s). */
const STOP_WAIT_MS = 8000;

let bundled: Promise<WorkflowBundleWithSourceMap> | undefined;
let runtimeInstalled = false;

/** The interpreter bundled for Temporal's sandbox, once per process (about 2 s). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundled ??= (async () => {
    const { bundleWorkflowCode, DefaultLogger } = await import("@temporalio/worker");
    return bundleWorkflowCode({ workflowsPath: workflowSourcePath(), logger: new DefaultLogger("ERROR") });
  })();
  bundled.catch(() => (bundled = undefined));
  return bundled;
}

async function installRuntime(): Promise<void> {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const { Runtime, DefaultLogger } = await import("@temporalio/worker");
  try {
    // The SDK logs every failed activity attempt at WARN; the worker reports tasks itself (log below).
    // The SDK's native core logs at WARN about the test server's missing capabilities: errors only.
    Runtime.install({ logger: new DefaultLogger("ERROR"), telemetryOptions: { logging: { filter: { core: "ERROR", other: "ERROR" }, forward: {} } } });
  } catch {
    // already installed by the embedding process
  }
}

function activities(current: () => ReadonlyMap<string, Workflow>, log: (line: string) => void): MooseActivities {
  const lookup = async (name: string): Promise<Workflow> => {
    const workflow = current().get(name);
    if (workflow) return workflow;
    const { ApplicationFailure } = await import("@temporalio/activity");
    throw ApplicationFailure.nonRetryable(`the app has no workflow named ${name}`, "MooseUnknownWorkflow");
  };
  const taskOf = async (request: TaskRequest) => {
    const task = (await lookup(request.workflow)).tasks().find((candidate) => candidate.name === request.task);
    if (task) return task;
    const { ApplicationFailure } = await import("@temporalio/activity");
    throw ApplicationFailure.nonRetryable(`workflow ${request.workflow} has no task named ${request.task}`, "MooseUnknownTask");
  };
  return {
    async workflowGraph(name: string): Promise<WorkflowGraph> {
      const spec = (await lookup(name)).toSpec();
      return {
        startingTask: spec.tasks[0]!.name,
        tasks: spec.tasks.map((task) => ({
          name: task.name,
          onComplete: task.onComplete,
          ...(task.timeout !== undefined ? { timeout: task.timeout } : {}),
          ...(task.retries !== undefined ? { retries: task.retries } : {}),
        })),
      };
    },
    async runTask(request: TaskRequest): Promise<TaskResponse> {
      const { Context } = await import("@temporalio/activity");
      const { attempt, workflowExecution } = Context.current().info;
      const label = `workflow ${request.workflow} (${workflowExecution?.workflowId ?? "?"}): task ${request.task}${attempt > 1 ? ` (attempt ${attempt})` : ""}`;
      const task = await taskOf(request);
      const state = { ...request.state };
      const started = performance.now();
      log(`${label} started`);
      try {
        const output = await task.config.run({ state, input: request.input } as never);
        log(`${label} done in ${Math.round(performance.now() - started)} ms`);
        return { output: output ?? null, state };
      } catch (error) {
        log(`${label} failed: ${(error as Error)?.message ?? String(error)}`);
        throw error;
      }
    },
    async cancelTask(request: TaskRequest): Promise<void> {
      const task = await taskOf(request);
      log(`workflow ${request.workflow}: task ${request.task} cancelled`);
      await task.config.onCancel?.({ state: { ...request.state }, input: request.input } as never);
    },
  };
}

export async function startWorkflowWorker(options: WorkerOptions): Promise<WorkflowWorker> {
  const { target, taskQueue } = options;
  const log = options.log ?? (() => {});
  let workflows = options.workflows;
  await installRuntime();
  const { NativeConnection, Worker } = await import("@temporalio/worker");
  const workflowBundleCode = await workflowBundle();
  let connection: Awaited<ReturnType<typeof NativeConnection.connect>>;
  try {
    connection = await NativeConnection.connect({ address: target.address, ...(target.apiKey ? { apiKey: target.apiKey, tls: true } : {}) });
  } catch (error) {
    throw unreachable(target, error);
  }
  let worker: Worker;
  try {
    worker = await Worker.create({
      connection,
      namespace: target.namespace,
      taskQueue,
      workflowBundle: workflowBundleCode,
      activities: activities(() => workflows, log),
      // A stop lets running tasks finish for a moment; longer ones are retried by the next worker.
      shutdownGraceTime: "5s",
    });
  } catch (error) {
    await connection.close();
    throw new MooseError("TEMPORAL_WORKER_FAILED", `the Temporal worker could not start on task queue ${taskQueue}: ${(error as Error)?.message ?? String(error)}`, {
      config: { key: "temporal_config.namespace" },
      cause: error,
    });
  }
  let stopped = false;
  let closing: Promise<void> | undefined;
  // Once, whoever gets there first: the worker ending by itself (a crash) or stop().
  const closeConnection = () => (closing ??= connection.close().catch(() => {}));
  const running = worker
    .run()
    .catch((error: unknown) => log(`the Temporal worker stopped: ${(error as Error)?.message ?? String(error)}`))
    .finally(() => {
      stopped = true;
      return closeConnection();
    });
  return {
    taskQueue,
    get stopped() {
      return stopped;
    },
    setWorkflows(next) {
      workflows = next;
    },
    async stop() {
      if (worker.getState() === "RUNNING") worker.shutdown();
      // A task function that never returns must not hold the process: after the grace time (and a
      // little more) the worker is left behind; Temporal retries the task once its timeout passes.
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = await Promise.race([running.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_WAIT_MS)))]);
      clearTimeout(timer);
      if (gaveUp) {
        log(`the Temporal worker stopped waiting for running tasks after ${STOP_WAIT_MS / 1000} s; Temporal retries them after their timeout`);
        return;
      }
      await closeConnection();
    },
  };
}

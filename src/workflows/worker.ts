/**
 * The project's Temporal worker: polls the project's task queue with moose-ts's interpreter workflow
 * (./temporal-workflow.ts, bundled once per process) and runs the app's tasks as activities.
 *
 * The app's code is read at every task (a WorkflowCode): when `moose dev` reloads the code it
 * hands the worker the new app (`setCode`) instead of tearing it down, so a task already running
 * finishes on the code it started with, the next task runs the new code, and no run loses its history
 * or waits for a cancelled activity to time out. The workflow code Temporal replays never changes.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import type { Worker, WorkflowBundleWithSourceMap } from "@temporalio/worker";
import { mooseTsPackage } from "../cli/package-info.js";
import { MooseError } from "../errors.js";
import type { WorkflowSpec } from "../manifest/types.js";
import type { Workflow } from "../sdk/workflow.js";
import { unreachable, type TemporalTarget } from "./connection.js";
import type { MooseActivities, TaskRequest, TaskResponse, WorkflowGraph } from "./temporal-workflow.js";

export interface WorkflowWorker {
  taskQueue: string;
  /** Runs the next tasks with this code (a reloaded app). */
  setCode(code: WorkflowCode): void;
  /** True once the worker stopped polling (stop(), or a fatal error such as a lost Temporal). */
  readonly stopped: boolean;
  /** Stops polling, lets running tasks finish (a few seconds at most), closes the connection. */
  stop(): Promise<void>;
}

export interface WorkerOptions {
  target: TemporalTarget;
  taskQueue: string;
  code: WorkflowCode;
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

/**
 * A task that fails as the code says, not by chance: Temporal records it with `type` (a Python
 * exception's class name, say) and retries it only when `retryable`.
 */
export class TaskFailure extends Error {
  constructor(
    message: string,
    readonly type: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** The app's workflows as the worker runs them: a TypeScript app's Workflow objects, or a Python app's tasks (./python-tasks.ts). */
export interface WorkflowCode {
  /** Every workflow of the code by name, as the manifest has it. */
  readonly specs: ReadonlyMap<string, WorkflowSpec>;
  /** Runs a task the specs name; a copy of the request's state comes back with the task's changes. */
  runTask(request: TaskRequest): Promise<TaskResponse>;
  /** Runs the task's onCancel (nothing when it has none). */
  cancelTask(request: TaskRequest): Promise<void>;
}

/** A TypeScript app's workflows, run in this process by their own task functions. */
export function typescriptWorkflowCode(workflows: ReadonlyMap<string, Workflow>): WorkflowCode {
  const taskOf = (request: TaskRequest) => {
    const task = workflows.get(request.workflow)?.tasks().find((candidate) => candidate.name === request.task);
    if (!task) throw new TaskFailure(`workflow ${request.workflow} has no task named ${request.task}`, "MooseUnknownTask", false);
    return task;
  };
  return {
    specs: new Map([...workflows].map(([name, workflow]) => [name, workflow.toSpec()])),
    async runTask(request) {
      const state = { ...request.state };
      const output = await taskOf(request).config.run({ state, input: request.input } as never);
      return { output: output ?? null, state };
    },
    async cancelTask(request) {
      await taskOf(request).config.onCancel?.({ state: { ...request.state }, input: request.input } as never);
    },
  };
}

function activities(current: () => WorkflowCode, log: (line: string) => void): MooseActivities {
  /** The workflow's spec; a name the code does not have fails the run at once (no retry can find it). */
  const specOf = (name: string): WorkflowSpec => {
    const spec = current().specs.get(name);
    if (!spec) throw new TaskFailure(`the app has no workflow named ${name}`, "MooseUnknownWorkflow", false);
    return spec;
  };
  const checkTask = (request: TaskRequest) => {
    if (!specOf(request.workflow).tasks.some((task) => task.name === request.task)) {
      throw new TaskFailure(`workflow ${request.workflow} has no task named ${request.task}`, "MooseUnknownTask", false);
    }
  };
  /** A TaskFailure as Temporal's ApplicationFailure (its type, and whether to retry); other errors as they are. */
  const reported = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof TaskFailure)) throw error;
      const { ApplicationFailure } = await import("@temporalio/activity");
      throw ApplicationFailure.create({ message: error.message, type: error.type, nonRetryable: !error.retryable });
    }
  };
  return {
    workflowGraph: (name: string) =>
      reported(async (): Promise<WorkflowGraph> => {
        const spec = specOf(name);
        return {
          startingTask: spec.tasks[0]!.name,
          tasks: spec.tasks.map((task) => ({
            name: task.name,
            onComplete: task.onComplete,
            ...(task.timeout !== undefined ? { timeout: task.timeout } : {}),
            ...(task.retries !== undefined ? { retries: task.retries } : {}),
          })),
        };
      }),
    runTask: (request: TaskRequest) =>
      reported(async (): Promise<TaskResponse> => {
        const { Context } = await import("@temporalio/activity");
        const { attempt, workflowExecution } = Context.current().info;
        const label = `workflow ${request.workflow} (${workflowExecution?.workflowId ?? "?"}): task ${request.task}${attempt > 1 ? ` (attempt ${attempt})` : ""}`;
        checkTask(request);
        const started = performance.now();
        log(`${label} started`);
        try {
          const response = await current().runTask(request);
          log(`${label} done in ${Math.round(performance.now() - started)} ms`);
          return response;
        } catch (error) {
          log(`${label} failed: ${(error as Error)?.message ?? String(error)}`);
          throw error;
        }
      }),
    cancelTask: (request: TaskRequest) =>
      reported(async () => {
        checkTask(request);
        log(`workflow ${request.workflow}: task ${request.task} cancelled`);
        await current().cancelTask(request);
      }),
  };
}

export async function startWorkflowWorker(options: WorkerOptions): Promise<WorkflowWorker> {
  const { target, taskQueue } = options;
  const log = options.log ?? (() => {});
  let code = options.code;
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
      activities: activities(() => code, log),
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
    setCode(next) {
      code = next;
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

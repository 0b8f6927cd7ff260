/**
 * What `moose workflow …` and API handlers do with workflows on Temporal: start a run, read a run's
 * status, cancel or terminate it, pause or unpause a schedule, list the code's workflows with their state.
 * Manual runs use the workflow's name as their workflow id (one manual run of a workflow at a time,
 * as in MooseStack); scheduled runs get `<name>-<timestamp>` ids from Temporal.
 */
import type { WorkflowExecutionDescription, WorkflowHandle } from "@temporalio/client";
import { MooseError } from "../errors.js";
import type { WorkflowSpec } from "../manifest/types.js";
import { grpcCode, GRPC_UNIMPLEMENTED, WORKFLOW_TYPE, type TemporalClient } from "./connection.js";
import { schedulesUnsupported } from "./schedules.js";
import type { MooseActivities, MooseWorkflowArgs, MooseWorkflowResult, TaskRequest, TaskResponse } from "./temporal-workflow.js";

export interface StartedRun {
  workflow: string;
  workflowId: string;
  runId: string;
}

export interface RunStatus {
  workflow: string;
  workflowId: string;
  runId: string;
  /** Temporal's status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, CONTINUED_AS_NEW, TIMED_OUT. */
  status: string;
  startTime: string;
  closeTime?: string;
  historyLength: number;
  /** A completed run's result: every task's output and the last one's. */
  result?: MooseWorkflowResult;
  /** A run that did not complete (running, failed, cancelled, …): the tasks it finished, from its history. */
  tasksDone?: MooseWorkflowResult["tasks"];
  /** A failed run's error. */
  failure?: string;
}

export function unknownWorkflow(name: string, known: string[]): MooseError {
  return new MooseError("WORKFLOW_NOT_FOUND", `the code has no workflow named ${name}`, {
    hint: known.length > 0 ? `workflows in the code: ${known.join(", ")}` : "the code defines no Workflow",
  });
}

export async function startRun(temporal: TemporalClient, options: { workflow: WorkflowSpec; input?: unknown; taskQueue: string; workflowId?: string }): Promise<StartedRun> {
  const { WorkflowExecutionAlreadyStartedError } = await import("@temporalio/client");
  const { workflow } = options;
  const workflowId = options.workflowId ?? workflow.name;
  const args: MooseWorkflowArgs = { workflow: workflow.name, input: options.input ?? null };
  try {
    const handle = await temporal.client.workflow.start(WORKFLOW_TYPE, {
      taskQueue: options.taskQueue,
      workflowId,
      args: [args],
      memo: { moose_workflow: workflow.name },
      ...(workflow.timeout !== undefined && workflow.timeout !== "never" ? { workflowExecutionTimeout: workflow.timeout as `${number}s` } : {}),
      ...(workflow.retries !== undefined ? { retry: { maximumAttempts: workflow.retries + 1 } } : {}),
    });
    return { workflow: workflow.name, workflowId, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new MooseError("WORKFLOW_ALREADY_RUNNING", `workflow ${workflow.name} is already running (workflow id ${workflowId})`, {
        hint: `wait for it (\`moose workflow status ${workflow.name}\`) or stop it (\`moose workflow terminate ${workflow.name}\`)`,
      });
    }
    throw error;
  }
}

function iso(date: Date | undefined): string | undefined {
  return date ? date.toISOString() : undefined;
}

async function describe(temporal: TemporalClient, name: string, workflowId: string, runId?: string): Promise<WorkflowExecutionDescription> {
  const { WorkflowNotFoundError } = await import("@temporalio/client");
  try {
    return await temporal.client.workflow.getHandle(workflowId, runId).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError || grpcCode(error) === 5) {
      throw new MooseError("WORKFLOW_RUN_NOT_FOUND", `no run of workflow ${name} (workflow id ${workflowId}${runId ? `, run ${runId}` : ""}) in namespace ${temporal.target.namespace}`, {
        hint: `start one with \`moose workflow run ${name}\`; a scheduled run's id is ${name}-<time> (pass it with --id)`,
      });
    }
    throw error;
  }
}

export async function runStatus(temporal: TemporalClient, name: string, options: { workflowId?: string; runId?: string } = {}): Promise<RunStatus> {
  const workflowId = options.workflowId ?? name;
  const description = await describe(temporal, name, workflowId, options.runId);
  const status: RunStatus = {
    workflow: name,
    workflowId,
    runId: description.runId,
    status: description.status.name,
    startTime: description.startTime.toISOString(),
    ...(description.closeTime ? { closeTime: iso(description.closeTime) } : {}),
    historyLength: description.historyLength,
  };
  const handle = temporal.client.workflow.getHandle(workflowId, description.runId);
  if (status.status === "COMPLETED") status.result = (await handle.result()) as MooseWorkflowResult;
  else status.tasksDone = await tasksDone(handle);
  if (status.status === "FAILED" || status.status === "TIMED_OUT") {
    status.failure = await handle.result().then(
      () => undefined,
      (error: Error & { cause?: Error & { cause?: Error } }) => [error.message, error.cause?.message, error.cause?.cause?.message].filter(Boolean).join(": "),
    );
  }
  return status;
}

/** The `runTask` activities a run's history shows completed, in order, with the task each ran and its output. */
async function tasksDone(handle: WorkflowHandle): Promise<MooseWorkflowResult["tasks"]> {
  const { defaultPayloadConverter } = await import("@temporalio/client");
  const scheduled = new Map<string, string>();
  const done: MooseWorkflowResult["tasks"] = [];
  for (const event of (await handle.fetchHistory()).events ?? []) {
    const attributes = event.activityTaskScheduledEventAttributes;
    const input = attributes?.input?.payloads?.[0];
    if (attributes?.activityType?.name === ("runTask" satisfies keyof MooseActivities) && input) {
      scheduled.set(String(event.eventId), defaultPayloadConverter.fromPayload<TaskRequest>(input).task);
    }
    const completed = event.activityTaskCompletedEventAttributes;
    const task = completed ? scheduled.get(String(completed.scheduledEventId)) : undefined;
    const result = completed?.result?.payloads?.[0];
    if (task !== undefined && result) done.push({ task, output: defaultPayloadConverter.fromPayload<TaskResponse>(result).output });
  }
  return done;
}

/**
 * Waits for a run's end; its status afterwards (a failed run is a status, not an exception). A run the
 * workflow's `retries` retried (or one continued as new) ends as CONTINUED_AS_NEW: the status is the
 * last run's of that chain, which says how the run ended.
 */
export async function waitForRun(temporal: TemporalClient, name: string, run: { workflowId: string; runId: string }): Promise<RunStatus> {
  await temporal.client.workflow.getHandle(run.workflowId, run.runId).result().catch(() => undefined);
  let status = await runStatus(temporal, name, run);
  while (status.status === "CONTINUED_AS_NEW") {
    const history = await temporal.client.workflow.getHandle(run.workflowId, status.runId).fetchHistory();
    const next = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!next) break;
    status = await runStatus(temporal, name, { workflowId: run.workflowId, runId: next });
  }
  return status;
}

export async function terminateRun(temporal: TemporalClient, name: string, options: { workflowId?: string; runId?: string; reason?: string } = {}): Promise<RunStatus> {
  const workflowId = options.workflowId ?? name;
  const description = await describe(temporal, name, workflowId, options.runId);
  if (description.status.name !== "RUNNING") {
    throw new MooseError("WORKFLOW_NOT_RUNNING", `workflow ${name} (workflow id ${workflowId}, run ${description.runId}) is not running: ${description.status.name}`);
  }
  await temporal.client.workflow.getHandle(workflowId, description.runId).terminate(options.reason ?? "terminated with moose workflow terminate");
  return runStatus(temporal, name, { workflowId, runId: description.runId });
}

/** How long `moose workflow cancel` waits for the run to end once asked (its task's onCancel runs first). */
const CANCEL_WAIT_MS = 30_000;

/**
 * Asks a running run to stop as MooseStack's `moose workflow cancel` does: the worker cancels the
 * running task, runs its onCancel, and the run ends CANCELLED. Waits for that end, up to
 * CANCEL_WAIT_MS: without a worker polling (no moose dev / prod) the run stays RUNNING until one does.
 */
export async function cancelRun(temporal: TemporalClient, name: string, options: { workflowId?: string; runId?: string } = {}): Promise<RunStatus> {
  const workflowId = options.workflowId ?? name;
  const description = await describe(temporal, name, workflowId, options.runId);
  if (description.status.name !== "RUNNING") {
    throw new MooseError("WORKFLOW_NOT_RUNNING", `workflow ${name} (workflow id ${workflowId}, run ${description.runId}) is not running: ${description.status.name}`);
  }
  const handle = temporal.client.workflow.getHandle(workflowId, description.runId);
  await handle.cancel();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([handle.result().catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MS)))]);
  clearTimeout(timer);
  return runStatus(temporal, name, { workflowId, runId: description.runId });
}

async function scheduleHandle(temporal: TemporalClient, name: string) {
  return temporal.client.schedule.getHandle(name);
}

function scheduleError(temporal: TemporalClient, name: string, error: unknown, isNotFound: boolean): unknown {
  if (grpcCode(error) === GRPC_UNIMPLEMENTED) return schedulesUnsupported(temporal.target, error);
  if (isNotFound) {
    return new MooseError("WORKFLOW_SCHEDULE_NOT_FOUND", `workflow ${name} has no schedule in Temporal (namespace ${temporal.target.namespace})`, {
      hint: "a schedule exists once a migration with the workflow's `schedule` is applied (`moose migrate up`, or saved in `moose dev`)",
    });
  }
  return error;
}

export async function setPaused(temporal: TemporalClient, name: string, paused: boolean): Promise<void> {
  const { ScheduleNotFoundError } = await import("@temporalio/client");
  const handle = await scheduleHandle(temporal, name);
  try {
    if (paused) await handle.pause(`paused with moose workflow pause`);
    else await handle.unpause(`unpaused with moose workflow unpause`);
  } catch (error) {
    throw scheduleError(temporal, name, error, error instanceof ScheduleNotFoundError || grpcCode(error) === 5);
  }
}

export interface ScheduleState {
  paused: boolean;
  /** Next start times Temporal computed (ISO). */
  nextRuns: string[];
  /** Runs it started so far. */
  runs: number;
}

/** A schedule's state, `null` when there is none, or `"unsupported"` when the server has no schedules. */
export async function scheduleState(temporal: TemporalClient, name: string): Promise<ScheduleState | null | "unsupported"> {
  const { ScheduleNotFoundError } = await import("@temporalio/client");
  try {
    const description = await (await scheduleHandle(temporal, name)).describe();
    return { paused: description.state.paused, nextRuns: description.info.nextActionTimes.slice(0, 3).map((date) => date.toISOString()), runs: description.info.numActionsTaken };
  } catch (error) {
    if (grpcCode(error) === GRPC_UNIMPLEMENTED) return "unsupported";
    if (error instanceof ScheduleNotFoundError || grpcCode(error) === 5) return null;
    throw error;
  }
}

export interface WorkflowListing {
  name: string;
  schedule?: string;
  tasks: string[];
  scheduleState: ScheduleState | null | "unsupported";
  /** The latest manual run (workflow id = the name), when there was one. */
  lastRun?: { runId: string; status: string; startTime: string; closeTime?: string };
}

export async function listWorkflows(temporal: TemporalClient, workflows: WorkflowSpec[]): Promise<WorkflowListing[]> {
  const { WorkflowNotFoundError } = await import("@temporalio/client");
  const listing: WorkflowListing[] = [];
  for (const workflow of workflows) {
    const entry: WorkflowListing = {
      name: workflow.name,
      ...(workflow.schedule !== undefined ? { schedule: workflow.schedule } : {}),
      tasks: workflow.tasks.map((task) => task.name),
      scheduleState: workflow.schedule !== undefined ? await scheduleState(temporal, workflow.name) : null,
    };
    try {
      const description = await temporal.client.workflow.getHandle(workflow.name).describe();
      entry.lastRun = { runId: description.runId, status: description.status.name, startTime: description.startTime.toISOString(), ...(description.closeTime ? { closeTime: description.closeTime.toISOString() } : {}) };
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError || grpcCode(error) === 5)) throw error;
    }
    listing.push(entry);
  }
  return listing;
}

/** `moose workflow history --status` values, as Temporal's visibility queries name the statuses. */
export const HISTORY_STATUSES = {
  running: "Running",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Canceled",
  terminated: "Terminated",
  timed_out: "TimedOut",
  continued_as_new: "ContinuedAsNew",
} as const;

export type HistoryStatus = keyof typeof HISTORY_STATUSES;

/** A run as `moose workflow history` lists it: its status without the result or history length. */
export type HistoryEntry = Pick<RunStatus, "workflow" | "workflowId" | "runId" | "status" | "startTime" | "closeTime">;

/**
 * Characters a task queue may have to be named in a visibility query as it is: every npm package name's
 * (`moose-ts.<name>`). Another (a Python project's directory name with a space) is filtered here
 * instead, which reads the namespace's runs of every project until `limit` are found.
 */
const QUERY_SAFE = /^[\w.@/~-]+$/;

/**
 * The project's runs (manual and scheduled: every run of its task queue) in the order Temporal lists
 * them (running first, then the latest closed), from its visibility store: at most `limit`, only
 * `workflow`'s when given (picked here, by the run's memo), only those of `status`. Temporal's Java
 * test server has no visibility API (TEMPORAL_VISIBILITY_UNSUPPORTED).
 */
export async function runHistory(temporal: TemporalClient, options: { taskQueue: string; workflow?: string; status?: HistoryStatus; limit: number }): Promise<HistoryEntry[]> {
  const conditions = [`WorkflowType = '${WORKFLOW_TYPE}'`];
  if (QUERY_SAFE.test(options.taskQueue)) conditions.push(`TaskQueue = '${options.taskQueue}'`);
  if (options.status !== undefined) conditions.push(`ExecutionStatus = '${HISTORY_STATUSES[options.status]}'`);
  const entries: HistoryEntry[] = [];
  try {
    for await (const run of temporal.client.workflow.list({ query: conditions.join(" AND "), pageSize: Math.min(Math.max(options.limit, 10), 1000) })) {
      const workflow = run.memo?.moose_workflow;
      if (run.taskQueue !== options.taskQueue || typeof workflow !== "string") continue;
      if (options.workflow !== undefined && workflow !== options.workflow) continue;
      entries.push({ workflow, workflowId: run.workflowId, runId: run.runId, status: run.status.name, startTime: run.startTime.toISOString(), ...(run.closeTime ? { closeTime: run.closeTime.toISOString() } : {}) });
      if (entries.length >= options.limit) break;
    }
  } catch (error) {
    if (grpcCode(error) === GRPC_UNIMPLEMENTED) {
      throw new MooseError("TEMPORAL_VISIBILITY_UNSUPPORTED", `the Temporal server at ${temporal.target.address} does not list workflow runs (${(error as Error).message}); Temporal's Java test server, which moose dev starts when no Temporal is reachable, is such a server`, {
        config: { key: "temporal_config.temporal_host" },
        hint: "`moose workflow status <name>` reads one run on any server; for the history point temporal_config at a full Temporal (`temporal server start-dev`, which moose dev starts when the Temporal CLI is on the PATH, a self-hosted cluster or Temporal Cloud)",
        cause: error,
      });
    }
    throw error;
  }
  return entries;
}

/**
 * The Temporal step kind's executor: a workflow's schedule created, updated or deleted through the
 * official client (`client.schedule`). Every action converges on its target, so a step may run
 * again after a crash: create updates an existing schedule, update creates a missing one, delete
 * of a missing one succeeds. The schedule id is the workflow's name; what it starts is the project's
 * interpreter workflow (`mooseWorkflow`) on the project's task queue, with the workflow's timeout and
 * retries. A schedule paused with `moose workflow pause` stays paused through updates.
 */
import type { ScheduleOptions, ScheduleUpdateOptions } from "@temporalio/client";
import { MooseError } from "../errors.js";
import type { ScheduleTarget, TemporalAction } from "../steps/index.js";
import { connectTemporal, grpcCode, GRPC_UNIMPLEMENTED, WORKFLOW_TYPE, type TemporalClient, type TemporalTarget } from "./connection.js";
import { parseSchedule } from "./schedule.js";

export function schedulesUnsupported(target: TemporalTarget, error: unknown): MooseError {
  return new MooseError(
    "TEMPORAL_SCHEDULES_UNSUPPORTED",
    `the Temporal server at ${target.address} does not implement schedules (${(error as Error)?.message ?? String(error)}); Temporal's Java test server, which moose dev starts when no Temporal is reachable, is such a server`,
    {
      config: { key: "temporal_config.temporal_host" },
      hint: "point temporal_config (temporal_host/temporal_port) at a full Temporal server: `temporal server start-dev`, a self-hosted cluster or Temporal Cloud",
      cause: error,
    },
  );
}

function invalidSchedule(target: ScheduleTarget, reason: string): MooseError {
  return new MooseError("WORKFLOW_SCHEDULE_INVALID", `workflow ${target.workflow}: schedule ${reason}`, {
    hint: "fix `schedule` in the workflow's code and generate the migration again (or edit the step and run `moose migrate hash`)",
  });
}

/** The schedule as Temporal takes it: spec and the workflow start it triggers. */
export function scheduleOptions(target: ScheduleTarget, taskQueue: string): ScheduleOptions {
  const parsed = parseSchedule(target.schedule);
  if ("error" in parsed) throw invalidSchedule(target, parsed.error);
  return {
    scheduleId: target.workflow,
    spec: parsed.kind === "every" ? { intervals: [{ every: parsed.every as `${number}s` }] } : { cronExpressions: [parsed.cron] },
    action: {
      type: "startWorkflow",
      workflowType: WORKFLOW_TYPE,
      taskQueue,
      workflowId: target.workflow,
      args: [{ workflow: target.workflow, input: null }],
      memo: { moose_workflow: target.workflow },
      ...(target.timeout !== undefined && target.timeout !== "never" ? { workflowExecutionTimeout: target.timeout as `${number}s` } : {}),
      ...(target.retries !== undefined ? { retry: { maximumAttempts: target.retries + 1 } } : {}),
    },
    // Overlap: Temporal's default, SKIP (a run still going when the next is due makes that one skipped).
    // Catch-up: runs missed while Temporal was down are taken only if at most a minute late.
    policies: { catchupWindow: "1m" },
  };
}

async function isNotFound(error: unknown): Promise<boolean> {
  const { ScheduleNotFoundError } = await import("@temporalio/client");
  return error instanceof ScheduleNotFoundError || grpcCode(error) === 5;
}

async function guard<T>(target: TemporalTarget, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (grpcCode(error) === GRPC_UNIMPLEMENTED) throw schedulesUnsupported(target, error);
    throw error;
  }
}

async function upsert(temporal: TemporalClient, target: ScheduleTarget, taskQueue: string, preferUpdate: boolean): Promise<void> {
  const { ScheduleAlreadyRunning } = await import("@temporalio/client");
  const options = scheduleOptions(target, taskQueue);
  const update = async () => {
    await temporal.client.schedule.getHandle(target.workflow).update((previous): ScheduleUpdateOptions => ({ ...previous, spec: options.spec, action: options.action, policies: options.policies }) as ScheduleUpdateOptions);
  };
  await guard(temporal.target, async () => {
    if (preferUpdate) {
      try {
        return await update();
      } catch (error) {
        if (!(await isNotFound(error))) throw error;
      }
    }
    try {
      await temporal.client.schedule.create(options);
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await update();
    }
  });
}

export async function executeTemporalAction(temporal: TemporalClient, action: TemporalAction, taskQueue: string): Promise<void> {
  if ("createSchedule" in action) return upsert(temporal, action.createSchedule, taskQueue, false);
  if ("updateSchedule" in action) return upsert(temporal, action.updateSchedule, taskQueue, true);
  const id = action.deleteSchedule.workflow;
  await guard(temporal.target, async () => {
    try {
      await temporal.client.schedule.getHandle(id).delete();
    } catch (error) {
      if (!(await isNotFound(error))) throw error;
    }
  });
}

/** The runner's TemporalExecutor: connects on the first step, closes with `close()`. */
export function openScheduleExecutor(target: TemporalTarget, taskQueue: string): { execute(action: TemporalAction): Promise<void>; close(): Promise<void> } {
  let connected: Promise<TemporalClient> | undefined;
  return {
    async execute(action) {
      connected ??= connectTemporal(target);
      const temporal = await connected.catch((error: unknown) => {
        connected = undefined;
        throw error;
      });
      await executeTemporalAction(temporal, action, taskQueue);
    },
    async close() {
      if (connected) await (await connected.catch(() => undefined))?.close();
    },
  };
}

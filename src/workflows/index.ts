/**
 * Workflows on Temporal (`[features] workflows = true`): the worker (./worker.ts) running the app's
 * Workflow/Task objects under one interpreter workflow (./temporal-workflow.ts), the schedule steps'
 * executor (./schedules.ts), the operations behind `moose workflow …` (./operations.ts), and the local
 * Temporal `moose dev` starts when none answers (./local.ts).
 */
import type { Config } from "../config/types.js";
import { projectTaskQueue, temporalTarget } from "./connection.js";
import { openScheduleExecutor } from "./schedules.js";

export { projectTaskQueue, temporalTarget, connectTemporal, WORKFLOW_TYPE, type TemporalTarget, type TemporalClient } from "./connection.js";
export { describeSchedule, parseSchedule } from "./schedule.js";

/** The runner's executor for `temporal` steps, or undefined when workflows are off (such a step is then skipped with a warning). */
export function openTemporalSteps(config: Config, projectDir: string): ReturnType<typeof openScheduleExecutor> | undefined {
  return config.features.workflows ? openScheduleExecutor(temporalTarget(config), projectTaskQueue(projectDir)) : undefined;
}

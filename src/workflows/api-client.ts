/**
 * MooseStack's `client.workflow` for Api handlers (`await client.workflow.execute("daily_sync", input)`):
 * starts a run on the project's task queue (the worker of this process executes it) and answers like
 * MooseStack's, `{ status, body }`, never throwing: 200 with `{ workflowId, runId }`, 404 for a name
 * the code does not define, 409 while a manual run of it is going, 502 when Temporal fails.
 */
import { isMooseError } from "../errors.js";
import type { WorkflowSpec } from "../manifest/types.js";
import type { WorkflowClient } from "../sdk/api.js";
import type { TemporalClient } from "./connection.js";
import { startRun, terminateRun } from "./operations.js";

function reply(status: number, body: unknown): { status: number; body: string } {
  return { status, body: JSON.stringify(body) };
}

function failure(error: unknown): { status: number; body: string } {
  if (!isMooseError(error)) return reply(502, { error: (error as Error)?.message ?? String(error) });
  const status = error.code === "WORKFLOW_ALREADY_RUNNING" ? 409 : error.code === "WORKFLOW_RUN_NOT_FOUND" || error.code === "WORKFLOW_NOT_FOUND" ? 404 : error.code === "WORKFLOW_NOT_RUNNING" ? 409 : 502;
  return reply(status, { error: error.message, code: error.code });
}

export function apiWorkflowClient(options: { temporal: () => Promise<TemporalClient>; taskQueue: string; workflows: () => ReadonlyMap<string, WorkflowSpec> }): WorkflowClient {
  return {
    async execute(name, input) {
      const spec = options.workflows().get(name);
      if (!spec) return reply(404, { error: `the app has no workflow named ${name}`, code: "WORKFLOW_NOT_FOUND" });
      try {
        const run = await startRun(await options.temporal(), { workflow: spec, input: input ?? null, taskQueue: options.taskQueue });
        return reply(200, run);
      } catch (error) {
        return failure(error);
      }
    },
    async terminate(workflowId) {
      try {
        const status = await terminateRun(await options.temporal(), workflowId, { workflowId });
        return reply(200, status);
      } catch (error) {
        return failure(error);
      }
    },
  };
}

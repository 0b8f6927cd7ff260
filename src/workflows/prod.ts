/**
 * Workflows in `moose prod` (`[features] workflows = true`): the project's worker on the configured
 * Temporal (never started here) with the app's Workflow objects, and Api handlers' client.workflow.
 */
import type { Config } from "../config/types.js";
import { logEvent } from "../logs/logger.js";
import type { Workflow } from "../sdk/workflow.js";
import { setWorkflowClient } from "../server/client.js";
import { apiWorkflowClient } from "./api-client.js";
import { lazyClient, projectTaskQueue, temporalTarget } from "./connection.js";
import { startWorkflowWorker } from "./worker.js";

export interface ProdWorkflows {
  stop(): Promise<void>;
}

export async function startProdWorkflows(projectDir: string, config: Config, workflows: ReadonlyMap<string, Workflow>): Promise<ProdWorkflows> {
  const target = temporalTarget(config);
  const taskQueue = projectTaskQueue(projectDir);
  const worker = await startWorkflowWorker({ target, taskQueue, workflows, log: (message) => logEvent(projectDir, { kind: "server", message }) });
  const client = lazyClient(target);
  const specs = new Map([...workflows].map(([name, workflow]) => [name, workflow.toSpec()]));
  setWorkflowClient(apiWorkflowClient({ temporal: client.get, taskQueue, workflows: () => specs }));
  return {
    async stop() {
      setWorkflowClient(undefined);
      await client.close();
      await worker.stop();
    },
  };
}

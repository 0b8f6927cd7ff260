/**
 * Workflows in `moose prod` (`[features] workflows = true`): the project's worker on the configured
 * Temporal (never started here) with the app's Workflow objects, or a Python app's tasks run in a
 * Python worker, and Api handlers' client.workflow.
 */
import type { Config } from "../config/types.js";
import { logEvent } from "../logs/logger.js";
import type { Manifest } from "../manifest/types.js";
import type { Workflow } from "../sdk/workflow.js";
import { setWorkflowClient } from "../server/client.js";
import { apiWorkflowClient } from "./api-client.js";
import { lazyClient, projectTaskQueue, temporalTarget } from "./connection.js";
import { PythonTaskRunner, pythonWorkflowCode } from "./python-tasks.js";
import { startWorkflowWorker, typescriptWorkflowCode, type WorkflowCode } from "./worker.js";

export interface ProdWorkflows {
  stop(): Promise<void>;
}

/** The app's workflows: a TypeScript app's Workflow objects, or a Python app's manifest (its tasks run in a Python worker). */
export type ProdWorkflowApp = { language: "typescript"; workflows: ReadonlyMap<string, Workflow> } | { language: "python"; manifest: Manifest };

export async function startProdWorkflows(projectDir: string, config: Config, app: ProdWorkflowApp): Promise<ProdWorkflows> {
  const target = temporalTarget(config);
  const taskQueue = projectTaskQueue(projectDir);
  const log = (message: string) => logEvent(projectDir, { kind: "server", message });
  let pythonTasks: PythonTaskRunner | undefined;
  let code: WorkflowCode;
  if (app.language === "python") {
    // A Python task's prints and tracebacks go to stderr, as the Python Api worker's do.
    pythonTasks = new PythonTaskRunner({ projectDir, components: () => app.manifest });
    code = pythonWorkflowCode(app.manifest.workflows, pythonTasks);
  } else {
    code = typescriptWorkflowCode(app.workflows);
  }
  const worker = await startWorkflowWorker({ target, taskQueue, code, log });
  const client = lazyClient(target);
  setWorkflowClient(apiWorkflowClient({ temporal: client.get, taskQueue, workflows: () => code.specs }));
  return {
    async stop() {
      setWorkflowClient(undefined);
      await client.close();
      await worker.stop();
      await pythonTasks?.close();
    },
  };
}

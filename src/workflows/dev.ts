/**
 * Workflows in `moose dev` (`[features] workflows = true`): a Temporal to talk to (the configured one,
 * or a local one started here when nothing answers at a local address), the project's worker fed
 * with the app's Workflow objects after every good build, and the executor for schedule steps.
 *
 * The local Java test server has no schedules: in dev a schedule step against a server without them
 * is reported and counted as done (the run is a dev convenience; `moose migrate up` against such a
 * server fails instead, and resumes once pointed at a full Temporal). A Temporal CLI dev server that
 * dev starts is in memory: dev creates the applied state's schedules on it again (restoreSchedules).
 */
import type { Config } from "../config/types.js";
import type { Manifest } from "../manifest/types.js";
import { scheduleTarget } from "../plan/steps.js";
import { isMooseError } from "../errors.js";
import { getRegistry } from "../sdk/registry.js";
import type { Workflow } from "../sdk/workflow.js";
import type { HostComponents } from "../server/python-host.js";
import type { TemporalAction } from "../steps/index.js";
import { setWorkflowClient } from "../server/client.js";
import { apiWorkflowClient } from "./api-client.js";
import { lazyClient, projectTaskQueue, temporalAnswers, temporalTarget, unreachable } from "./connection.js";
import { isLocalHost } from "../infra/local-service.js";
import { localStopHandle, ownsTemporal, startLocalTemporal, type LocalTemporal } from "./local.js";
import { openScheduleExecutor } from "./schedules.js";
import { PythonTaskRunner, pythonWorkflowCode } from "./python-tasks.js";
import { startWorkflowWorker, typescriptWorkflowCode, type WorkflowCode, type WorkflowWorker } from "./worker.js";

export interface DevWorkflows {
  address: string;
  taskQueue: string;
  /** Set when this dev started (or inherited from a crashed dev) the local server. */
  local?: LocalTemporal;
  /** The runner's executor for schedule steps. */
  schedules: { execute(action: TemporalAction): Promise<void> };
  /** Hands the worker the code of the latest build (restarting it if it stopped). */
  reload(): Promise<void>;
  /**
   * A Temporal CLI dev server this dev just started is empty (it keeps its state in memory): the
   * schedules of the applied state are created on it again, so they outlive a restart of dev.
   * Called after the first build, once the worker has the code they start.
   */
  restoreSchedules(applied: Manifest): Promise<void>;
  close(): Promise<void>;
}

function registeredWorkflowCode(): WorkflowCode {
  return typescriptWorkflowCode(new Map(getRegistry().list<Workflow>("workflows").map((workflow) => [workflow.name, workflow])));
}

export interface DevWorkflowsOptions {
  projectDir: string;
  config: Config;
  info: (line: string) => void;
  /**
   * A Python app: its latest good extraction (the workflows it defines, the tables and streams its
   * tasks' OlapTable.insert and Stream.send reach), whose tasks run in a Python worker. A TypeScript
   * app's workflows are the Workflow objects its latest build registered.
   */
  python?: { latest(): Manifest | undefined };
  /** Start a local Temporal when nothing answers at a local address (`moose dev --no-infra`: false). */
  startServices?: boolean;
}

export async function startDevWorkflows(options: DevWorkflowsOptions): Promise<DevWorkflows> {
  const { projectDir, config, info, python } = options;
  // A Python task's prints and tracebacks go to dev's stderr, as the Python Api worker's do.
  const pythonTasks = python && new PythonTaskRunner({ projectDir, components: (): HostComponents => python.latest() ?? { tables: {}, streams: {} } });
  const currentCode = (): WorkflowCode => (python && pythonTasks ? pythonWorkflowCode(python.latest()?.workflows ?? {}, pythonTasks) : registeredWorkflowCode());
  const target = temporalTarget(config);
  const { temporal_host: host, temporal_port: port } = config.temporal_config;
  let local: LocalTemporal | undefined;
  let startedEmpty = false;
  if (!(await temporalAnswers(target))) {
    if (!isLocalHost(host) || options.startServices === false) throw unreachable(target, new Error("no answer"));
    info(`Temporal: nothing answers at ${target.address} ([temporal_config]); starting a local Temporal there`);
    local = await startLocalTemporal({ projectDir, target, port, info });
    startedEmpty = true;
  } else if (isLocalHost(host) && ownsTemporal(projectDir, port)) {
    local = localStopHandle(projectDir, port, target.address);
  }
  const taskQueue = projectTaskQueue(projectDir);
  const executor = openScheduleExecutor(target, taskQueue);
  let worker: WorkflowWorker | undefined;
  try {
    worker = await startWorkflowWorker({ target, taskQueue, code: currentCode(), log: (line) => info(`  ${line}`) });
  } catch (error) {
    await executor.close();
    await local?.stop();
    throw error;
  }
  let running = worker;
  let code = currentCode();
  const client = lazyClient(target);
  // Api handlers' client.workflow.execute(…) starts runs on this worker.
  setWorkflowClient(apiWorkflowClient({ temporal: client.get, taskQueue, workflows: () => code.specs }));
  const schedules = {
    async execute(action: TemporalAction) {
      // The build being applied registered the workflow: the worker gets it before its schedule can fire.
      if (!("deleteSchedule" in action) && !running.stopped) running.setCode(currentCode());
      try {
        await executor.execute(action);
      } catch (error) {
        if (!isMooseError(error) || error.code !== "TEMPORAL_SCHEDULES_UNSUPPORTED") throw error;
        const name = Object.values(action)[0]!.workflow;
        info(`  schedule of ${name} not created: the Temporal at ${target.address} has no schedules (the Java test server); run it with \`moose workflow run ${name}\``);
      }
    },
  };
  return {
    address: target.address,
    taskQueue,
    ...(local ? { local } : {}),
    schedules,
    restoreSchedules: async (applied) => {
      if (!startedEmpty || local?.kind !== "temporal-cli") return;
      const restored: string[] = [];
      for (const schedule of Object.values(applied.workflows).flatMap((spec) => scheduleTarget(spec) ?? [])) {
        try {
          await schedules.execute({ createSchedule: schedule });
          restored.push(schedule.workflow);
        } catch (error) {
          info(`  schedule of ${schedule.workflow} not restored on the new local Temporal: ${(error as Error)?.message ?? String(error)}`);
        }
      }
      if (restored.length > 0) info(`  Temporal: schedules of ${restored.join(", ")} restored from the applied state (a new local Temporal starts empty)`);
    },
    reload: async () => {
      // A Python task that starts from now on runs the new code; one running finishes on the old.
      pythonTasks?.codeChanged();
      code = currentCode();
      if (!running.stopped) return running.setCode(code);
      // The worker died (Temporal went away and came back, say): a code change starts a new one.
      info("  restarting the Temporal worker (it had stopped)");
      try {
        running = await startWorkflowWorker({ target, taskQueue, code, log: (line) => info(`  ${line}`) });
      } catch (error) {
        info(`  the Temporal worker could not restart: ${(error as Error)?.message ?? String(error)} (the next save tries again)`);
      }
    },
    close: async () => {
      setWorkflowClient(undefined);
      await client.close();
      await running.stop();
      await pythonTasks?.close();
      await executor.close();
      await local?.stop();
    },
  };
}

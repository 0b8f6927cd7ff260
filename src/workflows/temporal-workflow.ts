/**
 * The one Temporal workflow moose-ts runs: an interpreter for a MooseStack `Workflow` (tasks chained
 * with `onComplete`). It runs in Temporal's deterministic workflow sandbox, bundled by the worker
 * (./worker.ts), so it imports nothing but @temporalio/workflow. Every task is one activity
 * (`runTask`, executed by the worker with the app's own task function): its retries and timeout are
 * the activity's retry policy and start-to-close timeout. The task graph is read from the app's code
 * by a first activity (`workflowGraph`), so it is recorded in the run's history: a code change (a
 * worker restarted by `moose dev`) never alters a run already in progress, whose history replays as
 * it was; schedules and `moose workflow run` need only the workflow's name.
 */
import { ApplicationFailure, CancellationScope, isCancellation, proxyActivities } from "@temporalio/workflow";

/** One task of the graph, as the workflow needs it (from the manifest's TaskSpec). */
export interface GraphTask {
  name: string;
  /** Temporal duration (`30s`, `5m`, `1h`), or `never` for no limit. Default one hour. */
  timeout?: string;
  /** Retries after the first attempt (MooseStack default 3). */
  retries?: number;
  onComplete: string[];
}

export interface WorkflowGraph {
  startingTask: string;
  tasks: GraphTask[];
}

export interface MooseWorkflowArgs {
  workflow: string;
  /** The starting task's input (null when none). */
  input?: unknown;
}

export interface TaskRequest {
  workflow: string;
  task: string;
  input: unknown;
  state: Record<string, unknown>;
}

export interface TaskResponse {
  output: unknown;
  state: Record<string, unknown>;
}

export interface MooseActivities {
  /** The workflow's tasks as the worker's code defines them (fails, not retried, for an unknown workflow). */
  workflowGraph(workflow: string): Promise<WorkflowGraph>;
  runTask(request: TaskRequest): Promise<TaskResponse>;
  cancelTask(request: TaskRequest): Promise<void>;
}

/** A finished run: the output of every task, in the order they finished, and the last one's. */
export interface MooseWorkflowResult {
  workflow: string;
  tasks: Array<{ task: string; output: unknown }>;
  output: unknown;
}

export const DEFAULT_TASK_TIMEOUT = "1h";
export const DEFAULT_TASK_RETRIES = 3;

function activitiesFor(task: GraphTask): MooseActivities {
  const timeout = task.timeout ?? DEFAULT_TASK_TIMEOUT;
  return proxyActivities<MooseActivities>({
    // `never`: a task without a limit (Temporal still needs one; ten years is none in practice).
    startToCloseTimeout: timeout === "never" ? "3650d" : timeout,
    retry: { maximumAttempts: (task.retries ?? DEFAULT_TASK_RETRIES) + 1, initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "30s" },
  });
}

const { workflowGraph } = proxyActivities<MooseActivities>({ startToCloseTimeout: "1m", retry: { maximumAttempts: 3 } });

/** The Temporal workflow type every moose-ts workflow runs as. */
export async function mooseWorkflow(args: MooseWorkflowArgs): Promise<MooseWorkflowResult> {
  const graph = await workflowGraph(args.workflow);
  const byName = new Map(graph.tasks.map((task) => [task.name, task]));
  const finished: Array<{ task: string; output: unknown }> = [];
  let state: Record<string, unknown> = {};
  let output: unknown = undefined;
  // Breadth-first: a task's onComplete tasks run after it, each with its output as input.
  const queue: Array<{ name: string; input: unknown }> = [{ name: graph.startingTask, input: args.input ?? null }];
  while (queue.length > 0) {
    const { name, input } = queue.shift()!;
    const task = byName.get(name);
    if (!task) throw ApplicationFailure.nonRetryable(`workflow ${args.workflow} has no task ${name}`, "MooseUnknownTask");
    const request: TaskRequest = { workflow: args.workflow, task: name, input, state };
    try {
      const response = await activitiesFor(task).runTask(request);
      state = response.state;
      output = response.output;
    } catch (error) {
      if (isCancellation(error)) {
        // The task's onCancel runs even though the workflow is being cancelled.
        await CancellationScope.nonCancellable(() => activitiesFor({ ...task, retries: 0 }).cancelTask(request));
      }
      throw error;
    }
    finished.push({ task: name, output });
    for (const next of task.onComplete) queue.push({ name: next, input: output ?? null });
  }
  return { workflow: args.workflow, tasks: finished, output };
}

/**
 * A Python app's workflow tasks, run in a Python worker (python/_moose_ts_worker.py in its `tasks`
 * mode: the app imported, each task in a thread of its own) while the Temporal worker (./worker.ts)
 * stays in this process. The Python worker starts when the first task comes, not with `moose dev` or
 * `moose prod`, and again for the first task after the code changed (`codeChanged`): a task already
 * running finishes on the code it started with, in the worker that started it, which is closed once
 * its last task has ended — as a TypeScript app's tasks do. A task's `OlapTable.insert`,
 * `Stream.send` and `MooseCache` calls come here, as an Api handler's do (src/server/python-host.ts).
 */
import { PythonProtocolError, startPythonChild, type PythonChild } from "../extract/python/child.js";
import type { WorkflowSpec } from "../manifest/types.js";
import { answerHostRequest, sendHostReply, type HostComponents, type HostRequest } from "../server/python-host.js";
import type { TaskRequest, TaskResponse } from "./temporal-workflow.js";
import { TaskFailure, type WorkflowCode } from "./worker.js";

type Message =
  | { type: "ready"; workflows: string[] }
  | { type: "host"; query: number; request: HostRequest }
  | ({ type: "task-result"; id: number } & ({ output: unknown; state: Record<string, unknown> } | { failed: { type: string; message: string }; retryable: boolean }));

/** What a task asks the worker: run it, or run its on_cancel. */
type Phase = "run" | "cancel";

interface TaskWorker {
  child: PythonChild<Message>;
  /** Task id → its caller. */
  calls: Map<number, { resolve(response: TaskResponse): void; reject(error: Error): void }>;
  /** Set once the code changed: closed when its last task has ended. */
  retired: boolean;
  reading: Promise<void>;
}

export interface PythonTaskRunnerOptions {
  projectDir: string;
  /** The app's tables and streams, for its tasks' OlapTable.insert and Stream.send. */
  components: () => HostComponents;
  /** Where the worker's stderr (the tasks' prints, tracebacks) goes; stderr by default. */
  log?: (text: string) => void;
}

export class PythonTaskRunner {
  private readonly log: (text: string) => void;
  private current: Promise<TaskWorker> | undefined;
  private readonly workers = new Set<TaskWorker>();
  private nextId = 0;
  private closed = false;

  constructor(private readonly options: PythonTaskRunnerOptions) {
    this.log = options.log ?? ((text) => process.stderr.write(text));
  }

  /** Runs a task (`run`) or its on_cancel (`cancel`); a failure of the task rejects with a TaskFailure. */
  async call(request: TaskRequest, phase: Phase): Promise<TaskResponse> {
    if (this.closed) throw new Error("the Python task worker is closed");
    const worker = await this.worker();
    const id = ++this.nextId;
    try {
      return await new Promise<TaskResponse>((resolve, reject) => {
        worker.calls.set(id, { resolve, reject });
        worker.child.send({ type: "task", id, phase, ...request });
      });
    } finally {
      worker.calls.delete(id);
      if (worker.retired && worker.calls.size === 0) void this.retire(worker);
    }
  }

  /** The next task runs the code as it is now, in a new worker; tasks running finish where they are. */
  codeChanged(): void {
    const previous = this.current;
    this.current = undefined;
    void previous?.then(
      (worker) => {
        worker.retired = true;
        if (worker.calls.size === 0) void this.retire(worker);
      },
      () => undefined,
    );
  }

  /** Closes every worker (the Temporal worker has stopped: no task is waited for any longer). */
  async close(): Promise<void> {
    this.closed = true;
    this.current = undefined;
    await Promise.all([...this.workers].map((worker) => this.retire(worker)));
  }

  private async worker(): Promise<TaskWorker> {
    const current = this.current ?? this.startCurrent();
    const worker = await current;
    if (!worker.child.exited) return worker;
    // It died (a crash, an OOM kill): a new one for this task, unless another task started it already.
    void this.retire(worker);
    return this.current === current ? this.startCurrent() : this.worker();
  }

  /** Starts the worker the next tasks go to; one that fails to start (the app no longer imports) is tried again by the next task. */
  private startCurrent(): Promise<TaskWorker> {
    const started = this.start();
    this.current = started;
    started.catch(() => {
      if (this.current === started) this.current = undefined;
    });
    return started;
  }

  private async start(): Promise<TaskWorker> {
    const { child } = await startPythonChild<Message>({
      projectDir: this.options.projectDir,
      module: "_moose_ts_worker",
      args: ["tasks"],
      log: this.log,
      what: "running the app's workflow tasks",
    });
    const worker: TaskWorker = { child, calls: new Map(), retired: false, reading: Promise.resolve() };
    worker.reading = this.read(worker);
    this.workers.add(worker);
    return worker;
  }

  private async read(worker: TaskWorker): Promise<void> {
    const { child, calls } = worker;
    for (;;) {
      let message: Message | undefined;
      try {
        message = await child.next();
      } catch (error) {
        // A line that is not JSON: the app wrote to the process's real stdout. It goes to the log.
        this.log(`${error instanceof PythonProtocolError ? error.line : String(error)}\n`);
        continue;
      }
      if (!message) break;
      if (message.type === "host") {
        const { query, request } = message;
        void answerHostRequest(request, this.options.components()).then((reply) => sendHostReply(child, query, reply));
      } else if (message.type === "task-result") {
        const call = calls.get(message.id);
        if (!call) continue;
        if ("failed" in message) call.reject(new TaskFailure(message.failed.message, message.failed.type, message.retryable));
        else call.resolve({ output: message.output ?? null, state: message.state });
      }
    }
    // Temporal retries a task whose worker died, on a new worker, as for any failed attempt.
    for (const call of calls.values()) call.reject(new Error(`the Python worker running the task stopped (${child.exitReason})`));
    calls.clear();
  }

  private async retire(worker: TaskWorker): Promise<void> {
    if (!this.workers.delete(worker)) return;
    await worker.child.close();
    await worker.reading;
  }
}

/** A Python app's workflows: the specs its extraction found, each task run by `runner`. */
export function pythonWorkflowCode(specs: Record<string, WorkflowSpec>, runner: PythonTaskRunner): WorkflowCode {
  return {
    specs: new Map(Object.entries(specs)),
    runTask: (request) => runner.call(request, "run"),
    cancelTask: async (request) => {
      await runner.call(request, "cancel");
    },
  };
}

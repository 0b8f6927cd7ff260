/**
 * A Python app's transforms and consumers: Kafka stays here (./functions.ts consumes, retries,
 * dead-letters and produces, as for TypeScript apps) and each record's function runs in a Python
 * worker (python/_moose_ts_processes.py) that imported the app. `functionFor(id)` gives the process's
 * ProcessFunction (one record) and BatchFunction (a chunk's first attempts): each queues its records,
 * and the records queued while the worker is busy (from every partition and process) go to it
 * together as the next batch, one batch at a time.
 *
 * A function's exception fails that record with an error whose class name is the Python exception's
 * (so a dead letter's errorType is `ValueError`, as MooseStack writes it). A worker that exits is started
 * again; the records of its batch in flight run again one per batch (no attempt of theirs counted), so the
 * record that killed it fails alone, with PythonWorkerExitedError (./functions.ts retries it). An answer that
 * is not JSON fails its batch, and the worker is started again.
 * `reload` starts a worker on the app's current code (dev, after every good build) and retires the
 * previous one once its batch in flight is answered. A function's `OlapTable.insert`, `Stream.send` and
 * `MooseCache` calls are answered while its batch runs (../server/python-host.ts).
 */
import type { SourceLocation } from "../errors.js";
import { PythonProtocolError, startPythonChild, type PythonChild } from "../extract/python/child.js";
import type { ProcessFunction } from "../sdk/processes.js";
import { answerHostRequest, sendHostReply, type HostComponents, type HostRequest } from "../server/python-host.js";
import type { BatchFunction } from "./functions.js";

type Outcome = { ok: true; values: unknown[] } | { ok: false; errorType: string; message: string; location?: SourceLocation };
type Message = { type: "ready"; processes: string[] } | { type: "done"; results: Outcome[] } | { type: "host"; query: number; request: HostRequest };

interface Call {
  process: string;
  record: unknown;
  resolve(values: unknown[]): void;
  reject(error: Error): void;
  /** Sent in a batch of its own: it was in a batch of several when the worker exited. */
  alone?: boolean;
}

/** Most records sent to the worker in one batch. */
const MAX_BATCH = 1000;

/** A worker that exited (a crash, os._exit, a kill) while it held records: they failed with this. */
export class PythonWorkerExitedError extends Error {}

export interface PythonFunctionsOptions {
  projectDir: string;
  /** The app's tables and streams as of its latest reload, for the functions' OlapTable.insert and Stream.send. */
  components: () => HostComponents;
  /** Where the worker's stderr goes (the app's prints, tracebacks). */
  log?: (text: string) => void;
  /** Told when a worker that exited is started again. */
  onRestart?: (reason: string) => void;
}

interface Worker {
  child: PythonChild<Message>;
  processes: Set<string>;
  /** The batch it is running, if any. */
  inFlight?: Promise<unknown>;
}

export class PythonFunctions {
  private worker?: Worker;
  private starting?: Promise<Worker>;
  private readonly queue: Call[] = [];
  private pumping = false;
  private closed = false;

  constructor(private readonly options: PythonFunctionsOptions) {}

  /** Starts a worker on the app's current code; the previous one finishes its batch in flight and exits. A failed start keeps the previous one. */
  async reload(): Promise<void> {
    const next = await this.start();
    // Closed while it started: nobody would stop this one.
    if (this.closed) {
      await next.child.close();
      throw new Error("the Python worker is stopped");
    }
    const previous = this.worker;
    this.worker = next;
    if (previous) void this.retire(previous);
    void this.pump();
  }

  /** The functions of a transform or consumer; undefined when the app's code has no function for it. */
  functionFor(processId: string): { run: ProcessFunction; runBatch: BatchFunction } | undefined {
    if (!this.worker?.processes.has(processId)) return undefined;
    // A transform's result is its records (./functions.ts spreads the array); a consumer's is nothing.
    const result = processId.startsWith("consumer:") ? () => undefined : (values: unknown[]) => values;
    const call = (record: unknown) =>
      new Promise<unknown[]>((resolve, reject) => {
        if (this.closed) return reject(new Error("the Python worker is stopped"));
        this.queue.push({ process: processId, record, resolve, reject });
      });
    return {
      run: (record) => {
        const called = call(record);
        void this.pump();
        return called.then(result);
      },
      runBatch: async (records) => {
        const called = records.map(call);
        void this.pump();
        const outcomes = await Promise.allSettled(called);
        return outcomes.map((outcome) => (outcome.status === "fulfilled" ? { ok: true, result: result(outcome.value) } : { ok: false, error: outcome.reason as unknown }));
      },
    };
  }

  /** Fails the records still queued and stops the worker (after its batch in flight). */
  async close(): Promise<void> {
    this.closed = true;
    for (const call of this.queue.splice(0)) call.reject(new Error("the Python worker is stopped"));
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await this.retire(worker);
  }

  private async start(): Promise<Worker> {
    const { child, ready } = await startPythonChild<Message>({
      projectDir: this.options.projectDir,
      module: "_moose_ts_processes",
      log: this.options.log ?? ((text: string) => process.stderr.write(text)),
      what: "running the app's stream functions",
    });
    return { child, processes: new Set(ready.processes) };
  }

  private async retire(worker: Worker): Promise<void> {
    await worker.inFlight;
    await worker.child.close();
  }

  /** The current worker, started again when it exited (once for all the calls waiting). */
  private async live(): Promise<Worker> {
    const worker = this.worker;
    if (worker && !worker.child.exited) return worker;
    this.starting ??= (async () => {
      try {
        if (worker) this.options.onRestart?.(`the Python worker running the app's stream functions exited (${worker.child.exitReason}); starting it again`);
        const next = await this.start();
        if (this.closed) {
          await next.child.close();
          throw new Error("the Python worker is stopped");
        }
        // A reload meanwhile already put a worker on the app's newest code in its place.
        if (this.worker !== worker && this.worker) {
          await next.child.close();
          return this.worker;
        }
        this.worker = next;
        return next;
      } finally {
        this.starting = undefined;
      }
    })();
    return this.starting;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        let worker: Worker;
        try {
          worker = await this.live();
        } catch (error) {
          // The app no longer imports (or the worker does not start): the waiting records fail, and are retried.
          for (const call of this.queue.splice(0)) call.reject(error as Error);
          break;
        }
        // A reload swapped workers while this one was being looked up: the old one is retiring.
        if (worker !== this.worker) continue;
        const batch = this.queue.splice(0, this.queue[0]!.alone ? 1 : MAX_BATCH);
        const run = this.run(worker, batch);
        worker.inFlight = run;
        await run;
        worker.inFlight = undefined;
      }
    } finally {
      this.pumping = false;
    }
  }

  private async run(worker: Worker, batch: Call[]): Promise<void> {
    worker.child.send({ type: "run", records: batch.map(({ process, record }) => ({ process, record })) });
    // A line that is not JSON where the answer should be (next's only rejection) is the answer here.
    const next = () => worker.child.next().catch((error: PythonProtocolError) => error);
    let answer = await next();
    // The functions' requests (an insert, the cache) while the batch runs: the worker waits for each answer.
    while (answer && !(answer instanceof PythonProtocolError) && answer.type === "host") {
      sendHostReply(worker.child, answer.query, await answerHostRequest(answer.request, this.options.components()));
      answer = await next();
    }
    if (!answer) {
      if (batch.length > 1 && !this.closed) {
        // Any one of them may have killed it: each runs again alone, before the records queued after them.
        this.queue.unshift(...batch.map((call) => ({ ...call, alone: true })));
        return;
      }
      const error = new PythonWorkerExitedError(`the Python worker running the app's stream functions exited (${worker.child.exitReason}) while running this record`);
      for (const call of batch) call.reject(error);
      return;
    }
    if (answer instanceof PythonProtocolError || answer.type !== "done" || answer.results.length !== batch.length) {
      // Out of step with the protocol (the app wrote to the real stdout?): stopped, and started again for the next batch.
      await worker.child.close(0);
      const error = answer instanceof PythonProtocolError ? answer : new Error(`the Python worker answered a batch of ${batch.length} records with ${JSON.stringify(answer).slice(0, 200)}`);
      for (const call of batch) call.reject(error);
      return;
    }
    answer.results.forEach((outcome, index) => {
      const call = batch[index]!;
      if (outcome.ok) call.resolve(outcome.values);
      else call.reject(pythonError(outcome));
    });
  }
}

/** A Python function's exception: where in the app it was raised (./functions.ts logs it). */
export class PythonFunctionError extends Error {
  location?: SourceLocation;
}

const errorClasses = new Map<string, typeof PythonFunctionError>();

/** An Error whose class name is the Python exception's (deadLetter's errorType reads `error.constructor.name`). */
function pythonError(outcome: { errorType: string; message: string; location?: SourceLocation }): PythonFunctionError {
  const type = outcome.errorType;
  let ErrorClass = errorClasses.get(type);
  if (!ErrorClass) {
    ErrorClass = class extends PythonFunctionError {};
    Object.defineProperty(ErrorClass, "name", { value: type });
    errorClasses.set(type, ErrorClass);
  }
  const error = new ErrorClass(outcome.message);
  error.name = type;
  if (outcome.location) error.location = outcome.location;
  return error;
}

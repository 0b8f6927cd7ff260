/**
 * The supervisor of an app's stream processes (docs/streams.md "How processes run").
 * `reconcile` makes the running set match the manifest's processes by id: new ids start, ids whose
 * definition changed restart (spec, the sync's table columns, the topics it names), removed ids
 * stop, the rest keep running untouched; one that cannot start is tried again every START_RETRY_MS.
 * `moose dev` calls it after every applied reload, `moose prod` once at start; `close` stops them
 * all (each finishes and commits its batch in hand). A stop that fails is reported through `events.error` and holds back neither the others nor their
 * successors. A Python app's transforms and consumers call its functions in a Python worker
 * (./python-functions.ts), started again on the app's code at every reconcile. A transform or consumer
 * whose function the loaded code does not have (the applied state is not the code's) is kept as `not-run`,
 * and starts at the first reconcile whose code has it.
 */
import type { Producer } from "kafkajs";
import type { Config } from "../config/types.js";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import { brokerTopicName } from "../infra/kafka/topics.js";
import { projectLanguage } from "../extract/python/language.js";
import { canonicalJson } from "../manifest/canonical.js";
import type { Manifest, ProcessSpec } from "../manifest/types.js";
import { MULTI_DESTINATION, type ProcessFunction } from "../sdk/processes.js";
import { startFunctionProcess, type BatchFunction } from "./functions.js";
import { openProcessProducer, openStreamsKafka, processGroupId, type Kafka, type OffsetReset } from "./kafka.js";
import { LagProbe } from "./lag.js";
import { newStatus, recordError, type ProcessEvents, type ProcessStatus, type RunningProcess } from "./process.js";
import { PythonFunctions } from "./python-functions.js";
import { startSync } from "./sync.js";

export interface SupervisorOptions {
  projectDir: string;
  config: Config;
  /** Where syncs insert (the embedded engine in dev, the server in prod). */
  driver: ClickHouseDriver;
  events: ProcessEvents;
  /** How long a measured lag is reported again (LAG_MAX_AGE_MS). */
  lagMaxAgeMs?: number;
  /** How long after a process could not start it is tried again (START_RETRY_MS). */
  startRetryMs?: number;
}

/**
 * A process that could not start is tried again this often until it starts, or a reconcile replaces
 * or removes it: its source topic may not exist yet (an external topic Debezium creates once the app
 * is deployed), or the broker may be away. MooseStack's runner restarts a failed one after 10 s too.
 */
const START_RETRY_MS = 10_000;

/** The live function of each transform and consumer, by process id (processFunctions in src/sdk/processes.ts). */
export type ProcessFunctions = Map<string, { spec: ProcessSpec; run?: ProcessFunction }>;

export interface ReconcileResult {
  started: string[];
  restarted: string[];
  stopped: string[];
  /** Processes that could not start (new or restarted), with the reason (also in their status). */
  failed: Array<{ id: string; message: string }>;
  /** Processes moose-ts does not run (state `not-run`), with the reason; each is listed once, when it appears. */
  notRun: Array<{ id: string; message: string }>;
}

export interface ProcessReport extends ProcessStatus {
  /** Records on the source topic not yet committed by the process's group; absent when the broker did not answer. */
  lag?: number;
}

interface Entry {
  fingerprint: string;
  process?: RunningProcess;
  /** Kept for a process that failed to start, so its status is reported. */
  status: ProcessStatus;
  /** A TypeScript function process's function, replaced at each reconcile by the reloaded app's. */
  current?: { run: ProcessFunction };
  /** The next try of a process that could not start. */
  retry?: NodeJS.Timeout;
}

type Components = Pick<Manifest, "processes" | "streams" | "tables">;

export class Supervisor {
  private readonly running = new Map<string, Entry>();
  private kafka?: Kafka;
  private producer?: Producer;
  private lagProbe?: LagProbe;
  /** A Python app's function worker, from the first reconcile with a transform or consumer. */
  private python?: PythonFunctions;
  /** The tables and streams of the app the Python worker runs (its functions insert into and send to them). */
  private pythonComponents: Components = { processes: {}, streams: {}, tables: {} };
  private closed = false;

  constructor(private readonly options: SupervisorOptions) {}

  async reconcile(manifest: Components, functions: ProcessFunctions): Promise<ReconcileResult> {
    const result: ReconcileResult = { started: [], restarted: [], stopped: [], failed: [], notRun: [] };
    const wanted = new Map(Object.entries(manifest.processes).map(([id, spec]) => [id, fingerprint(spec, manifest, this.options.config)]));
    const stopping: Array<{ id: string; done: Promise<void> }> = [];
    const replaced = new Set<string>();
    for (const [id, entry] of this.running) {
      const next = wanted.get(id);
      // A process that could not start is tried again at every reconcile.
      if (next === entry.fingerprint && (entry.process || entry.status.state === "not-run")) {
        // Same definition, possibly new code around it (a helper the function calls): the next record runs the app's current function.
        const run = functions.get(id)?.run;
        if (entry.current && run) entry.current.run = run;
        continue;
      }
      this.running.delete(id);
      clearTimeout(entry.retry);
      if (!entry.process) continue;
      if (next === undefined) result.stopped.push(id);
      else replaced.add(id);
      stopping.push({ id, done: entry.process.stop() });
    }
    // A restarted process stops (committing its batch) before its successor joins the same group.
    await this.settle(stopping);
    const pythonFailure = await this.reloadPython(manifest);
    for (const [id, print] of wanted) {
      // A TypeScript app's functions come from its registry, a Python app's run in its worker (reloaded above).
      const registered = functions.get(id)?.run;
      const python = registered || pythonFailure !== undefined ? undefined : this.python?.functionFor(id);
      const kept = this.running.get(id);
      // A process kept as not-run starts once the reloaded code has its function.
      if (kept && !(kept.status.state === "not-run" && (registered || python))) continue;
      const spec = manifest.processes[id]!;
      const current = registered ? { run: registered } : undefined;
      const run = current ? (record: unknown) => current.run(record) : python?.run;
      if (spec.kind !== "sync" && !run && pythonFailure === undefined) {
        const message = `the app's code has no function for ${id} (the applied state is not the code's)`;
        this.running.set(id, { fingerprint: print, status: { ...newStatus(id, spec.kind), state: "not-run" } });
        result.notRun.push({ id, message });
        continue;
      }
      const start = () => this.start(id, spec, manifest, run, python?.runBatch);
      try {
        if (spec.kind !== "sync" && !run) throw new Error(pythonFailure);
        const process = await start();
        this.running.set(id, { fingerprint: print, process, status: process.status, ...(current ? { current } : {}) });
        (replaced.has(id) ? result.restarted : result.started).push(id);
      } catch (error) {
        const message = messageOf(error);
        const status: ProcessStatus = { ...newStatus(id, spec.kind), state: "failed", lastError: { message, at: new Date().toISOString() } };
        const entry: Entry = { fingerprint: print, status, ...(current ? { current } : {}) };
        this.running.set(id, entry);
        this.options.events.error(id, `could not start: ${message}`);
        result.failed.push({ id, message });
        // Without its function (a Python worker that failed) only a reconcile on new code can help.
        if (spec.kind === "sync" || run) this.retryStart(id, entry, start);
      }
    }
    return result;
  }

  /** Tries a process that could not start again after a while, until it starts or the entry is replaced (reconcile) or closed. */
  private retryStart(id: string, entry: Entry, start: () => Promise<RunningProcess>): void {
    entry.retry = setTimeout(async () => {
      if (this.closed || this.running.get(id) !== entry) return;
      try {
        const process = await start();
        if (this.closed || this.running.get(id) !== entry) {
          // Replaced or closed while it started: this one goes (a timer's failure must not reject unhandled).
          await process.stop().catch((error: unknown) => this.options.events.error(id, `did not stop cleanly: ${messageOf(error)}`));
          return;
        }
        this.running.set(id, { fingerprint: entry.fingerprint, process, status: process.status, ...(entry.current ? { current: entry.current } : {}) });
      } catch (error) {
        if (this.closed || this.running.get(id) !== entry) return;
        entry.status.lastError = { message: messageOf(error), at: new Date().toISOString() };
        this.retryStart(id, entry, start);
      }
    }, this.options.startRetryMs ?? START_RETRY_MS);
    entry.retry.unref();
  }

  /** Every process's state, counters, last error and lag. */
  async report(): Promise<ProcessReport[]> {
    const entries = [...this.running.values()];
    if (this.kafka) this.lagProbe ??= new LagProbe(this.kafka, this.options.lagMaxAgeMs);
    const lags = this.lagProbe ? await this.lagProbe.lags(entries.flatMap((entry) => (entry.process ? [entry.process] : []))) : new Map<string, number>();
    return entries.map((entry) => ({ ...entry.status, ...(lags.has(entry.status.id) ? { lag: lags.get(entry.status.id)! } : {}) }));
  }

  /** Stops every process (each commits what it inserted or produced), then the shared producer. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const entries = [...this.running.values()];
    this.running.clear();
    for (const entry of entries) clearTimeout(entry.retry);
    await this.settle(entries.flatMap((entry) => (entry.process ? [{ id: entry.status.id, done: entry.process.stop() }] : [])));
    await this.python?.close();
    await this.lagProbe?.close();
    await this.producer?.disconnect().catch((error: unknown) => this.options.events.error("processes", `the shared producer did not disconnect: ${messageOf(error)}`));
  }

  /** Waits for every stop; one that fails is reported and does not keep the others (or their successors) waiting. */
  private async settle(stops: Array<{ id: string; done: Promise<void> }>): Promise<void> {
    const outcomes = await Promise.allSettled(stops.map((stop) => stop.done));
    outcomes.forEach((outcome, index) => {
      if (outcome.status === "rejected") this.options.events.error(stops[index]!.id, `did not stop cleanly: ${messageOf(outcome.reason)}`);
    });
  }

  /**
   * A Python app with transforms or consumers: a worker on the app's current code (the previous one
   * finishes its batch in flight). Returns why it could not start; the processes needing it fail to start.
   */
  private async reloadPython(manifest: Components): Promise<string | undefined> {
    const { projectDir, events } = this.options;
    const needed = Object.values(manifest.processes).some((spec) => spec.kind !== "sync");
    if (!needed || projectLanguage(projectDir) !== "python") {
      await this.python?.close();
      this.python = undefined;
      return undefined;
    }
    this.pythonComponents = manifest;
    this.python ??= new PythonFunctions({ projectDir, components: () => this.pythonComponents, onRestart: (reason) => events.error("processes", reason) });
    try {
      await this.python.reload();
      return undefined;
    } catch (error) {
      return `the Python worker did not start: ${messageOf(error)}`;
    }
  }

  /** Records the broker deleted before a process read them are lost to it: said, never silently skipped. */
  private reportOffsetReset({ groupId, topic, partition }: OffsetReset): void {
    for (const entry of this.running.values()) {
      if (entry.process?.groupId !== groupId) continue;
      recordError(
        entry.status,
        this.options.events,
        `records of ${topic}[${partition}] it had not read are no longer on the broker (deleted by the topic's retention or deleteRecords, or the topic was created again): it goes on from the oldest record there`,
      );
    }
  }

  private async clients(): Promise<{ kafka: Kafka; producer: Producer }> {
    this.kafka ??= openStreamsKafka(this.options.config.redpanda_config, "moose-ts-processes", (reset) => this.reportOffsetReset(reset));
    if (!this.producer) {
      const producer = openProcessProducer(this.kafka);
      await producer.connect();
      this.producer = producer;
    }
    return { kafka: this.kafka, producer: this.producer };
  }

  private async start(id: string, spec: ProcessSpec, manifest: Components, run: ProcessFunction | undefined, runBatch?: BatchFunction): Promise<RunningProcess> {
    const { config, projectDir, driver, events } = this.options;
    const { kafka, producer } = await this.clients();
    const redpanda = config.redpanda_config;
    const topicOf = (streamId: string) => brokerTopicName(redpanda.namespace, manifest.streams[streamId]?.name ?? streamId);
    const source = manifest.streams[spec.source];
    // `manifest` is what is applied (moose dev: the local state), so a component whose creation failed is missing too.
    if (!source) throw new Error(`its source stream "${spec.source}" does not exist: the app has none of that name, or creating it failed`);
    const common = {
      id,
      groupId: processGroupId(projectDir, redpanda.namespace, id),
      topic: topicOf(spec.source),
      kafka,
      producer,
      events,
      ...(spec.deadLetterQueue ? { deadLetterTopic: topicOf(spec.deadLetterQueue) } : {}),
    };
    if (spec.kind === "sync") {
      const table = spec.destination === undefined ? undefined : manifest.tables[spec.destination];
      if (!table) throw new Error(`its destination table "${spec.destination ?? ""}" does not exist: the app has none of that name, or creating it failed`);
      return startSync({ ...common, table, driver, batchSize: redpanda.sync_batch_size, batchTimeoutMs: redpanda.sync_batch_timeout_ms });
    }
    if (!run) throw new Error(`the app registered no function for ${id}`);
    const destination =
      spec.kind !== "transform" || spec.destination === undefined
        ? undefined
        : spec.destination === MULTI_DESTINATION
          ? {
              // A message routed to a stream the app does not have fails its record (dead-lettered), not the process.
              topicOf: (streamId: string) => {
                if (!manifest.streams[streamId]) throw new Error(`a message was routed to stream "${streamId}", which is not a stream of the app`);
                return topicOf(streamId);
              },
            }
          : { topic: topicOf(spec.destination) };
    return startFunctionProcess({ ...common, kind: spec.kind, run, ...(runBatch ? { runBatch } : {}), retries: redpanda.process_retries, ...(destination ? { destination } : {}) });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What a running process depends on: a change in any of it restarts the process. */
function fingerprint(spec: ProcessSpec, manifest: Components, config: Config): string {
  const { location: _location, ...rest } = spec;
  return canonicalJson({
    spec: rest,
    table: spec.kind === "sync" && spec.destination !== undefined ? (manifest.tables[spec.destination]?.columns ?? null) : null,
    namespace: config.redpanda_config.namespace,
  });
}

/**
 * `moose dev`: local infrastructure that follows the code. Start-up: config → Kafka check (when
 * streaming is on) → embedded ClickHouse in `.moose/clickhouse`, served over HTTP on
 * clickhouse_config.host_port → the app's API server → the first build, planned against the local
 * state and applied → ready line. Then every save (debounced, serialized) reloads (./reload.ts);
 * after each good build the stream processes follow the applied state (./processes.ts).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "smol-toml";
import { CONFIG_FILE_NAME, loadConfig } from "../config/load.js";
import type { Config } from "../config/types.js";
import { isMooseError, MooseError } from "../errors.js";
import { createIncrementalExtractor } from "../extract/index.js";
import { openEmbedded } from "../infra/clickhouse/embedded.js";
import { serveClickHouseHttp } from "../infra/clickhouse/http-endpoint.js";
import type { KafkaAdmin } from "../infra/kafka/executor.js";
import { logEvent } from "../logs/logger.js";
import { startDevApiServer } from "./api-server.js";
import { DraftWriter } from "./draft.js";
import { startDevProcesses } from "./processes.js";
import { clock, describeError, paint, type DevOutput } from "./output.js";
import { createReloadQueue } from "./queue.js";
import { Reloader, type DataLossPolicy } from "./reload.js";
import { RowProgressView } from "../cli/progress.js";
import { localBrokerPort, ownsBroker, startLocalKafka, stopHandle, type LocalKafka } from "./kafka-local.js";
import { removeRunning, writeRunning } from "./running.js";
import { DevStateStore, type StateOrigin } from "./state.js";
import { watchProject } from "./watch.js";
import { rlsPassword, rowPoliciesOf } from "../infra/clickhouse/row-policies.js";
import type { Manifest, RowPolicySpec } from "../manifest/types.js";

/**
 * Editors write a file in several steps, and "save all" writes several files within a few ms; wait
 * this long after the last event before reloading. Short, because it is part of every save's latency:
 * a save caught half-written is not applied when it would delete rows (reload.ts, `superseded`),
 * and an empty file waits for its content (watch.ts).
 */
export const DEFAULT_DEBOUNCE_MS = 20;

export interface DevOptions {
  projectDir: string;
  env?: NodeJS.ProcessEnv;
  output: DevOutput;
  debounceMs?: number;
  /** Changes that delete or rewrite rows: ask, refuse, or apply (default: refuse, the non-interactive choice). */
  dataLoss?: DataLossPolicy;
  /** Start a local Kafka or Temporal when none answers at a local address (default true; `--no-infra`: false). */
  startServices?: boolean;
  /** Print every ingest request's records and every record a transform or consumer handles (`--log-payloads`). */
  logPayloads?: boolean;
}

export interface DevSession {
  clickhouseUrl: string;
  apiUrl: string;
  /** Stops watching, waits for a running reload, closes the servers, Kafka and the database. */
  close(): Promise<void>;
}

export function embeddedDataDir(projectDir: string): string {
  return path.join(projectDir, ".moose", "clickhouse");
}

export async function startDev(options: DevOptions): Promise<DevSession> {
  const started = performance.now();
  const projectDir = path.resolve(options.projectDir);
  const env = options.env ?? process.env;
  const { output } = options;
  const config = await loadConfig(projectDir, env);

  // Everything opened so far, closed in reverse order if start-up fails or on shutdown.
  const closers: Array<{ name: string; close: () => Promise<void> | void }> = [];
  const closeAll = async () => {
    for (const { name, close } of closers.reverse()) {
      try {
        await close();
      } catch (error) {
        output.error(`while closing ${name}: ${describeError(error, output.debug)}`);
      }
    }
    closers.length = 0;
  };

  try {
    let kafka: KafkaAdmin | undefined;
    let startedBroker = false;
    let adoptedBroker: LocalKafka | undefined;
    if (config.features.streaming_engine) {
      // Loaded here: kafkajs is ≈ 0.05 s of every start, and a dev with streaming off never uses it.
      const { openKafkaAdmin } = await import("../infra/kafka/executor.js");
      const admin = openKafkaAdmin(config.redpanda_config);
      const port = localBrokerPort(config.redpanda_config.broker);
      const probe = await brokerReachable(admin);
      const reachable = probe === true;
      if (!reachable) {
        await admin.close();
        // Nothing answers at a local address: bring up the repository's broker there, as MooseStack's dev starts its own.
        if (port === undefined || options.startServices === false) throw unreachableError(config, probe);
        output.info(`Kafka: nothing answers at ${config.redpanda_config.broker} (redpanda_config.broker); starting a local broker there`);
        const local = await startLocalKafka({ projectDir, port, info: output.info });
        closers.push({ name: "the local Kafka broker", close: () => local.stop() });
        startedBroker = true;
      } else if (port !== undefined && ownsBroker(projectDir, port)) {
        // A broker an earlier (crashed) moose dev of this project started: stopped with this one, once
        // this one holds the project's data directory (below). Until then it may be another dev's, still running.
        adoptedBroker = stopHandle(projectDir, port, config.redpanda_config.broker);
        startedBroker = true;
      }
      const connected = reachable ? admin : openKafkaAdmin(config.redpanda_config);
      closers.push({ name: "the Kafka admin client", close: () => connected.close() });
      if (!reachable) await checkBroker(connected, config);
      kafka = connected;
    }

    const extractor = createIncrementalExtractor(projectDir);
    closers.push({ name: "the extractor", close: () => extractor.close() });

    // [features] workflows: a Temporal (started locally when none answers) and the project's worker.
    const pythonManifest = extractor.pythonManifest;
    const workflows = config.features.workflows
      ? await (await import("../workflows/dev.js")).startDevWorkflows({ projectDir, config, info: output.info, startServices: options.startServices !== false, ...(pythonManifest ? { python: { latest: pythonManifest } } : {}) })
      : undefined;
    if (workflows) closers.push({ name: "the Temporal worker", close: () => workflows.close() });

    const driver = await openEmbedded({ dataDir: embeddedDataDir(projectDir), database: config.clickhouse_config.db_name });
    closers.push({ name: "the embedded ClickHouse", close: () => driver.close() });
    if (adoptedBroker) closers.push({ name: "the local Kafka broker", close: () => adoptedBroker.stop() });
    // Stopped before the engine and the broker: each process commits what it stored, then disconnects.
    const processes = await startDevProcesses({ projectDir, config, driver, output, logPayloads: options.logPayloads === true });
    closers.push({ name: "the stream processes", close: () => processes.close() });

    const { user, password, host_port: port, rls_user } = config.clickhouse_config;
    // The RLS user reads through the row policies applied so far (the reloader exists once the state is loaded).
    let appliedRowPolicies = (): RowPolicySpec[] => [];
    const rowPolicies = { user: rls_user, password: rlsPassword(config.clickhouse_config, password), policies: () => appliedRowPolicies() };
    const endpoint = await serveClickHouseHttp(driver, { host: "127.0.0.1", port, user, password, rowPolicies });
    closers.push({ name: "the ClickHouse HTTP endpoint", close: () => endpoint.close() });
    // Other commands on this project (ls, migrate --embedded) go through the endpoint while dev holds the data directory.
    writeRunning(projectDir, { kind: "dev", clickhouseUrl: endpoint.url, database: config.clickhouse_config.db_name });
    closers.push({ name: ".moose/running.json", close: () => removeRunning(projectDir) });

    const progressView = new RowProgressView(output.progress ?? "lines", (line) => output.info(line));
    const store = await DevStateStore.open(driver);
    const loaded = await store.load();
    // Files saved since the running reload began (the watcher fills it, each reload takes it).
    const changedFiles = new Set<string>();
    const reloader = new Reloader({
      projectDir,
      superseded: () => changedFiles.size > 0,
      streaming: config.features.streaming_engine,
      extractor,
      store,
      // Data loss is applied only when allowed (dataLoss), and said so for every such change.
      targets: {
        clickhouse: driver,
        kafka,
        temporal: workflows?.schedules,
        log: (message) => output.info(`  ${message}`),
        // A table rebuild's copy: a bar on a terminal, a line per quarter elsewhere.
        onProgress: (progress) => progressView.update(progress),
        allowDataLoss: true,
      },
      draft: new DraftWriter(projectDir),
      output,
      initialState: kafka ? await withTopicsOnBroker(loaded.manifest, kafka) : loaded.manifest,
      dataLoss: options.dataLoss ?? { mode: "refuse" },
      showingProgress: () => progressView.active,
      outsideWrites: () => endpoint.writes(),
      // Reloads start after the API server below is up.
      onBuilt: async (manifest) => {
        await apiServer.reloadApis(manifest, extractor.pythonWebApps?.());
        await workflows?.reload();
        await processes.reload(manifest, reloader.state);
      },
    });
    appliedRowPolicies = () => rowPoliciesOf(reloader.state);
    // After the last reload (closers run in reverse): the draft of the last change is written before dev exits.
    closers.push({ name: "migrations/draft.ts", close: () => reloader.flushDraft() });
    const apiServer = await startDevApiServer({
      projectDir,
      config,
      driver,
      kafka,
      state: () => reloader.state,
      processes: () => processes.report(),
      showError: (text) => output.error(text),
      ...(options.logPayloads ? { logPayload: (text: string) => output.info(paint(output, "dim", text)) } : {}),
    });
    closers.push({ name: "the API server", close: () => apiServer.close() });
    writeRunning(projectDir, { kind: "dev", clickhouseUrl: endpoint.url, apiUrl: apiServer.url, database: config.clickhouse_config.db_name });

    let firstBuild = true;
    const queue = createReloadQueue(
      async () => {
        const files = [...changedFiles];
        changedFiles.clear();
        if (firstBuild) {
          firstBuild = false;
          await reloader.reload("initial build");
          return;
        }
        output.info(paint(output, "dim", `[${clock()}] changed: ${files.slice(0, 3).join(", ")}${files.length > 3 ? ` and ${files.length - 3} more` : ""}`));
        await reloader.reload("reload");
      },
      options.debounceMs ?? DEFAULT_DEBOUNCE_MS,
      (error) => output.error(describeError(error, output.debug)),
    );
    closers.push({ name: "the reload queue", close: () => queue.close() });

    // Watching starts before the first build, so a save during it queues a reload instead of being lost.
    const watcher = await watchProject(
      projectDir,
      (file) => {
        if (file === CONFIG_FILE_NAME) {
          output.info(paint(output, "yellow", `${CONFIG_FILE_NAME} changed: restart moose dev (Ctrl-C, then run it again) to use the new settings`));
          return;
        }
        changedFiles.add(file);
        queue.trigger();
      },
      (error) => output.error(`file watcher: ${describeError(error, output.debug)}`),
    );
    closers.push({ name: "the file watcher", close: () => watcher.close() });

    output.info(stateLine(loaded.origin));
    await queue.runNow();
    // After the first build: the worker has the code the restored schedules start.
    await workflows?.restoreSchedules(reloader.state);

    const credentials = await credentialsSource(projectDir, env);
    const readyMs = Math.round(performance.now() - started);
    output.info(
      paint(output, "green", `✓ moose dev ready in ${readyMs} ms`) +
        `\n  ClickHouse  ${endpoint.url}  database ${config.clickhouse_config.db_name}, user ${user} (credentials from ${credentials})` +
        `\n  API         ${apiServer.url}/api/<name>` +
        (apiServer.webAppPaths().length > 0 ? `\n  WebApps     ${apiServer.webAppPaths().map((mountPath) => apiServer.url + mountPath).join(", ")}` : "") +
        (kafka ? `\n  Kafka       ${config.redpanda_config.broker}${startedBroker ? " (local broker started by moose dev, data in .moose/kafka)" : ""}` : "") +
        (workflows ? `\n  Temporal    ${workflows.address}  task queue ${workflows.taskQueue}${workflows.local ? ` (${workflows.local.kind === "java-test-server" ? "Java test server" : "Temporal CLI dev server"} started by moose dev)` : ""}` : "") +
        `\n  watching ${projectDir} — Ctrl-C to stop`,
    );
    logEvent(projectDir, { kind: "reload", message: "moose dev ready", durationMs: readyMs, details: { clickhouse: endpoint.url, api: apiServer.url } });

    return {
      clickhouseUrl: endpoint.url,
      apiUrl: apiServer.url,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

function stateLine(origin: StateOrigin): string {
  switch (origin) {
    case "dev":
      return "local state: resuming from the last `moose dev` run (only what changed since is applied)";
    case "migrations":
      return "local state: starting from the migrations applied with `moose migrate up --embedded`";
    case "empty":
      return "local state: new local database";
  }
}

/**
 * The state without the streams whose topics the broker does not have, so the first build creates
 * them again: the local broker `moose dev` starts is new each time (its data goes when dev stops),
 * and any broker may have lost a topic since the last run. Externally managed streams stay as they are.
 */
async function withTopicsOnBroker(state: Manifest, kafka: KafkaAdmin): Promise<Manifest> {
  const managed = Object.entries(state.streams).filter(([, stream]) => stream.lifeCycle !== "EXTERNALLY_MANAGED");
  if (managed.length === 0) return state;
  const present = new Set((await kafka.describeTopics(managed.map(([, stream]) => stream.name))).map((topic) => topic.name));
  const missing = managed.filter(([, stream]) => !present.has(stream.name));
  if (missing.length === 0) return state;
  const streams = { ...state.streams };
  for (const [id] of missing) delete streams[id];
  return { ...state, streams };
}

/** true when the broker answers; the KAFKA_UNREACHABLE error when it does not. */
async function brokerReachable(kafka: KafkaAdmin): Promise<true | MooseError> {
  try {
    await kafka.describeTopics([]);
    return true;
  } catch (error) {
    if (!isMooseError(error) || error.code !== "KAFKA_UNREACHABLE") throw error;
    return error;
  }
}

/** Forces the Kafka admin to connect, so a missing broker is reported at start-up, not on the first topic. */
async function checkBroker(kafka: KafkaAdmin, config: Config): Promise<void> {
  const reachable = await brokerReachable(kafka);
  if (reachable !== true) throw unreachableError(config, reachable);
}

function unreachableError(config: Config, error: MooseError): MooseError {
  const broker = config.redpanda_config.broker;
  const port = localBrokerPort(broker);
  return new MooseError(
      "DEV_KAFKA_UNREACHABLE",
    `moose dev cannot reach the Kafka broker at ${broker} (redpanda_config.broker), needed because [features] streaming_engine = true: ${error.message}`,
    {
      config: { key: "redpanda_config.broker" },
      hint:
        (port === undefined
          ? `moose dev starts a local broker itself only for an address on this machine (localhost:<port>); ${broker} is not one: start the broker there, `
          : `the local broker moose dev started on port ${port} does not answer (its logs: .moose/kafka/${port}/logs); `) +
        "or point redpanda_config.broker (MOOSE_REDPANDA_CONFIG__BROKER) at a running one, " +
        "or turn streaming off with `[features] streaming_engine = false` in moose.config.toml (MOOSE_FEATURES__STREAMING_ENGINE=false)",
      details: { broker },
      cause: error,
    },
  );
}

/** Where the ClickHouse user and password come from, for the ready line (never the password itself). */
async function credentialsSource(projectDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const keys = ["user", "password"] as const;
  const variables = keys.filter((key) => env[`MOOSE_CLICKHOUSE_CONFIG__${key.toUpperCase()}`] !== undefined);
  const file = path.join(projectDir, CONFIG_FILE_NAME);
  let inFile: string[] = [];
  if (existsSync(file)) {
    const section = (parse(await readFile(file, "utf8")) as { clickhouse_config?: Record<string, unknown> }).clickhouse_config ?? {};
    inFile = keys.filter((key) => section[key] !== undefined && !variables.includes(key));
  }
  const sources = [
    ...variables.map((key) => `MOOSE_CLICKHOUSE_CONFIG__${key.toUpperCase()}`),
    ...(inFile.length > 0 ? [`${CONFIG_FILE_NAME} [clickhouse_config] ${inFile.join("/")}`] : []),
  ];
  const defaults = keys.filter((key) => !variables.includes(key) && !inFile.includes(key));
  if (defaults.length > 0) sources.push(`the built-in default ${defaults.join("/")}`);
  return sources.join(", ");
}

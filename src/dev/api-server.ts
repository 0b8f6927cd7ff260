/**
 * The app's HTTP server in `moose dev` (src/server): `/api/*` served from the live Api objects of the
 * latest good build, swapped in after every good save; `POST /ingest/*` for the ingest APIs of that
 * build (src/server/ingest.ts); the build's WebApps under their mount paths (src/server/web-apps.ts);
 * `/admin/*` answering from the local dev state; `/health` for the local ClickHouse (and Kafka when
 * streaming is on).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../config/types.js";
import { diffManifests } from "../diff/index.js";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import type { KafkaAdmin } from "../infra/kafka/executor.js";
import { openKafkaProducer } from "../infra/kafka/producer.js";
import { hashManifest } from "../manifest/canonical.js";
import type { Manifest } from "../manifest/types.js";
import { planToJson } from "../plan/json.js";
import type { Api } from "../sdk/api.js";
import { registryToManifest } from "../sdk/manifest.js";
import { getRegistry } from "../sdk/registry.js";
import { adminRoutes } from "../server/admin.js";
import { createMooseClient } from "../server/client.js";
import { consumptionRoutes } from "../server/consumption.js";
import { scopedClients } from "../server/row-scope.js";
import { rowPoliciesOf } from "../infra/clickhouse/row-policies.js";
import { apiAuthFrom, type Caller } from "../server/api-auth.js";
import { startMooseServer, type Reply, type RequestFailure } from "../server/http.js";
import { ingestRoutes, type IngestHandler } from "../server/ingest.js";
import { PYTHON_WORKER_STOPPED, startPythonWorkerIfServing, type PythonApiWorker } from "../server/python-worker.js";
import type { PythonWebApp } from "../extract/build-cache.js";
import { pythonWebAppRouter, webAppRouter, type WebAppRouter } from "../server/web-apps.js";
import type { WebApp } from "../sdk/web-app.js";
import { sql } from "../sdk/sql.js";
import { projectLanguage } from "../extract/python/language.js";
import { readLiveStreams } from "../server/live-state.js";
import { compareWithReality } from "../server/reality-check.js";
import type { ProcessReport } from "../streams/supervisor.js";
import { payloadText, printable } from "./output.js";

type ConsumptionHandler = (path: string, query: URLSearchParams, caller: Caller) => Promise<Reply | undefined>;

/** How long /health waits for the broker (a client probing it gives up after a few seconds). */
const HEALTH_KAFKA_MS = 2000;

export interface DevApiServer {
  url: string;
  /**
   * Serves the Api objects and WebApps the latest build registered. Called right after a good extraction: the
   * in-process build left the app's live objects in the process-wide registry (the same objects
   * `loadApp` returns, without building the app a second time). A Python app's run in its worker,
   * started when it has APIs or WebApps (`pythonWebApps`: what the extraction found).
   */
  reloadApis(manifest?: Manifest, pythonWebApps?: readonly PythonWebApp[]): Promise<void>;
  /** The mount paths of the WebApps served now. */
  webAppPaths(): string[];
  close(): Promise<void>;
}

export interface DevApiServerOptions {
  projectDir: string;
  config: Config;
  driver: ClickHouseDriver;
  kafka?: KafkaAdmin;
  /** The local dev state (what /admin/inframap shows). */
  state: () => Manifest;
  /** The stream processes, for /health. */
  processes?: () => Promise<ProcessReport[]>;
  /** Where a handler's error is shown (the terminal); it is in the log either way. */
  showError?: (text: string) => void;
  /** Shows each ingest request's records (`moose dev --log-payloads`). */
  logPayload?: (text: string) => void;
}

export async function startDevApiServer(options: DevApiServerOptions): Promise<DevApiServer> {
  const { config, driver, kafka } = options;
  const client = createMooseClient(driver);
  // A request's JWT scopes its queries by the row policies applied locally (the embedded engine emulates them).
  const scoped = scopedClients(() => rowPoliciesOf(options.state()), driver);
  let consumption: ConsumptionHandler = consumptionRoutes([], client);
  let webApps: WebAppRouter = webAppRouter([], { client, sql });
  let mountPaths: string[] = [];
  // Records go to the local topics when streaming is on (the syncs write the tables), else to the tables.
  const producer = kafka ? openKafkaProducer(config.redpanda_config) : undefined;
  let ingest: IngestHandler = Object.assign(async () => undefined, { has: () => false });
  const python = projectLanguage(options.projectDir) === "python";
  let pythonWorker: PythonApiWorker | undefined;
  // One probe of the broker at a time; /health answers within HEALTH_KAFKA_MS however long kafkajs's retries take.
  let kafkaProbe: Promise<string> | undefined;
  const kafkaHealth = (admin: KafkaAdmin): Promise<string> => {
    kafkaProbe ??= admin
      .describeTopics([])
      .then(() => "ok", (error: Error) => error.message)
      .finally(() => (kafkaProbe = undefined));
    return Promise.race([kafkaProbe, sleep(HEALTH_KAFKA_MS, `no answer from the broker within ${HEALTH_KAFKA_MS / 1000} s`, { ref: false })]);
  };

  const server = await startMooseServer({
    host: config.http_server_config.host,
    port: config.http_server_config.port,
    projectDir: options.projectDir,
    adminApiKey: config.authentication.admin_api_key,
    apiAuth: apiAuthFrom(config),
    health: async () => ({
      clickhouse: await driver.query("SELECT 1").then(() => "ok", (error: Error) => error.message),
      ...(kafka ? { kafka: await kafkaHealth(kafka) } : {}),
      ...(pythonWorker ? { python: pythonWorker.exited ? PYTHON_WORKER_STOPPED : "ok" } : {}),
    }),
    ...(options.processes ? { processes: options.processes } : {}),
    ...(options.showError ? { onFailure: handlerFailure(options.showError) } : {}),
    consumption: (path, query, caller) => consumption(path, query, caller),
    ingest: Object.assign(
      (path: string, body: unknown) => {
        options.logPayload?.(`  ingest /ingest/${path}: ${payloadText(body)}`);
        return ingest(path, body);
      },
      { has: (path: string) => ingest.has(path) },
    ),
    webApps: (request, response, url) => webApps(request, response, url),
    scoped,
    admin: adminRoutes({
      appliedManifest: async () => options.state(),
      plan: (from, to) => planToJson(diffManifests(from, to), { from: hashManifest(from), to: hashManifest(to) }),
      realityCheck: async () => {
        const applied = options.state();
        const streams = await readLiveStreams(config, applied);
        const clickhouse = await driver.introspect();
        return "streams" in streams
          ? { ...compareWithReality(applied, { clickhouse, streams: streams.streams }), topics: streams.topics }
          : compareWithReality(applied, { clickhouse }, streams.skipped);
      },
    }),
  });

  return {
    url: server.url,
    async reloadApis(manifest, pythonWebApps = []) {
      if (python && manifest) {
        // A Python app's handlers and WebApps run in a Python worker, restarted on the new code; the old one
        // serves until the new one is up (a worker that fails to start leaves the old routes).
        const next = await startPythonWorkerIfServing({ projectDir: options.projectDir, apis: manifest.apis, components: manifest, driver }, pythonWebApps);
        const previous = pythonWorker;
        pythonWorker = next;
        consumption = next ? (path, query, caller) => next.routes(path, query, caller) : consumptionRoutes([], client);
        webApps = next ? pythonWebAppRouter(next) : webAppRouter([], { client, sql });
        mountPaths = (next?.webApps ?? []).map((webApp) => webApp.mountPath).sort();
        await previous?.close();
      } else {
        // Compiling the routes validates every params schema: a bad one throws and the old routes stay.
        consumption = consumptionRoutes(getRegistry().list<Api<unknown>>("apis"), client, scoped);
        const apps = [...getRegistry().listOther<WebApp>("WebApp").values()];
        webApps = webAppRouter(apps, { client, sql }, scoped);
        mountPaths = apps.map((webApp) => webApp.config.mountPath).sort();
      }
      // Ingest is served from the build's manifest (language-blind: a Python app has no live objects here).
      ingest = ingestRoutes(manifest ?? registryToManifest(), { driver, producer });
    },
    webAppPaths: () => mountPaths,
    close: async () => {
      await server.close();
      await pythonWorker?.close();
      await producer?.close();
    },
  };
}

/** A handler's error as `moose dev` prints it: what failed, the request id, and the error with its stack. */
function handlerFailure(show: (text: string) => void) {
  return ({ method, path, requestId, error }: RequestFailure) => {
    const what = path.startsWith("/api/") ? "API_HANDLER_FAILED" : path.startsWith("/ingest/") ? "INGEST_FAILED" : "HANDLER_FAILED";
    const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    show(printable(`error ${what}: ${method ? `${method} ` : ""}${path}${requestId ? ` (request id ${requestId})` : ""}: ${detail}`));
  };
}

/**
 * `moose prod` as a function: open ClickHouse, make sure the database is at the code's state
 * (apply pending migrations only when asked), load the app in-process, run its stream processes
 * (src/streams) when streaming is on, serve it.
 *
 * The database is "behind the code" when migration files are not applied yet, or when the code
 * differs from the state the newest migration leads to (a change with no migration generated).
 * Either stops the start with exit 4, because serving APIs over a schema they were not written for
 * fails at request time instead.
 */
import { randomBytes } from "node:crypto";
import type { Config } from "../config/types.js";
import { diffManifests } from "../diff/index.js";
import { ExitCode, MooseError } from "../errors.js";
import { loadApp } from "../extract/load-app.js";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import { openEmbedded } from "../infra/clickhouse/embedded.js";
import { serveClickHouseHttp, type ClickHouseHttpEndpoint } from "../infra/clickhouse/http-endpoint.js";
import type { RawClickHouseDriver } from "../infra/clickhouse/raw.js";
import { removeRunning, writeRunning, type RunningInstance } from "../dev/running.js";
import { openRemote } from "../infra/clickhouse/remote.js";
import { parseClickHouseUrl } from "../infra/clickhouse/url.js";
import { openKafkaAdmin, type KafkaAdmin } from "../infra/kafka/executor.js";
import { openKafkaProducer, type KafkaProducer } from "../infra/kafka/producer.js";
import { logEvent, logTimed } from "../logs/logger.js";
import type { Manifest } from "../manifest/index.js";
import { bothReporters, logMigrationEvents } from "../logs/migration-events.js";
import { applyMigrations } from "../migrations/runner/apply.js";
import { silentReporter, type Reporter } from "../migrations/runner/events.js";
import { adminRoutes } from "./admin.js";
import { API_KEY_HASH_PATTERN } from "./auth.js";
import { createMooseClient } from "./client.js";
import { apiAuthFrom, openWebAppsWarning } from "./api-auth.js";
import { consumptionRoutes } from "./consumption.js";
import { scopedClients } from "./row-scope.js";
import { ensureRlsUser, rlsPassword, rowPoliciesOf } from "../infra/clickhouse/row-policies.js";
import type { RowPolicySpec } from "../manifest/types.js";
import { startMooseServer } from "./http.js";
import { ingestRoutes } from "./ingest.js";
import { PYTHON_WORKER_STOPPED, startPythonWorkerIfServing, type PythonApiWorker } from "./python-worker.js";
import { pythonWebAppRouter, webAppRouter } from "./web-apps.js";
import type { WebApp } from "../sdk/web-app.js";
import { sql } from "../sdk/sql.js";
import { createAdminBackend, readAppliedManifest } from "./live-state.js";
import type { ProdWorkflows } from "../workflows/prod.js";
import { processFunctions } from "../sdk/processes.js";
import type { RuntimeClickHouseConfig } from "../sdk/runtime/index.js";
import { setServedClickHouse } from "../sdk/runtime/served.js";
import { Supervisor } from "../streams/supervisor.js";

export type ClickHouseChoice = { embedded: true; dataDir: string } | { url: string } | { fromConfig: true };

export interface ProdOptions {
  projectDir: string;
  config: Config;
  clickhouse: ClickHouseChoice;
  /** Overrides `http_server_config.port` (0: any free port). */
  port?: number;
  /** Apply pending migrations before serving. */
  migrate?: boolean;
  /** With `migrate`: run steps that delete data. */
  allowDataLoss?: boolean;
  /** Progress of `migrate` (runner events). */
  reporter?: Reporter;
}

export interface ProdServer {
  url: string;
  port: number;
  /** Migrations applied at start. */
  applied: string[];
  /** What the operator should know about how the app is served (also in the log): `moose prod` prints them. */
  warnings: string[];
  close(): Promise<void>;
}

export async function startProdServer(options: ProdOptions): Promise<ProdServer> {
  const { projectDir, config } = options;
  checkAdminKey(config);
  const apiAuth = apiAuthFrom(config);
  const driver = await openClickHouse(options.clickhouse, config);
  let endpoint: ClickHouseHttpEndpoint | undefined;
  let credentials: EndpointCredentials | undefined;
  let kafka: KafkaAdmin | undefined;
  let producer: KafkaProducer | undefined;
  let pythonApis: PythonApiWorker | undefined;
  let worker: ProdWorkflows | undefined;
  let processes: Supervisor | undefined;
  let rlsDriver: ClickHouseDriver | undefined;
  let servedRowPolicies: RowPolicySpec[] = [];
  try {
    if ("embedded" in options.clickhouse) {
      // The embedded engine is bound to this process: other commands on the project (`moose ls`,
      // `moose migrate status --embedded`) reach it over the ClickHouse HTTP interface, on a free
      // loopback port recorded in .moose/running.json with a password made for this run: the
      // engine runs as this process (chdb reads and writes any file it may), so it must not answer
      // to the well-known credentials of moose.config.toml.
      credentials = { user: config.clickhouse_config.user, password: randomBytes(24).toString("base64url") };
      // The app's getMooseUtils({ rlsContext }) reads as the RLS user, through the app's row policies (known once it is loaded).
      const rowPolicies = { user: config.clickhouse_config.rls_user, password: rlsPassword(config.clickhouse_config, credentials.password), policies: () => servedRowPolicies };
      endpoint = await serveClickHouseHttp(driver as RawClickHouseDriver, { host: "127.0.0.1", port: 0, ...credentials, rowPolicies });
      writeRunning(projectDir, { kind: "prod", clickhouseUrl: endpoint.url, credentials, database: config.clickhouse_config.db_name });
    }
    // The app's own clients (getMooseUtils, OlapTable.insert, MooseCache) reach the database served here.
    setServedClickHouse(servedClickHouseOf(options.clickhouse, endpoint && credentials ? { endpoint, credentials } : undefined));
    kafka = config.features.streaming_engine ? openKafkaAdmin(config.redpanda_config) : undefined;
    const applied = await bringDatabaseToCode(options, driver, kafka);
    const app = await logTimed(projectDir, "build", "load app", () => loadApp(projectDir));
    await refuseUnmigratedCode(driver, app.manifest);
    // A Python app's Api handlers run in a Python worker (./python-worker.ts).
    pythonApis = app.language === "python" ? await startPythonWorkerIfServing({ projectDir, apis: app.manifest.apis, components: app.manifest, driver }, app.pythonWebApps) : undefined;
    const served = pythonApis;
    // [features] workflows: the project's Temporal worker runs the app's workflows (schedules come from migrations).
    if (config.features.workflows && Object.keys(app.manifest.workflows).length > 0) {
      const workflowApp = app.language === "python" ? { language: "python" as const, manifest: app.manifest } : { language: "typescript" as const, workflows: app.workflows };
      worker = await (await import("../workflows/prod.js")).startProdWorkflows(projectDir, config, workflowApp);
    }
    producer = config.features.streaming_engine ? openKafkaProducer(config.redpanda_config) : undefined;
    // Every stream process of the app (its code equals the applied state, checked above).
    if (config.features.streaming_engine && Object.keys(app.manifest.processes).length > 0) {
      processes = new Supervisor({ projectDir, config, driver, events: { error: (id, message, details) => logEvent(projectDir, { kind: "process", level: "error", message: `${id}: ${message}`, details: { process: id, ...details } }) } });
      const started = await processes.reconcile(app.manifest, processFunctions(app.registry));
      logEvent(projectDir, { kind: "process", message: `stream processes started`, details: { ...started } });
      for (const { id, message } of started.notRun) logEvent(projectDir, { kind: "process", level: "warn", message: `${id}: not run: ${message}`, details: { process: id } });
    }
    const supervisor = processes;
    const client = createMooseClient(driver);
    const policies = (servedRowPolicies = rowPoliciesOf(app.manifest));
    if (policies.length > 0 && driver.kind === "remote") rlsDriver = await openRlsConnection(options.clickhouse, config, driver);
    const scoped = policies.length > 0 ? scopedClients(() => policies, rlsDriver ?? driver) : undefined;
    const warnings: string[] = [];
    if (policies.length > 0 && config.jwt.secret.trim() === "") {
      warnings.push("the app has row policies, which need a JWT's claims, but [jwt] secret is not set: every /api and WebApp request is refused (403)");
    }
    const webAppPaths = served ? served.webApps.map((webApp) => webApp.mountPath) : [...app.registry.listOther<WebApp>("WebApp").values()].map((webApp) => webApp.config.mountPath);
    const openWebApps = openWebAppsWarning(apiAuth.consumption, webAppPaths);
    if (openWebApps !== undefined) warnings.push(openWebApps);
    for (const warning of warnings) logEvent(projectDir, { kind: "server", level: "warn", message: warning });

    const server = await startMooseServer({
      host: config.http_server_config.host,
      port: options.port ?? config.http_server_config.port,
      projectDir,
      adminApiKey: config.authentication.admin_api_key,
      apiAuth,
      health: async () => ({ clickhouse: await probe(driver), ...(served ? { python: served.exited ? PYTHON_WORKER_STOPPED : "ok" } : {}) }),
      ...(supervisor ? { processes: () => supervisor.report() } : {}),
      consumption: served ? (path, query, caller) => served.routes(path, query, caller) : consumptionRoutes([...app.apis.values()], client, scoped),
      webApps: served ? pythonWebAppRouter(served) : webAppRouter(app.registry.listOther<WebApp>("WebApp").values(), { client, sql }, scoped),
      ...(scoped ? { scoped } : {}),
      ingest: ingestRoutes(app.manifest, { driver, producer }),
      admin: adminRoutes(createAdminBackend(config, driver)),
    });
    // `moose ls` asks this server's /health for the processes' state.
    if (endpoint) writeRunning(projectDir, { kind: "prod", clickhouseUrl: endpoint.url, credentials, apiUrl: server.url, database: config.clickhouse_config.db_name });
    logEvent(projectDir, {
      kind: "server",
      message: `moose prod listening on ${server.url}`,
      details: { apis: served ? Object.keys(app.manifest.apis) : [...app.apis.keys()], webApps: webAppPaths, clickhouse: driver.kind, database: driver.database, migrationsApplied: applied },
    });
    return {
      url: server.url,
      port: server.port,
      applied,
      warnings,
      close: async () => {
        await server.close();
        // Each process commits what it stored, before the broker clients and the engine close.
        await supervisor?.close();
        await worker?.stop();
        await served?.close();
        await producer?.close();
        await kafka?.close();
        removeRunning(projectDir);
        setServedClickHouse(undefined);
        await endpoint?.close();
        await rlsDriver?.close();
        await driver.close();
        logEvent(projectDir, { kind: "server", message: "moose prod stopped" });
      },
    };
  } catch (error) {
    await processes?.close();
    await worker?.stop();
    await pythonApis?.close();
    await producer?.close();
    await kafka?.close();
    if (endpoint) removeRunning(projectDir);
    setServedClickHouse(undefined);
    await endpoint?.close();
    await rlsDriver?.close();
    await driver.close();
    throw error;
  }
}

/** A configured key that is not a hash-token key would refuse every request: say so at start. */
function checkAdminKey(config: Config): void {
  const key = config.authentication.admin_api_key;
  if (key !== "" && !API_KEY_HASH_PATTERN.test(key)) {
    throw new MooseError("ADMIN_API_KEY_INVALID", "authentication.admin_api_key is not a key hash from `moose generate hash-token` (40 hex characters)", {
      config: { key: "authentication.admin_api_key" },
      hint: "run `moose generate hash-token` and set the printed API key hash (not the bearer token) here or in MOOSE_AUTHENTICATION__ADMIN_API_KEY",
    });
  }
}

/** The embedded engine's HTTP endpoint (same credentials and database as the config), or the parts of --clickhouse-url; undefined for [clickhouse_config] itself. */
function servedClickHouseOf(choice: ClickHouseChoice, served: { endpoint: ClickHouseHttpEndpoint; credentials: EndpointCredentials } | undefined): Partial<RuntimeClickHouseConfig> | undefined {
  if (served) return { host: "127.0.0.1", port: String(served.endpoint.port), useSSL: false, username: served.credentials.user, password: served.credentials.password };
  if (!("url" in choice)) return undefined;
  const { host, port, user, password, database, url } = parseClickHouseUrl(choice.url);
  return { host, port: String(port), username: user, password, database, useSSL: url.startsWith("https:") };
}

type EndpointCredentials = NonNullable<RunningInstance["credentials"]>;

async function openClickHouse(choice: ClickHouseChoice, config: Config): Promise<ClickHouseDriver> {
  if ("embedded" in choice) return openEmbedded({ dataDir: choice.dataDir, database: config.clickhouse_config.db_name });
  if ("url" in choice) return openRemote({ url: choice.url });
  return openRemote({ config: config.clickhouse_config });
}

/**
 * The connection row-policy scoped queries use on a server: as clickhouse_config.rls_user (its
 * password: rls_password, else the main user's), set up first with the policies' role.
 */
async function openRlsConnection(choice: ClickHouseChoice, config: Config, main: ClickHouseDriver): Promise<ClickHouseDriver> {
  const user = config.clickhouse_config.rls_user;
  const mainLogin = "url" in choice ? parseClickHouseUrl(choice.url) : config.clickhouse_config;
  if (mainLogin.user === user) {
    throw new MooseError("CONFIG_INVALID_VALUE", `clickhouse_config.rls_user is ${JSON.stringify(user)}, the user of the ClickHouse URL; it must be a user of its own`, {
      config: { key: "clickhouse_config.rls_user" },
      hint: "the policies' role would filter that user's every query: name another user for row-policy scoped queries",
    });
  }
  const password = rlsPassword(config.clickhouse_config, mainLogin.password);
  await ensureRlsUser(main, user, password);
  if ("url" in choice) {
    const url = new URL(choice.url);
    url.username = encodeURIComponent(user);
    url.password = encodeURIComponent(password);
    // The RLS user's login replaces the main one, however the URL gave it.
    url.searchParams.delete("user");
    url.searchParams.delete("password");
    return openRemote({ url: url.toString() });
  }
  return openRemote({ config: { ...config.clickhouse_config, user, password } });
}

/** Applies pending migrations when asked; otherwise refuses when there are any. Returns the ids applied. */
async function bringDatabaseToCode(options: ProdOptions, driver: ClickHouseDriver, kafka: KafkaAdmin | undefined): Promise<string[]> {
  const { projectDir } = options;
  const dir = options.config.migration_config.dir;
  const pending = (await applyMigrations({ projectDir, dir, driver, dryRun: true, allowDataLoss: true })).migrations;
  if (pending.length === 0) return [];
  if (!options.migrate) {
    throw new MooseError(
      "PROD_DATABASE_BEHIND",
      `the database is ${pending.length} migration${pending.length === 1 ? "" : "s"} behind the code: ${pending.join(", ")}`,
      {
        exitCode: ExitCode.conflict,
        hint: "apply them first (`moose migrate up` against this database), or start with --migrate",
        details: { pending },
      },
    );
  }
  // On a cluster, the journal and lock every replica shares (docs/clusters.md).
  const { openJournalCluster } = await import("../migrations/runner/cluster-stores.js");
  const temporal = (await import("../workflows/index.js")).openTemporalSteps(options.config, projectDir);
  let clusterStores: Awaited<ReturnType<typeof openJournalCluster>>;
  try {
    // Opened inside the try, so temporal is closed when it fails, and it is closed when anything after it fails.
    clusterStores = await openJournalCluster(options.config, driver, "url" in options.clickhouse ? { url: options.clickhouse.url } : { config: options.config.clickhouse_config });
    const result = await applyMigrations({
      projectDir,
      dir,
      driver,
      kafka,
      temporal,
      stores: clusterStores?.stores,
      clusterHosts: clusterStores?.hosts,
      allowDataLoss: options.allowDataLoss,
      reporter: bothReporters(options.reporter ?? silentReporter, logMigrationEvents(projectDir)),
    });
    return result.migrations;
  } finally {
    await temporal?.close();
    await clusterStores?.close();
  }
}

async function refuseUnmigratedCode(driver: ClickHouseDriver, code: Manifest): Promise<void> {
  const applied = await readAppliedManifest(driver);
  const { operations, blocked } = diffManifests(applied, code);
  const changes = [...operations.map((operation) => operation.summary), ...blocked.map((change) => change.summary)];
  if (changes.length === 0) return;
  throw new MooseError(
    "PROD_CODE_NOT_MIGRATED",
    `the code differs from the database's applied state by changes no migration contains:\n  ${changes.join("\n  ")}`,
    {
      exitCode: ExitCode.conflict,
      hint: "generate a migration for them (`moose migrate generate`), commit it, and deploy it with `moose migrate up` or --migrate",
      details: { changes },
    },
  );
}

async function probe(driver: ClickHouseDriver): Promise<string> {
  try {
    await driver.query("SELECT 1");
    return "ok";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

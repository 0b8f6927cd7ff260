/**
 * ClickHouse for integration tests.
 *
 * - `tempDataDir()`: a fresh directory for the embedded engine (chdb binds one per process, and
 *   vitest gives each test file its own process: use one per file).
 * - `testServerUrl()`: a real ClickHouse server. MOOSE_TEST_CLICKHOUSE_URL when set (scripts/test-all
 *   starts one); otherwise `scripts/clickhouse-server start`, which installs Debian's package if
 *   missing and reuses an already running test server. Such a server is left running for the next
 *   test file; `scripts/clickhouse-server stop` stops it.
 * - `withTestDatabase(url)`: a database of its own on that server, so test files sharing it stay apart.
 * - `useEmbeddedDatabase(name)`: the embedded engine for a whole test file, emptied before each test.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach } from "vitest";
import type { Operation } from "../../src/diff/operations.js";
import type { ClickHouseDriver } from "../../src/infra/clickhouse/driver.js";
import { openEmbedded } from "../../src/infra/clickhouse/embedded.js";
import { quoteIdentifier } from "../../src/infra/clickhouse/quote.js";
import type { ProgressListener } from "../../src/infra/clickhouse/executor.js";
import { executeStep } from "../../src/migrations/runner/dispatch.js";
import { operationSteps } from "../../src/plan/steps.js";

const run = promisify(execFile);
export const CLICKHOUSE_SERVER_SCRIPT = fileURLToPath(new URL("../../scripts/clickhouse-server", import.meta.url));
/** The first start may install the package with apt. */
export const SERVER_START_TIMEOUT_MS = 600_000;

export function tempDataDir(prefix = "moose-ch-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Opens the embedded engine in a temporary directory for the test file, drops every table of
 * `database` before each test, and closes it after the file. Call at the top level of the file.
 */
export function useEmbeddedDatabase(database: string): () => ClickHouseDriver {
  const data = tempDataDir(`moose-${database}-`);
  let driver: ClickHouseDriver | undefined;
  beforeAll(async () => {
    driver = await openEmbedded({ dataDir: data.dir, database });
  });
  afterAll(async () => {
    await driver?.close();
    data.remove();
  });
  beforeEach(async () => {
    for (const row of await driver!.query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase()")) {
      await driver!.exec(`DROP TABLE IF EXISTS ${quoteIdentifier(row.name)}`);
    }
  });
  return () => driver!;
}

let serverUrl: Promise<string> | undefined;

export function testServerUrl(): Promise<string> {
  const shared = process.env.MOOSE_TEST_CLICKHOUSE_URL;
  if (shared) return Promise.resolve(shared);
  serverUrl ??= run("bash", [CLICKHOUSE_SERVER_SCRIPT, "start"], { timeout: SERVER_START_TIMEOUT_MS }).then(({ stdout }) => {
    const lines = stdout.trim().split("\n");
    return lines[lines.length - 1]!.trim();
  });
  return serverUrl;
}

export const CLICKHOUSE_CLUSTER_SCRIPT = fileURLToPath(new URL("../../scripts/clickhouse-cluster", import.meta.url));
/** The cluster scripts/clickhouse-cluster configures (remote_servers), one shard of two replicas. */
export const TEST_CLUSTER = "moose_cluster";

let clusterUrls: Promise<string[]> | undefined;

/**
 * One URL per replica of a local ClickHouse cluster: MOOSE_TEST_CLICKHOUSE_CLUSTER_URLS (space-
 * separated; scripts/test-all starts the cluster) or `scripts/clickhouse-cluster start`, whose
 * cluster is left running for the next test file (`scripts/clickhouse-cluster stop` stops it).
 */
export function testClusterUrls(): Promise<string[]> {
  const shared = process.env.MOOSE_TEST_CLICKHOUSE_CLUSTER_URLS;
  if (shared) return Promise.resolve(shared.trim().split(/\s+/));
  clusterUrls ??= run("bash", [CLICKHOUSE_CLUSTER_SCRIPT, "start", "--replicas", "2"], { timeout: SERVER_START_TIMEOUT_MS }).then(({ stdout }) =>
    stdout.trim().split("\n").map((line) => line.trim()),
  );
  return clusterUrls;
}

/** `http://user:pass@host:port` → the same with `/database` as the path. */
export function urlWithDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString().replace(/\/$/, "");
}

/** A server URL with the password replaced. */
export function urlWithPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString().replace(/\/$/, "");
}

/** Runs one statement against the server over plain HTTP (setup/teardown outside the driver under test). */
export async function serverExec(url: string, sql: string): Promise<string> {
  const parsed = new URL(url);
  const origin = `${parsed.protocol}//${parsed.host}/`;
  const auth = Buffer.from(`${decodeURIComponent(parsed.username) || "default"}:${decodeURIComponent(parsed.password)}`).toString("base64");
  const response = await fetch(origin, { method: "POST", body: sql, headers: { Authorization: `Basic ${auth}` } });
  const text = await response.text();
  if (!response.ok) throw new Error(`ClickHouse server: ${text}`);
  return text;
}

/**
 * Databases on every replica of the test cluster (ON CLUSTER, through `replica`), each dropped
 * after the test file: `create()` makes the next one.
 */
export function useClusterDatabases(prefix: string, replica: () => string): { create(): Promise<string> } {
  const databases: string[] = [];
  afterAll(async () => {
    for (const database of databases) await serverExec(replica(), `DROP DATABASE IF EXISTS ${database} ON CLUSTER ${TEST_CLUSTER}`);
  });
  return {
    async create() {
      const database = `${prefix}_${randomBytes(4).toString("hex")}`;
      await serverExec(replica(), `CREATE DATABASE ${database} ON CLUSTER ${TEST_CLUSTER}`);
      databases.push(database);
      return database;
    },
  };
}

/** Creates a database of its own for one test file; `drop()` removes it. */
export async function withTestDatabase(url: string): Promise<{ database: string; url: string; drop(): Promise<void> }> {
  const database = `moose_test_${randomBytes(4).toString("hex")}`;
  await serverExec(url, `CREATE DATABASE ${database}`);
  return {
    database,
    url: urlWithDatabase(url, database),
    drop: async () => {
      await serverExec(url, `DROP DATABASE IF EXISTS ${database}`);
    },
  };
}

/** Applies one operation's `up` steps exactly as the migration runner does (operationSteps → executeStep). */
export async function applyOperation(driver: ClickHouseDriver, op: Operation, onProgress?: ProgressListener): Promise<void> {
  for (const step of operationSteps(op).up) await executeStep(step, { clickhouse: driver, log: () => {}, onProgress, allowDataLoss: true }, {});
}

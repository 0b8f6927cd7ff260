/**
 * An `ON CLUSTER` statement with every host's result, not only the first failure.
 *
 * The server that receives an ON CLUSTER statement queues it in Keeper (the server's
 * `distributed_ddl` path, `/clickhouse/task_queue/ddl` by default) as a task node; every host runs
 * it and writes its result under `<task>/finished/<host:port>` (`<code>\n<message>`). The
 * receiving server waits for them (up to `distributed_ddl_task_timeout`) and answers one row per
 * host (host, port, status, error). Over HTTP that answer survives only when every host succeeded:
 * on a failure the server (18.16, probed) answers HTTP 500 with the first failing host's error and
 * drops the rows. So the task is read back from Keeper (`system.zookeeper`): before the statement
 * the queue node's `pzxid` (Keeper's transaction id of its latest child change) is noted — one
 * small read, where listing the queue would read every task — and after a failure the one task
 * created since (`czxid` above it) whose hosts are the cluster's hosts is this statement's. When
 * that is ambiguous (another ON CLUSTER statement for the same hosts queued meanwhile) or Keeper's
 * queue is not at the default path, the server's own error stands, without per-host results.
 */
import { MooseError } from "../../errors.js";
import type { ClickHouseDriver } from "./driver.js";
import { clickHouseCodeOf, parseClickHouseError } from "./errors.js";

/** The ON CLUSTER queue in Keeper, as servers configure it unless `distributed_ddl.path` says otherwise. */
const [QUEUE_PARENT, QUEUE_NAME] = ["/clickhouse/task_queue", "ddl"];
export const DDL_QUEUE_PATH = `${QUEUE_PARENT}/${QUEUE_NAME}`;

/** One host's result of an ON CLUSTER statement. `host` is `host_name:port` as system.clusters names it. */
export interface HostOutcome {
  host: string;
  ok: boolean;
  /** ClickHouse's error code on that host; undefined when it gave no answer (down, or slower than the timeout). */
  code?: number;
  error?: string;
}

/** What failed on which host: the details of a CLUSTER_DDL_FAILED error. */
export interface ClusterFailure {
  cluster: string;
  hosts: HostOutcome[];
}

/** Keeper escapes a host id's special characters as `%XX` (`127%2E0%2E0%2E1:9000`). */
function hostId(escaped: string): string {
  try {
    return decodeURIComponent(escaped);
  } catch {
    return escaped;
  }
}

/** Keeper's id of the queue's latest change (tasks created later have a higher `czxid`); undefined when there is no queue to read. */
async function queueMark(driver: ClickHouseDriver): Promise<string | undefined> {
  try {
    const [row] = await driver.query<{ mark: string }>("SELECT toString(pzxid) AS mark FROM system.zookeeper WHERE path = {path:String} AND name = {name:String}", {
      path: QUEUE_PARENT,
      name: QUEUE_NAME,
    });
    return row?.mark;
  } catch {
    return undefined;
  }
}

/** The cluster's hosts as `host_name:port`, as the queued task lists them. */
async function clusterHosts(driver: ClickHouseDriver, cluster: string): Promise<string[]> {
  const rows = await driver.query<{ host: string }>(
    "SELECT concat(host_name, ':', toString(port)) AS host FROM system.clusters WHERE cluster = {cluster:String} ORDER BY shard_num, replica_num",
    { cluster },
  );
  return rows.map((row) => row.host);
}

/** The `hosts: ['a:1','b:2']` line of a task entry (every entry version has it). */
function taskHosts(entry: string): string[] {
  const line = entry.split("\n").find((text) => text.startsWith("hosts: "));
  if (line === undefined) return [];
  return [...line.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((match) => hostId(match[1]!));
}

/**
 * Every host's result of the task queued after Keeper's change `mark` for `hosts`: a host with no
 * result yet did not answer. Undefined when no single task fits.
 */
async function taskOutcomes(driver: ClickHouseDriver, mark: string, hosts: string[]): Promise<HostOutcome[] | undefined> {
  const tasks = await driver.query<{ name: string; value: string }>(
    `SELECT name, value FROM system.zookeeper WHERE path = {path:String} AND czxid > ${BigInt(mark).toString()}`,
    { path: DDL_QUEUE_PATH },
  );
  const wanted = [...hosts].sort().join(",");
  const ours = tasks.filter((task) => [...taskHosts(task.value)].sort().join(",") === wanted);
  if (ours.length !== 1) return undefined;
  const finished = await driver.query<{ name: string; value: string }>("SELECT name, value FROM system.zookeeper WHERE path = {path:String}", {
    path: `${DDL_QUEUE_PATH}/${ours[0]!.name}/finished`,
  });
  const results = new Map(finished.map((row) => [hostId(row.name), row.value]));
  return hosts.map((host) => {
    const result = results.get(host);
    if (result === undefined) return { host, ok: false, error: "no answer within distributed_ddl_task_timeout (down, or still running it)" };
    const newline = result.indexOf("\n");
    const code = Number(newline === -1 ? result : result.slice(0, newline));
    if (code === 0) return { host, ok: true };
    return { host, ok: false, code, error: parseClickHouseError(newline === -1 ? "" : result.slice(newline + 1), code).message };
  });
}

/** A failed ON CLUSTER statement, naming every host that failed. */
export function clusterDdlFailed(failure: ClusterFailure, sql: string, cause: unknown): MooseError {
  const failed = failure.hosts.filter((host) => !host.ok);
  const done = failure.hosts.filter((host) => host.ok).map((host) => host.host);
  const lines = failed.map((host) => `${host.host}: ${host.code === undefined ? "" : `code ${host.code}, `}${host.error ?? "failed"}`);
  return new MooseError(
    "CLUSTER_DDL_FAILED",
    `failed on ${failed.map((host) => host.host).join(", ")} (${failed.length} of ${failure.hosts.length} hosts of cluster ${failure.cluster}${done.length > 0 ? `; done on ${done.join(", ")}` : ""})\n  ${lines.join("\n  ")}`,
    {
      hint: `The statement was: ${sql.trim().split("\n")[0]}`,
      details: { cluster: failure.cluster, hosts: failure.hosts, sql, clickhouseCode: failed[0]?.code ?? clickHouseCodeOf(cause) },
      cause,
    },
  );
}

/** The per-host results a CLUSTER_DDL_FAILED error carries. */
export function clusterFailureOf(error: unknown): ClusterFailure | undefined {
  if (!(error instanceof MooseError) || error.code !== "CLUSTER_DDL_FAILED") return undefined;
  const { cluster, hosts } = error.details as { cluster?: unknown; hosts?: unknown };
  return typeof cluster === "string" && Array.isArray(hosts) ? { cluster, hosts: hosts as HostOutcome[] } : undefined;
}

/**
 * Runs an ON CLUSTER statement and returns every host's result; throws CLUSTER_DDL_FAILED naming
 * each failed host (or the server's own error when the per-host results cannot be read).
 */
export async function runOnCluster(driver: ClickHouseDriver, sql: string, cluster: string): Promise<HostOutcome[]> {
  const before = await queueMark(driver);
  try {
    if (driver.execRows === undefined) {
      await driver.exec(sql);
      return [];
    }
    // host, port, status, error, num_hosts_remaining, num_hosts_active (every version since 18.x).
    const outcomes = (await driver.execRows(sql)).map(([host, port, status, error]): HostOutcome => {
      const code = Number(status);
      return code === 0 ? { host: `${host}:${port}`, ok: true } : { host: `${host}:${port}`, ok: false, code, error };
    });
    if (outcomes.some((outcome) => !outcome.ok)) throw clusterDdlFailed({ cluster, hosts: outcomes }, sql, undefined);
    return outcomes;
  } catch (error) {
    if (clusterFailureOf(error) || clickHouseCodeOf(error) === undefined || before === undefined) throw error;
    const outcomes = await clusterHosts(driver, cluster)
      .then((hosts) => taskOutcomes(driver, before, hosts))
      .catch(() => undefined);
    if (outcomes === undefined || outcomes.every((outcome) => outcome.ok)) throw error;
    throw clusterDdlFailed({ cluster, hosts: outcomes }, sql, error);
  }
}

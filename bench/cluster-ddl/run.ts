/**
 * What reading every host's result costs an ON CLUSTER statement (src/infra/clickhouse/distributed-ddl.ts):
 * before each statement Keeper's mark of the DDL queue's latest change is read, so that a failure
 * can be traced to its task. Figure: ms per `CREATE TABLE IF NOT EXISTS … ON CLUSTER` through runOnCluster;
 * reference: the same statements through a plain `exec`, in the same run, on the same cluster.
 *
 *   npm run bench -- cluster-ddl            (scripts/clickhouse-cluster's cluster: started if needed, and left running)
 *   MOOSE_BENCH_CLICKHOUSE_URL=http://… STATEMENTS=50 CLUSTER=moose_cluster npm run bench -- cluster-ddl
 */
import { execFileSync } from "node:child_process";
import { openRemote } from "../../src/infra/clickhouse/remote.js";
import { runOnCluster } from "../../src/infra/clickhouse/distributed-ddl.js";

const COUNT = Number(process.env.STATEMENTS ?? 30);
const CLUSTER = process.env.CLUSTER ?? "moose_cluster";

function clusterUrl(): string {
  const given = process.env.MOOSE_BENCH_CLICKHOUSE_URL;
  if (given) return given;
  return execFileSync("bash", ["scripts/clickhouse-cluster", "start", "--replicas", "2"], { encoding: "utf8" }).trim().split("\n")[0]!;
}

async function main(): Promise<void> {
  const url = clusterUrl();
  const database = `moose_bench_ddl_${process.pid}`;
  const admin = await openRemote({ url });
  await admin.exec(`CREATE DATABASE IF NOT EXISTS ${database} ON CLUSTER ${CLUSTER}`);
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  const driver = await openRemote({ url: parsed.toString() });
  try {
    const [queue] = await driver.query<{ tasks: string }>("SELECT count() AS tasks FROM system.zookeeper WHERE path = '/clickhouse/task_queue/ddl'");
    const timed = async (prefix: string, run: (sql: string) => Promise<unknown>): Promise<number> => {
      const started = performance.now();
      for (let index = 0; index < COUNT; index++) await run(`CREATE TABLE IF NOT EXISTS ${prefix}_${index} ON CLUSTER ${CLUSTER} (id String) ENGINE = MergeTree ORDER BY id`);
      return (performance.now() - started) / COUNT;
    };
    // Interleaved halves, so a cluster that warms up or slows down during the run weighs on both alike.
    const plain = ((await timed("plain_a", (sql) => driver.exec(sql))) + (await timed("plain_b", (sql) => driver.exec(sql)))) / 2;
    const perHost = ((await timed("host_a", (sql) => runOnCluster(driver, sql, CLUSTER))) + (await timed("host_b", (sql) => runOnCluster(driver, sql, CLUSTER)))) / 2;
    console.log(`ON CLUSTER statements on ${CLUSTER} (${queue?.tasks ?? "?"} tasks in Keeper's DDL queue at the start), ${COUNT} × 2 each:`);
    console.log(`  with every host's result (runOnCluster): ${perHost.toFixed(1)} ms per statement`);
    console.log(`  reference, plain exec:                   ${plain.toFixed(1)} ms per statement`);
    const extra = perHost - plain;
    console.log(`  ratio: ${(perHost / plain).toFixed(2)}× (${extra >= 0 ? "+" : "−"}${Math.abs(extra).toFixed(1)} ms per statement)`);
  } finally {
    await driver.close();
    await admin.exec(`DROP DATABASE IF EXISTS ${database} ON CLUSTER ${CLUSTER}`);
    await admin.close();
  }
}

await main();

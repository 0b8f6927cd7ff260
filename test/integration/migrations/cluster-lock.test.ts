/**
 * The clustered migration lock's releases on a real cluster (scripts/clickhouse-cluster: two Debian
 * 18.16 replicas of one shard): a run's release and `moose migrate unlock`'s are quorum inserts,
 * like the claim, so the other replica sees the lock free as soon as they return. A quorum insert is
 * told apart by what the server keeps in Keeper: `<table path>/quorum/last_part` names the newest part
 * written with a quorum, which is the release's only when the release was one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { openRemote } from "../../../src/infra/clickhouse/remote.js";
import { clusterHostCount, journalWriteSettings } from "../../../src/migrations/runner/cluster.js";
import { breakLock, ClickHouseLockStore, liveHolders, LOCK_TABLE, MigrationLock } from "../../../src/migrations/runner/lock.js";
import { serverExec, SERVER_START_TIMEOUT_MS, TEST_CLUSTER, testClusterUrls, urlWithDatabase } from "../../helpers/clickhouse.js";

let replicas: string[];
let database: string;
let first: ClickHouseDriver;
let second: ClickHouseDriver;
/** The connection a clustered run writes its journal and lock through (cluster-stores.ts): the all-host quorum. */
let writer: ClickHouseDriver;
let store: ClickHouseLockStore;

beforeAll(async () => {
  replicas = await testClusterUrls();
  database = `moose_cluster_lock_${Math.random().toString(16).slice(2, 10)}`;
  await serverExec(replicas[0]!, `CREATE DATABASE ${database} ON CLUSTER ${TEST_CLUSTER}`);
  first = await openRemote({ url: urlWithDatabase(replicas[0]!, database) });
  second = await openRemote({ url: urlWithDatabase(replicas[1]!, database) });
  writer = await openRemote({ url: urlWithDatabase(replicas[0]!, database), settings: journalWriteSettings(await clusterHostCount(first, TEST_CLUSTER)) });
  store = new ClickHouseLockStore(writer, { cluster: TEST_CLUSTER });
}, SERVER_START_TIMEOUT_MS);

afterAll(async () => {
  await writer?.close();
  await first?.close();
  await second?.close();
  if (database) await serverExec(replicas[0]!, `DROP DATABASE IF EXISTS ${database} ON CLUSTER ${TEST_CLUSTER}`);
});

/** The block number of the newest part written to the lock table with a quorum, and of the newest part at all. */
async function quorumAndNewestBlocks(): Promise<{ quorum: number; newest: number }> {
  const [node] = await first.query<{ value: string }>("SELECT value FROM system.zookeeper WHERE path = {path:String} AND name = 'last_part'", {
    path: `/clickhouse/moose-ts/${database}/${LOCK_TABLE}/quorum`,
  });
  // `version: 2\nparts count: 1\nall\tall_<min>_<max>_<level>`: one partition, its last quorum part.
  const part = /\tall_(\d+)_(\d+)_\d+/.exec(node?.value ?? "");
  const [newest] = await first.query<{ block: string | number }>(
    "SELECT max(max_block_number) AS block FROM system.parts WHERE database = currentDatabase() AND table = {table:String}",
    { table: LOCK_TABLE },
  );
  return { quorum: part ? Number(part[2]) : -1, newest: Number(newest?.block ?? -2) };
}

describe("a clustered lock", () => {
  it("is released with the quorum: the other replica sees it free at once", async () => {
    const lock = await MigrationLock.acquire(store, { timeoutMs: 20_000 });
    expect((await liveHolders(second)).map((holder) => holder.token)).toEqual([lock.token]);
    await lock.release();
    const blocks = await quorumAndNewestBlocks();
    expect(blocks.quorum).toBe(blocks.newest);
    expect(await liveHolders(second)).toEqual([]);
  });

  it("is broken by `migrate unlock` with the quorum", async () => {
    const lock = await MigrationLock.acquire(store, { timeoutMs: 20_000 });
    try {
      const broken = await breakLock(store);
      expect(broken.map((holder) => holder.token)).toEqual([lock.token]);
      const blocks = await quorumAndNewestBlocks();
      expect(blocks.quorum).toBe(blocks.newest);
      expect(await liveHolders(second)).toEqual([]);
    } finally {
      await lock.release();
    }
  });
});

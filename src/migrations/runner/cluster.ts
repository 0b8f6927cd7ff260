/**
 * The journal, state and lock of a cluster (`clickhouse_config.journal_cluster`, or the only
 * `[[clickhouse_config.clusters]]` entry): the three tables are created ON CLUSTER with Replicated
 * engines on one Keeper path per database and table, every host of the cluster a replica of them
 * (replica name `{shard}_{replica}`, so a cluster of several shards still has one journal).
 *
 * Every write to them is acknowledged only once every replica holds it (`insert_quorum` = the
 * number of hosts). That gives the lock the guarantee it has on one server: of two claims, the one
 * acknowledged last is read after the other is on every replica, so its reader sees both and backs
 * off (lock.ts). A runner that takes the lock through any replica then reads the whole history:
 * every journal row of the previous holder was on every replica before that holder released.
 * The price: while a replica is down, no write reaches quorum, so `migrate up` stops with
 * ClickHouse's "alive replicas less than quorum" error instead of writing a history another
 * replica would not see.
 */
import { MooseError } from "../../errors.js";
import type { ClickHouseDriver } from "../../infra/clickhouse/driver.js";
import { quoteIdentifier, quoteString } from "../../infra/clickhouse/quote.js";
import { setTimeout as sleep } from "node:timers/promises";
import { sqlString } from "./sql.js";

export interface JournalPlacement {
  cluster: string;
}

/** ` ON CLUSTER name` for a clustered journal, nothing on a single server. */
export function onJournalCluster(placement: JournalPlacement | undefined): string {
  return placement === undefined ? "" : ` ON CLUSTER ${quoteIdentifier(placement.cluster)}`;
}

/**
 * The engine clause of a bookkeeping table: `engine` with its arguments on a single server, its
 * Replicated form on a cluster (one Keeper path per database and table; the {database} macro is
 * expanded by every server since 18.x, unlike {uuid}).
 */
export function journalEngine(table: string, engine: string, args: string[], placement: JournalPlacement | undefined): string {
  if (placement === undefined) return args.length > 0 ? `${engine}(${args.join(", ")})` : engine;
  const keeper = [quoteString(`/clickhouse/moose-ts/{database}/${table}`), quoteString("{shard}_{replica}")];
  return `Replicated${engine}(${[...keeper, ...args].join(", ")})`;
}

/**
 * Whether bookkeeping table `table` already exists on the connected host, for a clustered journal:
 * an existing table is only adopted when it is Replicated (a plain one, left by a single-server
 * journal or created on one host, would keep every host's rows and lock claims to itself).
 */
export async function replicatedTableExists(driver: ClickHouseDriver, table: string, placement: JournalPlacement): Promise<boolean> {
  const rows = await driver.query<{ engine: string }>(`SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = ${sqlString(table)}`);
  const engine = rows[0]?.engine;
  if (engine === undefined) return false;
  if (engine.startsWith("Replicated")) return true;
  throw new MooseError(
    "JOURNAL_TABLE_NOT_REPLICATED",
    `${table} exists with engine ${engine}, but the journal is kept on cluster ${placement.cluster}, where it must be Replicated so that every host sees the same history and lock`,
    {
      config: { key: "clickhouse_config.journal_cluster" },
      hint: [
        `it was probably created before journal_cluster was set. With no migration running, on every host of ${placement.cluster}:`,
        `RENAME TABLE ${table} TO ${table}_single; run the moose command again (it creates ${table} ON CLUSTER, Replicated);`,
        `then on one host INSERT INTO ${table} SELECT * FROM ${table}_single, and DROP TABLE ${table}_single on every host.`,
        "(_moose_lock holds no history: dropping it on every host is enough.)",
      ].join("\n  "),
      details: { table, engine, cluster: placement.cluster },
    },
  );
}

/** How many hosts the cluster has, as this server's `remote_servers` lists them: the journal's write quorum. */
export async function clusterHostCount(driver: ClickHouseDriver, cluster: string): Promise<number> {
  const rows = await driver.query<{ n: string | number }>(`SELECT count() AS n FROM system.clusters WHERE cluster = ${sqlString(cluster)}`);
  const hosts = Number(rows[0]?.n ?? 0);
  if (hosts === 0) {
    throw new MooseError("UNKNOWN_CLUSTER", `the ClickHouse server has no cluster "${cluster}" (system.clusters does not list it)`, {
      config: { key: "clickhouse_config.journal_cluster" },
      hint: "name a cluster of the server's remote_servers in [[clickhouse_config.clusters]] / journal_cluster, or point moose-ts at a server of that cluster",
      details: { cluster },
    });
  }
  return hosts;
}

/**
 * How long a journal write waits for every replica to hold it. A replica that crashed counts as
 * alive until Keeper ends its session (seconds later); a quorum write in that window is accepted
 * and then waits for it — by default for 10 minutes. Past this, the write fails with "unknown
 * status" (it is on the live replicas, and reaches the others when they return): the run stops.
 */
export const JOURNAL_QUORUM_TIMEOUT_MS = 30_000;

/** The connection settings of the journal's writes on a cluster of `hosts` hosts. */
export function journalWriteSettings(hosts: number): { insert_quorum: string; insert_quorum_timeout: number } {
  return { insert_quorum: String(hosts), insert_quorum_timeout: JOURNAL_QUORUM_TIMEOUT_MS };
}

/** 18.x–20.x allow one quorum insert in flight per table: a second one fails with this code and may be retried. */
export const UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE = 286;

/** A quorum insert while a host is down: refused before anything is written. */
export const TOO_FEW_LIVE_REPLICAS = 285;

/** A quorum insert that timed out waiting for a replica (JOURNAL_QUORUM_TIMEOUT_MS): written on the replica it reached, not confirmed on the others. */
export const UNKNOWN_STATUS_OF_INSERT = 319;

/** How long a bookkeeping table's replicas may take to become active after it was created (they start up once created). */
const ACTIVATION_TIMEOUT_MS = 10_000;

/**
 * Waits until every registered replica of each of `tables` is active, as this host sees it: a
 * replica registers when the ON CLUSTER CREATE runs there and turns active a moment later, and a
 * quorum insert before that fails as if the replica were down. Gives up silently after the timeout:
 * the next write then reports the replica that really is down.
 */
export async function waitForActiveReplicas(driver: ClickHouseDriver, tables: string[]): Promise<void> {
  const deadline = Date.now() + ACTIVATION_TIMEOUT_MS;
  const names = tables.map(sqlString).join(", ");
  for (;;) {
    const rows = await driver.query<{ waiting: string | number }>(
      `SELECT count() AS waiting FROM system.replicas WHERE database = currentDatabase() AND table IN (${names}) AND active_replicas < total_replicas`,
    );
    if (Number(rows[0]?.waiting ?? 0) === 0 || Date.now() >= deadline) return;
    await sleep(100);
  }
}

/** The journal and lock of a cluster (./cluster.ts), opened for a run. */
import { journalCluster } from "../../config/clusters.js";
import type { Config } from "../../config/types.js";
import type { ClickHouseDriver } from "../../infra/clickhouse/driver.js";
import { clusterHostConnector, type ClusterHostConnector } from "./cluster-hosts.js";
import { clusterHostCount, journalWriteSettings } from "./cluster.js";
import { Journal } from "./journal.js";
import { ClickHouseLockStore } from "./lock.js";

/** The journal and lock stores of a clustered journal, on their own connection (it carries the write quorum). */
export interface ClusterStores {
  /** As the runner takes them (applyMigrations / repairHistory `stores`). */
  stores: { journal: Journal; lock: ClickHouseLockStore };
  /** Each host of the config's clusters on its own, for resuming a step where it failed (applyMigrations `clusterHosts`). */
  hosts: ClusterHostConnector;
  close(): Promise<void>;
}

/**
 * Opens the stores of a journal on `cluster`: `driver` counts the cluster's hosts, `connect` opens
 * a second connection to the same server with the given settings (the quorum every write needs).
 */
export async function openClusterStores(
  driver: ClickHouseDriver,
  cluster: string,
  connect: (settings: ReturnType<typeof journalWriteSettings>) => Promise<ClickHouseDriver>,
  hosts: ClusterHostConnector,
): Promise<ClusterStores> {
  const writer = await connect(journalWriteSettings(await clusterHostCount(driver, cluster)));
  const placement = { cluster };
  return { stores: { journal: new Journal(writer, placement), lock: new ClickHouseLockStore(writer, placement) }, hosts, close: () => writer.close() };
}

/**
 * The stores of `clickhouse_config`'s journal cluster for a run on `driver`, opened on the same
 * server as `target` (the `--clickhouse-url` or the config it was opened from); undefined on a single
 * server or the embedded engine (no cluster there). Close them after the run.
 */
export async function openJournalCluster(
  config: Config,
  driver: ClickHouseDriver,
  target: { url: string } | { config: Config["clickhouse_config"] },
): Promise<ClusterStores | undefined> {
  const cluster = journalCluster(config.clickhouse_config);
  if (cluster === undefined || driver.kind !== "remote") return undefined;
  const { openRemote } = await import("../../infra/clickhouse/remote.js");
  return openClusterStores(driver, cluster, (settings) => openRemote({ ...target, settings }), clusterHostConnector(config, target));
}

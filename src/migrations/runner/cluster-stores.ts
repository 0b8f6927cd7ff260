/** The journal and lock of a cluster (./cluster.ts), opened for a run. */
import type { ClickHouseDriver } from "../../infra/clickhouse/driver.js";
import { clusterHostCount, journalWriteSettings } from "./cluster.js";
import { Journal } from "./journal.js";
import { ClickHouseLockStore } from "./lock.js";

/** The journal and lock stores of a clustered journal, on their own connection (it carries the write quorum). */
export interface ClusterStores {
  journal: Journal;
  lock: ClickHouseLockStore;
  close(): Promise<void>;
}

/**
 * Opens the stores of a journal on `cluster`: `driver` counts the cluster's hosts, `connect` opens
 * a second connection to the same server with the given settings (the quorum every write needs).
 */
export async function openClusterStores(
  driver: ClickHouseDriver,
  cluster: string,
  connect: (settings: { insert_quorum: string }) => Promise<ClickHouseDriver>,
): Promise<ClusterStores> {
  const hosts = await clusterHostCount(driver, cluster);
  const writer = await connect(journalWriteSettings(hosts));
  const placement = { cluster };
  return { journal: new Journal(writer, placement), lock: new ClickHouseLockStore(writer, placement), close: () => writer.close() };
}

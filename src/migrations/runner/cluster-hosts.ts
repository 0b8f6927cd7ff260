/**
 * Reaching one host of a cluster on its own, to resume a step on the hosts where it failed
 * (executor.ts `HostRetry`). A host is named as system.clusters and the ON CLUSTER results name it,
 * `host_name:port` with the native port; its HTTP URL comes from the cluster's `hosts` table in
 * `[[clickhouse_config.clusters]]`, since no server table gives a host's HTTP port. The user,
 * password and database are the run's own (a URL in `hosts` may carry its own user and password).
 */
import type { Config } from "../../config/types.js";
import type { ClickHouseDriver } from "../../infra/clickhouse/driver.js";
import { parseClickHouseUrl } from "../../infra/clickhouse/url.js";

export interface ClusterHostConnector {
  /** The host's HTTP URL as configured; undefined when the config gives none. */
  address(cluster: string, host: string): string | undefined;
  /** A connection to that host alone (CLICKHOUSE_UNREACHABLE when it does not answer). */
  connect(cluster: string, host: string): Promise<ClickHouseDriver>;
}

/** The connector of a run against `target` (its `--clickhouse-url` or the config it was opened from). */
export function clusterHostConnector(config: Config, target: { url: string } | { config: Config["clickhouse_config"] }): ClusterHostConnector {
  const address = (cluster: string, host: string) => config.clickhouse_config.clusters.find((entry) => entry.name === cluster)?.hosts?.[host];
  const { user, password, database } = runCredentials(target);
  return {
    address,
    async connect(cluster, host) {
      const configured = address(cluster, host);
      if (configured === undefined) throw new Error(`no HTTP address for ${host} in [[clickhouse_config.clusters]] hosts of ${cluster}`);
      const url = new URL(configured);
      if (url.username === "") {
        url.username = encodeURIComponent(user);
        url.password = encodeURIComponent(password);
      }
      url.pathname = `/${encodeURIComponent(database)}`;
      const { openRemote } = await import("../../infra/clickhouse/remote.js");
      return openRemote({ url: url.toString() });
    },
  };
}

/** The user, password and database the run connects with. */
function runCredentials(target: { url: string } | { config: Config["clickhouse_config"] }): { user: string; password: string; database: string } {
  if ("config" in target) return { user: target.config.user, password: target.config.password, database: target.config.db_name };
  const { user, password, database } = parseClickHouseUrl(target.url);
  return { user, password, database };
}

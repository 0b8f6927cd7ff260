/**
 * `[[clickhouse_config.clusters]]`: the ClickHouse clusters models may name (MooseStack's shape, an
 * array of tables with a `name`), and which of them holds the migration journal. The loader reads
 * the list with `readClusters` and reports a bad one at its key; `journalCluster` is the one answer
 * to "is the journal on a cluster, and which"; `checkModelClusters` holds models to the list.
 */
import { MooseError } from "../errors.js";
import type { Manifest } from "../manifest/types.js";
import type { ClusterConfig, Config } from "./types.js";

/** A cluster name as moose-ts takes it: a plain identifier (a remote_servers element name, written bare after ON CLUSTER). */
export const CLUSTER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isClusterName(name: unknown): name is string {
  return typeof name === "string" && CLUSTER_NAME.test(name);
}

export const CLUSTERS_EXPECTED =
  'an array of tables with a name, e.g. [[clickhouse_config.clusters]] name = "my_cluster", and optionally hosts = { "ch-1:9000" = "http://ch-1:8123" } (host_name:port → HTTP URL)';

/** `hosts`: a table of `host_name:port` → http(s) URL; undefined when malformed. */
function readHosts(value: unknown): Record<string, string> | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const hosts: Record<string, string> = {};
  for (const [host, url] of Object.entries(value as Record<string, unknown>)) {
    if (!/^[^\s:]+:\d+$/.test(host) || typeof url !== "string" || !URL.canParse(url) || !["http:", "https:"].includes(new URL(url).protocol)) return undefined;
    hosts[host] = url;
  }
  return hosts;
}

/** The file's value (array of `{ name }`) or the environment's (comma-separated names) → clusters; undefined when malformed. */
export function readClusters(value: unknown, source: "file" | "env"): ClusterConfig[] | undefined {
  const entries = source === "env" && typeof value === "string" ? value.split(",").map((name) => ({ name: name.trim() })).filter((entry) => entry.name !== "") : value;
  // MooseStack's generated config has an empty `[clickhouse_config.clusters]` table: no clusters.
  if (typeof entries === "object" && entries !== null && !Array.isArray(entries) && Object.keys(entries).length === 0) return [];
  if (!Array.isArray(entries)) return undefined;
  const clusters: ClusterConfig[] = [];
  for (const entry of entries as unknown[]) {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return undefined;
    const { name, hosts, ...rest } = entry as Record<string, unknown>;
    if (!isClusterName(name) || Object.keys(rest).length > 0) return undefined;
    if (clusters.some((cluster) => cluster.name === name)) return undefined;
    if (hosts === undefined) {
      clusters.push({ name });
      continue;
    }
    const addresses = readHosts(hosts);
    if (addresses === undefined) return undefined;
    clusters.push({ name, hosts: addresses });
  }
  return clusters;
}

/** The cluster holding `_moose_migrations`, `_moose_state` and `_moose_lock`: `journal_cluster`, else the only listed cluster; undefined on a single server. */
export function journalCluster(clickhouse: Config["clickhouse_config"]): string | undefined {
  if (clickhouse.journal_cluster !== "") return clickhouse.journal_cluster;
  return clickhouse.clusters.length === 1 ? clickhouse.clusters[0]!.name : undefined;
}

/** What is wrong with `journal_cluster` given the listed clusters (to follow the key's name), or undefined. */
export function journalClusterProblem(clickhouse: Config["clickhouse_config"]): string | undefined {
  const names = clickhouse.clusters.map((cluster) => cluster.name);
  if (clickhouse.journal_cluster !== "" && !names.includes(clickhouse.journal_cluster)) {
    return `names a cluster that [[clickhouse_config.clusters]] does not list (listed: ${names.length > 0 ? names.join(", ") : "none"})`;
  }
  if (clickhouse.journal_cluster === "" && names.length > 1) {
    return `must name one of the listed clusters (${names.join(", ")}): the journal, state and lock live on one`;
  }
  return undefined;
}

/** A model's `cluster` that `[[clickhouse_config.clusters]]` does not list: an error at the model's file:line. */
export function checkModelClusters(manifest: Manifest, clusters: ClusterConfig[]): void {
  const listed = clusters.map((cluster) => cluster.name);
  const sections = [
    ["OLAP table", manifest.tables],
    ["view", manifest.views],
    ["materialized view", manifest.materializedViews],
  ] as const;
  for (const [label, specs] of sections) {
    for (const spec of Object.values(specs)) {
      if (spec.cluster === undefined || listed.includes(spec.cluster)) continue;
      throw new MooseError("UNKNOWN_CLUSTER", `${label} "${spec.name}" is on cluster "${spec.cluster}", which moose.config.toml does not list`, {
        ...(spec.source ? { location: spec.source } : {}),
        hint:
          listed.length > 0
            ? `use one of the listed clusters (${listed.join(", ")}), or add [[clickhouse_config.clusters]] name = "${spec.cluster}"`
            : `add [[clickhouse_config.clusters]] name = "${spec.cluster}" to moose.config.toml (docs/clusters.md)`,
        details: { cluster: spec.cluster, listed },
      });
    }
  }
}

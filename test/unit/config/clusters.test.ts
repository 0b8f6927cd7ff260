/**
 * `[[clickhouse_config.clusters]]` and `journal_cluster`: read in MooseStack's shape (and from the
 * environment), bad values reported at their key, and models held to the clusters the config lists.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkModelClusters, journalCluster } from "../../../src/config/clusters.js";
import { loadConfig } from "../../../src/config/load.js";
import { MooseError } from "../../../src/errors.js";
import { emptyManifest } from "../../../src/manifest/types.js";
import { column, table } from "../diff/builders.js";
import { useConfigProject } from "./temp-project.js";

const project = useConfigProject("moose-config-clusters-");
const { writeToml, loadError } = project;

describe("[[clickhouse_config.clusters]]", () => {
  it("reads MooseStack's array of tables; the only cluster holds the journal", async () => {
    await writeToml(`[clickhouse_config]\nhost = "ch1"\n\n[[clickhouse_config.clusters]]\nname = "events_cluster"\n`);
    const config = await loadConfig(project.dir, {}, () => {});
    expect(config.clickhouse_config.clusters).toEqual([{ name: "events_cluster" }]);
    expect(journalCluster(config.clickhouse_config)).toBe("events_cluster");
  });

  it("takes comma-separated names from MOOSE_CLICKHOUSE_CONFIG__CLUSTERS, and journal_cluster picks one of several", async () => {
    const config = await loadConfig(project.dir, { MOOSE_CLICKHOUSE_CONFIG__CLUSTERS: "a, b", MOOSE_CLICKHOUSE_CONFIG__JOURNAL_CLUSTER: "b" });
    expect(config.clickhouse_config.clusters).toEqual([{ name: "a" }, { name: "b" }]);
    expect(journalCluster(config.clickhouse_config)).toBe("b");
  });

  it("reads a cluster's hosts table (host_name:port → HTTP URL), for resuming a step on the hosts where it failed", async () => {
    await writeToml(`[[clickhouse_config.clusters]]\nname = "events"\nhosts = { "ch-1:9000" = "http://ch-1:8123", "ch-2:9000" = "https://ch-2:8443" }\n`);
    const config = await loadConfig(project.dir, {}, () => {});
    expect(config.clickhouse_config.clusters).toEqual([{ name: "events", hosts: { "ch-1:9000": "http://ch-1:8123", "ch-2:9000": "https://ch-2:8443" } }]);
  });

  it("refuses a hosts table whose key is not host:port or whose value is not an http(s) URL, at the clusters key", async () => {
    for (const hosts of [`{ "ch-1" = "http://ch-1:8123" }`, `{ "ch-1:9000" = "tcp://ch-1:9000" }`, `{ "ch-1:9000" = 8123 }`, `["http://ch-1:8123"]`]) {
      await writeToml(`[[clickhouse_config.clusters]]\nname = "events"\nhosts = ${hosts}\n`);
      const error = await loadError();
      expect(error.code).toBe("CONFIG_INVALID_TYPE");
      expect(error.config?.key).toBe("clickhouse_config.clusters");
      expect(error.message).toContain("host_name:port → HTTP URL");
    }
  });

  it("has no journal cluster without clusters", async () => {
    expect(journalCluster((await loadConfig(project.dir, {})).clickhouse_config)).toBeUndefined();
  });

  it("refuses a cluster name that could not follow ON CLUSTER, a duplicate, or a plain string, at the key's line", async () => {
    for (const toml of [
      `[[clickhouse_config.clusters]]\nname = "my cluster"\n`,
      `[[clickhouse_config.clusters]]\nname = "a"\n[[clickhouse_config.clusters]]\nname = "a"\n`,
      `[clickhouse_config]\nclusters = "a"\n`,
    ]) {
      await writeToml(toml);
      const error = await loadError();
      expect(error.code).toBe("CONFIG_INVALID_TYPE");
      expect(error.message).toContain("clickhouse_config.clusters");
      expect(error.config?.key).toBe("clickhouse_config.clusters");
    }
  });

  it("refuses several clusters without journal_cluster, and a journal_cluster the list lacks", async () => {
    await writeToml(`[[clickhouse_config.clusters]]\nname = "a"\n[[clickhouse_config.clusters]]\nname = "b"\n`);
    const ambiguous = await loadError();
    expect(ambiguous.code).toBe("CONFIG_INVALID_VALUE");
    expect(ambiguous.message).toContain("clickhouse_config.journal_cluster");
    expect(ambiguous.message).toContain("a, b");

    await writeToml(`[clickhouse_config]\njournal_cluster = "c"\n\n[[clickhouse_config.clusters]]\nname = "a"\n`);
    const unknown = await loadError();
    expect(unknown.message).toContain("does not list");
    expect(unknown.config).toMatchObject({ key: "clickhouse_config.journal_cluster", line: 2 });
  });
});

describe("docs/clusters.md", () => {
  it("its moose.config.toml example loads: one cluster, which holds the journal", async () => {
    const doc = readFileSync(new URL("../../../docs/clusters.md", import.meta.url), "utf8");
    const example = /```toml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    await writeToml(example!);
    const config = await loadConfig(project.dir, {}, () => {});
    expect(config.clickhouse_config).toMatchObject({ host: "ch-1.internal", db_name: "analytics", clusters: [{ name: "events" }] });
    expect(journalCluster(config.clickhouse_config)).toBe("events");
  });
});

describe("models on clusters", () => {
  const events = (cluster?: string) => ({
    ...emptyManifest(),
    tables: { Events: { ...table("Events", [column("id", "String")]), ...(cluster ? { cluster } : {}), source: { file: "app/index.ts", line: 12 } } },
  });

  it("accepts a cluster the config lists, and objects on no cluster", () => {
    expect(() => checkModelClusters(events("events_cluster"), [{ name: "events_cluster" }])).not.toThrow();
    expect(() => checkModelClusters(events(), [])).not.toThrow();
  });

  it("refuses a cluster the config does not list, at the model's file:line", () => {
    let error: unknown;
    try {
      checkModelClusters(events("elsewhere"), [{ name: "events_cluster" }]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MooseError);
    expect(error).toMatchObject({ code: "UNKNOWN_CLUSTER", location: { file: "app/index.ts", line: 12 } });
    expect((error as MooseError).message).toContain('OLAP table "Events" is on cluster "elsewhere"');
    expect((error as MooseError).hint).toContain("events_cluster");
  });
});

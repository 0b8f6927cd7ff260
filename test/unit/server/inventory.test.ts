import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../../src/config/types.js";
import { ExitCode, MooseError } from "../../../src/errors.js";
import { emptyManifest, type ApiSpec, type Manifest, type TableSpec } from "../../../src/manifest/index.js";
import { buildInventory, parseKindFilter, renderInventory } from "../../../src/server/inventory.js";
import type { RealityReport } from "../../../src/server/reality-check.js";

function table(name: string, columns: string[]): TableSpec {
  return {
    name,
    columns: columns.map((column) => ({ name: column, type: "String", nullable: false })),
    orderBy: [columns[0]],
    engine: { name: "MergeTree", params: [] },
    settings: {},
    indexes: [],
    lifeCycle: "FULLY_MANAGED",
    source: { file: "app/index.ts", line: 4 },
  };
}

const api: ApiSpec = { name: "users", path: "users", params: { type: "object" }, result: {} };
const stream = { name: "Events", partitionCount: 1, retentionMs: 1000, config: {}, columns: [], lifeCycle: "FULLY_MANAGED" as const };

describe("buildInventory", () => {
  const code: Manifest = {
    ...emptyManifest(),
    tables: { Users: table("Users", ["id", "name", "age"]), Orders: table("Orders", ["id"]), Same: table("Same", ["id"]) },
    apis: { users: api },
    streams: { Events: stream },
  };
  const applied: Manifest = {
    ...emptyManifest(),
    tables: { Users: table("Users", ["id", "name"]), Old: table("Old", ["id"]), Same: table("Same", ["id"]) },
    apis: { users: api },
  };
  const reality: RealityReport = {
    status: "drift",
    checked: { clickhouse: true, kafka: "skipped" },
    discrepancies: [{ target: "Same", change: "addColumn", summary: "add column Same.extra", risk: "safe" }],
  };
  const config = { ...DEFAULT_CONFIG, redpanda_config: { ...DEFAULT_CONFIG.redpanda_config, namespace: "staging_" } };
  const items = buildInventory(code, applied, reality, config);
  const byId = Object.fromEntries(items.map((item) => [`${item.kind}:${item.id}`, item]));

  it("marks changed, new and removed objects pending with the change", () => {
    expect(byId["table:Users"]).toMatchObject({ status: "pending", change: "update", location: "local.Users", source: "app/index.ts:4" });
    expect(byId["table:Orders"]).toMatchObject({ status: "pending", change: "add" });
    expect(byId["table:Old"]).toMatchObject({ status: "pending", change: "remove" });
    expect(byId["stream:Events"]).toMatchObject({ status: "pending", change: "add", location: "staging_Events" });
  });

  it("marks unchanged objects applied, and drifted ones with what differs", () => {
    expect(byId["api:users"]).toEqual({ kind: "api", id: "users", location: "http://localhost:4000/api/users", status: "applied" });
    expect(byId["table:Same"]).toMatchObject({ status: "drifted", drift: ["add column Same.extra"] });
  });

  it("marks an EXTERNALLY_MANAGED table external, not applied: nobody created it here, nothing is checked", () => {
    const external: TableSpec = { ...table("Upstream", ["id"]), lifeCycle: "EXTERNALLY_MANAGED" };
    const [item] = buildInventory({ ...emptyManifest(), tables: { Upstream: external } }, { ...emptyManifest(), tables: { Upstream: external } }, undefined, config);
    expect(item).toMatchObject({ kind: "table", id: "Upstream", status: "external" });
  });

  it("renders one aligned row per object", () => {
    const text = renderInventory(items);
    expect(text.split("\n")[0]).toMatch(/^KIND\s+NAME\s+LOCATION\s+STATUS$/);
    expect(text).toContain("pending (update)");
    expect(text.trim().split("\n")).toHaveLength(items.length + 1);
  });
});

describe("a stream's topic as the broker has it", () => {
  const manifest: Manifest = { ...emptyManifest(), streams: { Events: stream, Clicks: { ...stream, name: "Clicks" } } };
  const reality: RealityReport = {
    status: "in-sync",
    checked: { clickhouse: true, kafka: true },
    discrepancies: [],
    topics: { Events: { partitionCount: 2, replicationFactor: 3 } },
  };
  const items = buildInventory(manifest, manifest, reality, DEFAULT_CONFIG);

  it("carries the live partitions and replication factor of the topics the broker has", () => {
    expect(items.find((item) => item.id === "Events")).toMatchObject({ location: "Events", topic: { partitionCount: 2, replicationFactor: 3 } });
    expect(items.find((item) => item.id === "Clicks")).not.toHaveProperty("topic");
  });

  it("shows them beside the topic name", () => {
    const text = renderInventory(items);
    expect(text).toMatch(/^stream\s+Events\s+Events \(2 partitions, replication factor 3\)\s+applied$/m);
    expect(text).toMatch(/^stream\s+Clicks\s+Clicks\s+applied$/m);
  });
});

describe("parseKindFilter", () => {
  it("accepts the kind names and the manifest keys", () => {
    expect(parseKindFilter("materialized-view")).toBe("materializedViews");
    expect(parseKindFilter("tables")).toBe("tables");
  });

  it("accepts the names MooseStack's --type takes", () => {
    expect(parseKindFilter("ingestion")).toBe("ingestApis");
    expect(parseKindFilter("consumption")).toBe("apis");
    expect(parseKindFilter("sql_resource")).toBe("sqlResources");
    expect(parseKindFilter("workflows")).toBe("workflows");
  });

  it("refuses anything else as a usage error listing the names", () => {
    expect(() => parseKindFilter("topic")).toThrow(MooseError);
    try {
      parseKindFilter("topic");
    } catch (error) {
      expect((error as MooseError).exitCode).toBe(ExitCode.usage);
      expect((error as MooseError).hint).toContain("ingest-api");
    }
  });
});

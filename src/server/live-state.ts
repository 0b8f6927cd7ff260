/**
 * Reading the deployed state: the applied manifest from `_moose_state`, and what is live in
 * ClickHouse and Kafka, in manifest shape. Shared by the admin API and `moose ls`.
 */
import type { Config } from "../config/types.js";
import { isMooseError } from "../errors.js";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import { diffManifests } from "../diff/index.js";
import { emptyManifest, hashManifest, type Manifest, type StreamSpec } from "../manifest/index.js";
import { readAppliedState } from "../migrations/runner/journal.js";
import { planToJson } from "../plan/json.js";
import type { AdminBackend } from "./admin.js";
import { compareWithReality, type LiveState, type LiveTopicShape, type RealityReport } from "./reality-check.js";
import { unreplicatedManifest } from "../infra/clickhouse/replication.js";

/** The manifest after the newest applied migration; the empty manifest for a fresh database. */
export async function readAppliedManifest(driver: ClickHouseDriver): Promise<Manifest> {
  return (await readAppliedState(driver))?.manifest ?? emptyManifest();
}

export type KafkaReading = { streams: Record<string, StreamSpec>; topics: Record<string, LiveTopicShape> } | { skipped: string };

/** The live topics of the applied streams, as stream specs (missing topics are left out). */
export async function readLiveStreams(config: Config, applied: Manifest): Promise<KafkaReading> {
  const names = Object.keys(applied.streams);
  if (!config.features.streaming_engine) return { skipped: "streaming is disabled (features.streaming_engine)" };
  if (names.length === 0) return { streams: {}, topics: {} };
  // Loaded on use: kafkajs is heavy, and `moose ls` without streams never needs it.
  const [{ openKafkaAdmin }, { introspectTopics }] = await Promise.all([import("../infra/kafka/executor.js"), import("../infra/kafka/introspect.js")]);
  const admin = openKafkaAdmin(config.redpanda_config);
  try {
    const topics = await introspectTopics(admin, names);
    const streams: Record<string, StreamSpec> = {};
    const shapes: Record<string, LiveTopicShape> = {};
    for (const topic of topics) {
      const spec = applied.streams[topic.name];
      if (!spec) continue;
      shapes[topic.name] = { partitionCount: topic.partitionCount, replicationFactor: topic.replicationFactor };
      streams[topic.name] = {
        ...spec,
        partitionCount: topic.partitionCount,
        retentionMs: topic.retentionMs,
        config: topic.config,
        // a spec without a replication factor takes the broker's: nothing to compare
        ...(spec.replicationFactor === undefined ? {} : { replicationFactor: topic.replicationFactor }),
      };
    }
    return { streams, topics: shapes };
  } catch (error) {
    if (isMooseError(error)) return { skipped: `${error.code}: ${error.message}` };
    throw error;
  } finally {
    await admin.close();
  }
}

export async function checkReality(config: Config, driver: ClickHouseDriver, appliedManifest?: Manifest): Promise<RealityReport> {
  const applied = appliedManifest ?? (await readAppliedManifest(driver));
  const clickhouse = await driver.introspect();
  const kafka = await readLiveStreams(config, applied);
  const live: LiveState = "streams" in kafka ? { clickhouse, streams: kafka.streams } : { clickhouse };
  // The embedded engine holds Replicated* tables unreplicated (infra/clickhouse/replication.ts): compare like with like.
  const expected = driver.kind === "embedded" ? unreplicatedManifest(applied) : applied;
  // View SQL in ClickHouse's own formatting on both sides: ClickHouse stores `count(DISTINCT x)` as `countDistinct(x)`.
  const [formattedExpected, formattedLive] = await Promise.all([withFormattedViewSql(expected), withFormattedViewSql(live.clickhouse)]);
  const report = compareWithReality(formattedExpected, { ...live, clickhouse: formattedLive }, "skipped" in kafka ? kafka.skipped : undefined);
  return "topics" in kafka ? { ...report, topics: kafka.topics } : report;
}

/** The admin API over a driver: what `moose prod` serves under /admin/. */
export function createAdminBackend(config: Config, driver: ClickHouseDriver): AdminBackend {
  return {
    appliedManifest: () => readAppliedManifest(driver),
    plan: (from, to) => planToJson(diffManifests(from, to), { from: hashManifest(from), to: hashManifest(to) }),
    realityCheck: () => checkReality(config, driver),
  };
}

/** Views' and materialized views' SELECTs as ClickHouse's parser formats them (unchanged where it cannot parse them). */
async function withFormattedViewSql<M extends Pick<Manifest, "views" | "materializedViews">>(manifest: M): Promise<M> {
  const { parseStatement } = await import("../infra/clickhouse/parser.js");
  const format = async (sql: string) => parseStatement(sql).then(
    (parsed) => parsed.formatted,
    () => sql,
  );
  const views = Object.fromEntries(await Promise.all(Object.entries(manifest.views).map(async ([id, view]) => [id, { ...view, sql: await format(view.sql) }] as const)));
  const materializedViews = Object.fromEntries(
    await Promise.all(Object.entries(manifest.materializedViews).map(async ([id, view]) => [id, { ...view, sql: await format(view.sql) }] as const)),
  );
  return { ...manifest, views, materializedViews };
}

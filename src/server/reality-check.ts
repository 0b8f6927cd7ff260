/**
 * Drift between the state moose-ts applied (`_moose_state`) and what really exists in ClickHouse
 * (and Kafka, when it was reachable). Pure: the caller introspects; this compares. The comparison is
 * `diffManifests(applied, live)`, so each discrepancy reads as the change that was made out of band
 * (a column added by hand shows as an added column), with the same risk words as a plan.
 */
import { diffManifests } from "../diff/index.js";
import type { Operation, Risk } from "../diff/operations.js";
import { emptyManifest, type LifeCycle, type Manifest, type StreamSpec } from "../manifest/index.js";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";

export type LiveClickHouse = Awaited<ReturnType<ClickHouseDriver["introspect"]>>;

export interface LiveState {
  clickhouse: LiveClickHouse;
  /** Live topics by stream id; absent when Kafka was not checked. */
  streams?: Record<string, StreamSpec>;
}

export interface Discrepancy {
  /** The component id (table, view, topic). */
  target: string;
  /** The operation that turns the applied state into the live one, e.g. `addColumn`. */
  change: Operation["kind"];
  summary: string;
  risk: Risk;
}

export interface RealityReport {
  status: "in-sync" | "drift";
  checked: {
    clickhouse: true;
    /** true, or why Kafka was not compared. */
    kafka: true | string;
  };
  discrepancies: Discrepancy[];
  /** What the broker has for each applied stream's topic (when Kafka was checked): `moose ls` shows it. */
  topics?: Record<string, LiveTopicShape>;
}

/** A topic's shape on the broker; its replication factor may be the broker's default (docs/streams.md). */
export interface LiveTopicShape {
  partitionCount: number;
  replicationFactor: number;
}

export function compareWithReality(applied: Manifest, live: LiveState, kafkaSkipped?: string): RealityReport {
  const expected = comparable(applied, applied);
  const observed = comparable(
    {
      ...applied,
      ...live.clickhouse,
      streams: live.streams ?? applied.streams,
    },
    applied,
  );
  const { operations } = diffManifests(expected, observed);
  const discrepancies = operations.map((operation) => ({
    target: operation.target,
    change: operation.kind,
    summary: operation.summary,
    risk: operation.risk,
  }));
  return {
    status: discrepancies.length === 0 ? "in-sync" : "drift",
    checked: { clickhouse: true, kafka: live.streams ? true : (kafkaSkipped ?? "not checked") },
    discrepancies,
  };
}

/**
 * The manifest with EXTERNALLY_MANAGED objects (of `applied`) removed — they belong to someone
 * else, so their differences are not drift — and every other lifeCycle set to FULLY_MANAGED:
 * introspection cannot know lifeCycles, and protection must not hide a drop (the diff would
 * report it as blocked instead of as a change).
 */
function comparable(manifest: Manifest, applied: Manifest): Manifest {
  return {
    ...manifest,
    tables: managedOnly(manifest.tables, applied.tables),
    views: managedOnly(manifest.views, applied.views),
    materializedViews: managedOnly(manifest.materializedViews, applied.materializedViews),
    streams: managedOnly(manifest.streams, applied.streams),
  };
}

type WithLifeCycle = { lifeCycle: LifeCycle };

function managedOnly<S extends WithLifeCycle>(specs: Record<string, S>, applied: Record<string, WithLifeCycle>): Record<string, S> {
  const result: Record<string, S> = {};
  for (const [id, spec] of Object.entries(specs)) {
    if (applied[id]?.lifeCycle === "EXTERNALLY_MANAGED") continue;
    result[id] = { ...spec, lifeCycle: "FULLY_MANAGED" };
  }
  return result;
}

/** What a CREATE … IF NOT EXISTS makes, by manifest section. Tables and views share one namespace. */
const CREATED_OBJECT_NOUNS = { tables: "table", views: "view", materializedViews: "materialized view" } as const;
export type CreatedSection = keyof typeof CREATED_OBJECT_NOUNS;

/** An object the database already has under the name a CREATE … IF NOT EXISTS would use, unlike the one it would make. */
export interface ExistingObjectConflict {
  noun: (typeof CREATED_OBJECT_NOUNS)[CreatedSection];
  /** The database's object of another kind, when it is one. */
  otherNoun?: (typeof CREATED_OBJECT_NOUNS)[CreatedSection];
  /** Each difference, as the change from the code's object to the database's (empty for another kind). */
  differences: string[];
}

/**
 * Whether `spec` (of `section`) may be created with IF NOT EXISTS over what `live` has: undefined when
 * nothing has its name or the same object is already there (a resumed run, or one made as the code has
 * it); otherwise how what is there differs, which IF NOT EXISTS would pass over silently.
 */
export function existingObjectConflict<S extends CreatedSection>(section: S, spec: Manifest[S][string], live: LiveClickHouse): ExistingObjectConflict | undefined {
  const noun = CREATED_OBJECT_NOUNS[section];
  const other = (Object.keys(CREATED_OBJECT_NOUNS) as CreatedSection[]).find((kind) => kind !== section && live[kind][spec.name] !== undefined);
  if (other !== undefined) return { noun, otherNoun: CREATED_OBJECT_NOUNS[other], differences: [`a ${CREATED_OBJECT_NOUNS[other]}, not a ${noun}`] };
  const existing = live[section][spec.name];
  if (existing === undefined) return undefined;
  const wanted = { ...emptyManifest(), [section]: { [spec.name]: spec } };
  const observed = { tables: {}, views: {}, materializedViews: {}, [section]: { [spec.name]: existing } } as LiveClickHouse;
  const differences = compareWithReality(wanted, { clickhouse: observed }).discrepancies.map((discrepancy) => discrepancy.summary);
  return differences.length === 0 ? undefined : { noun, differences };
}

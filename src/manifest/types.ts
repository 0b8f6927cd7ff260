/**
 * Manifest v1: the whole desired state of a project's infrastructure, extracted from code.
 * Canonical JSON of this value (sorted keys, `source` removed) is hashed into the state's identity.
 * Every map is keyed by the object's id: the table/topic/view name as it appears in infrastructure
 * (versioned tables: `Name_1_0`), the API path for APIs (`metrics` or `metrics/2`).
 */
import type { SourceLocation } from "../errors.js";

export const MANIFEST_VERSION = 1 as const;

export type LifeCycle = "FULLY_MANAGED" | "DELETION_PROTECTED" | "EXTERNALLY_MANAGED";

export interface ColumnSpec {
  name: string;
  /** ClickHouse type text WITHOUT the Nullable wrapper, e.g. `String`, `Array(Int32)`, `DateTime64(3)`. */
  type: string;
  /** true → the column is `Nullable(type)`. Never true for Array/Map/Nested types. */
  nullable: boolean;
  /** SQL expressions, exactly one of default/materialized/alias at most. */
  default?: string;
  materialized?: string;
  alias?: string;
  comment?: string;
  codec?: string;
  ttl?: string;
  /** Marked with Key<T>; used as ORDER BY when the table gives no orderBy. */
  primaryKey?: boolean;
}

/** An engine as ClickHouse prints it: `ReplacingMergeTree(ver, is_deleted)` → name + params (SQL text). */
export interface EngineSpec {
  name: string;
  params: string[];
}

export interface IndexSpec {
  name: string;
  expression: string;
  type: string; // e.g. `minmax`, `bloom_filter(0.01)`, `set(100)`
  granularity: number;
}

export interface TableSpec {
  name: string;
  columns: ColumnSpec[];
  /**
   * ORDER BY items. An item that equals a column name is a column (quoted as an identifier in DDL);
   * anything else is a raw SQL expression. Empty → `ORDER BY tuple()`.
   */
  orderBy: string[];
  /** PRIMARY KEY items (same rules as orderBy); absent → ClickHouse uses ORDER BY. */
  primaryKey?: string[];
  partitionBy?: string;
  sampleBy?: string;
  /** Table-level TTL expression. */
  ttl?: string;
  engine: EngineSpec;
  /** Table SETTINGS, values as SQL literals text (`8192`, `'abc'`). */
  settings: Record<string, string>;
  indexes: IndexSpec[];
  lifeCycle: LifeCycle;
  version?: string;
  source?: SourceLocation;
}

export interface StreamSpec {
  /** Topic name, before any `redpanda_config.namespace` prefix (applied at execution time). */
  name: string;
  partitionCount: number;
  retentionMs: number;
  replicationFactor?: number;
  /** Other topic configs, e.g. `{ "max.message.bytes": "1048576" }`. */
  config: Record<string, string>;
  /** Message schema, for consumer-breaking change detection. */
  columns: ColumnSpec[];
  /** Table id the stream sinks into, if any. */
  destination?: string;
  lifeCycle: LifeCycle;
  version?: string;
  source?: SourceLocation;
}

export interface ViewSpec {
  name: string;
  /** The SELECT statement. */
  sql: string;
  /** Tables/views the SELECT reads (ids). */
  sourceTables: string[];
  lifeCycle: LifeCycle;
  source?: SourceLocation;
}

export interface MaterializedViewSpec {
  name: string;
  /** The SELECT statement. */
  sql: string;
  sourceTables: string[];
  /** The table id the view writes into (itself in `tables`). */
  targetTable: string;
  lifeCycle: LifeCycle;
  source?: SourceLocation;
}

/** A JSON Schema (draft-07 subset) value. */
export type JsonSchema = Record<string, unknown>;

export interface ApiSpec {
  name: string;
  version?: string;
  /** URL path under /api/: `name` or `name/version`. */
  path: string;
  params: JsonSchema;
  result: JsonSchema;
  source?: SourceLocation;
}

export interface IngestApiSpec {
  name: string;
  version?: string;
  /** URL path under /ingest/. */
  path: string;
  columns: ColumnSpec[];
  schema: JsonSchema;
  /** Stream id (or table id when streaming is off) the payloads go to. */
  destination: string;
  source?: SourceLocation;
}

export interface TaskSpec {
  name: string;
  timeout?: string;
  retries?: number;
  /** Names of the tasks that run after this one. */
  onComplete: string[];
}

export interface WorkflowSpec {
  name: string;
  schedule?: string;
  retries?: number;
  timeout?: string;
  tasks: TaskSpec[];
  source?: SourceLocation;
}

export interface Manifest {
  version: typeof MANIFEST_VERSION;
  tables: Record<string, TableSpec>;
  streams: Record<string, StreamSpec>;
  views: Record<string, ViewSpec>;
  materializedViews: Record<string, MaterializedViewSpec>;
  apis: Record<string, ApiSpec>;
  ingestApis: Record<string, IngestApiSpec>;
  workflows: Record<string, WorkflowSpec>;
}

export type ComponentKind = Exclude<keyof Manifest, "version">;

export function emptyManifest(): Manifest {
  return {
    version: MANIFEST_VERSION,
    tables: {},
    streams: {},
    views: {},
    materializedViews: {},
    apis: {},
    ingestApis: {},
    workflows: {},
  };
}

/**
 * Manifest v1: the whole desired state of a project's infrastructure, extracted from code.
 * Canonical JSON of this value (sorted keys, `source` removed) is hashed into the state's identity.
 * Every map is keyed by the object's id: the table/topic/view name as it appears in infrastructure
 * (versioned tables: `Name_1_0`), the API path for APIs (`metrics` or `metrics/2`).
 */
import type { SourceLocation } from "../errors.js";

export const MANIFEST_VERSION = 1 as const;

/**
 * Names no component may have: the properties every JavaScript object has. A manifest keeps
 * components in objects by name, where `tables["constructor"]` finds a function and
 * `tables["__proto__"] = …` sets the prototype, so such a name cannot be told from an absent one.
 */
export const RESERVED_NAMES: readonly string[] = [
  "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__", "__proto__", "constructor",
  "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toLocaleString", "toString", "valueOf",
];

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
  /** The ClickHouse cluster (a `[[clickhouse_config.clusters]]` name) whose every host holds it: its DDL runs ON CLUSTER. */
  cluster?: string;
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
  /** The ClickHouse cluster (a `[[clickhouse_config.clusters]]` name) whose every host holds it: its DDL runs ON CLUSTER. */
  cluster?: string;
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
  /** The ClickHouse cluster (a `[[clickhouse_config.clusters]]` name) whose every host holds it: its DDL runs ON CLUSTER. */
  cluster?: string;
  lifeCycle: LifeCycle;
  source?: SourceLocation;
}

/**
 * MooseStack's SqlResource: statements run as given to create something moose-ts has no kind for
 * (a dictionary, a function, a row policy, a view of raw SQL), and the statements that remove it.
 * A change runs the old teardown, then the new setup.
 */
export interface SqlResourceSpec {
  name: string;
  setup: string[];
  teardown: string[];
  /** Tables/views (ids) it reads: it is created after them and removed before them. */
  pullsDataFrom: string[];
  /** Tables/views (ids) it writes. */
  pushesDataTo: string[];
  /** Set when the resource is a SelectRowPolicy (src/sdk/select-row-policy.ts): what the server scopes queries by. */
  rowPolicy?: RowPolicySpec;
  source?: SourceLocation;
}

/** A row policy: rows of `tables` (ids) whose `column` equals the request's JWT claim `claim`. */
export interface RowPolicySpec {
  tables: string[];
  column: string;
  claim: string;
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

/** A transform's destination when it routes each record itself (addMultiTransform). */
export const MULTI_DESTINATION = "*";

/** What a process does: sync a stream into a table, transform it into another stream, or consume it. */
export type ProcessKind = "sync" | "transform" | "consumer";

/**
 * A process moose-ts runs over a stream (docs/streams.md). Ids come from `processId` in
 * src/sdk/processes.ts: `sync:<stream>-><table>`, `transform:<stream>-><stream>[@<version>]`,
 * `transform:<stream>->*` (addMultiTransform), `consumer:<stream>[@<version>]`.
 */
export interface ProcessSpec {
  kind: ProcessKind;
  /** Stream id the process reads. */
  source: string;
  /** sync: table id; transform: destination stream id ("*" for addMultiTransform); consumer: absent. */
  destination?: string;
  /** transform/consumer: the config's version, when given. */
  version?: string;
  /** transform/consumer: sha256 (hex) of the function's source text (Function.prototype.toString()). */
  codeHash?: string;
  /** Stream id of the dead-letter queue (TransformConfig/ConsumerConfig deadLetterQueue). */
  deadLetterQueue?: string;
  /** Where the model defines it, for messages only (`source` is the stream the process reads). */
  location?: SourceLocation;
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
  /**
   * Stream processes by process id. Manifests written before processes existed have no such key:
   * the reader fills `{}`, and the canonical form leaves the key out while it is empty so their
   * hashes stay the same.
   */
  processes: Record<string, ProcessSpec>;
  /** SqlResources by name; like `processes`, absent from stored manifests while empty. */
  sqlResources: Record<string, SqlResourceSpec>;
}

export type ComponentKind = Exclude<keyof Manifest, "version">;

/** Sections newer than the first manifests: stored only when they hold something. */
const OPTIONAL_SECTIONS = ["processes", "sqlResources"] as const;
type OptionalSection = (typeof OPTIONAL_SECTIONS)[number];

/** A manifest as stored: one written before processes or SqlResources existed has no such key. */
export type StoredManifest = Omit<Manifest, OptionalSection> & Partial<Pick<Manifest, OptionalSection>>;

/** A stored manifest (file, journal row, admin body, Python extraction) as the in-memory Manifest. */
export function fromStoredManifest(stored: StoredManifest): Manifest {
  return { ...stored, processes: stored.processes ?? {}, sqlResources: stored.sqlResources ?? {} };
}

/** The stored form: empty newer sections left out, so apps without them keep their hashes. */
export function toStoredManifest(manifest: Manifest): StoredManifest {
  const stored: StoredManifest = { ...manifest };
  for (const section of OPTIONAL_SECTIONS) if (Object.keys(manifest[section] ?? {}).length === 0) delete stored[section];
  return stored;
}

/** ClickHouse's geometry types (named tuples and arrays of points): never Nullable, as containers. */
export const GEOMETRY_TYPES: ReadonlySet<string> = new Set(["Point", "Ring", "LineString", "MultiLineString", "Polygon", "MultiPolygon"]);

/** An engine as DDL writes it after `ENGINE =`: `ReplacingMergeTree(ver)`, or the bare name. */
export function engineText(engine: EngineSpec): string {
  return engine.params.length > 0 ? `${engine.name}(${engine.params.join(", ")})` : engine.name;
}

/** Whether an INSERT writes the column: not a MATERIALIZED or ALIAS one, which ClickHouse computes. */
export function isInsertable(column: ColumnSpec): boolean {
  return column.materialized === undefined && column.alias === undefined;
}

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
    processes: {},
    sqlResources: {},
  };
}

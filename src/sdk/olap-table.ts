import type { Readable } from "node:stream";
import { MooseError, type SourceLocation } from "../errors.js";
import { quoteString } from "../infra/clickhouse/quote.js";
import type { ColumnSpec, EngineSpec, IndexSpec, TableSpec } from "../manifest/types.js";
import { columnsRecord, type Column } from "./column.js";
import { clusterOption, requireColumns, sourceOf, versionedId } from "./component.js";
import { ddlLiteral } from "./runtime-env.js";
import { loadRuntime } from "./runtime-link.js";
import { ClickHouseEngines, LifeCycle } from "./enums.js";
import { readMetadata, type InjectedArgument } from "./metadata.js";
import { getRegistry, type Component } from "./registry.js";
import { markSqlPart } from "./sql-part.js";

export interface TableIndex {
  name: string;
  expression: string;
  type: string;
  arguments?: string[];
  granularity?: number;
}

/** A projection (MooseStack's TableProjection): `PROJECTION name (body)`. */
export interface TableProjection {
  name: string;
  body: string;
}

/** A table constraint (MooseStack's TableConstraint): `CONSTRAINT name CHECK|ASSUME expression`. */
export interface TableConstraint {
  name: string;
  expression: string;
  type: "CHECK" | "ASSUME";
}

/** The ORDER BY choice: fields, an expression, or neither (Key<> columns). */
type OrderBy<T> =
  | { orderByFields: (keyof T & string)[]; orderByExpression?: undefined }
  | { orderByFields?: undefined; orderByExpression: string }
  | { orderByFields?: undefined; orderByExpression?: undefined };

/** Keys every engine accepts (MooseStack's BaseOlapConfig). */
export type BaseOlapConfig<T> = OrderBy<T> & {
  partitionBy?: string;
  sampleByExpression?: string;
  /** A raw PRIMARY KEY expression; overrides the Key<> columns. */
  primaryKeyExpression?: string;
  version?: string;
  lifeCycle?: LifeCycle;
  settings?: { [key: string]: string };
  ttl?: string;
  indexes?: TableIndex[];
  /** Not applied by moose-ts yet: a build warning names the table. */
  projections?: TableProjection[];
  /** CHECK / ASSUME constraints. Not applied by moose-ts yet: a build warning names the table. */
  constraints?: TableConstraint[];
  /** Not applied by moose-ts yet (tables live in clickhouse_config.db_name): a build warning names the table. */
  database?: string;
  /**
   * The `[[clickhouse_config.clusters]]` cluster the table lives on: its DDL runs ON CLUSTER, and a
   * Replicated engine without keeperPath/replicaName gets moose-ts's cluster default (docs/clusters.md).
   * For the Distributed engine it is the engine's cluster argument instead.
   */
  cluster?: string;
  seedFilter?: { limit?: number; where?: string };
};

export interface ReplicatedEngineProperties {
  /** ZooKeeper/Keeper path; omit (with replicaName) on ClickHouse Cloud or to use the server's defaults. */
  keeperPath?: string;
  replicaName?: string;
}

type MergeTreeFamily<T> = BaseOlapConfig<T> & {
  /** ReplacingMergeTree / VersionedCollapsingMergeTree version column. */
  ver?: keyof T & string;
  /** ReplacingMergeTree is-deleted column. */
  isDeleted?: keyof T & string;
  /** CollapsingMergeTree / VersionedCollapsingMergeTree sign column. */
  sign?: keyof T & string;
  /** SummingMergeTree columns to sum. */
  columns?: string[];
};

export type MergeTreeConfig<T> = BaseOlapConfig<T> & { engine: ClickHouseEngines.MergeTree };
export type ReplacingMergeTreeConfig<T> = BaseOlapConfig<T> & { engine: ClickHouseEngines.ReplacingMergeTree; ver?: keyof T & string; isDeleted?: keyof T & string };
export type AggregatingMergeTreeConfig<T> = BaseOlapConfig<T> & { engine: ClickHouseEngines.AggregatingMergeTree };
export type SummingMergeTreeConfig<T> = BaseOlapConfig<T> & { engine: ClickHouseEngines.SummingMergeTree; columns?: string[] };
export type CollapsingMergeTreeConfig<T> = BaseOlapConfig<T> & { engine: ClickHouseEngines.CollapsingMergeTree; sign: keyof T & string };
export type VersionedCollapsingMergeTreeConfig<T> = BaseOlapConfig<T> & { engine: ClickHouseEngines.VersionedCollapsingMergeTree; sign: keyof T & string; ver: keyof T & string };
export type ReplicatedMergeTreeConfig<T> = Omit<MergeTreeConfig<T>, "engine"> & ReplicatedEngineProperties & { engine: ClickHouseEngines.ReplicatedMergeTree };
export type ReplicatedReplacingMergeTreeConfig<T> = Omit<ReplacingMergeTreeConfig<T>, "engine"> & ReplicatedEngineProperties & { engine: ClickHouseEngines.ReplicatedReplacingMergeTree };
export type ReplicatedAggregatingMergeTreeConfig<T> = Omit<AggregatingMergeTreeConfig<T>, "engine"> & ReplicatedEngineProperties & { engine: ClickHouseEngines.ReplicatedAggregatingMergeTree };
export type ReplicatedSummingMergeTreeConfig<T> = Omit<SummingMergeTreeConfig<T>, "engine"> & ReplicatedEngineProperties & { engine: ClickHouseEngines.ReplicatedSummingMergeTree };
export type ReplicatedCollapsingMergeTreeConfig<T> = Omit<CollapsingMergeTreeConfig<T>, "engine"> & ReplicatedEngineProperties & { engine: ClickHouseEngines.ReplicatedCollapsingMergeTree };
export type ReplicatedVersionedCollapsingMergeTreeConfig<T> = Omit<VersionedCollapsingMergeTreeConfig<T>, "engine"> & ReplicatedEngineProperties & { engine: ClickHouseEngines.ReplicatedVersionedCollapsingMergeTree };

/** The S3Queue table settings (`mode`, `keeper_path`, …), as SQL literal text or numbers. */
export type S3QueueTableSettings = { [key: string]: string | undefined };

type NoOrdering = "orderByFields" | "orderByExpression" | "partitionBy" | "sampleByExpression" | "projections";

export type S3QueueConfig<T> = Omit<BaseOlapConfig<T>, "settings" | "orderByFields" | "partitionBy" | "sampleByExpression" | "projections"> & {
  engine: ClickHouseEngines.S3Queue;
  s3Path: string;
  format: string;
  awsAccessKeyId?: string;
  awsSecretAccessKey?: string;
  compression?: string;
  headers?: { [key: string]: string };
  settings?: S3QueueTableSettings;
};
export type S3Config<T> = Omit<BaseOlapConfig<T>, "sampleByExpression" | "projections"> & {
  engine: ClickHouseEngines.S3;
  path: string;
  format: string;
  awsAccessKeyId?: string;
  awsSecretAccessKey?: string;
  compression?: string;
  partitionStrategy?: string;
  partitionColumnsInDataFile?: string;
};
export type BufferConfig<T> = Omit<BaseOlapConfig<T>, NoOrdering> & {
  engine: ClickHouseEngines.Buffer;
  targetDatabase: string;
  targetTable: string;
  numLayers: number;
  minTime: number;
  maxTime: number;
  minRows: number;
  maxRows: number;
  minBytes: number;
  maxBytes: number;
  flushTime?: number;
  flushRows?: number;
  flushBytes?: number;
};
export type DistributedConfig<T> = Omit<BaseOlapConfig<T>, NoOrdering> & {
  engine: ClickHouseEngines.Distributed;
  cluster: string;
  targetDatabase: string;
  targetTable: string;
  shardingKey?: string;
  policyName?: string;
};
export interface KafkaTableSettings {
  [key: `kafka_${string}`]: string | undefined;
}
export type KafkaConfig<T> = Omit<BaseOlapConfig<T>, NoOrdering> & {
  engine: ClickHouseEngines.Kafka;
  brokerList: string;
  topicList: string;
  groupName: string;
  format: string;
  settings?: KafkaTableSettings;
};
export type IcebergS3Config<T> = Omit<BaseOlapConfig<T>, NoOrdering> & {
  engine: ClickHouseEngines.IcebergS3;
  path: string;
  format: "Parquet" | "ORC";
  awsAccessKeyId?: string;
  awsSecretAccessKey?: string;
  compression?: string;
};
export type MergeConfig<T> = Omit<BaseOlapConfig<T>, NoOrdering> & {
  engine: ClickHouseEngines.Merge;
  sourceDatabase: string;
  tablesRegexp: string;
};
/** No engine named: MergeTree, with the MergeTree-family keys (MooseStack's LegacyOlapConfig, widened). */
export type LegacyOlapConfig<T> = MergeTreeFamily<T> & { engine?: undefined };

export type EngineConfig<T> =
  | MergeTreeConfig<T>
  | ReplacingMergeTreeConfig<T>
  | AggregatingMergeTreeConfig<T>
  | SummingMergeTreeConfig<T>
  | CollapsingMergeTreeConfig<T>
  | VersionedCollapsingMergeTreeConfig<T>
  | ReplicatedMergeTreeConfig<T>
  | ReplicatedReplacingMergeTreeConfig<T>
  | ReplicatedAggregatingMergeTreeConfig<T>
  | ReplicatedSummingMergeTreeConfig<T>
  | ReplicatedCollapsingMergeTreeConfig<T>
  | ReplicatedVersionedCollapsingMergeTreeConfig<T>
  | S3QueueConfig<T>
  | S3Config<T>
  | BufferConfig<T>
  | DistributedConfig<T>
  | IcebergS3Config<T>
  | KafkaConfig<T>
  | MergeConfig<T>;

/** OlapTable configuration (MooseStack's OlapConfig: one shape per engine). */
export type OlapConfig<T> = EngineConfig<T> | LegacyOlapConfig<T>;

/** Every key of every engine's config, for reading a config whatever its engine. */
type AnyOlapConfig = Partial<
  Omit<BaseOlapConfig<Record<string, unknown>>, "orderByFields" | "orderByExpression" | "settings"> &
    ReplicatedEngineProperties &
    Omit<S3QueueConfig<unknown>, "engine" | "settings"> &
    Omit<S3Config<unknown>, "engine" | "format" | "settings"> &
    Omit<BufferConfig<unknown>, "engine" | "settings"> &
    Omit<DistributedConfig<unknown>, "engine" | "settings"> &
    Omit<KafkaConfig<unknown>, "engine" | "format" | "settings"> &
    Omit<MergeConfig<unknown>, "engine" | "settings">
> & {
  engine?: ClickHouseEngines;
  orderByFields?: string[];
  orderByExpression?: string;
  format?: string;
  settings?: Record<string, string | undefined>;
  ver?: string;
  isDeleted?: string;
  sign?: string;
  columns?: string[];
};

type IsAny<V> = 0 extends 1 & V ? true : false;
/**
 * The brand key a field's type carries (`Date & ClickHouseDefault<"now()">`), optional fields too;
 * `any` carries none, nor does a map (`Record<string, V>`), whose keys are any string.
 */
type Carries<V, Brand extends string> = IsAny<V> extends true ? false : string extends keyof NonNullable<V> ? false : Brand extends keyof NonNullable<V> ? true : false;
type KeysCarrying<T, Brands extends string> = { [K in keyof T]-?: true extends Carries<T[K], Brands> ? K : never }[keyof T];
/** Columns ClickHouse computes (MATERIALIZED, ALIAS): never written. */
type ComputedKeys<T> = KeysCarrying<T, "_clickhouse_materialized" | "_clickhouse_alias">;
/** Columns with a DEFAULT: ClickHouse fills them when a row leaves them out. */
type DefaultKeys<T> = Exclude<KeysCarrying<T, "_clickhouse_default">, ComputedKeys<T>>;

/**
 * A row as inserted (MooseStack's Insertable): MATERIALIZED and ALIAS columns left out, DEFAULT
 * columns optional, every other column as the model has it (an optional field stays optional).
 */
export type Insertable<T> = Pick<T, Exclude<keyof T, ComputedKeys<T> | DefaultKeys<T>>> & Partial<Pick<T, DefaultKeys<T>>>;

export interface InsertOptions {
  /** `fail-fast` (default): stop at the first invalid or refused row; `discard`/`isolate`: such rows are set aside. */
  strategy?: "fail-fast" | "discard" | "isolate";
  /** Check rows against the table's columns before inserting (default true; ingest's rules). */
  validate?: boolean;
  /** With `discard`/`isolate`: how many refused rows are tolerated before the insert fails. */
  allowErrors?: number;
  /** With `discard`/`isolate`: the share (0..1) of refused rows tolerated. */
  allowErrorsRatio?: number;
}

export interface FailedRecord<T> {
  record: T;
  error: string;
  index?: number;
}

export interface InsertResult<T> {
  successful: number;
  failed: number;
  total: number;
  failedRecords?: FailedRecord<T>[];
}

export class OlapTable<T> implements Component {
  readonly kind = "OlapTable" as const;
  readonly componentKind = "tables" as const;
  readonly name: string;
  /** The ClickHouse table name: `name`, or `name_1_0` for version "1.0". */
  readonly id: string;
  readonly config: OlapConfig<T>;
  readonly source: SourceLocation;
  readonly columnArray: ColumnSpec[];
  /** The row type's columns by field name: interpolate them into `sql` as quoted column names. */
  readonly columns: { [K in keyof Required<T>]: Column };
  readonly metadata: { [key: string]: any };

  /** @param injected added by the moose-ts build plugin; never pass it yourself. */
  constructor(name: string, config?: OlapConfig<T>, injected?: InjectedArgument) {
    const metadata = readMetadata(injected);
    this.name = name;
    this.config = config ?? {};
    this.id = versionedId(name, this.config.version);
    this.source = sourceOf(metadata);
    this.columnArray = requireColumns(metadata, `OLAP table "${name}"`, this.source);
    this.columns = columnsRecord<T>(this.columnArray);
    this.metadata = {};
    getRegistry().register(this);
    this.noteUnapplied();
  }

  /** The ClickHouse table name (MooseStack's generateTableName). */
  generateTableName(): string {
    return this.id;
  }

  /**
   * Inserts rows into the table on the ClickHouse of moose.config.toml (`[clickhouse_config]`, which
   * `moose dev` serves over HTTP): an array of rows, or a Readable of row objects.
   */
  async insert(data: Insertable<T>[] | Readable, options: InsertOptions = {}): Promise<InsertResult<T>> {
    const runtime = await loadRuntime();
    return runtime.insertRows<T>(this.id, this.columnArray, data as Record<string, unknown>[] | AsyncIterable<Record<string, unknown>>, options, this.source);
  }

  /** Closes the ClickHouse connection insert() opened (it is shared by the process). */
  async closeClient(): Promise<void> {
    const runtime = await loadRuntime();
    await runtime.closeClickHouse();
  }

  private get anyConfig(): AnyOlapConfig {
    return this.config as AnyOlapConfig;
  }

  /** Options moose-ts accepts but does not apply yet: one build warning each, at the table's line. */
  private noteUnapplied(): void {
    const config = this.anyConfig;
    const unapplied = (["database", "projections", "constraints", "seedFilter", "headers", "partitionStrategy", "partitionColumnsInDataFile"] as const).filter(
      (key) => config[key] !== undefined,
    );
    if (unapplied.length > 0) {
      getRegistry().notice(
        `OLAP table "${this.name}": ${unapplied.join(", ")} ${unapplied.length === 1 ? "is" : "are"} accepted but not applied by moose-ts (see docs/moosestack-differences.md: the table is created in clickhouse_config.db_name, without projections, constraints, seeding, S3Queue headers or S3 partition strategy)`,
        this.source,
      );
    }
  }

  toSpec(): TableSpec {
    const config = this.anyConfig;
    if (config.orderByFields && config.orderByExpression !== undefined) {
      this.fail("CONFLICTING_ORDER_BY", "sets both orderByFields and orderByExpression", "keep one of them");
    }
    const columnNames = new Set(this.columnArray.map((column) => column.name));
    for (const [setting, fields] of Object.entries({
      orderByFields: config.orderByFields,
      ver: config.ver !== undefined ? [config.ver] : undefined,
      isDeleted: config.isDeleted !== undefined ? [config.isDeleted] : undefined,
      sign: config.sign !== undefined ? [config.sign] : undefined,
      columns: config.columns,
    })) {
      fields?.forEach((field, index) => {
        if (!columnNames.has(field)) {
          const path = config[setting as keyof AnyOlapConfig] instanceof Array ? `${setting}[${index}]` : setting;
          throw new MooseError("UNKNOWN_FIELD", `${this.name}.${path} names "${field}", which is not a field of the row type of OLAP table "${this.name}"`, {
            location: this.source,
            hint: `use one of: ${[...columnNames].join(", ")}`,
            details: { field: `${this.name}.${path}` },
          });
        }
      });
    }
    const keyColumns = this.columnArray.filter((column) => column.primaryKey).map((column) => column.name);
    const explicitOrder = config.orderByFields ?? (config.orderByExpression !== undefined ? splitKeyExpression(config.orderByExpression) : undefined);
    const mergeTree = baseEngine(config.engine ?? ClickHouseEngines.MergeTree) !== undefined;
    const orderBy = mergeTree ? (explicitOrder ?? keyColumns) : [];
    // Key<> columns become the PRIMARY KEY only where ClickHouse accepts one: a strict prefix of ORDER BY.
    const keyIsStrictPrefix = mergeTree && keyColumns.length > 0 && keyColumns.length < orderBy.length && keyColumns.every((column, index) => orderBy[index] === column);
    const primaryKey =
      config.primaryKeyExpression !== undefined ? splitKeyExpression(config.primaryKeyExpression) : keyIsStrictPrefix ? keyColumns : undefined;
    return {
      name: this.id,
      columns: this.columnArray,
      orderBy,
      ...(primaryKey ? { primaryKey } : {}),
      ...(config.partitionBy !== undefined ? { partitionBy: config.partitionBy } : {}),
      ...(config.sampleByExpression !== undefined ? { sampleBy: config.sampleByExpression } : {}),
      ...(config.ttl !== undefined ? { ttl: config.ttl } : {}),
      engine: this.engineSpec(),
      settings: Object.fromEntries(
        Object.entries(config.settings ?? {})
          .filter((entry): entry is [string, string] => entry[1] !== undefined)
          .map(([key, value]) => [key, settingLiteral(value)]),
      ),
      indexes: (config.indexes ?? []).map(indexSpec),
      ...(config.engine === ClickHouseEngines.Distributed ? {} : clusterOption(config.cluster, `OLAP table "${this.name}"`, this.source)),
      lifeCycle: config.lifeCycle ?? LifeCycle.FULLY_MANAGED,
      ...(config.version !== undefined ? { version: config.version } : {}),
      source: this.source,
    };
  }

  private engineSpec(): EngineSpec {
    const config = this.anyConfig;
    const { engine = ClickHouseEngines.MergeTree, ver, isDeleted, sign, columns } = config;
    const base = baseEngine(engine);
    if (base !== undefined) {
      const params = this.mergeTreeParams(base, { ver, isDeleted, sign, columns });
      if (base === engine) return { name: engine, params };
      // Replicated*: the Keeper path and replica name come first; both or neither (server defaults, ClickHouse Cloud).
      const { keeperPath, replicaName } = config;
      if ((keeperPath === undefined) !== (replicaName === undefined)) {
        this.fail("INVALID_ENGINE", `sets ${keeperPath === undefined ? "replicaName without keeperPath" : "keeperPath without replicaName"}`, "set both keeperPath and replicaName, or neither to use the server's defaults");
      }
      if (keeperPath !== undefined) return { name: engine, params: [this.text(keeperPath, "keeperPath"), this.text(replicaName as string, "replicaName"), ...params] };
      // On a cluster, a path every server version expands (no {uuid}: that needs an Atomic database, 20.5+).
      if (config.cluster !== undefined) return { name: engine, params: [quoteString(CLUSTER_KEEPER_PATH), quoteString(CLUSTER_REPLICA_NAME), ...params] };
      return { name: engine, params };
    }
    switch (engine) {
      case ClickHouseEngines.S3Queue:
        return { name: engine, params: this.s3Params(this.required(config.s3Path, "s3Path"), config) };
      case ClickHouseEngines.S3:
      case ClickHouseEngines.IcebergS3:
        return { name: engine, params: this.s3Params(this.required(config.path, "path"), config) };
      case ClickHouseEngines.Buffer: {
        const numbers = (["numLayers", "minTime", "maxTime", "minRows", "maxRows", "minBytes", "maxBytes"] as const).map((key) => this.number(config[key], key));
        const flush = (["flushTime", "flushRows", "flushBytes"] as const).filter((key) => config[key] !== undefined).map((key) => this.number(config[key], key));
        return { name: engine, params: [this.text(this.required(config.targetDatabase, "targetDatabase"), "targetDatabase"), this.text(this.required(config.targetTable, "targetTable"), "targetTable"), ...numbers, ...flush] };
      }
      case ClickHouseEngines.Distributed: {
        const params = [config.cluster, config.targetDatabase, config.targetTable].map((value, index) => this.text(this.required(value, ["cluster", "targetDatabase", "targetTable"][index]!), "target"));
        if (config.shardingKey !== undefined) params.push(config.shardingKey);
        if (config.policyName !== undefined) params.push(this.text(config.policyName, "policyName"));
        return { name: engine, params };
      }
      case ClickHouseEngines.Kafka:
        return {
          name: engine,
          params: (["brokerList", "topicList", "groupName", "format"] as const).map((key) => this.text(this.required(config[key], key), key)),
        };
      case ClickHouseEngines.Merge: {
        const database = this.required(config.sourceDatabase, "sourceDatabase");
        // `currentDatabase()` or `REGEXP('…')` are expressions; anything else is a database name.
        const databaseParam = /^\w+\(.*\)$/.test(database.trim()) ? database.trim() : this.text(database, "sourceDatabase");
        return { name: engine, params: [databaseParam, this.text(this.required(config.tablesRegexp, "tablesRegexp"), "tablesRegexp")] };
      }
      default:
        return this.fail("INVALID_ENGINE", `uses engine "${String(engine)}", which moose-ts cannot create`, `use one of ClickHouseEngines: ${Object.values(ClickHouseEngines).filter((name) => name !== ClickHouseEngines.GraphiteMergeTree).join(", ")}`);
    }
  }

  private mergeTreeParams(engine: ClickHouseEngines, { ver, isDeleted, sign, columns }: Pick<AnyOlapConfig, "ver" | "isDeleted" | "sign" | "columns">): string[] {
    switch (engine) {
      case ClickHouseEngines.ReplacingMergeTree:
        if (isDeleted && !ver) this.fail("INVALID_ENGINE", "sets isDeleted without ver", "ReplacingMergeTree needs ver when isDeleted is set");
        return [ver, isDeleted].filter((param): param is string => param !== undefined);
      case ClickHouseEngines.SummingMergeTree:
        return columns?.length ? [`(${columns.join(", ")})`] : [];
      case ClickHouseEngines.CollapsingMergeTree:
        if (!sign) this.fail("INVALID_ENGINE", "uses CollapsingMergeTree without sign", "set sign to an Int8 field");
        return [sign as string];
      case ClickHouseEngines.VersionedCollapsingMergeTree:
        if (!sign || !ver) this.fail("INVALID_ENGINE", "uses VersionedCollapsingMergeTree without sign and ver", "set sign and ver");
        return [sign as string, ver as string];
      default:
        return [];
    }
  }

  /** `(path, [key id, secret,] format[, compression])`, the argument order of S3, S3Queue and IcebergS3. */
  private s3Params(location: string, config: AnyOlapConfig): string[] {
    const params = [this.text(location, "path")];
    if ((config.awsAccessKeyId === undefined) !== (config.awsSecretAccessKey === undefined)) {
      this.fail("INVALID_ENGINE", "sets only one of awsAccessKeyId and awsSecretAccessKey", "set both, or neither for a public bucket");
    }
    if (config.awsAccessKeyId !== undefined) params.push(this.text(config.awsAccessKeyId, "awsAccessKeyId"), this.text(config.awsSecretAccessKey as string, "awsSecretAccessKey"));
    params.push(this.text(this.required(config.format, "format"), "format"));
    if (config.compression !== undefined) params.push(this.text(config.compression, "compression"));
    return params;
  }

  private required<V>(value: V | undefined, key: string): V {
    if (value === undefined || value === null || value === "") this.fail("INVALID_ENGINE", `uses the ${String(this.anyConfig.engine)} engine without ${key}`, `set ${key} in the table's config`);
    return value;
  }

  private number(value: number | undefined, key: string): string {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) this.fail("INVALID_ENGINE", `${key} must be a non-negative number, got ${String(value)}`, `set ${key} to a number`);
    return String(value);
  }

  /** A string engine argument as a SQL literal. */
  private text(value: string, key: string): string {
    return ddlLiteral(value, `OLAP table "${this.name}"`, key, this.source);
  }

  private fail(code: string, problem: string, hint: string, details?: Record<string, unknown>): never {
    throw new MooseError(code, `OLAP table "${this.name}" ${problem}`, { location: this.source, hint, details });
  }
}
// A table, view, stream or dictionary interpolated into `sql` is its quoted name (./sql-part.ts).
markSqlPart(OlapTable.prototype);

/** The Keeper path and replica name of a Replicated table on a cluster that names neither: one path per shard and table. */
export const CLUSTER_KEEPER_PATH = "/clickhouse/tables/{shard}/{database}/{table}";
export const CLUSTER_REPLICA_NAME = "{replica}";

/** The MergeTree engine a Replicated* engine replicates (itself for the plain MergeTree family); undefined for other engines. */
export function baseEngine(engine: ClickHouseEngines): ClickHouseEngines | undefined {
  if (engine === ClickHouseEngines.GraphiteMergeTree) return undefined;
  const base = engine.startsWith("Replicated") ? engine.slice("Replicated".length) : engine;
  return base.endsWith("MergeTree") ? (base as ClickHouseEngines) : undefined;
}

/** `"(a, b)"` → `["a", "b"]`; `"tuple()"` → `[]`; other expressions stay one item. */
export function splitKeyExpression(expression: string): string[] {
  const trimmed = expression.trim();
  if (trimmed === "" || /^tuple\(\s*\)$/i.test(trimmed)) return [];
  const inner = trimmed.startsWith("(") && closingParen(trimmed, 0) === trimmed.length - 1 ? trimmed.slice(1, -1) : trimmed;
  const items: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let current = "";
  for (const char of inner) {
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === "`" || char === '"') quote = char;
    else if (char === "(") depth++;
    else if (char === ")") depth--;
    else if (char === "," && depth === 0) {
      items.push(current.trim());
      current = "";
      continue;
    }
    current += char;
  }
  items.push(current.trim());
  return items.filter((item) => item !== "");
}

function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let index = open; index < text.length; index++) {
    if (text[index] === "(") depth++;
    else if (text[index] === ")" && --depth === 0) return index;
  }
  return -1;
}

function settingLiteral(value: string | number): string {
  const text = String(value);
  return /^-?\d+(\.\d+)?$/.test(text) || /^'.*'$/.test(text) ? text : `'${text.replace(/'/g, "\\'")}'`;
}

function indexSpec(index: TableIndex): IndexSpec {
  return {
    name: index.name,
    expression: index.expression,
    type: index.arguments?.length ? `${index.type}(${index.arguments.join(", ")})` : index.type,
    granularity: index.granularity ?? 1,
  };
}

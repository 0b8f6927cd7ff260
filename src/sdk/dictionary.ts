/**
 * MooseStack's OlapDictionary: a ClickHouse dictionary whose attributes are the fields of `T` (the
 * build plugin injects their columns, as for OlapTable), filled from a table, a query or an external
 * source. moose-ts plans and migrates it as a SqlResource (./sql-resource.ts) named like the
 * dictionary: `CREATE DICTIONARY …` is its setup, `DROP DICTIONARY IF EXISTS …` its teardown, and the
 * tables it reads are what it pulls data from (it is created after them and dropped before them). A
 * change drops it and creates it again; a dictionary holds a copy of its source, so nothing is lost.
 * A `sourceQuery` becomes a View of the app, `<name>_source`, that the dictionary reads as a table:
 * ClickHouse runs a dictionary's QUERY in the `default` database, while a TABLE is looked up in the
 * dictionary's own, and migration files do not name the database (it differs between deployments).
 * `get`, `getOrDefault` and `has` write `dictGet…` fragments for `sql` templates.
 */
import { MooseError, type SourceLocation } from "../errors.js";
import { quoteIdentifier, quoteString } from "../infra/clickhouse/quote.js";
import { fullColumnType } from "../diff/normalize.js";
import type { ColumnSpec } from "../manifest/types.js";
import { requireColumns, sourceOf } from "./component.js";
import { LifeCycle } from "./enums.js";
import { METADATA_MARKER, readMetadata, type InjectedArgument } from "./metadata.js";
import { getRegistry } from "./registry.js";
import { ddlLiteral } from "./runtime-env.js";
import { SqlResource, type SqlObject } from "./sql-resource.js";
import { isSql, sql, toStaticQuery, type Sql } from "./sql.js";
import { View } from "./view.js";
import { markSqlPart } from "./sql-part.js";

/** Per-attribute settings beyond its name and type (which come from `T`). */
export interface DictionaryColumnConfig {
  /** DEFAULT: a SQL expression, the value for a key the source lacks (`"'unknown'"`, `"0"`). */
  defaultValue?: string;
  /** EXPRESSION: computed by the source from other columns (SQL). */
  expression?: string;
  isInjective?: boolean;
  isHierarchical?: boolean;
  isObjectId?: boolean;
  /** Accepted; ClickHouse has no comment per dictionary attribute. */
  comment?: string;
}

export type DictionaryLayout =
  | { type: "FLAT" }
  | { type: "HASHED"; initialArraySize?: number; maxLoadFactor?: number }
  | { type: "SPARSE_HASHED"; initialArraySize?: number; maxLoadFactor?: number }
  | { type: "HASHED_ARRAY"; shards?: number }
  | { type: "RANGE_HASHED"; rangeLookupStrategy?: string }
  | { type: "CACHE"; sizeInCells: number; maxThreadsForUpdates?: number }
  | { type: "SSD_CACHE"; path: string; blockSize?: number; fileSize?: number; readBufferSize?: number; writeBufferSize?: number; maxStoredKeys?: number }
  | { type: "DIRECT" }
  | { type: "IP_TRIE"; accessToKeyFromAttributes?: boolean }
  | { type: "COMPLEX_KEY_HASHED"; initialArraySize?: number; maxLoadFactor?: number }
  | { type: "COMPLEX_KEY_SPARSE_HASHED"; initialArraySize?: number; maxLoadFactor?: number }
  | { type: "COMPLEX_KEY_HASHED_ARRAY"; shards?: number }
  | { type: "COMPLEX_KEY_CACHE"; sizeInCells: number; maxThreadsForUpdates?: number }
  | { type: "COMPLEX_KEY_SSD_CACHE"; path: string; blockSize?: number; fileSize?: number; readBufferSize?: number; writeBufferSize?: number; maxStoredKeys?: number }
  | { type: "COMPLEX_KEY_DIRECT" };

/** Layouts whose key is any type and may be several columns (the others take one key column). */
export const COMPLEX_KEY_LAYOUTS = new Set<DictionaryLayout["type"]>([
  "COMPLEX_KEY_HASHED",
  "COMPLEX_KEY_SPARSE_HASHED",
  "COMPLEX_KEY_HASHED_ARRAY",
  "COMPLEX_KEY_CACHE",
  "COMPLEX_KEY_SSD_CACHE",
  "COMPLEX_KEY_DIRECT",
]);

/** `0`: loaded once; `N`: reloaded every N seconds; `{ min, max }`: at a random moment in between. */
export type DictionaryLifetime = number | { min: number; max: number };

export interface HttpExternalSource {
  type: "http";
  url: string;
  format: string;
  method?: string;
  whereClause?: string;
}
interface DatabaseSource {
  host: string;
  port: number;
  user: string;
  password: string;
  db: string;
  table: string;
  query?: string;
  whereClause?: string;
  invalidateQuery?: string;
}
export interface ClickHouseExternalSource extends DatabaseSource {
  type: "clickhouse";
}
export interface MysqlExternalSource extends DatabaseSource {
  type: "mysql";
}
export interface PostgresqlExternalSource extends DatabaseSource {
  type: "postgresql";
}
export interface RedisExternalSource {
  type: "redis";
  host: string;
  port: number;
  password?: string;
  dbIndex?: number;
  storageType: string;
}
export interface MongodbExternalSource {
  type: "mongodb";
  host: string;
  port: number;
  user: string;
  password: string;
  db: string;
  collection: string;
}
export interface ExecutableExternalSource {
  type: "executable";
  command: string;
  format: string;
  implicitKey?: boolean;
}
export interface S3ExternalSource {
  type: "s3";
  url: string;
  format: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}
export type ExternalSource =
  | HttpExternalSource
  | ClickHouseExternalSource
  | MysqlExternalSource
  | PostgresqlExternalSource
  | RedisExternalSource
  | MongodbExternalSource
  | ExecutableExternalSource
  | S3ExternalSource;

/** A table or view (anything with the id that names it in ClickHouse). */
type SourceObject = SqlObject;

/** The View a `sourceQuery` becomes (see the header). */
interface SourceView {
  name: string;
  select: Sql;
  baseTables: SourceObject[];
}

export interface OlapDictionaryConfig<T> {
  /** A table or view of the app: the dictionary reads it whole. */
  sourceTable?: SourceObject;
  /** A `sql` query on the project's ClickHouse; name what it reads in `sourceTables`. */
  sourceQuery?: Sql;
  sourceTables?: SourceObject[];
  /** Another database or service. Its credentials are written into the migration file. */
  externalSource?: ExternalSource;
  primaryKey: (keyof T & string)[];
  columns?: Partial<Record<keyof T & string, DictionaryColumnConfig>>;
  layout: DictionaryLayout;
  lifetime: DictionaryLifetime;
  /** Accepted; the dictionary is created in clickhouse_config.db_name. */
  database?: string;
  /** Accepted; not created ON CLUSTER. */
  clusterName?: string;
  /** Checked by ClickHouse to decide whether to reload (a ClickHouse, MySQL or PostgreSQL source). */
  invalidateQuery?: string;
  settings?: Record<string, string>;
  comment?: string;
  /** EXTERNALLY_MANAGED: moose-ts never creates or drops it. DELETION_PROTECTED is accepted, not applied. */
  lifeCycle?: LifeCycle;
  metadata?: { description?: string; [key: string]: unknown };
}

/** `dictGet` & co. keys: a string is a column (quoted as an identifier), a number a literal, a `sql` fragment as written. */
type KeyArgument = Sql | string | number;

export class OlapDictionary<T> {
  readonly kind = "OlapDictionary" as const;
  readonly name: string;
  readonly config: OlapDictionaryConfig<T>;
  readonly source: SourceLocation;
  /** The attributes: the columns of `T`. */
  readonly columnArray: ColumnSpec[];
  /** The `CREATE DICTIONARY` statement migrations run. */
  readonly createStatement: string;

  constructor(name: string, config: OlapDictionaryConfig<T>, injected?: InjectedArgument) {
    const metadata = readMetadata(injected);
    this.name = name;
    this.config = config;
    this.source = sourceOf(metadata);
    this.columnArray = requireColumns(metadata, `OLAP dictionary "${name}"`, this.source);
    const { statement, pullsDataFrom, sourceView } = this.definition();
    this.createStatement = statement;
    getRegistry().registerOther("OlapDictionary", name, this, this.source);
    const unapplied: string[] = (["database", "clusterName"] as const).filter((key) => config[key] !== undefined);
    if (config.lifeCycle === LifeCycle.DELETION_PROTECTED) unapplied.push("lifeCycle DELETION_PROTECTED");
    if (unapplied.length > 0) {
      getRegistry().notice(`OLAP dictionary "${name}": ${unapplied.join(", ")} ${unapplied.length === 1 ? "is" : "are"} accepted but not applied by moose-ts (see docs/moosestack-differences.md)`, this.source);
    }
    if (config.lifeCycle !== LifeCycle.EXTERNALLY_MANAGED) {
      const injected = { [METADATA_MARKER]: 1 as const, source: this.source };
      const reads = sourceView ? [new View(sourceView.name, sourceView.select, sourceView.baseTables, injected)] : pullsDataFrom;
      new SqlResource(name, [statement], [`DROP DICTIONARY IF EXISTS ${quoteIdentifier(name)}`], { pullsDataFrom: reads }, injected);
    }
  }

  /** The name `dictGet` takes (moose-ts creates dictionaries in the connection's database). */
  getQualifiedName(): string {
    return this.name;
  }

  /** `dictGet('name', 'attr', key)`; several keys (or a COMPLEX_KEY layout) make the key a tuple. */
  get(attr: keyof T & string, ...keys: KeyArgument[]): Sql {
    return sql.raw(`dictGet(${quoteString(this.name)}, ${quoteString(this.attribute(attr))}, ${this.key(keys)})`);
  }

  /** `dictGetOrDefault('name', 'attr', key, default)`; a string default is a SQL expression, as written. */
  getOrDefault(attr: keyof T & string, defaultVal: KeyArgument, ...keys: KeyArgument[]): Sql {
    const fallback = isSql(defaultVal) ? toStaticQuery(defaultVal) : String(defaultVal);
    return sql.raw(`dictGetOrDefault(${quoteString(this.name)}, ${quoteString(this.attribute(attr))}, ${this.key(keys)}, ${fallback})`);
  }

  /** `dictHas('name', key)`. */
  has(...keys: KeyArgument[]): Sql {
    return sql.raw(`dictHas(${quoteString(this.name)}, ${this.key(keys)})`);
  }

  private attribute(attr: string): string {
    if (!this.columnArray.some((column) => column.name === attr)) {
      throw new MooseError("UNKNOWN_FIELD", `OLAP dictionary "${this.name}" has no attribute "${attr}"`, { hint: `use one of: ${this.columnArray.map((column) => column.name).join(", ")}` });
    }
    return attr;
  }

  private key(keys: KeyArgument[]): string {
    if (keys.length === 0) throw new MooseError("INVALID_DICTIONARY_KEY", `a lookup in OLAP dictionary "${this.name}" needs its key`, { hint: `pass the key column or value, e.g. .get("attr", "id")` });
    const parts = keys.map((key) => (typeof key === "number" ? String(key) : typeof key === "string" ? quoteIdentifier(key) : toStaticQuery(key)));
    return parts.length > 1 || COMPLEX_KEY_LAYOUTS.has(this.config.layout?.type) ? `tuple(${parts.join(", ")})` : parts[0]!;
  }

  private fail(code: string, problem: string, hint: string): never {
    throw new MooseError(code, `OLAP dictionary "${this.name}" ${problem}`, { location: this.source, hint });
  }

  /** `CREATE DICTIONARY IF NOT EXISTS name (attributes) PRIMARY KEY … SOURCE(…) LAYOUT(…) LIFETIME(…) …` and the app's tables it reads. */
  private definition(): { statement: string; pullsDataFrom: SqlObject[]; sourceView?: SourceView } {
    const config = this.config;
    const names = new Set(this.columnArray.map((column) => column.name));
    const known = `the fields of its type are: ${[...names].join(", ")}`;
    if (!Array.isArray(config.primaryKey) || config.primaryKey.length === 0) this.fail("INVALID_DICTIONARY", "has no primaryKey", `name its key field(s); ${known}`);
    for (const key of config.primaryKey) if (!names.has(key)) this.fail("UNKNOWN_FIELD", `primaryKey names "${key}", which is not a field of its type`, known);
    for (const key of Object.keys(config.columns ?? {})) if (!names.has(key)) this.fail("UNKNOWN_FIELD", `columns names "${key}", which is not a field of its type`, known);
    const layout = config.layout?.type;
    if (!LAYOUT_PARAMETERS[layout]) this.fail("INVALID_DICTIONARY", `has layout ${JSON.stringify(layout)}`, `use one of: ${Object.keys(LAYOUT_PARAMETERS).join(", ")}`);
    if (!COMPLEX_KEY_LAYOUTS.has(layout) && config.primaryKey.length > 1) {
      this.fail("INVALID_DICTIONARY", `has ${config.primaryKey.length} key fields and the ${layout} layout, which takes one`, "use a COMPLEX_KEY_* layout (e.g. COMPLEX_KEY_HASHED) for a key of several fields");
    }
    const sources = (["sourceTable", "sourceQuery", "externalSource"] as const).filter((key) => config[key] !== undefined);
    if (sources.length !== 1) this.fail("INVALID_DICTIONARY", sources.length === 0 ? "has no source" : `has ${sources.join(" and ")}`, "set exactly one of sourceTable, sourceQuery or externalSource");
    const attributes = this.columnArray.map((column) => this.attributeDefinition(column, config.columns?.[column.name as keyof T & string]));
    const { source, pullsDataFrom, sourceView } = this.sourceDefinition();
    const parts = [
      `CREATE DICTIONARY IF NOT EXISTS ${quoteIdentifier(this.name)} (${attributes.join(", ")})`,
      `PRIMARY KEY ${config.primaryKey.map((key) => quoteIdentifier(key)).join(", ")}`,
      `SOURCE(${source})`,
      `LAYOUT(${this.layoutDefinition()})`,
      `LIFETIME(${this.lifetimeDefinition()})`,
    ];
    const settings = Object.entries(config.settings ?? {});
    if (settings.length > 0) parts.push(`SETTINGS(${settings.map(([key, value]) => `${this.settingName(key)} = ${/^-?\d+(\.\d+)?$/.test(String(value)) ? value : quoteString(String(value))}`).join(", ")})`);
    if (config.comment !== undefined) parts.push(`COMMENT ${quoteString(config.comment)}`);
    return { statement: parts.join(" "), pullsDataFrom, ...(sourceView ? { sourceView } : {}) };
  }

  private attributeDefinition(column: ColumnSpec, options: DictionaryColumnConfig | undefined): string {
    const parts = [quoteIdentifier(column.name), fullColumnType(column)];
    if (options?.defaultValue !== undefined) parts.push(`DEFAULT ${options.defaultValue}`);
    if (options?.expression !== undefined) parts.push(`EXPRESSION ${options.expression}`);
    if (options?.isHierarchical) parts.push("HIERARCHICAL");
    if (options?.isInjective) parts.push("INJECTIVE");
    if (options?.isObjectId) parts.push("IS_OBJECT_ID");
    return parts.join(" ");
  }

  private sourceDefinition(): { source: string; pullsDataFrom: SqlObject[]; sourceView?: SourceView } {
    const config = this.config;
    const invalidate = config.invalidateQuery !== undefined ? [`INVALIDATE_QUERY ${this.text(config.invalidateQuery, "invalidateQuery")}`] : [];
    if (config.sourceTable !== undefined) {
      return { source: `CLICKHOUSE(TABLE ${quoteString(config.sourceTable.id)}${invalidate.map((part) => ` ${part}`).join("")})`, pullsDataFrom: [config.sourceTable] };
    }
    if (config.sourceQuery !== undefined) {
      if (!isSql(config.sourceQuery)) this.fail("INVALID_DICTIONARY", "has a sourceQuery that is not a sql`…` template", "write it with the sql tag: sql`SELECT …`");
      if (!config.sourceTables?.length) this.fail("INVALID_DICTIONARY", "has a sourceQuery without sourceTables", "name the tables the query reads in sourceTables, so they are created before it");
      const view = `${this.name}_source`;
      return {
        source: `CLICKHOUSE(TABLE ${quoteString(view)}${invalidate.map((part) => ` ${part}`).join("")})`,
        pullsDataFrom: config.sourceTables,
        sourceView: { name: view, select: config.sourceQuery, baseTables: config.sourceTables },
      };
    }
    return { source: this.externalSourceDefinition(config.externalSource!, invalidate), pullsDataFrom: [] };
  }

  private externalSourceDefinition(source: ExternalSource, invalidate: string[]): string {
    const text = (value: string | undefined, key: string) => (value === undefined ? [] : [`${key.toUpperCase()} ${this.text(value, key)}`]);
    const port = (value: number) => {
      if (!Number.isInteger(value) || value <= 0 || value > 65535) this.fail("INVALID_DICTIONARY", `has external source port ${String(value)}`, "set port to a TCP port number");
      return [`PORT ${value}`];
    };
    switch (source.type) {
      case "clickhouse":
      case "mysql":
      case "postgresql": {
        const where = source.whereClause === undefined ? [] : [`WHERE ${this.text(source.whereClause, "whereClause")}`];
        const own = source.invalidateQuery === undefined ? invalidate : [`INVALIDATE_QUERY ${this.text(source.invalidateQuery, "invalidateQuery")}`];
        const fields = [...text(source.host, "host"), ...port(source.port), ...text(source.user, "user"), ...text(source.password, "password"), ...text(source.db, "db"), ...text(source.table, "table"), ...text(source.query, "query"), ...where, ...own];
        return `${source.type.toUpperCase()}(${fields.join(" ")})`;
      }
      case "http":
        if (source.method !== undefined || source.whereClause !== undefined) {
          getRegistry().notice(`OLAP dictionary "${this.name}": the http source's method and whereClause are accepted but not applied by moose-ts (ClickHouse's HTTP source sends a POST of the keys, or a GET)`, this.source);
        }
        return `HTTP(${[...text(source.url, "url"), ...text(source.format, "format")].join(" ")})`;
      case "redis": {
        const dbIndex = source.dbIndex === undefined ? [] : [`DB_INDEX ${this.integer(source.dbIndex, "dbIndex")}`];
        return `REDIS(${[...text(source.host, "host"), ...port(source.port), ...text(source.password, "password"), ...dbIndex, `STORAGE_TYPE ${this.text(source.storageType, "storageType")}`].join(" ")})`;
      }
      case "mongodb":
        return `MONGODB(${[...text(source.host, "host"), ...port(source.port), ...text(source.user, "user"), ...text(source.password, "password"), ...text(source.db, "db"), ...text(source.collection, "collection")].join(" ")})`;
      case "executable":
        return `EXECUTABLE(${[...text(source.command, "command"), ...text(source.format, "format"), ...(source.implicitKey ? ["IMPLICIT_KEY 1"] : [])].join(" ")})`;
      case "s3":
        return this.fail("INVALID_DICTIONARY", "has an s3 external source, which ClickHouse dictionaries do not have", "read the files through an S3 table engine (an OlapTable with ClickHouseEngines.S3) and use it as sourceTable, or use an http source");
      default:
        return this.fail("INVALID_DICTIONARY", `has external source type ${JSON.stringify((source as { type?: unknown }).type)}`, "use clickhouse, mysql, postgresql, http, redis, mongodb or executable");
    }
  }

  private layoutDefinition(): string {
    const layout = this.config.layout as DictionaryLayout & Record<string, unknown>;
    const parameters = Object.entries(LAYOUT_PARAMETERS[layout.type]!)
      .filter(([key]) => layout[key] !== undefined)
      .map(([key, [keyword, kind]]) => {
        const value = layout[key];
        if (kind === "string") return `${keyword} ${this.text(String(value), key)}`;
        if (kind === "boolean") return `${keyword} ${value ? 1 : 0}`;
        if (typeof value !== "number" || !Number.isFinite(value) || value < 0) this.fail("INVALID_DICTIONARY", `has layout ${key} ${JSON.stringify(value)}`, `set ${key} to a non-negative number`);
        return `${keyword} ${value}`;
      });
    return `${layout.type}(${parameters.join(" ")})`;
  }

  private lifetimeDefinition(): string {
    const lifetime = this.config.lifetime;
    if (typeof lifetime === "number") return this.integer(lifetime, "lifetime");
    if (typeof lifetime !== "object" || lifetime === null) this.fail("INVALID_DICTIONARY", "has no lifetime", "set lifetime: 0 (loaded once), N seconds, or { min, max }");
    const [min, max] = [this.integer(lifetime.min, "lifetime.min"), this.integer(lifetime.max, "lifetime.max")];
    if (Number(min) > Number(max)) this.fail("INVALID_DICTIONARY", `has lifetime min ${min} over max ${max}`, "set min ≤ max");
    return `MIN ${min} MAX ${max}`;
  }

  private integer(value: unknown, key: string): string {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) this.fail("INVALID_DICTIONARY", `has ${key} ${JSON.stringify(value)}`, `set ${key} to a whole number of at least 0`);
    return String(value);
  }

  private settingName(name: string): string {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) this.fail("INVALID_DICTIONARY", `has setting name ${JSON.stringify(name)}`, "setting names are letters, digits and underscores");
    return name;
  }

  /** A string argument as a SQL literal. */
  private text(value: string, key: string): string {
    if (typeof value !== "string") this.fail("INVALID_DICTIONARY", `has ${key} ${JSON.stringify(value)}`, `set ${key} to a string`);
    return ddlLiteral(value, `OLAP dictionary "${this.name}"`, key, this.source);
  }
}
// A table, view, stream or dictionary interpolated into `sql` is its quoted name (./sql-part.ts).
markSqlPart(OlapDictionary.prototype);

/** Each layout's parameters: config key → [ClickHouse keyword, how it is written]. */
type ParameterKind = "number" | "string" | "boolean";
const HASHED_PARAMETERS: Record<string, [string, ParameterKind]> = { initialArraySize: ["INITIAL_ARRAY_SIZE", "number"], maxLoadFactor: ["MAX_LOAD_FACTOR", "number"] };
const CACHE_PARAMETERS: Record<string, [string, ParameterKind]> = { sizeInCells: ["SIZE_IN_CELLS", "number"], maxThreadsForUpdates: ["MAX_THREADS_FOR_UPDATES", "number"] };
const SSD_PARAMETERS: Record<string, [string, ParameterKind]> = {
  path: ["PATH", "string"],
  blockSize: ["BLOCK_SIZE", "number"],
  fileSize: ["FILE_SIZE", "number"],
  readBufferSize: ["READ_BUFFER_SIZE", "number"],
  writeBufferSize: ["WRITE_BUFFER_SIZE", "number"],
  maxStoredKeys: ["MAX_STORED_KEYS", "number"],
};
const LAYOUT_PARAMETERS: Record<string, Record<string, [string, ParameterKind]>> = {
  FLAT: {},
  HASHED: HASHED_PARAMETERS,
  SPARSE_HASHED: HASHED_PARAMETERS,
  HASHED_ARRAY: { shards: ["SHARDS", "number"] },
  RANGE_HASHED: { rangeLookupStrategy: ["RANGE_LOOKUP_STRATEGY", "string"] },
  CACHE: CACHE_PARAMETERS,
  SSD_CACHE: SSD_PARAMETERS,
  DIRECT: {},
  IP_TRIE: { accessToKeyFromAttributes: ["ACCESS_TO_KEY_FROM_ATTRIBUTES", "boolean"] },
  COMPLEX_KEY_HASHED: HASHED_PARAMETERS,
  COMPLEX_KEY_SPARSE_HASHED: HASHED_PARAMETERS,
  COMPLEX_KEY_HASHED_ARRAY: { shards: ["SHARDS", "number"] },
  COMPLEX_KEY_CACHE: CACHE_PARAMETERS,
  COMPLEX_KEY_SSD_CACHE: SSD_PARAMETERS,
  COMPLEX_KEY_DIRECT: {},
};

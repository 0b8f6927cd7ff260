import { MooseError, type SourceLocation } from "../errors.js";
import type { ColumnSpec, EngineSpec, IndexSpec, TableSpec } from "../manifest/types.js";
import { requireColumns, sourceOf, versionedId } from "./component.js";
import { ClickHouseEngines, LifeCycle } from "./enums.js";
import { readMetadata, type InjectedArgument } from "./metadata.js";
import { getRegistry, type Component } from "./registry.js";

export interface TableIndex {
  name: string;
  expression: string;
  type: string;
  arguments?: string[];
  granularity?: number;
}

/** OlapTable configuration (MooseStack's OlapConfig, flattened over the MergeTree family). */
export interface OlapConfig<T> {
  /** Columns of the ORDER BY key. Without it (and without orderByExpression) the Key<> columns are used. */
  orderByFields?: (keyof T & string)[];
  /** A raw ORDER BY expression: `"(id, name)"`, `"tuple()"`. */
  orderByExpression?: string;
  partitionBy?: string;
  sampleByExpression?: string;
  /** A raw PRIMARY KEY expression; overrides the Key<> columns. */
  primaryKeyExpression?: string;
  engine?: ClickHouseEngines;
  /** ReplacingMergeTree / VersionedCollapsingMergeTree version column. */
  ver?: keyof T & string;
  /** ReplacingMergeTree is-deleted column. */
  isDeleted?: keyof T & string;
  /** CollapsingMergeTree / VersionedCollapsingMergeTree sign column. */
  sign?: keyof T & string;
  /** SummingMergeTree columns to sum. */
  columns?: (keyof T & string)[];
  version?: string;
  lifeCycle?: LifeCycle;
  settings?: Record<string, string>;
  ttl?: string;
  indexes?: TableIndex[];
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

  /** @param injected added by the moose-ts build plugin; never pass it yourself. */
  constructor(name: string, config?: OlapConfig<T>, injected?: InjectedArgument) {
    const metadata = readMetadata(injected);
    this.name = name;
    this.config = config ?? {};
    this.id = versionedId(name, this.config.version);
    this.source = sourceOf(metadata);
    this.columnArray = requireColumns(metadata, `OLAP table "${name}"`, this.source);
    getRegistry().register(this);
  }

  toSpec(): TableSpec {
    const config = this.config;
    if (config.orderByFields && config.orderByExpression !== undefined) {
      this.fail("CONFLICTING_ORDER_BY", "sets both orderByFields and orderByExpression", "keep one of them");
    }
    const columnNames = new Set(this.columnArray.map((column) => column.name));
    for (const [setting, fields] of Object.entries({
      orderByFields: config.orderByFields,
      ver: config.ver && [config.ver],
      isDeleted: config.isDeleted && [config.isDeleted],
      sign: config.sign && [config.sign],
      columns: config.columns,
    })) {
      fields?.forEach((field, index) => {
        if (!columnNames.has(field)) {
          const path = config[setting as keyof OlapConfig<T>] instanceof Array ? `${setting}[${index}]` : setting;
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
    const orderBy = explicitOrder ?? keyColumns;
    // Key<> columns become the PRIMARY KEY only where ClickHouse accepts one: a strict prefix of ORDER BY.
    const keyIsStrictPrefix = keyColumns.length > 0 && keyColumns.length < orderBy.length && keyColumns.every((column, index) => orderBy[index] === column);
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
      settings: Object.fromEntries(Object.entries(config.settings ?? {}).map(([key, value]) => [key, settingLiteral(value)])),
      indexes: (config.indexes ?? []).map(indexSpec),
      lifeCycle: config.lifeCycle ?? LifeCycle.FULLY_MANAGED,
      ...(config.version !== undefined ? { version: config.version } : {}),
      source: this.source,
    };
  }

  private engineSpec(): EngineSpec {
    const { engine = ClickHouseEngines.MergeTree, ver, isDeleted, sign, columns } = this.config;
    switch (engine) {
      case ClickHouseEngines.ReplacingMergeTree:
        if (isDeleted && !ver) this.fail("INVALID_ENGINE", "sets isDeleted without ver", "ReplacingMergeTree needs ver when isDeleted is set");
        return { name: engine, params: [ver, isDeleted].filter((param): param is keyof T & string => param !== undefined) };
      case ClickHouseEngines.SummingMergeTree:
        return { name: engine, params: columns?.length ? [`(${columns.join(", ")})`] : [] };
      case ClickHouseEngines.CollapsingMergeTree:
        if (!sign) this.fail("INVALID_ENGINE", "uses CollapsingMergeTree without sign", "set sign to an Int8 field");
        return { name: engine, params: [sign as string] };
      case ClickHouseEngines.VersionedCollapsingMergeTree:
        if (!sign || !ver) this.fail("INVALID_ENGINE", "uses VersionedCollapsingMergeTree without sign and ver", "set sign and ver");
        return { name: engine, params: [sign as string, ver as string] };
      case ClickHouseEngines.MergeTree:
      case ClickHouseEngines.AggregatingMergeTree:
        return { name: engine, params: [] };
      default:
        return this.fail("INVALID_ENGINE", `uses unknown engine "${String(engine)}"`, `use one of ClickHouseEngines: ${Object.values(ClickHouseEngines).join(", ")}`);
    }
  }

  private fail(code: string, problem: string, hint: string, details?: Record<string, unknown>): never {
    throw new MooseError(code, `OLAP table "${this.name}" ${problem}`, { location: this.source, hint, details });
  }
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

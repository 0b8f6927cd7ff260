/**
 * MooseStack's query models: `defineQueryModel` names the dimensions, metrics, detail columns,
 * filters and sort keys of one table (joins allowed); a request picks among them and becomes one
 * parameterised SELECT (`toSql`), or its clauses (`toParts`), or rows (`query`). `buildQuery` is the
 * fluent way to write a request.
 *
 * A request is checked against the model: an unknown field, filter or operator, a field that is not
 * sortable, `page` with `offset`, or either without a limit is an error instead of a different query.
 */
import { MooseError } from "../../errors.js";
import type { QueryClient } from "../api.js";
import type { Column } from "../column.js";
import { MaterializedView } from "../materialized-view.js";
import type { OlapTable } from "../olap-table.js";
import { quoteIdentifier, type Sql, sql } from "../sql.js";
import { direction, empty, filter, groupBy, having, isEmpty, join, paginate, raw, where, type FilterOperator, type OperatorValueType, type SortDir, type SqlValue } from "./clauses.js";

/** A column or expression to group by. */
export interface DimensionDef<TModel = any, TKey extends keyof TModel = keyof TModel> {
  column?: TKey;
  expression?: Sql;
  as?: string;
  description?: string;
}
/** An aggregate: `count()`, `sum(Table.columns.amount)`, ``sql`uniqExact(user)` ``. */
export interface MetricDef {
  agg: Sql;
  as?: string;
  description?: string;
}
/** A column of detail (not aggregated) queries; `join` takes it from a joined table. */
export interface ColumnDef<TModel = any, TKey extends keyof TModel = keyof TModel> {
  column: TKey | string;
  join?: string;
  as?: string;
}
/** A lookup join: `leftKey`/`rightKey` (primary table = joined table), or an `on` condition. */
export interface JoinDef {
  table: OlapTable<any> | MaterializedView<any>;
  on?: Sql;
  leftKey?: string;
  rightKey?: string;
  type?: "LEFT" | "INNER";
}
export type FilterInputTypeHint = "text" | "number" | "date" | "select" | "multiselect";
/** A filter on a column (WHERE) or on a metric (HAVING), with the operators requests may use. */
export interface ModelFilterDef<TModel, TKey extends keyof TModel = keyof TModel> {
  column?: TKey;
  metric?: string;
  operators: readonly FilterOperator[];
  transform?: (value: TModel[TKey]) => SqlValue;
  inputType?: FilterInputTypeHint;
  required?: true;
  description?: string;
}
export type Names<T> = Extract<keyof T, string>;
export type FilterDefBase = { operators: readonly FilterOperator[] };
export type FilterParams<TFilters extends Record<string, FilterDefBase>, TTable = any> = {
  [K in keyof TFilters]?: {
    [Op in TFilters[K]["operators"][number]]?: OperatorValueType<Op, TFilters[K] extends { column: infer TKey extends keyof TTable } ? TTable[TKey] : SqlValue>;
  };
};
/** What to query: dimensions and metrics (grouped), or columns (detail rows); filters, order, limit, page or offset. */
export type QueryRequest<
  TMetrics extends string = string,
  TDimensions extends string = string,
  TFilters extends Record<string, FilterDefBase> = Record<string, FilterDefBase>,
  TSortable extends string = string,
  TColumns extends string = string,
  TTable = any,
> = {
  filters?: FilterParams<TFilters, TTable>;
  dimensions?: TDimensions[];
  metrics?: TMetrics[];
  columns?: TColumns[];
  orderBy?: Array<[TSortable, SortDir]>;
  limit?: number;
  page?: number;
  offset?: number;
};
/** The clauses of a request's query, each empty when it has none. */
export interface QueryParts {
  select: Sql;
  dimensions: Sql;
  metrics: Sql;
  columns: Sql;
  from: Sql;
  conditions: Sql[];
  where: Sql;
  groupBy: Sql;
  having: Sql;
  orderBy: Sql;
  /** LIMIT, and OFFSET when there is one. */
  pagination: Sql;
}
export interface QueryModelDefaults<TSortable extends string = string> {
  orderBy?: Array<[TSortable, SortDir]>;
  groupBy?: string[];
  limit?: number;
  /** The largest LIMIT a request gets, whatever it asks for. */
  maxLimit?: number;
  dimensions?: string[];
  metrics?: string[];
  columns?: string[];
}
export interface QueryModelConfig<
  TTable,
  TMetrics extends Record<string, MetricDef>,
  TDimensions extends Record<string, DimensionDef<TTable, keyof TTable>>,
  TFilters extends Record<string, ModelFilterDef<TTable, keyof TTable>>,
  TSortable extends string,
  TColumns extends Record<string, ColumnDef<TTable>> = Record<string, never>,
  TJoins extends Record<string, JoinDef> = Record<string, never>,
> {
  name?: string;
  description?: string;
  /** The table to query; a materialized view stands for its target table. */
  table: OlapTable<TTable> | MaterializedView<TTable>;
  dimensions?: TDimensions;
  metrics?: TMetrics;
  columns?: TColumns;
  joins?: TJoins;
  filters: TFilters;
  sortable: readonly TSortable[];
  defaults?: QueryModelDefaults<TSortable>;
}
export interface QueryModel<
  TTable,
  TMetrics extends Record<string, MetricDef>,
  TDimensions extends Record<string, DimensionDef>,
  TFilters extends Record<string, FilterDefBase>,
  TSortable extends string,
  TResult,
  TColumns extends Record<string, ColumnDef> = Record<string, never>,
> {
  readonly name?: string;
  readonly description?: string;
  readonly defaults: QueryModelDefaults<TSortable>;
  readonly filters: TFilters;
  readonly sortable: readonly TSortable[];
  readonly dimensions?: TDimensions;
  readonly metrics?: TMetrics;
  readonly columns?: TColumns;
  readonly columnNames: readonly string[];
  /** Types only (`typeof model.$inferRequest`); undefined at run time. */
  readonly $inferDimensions: Names<TDimensions>;
  readonly $inferMetrics: Names<TMetrics>;
  readonly $inferColumns: Names<TColumns>;
  readonly $inferFilters: FilterParams<TFilters, TTable>;
  readonly $inferRequest: QueryRequest<Names<TMetrics>, Names<TDimensions>, TFilters, TSortable, Names<TColumns>, TTable>;
  readonly $inferResult: TResult;
  query(request: QueryRequest<Names<TMetrics>, Names<TDimensions>, TFilters, TSortable, Names<TColumns>, TTable>, client: Pick<QueryClient, "execute">): Promise<TResult[]>;
  toSql(request: QueryRequest<Names<TMetrics>, Names<TDimensions>, TFilters, TSortable, Names<TColumns>, TTable>): Sql;
  toParts(request: QueryRequest<Names<TMetrics>, Names<TDimensions>, TFilters, TSortable, Names<TColumns>, TTable>): QueryParts;
}

type FieldKind = "dimension" | "metric" | "column";
/** A field of the model as SQL: what it computes and the name its result column gets. */
interface Field {
  kind: FieldKind;
  expression: Sql;
  alias: string;
}
interface ResolvedFilter {
  target: Sql;
  operators: readonly FilterOperator[];
  transform?: (value: any) => SqlValue;
  onMetric: boolean;
}

function tableOf(source: OlapTable<any> | MaterializedView<any>): OlapTable<any> {
  return source instanceof MaterializedView ? source.targetTable : source;
}

function modelError(message: string, hint?: string): MooseError {
  return new MooseError("QUERY_MODEL_INVALID", message, hint ? { hint } : {});
}
function requestError(message: string, hint?: string): MooseError {
  return new MooseError("QUERY_REQUEST_INVALID", message, hint ? { hint } : {});
}

export function defineQueryModel<
  TTable,
  TMetrics extends Record<string, MetricDef>,
  TDimensions extends Record<string, DimensionDef<TTable, keyof TTable>>,
  TFilters extends Record<string, ModelFilterDef<TTable, keyof TTable>>,
  TSortable extends string,
  TColumns extends Record<string, ColumnDef<TTable>> = Record<string, never>,
  TJoins extends Record<string, JoinDef> = Record<string, never>,
  TResult = TTable,
>(
  config: QueryModelConfig<TTable, TMetrics, TDimensions, TFilters, TSortable, TColumns, TJoins>,
): QueryModel<TTable, TMetrics, TDimensions, TFilters, TSortable, TResult, TColumns> {
  const table = tableOf(config.table);
  const tableName = table.generateTableName();
  const joins = Object.entries(config.joins ?? {}) as Array<[string, JoinDef]>;
  const defaults: QueryModelDefaults<TSortable> = config.defaults ?? {};

  /** A column of the primary table: the table's Column, or `table`.`column` once other tables are joined. */
  const primaryColumn = (name: string, usedBy: string): Sql => {
    const column = (table.columns as Record<string, Column | undefined>)[name];
    if (!column) throw modelError(`${usedBy} names column "${name}", which table ${tableName} does not have`, `its columns: ${table.columnArray.map((spec) => spec.name).join(", ")}`);
    return joins.length > 0 ? raw(`${quoteIdentifier(tableName)}.${quoteIdentifier(name)}`) : sql`${column}`;
  };

  // One namespace per kind: a dimension and a detail column may share a name (`status`), as in MooseStack.
  const fields: Record<FieldKind, Map<string, Field>> = { dimension: new Map(), metric: new Map(), column: new Map() };
  const addField = (kind: FieldKind, name: string, expression: Sql, alias: string | undefined) => {
    fields[kind].set(name, { kind, expression, alias: alias ?? name });
  };
  for (const [name, def] of Object.entries(config.dimensions ?? {}) as Array<[string, DimensionDef]>) {
    const expression = def.expression ?? (def.column !== undefined ? primaryColumn(String(def.column), `dimension "${name}"`) : undefined);
    if (!expression) throw modelError(`dimension "${name}" has neither a column nor an expression`);
    addField("dimension", name, expression, def.as);
  }
  for (const [name, def] of Object.entries(config.metrics ?? {}) as Array<[string, MetricDef]>) {
    if (!def?.agg) throw modelError(`metric "${name}" has no agg expression`, "e.g. { agg: count() } or { agg: sum(Table.columns.amount) }");
    addField("metric", name, def.agg, def.as);
  }
  for (const [name, def] of Object.entries(config.columns ?? {}) as Array<[string, ColumnDef]>) {
    if (def.join === undefined) {
      addField("column", name, primaryColumn(String(def.column), `column "${name}"`), def.as);
      continue;
    }
    const joined = joins.find(([joinName]) => joinName === def.join)?.[1];
    if (!joined) throw modelError(`column "${name}" names join "${def.join}", which the model does not define`, `its joins: ${joins.map(([joinName]) => joinName).join(", ") || "none"}`);
    addField("column", name, raw(`${quoteIdentifier(tableOf(joined.table).generateTableName())}.${quoteIdentifier(String(def.column))}`), def.as);
  }

  const filters = new Map<string, ResolvedFilter>();
  const describedFilters: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(config.filters ?? {}) as unknown as Array<[string, ModelFilterDef<any, any>]>) {
    if (def.metric !== undefined) {
      const metric = fields.metric.get(def.metric);
      if (!metric) throw modelError(`filter "${name}" names metric "${def.metric}", which the model does not define`);
      // A metric filter compares the aggregate's result column, so it goes to HAVING.
      filters.set(name, { target: raw(quoteIdentifier(metric.alias)), operators: def.operators, ...(def.transform ? { transform: def.transform } : {}), onMetric: true });
      describedFilters[name] = { ...def, inputType: def.inputType ?? "number" };
    } else if (def.column !== undefined) {
      const target = primaryColumn(String(def.column), `filter "${name}"`);
      filters.set(name, { target, operators: def.operators, ...(def.transform ? { transform: def.transform } : {}), onMetric: false });
      const column = (table.columns as Record<string, Column>)[String(def.column)]!;
      describedFilters[name] = { ...def, inputType: def.inputType ?? deriveInputTypeFromDataType(column.data_type) };
    } else {
      throw modelError(`filter "${name}" names neither a column nor a metric`);
    }
  }

  const from = joins.reduce((clause, [name, def]) => {
    const joinedTable = tableOf(def.table);
    let on: Sql;
    if (def.leftKey !== undefined && def.rightKey !== undefined) {
      on = raw(`${quoteIdentifier(tableName)}.${quoteIdentifier(def.leftKey)} = ${quoteIdentifier(joinedTable.generateTableName())}.${quoteIdentifier(def.rightKey)}`);
    } else if (def.on) {
      on = def.on;
    } else {
      throw modelError(`join "${name}" has neither leftKey/rightKey nor on`);
    }
    const type = def.type ?? "LEFT";
    if (type !== "LEFT" && type !== "INNER") throw modelError(`join "${name}" has type ${JSON.stringify(type)}: use "LEFT" or "INNER"`);
    return sql`${clause} ${raw(type)} JOIN ${joinedTable} ON ${on}`;
  }, sql`FROM ${table}`);

  const fieldOf = (name: string, kind: FieldKind, listedIn: string): Field => {
    const field = fields[kind].get(name);
    if (!field) throw requestError(`${listedIn} names "${name}", which is not a ${kind} of the model`, `its ${kind}s: ${[...fields[kind].keys()].join(", ") || "none"}`);
    return field;
  };
  const selected = (field: Field): Sql => sql`${field.expression} AS ${raw(quoteIdentifier(field.alias))}`;

  function conditions(request: QueryRequest): { where: Sql[]; having: Sql[] } {
    const result: { where: Sql[]; having: Sql[] } = { where: [], having: [] };
    for (const [name, operators] of Object.entries(request.filters ?? {}) as Array<[string, Record<string, unknown> | undefined]>) {
      const resolved = filters.get(name);
      if (!resolved) throw requestError(`filter "${name}" is not a filter of the model`, `its filters: ${[...filters.keys()].join(", ") || "none"}`);
      for (const [op, value] of Object.entries(operators ?? {})) {
        if (value === undefined) continue;
        if (!resolved.operators.includes(op as FilterOperator)) {
          throw requestError(`filter "${name}" does not allow operator "${op}"`, `it allows: ${resolved.operators.join(", ")}`);
        }
        const condition = filter(resolved.target, op as FilterOperator, transformed(op as FilterOperator, value, resolved.transform));
        if (!isEmpty(condition)) (resolved.onMetric ? result.having : result.where).push(condition);
      }
    }
    return result;
  }

  function toParts(request: QueryRequest): QueryParts {
    const detail = (request.columns?.length ?? 0) > 0;
    if (request.page != null && request.offset != null) throw requestError("a request gives both page and offset", "give one of them");
    const askedLimit = request.limit ?? defaults.limit;
    const rowLimit = askedLimit != null && defaults.maxLimit != null ? Math.min(askedLimit, defaults.maxLimit) : (askedLimit ?? defaults.maxLimit);
    if (rowLimit == null && (request.page != null || request.offset != null)) {
      throw requestError("page and offset need a limit", "set limit in the request or defaults.limit in the model");
    }

    let dimensions: Field[] = [];
    let metrics: Field[] = [];
    let columns: Field[] = [];
    if (detail) {
      columns = request.columns!.map((name) => fieldOf(name, "column", "columns"));
    } else if ((request.dimensions?.length ?? 0) + (request.metrics?.length ?? 0) > 0) {
      dimensions = (request.dimensions ?? []).map((name) => fieldOf(name, "dimension", "dimensions"));
      metrics = (request.metrics ?? []).map((name) => fieldOf(name, "metric", "metrics"));
    } else {
      // Nothing asked for: every dimension and metric, grouped by defaults.groupBy (not by all dimensions).
      dimensions = [...fields.dimension.values()];
      metrics = [...fields.metric.values()];
    }
    const chosen = [...dimensions, ...metrics, ...columns];
    if (chosen.length === 0) throw requestError("the request selects nothing: the model has no dimensions or metrics", "ask for columns");

    const grouping = detail ? [] : request.dimensions?.length ? request.dimensions : (defaults.groupBy ?? []);
    const groupedBy = grouping.map((name) => fieldOf(name, "dimension", "groupBy").expression);

    const filtered = conditions(request);
    const rowOrder = request.orderBy?.length ? request.orderBy : (defaults.orderBy ?? []);
    const orderParts = rowOrder.flatMap(([name, dir]): Sql[] => {
      if (!(config.sortable as readonly string[]).includes(name)) throw requestError(`"${name}" is not sortable`, `sortable: ${config.sortable.join(", ") || "none"}`);
      const sortDirection = direction(dir);
      const field = detail ? fields.column.get(name) : (fields.metric.get(name) ?? fields.dimension.get(name));
      // A sortable name that is no field of the query's kind, or a dimension this request does not
      // select, orders nothing (MooseStack's rule).
      if (!field || (field.kind === "dimension" && !dimensions.includes(field))) return [];
      // A selected metric is ordered by its result column; one not selected, by its aggregate.
      const key = field.kind === "metric" && metrics.includes(field) ? raw(quoteIdentifier(field.alias)) : field.expression;
      return [sql`${key} ${sortDirection}`];
    });

    const list = (picked: Field[]): Sql => (picked.length > 0 ? join(picked.map(selected)) : empty);
    return {
      select: sql`SELECT ${join(chosen.map(selected))}`,
      dimensions: list(dimensions),
      metrics: list(metrics),
      columns: list(columns),
      from,
      conditions: filtered.where,
      where: filtered.where.length > 0 ? where(...filtered.where) : empty,
      groupBy: groupBy(...groupedBy),
      having: filtered.having.length > 0 ? having(...filtered.having) : empty,
      orderBy: orderParts.length > 0 ? sql`ORDER BY ${join(orderParts)}` : empty,
      pagination: rowLimit == null ? empty : request.offset != null ? sql`LIMIT ${rowLimit} OFFSET ${request.offset}` : paginate(rowLimit, request.page ?? 0),
    };
  }

  function toSql(request: QueryRequest): Sql {
    const parts = toParts(request);
    return join([parts.select, parts.from, parts.where, parts.groupBy, parts.having, parts.orderBy, parts.pagination].filter((part) => !isEmpty(part)), "\n");
  }

  return {
    ...(config.name !== undefined ? { name: config.name } : {}),
    ...(config.description !== undefined ? { description: config.description } : {}),
    defaults,
    filters: describedFilters as TFilters,
    sortable: config.sortable,
    ...(config.dimensions ? { dimensions: config.dimensions } : {}),
    ...(config.metrics ? { metrics: config.metrics } : {}),
    ...(config.columns ? { columns: config.columns } : {}),
    columnNames: Object.keys(config.columns ?? {}),
    query: async (request: QueryRequest, client: Pick<QueryClient, "execute">) => (await client.execute<TResult>(toSql(request))).json(),
    toSql,
    toParts,
    $inferDimensions: undefined,
    $inferMetrics: undefined,
    $inferColumns: undefined,
    $inferFilters: undefined,
    $inferRequest: undefined,
    $inferResult: undefined,
  } as unknown as QueryModel<TTable, TMetrics, TDimensions, TFilters, TSortable, TResult, TColumns>;
}

/** The filter's transform applied to each value an operator takes (both ends of a range, every list item). */
function transformed(op: FilterOperator, value: unknown, transform: ((value: any) => SqlValue) | undefined): unknown {
  if (!transform || op === "isNull" || op === "isNotNull") return value;
  if (op === "in" || op === "notIn" || op === "between") return Array.isArray(value) ? value.map(transform) : value;
  return transform(value);
}

/** A fluent request for a model: `.dimensions([…]).metrics([…]).filter(name, op, value).limit(n).execute(client)`. */
export interface QueryBuilder<TMetrics extends string, TDimensions extends string, TFilters extends Record<string, FilterDefBase>, TSortable extends string, TResult, TTable = any, TColumns extends string = string> {
  /** Adds a condition; an undefined or null value adds nothing. */
  filter<K extends keyof TFilters, Op extends TFilters[K]["operators"][number]>(filterName: K, op: Op, value: OperatorValueType<Op, SqlValue> | undefined): this;
  dimensions(fields: TDimensions[]): this;
  metrics(fields: TMetrics[]): this;
  columns(fields: TColumns[]): this;
  orderBy(...orders: Array<[TSortable, SortDir]>): this;
  limit(n: number): this;
  /** Page from 0; replaces an offset. */
  page(n: number): this;
  /** Rows to skip; replaces a page. */
  offset(n: number): this;
  build(): QueryRequest<TMetrics, TDimensions, TFilters, TSortable, TColumns, TTable>;
  toSql(): Sql;
  toParts(): QueryParts;
  assemble(fn: (parts: QueryParts) => Sql): Sql;
  execute(client: Pick<QueryClient, "execute">): Promise<TResult[]>;
}

export function buildQuery<
  TTable,
  TMetrics extends Record<string, MetricDef>,
  TDimensions extends Record<string, DimensionDef>,
  TFilters extends Record<string, FilterDefBase>,
  TSortable extends string,
  TResult,
  TColumns extends Record<string, ColumnDef> = Record<string, never>,
>(
  model: QueryModel<TTable, TMetrics, TDimensions, TFilters, TSortable, TResult, TColumns>,
): QueryBuilder<Names<TMetrics>, Names<TDimensions>, TFilters, TSortable, TResult, TTable, Names<TColumns>> {
  type Request = QueryRequest<Names<TMetrics>, Names<TDimensions>, TFilters, TSortable, Names<TColumns>, TTable>;
  const request: Request = {};
  const conditions: Record<string, Record<string, unknown>> = Object.create(null);
  const build = (): Request => ({ ...request, ...(Object.keys(conditions).length > 0 ? { filters: structuredClone(conditions) as Request["filters"] } : {}) });
  const builder: QueryBuilder<Names<TMetrics>, Names<TDimensions>, TFilters, TSortable, TResult, TTable, Names<TColumns>> = {
    filter(filterName, op, value) {
      if (value !== undefined && value !== null) (conditions[String(filterName)] ??= {})[String(op)] = value;
      return builder;
    },
    dimensions(fields) {
      request.dimensions = fields;
      return builder;
    },
    metrics(fields) {
      request.metrics = fields;
      return builder;
    },
    columns(fields) {
      request.columns = fields;
      return builder;
    },
    orderBy(...orders) {
      request.orderBy = orders;
      return builder;
    },
    limit(n) {
      request.limit = n;
      return builder;
    },
    page(n) {
      request.page = n;
      delete request.offset;
      return builder;
    },
    offset(n) {
      request.offset = n;
      delete request.page;
      return builder;
    },
    build,
    toSql: () => model.toSql(build()),
    toParts: () => model.toParts(build()),
    assemble: (fn) => fn(model.toParts(build())),
    execute: (client) => model.query(build(), client),
  };
  return builder;
}

/** The input a filter UI shows for a ClickHouse type: dates, numbers, a select for enums and Bool, text otherwise. */
export function deriveInputTypeFromDataType(dataType: string): FilterInputTypeHint {
  const type = dataType.replace(/^(Nullable|LowCardinality)\((.*)\)$/, "$2").replace(/^(Nullable|LowCardinality)\((.*)\)$/, "$2").toLowerCase();
  if (type.startsWith("date")) return "date";
  if (/^(u?int|float|decimal)/.test(type)) return "number";
  if (type.startsWith("enum") || type === "bool" || type === "boolean") return "select";
  return "text";
}

/** `{ day, month, week }` dimensions (toDate, toStartOfMonth, toStartOfWeek) of a date column, or the periods named. */
/** An expression dimension: it names no column, so it fits any table's model type (MooseStack types it as DimensionDef<any>, which strict mode refuses there). */
export interface TimeDimension {
  expression: Sql;
  as: string;
}
export function timeDimensions(dateColumn: Column): { day: TimeDimension; month: TimeDimension; week: TimeDimension };
export function timeDimensions(dateColumn: Column, options: { periods: string[] }): Record<string, TimeDimension>;
export function timeDimensions(dateColumn: Column, options?: { periods: string[] }): Record<string, TimeDimension> {
  const periods: Record<string, (column: Column) => Sql> = {
    day: (column) => sql`toDate(${column})`,
    month: (column) => sql`toStartOfMonth(${column})`,
    week: (column) => sql`toStartOfWeek(${column})`,
  };
  const result: Record<string, TimeDimension> = {};
  for (const period of options?.periods ?? ["day", "month", "week"]) {
    const expression = periods[period];
    if (!expression) throw modelError(`timeDimensions: unknown period "${period}"`, `use ${Object.keys(periods).join(", ")}`);
    result[period] = { expression: expression(dateColumn), as: period };
  }
  return result;
}

export interface TableFieldOptions {
  include?: string[];
  exclude?: string[];
  /** `first_name` → `firstName` keys (default true). */
  camelCase?: boolean;
}

function tableFields<V>(table: OlapTable<any>, options: TableFieldOptions | undefined, entry: (column: { name: string; type: string }) => V): Record<string, V> {
  const { include, exclude, camelCase = true } = options ?? {};
  const result: Record<string, V> = {};
  for (const column of table.columnArray) {
    if (include && !include.includes(column.name)) continue;
    if (exclude?.includes(column.name)) continue;
    result[camelCase ? column.name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()) : column.name] = entry(column);
  }
  return result;
}

/** A detail column per table column. */
export function columnsFromTable<T>(table: OlapTable<T>, options?: TableFieldOptions): Record<string, ColumnDef<T>> {
  return tableFields(table, options, (column) => ({ column: column.name }));
}

/** An `eq` filter per table column (widen the operators of those that need more). */
export function filtersFromTable<T>(table: OlapTable<T>, options?: TableFieldOptions): Record<string, ModelFilterDef<T, keyof T>> {
  return tableFields(table, options, (column) => ({ column: column.name as keyof T, operators: ["eq"] as const, inputType: deriveInputTypeFromDataType(column.type) }));
}

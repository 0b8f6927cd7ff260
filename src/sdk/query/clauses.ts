/**
 * MooseStack's query-layer building blocks: conditions, clauses and aggregates as `sql` fragments.
 * Values stay query parameters and columns quoted identifiers, as everywhere the `sql` tag is used;
 * a condition whose value is missing is the empty fragment, which `and`, `where` and `having` skip.
 */
import { MooseError } from "../../errors.js";
import type { Column } from "../column.js";
import { quoteIdentifier, Sql, sql } from "../sql.js";

/** A value a condition compares with (a query parameter). */
export type SqlValue = string | number | boolean | Date;
/** A column of `OlapTable.columns`, or an expression. */
export type ColRef = Column | Sql;
export type FilterOperator = "eq" | "ne" | "gt" | "gte" | "lt" | "lte" | "like" | "ilike" | "in" | "notIn" | "between" | "isNull" | "isNotNull";
export type SortDir = "ASC" | "DESC";

/** The value an operator takes: one value, a list (`in`, `notIn`), a pair (`between`) or a flag (`isNull`, `isNotNull`). */
export type OperatorValueType<Op extends FilterOperator, TValue = SqlValue> = Op extends "eq" | "ne" | "gt" | "gte" | "lt" | "lte" | "like" | "ilike"
  ? TValue
  : Op extends "in" | "notIn"
    ? TValue[]
    : Op extends "between"
      ? [TValue, TValue]
      : Op extends "isNull" | "isNotNull"
        ? boolean
        : never;

export const raw = (text: string): Sql => sql.raw(text);
/** The fragment that adds nothing. */
export const empty: Sql = sql``;
export const join = (fragments: Sql[], separator?: string): Sql => sql.join(fragments, separator);

export function isEmpty(fragment: Sql): boolean {
  return fragment.values.length === 0 && fragment.strings.every((text) => text.trim() === "");
}

export function eq(col: ColRef, value: SqlValue): Sql {
  return sql`${col} = ${value}`;
}
export function ne(col: ColRef, value: SqlValue): Sql {
  return sql`${col} != ${value}`;
}
export function gt(col: ColRef, value: SqlValue): Sql {
  return sql`${col} > ${value}`;
}
export function gte(col: ColRef, value: SqlValue): Sql {
  return sql`${col} >= ${value}`;
}
export function lt(col: ColRef, value: SqlValue): Sql {
  return sql`${col} < ${value}`;
}
export function lte(col: ColRef, value: SqlValue): Sql {
  return sql`${col} <= ${value}`;
}
export function like(col: ColRef, pattern: string): Sql {
  return sql`${col} LIKE ${pattern}`;
}
export function ilike(col: ColRef, pattern: string): Sql {
  return sql`${col} ILIKE ${pattern}`;
}
/** `col IN (…)`; an empty list matches no row. */
export function inList(col: ColRef, values: SqlValue[]): Sql {
  return values.length === 0 ? sql`1 = 0` : sql`${col} IN (${join(values.map((value) => sql`${value}`))})`;
}
/** `col NOT IN (…)`; an empty list excludes no row. */
export function notIn(col: ColRef, values: SqlValue[]): Sql {
  return values.length === 0 ? sql`1 = 1` : sql`${col} NOT IN (${join(values.map((value) => sql`${value}`))})`;
}
export function between(col: ColRef, low: SqlValue, high: SqlValue): Sql {
  return sql`${col} BETWEEN ${low} AND ${high}`;
}
export function isNull(col: ColRef): Sql {
  return sql`${col} IS NULL`;
}
export function isNotNull(col: ColRef): Sql {
  return sql`${col} IS NOT NULL`;
}

/** One condition by operator name; `undefined`/`null` (and a false `isNull`/`isNotNull` flag) add nothing. */
export function filter(col: ColRef, op: "between", value: [SqlValue, SqlValue] | undefined): Sql;
export function filter(col: ColRef, op: "in" | "notIn", value: SqlValue[] | undefined): Sql;
export function filter(col: ColRef, op: "isNull" | "isNotNull", value: boolean | undefined): Sql;
export function filter(col: ColRef, op: "like" | "ilike", value: string | undefined): Sql;
export function filter(col: ColRef, op: Exclude<FilterOperator, "between" | "in" | "notIn" | "isNull" | "isNotNull" | "like" | "ilike">, value: SqlValue | undefined): Sql;
export function filter(col: ColRef, op: FilterOperator, value: unknown): Sql;
export function filter(col: ColRef, op: FilterOperator, value: unknown): Sql {
  if (value === undefined || value === null) return empty;
  switch (op) {
    case "eq":
      return eq(col, value as SqlValue);
    case "ne":
      return ne(col, value as SqlValue);
    case "gt":
      return gt(col, value as SqlValue);
    case "gte":
      return gte(col, value as SqlValue);
    case "lt":
      return lt(col, value as SqlValue);
    case "lte":
      return lte(col, value as SqlValue);
    case "like":
      return like(col, value as string);
    case "ilike":
      return ilike(col, value as string);
    case "in":
      return inList(col, listValue(op, value));
    case "notIn":
      return notIn(col, listValue(op, value));
    case "between": {
      const range = listValue(op, value);
      if (range.length !== 2) throw new MooseError("QUERY_FILTER_VALUE", `"between" takes [low, high], got ${range.length} value(s)`);
      return between(col, range[0]!, range[1]!);
    }
    case "isNull":
      return value ? isNull(col) : empty;
    case "isNotNull":
      return value ? isNotNull(col) : empty;
    default:
      throw new MooseError("QUERY_FILTER_OPERATOR", `unknown filter operator "${String(op)}"`, {
        hint: "use one of eq, ne, gt, gte, lt, lte, like, ilike, in, notIn, between, isNull, isNotNull",
      });
  }
}

function listValue(op: FilterOperator, value: unknown): SqlValue[] {
  if (!Array.isArray(value)) throw new MooseError("QUERY_FILTER_VALUE", `"${op}" takes a list of values, got ${typeof value}`);
  return value as SqlValue[];
}

/** The conditions joined with AND, empty ones left out. */
export function and(...conditions: Sql[]): Sql {
  return join(conditions.filter((condition) => !isEmpty(condition)), "AND");
}
/** The conditions joined with OR in parentheses, empty ones left out. */
export function or(...conditions: Sql[]): Sql {
  const present = conditions.filter((condition) => !isEmpty(condition));
  if (present.length <= 1) return present[0] ?? empty;
  return sql`(${join(present, "OR")})`;
}
export function not(condition: Sql): Sql {
  return isEmpty(condition) ? empty : sql`NOT (${condition})`;
}
/** `WHERE` and the conditions joined with AND; empty when none is left. */
export function where(...conditions: Sql[]): Sql {
  const combined = and(...conditions);
  return isEmpty(combined) ? empty : sql`WHERE ${combined}`;
}
export function having(...conditions: Sql[]): Sql {
  const combined = and(...conditions);
  return isEmpty(combined) ? empty : sql`HAVING ${combined}`;
}
export function groupBy(...cols: ColRef[]): Sql {
  return cols.length === 0 ? empty : sql`GROUP BY ${join(cols.map((col) => sql`${col}`))}`;
}
export function orderBy(...cols: Array<ColRef | [ColRef, SortDir]>): Sql {
  if (cols.length === 0) return empty;
  return sql`ORDER BY ${join(cols.map((entry) => (Array.isArray(entry) ? sql`${entry[0]} ${direction(entry[1])}` : sql`${entry}`)))}`;
}

/** ASC/DESC as SQL text: anything else is refused, since it is spliced, not bound. */
export function direction(dir: unknown): Sql {
  if (dir !== "ASC" && dir !== "DESC") throw new MooseError("QUERY_SORT_DIRECTION", `sort direction ${JSON.stringify(dir)} is neither "ASC" nor "DESC"`);
  return raw(dir);
}

function wholeNumber(n: unknown, what: string, minimum: number): number {
  if (!Number.isInteger(n) || (n as number) < minimum) {
    throw new MooseError("QUERY_PAGINATION", `${what} must be ${minimum === 0 ? "a non-negative" : "a positive"} integer, got ${String(n)}`);
  }
  return n as number;
}
export function limit(n: number): Sql {
  return sql`LIMIT ${wholeNumber(n, "LIMIT", 0)}`;
}
export function offset(n: number): Sql {
  return sql`OFFSET ${wholeNumber(n, "OFFSET", 0)}`;
}
/** `LIMIT pageSize`, with `OFFSET page × pageSize` past the first page (pages count from 0). */
export function paginate(pageSize: number, page = 0): Sql {
  const size = wholeNumber(pageSize, "pageSize", 1);
  const skipped = wholeNumber(page, "page", 0) * size;
  return skipped > 0 ? sql`LIMIT ${size} OFFSET ${skipped}` : sql`LIMIT ${size}`;
}

/** An expression that can name itself: `count().as("events")`. */
export interface Expr extends Sql {
  as(alias: string): Sql;
}

/** `expression AS \`alias\``. */
export function as(expression: Sql, alias: string): Sql {
  return sql`${expression} AS ${raw(quoteIdentifier(alias))}`;
}

function aggregate(fragment: Sql): Expr {
  return Object.assign(new Sql(["", ""], [fragment]), { as: (alias: string) => as(fragment, alias) });
}
/** `count(*)`, or `count(col)` (rows where col is not NULL). */
export const count = (col?: ColRef): Expr => aggregate(col === undefined ? sql`count(*)` : sql`count(${col})`);
export const countDistinct = (col: ColRef): Expr => aggregate(sql`count(DISTINCT ${col})`);
export const sum = (col: ColRef): Expr => aggregate(sql`sum(${col})`);
export const avg = (col: ColRef): Expr => aggregate(sql`avg(${col})`);
export const min = (col: ColRef): Expr => aggregate(sql`min(${col})`);
export const max = (col: ColRef): Expr => aggregate(sql`max(${col})`);

/** `SELECT` the columns (`[col, alias]` names one); `SELECT *` for none. */
export function select(...cols: Array<ColRef | [ColRef, string]>): Sql {
  if (cols.length === 0) return sql`SELECT *`;
  return sql`SELECT ${join(cols.map((entry) => (Array.isArray(entry) ? as(sql`${entry[0]}`, entry[1]) : sql`${entry}`)))}`;
}

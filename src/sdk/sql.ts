/**
 * The `sql` template tag (MooseStack shape): interpolated tables and views become quoted
 * identifiers, nested Sql values are spliced, everything else is a value. `toStaticQuery` inlines
 * values as literals (for view definitions); the API server binds them as query parameters.
 */
import { splitTopLevel } from "../diff/normalize.js";
import { numberLiteral } from "../infra/clickhouse/inline-params.js";
import { quoteIdentifier, quoteString } from "../infra/clickhouse/quote.js";
import { isColumn, type Column } from "./column.js";
import { isSqlPart, markSqlPart } from "./sql-part.js";

export { quoteIdentifier };

export type Value = string | number | boolean | Date | [string, string];

/** Anything with a ClickHouse name that can be interpolated as an identifier (tables, views). */
export interface SqlIdentifier {
  readonly componentKind: "tables" | "views" | "materializedViews";
  readonly name: string;
  readonly id: string;
}

/** An OlapDictionary (./dictionary.ts, which imports this module): interpolated as its name. */
export interface SqlDictionary {
  readonly kind: "OlapDictionary";
  readonly name: string;
}

export type RawValue = Value | Sql | SqlIdentifier | SqlDictionary | Column;

export class Sql {
  readonly kind = "Sql" as const;
  readonly strings: string[];
  readonly values: Array<Value | SqlIdentifier | SqlDictionary | Column>;

  constructor(rawStrings: readonly string[], rawValues: readonly RawValue[]) {
    const strings = [rawStrings[0] ?? ""];
    const values: Array<Value | SqlIdentifier | SqlDictionary | Column> = [];
    rawValues.forEach((value, index) => {
      const next = rawStrings[index + 1] ?? "";
      if (isSql(value)) {
        strings[strings.length - 1] += value.strings[0];
        value.values.forEach((nested, nestedIndex) => {
          values.push(nested);
          strings.push(value.strings[nestedIndex + 1]);
        });
        strings[strings.length - 1] += next;
      } else {
        values.push(value);
        strings.push(next);
      }
    });
    this.strings = strings;
    this.values = values;
  }

  /** This statement followed by `other` (MooseStack's Sql.append): a new Sql, neither is changed. */
  append(other: Sql): Sql {
    return new Sql(["", "", ""], [this, other]);
  }
}
markSqlPart(Sql.prototype);

/** A statement the sql tag made (./sql-part.ts: an object of the same shape from elsewhere is not one). */
export function isSql(value: unknown): value is Sql {
  return isSqlPart(value) && (value as { kind?: unknown }).kind === "Sql";
}

function isIdentifier(value: unknown): value is SqlIdentifier {
  return isSqlPart(value) && "componentKind" in value && "id" in value;
}

function isDictionary(value: unknown): value is SqlDictionary {
  return isSqlPart(value) && (value as { kind?: unknown }).kind === "OlapDictionary" && typeof (value as { name?: unknown }).name === "string";
}

/**
 * The SQL of an interpolated table, view, dictionary or column; undefined for a value. A column holding
 * aggregate states (`Aggregated<>`, `AggregateFunction(avg, Float64)`) reads as its merge,
 * `avgMerge(\`col\`)`, as in MooseStack; `SimpleAggregated<>` columns hold plain values.
 */
function identifierText(value: unknown): string | undefined {
  if (isIdentifier(value)) return quoteIdentifier(value.id);
  if (isDictionary(value)) return quoteIdentifier(value.name);
  if (isColumn(value)) {
    const merge = mergeFunction(value.data_type);
    return merge === undefined ? quoteIdentifier(value.name) : `${merge}(${quoteIdentifier(value.name)})`;
  }
  return undefined;
}

/** `AggregateFunction(quantiles(0.5, 0.9), Float64)` → `quantilesMerge(0.5, 0.9)`; undefined for other types. */
function mergeFunction(dataType: string): string | undefined {
  const prefix = "AggregateFunction(";
  if (!dataType.startsWith(prefix) || !dataType.endsWith(")")) return undefined;
  const name = splitTopLevel(dataType.slice(prefix.length, -1))[0] ?? "";
  const parameters = name.indexOf("(");
  return parameters === -1 ? `${name}Merge` : `${name.slice(0, parameters)}Merge${name.slice(parameters)}`;
}

export interface SqlTemplateTag {
  (strings: readonly string[], ...values: readonly RawValue[]): Sql;
  /** A complete statement (MooseStack's newer spelling; same as the bare tag). */
  statement(strings: readonly string[], ...values: readonly RawValue[]): Sql;
  /** A fragment to splice into another statement (same as the bare tag). */
  fragment(strings: readonly string[], ...values: readonly RawValue[]): Sql;
  join(fragments: Sql[], separator?: string): Sql;
  raw(text: string): Sql;
}

export const sql: SqlTemplateTag = Object.assign(
  (strings: readonly string[], ...values: readonly RawValue[]) => new Sql(strings, values),
  {
    statement: (strings: readonly string[], ...values: readonly RawValue[]) => new Sql(strings, values),
    fragment: (strings: readonly string[], ...values: readonly RawValue[]) => new Sql(strings, values),
    join(fragments: Sql[], separator = ", "): Sql {
      if (fragments.length === 0) return new Sql([""], []);
      // MooseStack's rule: a separator without a space (`AND`, `,`) gets one on each side.
      const spaced = separator.includes(" ") ? separator : ` ${separator} `;
      const strings = ["", ...fragments.slice(1).map(() => spaced), ""];
      return new Sql(strings, fragments);
    },
    raw(text: string): Sql {
      return new Sql([text], []);
    },
  },
);

/**
 * Marks the `["Identifier", name]` pairs ApiHelpers made. A plain array of the same two strings is
 * what a repeated query parameter gives (`?ids=Identifier&ids=other_column`), so the shape alone
 * cannot say that the app, not the request, chose the name. A registered symbol, because the app's
 * SDK and the server reading its statements may be two instances of this module.
 */
const IDENTIFIER_PAIR = Symbol.for("moose-ts.sql-identifier-pair");

function identifierPairOf(name: string): [string, string] {
  const pair: [string, string] = ["Identifier", name];
  Object.defineProperty(pair, IDENTIFIER_PAIR, { value: true });
  return pair;
}

/** `["Identifier", name]` values (MooseStack's ApiHelpers) interpolate a column or table name. */
export const ApiHelpers = {
  column: (value: string): [string, string] => identifierPairOf(value),
  table: (value: string): [string, string] => identifierPairOf(value),
};
/** @deprecated MooseStack's older name of ApiHelpers. */
export const ConsumptionHelpers = ApiHelpers;

/**
 * MooseStack's `joinQueries`: `values` with `separator` between them (written as given), inside
 * `prefix` … `suffix`, e.g. `joinQueries({ values: conditions, separator: " AND ", prefix: "WHERE " })`.
 */
export function joinQueries({ values, separator = ",", prefix = "", suffix = "" }: { values: readonly RawValue[]; separator?: string; prefix?: string; suffix?: string }): Sql {
  if (values.length === 0) throw new TypeError("joinQueries needs at least one value: got an empty array");
  return new Sql([prefix, ...values.slice(1).map(() => separator), suffix], values);
}


/**
 * `value` as an ApiHelpers `["Identifier", name]` pair, the only array a statement takes. Any other
 * array (a repeated query parameter reaching the tag through `any`, even one spelling
 * `["Identifier", name]`) is refused rather than read as a name, which would let a request choose a
 * column or table.
 */
function identifierPair(value: Value): string | undefined {
  if (!Array.isArray(value)) {
    refuseObject(value);
    return undefined;
  }
  if (Object.hasOwn(value, IDENTIFIER_PAIR) && typeof value[1] === "string") return value[1];
  throw new TypeError(`an array is not a SQL value (only ["Identifier", name] from ApiHelpers.column/table is): got ${JSON.stringify(value).slice(0, 100)}`);
}

/**
 * An object is no value: one shaped like a statement, table or column that the SDK did not make
 * (./sql-part.ts) came from elsewhere, a request body say, and is refused rather than bound as text.
 */
function refuseObject(value: unknown): void {
  if (typeof value === "function") throw new TypeError(`a function is not a SQL value: got ${value.name || "an anonymous function"}`);
  if (typeof value !== "object" || value === null || value instanceof Date) return;
  throw new TypeError(`an object is not a SQL value (only sql\`…\` statements and the app's tables, views, streams, dictionaries and columns become SQL): got one with keys ${Object.keys(value).slice(0, 5).join(", ") || "(none)"}`);
}

/** `2026-01-01 10:00:00.000`: a Date in UTC, as ClickHouse reads DateTime64 text. */
function utcDateTimeText(value: Date): string {
  return value.toISOString().replace("T", " ").replace("Z", "");
}

export function literal(value: Value): string {
  if (typeof value === "number") return numberLiteral(String(value));
  if (typeof value === "boolean") return String(value);
  if (value instanceof Date) return `'${utcDateTimeText(value)}'`;
  const name = identifierPair(value);
  if (name !== undefined) return quoteIdentifier(name);
  return quoteString(value as string);
}

/** SQL text with identifiers quoted and values inlined as literals. */
export function toStaticQuery(statement: Sql | string): string {
  if (typeof statement === "string") return statement;
  return statement.strings.reduce((text, part, index) => {
    if (index === 0) return part;
    const value = statement.values[index - 1];
    return text + (identifierText(value) ?? literal(value as Value)) + part;
  }, "");
}

/** For logs: toStaticQuery's text on one line (whitespace runs, also in string values, become one space); never run it. */
export function toQueryPreview(statement: Sql): string {
  return toStaticQuery(statement).replace(/\s+/g, " ").trim();
}

/** SQL text with `{p0:Type}` placeholders and the parameter values, for the API server. */
export function toQuery(statement: Sql): [string, Record<string, unknown>] {
  const params: Record<string, unknown> = {};
  let text = statement.strings[0];
  let count = 0;
  statement.values.forEach((value, index) => {
    const identifier = identifierText(value);
    if (identifier !== undefined || isIdentifier(value) || isDictionary(value) || isColumn(value)) text += identifier;
    else {
      const name = `p${count++}`;
      // A Date is bound as UTC text ClickHouse parses for DateTime64 (it does not read ISO's `T…Z`).
      params[name] = value instanceof Date ? utcDateTimeText(value) : (identifierPair(value) ?? value);
      text += `{${name}:${parameterType(value)}}`;
    }
    text += statement.strings[index + 1];
  });
  return [text, params];
}

function parameterType(value: Value): string {
  if (typeof value === "number") return Number.isInteger(value) ? "Int64" : "Float64";
  if (typeof value === "boolean") return "Bool";
  if (value instanceof Date) return "DateTime64(3, 'UTC')";
  if (identifierPair(value) !== undefined) return "Identifier";
  return "String";
}

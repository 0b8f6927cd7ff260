/**
 * Canonical forms for comparison. Two specs that ClickHouse (or Kafka) would treat the same must
 * normalise to equal values, so that equal schemas give an empty plan: `Boolean` is `Bool`,
 * `Nullable(String)` in the type text is `nullable: true`, `Decimal32(2)` is `Decimal(9, 2)`,
 * default settings are dropped, spacing in types, expressions and view SQL does not matter.
 *
 * Table operations carry the normalised specs, so the generated DDL is in the same canonical form.
 * View SQL is compared by `normalizeSql` (./normalize-sql.ts).
 */
import type { ColumnSpec, EngineSpec, IndexSpec, TableSpec } from "../manifest/types.js";

export interface NormalizeOptions {
  /** Keep LowCardinality(T) distinct from T (default: LowCardinality is ignored in comparisons). */
  strictLowCardinality?: boolean;
}

/** ClickHouse's case-insensitive SQL-standard aliases, mapped to the names it prints. */
const TYPE_ALIASES: Record<string, string> = {
  bool: "Bool",
  boolean: "Bool",
  tinyint: "Int8",
  int1: "Int8",
  byte: "Int8",
  smallint: "Int16",
  int2: "Int16",
  int: "Int32",
  int4: "Int32",
  integer: "Int32",
  bigint: "Int64",
  int8: "Int64",
  float: "Float32",
  real: "Float32",
  float4: "Float32",
  double: "Float64",
  float8: "Float64",
  "double precision": "Float64",
  text: "String",
  varchar: "String",
  char: "String",
  blob: "String",
  longtext: "String",
  mediumtext: "String",
  tinytext: "String",
  longblob: "String",
};

/** Case-sensitive type names ClickHouse prints; `int8` (lowercase) would otherwise alias Int64. */
const CANONICAL_NAMES = new Set([
  "Int8", "Int16", "Int32", "Int64", "Int128", "Int256",
  "UInt8", "UInt16", "UInt32", "UInt64", "UInt128", "UInt256",
  "Float32", "Float64", "BFloat16", "String", "Bool", "UUID", "Date", "Date32", "IPv4", "IPv6",
]);

const DECIMAL_PRECISION: Record<string, number> = { Decimal32: 9, Decimal64: 18, Decimal128: 38, Decimal256: 76 };

/**
 * Settings a MergeTree table has unless told otherwise: declaring them explicitly is not a change.
 * Values are compared after `normalizeSettingValue`.
 */
export const DEFAULT_TABLE_SETTINGS: Readonly<Record<string, string>> = {
  index_granularity: "8192",
  index_granularity_bytes: "10485760",
  min_index_granularity_bytes: "1024",
  enable_mixed_granularity_parts: "1",
};

/**
 * Collapse spacing outside quoted strings and identifiers: one space between words, none inside
 * brackets, `, ` after commas. Quoted text (`'…'`, `"…"`, `` `…` ``) is kept byte for byte.
 */
export function normalizeSpacing(text: string): string {
  let out = "";
  let pendingSpace = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"' || ch === "`") {
      const end = quotedEnd(text, i);
      if (pendingSpace && out.length > 0 && !out.endsWith("(") && !out.endsWith("[")) out += " ";
      pendingSpace = false;
      out += text.slice(i, end);
      i = end - 1;
      continue;
    }
    if (/\s/.test(ch)) {
      pendingSpace = true;
      continue;
    }
    if (ch === ")" || ch === "]" || ch === ",") {
      pendingSpace = false;
      out += ch;
      if (ch === ",") pendingSpace = true;
      continue;
    }
    if (pendingSpace && out.length > 0 && !out.endsWith("(") && !out.endsWith("[")) out += " ";
    pendingSpace = false;
    out += ch;
  }
  return out;
}

/** Index just past the quoted run starting at `start` (backslash escapes and doubled quotes honoured). */
export function quotedEnd(text: string, start: number): number {
  const quote = text[start]!;
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "\\") {
      i += 2;
      continue;
    }
    if (ch === quote) {
      if (text[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return text.length;
}

/** Split `a, b(c, d), 'e,f'` at top-level commas. */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"' || ch === "`") {
      i = quotedEnd(text, i) - 1;
    } else if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth--;
    else if (ch === "," && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = text.slice(start).trim();
  if (last !== "" || parts.length > 0) parts.push(last);
  return parts;
}

/** `Name(args)` → { name, args } (args split at top-level commas); a bare name has args null. */
export function parseTypeCall(type: string): { name: string; args: string[] | null } {
  const open = type.indexOf("(");
  if (open < 0 || !type.endsWith(")")) return { name: type.trim(), args: null };
  return { name: type.slice(0, open).trim(), args: splitTopLevel(type.slice(open + 1, -1)) };
}

/** Names whose arguments are themselves types (normalised recursively). */
const TYPE_ARGUMENT_TYPES = new Set(["Array", "Map", "Nullable", "LowCardinality", "SimpleAggregateFunction"]);

/**
 * A ClickHouse type in canonical text: aliases resolved, `DecimalN(S)` → `Decimal(P, S)`,
 * spacing as ClickHouse prints it. Nullable stays where it is (see `normalizeColumn` for the
 * top-level wrapper); `strip` removes LowCardinality wrappers for non-strict comparisons.
 */
export function normalizeType(type: string, options: { stripLowCardinality?: boolean } = {}): string {
  const key = `${options.stripLowCardinality ? "1" : "0"}${type}`;
  const known = typeCache.get(key);
  if (known !== undefined) return known;
  // Projects use a few dozen distinct types: a small cache makes large diffs cheap.
  if (typeCache.size >= TYPE_CACHE_LIMIT) typeCache.clear();
  const normalized = normalizeTypeUncached(type, options);
  typeCache.set(key, normalized);
  return normalized;
}

const TYPE_CACHE_LIMIT = 10_000;
const typeCache = new Map<string, string>();

function normalizeTypeUncached(type: string, options: { stripLowCardinality?: boolean }): string {
  const spaced = normalizeSpacing(type.trim());
  const alias = TYPE_ALIASES[spaced.toLowerCase()];
  if (!CANONICAL_NAMES.has(spaced) && alias) return alias;
  const { name, args } = parseTypeCall(spaced);
  if (args === null) return spaced;
  if (name in DECIMAL_PRECISION && args.length === 1) return `Decimal(${DECIMAL_PRECISION[name]}, ${args[0]})`;
  if (name.toLowerCase() === "decimal" || name.toLowerCase() === "numeric") {
    return `Decimal(${args[0] ?? 10}, ${args[1] ?? 0})`;
  }
  if (name === "LowCardinality" && options.stripLowCardinality && args.length === 1) {
    return normalizeType(args[0]!, options);
  }
  if (TYPE_ARGUMENT_TYPES.has(name)) {
    // SimpleAggregateFunction(fn, T): the first argument is a function name, not a type.
    const normalized = args.map((arg, i) => (name === "SimpleAggregateFunction" && i === 0 ? arg : normalizeType(arg, options)));
    return `${name}(${normalized.join(", ")})`;
  }
  if (name === "Tuple" || name === "Nested") {
    // Named elements: `name Type`; unnamed: `Type`.
    const normalized = args.map((arg) => {
      if (isTypeStart(arg)) return normalizeType(arg, options);
      const named = /^(`(?:[^`\\]|\\.)*`|[A-Za-z_][A-Za-z0-9_]*)\s+(.+)$/s.exec(arg);
      return named ? `${named[1]} ${normalizeType(named[2]!, options)}` : arg;
    });
    return `${name}(${normalized.join(", ")})`;
  }
  if (name === "JSON") return `JSON(${normalizeJsonArguments(args, options).join(", ")})`;
  if (name === "Enum8" || name === "Enum16" || name === "Enum") {
    return `${name}(${args.map((arg) => arg.replace(/^('(?:[^'\\]|\\.)*')\s*=\s*/s, "$1 = ")).join(", ")})`;
  }
  return `${name}(${args.join(", ")})`;
}

/**
 * `JSON(…)`'s arguments in the order ClickHouse prints them: `name=value` limits (sorted), typed
 * paths (`a.b UInt32`, sorted), `SKIP path`, then `SKIP REGEXP '…'`; a path of plain names and
 * dots written without backquotes.
 */
function normalizeJsonArguments(args: string[], options: { stripLowCardinality?: boolean }): string[] {
  const path = (text: string) => {
    const quoted = /^`([A-Za-z0-9_.]+)`$/.exec(text);
    return quoted ? quoted[1]! : text;
  };
  const limits: string[] = [];
  const typed: string[] = [];
  const skipped: string[] = [];
  const skippedPatterns: string[] = [];
  for (const arg of args) {
    const limit = /^([A-Za-z_]+)\s*=\s*(.+)$/s.exec(arg);
    const skip = /^SKIP\s+(.+)$/is.exec(arg);
    if (limit) limits.push(`${limit[1]}=${limit[2]!.trim()}`);
    else if (skip && /^REGEXP\s+/i.test(skip[1]!)) skippedPatterns.push(`SKIP REGEXP ${skip[1]!.replace(/^REGEXP\s+/i, "")}`);
    else if (skip) skipped.push(`SKIP ${path(skip[1]!.trim())}`);
    else {
      const typedPath = /^(`(?:[^`\\]|\\.)*`|[A-Za-z0-9_.]+)\s+(.+)$/s.exec(arg);
      typed.push(typedPath ? `${path(typedPath[1]!)} ${normalizeType(typedPath[2]!, options)}` : arg);
    }
  }
  return [...limits.sort(), ...typed.sort(), ...skipped, ...skippedPatterns];
}

/** Whether `text` begins with a type (rather than a tuple element name): `Array(…)`, `String`, … */
function isTypeStart(text: string): boolean {
  const first = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text)?.[0];
  if (!first) return false;
  const rest = text.slice(first.length).trimStart();
  return rest === "" || rest.startsWith("(");
}

/**
 * Unwrap a top-level `Nullable(T)` (and `LowCardinality(Nullable(T))`, the only place ClickHouse
 * allows Nullable inside LowCardinality) into `nullable: true` with type `T` / `LowCardinality(T)`.
 */
export function splitNullable(type: string): { type: string; nullable: boolean } {
  const { name, args } = parseTypeCall(type);
  if (args?.length === 1 && name === "Nullable") return { type: args[0]!, nullable: true };
  if (args?.length === 1 && name === "LowCardinality") {
    const inner = parseTypeCall(args[0]!);
    if (inner.name === "Nullable" && inner.args?.length === 1) {
      return { type: `LowCardinality(${inner.args[0]})`, nullable: true };
    }
  }
  return { type, nullable: false };
}

/** A column's full type: `Nullable(T)`, or `LowCardinality(Nullable(T))` (ClickHouse's only legal nesting). */
export function fullColumnType(column: Pick<ColumnSpec, "type" | "nullable">): string {
  if (!column.nullable) return column.type;
  const lowCardinality = /^LowCardinality\((.*)\)$/s.exec(column.type);
  return lowCardinality ? `LowCardinality(Nullable(${lowCardinality[1]}))` : `Nullable(${column.type})`;
}

/** A SQL expression with spacing normalised and a redundant outer pair of brackets removed. */
export function normalizeExpression(expression: string): string {
  let text = normalizeSpacing(expression.trim());
  // Redundant parentheses go; a tuple's are its meaning (`SummingMergeTree((views, clicks))`).
  while (text.startsWith("(") && text.endsWith(")") && matchingClose(text, 0) === text.length - 1 && splitTopLevel(text.slice(1, -1)).length === 1) {
    text = text.slice(1, -1).trim();
  }
  return text;
}

function matchingClose(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"' || ch === "`") i = quotedEnd(text, i) - 1;
    else if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) return i;
  }
  return -1;
}

/** `` `id` `` and `id` name the same column. */
function normalizeKeyItem(item: string): string {
  const text = normalizeExpression(item);
  const quoted = /^`((?:[^`\\]|\\.)*)`$/.exec(text);
  if (quoted && /^[A-Za-z_][A-Za-z0-9_]*$/.test(quoted[1]!)) return quoted[1]!;
  return text;
}

/** ORDER BY / PRIMARY KEY items: `tuple()` is no key, `(a, b)` is `[a, b]`. */
export function normalizeKey(items: string[]): string[] {
  const expanded: string[] = [];
  for (const item of items) {
    const text = normalizeSpacing(item.trim());
    if (text === "" || text === "tuple()") continue;
    if (text.startsWith("(") && matchingClose(text, 0) === text.length - 1) {
      expanded.push(...splitTopLevel(text.slice(1, -1)));
    } else if (text.startsWith("tuple(") && matchingClose(text, 5) === text.length - 1) {
      expanded.push(...splitTopLevel(text.slice(6, -1)));
    } else expanded.push(text);
  }
  return expanded.filter((item) => item !== "").map(normalizeKeyItem);
}

/** `'8192'` and `8192` are the same number; other quoted strings stay quoted. */
export function normalizeSettingValue(value: string): string {
  const text = value.trim();
  const quotedNumber = /^'(-?\d+(?:\.\d+)?)'$/.exec(text);
  if (quotedNumber) return quotedNumber[1]!;
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === "true" ? "1" : "0";
  return text;
}

export function normalizeSettings(settings: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const key of Object.keys(settings).sort()) {
    const value = normalizeSettingValue(settings[key]!);
    if (DEFAULT_TABLE_SETTINGS[key] === value) continue;
    result[key] = value;
  }
  return result;
}

/** Bytes per value of the types whose codecs take a width (`Delta`, `Gorilla`). */
const VALUE_WIDTHS: Record<string, number> = {
  Int8: 1, UInt8: 1, Enum8: 1, Bool: 1,
  Int16: 2, UInt16: 2, Enum16: 2, Date: 2,
  Int32: 4, UInt32: 4, Float32: 4, DateTime: 4, Date32: 4, IPv4: 4, Decimal32: 4,
  Int64: 8, UInt64: 8, Float64: 8, DateTime64: 8, Decimal64: 8,
};

/**
 * `CODEC(ZSTD(1))` and `ZSTD(1)` are the same codec, and so are a codec and the parameter
 * ClickHouse stores for it: `ZSTD` is `ZSTD(1)`, `LZ4HC` is `LZ4HC(0)`, `FPC` is `FPC(12)`, and
 * `Delta` / `Gorilla` on a `DateTime` are `Delta(4)` / `Gorilla(4)` (the value's width).
 * `columnType` comes without Nullable (normalizeColumn has split it off already).
 */
function normalizeCodec(codec: string, columnType: string): string {
  const text = normalizeSpacing(codec.trim());
  const wrapped = /^CODEC\((.*)\)$/is.exec(text);
  const base = /^([A-Za-z0-9]+)/.exec(columnType)?.[1] ?? "";
  const width = VALUE_WIDTHS[base];
  return splitTopLevel(wrapped ? wrapped[1]!.trim() : text)
    .map((item) => {
      if (/^ZSTD$/i.test(item)) return "ZSTD(1)";
      if (/^LZ4HC$/i.test(item)) return "LZ4HC(0)";
      if (/^FPC$/i.test(item)) return "FPC(12)";
      if (/^(Delta|Gorilla)$/i.test(item) && width !== undefined) return `${item}(${width})`;
      return item;
    })
    .join(", ");
}

export function normalizeColumn(column: ColumnSpec): ColumnSpec {
  const unwrapped = splitNullable(normalizeType(column.type));
  const result: ColumnSpec = {
    name: column.name,
    type: unwrapped.type,
    nullable: column.nullable || unwrapped.nullable,
  };
  if (column.default !== undefined) result.default = normalizeExpression(column.default);
  if (column.materialized !== undefined) result.materialized = normalizeExpression(column.materialized);
  if (column.alias !== undefined) result.alias = normalizeExpression(column.alias);
  if (column.comment !== undefined && column.comment !== "") result.comment = column.comment;
  if (column.codec !== undefined && column.codec.trim() !== "") result.codec = normalizeCodec(column.codec, unwrapped.type);
  if (column.ttl !== undefined && column.ttl.trim() !== "") result.ttl = normalizeExpression(column.ttl);
  if (column.primaryKey) result.primaryKey = true;
  return result;
}

export function normalizeEngine(engine: EngineSpec): EngineSpec {
  return { name: engine.name.trim(), params: engine.params.map(normalizeExpression) };
}

function normalizeIndex(index: IndexSpec): IndexSpec {
  return {
    name: index.name,
    expression: normalizeExpression(index.expression),
    type: normalizeSpacing(index.type.trim()),
    granularity: index.granularity,
  };
}

/**
 * The canonical form of a table spec. Equal canonical forms (ignoring `source`, `lifeCycle` and
 * `version`, which are not infrastructure) mean `diffManifests` has nothing to do for the table —
 * engineer D's introspection of a live table uses this to compare with the extracted spec (see
 * also `tablesEquivalent` in ./tables.ts). LowCardinality is kept here; comparisons drop it
 * unless `strictLowCardinality`.
 */
export function normalizeTable(spec: TableSpec): TableSpec {
  const orderBy = normalizeKey(spec.orderBy);
  let primaryKey = spec.primaryKey === undefined ? undefined : normalizeKey(spec.primaryKey);
  const result: TableSpec = {
    name: spec.name,
    columns: spec.columns.map(normalizeColumn),
    orderBy,
    engine: normalizeEngine(spec.engine),
    settings: normalizeSettings(spec.settings),
    indexes: [...spec.indexes].map(normalizeIndex).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    lifeCycle: spec.lifeCycle,
  };
  // VersionedCollapsingMergeTree sorts by its version last, added by ClickHouse when the ORDER BY
  // lacks it; the primary key stays the ORDER BY as written. The same table, written out.
  const version = /^(Replicated)?VersionedCollapsingMergeTree$/.test(result.engine.name) ? result.engine.params.at(-1) : undefined;
  if (version !== undefined && orderBy.length > 0 && !orderBy.includes(version)) {
    primaryKey ??= [...orderBy];
    orderBy.push(version);
  }
  // A PRIMARY KEY equal to ORDER BY is what ClickHouse uses anyway.
  if (primaryKey !== undefined && primaryKey.join("\u0000") !== orderBy.join("\u0000")) result.primaryKey = primaryKey;
  if (spec.partitionBy !== undefined && normalizeExpression(spec.partitionBy) !== "" && normalizeExpression(spec.partitionBy) !== "tuple()") {
    result.partitionBy = normalizeExpression(spec.partitionBy);
  }
  if (spec.sampleBy !== undefined && spec.sampleBy.trim() !== "") result.sampleBy = normalizeExpression(spec.sampleBy);
  if (spec.ttl !== undefined && spec.ttl.trim() !== "") result.ttl = normalizeTableTtl(spec.ttl);
  if (spec.version !== undefined) result.version = spec.version;
  if (spec.cluster !== undefined) result.cluster = spec.cluster;
  if (spec.source !== undefined) result.source = spec.source;
  return result;
}

/** A table TTL's rules; `DELETE`, the action a rule without one takes, is left out as ClickHouse prints it. */
function normalizeTableTtl(ttl: string): string {
  return splitTopLevel(normalizeExpression(ttl))
    .map((rule) => rule.replace(/\s+DELETE$/i, ""))
    .join(", ");
}

/** Column types as compared: LowCardinality dropped unless strict. */
export function comparableType(column: ColumnSpec, options: NormalizeOptions): string {
  const type = options.strictLowCardinality ? column.type : normalizeType(column.type, { stripLowCardinality: true });
  return column.nullable ? `Nullable(${type})` : type;
}

/** JSON with sorted keys, for order-insensitive comparison of schemas and configs. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeysDeep(value));
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (typeof value !== "object" || value === null) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) sorted[key] = sortKeysDeep(item);
  }
  return sorted;
}

/**
 * ClickHouse column types as the ingest API checks them. A column's type text (`DateTime('UTC')`,
 * `Array(Nullable(Int64))`, `Decimal(10, 2)`, …) is parsed once into a tree; `checkValue` says
 * why a JSON value does not fit it (out of the type's range, wrong kind, too many digits), and
 * `toClickHouseValue` turns a value that fits into the text ClickHouse's JSONEachRow reads.
 *
 * Without these checks ClickHouse would store out-of-range values silently (`1900-01-01` in a
 * DateTime column becomes `1970-01-01`, an Int8 of 300 wraps to 44) or fail the insert with its
 * own internals in the message.
 *
 * Accepted JSON per type (docs/server.md, "Accepted values"):
 * - Int8…Int32, UInt8…UInt32: JSON integers within the type's range.
 * - Int64…Int256, UInt64…UInt256: JSON integers within ±(2^53 − 1) (larger JSON numbers have
 *   already lost precision when parsed), or decimal strings (`"-123"`) up to the type's range.
 * - Float32: finite numbers within ±3.4028234663852886e38; Float64: any JSON number.
 * - Decimal(P, S) (and Decimal32/64/128/256(S)): a number or a decimal string with at most P − S
 *   digits before the point and at most S after it.
 * - DateTime: date-time strings (`2026-01-05T10:00:00Z`, offset optional = UTC) or Unix seconds,
 *   1970-01-01T00:00:00Z … 2106-02-07T06:28:15Z.
 * - DateTime64(P): the same with fractions kept to P digits, 1900-01-01T00:00:00Z …
 *   2299-12-31T23:59:59.999999999Z (P = 9: 1900-01-01 … 2262-04-11T23:47:16.854775807Z).
 * - Date: `YYYY-MM-DD` (or a date-time, whose UTC date is stored), 1970-01-01 … 2149-06-06;
 *   Date32: 1900-01-01 … 2299-12-31.
 * - Enum8/Enum16: one of the names, or one of the numbers. LowCardinality(T): what T accepts.
 * - Nullable(T): null or what T accepts. Array(T), Map(K, V), Tuple(…), Nested(…): checked
 *   element by element. String: any (well-formed) string; FixedString(N): at most N UTF-8 bytes.
 * - Other types (JSON, IPv4/IPv6, geometry, aggregate states, …) are left to ClickHouse.
 */

import { splitTopLevel } from "../diff/normalize.js";

export type ColumnType =
  | { kind: "int"; name: string; wide: boolean; min: bigint; max: bigint }
  | { kind: "float"; name: string; limit: number }
  | { kind: "decimal"; name: string; precision: number; scale: number }
  | { kind: "datetime"; name: string; precision: number; min: Time; max: Time }
  | { kind: "date"; name: string; min: Time; max: Time }
  | { kind: "string" }
  | { kind: "fixedString"; size: number }
  | { kind: "bool" }
  | { kind: "uuid" }
  | { kind: "enum"; name: string; names: Set<string>; numbers: Set<number> }
  | { kind: "nullable"; inner: ColumnType }
  | { kind: "lowCardinality"; inner: ColumnType }
  | { kind: "array"; element: ColumnType }
  | { kind: "map"; key: ColumnType; value: ColumnType }
  | { kind: "tuple"; items: Array<{ name?: string; type: ColumnType }> }
  | { kind: "nested"; fields: Array<{ name: string; type: ColumnType }> }
  | { kind: "other"; name: string };

/** One problem with a value: where inside it (JSON Pointer suffix, `""` for the value itself) and what. */
export interface ValueProblem {
  pointer: string;
  message: string;
}

/** Seconds since the epoch of a UTC calendar time (years 0…9999, no two-digit-year quirks). */
function utcSeconds(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  // Date.UTC reads years 0…99 as 1900…1999; it is the fast path for every other year.
  if (year >= 100) return Date.UTC(year, month - 1, day, hour, minute, second) / 1000;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime() / 1000;
}

/**
 * A point in time: whole seconds since the epoch (UTC) and the nanoseconds into that second. Plain
 * numbers (every time ClickHouse stores is far inside 2^53 seconds), not a bigint of nanoseconds:
 * every date-time of every ingested or synced record is checked against its column's range.
 */
export interface Time {
  seconds: number;
  nanos: number;
}

const at = (year: number, month: number, day: number, hour = 0, minute = 0, second = 0, nanos = 0): Time => ({
  seconds: utcSeconds(year, month, day, hour, minute, second),
  nanos,
});

function earlier(a: Time, b: Time): boolean {
  return a.seconds < b.seconds || (a.seconds === b.seconds && a.nanos < b.nanos);
}

/** Ranges (inclusive). */
const RANGES = {
  DateTime: [at(1970, 1, 1), at(2106, 2, 7, 6, 28, 15)],
  DateTime64: [at(1900, 1, 1), at(2299, 12, 31, 23, 59, 59, 999_999_999)],
  // DateTime64(9) is an Int64 of nanoseconds: it ends in 2262.
  DateTime64_9: [at(1900, 1, 1), { seconds: 9_223_372_036, nanos: 854_775_807 }],
  Date: [at(1970, 1, 1), at(2149, 6, 6)],
  Date32: [at(1900, 1, 1), at(2299, 12, 31)],
} as const;

const FLOAT32_MAX = 3.4028234663852886e38;

// ---------------------------------------------------------------------------------------------
// Parsing type text

/** Parses a column type text; anything unknown becomes `{ kind: "other" }` (never throws). */
export function parseColumnType(text: string): ColumnType {
  const trimmed = text.trim();
  const open = trimmed.indexOf("(");
  const name = (open < 0 ? trimmed : trimmed.slice(0, open)).trim();
  const args = open >= 0 && trimmed.endsWith(")") ? splitTopLevel(trimmed.slice(open + 1, -1)) : [];

  const int = /^(U?)Int(8|16|32|64|128|256)$/.exec(name);
  if (int) {
    const bits = Number(int[2]);
    const signed = int[1] === "";
    return {
      kind: "int",
      name,
      wide: bits >= 64,
      min: signed ? -(1n << BigInt(bits - 1)) : 0n,
      max: signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n,
    };
  }
  switch (name) {
    case "Float32":
      return { kind: "float", name, limit: FLOAT32_MAX };
    case "Float64":
      return { kind: "float", name, limit: Number.MAX_VALUE };
    case "Bool":
    case "Boolean":
      return { kind: "bool" };
    case "String":
      return { kind: "string" };
    case "UUID":
      return { kind: "uuid" };
    case "FixedString":
      return { kind: "fixedString", size: Number(args[0]) };
    case "Date":
      return { kind: "date", name, min: RANGES.Date[0], max: RANGES.Date[1] };
    case "Date32":
      return { kind: "date", name, min: RANGES.Date32[0], max: RANGES.Date32[1] };
    case "DateTime":
      return { kind: "datetime", name: trimmed, precision: 0, min: RANGES.DateTime[0], max: RANGES.DateTime[1] };
    case "DateTime64": {
      const precision = args.length > 0 ? Number(args[0]) : 3;
      const range = precision >= 9 ? RANGES.DateTime64_9 : RANGES.DateTime64;
      return { kind: "datetime", name: trimmed, precision, min: range[0], max: range[1] };
    }
    case "Decimal": {
      const precision = Number(args[0] ?? 10);
      return { kind: "decimal", name: trimmed, precision, scale: Number(args[1] ?? 0) };
    }
    case "Decimal32":
    case "Decimal64":
    case "Decimal128":
    case "Decimal256": {
      const precision = { Decimal32: 9, Decimal64: 18, Decimal128: 38, Decimal256: 76 }[name];
      return { kind: "decimal", name: trimmed, precision, scale: Number(args[0] ?? 0) };
    }
    case "Enum":
    case "Enum8":
    case "Enum16":
      return enumType(trimmed, args);
    case "Nullable":
      return { kind: "nullable", inner: parseColumnType(args[0] ?? "") };
    case "LowCardinality":
      return { kind: "lowCardinality", inner: parseColumnType(args[0] ?? "") };
    case "Array":
      return { kind: "array", element: parseColumnType(args[0] ?? "") };
    case "Map":
      return { kind: "map", key: parseColumnType(args[0] ?? ""), value: parseColumnType(args[1] ?? "") };
    case "Tuple":
      return { kind: "tuple", items: args.map(namedOrBare) };
    case "Nested":
      return { kind: "nested", fields: args.map(namedOrBare).map((field, index) => ({ name: field.name ?? String(index + 1), type: field.type })) };
    default:
      return { kind: "other", name: trimmed };
  }
}

/** `name Type` (named tuple element, nested field) or a bare `Type`. */
function namedOrBare(text: string): { name?: string; type: ColumnType } {
  const quoted = /^(`(?:[^`\\]|\\.)*`|"(?:[^"\\]|\\.)*")\s+(.+)$/s.exec(text);
  if (quoted) return { name: unquote(quoted[1]!), type: parseColumnType(quoted[2]!) };
  const plain = /^([A-Za-z_][A-Za-z0-9_]*)\s+(\S.*)$/s.exec(text);
  if (plain && !/^(Nullable|LowCardinality|Array|Map|Tuple|Nested|Decimal|DateTime64|DateTime|Enum8|Enum16|FixedString)$/.test(plain[1]!)) {
    return { name: plain[1]!, type: parseColumnType(plain[2]!) };
  }
  return { type: parseColumnType(text) };
}

function unquote(text: string): string {
  return text.slice(1, -1).replace(/\\(.)/gs, "$1");
}

function enumType(name: string, args: string[]): ColumnType {
  const names = new Set<string>();
  const numbers = new Set<number>();
  for (const arg of args) {
    const entry = /^'((?:[^'\\]|\\.)*)'\s*(?:=\s*(-?\d+))?$/s.exec(arg);
    if (!entry) continue;
    names.add(unquote(`'${entry[1]}'`));
    if (entry[2] !== undefined) numbers.add(Number(entry[2]));
  }
  return { kind: "enum", name, names, numbers };
}

// ---------------------------------------------------------------------------------------------
// Dates and times

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * A date (`2026-01-05`) or date-time (`2026-01-05T10:00:00.123Z`, `2026-01-05 10:00:00+02:00`;
 * no offset = UTC) string, checked strictly (no 30 February, no hour 24). Undefined if malformed.
 */
export function parseDateTime(text: string): Time | undefined {
  const fields = isoFields(text) ?? patternFields(text);
  if (!fields) return undefined;
  const { year, month, day, hour, minute, second, nanos, offsetSeconds } = fields;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  return { seconds: utcSeconds(year, month, day, hour, minute, second) - offsetSeconds, nanos };
}

interface DateTimeFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  offsetSeconds: number;
}

/**
 * The shape nearly every record carries (`Date.toISOString()`: `2026-01-05T10:00:00.123Z`, or
 * without fraction or zone) read digit by digit; anything else is left to the pattern (undefined).
 */
function isoFields(text: string): DateTimeFields | undefined {
  if (text.length < 19 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  let position = 19;
  let nanos = 0;
  if (text.charCodeAt(position) === 46) {
    const fractionStart = ++position;
    // Digits beyond the ninth are read and dropped, as the pattern's reading cuts them off.
    for (let place = 100_000_000; position < text.length && isDigit(text.charCodeAt(position)); position++, place /= 10) {
      if (position - fractionStart < 9) nanos += (text.charCodeAt(position) - 48) * place;
    }
    if (position === fractionStart) return undefined;
  }
  const zone = text.charCodeAt(position);
  if (position === text.length || ((zone === 90 || zone === 122) && position + 1 === text.length)) return { year, month, day, hour, minute, second, nanos, offsetSeconds: 0 };
  return undefined;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** The number the `count` ASCII digits at `at` write, or -1. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let index = at; index < at + count; index++) {
    const code = text.charCodeAt(index);
    if (!isDigit(code)) return -1;
    value = value * 10 + (code - 48);
  }
  return value;
}

function patternFields(text: string): DateTimeFields | undefined {
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  let offsetSeconds = 0;
  const offset = match[8];
  if (offset && offset.toUpperCase() !== "Z") {
    const digits = offset.slice(1).replace(":", "");
    const hours = Number(digits.slice(0, 2));
    const minutes = Number(digits.slice(2) || "0");
    if (hours > 23 || minutes > 59) return undefined;
    offsetSeconds = (offset.startsWith("-") ? -1 : 1) * (hours * 3600 + minutes * 60);
  }
  const fraction = match[7];
  return {
    year: Number(match[1]),
    month: Number(match[2]),
    day: Number(match[3]),
    hour: Number(match[4] ?? 0),
    minute: Number(match[5] ?? 0),
    second: Number(match[6] ?? 0),
    nanos: fraction === undefined ? 0 : Number(fraction.slice(0, 9).padEnd(9, "0")),
    offsetSeconds,
  };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeap(year) ? 29 : 28) : DAYS_IN_MONTH[month - 1]!;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** `2026-01-05T10:00:00.123Z`-style text of a time, with `digits` fraction digits. */
function isoText(time: Time, digits: number, separator = "T", zone = "Z"): string {
  const base = new Date(time.seconds * 1000).toISOString().slice(0, 19).replace("T", separator);
  return `${base}${digits > 0 ? `.${String(time.nanos).padStart(9, "0").slice(0, digits)}` : ""}${zone}`;
}

function dateText(time: Time): string {
  return isoText(time, 0).slice(0, 10);
}

function rangeText(type: { kind: "datetime" | "date"; precision?: number; min: Time; max: Time }): string {
  if (type.kind === "date") return `${dateText(type.min)} and ${dateText(type.max)}`;
  const digits = type.precision ?? 0;
  return `${isoText(type.min, digits)} and ${isoText(type.max, digits)}`;
}

/** The time of a DateTime/DateTime64/Date value (string, or Unix seconds for date-times), or a problem. */
function timeOf(type: Extract<ColumnType, { kind: "datetime" | "date" }>, value: unknown): Time | string {
  if (typeof value === "number" && type.kind === "datetime") {
    if (!Number.isFinite(value)) return "must be a finite number of seconds";
    const whole = Math.floor(value);
    const nanos = Math.round((value - whole) * 1e9);
    return nanos === 1e9 ? { seconds: whole + 1, nanos: 0 } : { seconds: whole, nanos };
  }
  const example = type.kind === "date" ? "2026-01-05" : "2026-01-05T10:00:00Z";
  if (typeof value !== "string") return `must be a ${type.kind === "date" ? "date" : "date-time"} string like ${example}`;
  const parsed = parseDateTime(value);
  if (!parsed) return `must be a valid ${type.kind === "date" ? "date" : "date-time"} like ${example}`;
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// Checking values

/**
 * Why `value` does not fit `type` (empty when it does). `top` is true for a column's own value:
 * there `null` is allowed for a non-Nullable column too (ClickHouse stores the column default),
 * as the row type's schema already decided whether null may appear.
 */
export function checkValue(type: ColumnType, value: unknown, options: { nullable?: boolean; top?: boolean } = {}): ValueProblem[] {
  if (value === null || value === undefined) {
    if (options.nullable || options.top || type.kind === "nullable" || type.kind === "other") return [];
    if (type.kind === "lowCardinality" && type.inner.kind === "nullable") return [];
    return [{ pointer: "", message: "must not be null" }];
  }
  return check(type, value);
}

function problem(message: string, pointer = ""): ValueProblem[] {
  return [{ pointer, message }];
}

function check(type: ColumnType, value: unknown): ValueProblem[] {
  switch (type.kind) {
    case "nullable":
    case "lowCardinality":
      return checkValue(type.inner, value);
    case "int":
      return checkInteger(type, value);
    case "float":
      if (typeof value !== "number") return problem("must be a number");
      if (Math.abs(value) > type.limit) return problem(`must be between -${type.limit} and ${type.limit} (${type.name})`);
      return [];
    case "decimal":
      return checkDecimal(type, value);
    case "datetime":
    case "date": {
      const time = timeOf(type, value);
      if (typeof time === "string") return problem(time);
      // A Date column stores a date-time's UTC date: its last day is in range until midnight.
      const stored = type.kind === "date" ? { seconds: Math.floor(time.seconds / 86_400) * 86_400, nanos: 0 } : time;
      if (earlier(stored, type.min) || earlier(type.max, stored)) {
        return problem(`must be between ${rangeText(type)} (${type.name}), got ${JSON.stringify(value)}`);
      }
      return [];
    }
    case "string":
      return typeof value === "string" ? [] : problem("must be a string");
    case "fixedString":
      if (typeof value !== "string") return problem("must be a string");
      if (Buffer.byteLength(value, "utf8") > type.size) return problem(`must be at most ${type.size} bytes in UTF-8 (FixedString(${type.size}))`);
      return [];
    case "bool":
      return typeof value === "boolean" ? [] : problem("must be boolean");
    case "uuid":
      return typeof value === "string" && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value) ? [] : problem("must be a UUID (8-4-4-4-12 hex digits)");
    case "enum":
      if (typeof value === "string" && type.names.has(value)) return [];
      if (typeof value === "number" && type.numbers.has(value)) return [];
      return problem(`must be one of ${[...type.names].map((name) => JSON.stringify(name)).join(", ")}`);
    case "array":
      if (!Array.isArray(value)) return problem("must be an array");
      return value.flatMap((element, index) => within(`/${index}`, checkValue(type.element, element)));
    case "map": {
      if (typeof value !== "object" || Array.isArray(value)) return problem("must be an object (a map)");
      // A loop that names a key only when it has a problem: a map can hold hundreds of thousands.
      const problems: ValueProblem[] = [];
      const map = value as Record<string, unknown>;
      for (const key in map) {
        if (!Object.hasOwn(map, key)) continue;
        const keyProblems = checkMapKey(type.key, key);
        const valueProblems = checkValue(type.value, map[key]);
        if (keyProblems.length > 0 || valueProblems.length > 0) problems.push(...within(`/${pointerSegment(key)}`, [...keyProblems, ...valueProblems]));
      }
      return problems;
    }
    case "tuple":
      return checkTuple(type, value);
    case "nested":
      if (Array.isArray(value)) return value.flatMap((element, index) => within(`/${index}`, checkFields(type.fields, element)));
      return checkFields(type.fields, value);
    case "other":
      return [];
  }
}

function within(prefix: string, problems: ValueProblem[]): ValueProblem[] {
  return problems.map((item) => ({ pointer: prefix + item.pointer, message: item.message }));
}

function pointerSegment(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

function checkInteger(type: Extract<ColumnType, { kind: "int" }>, value: unknown): ValueProblem[] {
  const range = () => `between ${type.min} and ${type.max} (${type.name})`;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) return problem(`must be an integer ${range()}`);
    if (type.wide && !Number.isSafeInteger(value)) {
      return problem(`is beyond ±${Number.MAX_SAFE_INTEGER}, where JSON numbers lose precision: send it as a decimal string ("12345678901234567890")`);
    }
    // Exact without a bigint: the bounds that are not exact doubles are beyond 2^53, where no value here is.
    return value < Number(type.min) || value > Number(type.max) ? problem(`must be ${range()}`) : [];
  }
  if (typeof value !== "string" || !type.wide) {
    return problem(type.wide ? `must be an integer (a number, or a decimal string) ${range()}` : `must be an integer ${range()}`);
  }
  if (!/^-?\d{1,80}$/.test(value)) return problem(`must be an integer (a number, or a decimal string such as "-123") ${range()}`);
  const integer = BigInt(value);
  return integer < type.min || integer > type.max ? problem(`must be ${range()}`) : [];
}

/** Significant digits before and after the point of a decimal number's text (`-001.50e3` → 4, 0), or undefined. */
function decimalDigits(text: string): { integer: number; fraction: number } | undefined {
  const match = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return undefined;
  let digits = match[1]! + (match[2] ?? "");
  let point = match[1]!.length + Number(match[3] ?? 0);
  // Absurd exponents: no Decimal holds them; answer without building huge strings.
  if (point > 200) return { integer: point, fraction: 0 };
  if (point < -200) return { integer: 0, fraction: -point };
  if (point < 0) {
    digits = "0".repeat(-point) + digits;
    point = 0;
  }
  digits = digits.padEnd(point, "0");
  return { integer: digits.slice(0, point).replace(/^0+/, "").length, fraction: withoutTrailingZeros(digits.slice(point)).length };
}

/** A loop, not `/0+$/`: that regex tries every zero of a long run as a start, quadratic on a request's value. */
function withoutTrailingZeros(digits: string): string {
  let end = digits.length;
  while (end > 0 && digits.charCodeAt(end - 1) === 48) end--;
  return digits.slice(0, end);
}

function checkDecimal(type: Extract<ColumnType, { kind: "decimal" }>, value: unknown): ValueProblem[] {
  let text: string;
  if (typeof value === "number") text = String(value);
  else if (typeof value === "string") text = value.trim();
  else return problem(`must be a number or a decimal string (${type.name})`);
  const digits = decimalDigits(text);
  if (!digits) return problem(`must be a decimal number such as "123.45" (${type.name})`);
  const integerDigits = type.precision - type.scale;
  if (digits.integer > integerDigits) return problem(`has ${digits.integer} digits before the point; ${type.name} allows ${integerDigits}`);
  if (digits.fraction > type.scale) return problem(`has ${digits.fraction} digits after the point; ${type.name} keeps ${type.scale}`);
  return [];
}

function checkMapKey(type: ColumnType, key: string): ValueProblem[] {
  const inner = type.kind === "lowCardinality" || type.kind === "nullable" ? type.inner : type;
  if (inner.kind !== "int") return inner.kind === "string" || inner.kind === "other" ? [] : checkValue(inner, key);
  if (!/^-?\d+$/.test(key)) return problem(`key must be an integer (${inner.name})`);
  const integer = BigInt(key);
  return integer < inner.min || integer > inner.max ? problem(`key must be between ${inner.min} and ${inner.max} (${inner.name})`) : [];
}

function checkTuple(type: Extract<ColumnType, { kind: "tuple" }>, value: unknown): ValueProblem[] {
  if (Array.isArray(value)) {
    if (value.length !== type.items.length) return problem(`must have ${type.items.length} elements`);
    return type.items.flatMap((item, index) => within(`/${index}`, checkValue(item.type, value[index])));
  }
  if (typeof value === "object" && type.items.every((item) => item.name !== undefined)) {
    return checkFields(type.items as Array<{ name: string; type: ColumnType }>, value);
  }
  return problem("must be an array (a tuple)");
}

function checkFields(fields: Array<{ name: string; type: ColumnType }>, value: unknown): ValueProblem[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return problem("must be an object");
  const record = value as Record<string, unknown>;
  return fields.flatMap((field) => (Object.hasOwn(record, field.name) ? within(`/${pointerSegment(field.name)}`, checkValue(field.type, record[field.name], { top: true })) : []));
}

// ---------------------------------------------------------------------------------------------
// Converting values for JSONEachRow

const CHANGES_VALUES = new WeakMap<ColumnType, boolean>();

/** Whether toClickHouseValue may write a value of this type differently (else it is passed on as is, not copied). */
function changesValues(type: ColumnType): boolean {
  let changes = CHANGES_VALUES.get(type);
  if (changes === undefined) {
    // A Nested object stands for a table of one: it becomes an array.
    changes = holdsType(type, (inner) => inner.kind === "datetime" || inner.kind === "date" || inner.kind === "nested");
    CHANGES_VALUES.set(type, changes);
  }
  return changes;
}

/** What toClickHouseValue writes for a date (`date`) and for date-times of precision 0…9, UTC with `Z`. */
const CANONICAL_TEXT: Record<string, RegExp> = {
  date: /^\d{4}-\d{2}-\d{2}$/,
  ...Object.fromEntries(Array.from({ length: 10 }, (_, digits) => [digits, new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}${digits > 0 ? `\\.\\d{${digits}}` : ""}Z$`)])),
};

/**
 * A checked value as the drivers' inserts read it (`date_time_input_format = 'best_effort'`):
 * date-times become ISO 8601 in UTC with `Z` (fraction kept to the column's precision), dates
 * `YYYY-MM-DD`; containers are converted element by element; everything else is unchanged.
 */
export function toClickHouseValue(type: ColumnType, value: unknown): unknown {
  if (value === null || value === undefined || !changesValues(type)) return value;
  switch (type.kind) {
    case "nullable":
    case "lowCardinality":
      return toClickHouseValue(type.inner, value);
    case "datetime":
    case "date": {
      if (typeof value !== "string") return value;
      // Already the text this would produce (or, if not a real time, the text it would keep): no parse.
      if (CANONICAL_TEXT[type.kind === "date" ? "date" : type.precision]?.test(value)) return value;
      const parsed = parseDateTime(value);
      if (!parsed) return value;
      // With its zone: a DateTime64 column without one would read zone-less text in the server's time zone.
      return type.kind === "date" ? dateText(parsed) : isoText(parsed, type.precision);
    }
    case "array":
      return Array.isArray(value) ? value.map((element) => toClickHouseValue(type.element, element)) : value;
    case "map":
      if (typeof value !== "object" || Array.isArray(value)) return value;
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, element]) => [key, toClickHouseValue(type.value, element)]));
    case "tuple":
      if (Array.isArray(value)) return value.map((element, index) => (type.items[index] ? toClickHouseValue(type.items[index]!.type, element) : element));
      return typeof value === "object" ? convertFields(type.items.filter((item): item is { name: string; type: ColumnType } => item.name !== undefined), value) : value;
    case "nested":
      // A Nested value is a table of elements: an object stands for a table of one (`Array(Nested(…))` then reads).
      if (Array.isArray(value)) return value.map((element) => convertFields(type.fields, element));
      return typeof value === "object" && value !== null ? [convertFields(type.fields, value)] : value;
    default:
      return value;
  }
}

function convertFields(fields: Array<{ name: string; type: ColumnType }>, value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const record: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const field of fields) if (Object.hasOwn(record, field.name)) record[field.name] = toClickHouseValue(field.type, record[field.name]);
  return record;
}

/** True when the type holds a 64-bit or wider integer somewhere (such values may arrive as decimal strings). */
export function hasWideInteger(type: ColumnType): boolean {
  return holdsType(type, (inner) => inner.kind === "int" && inner.wide);
}

/** Whether `type`, or a type its values hold (wrapped, elements, map values, tuple items, nested fields), passes `test`. */
function holdsType(type: ColumnType, test: (type: ColumnType) => boolean): boolean {
  if (test(type)) return true;
  switch (type.kind) {
    case "nullable":
    case "lowCardinality":
      return holdsType(type.inner, test);
    case "array":
      return holdsType(type.element, test);
    case "map":
      return holdsType(type.value, test);
    case "tuple":
      return type.items.some((item) => holdsType(item.type, test));
    case "nested":
      return type.fields.some((field) => holdsType(field.type, test));
    default:
      return false;
  }
}

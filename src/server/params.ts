/**
 * Query-string parameters of consumption APIs, checked against the JSON Schema extracted from the
 * API's params type. Query strings carry only text, so ajv coerces: `"5"` → 5 for integers,
 * `"true"` → true, a single value → `[value]` for arrays; a repeated key becomes an array.
 * Parameters the type does not declare are dropped (as MooseStack does), so handlers only ever
 * see declared ones and clients may add their own (`?_=cachebuster`).
 *
 * Values that would reach a handler's SQL in a shape ClickHouse cannot take are refused here with
 * a 400 naming the parameter, rather than failing inside the query: numbers must be finite, and
 * integers (also those written for a `number`) must be within ±(2^53 − 1), where a JavaScript
 * number is exact (`limit=99999999999999999999` would otherwise become 1e20); every value is at
 * most MAX_PARAM_CHARS characters.
 */
import type { ErrorObject, ValidateFunction } from "ajv";
import type { JsonSchema } from "../manifest/index.js";
import { lazyAjv } from "./ajv.js";
import { shownKey } from "./input.js";

export interface FieldError {
  /** The parameter name (`limit`, `ids[1]`), or empty for errors about the whole query. */
  field: string;
  message: string;
}

export type ParamsResult = { ok: true; params: Record<string, unknown> } | { ok: false; errors: FieldError[] };

export type ParamsValidator = (query: URLSearchParams) => ParamsResult;

/** The longest query-parameter value accepted (characters, after percent-decoding). */
export const MAX_PARAM_CHARS = 4096;

/** The most distinct query parameters a request may name (an API declares a handful). */
export const MAX_PARAMS = 256;

const SAFE_NUMBER = "mooseSafeNumber";

// Undeclared parameters are dropped (closedObjects), but a `Record<string, T>` params type keeps its keys.
const ajv = lazyAjv({ coerceTypes: "array", allErrors: true, useDefaults: true, removeAdditional: true, strict: false, strictNumbers: true }, (instance) =>
  instance.addKeyword({
    keyword: SAFE_NUMBER,
    schemaType: "boolean",
    errors: false,
    error: { message: `must be a finite number, and an integer only within ±${Number.MAX_SAFE_INTEGER} (larger integers are not exact)` },
    // Not `type: "number"`: with strictNumbers that would skip Infinity, which coercion makes of "Infinity".
    validate: (_enabled: boolean, data: unknown) => typeof data !== "number" || (Number.isFinite(data) && (!Number.isInteger(data) || Number.isSafeInteger(data))),
  }),
);

/**
 * A number as a query string writes it: decimal, an optional sign, fraction and exponent. ajv's
 * coercion reads text as JavaScript's `Number()` does, which takes " " for 0, "0x10" for 16 and
 * "0b1", "0o7" or " 1\n" as numbers too.
 */
const DECIMAL_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Does the schema (one of its types) describe a number? */
function isNumberSchema(schema: unknown): boolean {
  const types = ([] as unknown[]).concat((schema as { type?: unknown } | undefined)?.type ?? []);
  return types.includes("number") || types.includes("integer");
}

/** The top-level parameters whose values are numbers (or arrays of numbers). */
function numericParameters(schema: JsonSchema): Set<string> {
  const properties = ((schema as { properties?: Record<string, { items?: unknown }> }).properties ?? {}) as Record<string, { items?: unknown }>;
  return new Set(Object.entries(properties).filter(([, member]) => isNumberSchema(member) || isNumberSchema(member?.items)).map(([name]) => name));
}

/** Compiles once per API at server start; throws ajv's error if the schema itself is invalid. */
export function compileParamsValidator(schema: JsonSchema): ParamsValidator {
  const forQueryText = withSafeNumbers(closedObjects(schema));
  const validate: ValidateFunction = ajv().compile(forQueryText);
  const numeric = numericParameters(forQueryText);
  return (query) => {
    const grouped = valuesByName(query);
    if (grouped.size > MAX_PARAMS) return { ok: false, errors: [{ field: "", message: `at most ${MAX_PARAMS} distinct parameters are accepted, got ${grouped.size}` }] };
    const oversized = [...grouped]
      .filter(([key, values]) => key.length > MAX_PARAM_CHARS || values.some((value) => value.length > MAX_PARAM_CHARS))
      .map(([key]) => ({ field: key.slice(0, 100), message: `is longer than ${MAX_PARAM_CHARS} characters` }));
    if (oversized.length > 0) return { ok: false, errors: oversized };
    // Text coercion would take for a finite number, but no client writes one so (text that is no
    // number at all, or an infinite one, is ajv's to name).
    const misread = [...grouped]
      .filter(([key]) => numeric.has(key))
      .flatMap(([key, values]) =>
        values.flatMap((value, index) => (value === "" || DECIMAL_NUMBER.test(value) || !Number.isFinite(Number(value)) ? [] : [{ field: values.length > 1 ? `${key}[${index}]` : key, message: "must be a number written in decimal" }])),
      );
    // Own properties whatever their names: assigning `params["__proto__"]` would set the prototype.
    const params: Record<string, unknown> = Object.fromEntries([...grouped].map(([key, values]) => [key, values.length === 1 ? values[0] : values]));
    if (validate(params) && misread.length === 0) return { ok: true, params };
    const misreadFields = new Set(misread.map((error) => error.field));
    return { ok: false, errors: [...misread, ...(validate.errors ?? []).map(toFieldError).filter((error) => !misreadFields.has(error.field))] };
  };
}

/** Keywords whose value maps names to schemas (not a schema itself), and those holding data, not schemas. */
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "definitions", "$defs"]);
const DATA_KEYWORDS = new Set(["enum", "const", "default", "examples", "required"]);

/**
 * The schema with `additionalProperties: false` on every object of declared fields that says nothing
 * about others, so undeclared fields are dropped there. A map (`Record<string, T>`, `Dict[str, T]`)
 * or JSON object states its `additionalProperties`: its keys are its content and are kept.
 */
export function closedObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closedObjects);
  if (typeof schema !== "object" || schema === null) return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DATA_KEYWORDS.has(key)) copy[key] = value;
    else if (SCHEMA_MAPS.has(key) && typeof value === "object" && value !== null) {
      copy[key] = Object.fromEntries(Object.entries(value).map(([name, member]) => [name, closedObjects(member)]));
    } else copy[key] = closedObjects(value);
  }
  if ((copy.type === "object" || "properties" in copy) && !("additionalProperties" in copy)) copy.additionalProperties = false;
  return copy;
}

/**
 * A copy of `schema` where every number/integer schema also carries the safe-number keyword, and
 * constants that are all numbers or all booleans (a numeric TS enum, `1 | 2`) say so with `type`:
 * ajv coerces query text only towards a schema's `type`, so `?level=2` would not meet `enum: [1, 2]`.
 */
function withSafeNumbers(schema: unknown): JsonSchema {
  if (Array.isArray(schema)) return schema.map(withSafeNumbers) as unknown as JsonSchema;
  if (typeof schema !== "object" || schema === null) return schema as JsonSchema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    // `properties` and `definitions` map names to schemas; `enum`/`const` hold data, not schemas.
    copy[key] = key === "enum" || key === "const" || key === "default" || key === "examples" ? value : withSafeNumbers(value);
  }
  const constants = constantsType(copy);
  if (constants) copy.type = constants;
  if (isNumberSchema(copy)) copy[SAFE_NUMBER] = true;
  return copy as JsonSchema;
}

/** The type of a schema's `enum`/`const` values when it names none and they are all numbers or all booleans. */
function constantsType(schema: Record<string, unknown>): string | undefined {
  if ("type" in schema) return undefined;
  const values = Array.isArray(schema.enum) ? schema.enum : "const" in schema ? [schema.const] : [];
  if (values.length === 0) return undefined;
  // "number" even for whole ones: the enum then names the allowed values (no second "must be integer").
  if (values.every((value) => typeof value === "number")) return "number";
  if (values.every((value) => typeof value === "boolean")) return "boolean";
  return undefined;
}

/** Each parameter's values in one pass (`getAll` per name scans the whole list: quadratic in the names). */
function valuesByName(query: URLSearchParams): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const [key, value] of query) {
    const values = grouped.get(key);
    if (values) values.push(value);
    else grouped.set(key, [value]);
  }
  return grouped;
}

export function toFieldError(error: ErrorObject): FieldError {
  const path = error.instancePath
    .split("/")
    .slice(1)
    // A key can be megabytes long (a map's key, say): shown cut.
    .map((part, index) => (index > 0 && /^\d+$/.test(part) ? `[${part}]` : `${index > 0 ? "." : ""}${shownKey(part)}`))
    .join("");
  if (error.keyword === "required") {
    return { field: String((error.params as { missingProperty: string }).missingProperty), message: "is required" };
  }
  if (error.keyword === "enum") {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map((value) => JSON.stringify(value)).join(", ");
    return { field: path, message: `must be one of ${allowed}` };
  }
  if (error.keyword === "type" && Array.isArray((error.params as { type?: unknown }).type)) {
    // ajv's text for a list of types is "must be integer,string".
    return { field: path, message: `must be ${((error.params as { type: string[] }).type).join(" or ")}` };
  }
  return { field: path, message: error.message ?? error.keyword };
}

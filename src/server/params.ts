/**
 * Query-string parameters of consumption APIs, checked against the JSON Schema extracted from the
 * API's params type. Query strings carry only text, so ajv coerces: `"5"` → 5 for integers,
 * `"true"` → true, a single value → `[value]` for arrays; a repeated key becomes an array.
 * Parameters the type does not declare are dropped (as MooseStack does), so handlers only ever
 * see declared ones and clients may add their own (`?_=cachebuster`).
 */
import AjvModule, { type ErrorObject, type ValidateFunction } from "ajv";
import type { JsonSchema } from "../manifest/index.js";

// ajv is CommonJS; under NodeNext its default export is the module object.
const Ajv = AjvModule.default ?? AjvModule;

export interface FieldError {
  /** The parameter name (`limit`, `ids[1]`), or empty for errors about the whole query. */
  field: string;
  message: string;
}

export type ParamsResult = { ok: true; params: Record<string, unknown> } | { ok: false; errors: FieldError[] };

export type ParamsValidator = (query: URLSearchParams) => ParamsResult;

const ajv = addSchemaFormats(new Ajv({ coerceTypes: "array", allErrors: true, useDefaults: true, removeAdditional: "all", strict: false }));

/** The formats the extractor may emit (also used by src/server/ingest.ts); checked by parsing rather than a full RFC 3339 grammar. */
export function addSchemaFormats<A extends { addFormat(name: string, format: RegExp | ((text: string) => boolean)): unknown }>(instance: A): A {
  instance.addFormat("date-time", (text: string) => /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text) && !Number.isNaN(Date.parse(text)));
  instance.addFormat("date", (text: string) => /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(text)));
  instance.addFormat("uuid", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  return instance;
}

/** Compiles once per API at server start; throws ajv's error if the schema itself is invalid. */
export function compileParamsValidator(schema: JsonSchema): ParamsValidator {
  const validate: ValidateFunction = ajv.compile(schema);
  return (query) => {
    const params = queryToObject(query);
    if (validate(params)) return { ok: true, params };
    return { ok: false, errors: (validate.errors ?? []).map(toFieldError) };
  };
}

function queryToObject(query: URLSearchParams): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    params[key] = values.length === 1 ? values[0] : values;
  }
  return params;
}

export function toFieldError(error: ErrorObject): FieldError {
  const path = error.instancePath
    .split("/")
    .slice(1)
    .map((part, index) => (index > 0 && /^\d+$/.test(part) ? `[${part}]` : `${index > 0 ? "." : ""}${part}`))
    .join("");
  if (error.keyword === "required") {
    return { field: String((error.params as { missingProperty: string }).missingProperty), message: "is required" };
  }
  if (error.keyword === "enum") {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map((value) => JSON.stringify(value)).join(", ");
    return { field: path, message: `must be one of ${allowed}` };
  }
  return { field: path, message: error.message ?? error.keyword };
}

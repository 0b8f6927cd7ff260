/**
 * Ingest APIs: `POST /ingest/<path>` with one JSON object or an array of them, for each ingest API
 * of the app (an IngestPipeline's `ingestApi`, or an IngestApi). Every record is checked against the
 * JSON Schema extracted from the row type, then against the ranges of its ClickHouse column types
 * (src/server/column-types.ts: dates within DateTime's range, integers within their width, decimal
 * digits, enum values, element by element inside containers), and its strings must be well-formed
 * Unicode: 400 with one entry per field; nothing is written when any record is invalid. With streaming
 * on, valid records are sent to the pipeline's stream topic only (its sync process writes the table,
 * src/streams/sync.ts); with streaming off, or without a stream, they are inserted into the table here.
 */
import { setImmediate } from "node:timers/promises";
import type { ErrorObject, ValidateFunction } from "ajv";
import { isMooseError, MooseError } from "../errors.js";
import { clickHouseCodeOf, parseClickHouseError } from "../infra/clickhouse/errors.js";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import type { KafkaProducer } from "../infra/kafka/producer.js";
import { GEOMETRY_TYPES, isInsertable, type ColumnSpec, type IngestApiSpec, type Manifest } from "../manifest/types.js";
import type { Reply } from "./http.js";
import { checkValue, hasWideInteger, parseColumnType, toClickHouseValue, type ColumnType } from "./column-types.js";
import { malformedStrings, MAX_FIELD_ERRORS } from "./input.js";
import { lazyAjv } from "./ajv.js";
import { closedObjects, toFieldError, type FieldError } from "./params.js";

/** `{ clickhouseColumn: { type, nullable } }`: the value fits the column's ClickHouse type (see column-types.ts). */
const COLUMN_KEYWORD = "clickhouseColumn";

// JSON bodies carry real types: no coercion. Fields the type does not declare are dropped: every
// object schema is closed (closedObjects) except maps and JSON objects, whose keys are their content.
const ajv = lazyAjv({ allErrors: true, useDefaults: true, removeAdditional: true, strict: false }, (instance) => instance.addKeyword({
  keyword: COLUMN_KEYWORD,
  schemaType: "object",
  errors: true,
  compile(schema: { type: string; nullable: boolean }) {
    const type = parseColumnType(schema.type);
    const fits = (data: unknown, context?: { instancePath?: string }): boolean => {
      const problems = checkValue(type, data, { nullable: schema.nullable, top: true });
      if (problems.length === 0) return true;
      fits.errors = problems.map((problem): Partial<ErrorObject> => ({
        keyword: COLUMN_KEYWORD,
        instancePath: `${context?.instancePath ?? ""}${problem.pointer}`,
        params: { type: schema.type },
        message: problem.message,
      }));
      return false;
    };
    fits.errors = [] as Partial<ErrorObject>[];
    return fits;
  },
}));

/**
 * ClickHouse's names for errors that mean "this input does not fit the table" (a value slipped
 * past the checks above): answered as 400, without ClickHouse's text. Numbers for 18.x servers.
 */
const INPUT_ERROR = /\((CANNOT_PARSE_\w+|CANNOT_READ_\w+|TYPE_MISMATCH|INCORRECT_DATA|VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE|DECIMAL_OVERFLOW|ARGUMENT_OUT_OF_BOUND|CANNOT_CONVERT_TYPE|UNKNOWN_ELEMENT_OF_ENUM|CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN|SIZES_OF_ARRAYS_DONT_MATCH|TOO_LARGE_STRING_SIZE|INCORRECT_NUMBER_OF_COLUMNS)\)/;
const INPUT_ERROR_CODES = new Set([6, 25, 26, 27, 38, 41, 53, 69, 70, 72, 117, 130, 131, 190, 321, 349, 376, 407, 467, 691]);

/** True when a failed insert was refused because of the records' values, not because of the server. */
export function isInputError(error: unknown): boolean {
  const code = clickHouseCodeOf(error);
  if (code === undefined) return false;
  const details = (error as MooseError).details ?? {};
  const text = typeof details.clickhouseMessage === "string" ? details.clickhouseMessage : parseClickHouseError((error as Error).message).message;
  return INPUT_ERROR.test(text) || INPUT_ERROR_CODES.has(code);
}

export interface IngestSinks {
  driver: ClickHouseDriver;
  /** Absent when `[features] streaming_engine` is off: records then go to the table only. */
  producer?: KafkaProducer;
}

/** `POST /ingest/<path>` with its parsed body → reply (undefined: no such path); `has` answers before any body is read. */
export interface IngestHandler {
  (path: string, body: unknown): Promise<Reply | undefined>;
  has(path: string): boolean;
}

interface Route {
  /** The row type's JSON Schema (64-bit and wider integers may also be decimal strings). */
  validate: ValidateFunction;
  /** The values against their ClickHouse column types; run on records that passed `validate`. */
  fitColumns: ValidateFunction;
  /** Parsed column types, for converting values to what JSONEachRow reads. */
  types: Map<string, ColumnType>;
  /** ClickHouse table the records are inserted into, if the pipeline has one. */
  table?: { id: string; columns: ColumnSpec[] };
  /** Stream (model name) the records are sent to, if the pipeline has one. */
  stream?: string;
}

/** Records checked between two turns of the event loop (a POST of a few thousand is checked in one). */
const RECORDS_PER_TURN = 5_000;

/** Routes for every ingest API of `manifest`; an invalid schema fails here, at server start. */
export function ingestRoutes(manifest: Pick<Manifest, "ingestApis" | "streams" | "tables">, sinks: IngestSinks): IngestHandler {
  const routes = new Map<string, Route>();
  for (const spec of Object.values(manifest.ingestApis)) routes.set(spec.path, route(spec, manifest));

  const handle = async (path: string, body: unknown): Promise<Reply | undefined> => {
    const found = routes.get(path);
    if (!found) return undefined;
    const many = Array.isArray(body);
    const records = many ? body : [body];
    const malformed = malformedStrings(body, { recordsInArray: many });
    const errors = malformed.length > 0 ? malformed : await invalidRecords(found, records, many);
    if (errors.length > 0) {
      const more = errors.length > MAX_FIELD_ERRORS ? ` (the first ${MAX_FIELD_ERRORS} problems)` : "";
      return { status: 400, body: { error: `invalid records for /ingest/${path}${more}`, fields: errors.slice(0, MAX_FIELD_ERRORS) } };
    }
    if (!found.table && !(found.stream && sinks.producer)) {
      // Accepting records that go nowhere would lose them.
      const error = found.stream
        ? `/ingest/${path} sends to stream "${found.stream}", but streaming is off ([features] streaming_engine = false)`
        : `/ingest/${path} has no destination: its pipeline has neither a table nor a stream`;
      return { status: 503, body: { error } };
    }
    if (found.stream && sinks.producer) {
      // Streaming on: the topic is the one destination; the stream's sync process writes its table
      // (src/streams/sync.ts), so a record is stored once, through the same path as any producer's.
      try {
        await sinks.producer.send(found.stream, records);
      } catch (error) {
        // A record larger than the topic takes is refused however often it is sent: not a 503 inviting a retry.
        if (isMooseError(error) && error.code === "KAFKA_REJECTED" && error.details?.errorType === "MESSAGE_TOO_LARGE") {
          return {
            status: 413,
            body: { error: `a record for /ingest/${path} is larger than stream "${found.stream}" accepts (its topic's max.message.bytes); records sent with it may have been stored` },
            logDetails: error,
          };
        }
        return { status: 503, body: { error: `sending the records for /ingest/${path} to stream "${found.stream}" failed; some may have been sent, so a retry can store those twice` }, logDetails: error };
      }
    } else if (found.table) {
      try {
        await sinks.driver.insert(found.table.id, records.map((record) => toRow(record as Record<string, unknown>, found.types)));
      } catch (error) {
        if (!isInputError(error)) throw error;
        // ClickHouse's own text stays in the log: it names internals (settings, formats, code paths).
        return {
          status: 400,
          body: { error: `ClickHouse could not store the records for /ingest/${path}: a value does not fit its column type; nothing was stored` },
          logDetails: error,
        };
      }
    }
    return { status: 200, body: { ingested: records.length } };
  };
  return Object.assign(handle, { has: (path: string) => routes.has(path) });
}

function route(spec: IngestApiSpec, manifest: Pick<Manifest, "streams" | "tables">): Route {
  const stream = manifest.streams[spec.destination];
  const tableId = stream ? stream.destination : spec.destination;
  const table = tableId === undefined ? undefined : manifest.tables[tableId];
  // The table's columns are what stores the values; a stream-only pipeline has the row type's.
  const columns = table?.columns ?? spec.columns;
  const types = new Map(columns.map((column) => [column.name, parseColumnType(column.type)]));
  let validate: ValidateFunction;
  let fitColumns: ValidateFunction;
  try {
    validate = ajv().compile(closedObjects(asColumnsRead(spec.schema, types)) as Record<string, unknown>);
    // A payload type with an index signature (its schema's additionalProperties): the records keep their other fields.
    const extraFields = !table && spec.schema.additionalProperties !== undefined && spec.schema.additionalProperties !== false;
    fitColumns = ajv().compile(columnsSchema(columns, extraFields));
  } catch (error) {
    throw new MooseError("INGEST_SCHEMA_INVALID", `the record schema of ingest API "${spec.path}" is not valid JSON Schema: ${(error as Error).message}`, {
      location: spec.source,
      hint: "simplify the ingest API's row type",
      cause: error,
    });
  }
  return {
    validate,
    fitColumns,
    types,
    ...(table ? { table: { id: table.name, columns: table.columns } } : {}),
    ...(stream ? { stream: stream.name } : {}),
  };
}

/**
 * Field errors of the invalid records, at most MAX_FIELD_ERRORS + 1 (the checks stop there); for an
 * array body the field names carry the index (`[2].page`).
 */
async function invalidRecords(found: Route, records: unknown[], indexed: boolean): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  for (const [index, record] of records.entries()) {
    if (errors.length > MAX_FIELD_ERRORS) break;
    // Other requests get the thread between chunks: checking a 10 MB body of small records takes a second.
    if (index > 0 && index % RECORDS_PER_TURN === 0) await setImmediate();
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      errors.push({ field: indexed ? `[${index}]` : "", message: "must be a JSON object" });
      continue;
    }
    // Column ranges are checked once the shape is right, so a field gets one message, not two.
    const failed = !found.validate(record) ? found.validate.errors : !found.fitColumns(record) ? found.fitColumns.errors : undefined;
    for (const error of (failed ?? []).slice(0, MAX_FIELD_ERRORS + 1 - errors.length).map(toFieldError)) {
      errors.push(indexed ? { field: `[${index}]${error.field ? `.${error.field}` : ""}`, message: error.message } : error);
    }
  }
  return errors;
}

/** Checks and converts records for a table's columns, with the ingest API's rules (for a topic → table sync). */
export interface TableRecords {
  /** What is wrong with the record (empty: it fits); fields the table does not have are dropped from it. */
  problems(record: unknown): FieldError[];
  /** The record as a row ClickHouse reads (see toRow). */
  toRow(record: Record<string, unknown>): Record<string, unknown>;
}

export function tableRecords(columns: ColumnSpec[], { extraFields = false } = {}): TableRecords {
  // Computed columns are never written; a column without default or null must be there.
  const written = columns.filter(isInsertable);
  const required = written.filter((column) => !column.nullable && column.default === undefined && !neverNullable(parseColumnType(column.type))).map((column) => column.name);
  const check = ajv().compile({ ...columnsSchema(written, extraFields), required });
  const types = new Map(written.map((column) => [column.name, parseColumnType(column.type)]));
  return {
    problems(record) {
      if (typeof record !== "object" || record === null || Array.isArray(record)) return [{ field: "", message: "must be a JSON object" }];
      const malformed = malformedStrings(record);
      if (malformed.length > 0) return malformed.slice(0, MAX_FIELD_ERRORS);
      return check(record) ? [] : (check.errors ?? []).slice(0, MAX_FIELD_ERRORS).map(toFieldError);
    },
    toRow: (record) => toRow(record, types),
  };
}

/** ClickHouse types that cannot be Nullable, besides the containers. */
const NEVER_NULLABLE_TYPES = new Set([...GEOMETRY_TYPES, "JSON", "Object", "Dynamic", "Variant"]);

/**
 * Whether a column's type can never be Nullable: then an optional field of the model (`tags?: string[]`)
 * is a plain column, and a record leaving it out stores the type's empty value, as ClickHouse does for
 * an omitted field and as the ingest API (which checks the model's own schema) accepts.
 */
function neverNullable(type: ColumnType): boolean {
  return type.kind === "array" || type.kind === "map" || type.kind === "tuple" || type.kind === "nested" || (type.kind === "other" && NEVER_NULLABLE_TYPES.has(type.name));
}

/** A schema checking each column's value against its ClickHouse type; other fields are dropped (ajv's removeAdditional) unless `extraFields`. */
function columnsSchema(columns: ColumnSpec[], extraFields = false): Record<string, unknown> {
  return {
    type: "object",
    properties: Object.fromEntries(columns.map((column) => [column.name, { [COLUMN_KEYWORD]: { type: column.type, nullable: column.nullable } }])),
    additionalProperties: extraFields,
  };
}

/**
 * The row type's schema, relaxed where the column reads more than the type says:
 * - 64-bit and wider integer columns also accept strings: JSON numbers beyond 2^53 lose precision,
 *   so such values may be sent as decimal strings (the column check then requires digits within
 *   the type's range);
 * - an Enum column of an integer enum (a numeric TS enum, a Python IntEnum) also accepts its members'
 *   names, as ClickHouse and MooseStack's ingest do (the column check then requires a member).
 */
function asColumnsRead(schema: Record<string, unknown>, types: Map<string, ColumnType>): Record<string, unknown> {
  const properties = schema.properties as Record<string, unknown> | undefined;
  if (!properties) return schema;
  const relaxed = Object.fromEntries(
    Object.entries(properties).map(([name, property]) => {
      const type = types.get(name);
      if (type && hasWideInteger(type)) return [name, integerOrString(property)];
      if (type?.kind === "enum") return [name, withMemberNames(property, [...type.names])];
      return [name, property];
    }),
  );
  return { ...schema, properties: relaxed };
}

/** Every `enum` of numbers in the schema (an Optional's too) also lists the members' names. */
function withMemberNames(schema: unknown, names: string[]): unknown {
  if (Array.isArray(schema)) return schema.map((item) => withMemberNames(item, names));
  if (typeof schema !== "object" || schema === null) return schema;
  const copy = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, key === "enum" || key === "const" ? value : withMemberNames(value, names)]));
  const values = (schema as { enum?: unknown }).enum;
  if (Array.isArray(values) && values.length > 0 && values.every((value) => typeof value === "number")) copy.enum = [...values, ...names];
  return copy;
}

function integerOrString(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(integerOrString);
  if (typeof schema !== "object" || schema === null) return schema;
  const copy = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, key === "enum" || key === "const" ? value : integerOrString(value)]));
  if (copy.type === "integer") copy.type = ["integer", "string"];
  return copy;
}

/**
 * JSON → a row ClickHouse parses with its default settings: date-times (`…T…Z`, any offset) become
 * `YYYY-MM-DD hh:mm:ss[.fff]` in UTC, the text DateTime/DateTime64 columns read (fractions kept to
 * the column's precision), dates `YYYY-MM-DD`, also inside arrays, maps, tuples and nested fields.
 */
function toRow(record: Record<string, unknown>, types: Map<string, ColumnType>): Record<string, unknown> {
  const row: Record<string, unknown> = { ...record };
  for (const [name, type] of types) {
    if (!Object.hasOwn(row, name)) continue;
    const value = toClickHouseValue(type, row[name]);
    if (type.kind === "nested") {
      delete row[name];
      Object.assign(row, nestedFields(name, type.fields, value));
    } else row[name] = value;
  }
  return row;
}

/**
 * A Nested column as ClickHouse stores it: one array per field (`address.street`, `address.city`),
 * which is what JSONEachRow must name (a key `address` would be skipped as unknown, and the values
 * lost). An object is one element.
 */
function nestedFields(name: string, fields: Array<{ name: string }>, value: unknown): Record<string, unknown[]> {
  const elements = value === null || value === undefined ? [] : Array.isArray(value) ? value : [value];
  return Object.fromEntries(fields.map((field) => [`${name}.${field.name}`, elements.map((element) => (element as Record<string, unknown> | null)?.[field.name] ?? null)]));
}

/**
 * Ingest APIs: `POST /ingest/<path>` with one JSON object or an array of them, for each ingest API
 * of the app (an IngestPipeline's `ingestApi`, or an IngestApi). Every record is checked against the
 * JSON Schema extracted from the row type (400 with one entry per field; nothing is written when any
 * record is invalid). Valid records are inserted into the pipeline's table, and sent to its stream's
 * topic when streaming is on. moose-ts has no stream-to-table sync process: the table is written
 * here directly, so it has the rows whether or not a broker runs.
 */
import AjvModule, { type ValidateFunction } from "ajv";
import { MooseError } from "../errors.js";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import type { KafkaProducer } from "../infra/kafka/producer.js";
import type { ColumnSpec, IngestApiSpec, Manifest } from "../manifest/types.js";
import type { Reply } from "./http.js";
import { addSchemaFormats, toFieldError, type FieldError } from "./params.js";

// ajv is CommonJS; under NodeNext its default export is the module object.
const Ajv = AjvModule.default ?? AjvModule;

// JSON bodies carry real types: no coercion. Fields the type does not declare are dropped.
const ajv = addSchemaFormats(new Ajv({ allErrors: true, useDefaults: true, removeAdditional: "all", strict: false }));

export interface IngestSinks {
  driver: ClickHouseDriver;
  /** Absent when `[features] streaming_engine` is off: records then go to the table only. */
  producer?: KafkaProducer;
}

export type IngestHandler = (path: string, body: unknown) => Promise<Reply | undefined>;

interface Route {
  validate: ValidateFunction;
  /** ClickHouse table the records are inserted into, if the pipeline has one. */
  table?: { id: string; columns: ColumnSpec[] };
  /** Stream (model name) the records are sent to, if the pipeline has one. */
  stream?: string;
}

/** Routes for every ingest API of `manifest`; an invalid schema fails here, at server start. */
export function ingestRoutes(manifest: Pick<Manifest, "ingestApis" | "streams" | "tables">, sinks: IngestSinks): IngestHandler {
  const routes = new Map<string, Route>();
  for (const spec of Object.values(manifest.ingestApis)) routes.set(spec.path, route(spec, manifest));

  return async (path, body) => {
    const found = routes.get(path);
    if (!found) return undefined;
    const records = Array.isArray(body) ? body : [body];
    const errors = invalidRecords(found.validate, records, Array.isArray(body));
    if (errors.length > 0) return { status: 400, body: { error: `invalid records for /ingest/${path}`, fields: errors } };
    if (!found.table && !(found.stream && sinks.producer)) {
      // Accepting records that go nowhere would lose them.
      const error = found.stream
        ? `/ingest/${path} sends to stream "${found.stream}", but streaming is off ([features] streaming_engine = false)`
        : `/ingest/${path} has no destination: its pipeline has neither a table nor a stream`;
      return { status: 503, body: { error } };
    }
    if (found.table) await sinks.driver.insert(found.table.id, records.map((record) => toRow(record as Record<string, unknown>, found.table!.columns)));
    if (found.stream && sinks.producer) {
      try {
        await sinks.producer.send(found.stream, records);
      } catch (error) {
        if (!found.table) throw error;
        // Say exactly what is stored, so a client does not retry into duplicate rows unknowingly.
        const message = error instanceof Error ? error.message : String(error);
        return { status: 502, body: { error: `records stored in table ${found.table.id}, but not sent to stream "${found.stream}": ${message}`, storedInTable: records.length, sentToStream: 0 } };
      }
    }
    return { status: 200, body: { ingested: records.length } };
  };
}

function route(spec: IngestApiSpec, manifest: Pick<Manifest, "streams" | "tables">): Route {
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(spec.schema);
  } catch (error) {
    throw new MooseError("INGEST_SCHEMA_INVALID", `the record schema of ingest API "${spec.path}" is not valid JSON Schema: ${(error as Error).message}`, {
      location: spec.source,
      hint: "simplify the ingest API's row type",
      cause: error,
    });
  }
  const stream = manifest.streams[spec.destination];
  const tableId = stream ? stream.destination : spec.destination;
  const table = tableId === undefined ? undefined : manifest.tables[tableId];
  return {
    validate,
    ...(table ? { table: { id: table.name, columns: table.columns } } : {}),
    ...(stream ? { stream: stream.name } : {}),
  };
}

/** Field errors of every invalid record; for an array body the field names carry the index (`[2].page`). */
function invalidRecords(validate: ValidateFunction, records: unknown[], indexed: boolean): FieldError[] {
  const errors: FieldError[] = [];
  records.forEach((record, index) => {
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      errors.push({ field: indexed ? `[${index}]` : "", message: "must be a JSON object" });
      return;
    }
    if (validate(record)) return;
    for (const error of (validate.errors ?? []).map(toFieldError)) {
      errors.push(indexed ? { field: `[${index}]${error.field ? `.${error.field}` : ""}`, message: error.message } : error);
    }
  });
  return errors;
}

/**
 * JSON → a row ClickHouse parses with its default settings: ISO date-times (`…T…Z`) become
 * `YYYY-MM-DD hh:mm:ss[.fff]` in UTC, the text DateTime/DateTime64 columns read.
 */
function toRow(record: Record<string, unknown>, columns: ColumnSpec[]): Record<string, unknown> {
  const row: Record<string, unknown> = { ...record };
  for (const column of columns) {
    const value = row[column.name];
    if (typeof value !== "string" || !/^DateTime/.test(column.type)) continue;
    const time = Date.parse(value);
    if (Number.isNaN(time)) continue;
    const iso = new Date(time).toISOString().replace("T", " ").replace("Z", "");
    row[column.name] = column.type.startsWith("DateTime64") ? iso : iso.slice(0, 19);
  }
  return row;
}

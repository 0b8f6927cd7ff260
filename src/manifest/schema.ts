/**
 * Manifest v1 as a JSON Schema (draft-07), the one check every manifest that comes from outside
 * the process passes: files on disk (.moose/manifest.json, migrations/snapshot.json,
 * migrations/meta/<id>.json, `--manifest <file>`) and admin API bodies. See ./validate.ts.
 *
 * The schema is built from the types in ./types.ts through `object<T>()`, whose argument must list
 * every property of T, each marked `required(…)` or `optional(…)` exactly as T declares it: a field
 * added to, removed from or made optional in a spec type without the same change here does not
 * compile. Objects allow no other properties (a typo in a hand-edited manifest is an error, not a
 * silently ignored field); JSON Schema values (API params, ingest schemas) are free-form objects.
 */
import type {
  ApiSpec,
  ColumnSpec,
  EngineSpec,
  IndexSpec,
  IngestApiSpec,
  JsonSchema,
  MaterializedViewSpec,
  ProcessSpec,
  SqlResourceSpec,
  RowPolicySpec,
  StoredManifest,
  StreamSpec,
  TableSpec,
  TaskSpec,
  ViewSpec,
  WorkflowSpec,
} from "./types.js";
import { MANIFEST_VERSION, RESERVED_NAMES } from "./types.js";
import { CLUSTER_NAME } from "../config/clusters.js";
import type { SourceLocation } from "../errors.js";

interface Field<Optional extends boolean> {
  schema: JsonSchema;
  optional: Optional;
}

/** For each property of T: `optional(…)` when T declares it with `?`, `required(…)` otherwise. */
type Fields<T> = { [K in keyof T]-?: Field<object extends Pick<T, K> ? true : false> };

const required = (schema: JsonSchema): Field<false> => ({ schema, optional: false });
const optional = (schema: JsonSchema): Field<true> => ({ schema, optional: true });

function object<T>(fields: Fields<T>): JsonSchema {
  const entries = Object.entries(fields) as Array<[string, Field<boolean>]>;
  return {
    type: "object",
    properties: Object.fromEntries(entries.map(([key, field]) => [key, field.schema])),
    required: entries.filter(([, field]) => !field.optional).map(([key]) => key),
    additionalProperties: false,
  };
}

/** A map from id (any string but RESERVED_NAMES) to values of one schema. */
const mapOf = (schema: JsonSchema): JsonSchema => ({ type: "object", propertyNames: { not: { enum: [...RESERVED_NAMES] } }, additionalProperties: schema });

const text: JsonSchema = { type: "string" };
const name: JsonSchema = { type: "string", minLength: 1 };
const integer: JsonSchema = { type: "integer" };
const boolean: JsonSchema = { type: "boolean" };
const texts: JsonSchema = { type: "array", items: text };
const freeObject: JsonSchema = { type: "object" };
/** As `[[clickhouse_config.clusters]]` allows it (src/config/clusters.ts): written bare after ON CLUSTER. */
const clusterName: JsonSchema = { type: "string", pattern: CLUSTER_NAME.source };
const lifeCycle: JsonSchema = { enum: ["FULLY_MANAGED", "DELETION_PROTECTED", "EXTERNALLY_MANAGED"] };

const source = object<SourceLocation>({ file: required(text), line: required(integer), col: optional(integer) });

const column = object<ColumnSpec>({
  name: required(name),
  type: required(name),
  nullable: required(boolean),
  default: optional(text),
  materialized: optional(text),
  alias: optional(text),
  comment: optional(text),
  codec: optional(text),
  ttl: optional(text),
  primaryKey: optional(boolean),
});
const columns: JsonSchema = { type: "array", items: column };

const engine = object<EngineSpec>({ name: required(name), params: required(texts) });

const index = object<IndexSpec>({ name: required(name), expression: required(text), type: required(name), granularity: required(integer) });

const table = object<TableSpec>({
  name: required(name),
  columns: required(columns),
  orderBy: required(texts),
  primaryKey: optional(texts),
  partitionBy: optional(text),
  sampleBy: optional(text),
  ttl: optional(text),
  engine: required(engine),
  settings: required(mapOf(text)),
  indexes: required({ type: "array", items: index }),
  cluster: optional(clusterName),
  lifeCycle: required(lifeCycle),
  version: optional(text),
  source: optional(source),
});

const stream = object<StreamSpec>({
  name: required(name),
  partitionCount: required({ type: "integer", minimum: 1 }),
  retentionMs: required(integer),
  replicationFactor: optional({ type: "integer", minimum: 1 }),
  config: required(mapOf(text)),
  columns: required(columns),
  destination: optional(name),
  lifeCycle: required(lifeCycle),
  version: optional(text),
  source: optional(source),
});

const view = object<ViewSpec>({
  name: required(name),
  sql: required(text),
  sourceTables: required(texts),
  cluster: optional(clusterName),
  lifeCycle: required(lifeCycle),
  source: optional(source),
});

const materializedView = object<MaterializedViewSpec>({
  name: required(name),
  sql: required(text),
  sourceTables: required(texts),
  targetTable: required(name),
  cluster: optional(clusterName),
  lifeCycle: required(lifeCycle),
  source: optional(source),
});

const sqlResource = object<SqlResourceSpec>({
  name: required(name),
  setup: required(texts),
  teardown: required(texts),
  pullsDataFrom: required(texts),
  pushesDataTo: required(texts),
  rowPolicy: optional(
    object<RowPolicySpec>({
      tables: required(texts),
      column: required(name),
      claim: required(text),
    }),
  ),
  source: optional(source),
});

const api = object<ApiSpec>({
  name: required(name),
  version: optional(text),
  path: required(name),
  params: required(freeObject),
  result: required(freeObject),
  source: optional(source),
});

const ingestApi = object<IngestApiSpec>({
  name: required(name),
  version: optional(text),
  path: required(name),
  columns: required(columns),
  schema: required(freeObject),
  destination: required(name),
  source: optional(source),
});

const task = object<TaskSpec>({ name: required(name), timeout: optional(text), retries: optional({ type: "integer", minimum: 0 }), onComplete: required(texts) });

const workflow = object<WorkflowSpec>({
  name: required(name),
  schedule: optional(text),
  retries: optional({ type: "integer", minimum: 0 }),
  timeout: optional(text),
  tasks: required({ type: "array", items: task }),
  source: optional(source),
});

const process = object<ProcessSpec>({
  kind: required({ enum: ["sync", "transform", "consumer"] }),
  source: required(name),
  destination: optional(name),
  version: optional(text),
  codeHash: optional({ type: "string", pattern: "^[0-9a-f]{64}$" }),
  deadLetterQueue: optional(name),
  location: optional(source),
});

export const MANIFEST_SCHEMA: JsonSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://moose-ts.dev/schemas/manifest-v1.json",
  title: "moose-ts Manifest v1",
  ...object<StoredManifest>({
    version: required({ const: MANIFEST_VERSION }),
    tables: required(mapOf(table)),
    streams: required(mapOf(stream)),
    views: required(mapOf(view)),
    materializedViews: required(mapOf(materializedView)),
    apis: required(mapOf(api)),
    ingestApis: required(mapOf(ingestApi)),
    workflows: required(mapOf(workflow)),
    processes: optional(mapOf(process)),
    sqlResources: optional(mapOf(sqlResource)),
  }),
};

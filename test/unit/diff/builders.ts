/** Small builders for manifests in diff and plan tests: defaults for everything a case does not care about. */
import type {
  ApiSpec,
  ColumnSpec,
  IngestApiSpec,
  Manifest,
  MaterializedViewSpec,
  ProcessSpec,
  SqlResourceSpec,
  StreamSpec,
  TableSpec,
  ViewSpec,
  WorkflowSpec,
} from "../../../src/manifest/types.js";
import { emptyManifest } from "../../../src/manifest/types.js";
import { processId } from "../../../src/sdk/processes.js";
import type { OperationKind } from "../../../src/diff/operations.js";

export function column(name: string, type: string, extra: Partial<ColumnSpec> = {}): ColumnSpec {
  return { name, type, nullable: false, ...extra };
}

export function table(name: string, columns: ColumnSpec[], extra: Partial<TableSpec> = {}): TableSpec {
  return {
    name,
    columns,
    orderBy: [columns[0]?.name ?? "id"],
    engine: { name: "MergeTree", params: [] },
    settings: {},
    indexes: [],
    lifeCycle: "FULLY_MANAGED",
    ...extra,
  };
}

export function users(extra: Partial<TableSpec> = {}, columns?: ColumnSpec[]): TableSpec {
  return table("Users", columns ?? [column("id", "String"), column("name", "String"), column("email", "String")], extra);
}

export function stream(name: string, extra: Partial<StreamSpec> = {}): StreamSpec {
  return {
    name,
    partitionCount: 1,
    retentionMs: 30000,
    config: {},
    columns: [column("id", "String")],
    lifeCycle: "FULLY_MANAGED",
    ...extra,
  };
}

export function view(name: string, sql: string, sourceTables: string[], extra: Partial<ViewSpec> = {}): ViewSpec {
  return { name, sql, sourceTables, lifeCycle: "FULLY_MANAGED", ...extra };
}

export function mv(name: string, sql: string, sourceTables: string[], targetTable: string, extra: Partial<MaterializedViewSpec> = {}): MaterializedViewSpec {
  return { name, sql, sourceTables, targetTable, lifeCycle: "FULLY_MANAGED", ...extra };
}

export function api(name: string, extra: Partial<ApiSpec> = {}): ApiSpec {
  return {
    name,
    path: name,
    params: { type: "object", properties: { limit: { type: "number" } }, required: [] },
    result: { type: "array", items: { type: "object", properties: { id: { type: "string" }, total: { type: "number" } } } },
    ...extra,
  };
}

export function ingestApi(name: string, extra: Partial<IngestApiSpec> = {}): IngestApiSpec {
  return { name, path: name, columns: [column("id", "String")], schema: { type: "object" }, destination: name, ...extra };
}

export function workflow(name: string, extra: Partial<WorkflowSpec> = {}): WorkflowSpec {
  return { name, tasks: [{ name: "first", onComplete: [] }], ...extra };
}

/** A transform from `source` into `destination` whose code hash is `code` repeated (64 hex digits). */
export function transform(source: string, destination: string, code = "a", extra: Partial<ProcessSpec> = {}): ProcessSpec {
  return { kind: "transform", source, destination, codeHash: code.repeat(64 / code.length), ...extra };
}

export function sqlResource(name: string, extra: Partial<SqlResourceSpec> = {}): SqlResourceSpec {
  return { name, setup: [`CREATE VIEW ${name}_v AS SELECT 1`], teardown: [`DROP VIEW IF EXISTS ${name}_v`], pullsDataFrom: [], pushesDataTo: [], ...extra };
}

export function sync(source: string, table: string): ProcessSpec {
  return { kind: "sync", source, destination: table };
}

type Parts = {
  tables?: TableSpec[];
  streams?: StreamSpec[];
  views?: ViewSpec[];
  materializedViews?: MaterializedViewSpec[];
  apis?: ApiSpec[];
  ingestApis?: IngestApiSpec[];
  workflows?: WorkflowSpec[];
  /** Keyed by processId. */
  processes?: ProcessSpec[];
  sqlResources?: SqlResourceSpec[];
};

export function manifest(parts: Parts = {}): Manifest {
  const result = emptyManifest();
  for (const spec of parts.tables ?? []) result.tables[spec.name] = spec;
  for (const spec of parts.streams ?? []) result.streams[spec.name] = spec;
  for (const spec of parts.views ?? []) result.views[spec.name] = spec;
  for (const spec of parts.materializedViews ?? []) result.materializedViews[spec.name] = spec;
  for (const spec of parts.apis ?? []) result.apis[spec.path] = spec;
  for (const spec of parts.ingestApis ?? []) result.ingestApis[spec.path] = spec;
  for (const spec of parts.workflows ?? []) result.workflows[spec.name] = spec;
  for (const spec of parts.processes ?? []) result.processes[processId(spec)] = spec;
  for (const spec of parts.sqlResources ?? []) result.sqlResources[spec.name] = spec;
  return result;
}

/** The type checker makes this list complete: a new kind must be added here (and get a case above). */
export const ALL_KINDS: Record<OperationKind, true> = {
  createTable: true, dropTable: true, addColumn: true, dropColumn: true, modifyColumn: true, renameColumn: true,
  modifyTtl: true, modifySettings: true, addIndex: true, dropIndex: true, recreateTable: true, createView: true,
  dropView: true, replaceView: true, createMaterializedView: true, dropMaterializedView: true, createTopic: true,
  deleteTopic: true, alterTopicConfig: true, addPartitions: true, modifyStreamSchema: true, addApi: true,
  removeApi: true, updateApi: true, addIngestApi: true, removeIngestApi: true, updateIngestApi: true,
  addWorkflow: true, removeWorkflow: true, updateWorkflow: true, addProcess: true, removeProcess: true,
  updateProcess: true, createSqlResource: true, dropSqlResource: true, rawSql: true,
};


/**
 * The closed union of changes `diffManifests` produces. Every consumer switches on `kind`
 * and ends with `assertNever`, so a new kind cannot be dropped silently anywhere.
 */
import type {
  ApiSpec,
  ColumnSpec,
  ComponentKind,
  IndexSpec,
  IngestApiSpec,
  MaterializedViewSpec,
  ProcessSpec,
  SqlResourceSpec,
  StreamSpec,
  TableSpec,
  ViewSpec,
  WorkflowSpec,
} from "../manifest/types.js";

/**
 * safe: nothing existing is lost or rewritten · data-loss: drops data ·
 * rewrite: rewrites existing data (may be slow, may fail on existing rows) ·
 * breaking: API or stream consumers break.
 */
export type Risk = "safe" | "data-loss" | "rewrite" | "breaking";

interface OperationBase {
  /** The component id the operation acts on (table, topic, view, API path, workflow, process id). */
  target: string;
  /** One line for plans and migration headers. */
  summary: string;
  risk: Risk;
  /** The ClickHouse cluster the target lives on (tables, views, materialized views): its DDL runs ON CLUSTER. */
  cluster?: string;
}

export type ColumnChange = "type" | "nullable" | "default" | "materialized" | "alias" | "comment" | "codec" | "ttl";

/** Where an added column goes: after `after`, or first when `after` is null. */
export interface ColumnPosition {
  after: string | null;
}

export type Operation =
  | (OperationBase & { kind: "createTable"; table: TableSpec })
  | (OperationBase & { kind: "dropTable"; table: TableSpec })
  | (OperationBase & { kind: "addColumn"; table: string; column: ColumnSpec; position: ColumnPosition })
  | (OperationBase & { kind: "dropColumn"; table: string; column: ColumnSpec })
  | (OperationBase & { kind: "modifyColumn"; table: string; from: ColumnSpec; to: ColumnSpec; changed: ColumnChange[] })
  | (OperationBase & { kind: "renameColumn"; table: string; from: string; to: string })
  | (OperationBase & { kind: "modifyTtl"; table: string; from?: string; to?: string })
  | (OperationBase & {
      kind: "modifySettings";
      table: string;
      /** Settings to set (new value) and their previous values (absent → was default). */
      set: Record<string, string>;
      previous: Record<string, string>;
      /** Settings to reset to the server default. */
      reset: string[];
    })
  | (OperationBase & { kind: "addIndex"; table: string; index: IndexSpec })
  | (OperationBase & { kind: "dropIndex"; table: string; index: IndexSpec })
  | (OperationBase & {
      kind: "recreateTable";
      from: TableSpec;
      to: TableSpec;
      /** Why a plain ALTER cannot do it, e.g. `ORDER BY (id) → (id, ts)`. */
      reasons: string[];
    })
  | (OperationBase & { kind: "createView"; view: ViewSpec })
  | (OperationBase & { kind: "dropView"; view: ViewSpec })
  | (OperationBase & { kind: "replaceView"; from: ViewSpec; to: ViewSpec })
  | (OperationBase & {
      kind: "createMaterializedView";
      view: MaterializedViewSpec;
      /** Rows already in the sources are copied into these target columns (matched by name), or not at all. */
      backfill: false | { columns: string[] };
    })
  | (OperationBase & { kind: "dropMaterializedView"; view: MaterializedViewSpec })
  | (OperationBase & { kind: "createTopic"; stream: StreamSpec })
  | (OperationBase & { kind: "deleteTopic"; stream: StreamSpec })
  | (OperationBase & {
      kind: "alterTopicConfig";
      topic: string;
      /** Changed configs: previous value (absent → broker default) and new value (absent → reset). */
      changes: Record<string, { from?: string; to?: string }>;
    })
  | (OperationBase & { kind: "addPartitions"; topic: string; from: number; to: number })
  | (OperationBase & { kind: "modifyStreamSchema"; topic: string; from: ColumnSpec[]; to: ColumnSpec[] })
  | (OperationBase & { kind: "addApi"; api: ApiSpec })
  | (OperationBase & { kind: "removeApi"; api: ApiSpec })
  | (OperationBase & { kind: "updateApi"; from: ApiSpec; to: ApiSpec })
  | (OperationBase & { kind: "addIngestApi"; api: IngestApiSpec })
  | (OperationBase & { kind: "removeIngestApi"; api: IngestApiSpec })
  | (OperationBase & { kind: "updateIngestApi"; from: IngestApiSpec; to: IngestApiSpec })
  | (OperationBase & { kind: "addWorkflow"; workflow: WorkflowSpec })
  | (OperationBase & { kind: "removeWorkflow"; workflow: WorkflowSpec })
  | (OperationBase & { kind: "updateWorkflow"; from: WorkflowSpec; to: WorkflowSpec })
  | (OperationBase & { kind: "addProcess"; process: ProcessSpec })
  | (OperationBase & { kind: "removeProcess"; process: ProcessSpec })
  | (OperationBase & { kind: "updateProcess"; from: ProcessSpec; to: ProcessSpec })
  | (OperationBase & { kind: "createSqlResource"; resource: SqlResourceSpec })
  | (OperationBase & { kind: "dropSqlResource"; resource: SqlResourceSpec })
  | (OperationBase & { kind: "rawSql"; sql: string; down?: string });

export type OperationKind = Operation["kind"];
export type OperationOf<K extends OperationKind> = Extract<Operation, { kind: K }>;

/**
 * A change the code asks for that moose-ts will not make: a rebuild of a DELETION_PROTECTED table
 * that would lose columns, a Kafka partition decrease. Shown in plans; makes generation/apply stop (exit 3).
 */
export interface BlockedChange {
  target: string;
  summary: string;
  /** Why it is blocked and what to do instead. */
  reason: string;
}

/**
 * A removal the code asks for that is not made because the object is DELETION_PROTECTED (as in
 * MooseStack, such objects only ever get additive changes): the table, column, view or topic stays
 * where it is, and in the state, so later plans still know it. Shown in plans; stops nothing.
 */
export interface KeptChange {
  section: "tables" | "views" | "materializedViews" | "streams";
  target: string;
  /** A column of the table `target` (absent: the whole object). */
  column?: string;
  summary: string;
  reason: string;
}

/**
 * How a kept object can go: its lifeCycle must be FULLY_MANAGED in the state first. A lifeCycle
 * change alone has no operation, so it is recorded by the next migration (or `moose dev` apply) made
 * for any other change.
 */
export function releaseKept(what: "object" | "column"): string {
  const first = what === "column" ? "set the table's lifeCycle to FULLY_MANAGED in the code" : "put it back in the code with lifeCycle FULLY_MANAGED";
  return `To remove it, ${first}; the next migration made for any other change records that (a lifeCycle change alone writes none), and after it the removal is planned`;
}

/** A dropped and an added column of one table with the same type: possibly a rename. */
export interface RenameCandidate {
  table: string;
  from: string;
  to: string;
}

/** Explicit renames: table id → old column name → new column name. */
export type RenameMap = Record<string, Record<string, string>>;

export interface DiffOptions {
  renames?: RenameMap;
  /** Treat LowCardinality(T) and T as different types (default false: equal). */
  strictLowCardinality?: boolean;
  /** Add a backfill step when a materialized view is created over tables that already hold rows. */
  backfillMaterializedViews?: boolean;
  /**
   * Plan EXTERNALLY_MANAGED tables like the others (`moose dev`: the local database gets a stand-in
   * of each, as MooseStack's dev creates them, for the views and queries built on it). Migrations never do.
   */
  localExternalTables?: boolean;
}

export interface DiffResult {
  /** Ordered: all teardown (dependents first), then all setup (dependencies first). */
  operations: Operation[];
  blocked: BlockedChange[];
  kept: KeptChange[];
  renameCandidates: RenameCandidate[];
}

/** The manifest section an operation's target lives in; undefined for raw SQL (no component). */
export function componentKindOf(kind: OperationKind): ComponentKind | undefined {
  switch (kind) {
    case "createTable":
    case "dropTable":
    case "addColumn":
    case "dropColumn":
    case "modifyColumn":
    case "renameColumn":
    case "modifyTtl":
    case "modifySettings":
    case "addIndex":
    case "dropIndex":
    case "recreateTable":
      return "tables";
    case "createView":
    case "dropView":
    case "replaceView":
      return "views";
    case "createMaterializedView":
    case "dropMaterializedView":
      return "materializedViews";
    case "createTopic":
    case "deleteTopic":
    case "alterTopicConfig":
    case "addPartitions":
    case "modifyStreamSchema":
      return "streams";
    case "addApi":
    case "removeApi":
    case "updateApi":
      return "apis";
    case "addIngestApi":
    case "removeIngestApi":
    case "updateIngestApi":
      return "ingestApis";
    case "addWorkflow":
    case "removeWorkflow":
    case "updateWorkflow":
      return "workflows";
    case "addProcess":
    case "removeProcess":
    case "updateProcess":
      return "processes";
    case "createSqlResource":
    case "dropSqlResource":
      return "sqlResources";
    case "rawSql":
      return undefined;
    default:
      return assertNever(kind);
  }
}

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}

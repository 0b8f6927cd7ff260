/**
 * A step is one unit of a migration's `up` or `down`: it is what the runner executes, journals
 * and resumes at. Steps are plain values in migration files, so a reviewer sees (and may edit)
 * exactly what runs. Shapes are told apart by their payload key: `sql`, `kafka`, `temporal`, `note`, `run`.
 *
 * Generated steps carry their `cause`: the operation they were made for, its risk, and for a
 * table rebuild which part of it the step is. Gates, resume and rebuild bookkeeping read the
 * cause and ClickHouse's own parse of the statement (./judge.ts), never the SQL text.
 */
import type { OperationKind, Risk } from "../diff/operations.js";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";

/** Suffix of the copy a table rebuild fills before swapping it in; part of moose's reserved names. */
export const REBUILD_SUFFIX = "__moose_new";

/** Names moose-ts keeps for itself: its journal/state/lock tables and rebuild copies. */
export const RESERVED_PREFIX = "_moose";

export function rebuildCopyName(table: string): string {
  return `${table}${REBUILD_SUFFIX}`;
}

/** The parts of a data-keeping table rebuild, in the order they run. */
export type RebuildPhase = "clear" | "create" | "copy" | "exchange" | "drop-old";

/** Why a generated step exists. */
export interface StepCause {
  /** The operation the step was generated for (the inverse operation's, in `down`). */
  operation: OperationKind;
  /** The object it changes: table, view or topic name. */
  target: string;
  /** The operation's risk: `data-loss` needs --allow-data-loss. */
  risk: Risk;
  /** For the steps of a table rebuild: which part this step is (the copy is `<target>__moose_new`). */
  rebuild?: RebuildPhase;
  /** The cluster the target lives on: the statement runs ON CLUSTER, and so must anything run in its stead. */
  cluster?: string;
  /** For a column change: the table (as named in SQL) and the column the statement works on. */
  column?: ColumnTarget;
  /** A materialized view's backfill: it copies rows its sources already hold (through one host). */
  backfill?: true;
  /** What the generated statement needs of the server beyond the oldest one supported (infra/clickhouse/capabilities.ts). */
  needs?: ServerFeature[];
  /** A table settings change: what it sets and resets (an old server rebuilds the table with them instead). */
  settings?: { set: Record<string, string>; reset: string[] };
}

/** The column a generated column change works on, with what an old server's adaptation of it needs. */
export interface ColumnTarget {
  table: string;
  name: string;
  /** A rename: the column's new name. */
  renamedTo?: string;
  /** A `MODIFY COLUMN … REMOVE`: the property removed. */
  removes?: RemovableProperty;
  /**
   * The statement stores the column's computed values in the rows that hold none (rows from before
   * the column was added read its DEFAULT or MATERIALIZED expression), before that expression
   * changes or goes: they keep the values they read.
   */
  materializes?: "default" | "materialized";
}

export type RemovableProperty = "default" | "materialized" | "alias" | "codec" | "ttl" | "comment";

/** Server features a generated statement may use that ClickHouse 18.16 lacks. */
export type ServerFeature = "renameColumn" | "removeColumnProperty" | "materializeColumn" | "modifySetting" | "resetSetting" | "ttl" | "removeTtl" | "codec" | "skipIndex" | "rowPolicy";

/** Run before a MODIFY COLUMN: count rows whose value would not convert, and stop if any. */
export interface ConversionCheck {
  table: string;
  column: string;
  /** Full target type, Nullable included. */
  toType: string;
  /** Optional conversion expression used instead of a plain cast (may reference the column). */
  using?: string;
  /** The statement gives the column a DEFAULT, which ClickHouse stores for NULL rows. */
  nullsTakeDefault?: boolean;
}

export interface SqlStep {
  /** One ClickHouse statement, idempotent (`IF [NOT] EXISTS`), no database name baked in. */
  sql: string;
  summary?: string;
  checkConversion?: ConversionCheck;
  cause?: StepCause;
}

export interface TopicConfigPayload {
  topic: string;
  partitions: number;
  replicationFactor?: number;
  config: Record<string, string>;
}

export type KafkaAction =
  | { createTopic: TopicConfigPayload }
  | { deleteTopic: { topic: string } }
  | { alterTopicConfig: { topic: string; set: Record<string, string>; reset: string[] } }
  | {
      addPartitions: {
        topic: string;
        /** The new total partition count. */
        count: number;
        /** The count the plan was made against: a `count` below it is refused before contacting the broker. */
        from?: number;
      };
    };

export interface KafkaStep {
  /** Topic names are prefixed with `redpanda_config.namespace` at execution time. */
  kafka: KafkaAction;
  summary?: string;
  cause?: StepCause;
}

/** What a workflow's Temporal schedule starts: the workflow by name, with its workflow-level limits. */
export interface ScheduleTarget {
  workflow: string;
  /** MooseStack's `schedule`: a cron expression (`0 2 * * *`, `@daily`) or `@every <duration>`. */
  schedule: string;
  /** The workflow's `timeout` (a run's execution timeout). */
  timeout?: string;
  /** The workflow's `retries` (runs after the first failed one). */
  retries?: number;
}

/**
 * One schedule action on Temporal. Each converges on its target, so a step that ran (or half ran)
 * before a crash can run again: create updates a schedule that exists, update creates a missing
 * one, delete of a missing schedule is done.
 */
export type TemporalAction = { createSchedule: ScheduleTarget } | { updateSchedule: ScheduleTarget } | { deleteSchedule: { workflow: string } };

export interface TemporalStep {
  /** The schedule id is the workflow name, in `temporal_config.namespace`. */
  temporal: TemporalAction;
  summary?: string;
  cause?: StepCause;
}

/** A change with no infrastructure of its own (APIs served from code, workflow definitions): recorded in state only. */
export interface NoteStep {
  note: string;
}

export interface StepContext {
  clickhouse: ClickHouseDriver;
  log: (message: string) => void;
  /** The migration being applied or reverted, and the direction. */
  migrationId?: string;
  direction?: "up" | "down";
}

/** Hand-written data migration code. */
export interface RunStep {
  run: (ctx: StepContext) => Promise<void>;
  summary?: string;
}

export type Step = SqlStep | KafkaStep | TemporalStep | NoteStep | RunStep;

export interface MigrationDefinition {
  /** Manifest hash before this migration (empty-state hash for the first). */
  from: string;
  /** Manifest hash after it. */
  to: string;
  up: Step[];
  down: Step[];
}

/** Identity helper for typed migration files: `export default defineMigration({...})`. */
export function defineMigration(definition: MigrationDefinition): MigrationDefinition {
  return definition;
}

export function stepSummary(step: Step): string {
  if ("sql" in step) return step.summary ?? step.sql.split("\n")[0]!;
  if ("kafka" in step) return step.summary ?? `kafka ${Object.keys(step.kafka)[0]}`;
  if ("temporal" in step) return step.summary ?? temporalSummary(step.temporal);
  if ("note" in step) return step.note;
  return step.summary ?? "run (hand-written step)";
}

export type StepKind = "sql" | "kafka" | "temporal" | "note" | "run";

export function stepKind(step: Step): StepKind {
  if ("sql" in step) return "sql";
  if ("kafka" in step) return "kafka";
  if ("temporal" in step) return "temporal";
  if ("note" in step) return "note";
  return "run";
}

function temporalSummary(action: TemporalAction): string {
  if ("createSchedule" in action) return `create schedule ${action.createSchedule.workflow} (${action.createSchedule.schedule})`;
  if ("updateSchedule" in action) return `update schedule ${action.updateSchedule.workflow} (${action.updateSchedule.schedule})`;
  return `delete schedule ${action.deleteSchedule.workflow}`;
}

/**
 * A step is one unit of a migration's `up` or `down`: it is what the runner executes, journals
 * and resumes at. Steps are plain values in migration files, so a reviewer sees (and may edit)
 * exactly what runs. Shapes are told apart by their payload key: `sql`, `kafka`, `note`, `run`.
 */
import type { Risk } from "../diff/operations.js";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";

/** Run before a MODIFY COLUMN: count rows whose value would not convert, and stop if any. */
export interface ConversionCheck {
  table: string;
  column: string;
  /** Full target type, Nullable included. */
  toType: string;
  /** Optional conversion expression used instead of a plain cast (may reference the column). */
  using?: string;
}

export interface SqlStep {
  /** One ClickHouse statement, idempotent (`IF [NOT] EXISTS`), no database name baked in. */
  sql: string;
  summary?: string;
  checkConversion?: ConversionCheck;
  /** The risk of the operation the step came from (set by the generator); `data-loss` needs --allow-data-loss. */
  risk?: Risk;
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
  risk?: Risk;
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

export type Step = SqlStep | KafkaStep | NoteStep | RunStep;

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
  if ("note" in step) return step.note;
  return step.summary ?? "run (hand-written step)";
}

export type StepKind = "sql" | "kafka" | "note" | "run";

export function stepKind(step: Step): StepKind {
  if ("sql" in step) return "sql";
  if ("kafka" in step) return "kafka";
  if ("note" in step) return "note";
  return "run";
}

// Statements that delete stored rows. Hand-written `{ sql }` steps carry no risk field, so the
// statement itself is checked too (a DROP VIEW loses no data and is not listed).
const DESTRUCTIVE_SQL =
  /^\s*(DROP\s+(TABLE|DATABASE|DICTIONARY)\b|TRUNCATE\b|ALTER\s+TABLE\s+\S+\s+(DROP\s+(COLUMN|PARTITION)|DELETE\b))/i;

/**
 * True when running the step deletes data. A step with a `risk` (every generated one) is trusted:
 * the DROP of a recreated table's old copy is not data loss. Without one, the statement decides:
 * a dropping SQL statement or a topic deletion.
 */
export function isDestructiveStep(step: Step): boolean {
  if (!("sql" in step) && !("kafka" in step)) return false;
  if (step.risk !== undefined) return step.risk === "data-loss";
  return "sql" in step ? DESTRUCTIVE_SQL.test(step.sql) : "deleteTopic" in step.kafka;
}

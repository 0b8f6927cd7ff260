/**
 * What an operation does to existing data and consumers. Decided from the operation alone, so a
 * hand-built operation (tests, `rawSql`) is classified the same way as a diffed one.
 */
import type { ApiSpec, ColumnSpec, IngestApiSpec, JsonSchema } from "../manifest/types.js";
import { fullColumnType } from "./normalize.js";
import { assertNever, type Operation, type Risk } from "./operations.js";

/** An operation before its risk is known. */
export type UnassessedOperation = Operation extends infer O ? (O extends Operation ? Omit<O, "risk"> : never) : never;

export function withRisk(op: UnassessedOperation): Operation {
  const complete = { ...op, risk: "safe" } as Operation;
  complete.risk = assessRisk(complete);
  return complete;
}

export function assessRisk(op: Operation): Risk {
  switch (op.kind) {
    case "createTable":
    case "addColumn":
    case "renameColumn":
    case "modifySettings":
    case "addIndex":
    case "dropIndex":
    case "createView":
    case "createSqlResource":
    case "replaceView":
    case "createMaterializedView":
    case "createTopic":
    case "addPartitions":
    case "addApi":
    case "addIngestApi":
    case "addWorkflow":
    case "removeWorkflow":
    case "updateWorkflow":
    case "addProcess":
    case "removeProcess":
    case "updateProcess":
      return "safe";
    case "dropTable":
    case "dropColumn":
    case "deleteTopic":
      return "data-loss";
    case "modifyColumn":
      if (op.changed.includes("ttl") && op.to.ttl !== undefined) return "data-loss";
      return op.changed.includes("type") || op.changed.includes("nullable") ? "rewrite" : "safe";
    case "modifyTtl":
      // A new or changed TTL deletes the rows it expires; removing one deletes nothing.
      return op.to === undefined ? "safe" : "data-loss";
    case "recreateTable": {
      const kept = new Set(op.to.columns.map((column) => column.name));
      const dropsColumns = op.from.columns.some((column) => !kept.has(column.name));
      const newTtl = op.to.ttl !== undefined && op.to.ttl !== op.from.ttl;
      return dropsColumns || newTtl ? "data-loss" : "rewrite";
    }
    case "dropView":
    case "dropMaterializedView":
    case "dropSqlResource":
      // No data of its own, but readers of the view (or of the MV's target) stop getting rows.
      return "breaking";
    case "alterTopicConfig": {
      const retention = op.changes["retention.ms"];
      if (retention?.to !== undefined && retention.from !== undefined && Number(retention.to) < Number(retention.from)) {
        return "data-loss";
      }
      return "safe";
    }
    case "modifyStreamSchema":
    case "removeApi":
    case "removeIngestApi":
      return "breaking";
    case "updateApi":
      return apiBreakingChanges(op.from, op.to).length > 0 ? "breaking" : "safe";
    case "updateIngestApi":
      return ingestBreakingChanges(op.from, op.to).length > 0 ? "breaking" : "safe";
    case "rawSql":
      return "rewrite";
    default:
      return assertNever(op);
  }
}

function properties(schema: JsonSchema): Record<string, unknown> {
  const value = schema.properties;
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

function required(schema: JsonSchema): Set<string> {
  return new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
}

/** The schema of a result row: `result` itself, or its `items` when it is an array. */
function resultRow(schema: JsonSchema): JsonSchema {
  if (schema.type === "array" && typeof schema.items === "object" && schema.items !== null) return schema.items as JsonSchema;
  return schema;
}

/**
 * What breaks an API's callers: a parameter removed or newly required, a result field gone.
 * Each entry is one line for the plan.
 */
export function apiBreakingChanges(from: ApiSpec, to: ApiSpec): string[] {
  const changes: string[] = [];
  const fromParams = properties(from.params);
  const toParams = properties(to.params);
  const fromRequired = required(from.params);
  const toRequired = required(to.params);
  for (const name of Object.keys(fromParams)) {
    if (!(name in toParams)) changes.push(`parameter ${name} removed`);
  }
  for (const name of toRequired) {
    if (!fromRequired.has(name)) changes.push(`parameter ${name} is now required`);
  }
  const toResult = properties(resultRow(to.result));
  for (const name of Object.keys(properties(resultRow(from.result)))) {
    if (!(name in toResult)) changes.push(`result field ${name} removed`);
  }
  return changes;
}

function requiredColumn(column: ColumnSpec): boolean {
  return !column.nullable && column.default === undefined && !column.type.startsWith("Array(");
}

/** What breaks an ingest API's producers: a field removed, its type changed, a new required field. */
export function ingestBreakingChanges(from: IngestApiSpec, to: IngestApiSpec): string[] {
  const changes: string[] = [];
  const toColumns = new Map(to.columns.map((column) => [column.name, column]));
  const fromNames = new Set(from.columns.map((column) => column.name));
  for (const column of from.columns) {
    const next = toColumns.get(column.name);
    if (!next) changes.push(`field ${column.name} removed`);
    else if ((next.type !== column.type && !takesEveryValueOf(next.type, column.type)) || (column.nullable && !next.nullable)) {
      changes.push(`field ${column.name}: ${columnTypeText(column)} → ${columnTypeText(next)}`);
    }
  }
  for (const column of to.columns) {
    if (!fromNames.has(column.name) && requiredColumn(column)) changes.push(`new required field ${column.name}`);
  }
  if (from.destination !== to.destination) changes.push(`destination ${from.destination} → ${to.destination}`);
  return changes;
}

/**
 * Whether a field of type `to` accepts every value one of type `from` did, so producers sending the
 * old shape keep working: a wider integer of the same signedness, an unsigned one into a signed one
 * of more bits, Float32 into Float64.
 */
function takesEveryValueOf(to: string, from: string): boolean {
  if (from === "Float32" && to === "Float64") return true;
  const [source, target] = [/^(U?)Int(\d+)$/.exec(from), /^(U?)Int(\d+)$/.exec(to)];
  if (!source || !target) return false;
  const [fromUnsigned, fromBits] = [source[1] === "U", Number(source[2])];
  const [toUnsigned, toBits] = [target[1] === "U", Number(target[2])];
  if (fromUnsigned === toUnsigned) return toBits >= fromBits;
  return fromUnsigned && !toUnsigned && toBits > fromBits;
}

/** The column's type as ClickHouse prints it, Nullable included. */
export const columnTypeText = fullColumnType;

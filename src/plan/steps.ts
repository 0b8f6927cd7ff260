/**
 * Operation → migration steps: SQL for ClickHouse, admin payloads for Kafka, schedule actions for
 * Temporal (a workflow's `schedule`), notes for what has no infrastructure of its own (APIs, ingest
 * APIs, workflow code, stream message schemas — they are served from code and recorded in state). `down` undoes `up` as far as possible; `irreversible`
 * says in words what it cannot bring back.
 *
 * Every SQL, Kafka and Temporal step carries its cause: the operation (in `down`, its inverse), its risk,
 * and for a table rebuild which part of the rebuild the step is.
 */
import { invertOperation } from "../diff/invert.js";
import { topicConfig } from "../diff/streams.js";
import { assertNever, type Operation, type Risk } from "../diff/operations.js";
import {
  addColumnSql,
  addIndexSql,
  backfillMaterializedViewSql,
  createMaterializedViewSql,
  createTableSql,
  createViewSql,
  dropColumnSql,
  dropIndexSql,
  dropTableSql,
  dropViewSql,
  fullColumnType,
  modifyColumnSql,
  modifySettingsSql,
  modifyTtlSql,
  recreateTableSql,
  renameColumnSql,
  replaceViewSql,
  resetSettingsSql,
} from "../infra/clickhouse/ddl.js";
import { columnFeatures, tableFeatures } from "../infra/clickhouse/capabilities.js";
import type { ColumnSpec, ProcessSpec, SqlResourceSpec, StreamSpec, TableSpec, WorkflowSpec } from "../manifest/types.js";
import { processChanges, processDisplayName } from "../diff/processes.js";
import type { ColumnTarget, KafkaAction, ScheduleTarget, ServerFeature, SqlStep, Step, StepCause } from "../steps/index.js";

export interface OperationSteps {
  up: Step[];
  down: Step[];
  /** What `down` cannot restore, in words (absent when it restores everything). */
  irreversible?: string;
}

type Cause = Omit<StepCause, "rebuild">;

function causeOf(op: { kind: Operation["kind"]; target: string; risk: Risk; cluster?: string }): Cause {
  return { operation: op.kind, target: op.target, risk: op.risk, ...(op.cluster !== undefined ? { cluster: op.cluster } : {}) };
}

/** The cause of a `down` step: the inverse operation, or (raw SQL's hand-written down) a rewrite of the same target. */
function inverseCauseOf(op: Operation): Cause {
  const inverse = invertOperation(op);
  return inverse ? causeOf({ ...inverse, ...(op.cluster !== undefined ? { cluster: op.cluster } : {}) }) : { operation: op.kind, target: op.target, risk: "rewrite" };
}

/** The cause of a column change's statement, naming its table and column (what a server without column IF [NOT] EXISTS checks). */
function onColumn(cause: Cause, table: string, column: string, more: Omit<ColumnTarget, "table" | "name"> = {}): Cause {
  return { ...cause, column: { table, name: column, ...more } };
}

/** The cause of a statement that uses these newer server features (none: the cause as it is). */
function needing(cause: Cause, needs: ServerFeature[]): Cause {
  return needs.length === 0 ? cause : { ...cause, needs };
}

/** The cause of a MODIFY SETTING (`set`) or RESET SETTING (`reset`) statement, with what it changes. */
function settingsChange(cause: Cause, set: Record<string, string>, reset: string[]): Cause {
  return { ...needing(cause, [reset.length > 0 ? "resetSetting" : "modifySetting"]), settings: { set, reset } };
}

function sql(cause: Cause, statement: string, summary?: string): SqlStep {
  return summary === undefined ? { sql: statement, cause } : { sql: statement, summary, cause };
}

function kafka(cause: Cause, action: KafkaAction): Step {
  return { kafka: action, cause };
}

/** The statements changing a column, with a conversion check on the one that converts its values. */
function modifyColumnSteps(cause: Cause, table: string, from: ColumnSpec, to: ColumnSpec, cluster: string | undefined): SqlStep[] {
  return modifyColumnSql(table, from, to, cluster).map((statement) => {
    if (statement.removes !== undefined) {
      return { sql: statement.sql, cause: needing(onColumn(cause, table, to.name, { removes: statement.removes }), ["removeColumnProperty"]) };
    }
    if (statement.materializes !== undefined) {
      const materializing = onColumn(cause, table, to.name, { materializes: statement.materializes });
      return { sql: statement.sql, cause: statement.materializes === "materialized" ? needing(materializing, ["materializeColumn"]) : materializing };
    }
    const defined = needing(cause, columnFeatures(to));
    return statement.convertsType
      ? { sql: statement.sql, checkConversion: { table, column: to.name, toType: fullColumnType(to), nullsTakeDefault: statement.givesDefault }, cause: defined }
      : { sql: statement.sql, cause: defined };
  });
}

function createTopicAction(stream: StreamSpec): KafkaAction {
  return {
    createTopic: {
      topic: stream.name,
      partitions: stream.partitionCount,
      ...(stream.replicationFactor !== undefined ? { replicationFactor: stream.replicationFactor } : {}),
      config: topicConfig(stream),
    },
  };
}

function rebuildSteps(cause: Cause, from: TableSpec, to: TableSpec): SqlStep[] {
  return recreateTableSql(from, to).map(({ phase, sql: statement }) => ({ sql: statement, cause: { ...(phase === "create" ? needing(cause, tableFeatures(to)) : cause), rebuild: phase } }));
}

/** What a workflow's schedule starts (absent when the workflow has no schedule). */
export function scheduleTarget(workflow: WorkflowSpec | undefined): ScheduleTarget | undefined {
  if (workflow?.schedule === undefined) return undefined;
  return {
    workflow: workflow.name,
    schedule: workflow.schedule,
    ...(workflow.timeout !== undefined ? { timeout: workflow.timeout } : {}),
    ...(workflow.retries !== undefined ? { retries: workflow.retries } : {}),
  };
}

/** The Temporal step taking a workflow's schedule from `from` to `to` (none when it stays the same). */
function scheduleSteps(cause: Cause, from: WorkflowSpec | undefined, to: WorkflowSpec | undefined): Step[] {
  const before = scheduleTarget(from);
  const after = scheduleTarget(to);
  if (!before && !after) return [];
  if (!before) return [{ temporal: { createSchedule: after! }, cause }];
  if (!after) return [{ temporal: { deleteSchedule: { workflow: before.workflow } }, cause }];
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ temporal: { updateSchedule: after }, cause }];
}

/** `transform process UserEvents -> Enriched (transform:UserEvents->Enriched)` */
function processNote(id: string, process: ProcessSpec): string {
  return `${process.kind} process ${processDisplayName(process)} (${id})`;
}

export function operationSteps(op: Operation): OperationSteps {
  const upCause = causeOf(op);
  const downCause = inverseCauseOf(op);
  switch (op.kind) {
    case "createTable":
      return { up: [sql(needing(upCause, tableFeatures(op.table)), createTableSql(op.table))], down: [sql(downCause, dropTableSql(op.table.name, op.cluster))] };
    case "dropTable":
      return {
        up: [sql(upCause, dropTableSql(op.table.name, op.cluster))],
        down: [sql(needing(downCause, tableFeatures(op.table)), createTableSql(op.table))],
        irreversible: `the rows of ${op.table.name} (down recreates the table empty)`,
      };
    case "addColumn":
      return {
        up: [sql(needing(onColumn(upCause, op.table, op.column.name), columnFeatures(op.column)), addColumnSql(op.table, op.column, op.position, op.cluster))],
        down: [sql(onColumn(downCause, op.table, op.column.name), dropColumnSql(op.table, op.column.name, op.cluster))],
      };
    case "dropColumn":
      return {
        up: [sql(onColumn(upCause, op.table, op.column.name), dropColumnSql(op.table, op.column.name, op.cluster))],
        down: [sql(needing(onColumn(downCause, op.table, op.column.name), columnFeatures(op.column)), addColumnSql(op.table, op.column, undefined, op.cluster))],
        irreversible: `the data in ${op.table}.${op.column.name} (down adds the column back with its default)`,
      };
    case "modifyColumn": {
      const typeChanges = op.changed.includes("type") || op.changed.includes("nullable");
      return {
        up: modifyColumnSteps(onColumn(upCause, op.table, op.to.name), op.table, op.from, op.to, op.cluster),
        down: modifyColumnSteps(onColumn(downCause, op.table, op.from.name), op.table, op.to, op.from, op.cluster),
        ...(typeChanges
          ? { irreversible: `values of ${op.table}.${op.to.name} that the conversion to ${fullColumnType(op.to)} changed (down converts back)` }
          : {}),
      };
    }
    case "renameColumn":
      return {
        up: [sql(needing(onColumn(upCause, op.table, op.from, { renamedTo: op.to }), ["renameColumn"]), renameColumnSql(op.table, op.from, op.to, op.cluster))],
        down: [sql(needing(onColumn(downCause, op.table, op.to, { renamedTo: op.from }), ["renameColumn"]), renameColumnSql(op.table, op.to, op.from, op.cluster))],
      };
    case "modifyTtl":
      return {
        up: [sql(needing(upCause, [op.to === undefined ? "removeTtl" : "ttl"]), modifyTtlSql(op.table, op.to, op.cluster))],
        down: [sql(needing(downCause, [op.from === undefined ? "removeTtl" : "ttl"]), modifyTtlSql(op.table, op.from, op.cluster))],
        ...(op.to !== undefined ? { irreversible: `rows of ${op.table} the TTL has deleted by the time down runs` } : {}),
      };
    case "modifySettings": {
      const up: Step[] = [];
      if (Object.keys(op.set).length > 0) up.push(sql(settingsChange(upCause, op.set, []), modifySettingsSql(op.table, op.set, op.cluster)));
      if (op.reset.length > 0) up.push(sql(settingsChange(upCause, {}, op.reset), resetSettingsSql(op.table, op.reset, op.cluster)));
      const restore = Object.fromEntries(Object.keys(op.previous).map((key) => [key, op.previous[key]!]));
      const wasDefault = Object.keys(op.set).filter((key) => !(key in op.previous));
      const down: Step[] = [];
      if (Object.keys(restore).length > 0) down.push(sql(settingsChange(downCause, restore, []), modifySettingsSql(op.table, restore, op.cluster)));
      if (wasDefault.length > 0) down.push(sql(settingsChange(downCause, {}, wasDefault), resetSettingsSql(op.table, wasDefault, op.cluster)));
      return { up, down };
    }
    case "addIndex":
      return { up: [sql(needing(upCause, ["skipIndex"]), addIndexSql(op.table, op.index, op.cluster))], down: [sql(needing(downCause, ["skipIndex"]), dropIndexSql(op.table, op.index.name, op.cluster))] };
    case "dropIndex":
      return { up: [sql(needing(upCause, ["skipIndex"]), dropIndexSql(op.table, op.index.name, op.cluster))], down: [sql(needing(downCause, ["skipIndex"]), addIndexSql(op.table, op.index, op.cluster))] };
    case "recreateTable": {
      const kept = new Set(op.to.columns.map((column) => column.name));
      const lost = op.from.columns.filter((column) => !kept.has(column.name)).map((column) => column.name);
      return {
        up: rebuildSteps(upCause, op.from, op.to),
        down: rebuildSteps(downCause, op.to, op.from),
        ...(lost.length > 0 ? { irreversible: `the data in ${lost.map((name) => `${op.from.name}.${name}`).join(", ")} (down adds the column${lost.length > 1 ? "s" : ""} back with defaults)` } : {}),
      };
    }
    case "createView":
      return { up: [sql(upCause, createViewSql(op.view))], down: [sql(downCause, dropViewSql(op.view.name, op.cluster))] };
    case "dropView":
      return { up: [sql(upCause, dropViewSql(op.view.name, op.cluster))], down: [sql(downCause, createViewSql(op.view))] };
    case "replaceView":
      return { up: [sql(upCause, replaceViewSql(op.to))], down: [sql(downCause, replaceViewSql(op.from))] };
    case "createMaterializedView": {
      const up: Step[] = [sql(upCause, createMaterializedViewSql(op.view))];
      if (op.backfill) up.push(sql({ ...upCause, backfill: true }, backfillMaterializedViewSql(op.view, op.backfill.columns), `backfill ${op.view.targetTable} from ${op.view.name}'s SELECT`));
      return {
        up,
        down: [sql(downCause, dropViewSql(op.view.name, op.cluster))],
        ...(op.backfill ? { irreversible: `rows the backfill wrote into ${op.view.targetTable} stay there after down` } : {}),
      };
    }
    case "dropMaterializedView":
      return {
        up: [sql(upCause, dropViewSql(op.view.name, op.cluster))],
        down: [sql(downCause, createMaterializedViewSql(op.view))],
        irreversible: `rows inserted into ${op.view.sourceTables.join(", ") || "the sources"} while ${op.view.name} was gone are not in ${op.view.targetTable}`,
      };
    case "createTopic":
      return { up: [kafka(upCause, createTopicAction(op.stream))], down: [kafka(downCause, { deleteTopic: { topic: op.stream.name } })] };
    case "deleteTopic":
      return {
        up: [kafka(upCause, { deleteTopic: { topic: op.stream.name } })],
        down: [kafka(downCause, createTopicAction(op.stream))],
        irreversible: `the messages in topic ${op.stream.name} (down recreates it empty)`,
      };
    case "alterTopicConfig": {
      const forward = { set: {} as Record<string, string>, reset: [] as string[] };
      const backward = { set: {} as Record<string, string>, reset: [] as string[] };
      for (const [key, change] of Object.entries(op.changes)) {
        if (change.to !== undefined) forward.set[key] = change.to;
        else forward.reset.push(key);
        if (change.from !== undefined) backward.set[key] = change.from;
        else backward.reset.push(key);
      }
      return {
        up: [kafka(upCause, { alterTopicConfig: { topic: op.topic, ...forward } })],
        down: [kafka(downCause, { alterTopicConfig: { topic: op.topic, ...backward } })],
      };
    }
    case "addPartitions":
      return {
        up: [kafka(upCause, { addPartitions: { topic: op.topic, from: op.from, count: op.to } })],
        down: [{ note: `topic ${op.topic} keeps ${op.to} partitions: Kafka cannot remove partitions` }],
        irreversible: `the partition count of ${op.topic} (Kafka cannot go back from ${op.to} to ${op.from})`,
      };
    case "modifyStreamSchema":
      return {
        up: [{ note: `message schema of topic ${op.topic} changed: consumers must read the new shape` }],
        down: [{ note: `message schema of topic ${op.topic} restored` }],
      };
    case "addApi":
      return { up: [{ note: `API /api/${op.api.path} added` }], down: [{ note: `API /api/${op.api.path} removed` }] };
    case "removeApi":
      return { up: [{ note: `API /api/${op.api.path} removed` }], down: [{ note: `API /api/${op.api.path} added back` }] };
    case "updateApi":
      return { up: [{ note: `API /api/${op.to.path} updated` }], down: [{ note: `API /api/${op.from.path} restored` }] };
    case "addIngestApi":
      return { up: [{ note: `ingest API /ingest/${op.api.path} added` }], down: [{ note: `ingest API /ingest/${op.api.path} removed` }] };
    case "removeIngestApi":
      return { up: [{ note: `ingest API /ingest/${op.api.path} removed` }], down: [{ note: `ingest API /ingest/${op.api.path} added back` }] };
    case "updateIngestApi":
      return { up: [{ note: `ingest API /ingest/${op.to.path} updated` }], down: [{ note: `ingest API /ingest/${op.from.path} restored` }] };
    case "addWorkflow":
      return {
        up: [{ note: `workflow ${op.workflow.name} added` }, ...scheduleSteps(upCause, undefined, op.workflow)],
        down: [...scheduleSteps(downCause, op.workflow, undefined), { note: `workflow ${op.workflow.name} removed` }],
      };
    case "removeWorkflow":
      return {
        up: [...scheduleSteps(upCause, op.workflow, undefined), { note: `workflow ${op.workflow.name} removed` }],
        down: [{ note: `workflow ${op.workflow.name} added back` }, ...scheduleSteps(downCause, undefined, op.workflow)],
      };
    case "updateWorkflow":
      return {
        up: [{ note: `workflow ${op.to.name} updated` }, ...scheduleSteps(upCause, op.from, op.to)],
        down: [{ note: `workflow ${op.from.name} restored` }, ...scheduleSteps(downCause, op.to, op.from)],
      };
    // Nothing to migrate in Kafka: `moose dev` / `moose prod` start, restart and stop processes from the manifest.
    case "addProcess":
      return { up: [{ note: `${processNote(op.target, op.process)} added` }], down: [{ note: `${processNote(op.target, op.process)} removed` }] };
    case "removeProcess":
      return { up: [{ note: `${processNote(op.target, op.process)} removed` }], down: [{ note: `${processNote(op.target, op.process)} added back` }] };
    case "updateProcess":
      return {
        up: [{ note: `${processNote(op.target, op.to)} updated: ${processChanges(op.from, op.to).join(", ")}` }],
        down: [{ note: `${processNote(op.target, op.from)} restored` }],
      };
    case "createSqlResource":
      return resourceSteps(op.resource, upCause, downCause, "create");
    case "dropSqlResource":
      return resourceSteps(op.resource, upCause, downCause, "drop");
    case "rawSql":
      return op.down !== undefined
        ? { up: [sql(upCause, op.sql)], down: [sql(downCause, op.down)] }
        : { up: [sql(upCause, op.sql)], down: [], irreversible: "hand-written SQL without a down statement" };
    default:
      return assertNever(op);
  }
}

/** A SQL resource's setup or teardown, each statement a step; the other list undoes it. */
function resourceSteps(resource: SqlResourceSpec, upCause: Cause, downCause: Cause, direction: "create" | "drop"): OperationSteps {
  // A row policy's statements need the server's access control (the embedded engine emulates it instead: executor.ts).
  const needs: ServerFeature[] = resource.rowPolicy ? ["rowPolicy"] : [];
  const setup = (cause: Cause) => resource.setup.map((statement) => sql(needing(cause, needs), statement));
  const teardown = (cause: Cause) => resource.teardown.map((statement) => sql(needing(cause, needs), statement));
  const noTeardown = `SQL resource ${resource.name} has no teardown statements`;
  if (direction === "create") {
    return { up: setup(upCause), down: teardown(downCause), ...(resource.teardown.length === 0 ? { irreversible: noTeardown } : {}) };
  }
  return resource.teardown.length > 0 ? { up: teardown(upCause), down: setup(downCause) } : { up: [{ note: `${noTeardown}: what its setup made stays` }], down: [] };
}

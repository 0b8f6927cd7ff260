/** What an operation does to the data already stored: one line per change in a migration's header. */
import { assertNever, type Operation } from "../diff/operations.js";
import { scheduleTarget } from "../plan/steps.js";

export function dataEffect(op: Operation): string {
  switch (op.kind) {
    case "createTable":
      return "none (new, empty table)";
    case "dropTable":
      return `every row of ${op.table.name} is deleted`;
    case "addColumn":
      return `existing rows get ${op.column.default !== undefined ? `the default (${op.column.default})` : op.column.nullable ? "NULL" : "the type's zero value"}`;
    case "dropColumn":
      return `the values of ${op.table}.${op.column.name} are deleted`;
    case "modifyColumn":
      return op.changed.includes("type") || op.changed.includes("nullable")
        ? "values are converted in place; rows that would not convert are counted first and stop the migration"
        : "none (column metadata only)";
    case "renameColumn":
      return "kept (the column is renamed)";
    case "modifyTtl":
      return op.to !== undefined ? "rows the new TTL expires are deleted at the next merge" : "none (no TTL any more)";
    case "modifySettings":
      return "none (table settings only)";
    case "addIndex":
      return "none (the index covers new parts; existing parts are indexed as they merge)";
    case "dropIndex":
      return "none (the index is dropped; rows stay)";
    case "recreateTable":
      return `kept: rows are copied into a new table that then replaces ${op.from.name} (EXCHANGE TABLES); may be slow on large tables`;
    case "createView":
    case "dropView":
    case "replaceView":
      return "none (views store no rows)";
    case "createMaterializedView":
      return op.backfill ? `${op.view.targetTable} is backfilled from the view's SELECT` : "none (rows inserted from now on flow into the target)";
    case "dropMaterializedView":
      return `${op.view.targetTable} keeps its rows but stops receiving new ones`;
    case "createTopic":
      return "none (new, empty topic)";
    case "deleteTopic":
      return `every message in topic ${op.stream.name} is deleted`;
    case "alterTopicConfig":
      return "kept (retention changes apply to existing messages)";
    case "addPartitions":
      return "kept (key → partition mapping changes for new messages)";
    case "modifyStreamSchema":
      return "kept (messages already in the topic keep the old shape)";
    case "addApi":
    case "removeApi":
    case "updateApi":
    case "addIngestApi":
    case "removeIngestApi":
    case "updateIngestApi":
      return "none (served from code; recorded in state only)";
    case "addWorkflow":
      return op.workflow.schedule !== undefined ? "none (its Temporal schedule is created; the code runs on the worker)" : "none (served from code; recorded in state only)";
    case "removeWorkflow":
      return op.workflow.schedule !== undefined
        ? "none (its Temporal schedule is deleted; runs already started finish)"
        : "none (served from code; recorded in state only)";
    case "updateWorkflow":
      return JSON.stringify(scheduleTarget(op.from)) !== JSON.stringify(scheduleTarget(op.to))
        ? "none (its Temporal schedule changes; runs already started keep their settings)"
        : "none (served from code; recorded in state only)";
    case "addProcess":
    case "removeProcess":
    case "updateProcess":
      return "none (a process runs code over a topic; moose dev / moose prod start, restart or stop it)";
    case "createSqlResource":
      return "what its setup statements do: each is judged before it runs, and one that loses data needs --allow-data-loss";
    case "dropSqlResource":
      return op.resource.teardown.length > 0
        ? "what its teardown statements do: each is judged before it runs, and one that loses data needs --allow-data-loss"
        : "none: it has no teardown statements, so what its setup made stays";
    case "rawSql":
      return "whatever the statement does";
    default:
      return assertNever(op);
  }
}

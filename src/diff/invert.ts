/**
 * The operation that undoes another: what a migration's `down` does. Its risk is then judged by
 * the same `assessRisk` as every other change, so a down that deletes data is gated like an up.
 */
import { assertNever, type Operation } from "./operations.js";
import { withRisk } from "./risk.js";

/** undefined: nothing to undo in infrastructure (Kafka cannot remove partitions; raw SQL has no known inverse). */
export function invertOperation(op: Operation): Operation | undefined {
  const summary = `undo: ${op.summary}`;
  const target = op.target;
  switch (op.kind) {
    case "createTable":
      return withRisk({ kind: "dropTable", target, summary, table: op.table });
    case "dropTable":
      return withRisk({ kind: "createTable", target, summary, table: op.table });
    case "addColumn":
      return withRisk({ kind: "dropColumn", target, summary, table: op.table, column: op.column });
    case "dropColumn":
      return withRisk({ kind: "addColumn", target, summary, table: op.table, column: op.column, position: { after: null } });
    case "modifyColumn":
      return withRisk({ kind: "modifyColumn", target, summary, table: op.table, from: op.to, to: op.from, changed: op.changed });
    case "renameColumn":
      return withRisk({ kind: "renameColumn", target, summary, table: op.table, from: op.to, to: op.from });
    case "modifyTtl":
      return withRisk({ kind: "modifyTtl", target, summary, table: op.table, from: op.to, to: op.from });
    case "modifySettings":
      return withRisk({ kind: "modifySettings", target, summary, table: op.table, set: op.previous, previous: op.set, reset: [] });
    case "addIndex":
      return withRisk({ kind: "dropIndex", target, summary, table: op.table, index: op.index });
    case "dropIndex":
      return withRisk({ kind: "addIndex", target, summary, table: op.table, index: op.index });
    case "recreateTable":
      return withRisk({ kind: "recreateTable", target, summary, from: op.to, to: op.from, reasons: op.reasons });
    case "createView":
      return withRisk({ kind: "dropView", target, summary, view: op.view });
    case "dropView":
      return withRisk({ kind: "createView", target, summary, view: op.view });
    case "replaceView":
      return withRisk({ kind: "replaceView", target, summary, from: op.to, to: op.from });
    case "createMaterializedView":
      return withRisk({ kind: "dropMaterializedView", target, summary, view: op.view });
    case "dropMaterializedView":
      return withRisk({ kind: "createMaterializedView", target, summary, view: op.view, backfill: false });
    case "createSqlResource":
      return withRisk({ kind: "dropSqlResource", target, summary, resource: op.resource });
    case "dropSqlResource":
      return withRisk({ kind: "createSqlResource", target, summary, resource: op.resource });
    case "createTopic":
      return withRisk({ kind: "deleteTopic", target, summary, stream: op.stream });
    case "deleteTopic":
      return withRisk({ kind: "createTopic", target, summary, stream: op.stream });
    case "alterTopicConfig": {
      const changes = Object.fromEntries(Object.entries(op.changes).map(([key, { from, to }]) => [key, { from: to, to: from }]));
      return withRisk({ kind: "alterTopicConfig", target, summary, topic: op.topic, changes });
    }
    case "modifyStreamSchema":
      return withRisk({ kind: "modifyStreamSchema", target, summary, topic: op.topic, from: op.to, to: op.from });
    case "addApi":
      return withRisk({ kind: "removeApi", target, summary, api: op.api });
    case "removeApi":
      return withRisk({ kind: "addApi", target, summary, api: op.api });
    case "updateApi":
      return withRisk({ kind: "updateApi", target, summary, from: op.to, to: op.from });
    case "addIngestApi":
      return withRisk({ kind: "removeIngestApi", target, summary, api: op.api });
    case "removeIngestApi":
      return withRisk({ kind: "addIngestApi", target, summary, api: op.api });
    case "updateIngestApi":
      return withRisk({ kind: "updateIngestApi", target, summary, from: op.to, to: op.from });
    case "addWorkflow":
      return withRisk({ kind: "removeWorkflow", target, summary, workflow: op.workflow });
    case "removeWorkflow":
      return withRisk({ kind: "addWorkflow", target, summary, workflow: op.workflow });
    case "updateWorkflow":
      return withRisk({ kind: "updateWorkflow", target, summary, from: op.to, to: op.from });
    case "addProcess":
      return withRisk({ kind: "removeProcess", target, summary, process: op.process });
    case "removeProcess":
      return withRisk({ kind: "addProcess", target, summary, process: op.process });
    case "updateProcess":
      return withRisk({ kind: "updateProcess", target, summary, from: op.to, to: op.from });
    case "addPartitions":
    case "rawSql":
      return undefined;
    default:
      return assertNever(op);
  }
}

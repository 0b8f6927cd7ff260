/**
 * A plan seen per component: operations grouped by the object they act on, each group classified
 * as new / modified / removed with the docs' labels, plus one detail line per change and what it
 * does to existing data. Both renderers (text and JSON) read this, so they never disagree.
 */
import { assertNever, componentKindOf, type Operation } from "../diff/operations.js";
import { apiBreakingChanges, columnTypeText, ingestBreakingChanges } from "../diff/risk.js";
import { workflowChanges } from "../diff/workflows.js";
import { processChanges, processDisplayName } from "../diff/processes.js";
import { describeSchedule } from "../workflows/schedule.js";
import { scheduleTarget } from "./steps.js";
import type { ColumnSpec, ComponentKind as ManifestSection, ProcessSpec, TableSpec } from "../manifest/types.js";

export type ComponentKind = "table" | "view" | "materializedView" | "topic" | "api" | "ingestApi" | "workflow" | "process" | "sqlResource" | "sql";
export type ComponentChange = "new" | "modified" | "removed";
export type ChangeLabel = "Schema Update" | "Config Change" | "Schedule Change" | "Code Change";

export const COMPONENT_LABELS: Record<ComponentKind, string> = {
  table: "OLAP Table",
  view: "View",
  materializedView: "Materialized View",
  topic: "Streaming Topic",
  api: "API Endpoint",
  ingestApi: "Ingest API",
  workflow: "Workflow",
  // MooseStack's label for a removed process; new and changed ones show what they run (processLabel).
  process: "Background Process",
  sqlResource: "SQL Resource",
  sql: "Custom SQL",
};

/** A process's label in plans: a sync copies a topic into a table, the others run the user's function. */
export function processLabel(process: ProcessSpec): string {
  return process.kind === "sync" ? "Sync Process" : "Function Process";
}

export interface ComponentChangeDetail {
  /** `+` added, `-` removed, `~` changed, `↻` rebuilt. */
  sign: "+" | "-" | "~" | "↻";
  text: string;
  /** What happens to existing data, when something does. */
  effect?: string;
}

export interface PlannedComponent {
  kind: ComponentKind;
  /** Shown name: the table/topic/view/workflow id, `api/<path>` or `ingest/<path>` for APIs. */
  name: string;
  change: ComponentChange;
  /** For modified components: `Schema Update`, `Config Change`, (a workflow's schedule) `Schedule Change`, (a process's code) `Code Change`. */
  changeLabel?: ChangeLabel;
  /** Shown instead of the kind's or the change's label: a new or changed process's `Sync Process` / `Function Process`. */
  label?: string;
  /** Shown after the label: a new scheduled workflow's schedule in words (`every day at 02:00`), a clustered object's `on cluster <name>`. */
  labelDetail?: string;
  details: ComponentChangeDetail[];
  /** Indexes into the plan's operations. */
  operations: number[];
}

const DISPLAY_KINDS: Record<ManifestSection, ComponentKind> = {
  tables: "table",
  views: "view",
  materializedViews: "materializedView",
  streams: "topic",
  apis: "api",
  ingestApis: "ingestApi",
  workflows: "workflow",
  processes: "process",
  sqlResources: "sqlResource",
};

/** APIs are shown by their URL path (`api/metrics/2`), everything else by its id. */
function componentOf(op: Operation): { kind: ComponentKind; name: string } {
  const section = componentKindOf(op.kind);
  if (section === undefined) return { kind: "sql", name: op.target };
  switch (op.kind) {
    case "addApi":
    case "removeApi":
      return { kind: "api", name: `api/${op.api.path}` };
    case "updateApi":
      return { kind: "api", name: `api/${op.to.path}` };
    case "addIngestApi":
    case "removeIngestApi":
      return { kind: "ingestApi", name: `ingest/${op.api.path}` };
    case "updateIngestApi":
      return { kind: "ingestApi", name: `ingest/${op.to.path}` };
    case "addProcess":
    case "removeProcess":
      return { kind: "process", name: processDisplayName(op.process) };
    case "updateProcess":
      return { kind: "process", name: processDisplayName(op.to) };
    default:
      return { kind: DISPLAY_KINDS[section], name: op.target };
  }
}

type Direction = "create" | "drop" | "schema" | "config";

function directionOf(op: Operation): Direction {
  switch (op.kind) {
    case "createTable":
    case "createView":
    case "createMaterializedView":
    case "createTopic":
    case "addApi":
    case "addIngestApi":
    case "addWorkflow":
    case "addProcess":
    case "createSqlResource":
      return "create";
    case "dropTable":
    case "dropView":
    case "dropMaterializedView":
    case "deleteTopic":
    case "removeApi":
    case "removeIngestApi":
    case "removeWorkflow":
    case "removeProcess":
    case "dropSqlResource":
      return "drop";
    case "addColumn":
    case "dropColumn":
    case "modifyColumn":
    case "renameColumn":
    case "recreateTable":
    case "replaceView":
    case "modifyStreamSchema":
    case "updateApi":
    case "updateIngestApi":
    case "rawSql":
      return "schema";
    case "modifyTtl":
    case "modifySettings":
    case "addIndex":
    case "dropIndex":
    case "alterTopicConfig":
    case "addPartitions":
    case "updateWorkflow":
    case "updateProcess":
      return "config";
    default:
      return assertNever(op);
  }
}

/** The value existing rows get in a new column without a default: ClickHouse's default for the type. */
export function typeDefaultValue(type: string): string | null {
  const lowCardinality = /^LowCardinality\((.*)\)$/s.exec(type);
  if (lowCardinality) return typeDefaultValue(lowCardinality[1]!);
  if (/^(U?Int\d+|Float\d+|BFloat16|Decimal\d*)\b/.test(type)) return "0";
  if (/^(String|FixedString)\b/.test(type)) return "''";
  if (type === "Bool") return "false";
  if (/^Date(32)?$/.test(type)) return "1970-01-01";
  if (/^DateTime(64)?\b/.test(type)) return "1970-01-01 00:00:00";
  if (type === "UUID") return "00000000-0000-0000-0000-000000000000";
  if (type === "IPv4") return "0.0.0.0";
  if (type === "IPv6") return "::";
  if (/^(Array|Nested)\(/.test(type)) return "[]";
  if (/^Map\(/.test(type)) return "{}";
  const firstEnumValue = /^Enum(?:8|16)?\(\s*('(?:[^'\\]|\\.)*')/.exec(type);
  if (firstEnumValue) return firstEnumValue[1]!;
  return null;
}

/** What existing rows hold in a newly added column. */
export function addedColumnEffect(column: ColumnSpec): string {
  if (column.default !== undefined) return `existing rows get ${column.default}`;
  if (column.materialized !== undefined) return `computed for existing rows from ${column.materialized}`;
  if (column.alias !== undefined) return `computed on read from ${column.alias}`;
  if (column.nullable) return "existing rows get NULL";
  const value = typeDefaultValue(column.type);
  return value === null ? "existing rows get the type's default value" : `existing rows get ${value} (the type's default)`;
}

const CONVERSION_EFFECT = "rows converted; refused if any would not convert";
const DROPPED_COLUMN_EFFECT = "data in this column is lost";

function propertyText(value: string | undefined): string {
  return value === undefined ? "none" : value;
}

/** Column lines comparing two column lists by name (rebuilds, stream schemas). */
function columnListDetails(from: ColumnSpec[], to: ColumnSpec[], withEffects: boolean): ComponentChangeDetail[] {
  const fromByName = new Map(from.map((column) => [column.name, column]));
  const toNames = new Set(to.map((column) => column.name));
  const details: ComponentChangeDetail[] = [];
  for (const column of to) {
    const before = fromByName.get(column.name);
    if (!before) {
      details.push({ sign: "+", text: `${column.name}: ${columnTypeText(column)}`, ...(withEffects ? { effect: addedColumnEffect(column) } : {}) });
    } else if (columnTypeText(before) !== columnTypeText(column)) {
      details.push({
        sign: "~",
        text: `${column.name}: ${columnTypeText(before)} → ${columnTypeText(column)}`,
        ...(withEffects ? { effect: CONVERSION_EFFECT } : {}),
      });
    }
  }
  for (const column of from) {
    if (!toNames.has(column.name)) {
      details.push({ sign: "-", text: `${column.name}: ${columnTypeText(column)}`, ...(withEffects ? { effect: DROPPED_COLUMN_EFFECT } : {}) });
    }
  }
  return details;
}

/** TTL, settings and index changes a rebuild makes along the way. */
function rebuiltTableDetails(from: TableSpec, to: TableSpec): ComponentChangeDetail[] {
  const details: ComponentChangeDetail[] = [];
  if ((from.ttl ?? "") !== (to.ttl ?? "")) {
    details.push({ sign: "~", text: `TTL: ${propertyText(from.ttl)} → ${propertyText(to.ttl)}`, ...(to.ttl !== undefined ? { effect: "rows past the TTL are deleted" } : {}) });
  }
  for (const key of [...new Set([...Object.keys(from.settings), ...Object.keys(to.settings)])].sort()) {
    if (from.settings[key] !== to.settings[key]) {
      details.push({ sign: "~", text: `setting ${key}: ${from.settings[key] ?? "default"} → ${to.settings[key] ?? "default"}` });
    }
  }
  const fromIndexes = new Map(from.indexes.map((index) => [index.name, index]));
  const toIndexes = new Map(to.indexes.map((index) => [index.name, index]));
  for (const index of to.indexes) {
    const previous = fromIndexes.get(index.name);
    if (!previous || previous.expression !== index.expression || previous.type !== index.type || previous.granularity !== index.granularity) {
      details.push({ sign: "+", text: `index ${index.name}: ${index.type} on ${index.expression}` });
    }
  }
  for (const index of from.indexes) if (!toIndexes.has(index.name)) details.push({ sign: "-", text: `index ${index.name}` });
  return details;
}

/** The detail lines one operation contributes under its component. */
export function operationDetails(op: Operation): ComponentChangeDetail[] {
  switch (op.kind) {
    case "createTable":
    case "dropTable":
    case "createView":
    case "dropView":
    case "createTopic":
    case "deleteTopic":
    case "addApi":
    case "removeApi":
    case "addIngestApi":
    case "removeIngestApi":
    case "addWorkflow":
    case "removeWorkflow":
    case "addProcess":
      return [];
    case "removeProcess":
      return [{ sign: "-", text: `${op.process.kind} process ${op.target}` }];
    case "updateProcess":
      return processChanges(op.from, op.to).map((text) => ({ sign: "~" as const, text }));
    case "addColumn":
      return [{ sign: "+", text: `${op.column.name}: ${columnTypeText(op.column)}`, effect: addedColumnEffect(op.column) }];
    case "dropColumn":
      return [{ sign: "-", text: `${op.column.name}: ${columnTypeText(op.column)}`, effect: DROPPED_COLUMN_EFFECT }];
    case "modifyColumn": {
      const parts: string[] = [];
      if (op.changed.includes("type") || op.changed.includes("nullable")) parts.push(`${columnTypeText(op.from)} → ${columnTypeText(op.to)}`);
      for (const property of op.changed) {
        if (property === "type" || property === "nullable") continue;
        parts.push(property === "comment" ? "comment changed" : `${property} ${propertyText(op.from[property])} → ${propertyText(op.to[property])}`);
      }
      const converts = op.changed.includes("type") || op.changed.includes("nullable");
      const expires = op.changed.includes("ttl") && op.to.ttl !== undefined;
      const nullsBecomeDefault = op.from.nullable && !op.to.nullable;
      const effect = converts
        ? nullsBecomeDefault
          ? `NULLs become ${op.to.default ?? typeDefaultValue(op.to.type) ?? "the type's default"}; ${CONVERSION_EFFECT}`
          : CONVERSION_EFFECT
        : expires ? "values past the column TTL are reset to the default" : undefined;
      return [{ sign: "~", text: `${op.to.name}: ${parts.join(", ")}`, ...(effect ? { effect } : {}) }];
    }
    case "renameColumn":
      return [{ sign: "~", text: `${op.from} → ${op.to}`, effect: "renamed; data kept" }];
    case "modifyTtl":
      return [
        {
          sign: "~",
          text: `TTL: ${propertyText(op.from)} → ${propertyText(op.to)}`,
          ...(op.to !== undefined ? { effect: "rows past the TTL are deleted" } : {}),
        },
      ];
    case "modifySettings":
      return [
        ...Object.entries(op.set).map(([key, value]) => ({ sign: "~" as const, text: `setting ${key}: ${op.previous[key] ?? "default"} → ${value}` })),
        ...op.reset.map((key) => ({ sign: "~" as const, text: `setting ${key}: ${op.previous[key] ?? "?"} → default` })),
      ];
    case "addIndex":
      return [{ sign: "+", text: `index ${op.index.name}: ${op.index.type} on ${op.index.expression}`, effect: "built for new data; existing parts are indexed when merged" }];
    case "dropIndex":
      return [{ sign: "-", text: `index ${op.index.name}: ${op.index.type} on ${op.index.expression}` }];
    case "recreateTable":
      return [
        { sign: "↻", text: `rebuilt: ${op.reasons.join("; ")}`, effect: "rows copied into a new table, then swapped in" },
        ...columnListDetails(op.from.columns, op.to.columns, true),
        ...rebuiltTableDetails(op.from, op.to),
      ];
    case "replaceView":
      return [{ sign: "~", text: "SELECT changed" }];
    case "createMaterializedView":
      return op.backfill ? [{ sign: "+", text: `backfill into ${op.view.targetTable}`, effect: "existing source rows are run through the SELECT once" }] : [];
    case "dropMaterializedView":
      return [];
    case "alterTopicConfig":
      return Object.entries(op.changes).map(([key, change]) => ({ sign: "~" as const, text: `${key}: ${change.from ?? "default"} → ${change.to ?? "default"}` }));
    case "addPartitions":
      return [{ sign: "~", text: `partitions: ${op.from} → ${op.to}`, effect: "keys may map to different partitions from now on" }];
    case "modifyStreamSchema":
      return [...columnListDetails(op.from, op.to, false), { sign: "~", text: "message schema changed", effect: "consumers must handle the new shape" }];
    case "updateApi": {
      const breaking = apiBreakingChanges(op.from, op.to);
      return breaking.length > 0
        ? breaking.map((text) => ({ sign: "~" as const, text, effect: "callers relying on it break" }))
        : [{ sign: "~", text: "parameters or result changed (existing callers keep working)" }];
    }
    case "updateIngestApi": {
      const breaking = ingestBreakingChanges(op.from, op.to);
      return breaking.length > 0
        ? breaking.map((text) => ({ sign: "~" as const, text, effect: "producers sending the old shape are refused" }))
        : [{ sign: "~", text: "schema changed (existing producers keep working)" }];
    }
    case "updateWorkflow":
      return workflowChanges(op.from, op.to).map((text) => ({ sign: "~" as const, text }));
    case "createSqlResource":
      return op.resource.setup.map((statement) => ({ sign: "+" as const, text: firstLine(statement) }));
    case "dropSqlResource":
      return op.resource.teardown.length > 0
        ? op.resource.teardown.map((statement) => ({ sign: "-" as const, text: firstLine(statement) }))
        : [{ sign: "-", text: "no teardown statements", effect: "what its setup made stays" }];
    case "rawSql":
      return [{ sign: "~", text: firstLine(op.sql) }];
    default:
      return assertNever(op);
  }
}

function firstLine(statement: string): string {
  const [first, ...rest] = statement.split("\n");
  return rest.length > 0 ? `${first} …` : first!;
}

/** Components in the order their first operation runs. */
export function planComponents(operations: readonly Operation[]): PlannedComponent[] {
  const byKey = new Map<string, PlannedComponent & { directions: Set<Direction> }>();
  operations.forEach((op, index) => {
    const { kind, name } = componentOf(op);
    // Processes by id: a sync into table X and a transform into stream X read alike (`S -> X`).
    const key = kind === "process" ? `${kind}\u0000${op.target}` : `${kind}\u0000${name}`;
    let component = byKey.get(key);
    if (!component) {
      component = { kind, name, change: "modified", details: [], operations: [], directions: new Set() };
      byKey.set(key, component);
    }
    component.operations.push(index);
    component.directions.add(directionOf(op));
    component.details.push(...operationDetails(op));
  });
  return [...byKey.values()].map(({ directions, ...component }) => {
    const process = processOf(component.operations.map((index) => operations[index]!));
    if (process) return { ...component, ...process };
    if (directions.size === 1 && directions.has("create")) {
      const added = component.operations.map((index) => operations[index]!).find((op) => op.kind === "addWorkflow");
      const schedule = added?.kind === "addWorkflow" ? added.workflow.schedule : undefined;
      return { ...component, change: "new" as const, ...(schedule !== undefined ? { labelDetail: describeSchedule(schedule) } : {}) };
    }
    if (directions.size === 1 && directions.has("drop")) return { ...component, change: "removed" as const };
    // A drop and a create of one component (a materialized view whose SELECT changed) is an update.
    const recreated = directions.has("create") && directions.has("drop");
    const schema = directions.has("schema") || recreated;
    const details =
      recreated && component.kind === "materializedView"
        ? [{ sign: "↻" as const, text: "dropped and created again", effect: "rows inserted into its sources in between are not transformed" }, ...component.details]
        : recreated && component.kind === "sqlResource"
          ? [{ sign: "↻" as const, text: "old teardown, then new setup" }, ...component.details]
          : component.details;
    const scheduleChange = component.operations.some((index) => {
      const op = operations[index]!;
      return op.kind === "updateWorkflow" && JSON.stringify(scheduleTarget(op.from)) !== JSON.stringify(scheduleTarget(op.to));
    });
    const changeLabel: ChangeLabel = schema ? "Schema Update" : scheduleChange ? "Schedule Change" : "Config Change";
    return { ...component, details, change: "modified" as const, changeLabel };
  })
    .map((component) => withClusterDetail(component, operations))
    .map((component) => withRowPolicyLabel(component, operations));
}

/** A SqlResource made by a SelectRowPolicy is shown as what it is: `+ tenant_isolation (Row Policy)`. */
function withRowPolicyLabel(component: PlannedComponent, operations: readonly Operation[]): PlannedComponent {
  const isRowPolicy = component.operations.some((index) => {
    const op = operations[index]!;
    return (op.kind === "createSqlResource" || op.kind === "dropSqlResource") && op.resource.rowPolicy !== undefined;
  });
  return isRowPolicy ? { ...component, label: "Row Policy" } : component;
}

/** A table or view on a cluster says so after its label: `~ Users (Schema Update, on cluster events)`. */
function withClusterDetail(component: PlannedComponent, operations: readonly Operation[]): PlannedComponent {
  const cluster = component.operations.map((index) => operations[index]!.cluster).find((name) => name !== undefined);
  return cluster === undefined ? component : { ...component, labelDetail: `on cluster ${cluster}` };
}

/** A process component's change and labels (one operation per process id). */
function processOf(operations: Operation[]): Pick<PlannedComponent, "change" | "changeLabel" | "label"> | undefined {
  const [op] = operations;
  switch (op?.kind) {
    case "addProcess":
      return { change: "new", label: processLabel(op.process) };
    case "removeProcess":
      return { change: "removed" };
    case "updateProcess":
      return { change: "modified", changeLabel: (op.from.codeHash ?? "") !== (op.to.codeHash ?? "") ? "Code Change" : "Config Change", label: processLabel(op.to) };
    default:
      return undefined;
  }
}

/** What an operation does to existing data or consumers, for warning lines (undefined when safe). */
export function operationEffect(op: Operation): string | undefined {
  if (op.risk === "safe") return undefined;
  switch (op.kind) {
    case "dropTable":
      return "all rows are lost";
    case "deleteTopic":
      return "all messages are lost";
    case "dropColumn":
      return DROPPED_COLUMN_EFFECT;
    case "modifyColumn":
      return operationDetails(op)[0]?.effect;
    case "modifyTtl":
      return "rows past the TTL are deleted";
    case "recreateTable": {
      const kept = new Set(op.to.columns.map((column) => column.name));
      const lost = op.from.columns.filter((column) => !kept.has(column.name)).map((column) => column.name);
      const expiring = op.to.ttl !== undefined && op.to.ttl !== op.from.ttl ? "; rows past the new TTL are deleted" : "";
      return `rows are copied into a new table, then swapped in${lost.length > 0 ? `; data in ${lost.join(", ")} is lost` : ""}${expiring}`;
    }
    case "dropView":
      return "queries reading it fail";
    case "dropSqlResource":
      return op.resource.teardown.length > 0 ? "what its setup made is removed by its teardown" : undefined;
    case "dropMaterializedView":
      return `${op.view.targetTable} gets no rows from it while it is gone`;
    case "alterTopicConfig":
      return "messages older than the new retention are deleted";
    case "modifyStreamSchema":
      return "consumers must handle the new shape";
    case "removeApi":
      return "callers get 404";
    case "updateApi":
      return "callers relying on the old shape break";
    case "removeIngestApi":
      return "producers get 404";
    case "updateIngestApi":
      return "producers sending the old shape are refused";
    case "rawSql":
      return "hand-written SQL: review what it does to existing rows";
    default:
      return undefined;
  }
}

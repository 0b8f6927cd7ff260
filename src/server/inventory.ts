/**
 * `moose ls`: every object of the code (and of the applied state, when the code dropped it) with
 * its kind, its name in ClickHouse/Kafka or its URL, and its status:
 *   applied — the applied state has it exactly as the code defines it;
 *   pending — the code differs from the applied state (a plan would change it);
 *   drifted — the live infrastructure differs from the applied state for it;
 *   external — EXTERNALLY_MANAGED: someone else creates and changes it, so nothing is checked.
 * Pure: the caller reads the applied state and the live infrastructure.
 */
import type { Config } from "../config/types.js";
import { ExitCode, MooseError, type SourceLocation } from "../errors.js";
import { diffManifests } from "../diff/index.js";
import { assertNever, componentKindOf, type Operation } from "../diff/operations.js";
import { brokerTopicName } from "../infra/kafka/topics.js";
import type { ComponentKind, Manifest, ProcessSpec, SqlResourceSpec } from "../manifest/index.js";
import type { LiveTopicShape, RealityReport } from "./reality-check.js";

export type InventoryStatus = "applied" | "pending" | "drifted" | "external";

export interface InventoryItem {
  kind: KindName;
  id: string;
  /** ClickHouse `database.table`, Kafka topic, or URL. */
  location: string;
  status: InventoryStatus;
  /** For pending items: what a plan would do. */
  change?: "add" | "update" | "remove";
  /** What the live infrastructure shows, for drifted items. */
  drift?: string[];
  source?: string;
  /** A stream's topic as the broker has it: its partitions and replication factor. */
  topic?: LiveTopicShape;
  /** A process as the running `moose dev`/`prod` reports it (`moose ls` asks its /health). */
  running?: { state: string; lag?: number; lastError?: string };
}

export const KIND_NAMES = {
  tables: "table",
  streams: "stream",
  views: "view",
  materializedViews: "materialized-view",
  apis: "api",
  ingestApis: "ingest-api",
  workflows: "workflow",
  processes: "process",
  sqlResources: "sql-resource",
} as const satisfies Record<ComponentKind, string>;
export type KindName = (typeof KIND_NAMES)[ComponentKind];

const COMPONENT_KINDS = Object.keys(KIND_NAMES) as ComponentKind[];

/** The names MooseStack's `moose ls --type` takes for kinds whose name differs here. */
const MOOSESTACK_KIND_NAMES: Record<string, ComponentKind> = { ingestion: "ingestApis", consumption: "apis", sql_resource: "sqlResources" };

/** `--type` value → component kind; a usage error listing the valid names otherwise. */
export function parseKindFilter(value: string): ComponentKind {
  const kind = COMPONENT_KINDS.find((candidate) => KIND_NAMES[candidate] === value || candidate === value) ?? MOOSESTACK_KIND_NAMES[value];
  if (!kind) {
    throw new MooseError("LS_UNKNOWN_TYPE", `unknown --type ${JSON.stringify(value)}`, {
      exitCode: ExitCode.usage,
      hint: `use one of: ${Object.values(KIND_NAMES).join(", ")}`,
    });
  }
  return kind;
}

/** `database`: where the tables live (the connection's database, which a --clickhouse-url may set). */
export function buildInventory(
  code: Manifest,
  applied: Manifest,
  reality: RealityReport | undefined,
  config: Config,
  database = config.clickhouse_config.db_name,
): InventoryItem[] {
  const pending = new Map<string, Operation[]>();
  for (const operation of diffManifests(applied, code).operations) {
    const kind = componentKindOf(operation.kind);
    if (kind) push(pending, key(kind, operation.target), operation);
  }
  const drifted = new Map<string, string[]>();
  for (const discrepancy of reality?.discrepancies ?? []) {
    const kind = componentKindOf(discrepancy.change);
    if (kind) push(drifted, key(kind, discrepancy.target), discrepancy.summary);
  }

  const items: InventoryItem[] = [];
  for (const kind of COMPONENT_KINDS) {
    const ids = new Set([...Object.keys(code[kind]), ...Object.keys(applied[kind])]);
    for (const id of [...ids].sort()) {
      const inCode = id in code[kind];
      const inApplied = id in applied[kind];
      const drift = drifted.get(key(kind, id));
      const isPending = pending.has(key(kind, id)) || inCode !== inApplied;
      const spec = (inCode ? code[kind][id] : applied[kind][id]) as { source?: unknown; location?: SourceLocation; lifeCycle?: string };
      const status: InventoryStatus = spec.lifeCycle === "EXTERNALLY_MANAGED" ? "external" : drift ? "drifted" : isPending ? "pending" : "applied";
      // A process's `source` is the stream it reads; its place in the code is `location`.
      const at = kind === "processes" ? spec.location : (spec.source as SourceLocation | undefined);
      const topic = kind === "streams" ? reality?.topics?.[id] : undefined;
      items.push({
        kind: KIND_NAMES[kind],
        id,
        location: locationOf(kind, id, code[kind][id] ?? applied[kind][id], config, database),
        status,
        ...(isPending ? { change: !inApplied ? ("add" as const) : !inCode ? ("remove" as const) : ("update" as const) } : {}),
        ...(drift ? { drift } : {}),
        ...(at ? { source: `${at.file}:${at.line}` } : {}),
        ...(topic ? { topic } : {}),
      });
    }
  }
  return items;
}

function key(kind: ComponentKind, id: string): string {
  return `${kind}\0${id}`;
}

function push<V>(map: Map<string, V[]>, mapKey: string, value: V): void {
  const list = map.get(mapKey);
  if (list) list.push(value);
  else map.set(mapKey, [value]);
}

/** What a process reads and writes, and its code's identity: `UserEvents -> Enriched (code 3f2a9c1b)`. */
function processLocation(process: ProcessSpec): string {
  const flow = process.destination === undefined ? process.source : `${process.source} -> ${process.destination}`;
  return process.codeHash ? `${flow} (code ${process.codeHash.slice(0, 8)})` : flow;
}

function locationOf(kind: ComponentKind, id: string, spec: unknown, config: Config, database: string): string {
  const base = `http://${config.http_server_config.host}:${config.http_server_config.port}`;
  switch (kind) {
    case "tables":
    case "views":
    case "materializedViews":
      return `${database}.${id}`;
    case "streams":
      return brokerTopicName(config.redpanda_config.namespace, (spec as { name: string }).name);
    case "apis":
      return `${base}/api/${(spec as { path: string }).path}`;
    case "ingestApis":
      return `${base}/ingest/${(spec as { path: string }).path}`;
    case "workflows":
      return id;
    case "processes":
      return processLocation(spec as ProcessSpec);
    case "sqlResources": {
      const { setup, teardown, rowPolicy } = spec as SqlResourceSpec;
      // A SelectRowPolicy: what it filters, and by which claim.
      if (rowPolicy) return `row policy: ${rowPolicy.column} = jwt.${rowPolicy.claim} on ${rowPolicy.tables.map((table) => `${database}.${table}`).join(", ")}`;
      return `sql (${setup.length} setup, ${teardown.length} teardown statement${teardown.length === 1 ? "" : "s"})`;
    }
    default:
      return assertNever(kind);
  }
}


function runningText(running: NonNullable<InventoryItem["running"]>): string {
  return `${running.state}${running.lag !== undefined ? `, lag ${running.lag}` : ""}${running.lastError ? ` (last error: ${running.lastError})` : ""}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** A fixed-width table for the terminal. */
export function renderInventory(items: InventoryItem[]): string {
  if (items.length === 0) return "no objects: app/index.ts exports nothing moose-ts manages\n";
  const header = ["KIND", "NAME", "LOCATION", "STATUS"];
  const rows = items.map((item) => [
    item.kind,
    item.id,
    item.location + (item.topic ? ` (${plural(item.topic.partitionCount, "partition")}, replication factor ${item.topic.replicationFactor})` : ""),
    item.status + (item.change ? ` (${item.change})` : "") + (item.drift ? `: ${item.drift.join("; ")}` : "") + (item.running ? `, ${runningText(item.running)}` : ""),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join("  ");
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

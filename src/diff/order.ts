/**
 * The order operations run in: all teardown first, dependents before what they depend on
 * (APIs → ingest APIs → processes → topics → SQL resources → views/MVs → indexes → columns →
 * tables), then all setup, dependencies first (tables → views/MVs, a view after the views it reads
 * → SQL resources, which read and write tables and views → topics, which sink into tables →
 * processes, which read topics and write topics and tables → ingest APIs, which write to topics →
 * APIs → workflows). Within one rank the diff's order is kept.
 */
import { assertNever, type Operation } from "./operations.js";

const TEARDOWN = 0;
const SETUP = 1000;

/** Views and MVs nest, and so do SQL resources: one that reads another is one level deeper. */
const VIEW_LEVEL_STEP = 1;
const MAX_VIEW_DEPTH = 500;

function baseRank(op: Operation): number {
  switch (op.kind) {
    case "removeWorkflow":
      return TEARDOWN + 0;
    case "removeApi":
      return TEARDOWN + 10;
    case "removeIngestApi":
      return TEARDOWN + 20;
    case "removeProcess":
      return TEARDOWN + 25;
    case "deleteTopic":
      return TEARDOWN + 30;
    case "dropSqlResource":
      return TEARDOWN + 35;
    case "dropMaterializedView":
    case "dropView":
      return TEARDOWN + 40; // minus depth below: deepest first
    case "dropIndex":
      return TEARDOWN + 600;
    case "dropColumn":
      return TEARDOWN + 610;
    case "dropTable":
      return TEARDOWN + 620;
    case "renameColumn":
    case "createTable":
    case "recreateTable":
    case "addColumn":
    case "modifyColumn":
    case "modifyTtl":
    case "modifySettings":
    case "addIndex":
    case "rawSql":
      return SETUP + 0;
    case "createView":
    case "replaceView":
    case "createMaterializedView":
      return SETUP + 10; // plus depth: shallowest first
    case "createSqlResource":
      return SETUP + 590;
    case "createTopic":
    case "alterTopicConfig":
    case "addPartitions":
    case "modifyStreamSchema":
      return SETUP + 600;
    case "addProcess":
    case "updateProcess":
      return SETUP + 605;
    case "addIngestApi":
    case "updateIngestApi":
      return SETUP + 610;
    case "addApi":
    case "updateApi":
      return SETUP + 620;
    case "addWorkflow":
    case "updateWorkflow":
      return SETUP + 630;
    default:
      return assertNever(op);
  }
}

function viewSources(op: Operation): { name: string; sources: string[] } | null {
  switch (op.kind) {
    case "createView":
    case "dropView":
      return { name: op.view.name, sources: op.view.sourceTables };
    case "replaceView":
      return { name: op.to.name, sources: op.to.sourceTables };
    case "createMaterializedView":
    case "dropMaterializedView":
      return { name: op.view.name, sources: op.view.sourceTables };
    default:
      return null;
  }
}

/** What a SQL resource reads (its pullsDataFrom): another resource it reads is set up first. */
function resourceSources(op: Operation): { name: string; sources: string[] } | null {
  return op.kind === "createSqlResource" || op.kind === "dropSqlResource" ? { name: op.resource.name, sources: op.resource.pullsDataFrom } : null;
}

/** Depth of each object among those the operations touch that `sourcesOf` describes (a cycle is cut, not followed). */
function depthsOf(operations: Operation[], sourcesOf: (op: Operation) => { name: string; sources: string[] } | null): Map<string, number> {
  const sources = new Map<string, string[]>();
  for (const op of operations) {
    const view = sourcesOf(op);
    if (view) sources.set(view.name, [...(sources.get(view.name) ?? []), ...view.sources]);
  }
  const depths = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (name: string): number => {
    const known = depths.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name) || !sources.has(name)) return 0;
    visiting.add(name);
    let depth = 0;
    for (const source of sources.get(name)!) {
      if (sources.has(source)) depth = Math.max(depth, depthOf(source) + VIEW_LEVEL_STEP);
    }
    visiting.delete(name);
    depth = Math.min(depth, MAX_VIEW_DEPTH);
    depths.set(name, depth);
    return depth;
  };
  for (const name of sources.keys()) depthOf(name);
  return depths;
}

export function orderOperations(operations: readonly Operation[]): Operation[] {
  const depths = depthsOf([...operations], viewSources);
  const resourceDepths = depthsOf([...operations], resourceSources);
  const rank = (op: Operation): number => {
    const base = baseRank(op);
    const view = viewSources(op);
    if (view) {
      const depth = depths.get(view.name) ?? 0;
      return op.kind === "dropView" || op.kind === "dropMaterializedView" ? base + MAX_VIEW_DEPTH - depth : base + depth;
    }
    // SQL resources nest within their own rank (a fraction of one step): readers after what they read, torn down before it.
    const resource = resourceSources(op);
    if (!resource) return base;
    const depth = resourceDepths.get(resource.name) ?? 0;
    return base + (op.kind === "dropSqlResource" ? MAX_VIEW_DEPTH - depth : depth) / (MAX_VIEW_DEPTH + 1);
  };
  return operations
    .map((op, index) => ({ op, index, rank: rank(op) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((entry) => entry.op);
}

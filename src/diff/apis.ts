/**
 * Consumption APIs and ingest APIs: served from code, so they have no infrastructure of their own;
 * their changes matter to callers (removed parameters, new required ones, lost result fields).
 */
import { withOrderedEnums } from "../manifest/enum-order.js";
import type { ApiSpec, IngestApiSpec } from "../manifest/types.js";
import { normalizeColumn, stableJson } from "./normalize.js";
import type { Operation } from "./operations.js";
import { apiBreakingChanges, ingestBreakingChanges, withRisk } from "./risk.js";

function sortedIds(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

function apiContent(api: ApiSpec): string {
  return stableJson({ name: api.name, version: api.version, path: api.path, params: withOrderedEnums(api.params), result: withOrderedEnums(api.result) });
}

function ingestContent(api: IngestApiSpec): string {
  return stableJson({
    name: api.name,
    version: api.version,
    path: api.path,
    columns: api.columns.map(normalizeColumn),
    schema: withOrderedEnums(api.schema),
    destination: api.destination,
  });
}

export function diffApis(from: Record<string, ApiSpec>, to: Record<string, ApiSpec>): Operation[] {
  const operations: Operation[] = [];
  for (const id of sortedIds(from, to)) {
    const before = from[id];
    const after = to[id];
    if (!before && after) operations.push(withRisk({ kind: "addApi", target: id, summary: `add API /api/${after.path}`, api: after }));
    else if (before && !after) {
      operations.push(withRisk({ kind: "removeApi", target: id, summary: `remove API /api/${before.path}`, api: before }));
    } else if (before && after && apiContent(before) !== apiContent(after)) {
      const breaking = apiBreakingChanges(before, after);
      const summary = `update API /api/${after.path}${breaking.length > 0 ? `: ${breaking.join("; ")}` : ""}`;
      operations.push(withRisk({ kind: "updateApi", target: id, summary, from: before, to: after }));
    }
  }
  return operations;
}

export function diffIngestApis(from: Record<string, IngestApiSpec>, to: Record<string, IngestApiSpec>): Operation[] {
  const operations: Operation[] = [];
  for (const id of sortedIds(from, to)) {
    const before = from[id];
    const after = to[id];
    if (!before && after) {
      operations.push(withRisk({ kind: "addIngestApi", target: id, summary: `add ingest API /ingest/${after.path}`, api: after }));
    } else if (before && !after) {
      operations.push(
        withRisk({ kind: "removeIngestApi", target: id, summary: `remove ingest API /ingest/${before.path}`, api: before }),
      );
    } else if (before && after && ingestContent(before) !== ingestContent(after)) {
      const breaking = ingestBreakingChanges(before, after);
      const summary = `update ingest API /ingest/${after.path}${breaking.length > 0 ? `: ${breaking.join("; ")}` : ""}`;
      operations.push(withRisk({ kind: "updateIngestApi", target: id, summary, from: before, to: after }));
    }
  }
  return operations;
}

/** A manifest received over HTTP (admin API request or response): the envelope is checked before use. */
import { MANIFEST_VERSION, SUPPORTED_MANIFEST_VERSIONS } from "../manifest/index.js";

const COMPONENT_KINDS = ["tables", "streams", "views", "materializedViews", "apis", "ingestApis", "workflows"] as const;

/** Why `value` is not a manifest this moose-ts reads, or undefined when it is one. */
export function manifestProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not a JSON object";
  const record = value as Record<string, unknown>;
  if (!SUPPORTED_MANIFEST_VERSIONS.includes(record.version as number)) {
    return `manifest version ${JSON.stringify(record.version)} is not supported (this moose-ts reads version ${MANIFEST_VERSION})`;
  }
  for (const kind of COMPONENT_KINDS) {
    const entry = record[kind];
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return `no "${kind}" object`;
  }
  return undefined;
}

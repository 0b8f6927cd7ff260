/**
 * A manifest received over HTTP (admin API request or response): checked against the Manifest v1
 * JSON Schema (src/manifest/validate.ts) before use, like every manifest read from disk.
 */
import { MANIFEST_VERSION } from "../manifest/types.js";
import { formatProblems, isSupportedVersion, manifestProblems } from "../manifest/validate.js";
import { MAX_NESTING, nestedTooDeep } from "./input.js";

/** Why `value` is not a manifest this moose-ts reads (with the JSON paths of the first problems), or undefined when it is one. */
export function manifestProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not a JSON object";
  // Checks and sorting walk it recursively: a manifest thousands of levels deep would exhaust the stack.
  if (nestedTooDeep(value)) return `nested more than ${MAX_NESTING} levels deep`;
  if (!isSupportedVersion(value)) {
    return `manifest version ${JSON.stringify((value as { version?: unknown }).version)} is not supported (this moose-ts reads version ${MANIFEST_VERSION})`;
  }
  const problems = manifestProblems(value);
  return problems.length > 0 ? formatProblems(problems) : undefined;
}

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
  // Column types are parsed recursively too: `Tuple(Tuple(…))` thousands deep would exhaust the stack.
  const deepType = typeNestedTooDeep(value);
  if (deepType !== undefined) return `a column type nests more than ${MAX_NESTING} levels deep (${deepType.slice(0, 60)}…)`;
  if (!isSupportedVersion(value)) {
    return `manifest version ${JSON.stringify((value as { version?: unknown }).version)} is not supported (this moose-ts reads version ${MANIFEST_VERSION})`;
  }
  const problems = manifestProblems(value);
  return problems.length > 0 ? formatProblems(problems) : undefined;
}

/** A `type` text anywhere in `value` (already known to nest at most MAX_NESTING levels) whose parentheses nest deeper than MAX_NESTING. */
function typeNestedTooDeep(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key === "type" && typeof item === "string" && parenthesesDepth(item) > MAX_NESTING) return item;
    const found = typeNestedTooDeep(item);
    if (found !== undefined) return found;
  }
  return undefined;
}

function parenthesesDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (const character of text) {
    if (character === "(") deepest = Math.max(deepest, ++depth);
    else if (character === ")") depth--;
  }
  return deepest;
}

/**
 * Checks a parsed JSON value against Manifest v1 (./schema.ts) with ajv. Answers with the first
 * problems, each at its JSON path (ajv's instancePath, a JSON Pointer such as
 * `/tables/Users/columns/0`), or none.
 *
 * ajv is loaded, and the schema compiled, on first use: command modules import this file
 * statically, and a command that never reads a manifest does not pay for ajv at start-up.
 */
import { createRequire } from "node:module";
import type { ErrorObject, ValidateFunction } from "ajv";
import { MANIFEST_VERSION } from "./types.js";
import { MANIFEST_SCHEMA } from "./schema.js";

export const SUPPORTED_MANIFEST_VERSIONS: readonly number[] = [MANIFEST_VERSION];

export interface ManifestProblem {
  /** JSON Pointer to the offending value; "" is the whole document. */
  path: string;
  message: string;
}

/** How many problems a message lists. */
export const MAX_REPORTED_PROBLEMS = 3;

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  if (!validator) {
    // ajv is CommonJS: its constructor is the module's default export.
    const ajvModule = createRequire(import.meta.url)("ajv") as { default: new (options: object) => { compile(schema: object): ValidateFunction } };
    // `optimize: false` makes compiling several times faster; validating a manifest is fast either way.
    validator = new ajvModule.default({ allErrors: true, strict: true, code: { optimize: false } }).compile(MANIFEST_SCHEMA);
  }
  return validator;
}

/** Is `value` a version this moose-ts reads? (Checked first, so an old/new manifest says "upgrade", not "invalid".) */
export function isSupportedVersion(value: unknown): boolean {
  return typeof value === "object" && value !== null && SUPPORTED_MANIFEST_VERSIONS.includes((value as { version?: unknown }).version as number);
}

/** The first problems of `value` as a Manifest v1; empty when it is one. */
export function manifestProblems(value: unknown, limit = MAX_REPORTED_PROBLEMS): ManifestProblem[] {
  const validate = compiled();
  if (validate(value)) return [];
  const problems: ManifestProblem[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const problem = describe(error);
    const key = `${problem.path} ${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
    if (problems.length === limit) break;
  }
  return problems;
}

/** `/tables/Users/columns/0: must have required property "type"; …` on one line. */
export function formatProblems(problems: readonly ManifestProblem[]): string {
  return problems.map((problem) => `${problem.path || "(root)"}: ${problem.message}`).join("; ");
}

function describe(error: ErrorObject): ManifestProblem {
  const path = error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return { path, message: `must have required property "${String(params.missingProperty)}"` };
    case "additionalProperties":
      return { path, message: `has unknown property "${String(params.additionalProperty)}"` };
    case "enum":
      return { path, message: `must be one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(", ")}` };
    case "const":
      return { path, message: `must be ${JSON.stringify(params.allowedValue)}` };
    default:
      return { path, message: error.message ?? `fails ${error.keyword}` };
  }
}

/**
 * Checks a parsed JSON value against Manifest v1 (./schema.ts) with ajv. Answers with the first
 * problems, each at its JSON path (ajv's instancePath, a JSON Pointer such as
 * `/tables/Users/columns/0`), or none.
 *
 * ajv is loaded, and the schema compiled, on first use: command modules import this file
 * statically, and a command that never reads a manifest does not pay for ajv at start-up.
 * Loading ajv and compiling were ≈ 0.1–0.2 s of every command that reads a manifest, so the
 * compiled validator (ajv's standalone code) is kept beside ajv in `node_modules/.cache/moose-ts/`,
 * named by the hash of the schema, ajv's version and the options, with a checksum of its code:
 * later processes load that file and never load ajv. A missing, damaged or unwritable cache only
 * costs the compile.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { ErrorObject, ValidateFunction } from "ajv";
import { MANIFEST_VERSION } from "./types.js";
import { MANIFEST_SCHEMA } from "./schema.js";
import { writeFileAtomicSync } from "../files.js";

export const SUPPORTED_MANIFEST_VERSIONS: readonly number[] = [MANIFEST_VERSION];

export interface ManifestProblem {
  /** JSON Pointer to the offending value; "" is the whole document. */
  path: string;
  message: string;
}

/** How many problems a message lists. */
export const MAX_REPORTED_PROBLEMS = 3;

let validator: ValidateFunction | undefined;

const require = createRequire(import.meta.url);
// `optimize: false` makes compiling several times faster; validating a manifest is fast either way.
const AJV_OPTIONS = { allErrors: true, strict: true, code: { optimize: false, source: true } };
const CHECKSUM_PREFIX = "// sha256 ";

function compiled(): ValidateFunction {
  validator ??= loadCompiled() ?? compile();
  return validator;
}

/** Where the compiled validator of this schema is kept (undefined when ajv cannot be found). */
export function compiledFile(): string | undefined {
  try {
    const ajvPackage = require.resolve("ajv/package.json");
    const { version } = JSON.parse(readFileSync(ajvPackage, "utf8")) as { version: string };
    const key = createHash("sha256").update(`${version}\0${JSON.stringify(AJV_OPTIONS)}\0${JSON.stringify(MANIFEST_SCHEMA)}`).digest("hex").slice(0, 16);
    // Beside ajv, so the code's own require("ajv/dist/runtime/…") resolves to that ajv.
    return path.resolve(ajvPackage, "../../.cache/moose-ts", `manifest-validator-${key}.cjs`);
  } catch {
    return undefined;
  }
}

function loadCompiled(): ValidateFunction | undefined {
  const file = compiledFile();
  if (!file) return undefined;
  try {
    const text = readFileSync(file, "utf8");
    const newline = text.indexOf("\n");
    const code = text.slice(newline + 1);
    if (text.slice(0, newline) !== `${CHECKSUM_PREFIX}${createHash("sha256").update(code).digest("hex")}`) return undefined;
    return require(file) as ValidateFunction;
  } catch {
    return undefined;
  }
}

function compile(): ValidateFunction {
  // ajv is CommonJS: its constructor is the module's default export.
  const ajvModule = require("ajv") as { default: new (options: object) => { compile(schema: object): ValidateFunction } };
  const ajv = new ajvModule.default(AJV_OPTIONS);
  const validate = ajv.compile(MANIFEST_SCHEMA);
  const file = compiledFile();
  if (file) {
    try {
      const standalone = (require("ajv/dist/standalone") as { default: (ajv: unknown, validate: ValidateFunction) => string }).default;
      const code = standalone(ajv, validate);
      writeFileAtomicSync(file, `${CHECKSUM_PREFIX}${createHash("sha256").update(code).digest("hex")}\n${code}`);
    } catch {
      // Only a speed-up: the next process compiles the schema again.
    }
  }
  return validate;
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
    // mapOf's only rule on keys (src/manifest/schema.ts); ajv reports it twice, as `not` and `propertyNames`.
    case "not":
    case "propertyNames":
      return { path, message: `has a key "${String(error.propertyName ?? params.propertyName)}", which no name may be (a property every JavaScript object has)` };
    default:
      return { path, message: error.message ?? `fails ${error.keyword}` };
  }
}

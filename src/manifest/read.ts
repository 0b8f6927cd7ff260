/**
 * The one reader of manifest files: read, parse, check the version, check against the Manifest v1
 * JSON Schema (./validate.ts). Every failure is a MooseError naming the file (and, for a schema
 * failure, the JSON paths of the first problems). Callers that read migration history
 * (src/migrations/snapshots.ts) pass their own exit code and repair hint.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ExitCode, MooseError } from "../errors.js";
import { fromStoredManifest, type Manifest, type StoredManifest } from "./types.js";
import { formatProblems, isSupportedVersion, manifestProblems, SUPPORTED_MANIFEST_VERSIONS } from "./validate.js";

export interface ReadManifestOptions {
  /** Exit code of every failure to read this file (default 1; migration history uses 4). */
  exitCode?: ExitCode;
  /** What to do about a file that is not a valid manifest (default: regenerate it or restore it). */
  hint?: string;
}

const DEFAULT_HINT =
  "manifests are written by moose-ts (`moose build` writes .moose/manifest.json from your code), not by hand: regenerate it, " +
  "or restore it from version control (format: docs/manifest.md)";

export async function readManifest(filePath: string, options: ReadManifestOptions = {}): Promise<Manifest> {
  const shown = displayPath(filePath);
  const exitCode = options.exitCode ?? ExitCode.error;
  let text: string;
  try {
    text = await readFile(filePath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new MooseError("MANIFEST_NOT_FOUND", `no manifest at ${shown}`, {
        exitCode,
        hint: options.hint ?? "run `moose build` to extract one from app/index.ts, or check the path",
        details: { path: shown },
        cause: error,
      });
    }
    throw new MooseError("MANIFEST_UNREADABLE", `cannot read ${shown}: ${(error as Error).message}`, {
      exitCode,
      hint: "check that it is a file moose-ts may read",
      details: { path: shown },
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid(shown, `is not valid JSON (${(error as Error).message})`, options, [], error);
  }
  return checkManifest(parsed, shown, options);
}

/** `value` as a Manifest, or a MooseError naming `shown` (how the file is shown in messages). */
export function checkManifest(value: unknown, shown: string, options: ReadManifestOptions = {}): Manifest {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(shown, "is not a JSON object", options);
  if (!isSupportedVersion(value)) {
    const version = (value as { version?: unknown }).version;
    throw new MooseError(
      "MANIFEST_VERSION_UNSUPPORTED",
      `${shown} has manifest version ${JSON.stringify(version)}; this moose-ts reads version ${SUPPORTED_MANIFEST_VERSIONS.join(", ")}`,
      {
        exitCode: options.exitCode ?? ExitCode.error,
        hint: "it was probably written by a newer moose-ts: upgrade moose-ts (npm install moose-ts@latest)",
        details: { path: shown, version, supported: SUPPORTED_MANIFEST_VERSIONS },
      },
    );
  }
  const problems = manifestProblems(value);
  if (problems.length > 0) throw invalid(shown, `is not a valid Manifest v1: ${formatProblems(problems)}`, options, problems);
  return fromStoredManifest(value as StoredManifest);
}

function invalid(shown: string, problem: string, options: ReadManifestOptions, problems: unknown[] = [], cause?: unknown): MooseError {
  return new MooseError("MANIFEST_INVALID", `${shown} ${problem}`, {
    exitCode: options.exitCode ?? ExitCode.error,
    hint: options.hint ?? DEFAULT_HINT,
    details: { path: shown, ...(problems.length > 0 ? { problems } : {}) },
    cause,
  });
}

/** Paths in messages: relative to the working directory when inside it, absolute otherwise. */
export function displayPath(filePath: string): string {
  const absolute = path.resolve(filePath);
  const relative = path.relative(process.cwd(), absolute);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : absolute;
}

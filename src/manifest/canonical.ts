/**
 * The canonical form of a manifest: JSON with keys sorted at every level, 2-space indent and a
 * trailing newline, arrays in their given order. Equal states give equal bytes, so the sha256 of
 * the canonical JSON (with source locations left out) is the identity of a state.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { MooseError } from "../errors.js";
import { emptyManifest, MANIFEST_VERSION, type ComponentKind, type Manifest } from "./types.js";

export const SUPPORTED_MANIFEST_VERSIONS: readonly number[] = [MANIFEST_VERSION];

const COMPONENT_KINDS = Object.keys(emptyManifest()).filter((key) => key !== "version") as ComponentKind[];

export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}

/**
 * sha256 (hex) of the canonical JSON with each component's `source` removed: moving code around
 * never changes a state's identity. Only the specs' own `source` goes — a nested key that happens
 * to be called `source` (an API parameter, a table setting) is content and stays.
 */
export function hashManifest(manifest: Manifest): string {
  return createHash("sha256").update(canonicalJson(withoutSources(manifest))).digest("hex");
}

export function withoutSources(manifest: Manifest): Manifest {
  const stripped: Record<string, unknown> = { ...manifest };
  for (const kind of COMPONENT_KINDS) {
    stripped[kind] = Object.fromEntries(
      Object.entries(manifest[kind]).map(([id, spec]) => {
        const { source: _source, ...rest } = spec;
        return [id, rest];
      }),
    );
  }
  return stripped as unknown as Manifest;
}

export const EMPTY_MANIFEST_HASH = hashManifest(emptyManifest());

export async function readManifest(filePath: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(filePath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new MooseError("MANIFEST_NOT_FOUND", `no manifest at ${filePath}`, {
        hint: "run `moose dev` or `moose plan` to extract one from app/index.ts",
        details: { path: filePath },
        cause: error,
      });
    }
    throw new MooseError("MANIFEST_UNREADABLE", `cannot read ${filePath}: ${(error as Error).message}`, {
      hint: "check that it is a file moose-ts may read",
      details: { path: filePath },
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid(filePath, `is not valid JSON (${(error as Error).message})`, error);
  }
  return checkManifest(parsed, filePath);
}

/** Checks the envelope (version, one object per component kind); specs are trusted as written by moose-ts. */
function checkManifest(value: unknown, filePath: string): Manifest {
  if (!isObject(value)) throw invalid(filePath, "is not a JSON object");
  if (!SUPPORTED_MANIFEST_VERSIONS.includes(value.version as number)) {
    throw new MooseError(
      "MANIFEST_VERSION_UNSUPPORTED",
      `${filePath} has manifest version ${JSON.stringify(value.version)}; this moose-ts reads version ${SUPPORTED_MANIFEST_VERSIONS.join(", ")}`,
      {
        hint: "it was probably written by a newer moose-ts: upgrade moose-ts (npm install moose-ts@latest)",
        details: { path: filePath, version: value.version, supported: SUPPORTED_MANIFEST_VERSIONS },
      },
    );
  }
  for (const kind of COMPONENT_KINDS) {
    if (!isObject(value[kind])) throw invalid(filePath, `has no "${kind}" object`);
  }
  return value as unknown as Manifest;
}

/** Writes the canonical JSON, creating directories; the rename makes the write atomic for readers. */
export async function writeManifest(filePath: string, manifest: Manifest): Promise<void> {
  await mkdir(path.dirname(filePath), { recursive: true });
  const temporary = `${filePath}.${process.pid}.tmp`;
  await writeFile(temporary, canonicalJson(manifest));
  await rename(temporary, filePath);
}

function invalid(filePath: string, problem: string, cause?: unknown): MooseError {
  return new MooseError("MANIFEST_INVALID", `${filePath} ${problem}`, {
    hint: "restore it from version control, or regenerate it from your code (moose-ts writes manifests itself; do not edit them by hand)",
    details: { path: filePath },
    cause,
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

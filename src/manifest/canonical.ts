/**
 * The canonical form of a manifest: JSON with keys sorted at every level, 2-space indent and a
 * trailing newline, arrays in their given order. Equal states give equal bytes, so the sha256 of
 * the canonical JSON (with source locations left out) is the identity of a state.
 */
import { createHash } from "node:crypto";

import { emptyManifest, toStoredManifest, type ComponentKind, type Manifest } from "./types.js";
import { writeFileAtomic } from "../files.js";

// Reading is ./read.ts (one validating reader); re-exported here for the modules that import it from this file.
export { readManifest, type ReadManifestOptions } from "./read.js";
export { SUPPORTED_MANIFEST_VERSIONS } from "./validate.js";

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

/** A manifest's canonical JSON, in its stored form (no `processes` key while it has none). */
export function canonicalManifestJson(manifest: Manifest): string {
  return canonicalJson(toStoredManifest(manifest));
}

/**
 * sha256 (hex) of the canonical JSON with each component's `source` removed: moving code around
 * never changes a state's identity. Only the specs' own `source` goes — a nested key that happens
 * to be called `source` (an API parameter, a table setting) is content and stays.
 */
export function hashManifest(manifest: Manifest): string {
  return createHash("sha256").update(canonicalManifestJson(withoutSources(manifest))).digest("hex");
}

export function withoutSources(manifest: Manifest): Manifest {
  const stripped: Record<string, unknown> = { ...manifest };
  for (const kind of COMPONENT_KINDS) {
    stripped[kind] = Object.fromEntries(
      // `?? {}`: a manifest parsed without the reader may lack `processes` (see toStoredManifest).
      Object.entries(manifest[kind] ?? {}).map(([id, spec]) => {
        // A process's `source` is the stream it reads (content); its place in the code is `location`.
        if (kind === "processes") {
          const { location: _location, ...rest } = spec as Manifest["processes"][string];
          return [id, rest];
        }
        const { source: _source, ...rest } = spec as Exclude<typeof spec, Manifest["processes"][string]>;
        return [id, rest];
      }),
    );
  }
  return stripped as unknown as Manifest;
}

export const EMPTY_MANIFEST_HASH = hashManifest(emptyManifest());

/** Writes the canonical JSON, creating directories, atomically for readers. */
export async function writeManifest(filePath: string, manifest: Manifest): Promise<void> {
  await writeFileAtomic(filePath, canonicalManifestJson(manifest));
}

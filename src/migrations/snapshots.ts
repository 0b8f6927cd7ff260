/**
 * Reading the manifests that are part of the migration history: migrations/snapshot.json and
 * migrations/meta/<id>.json. They go through the one validating reader (src/manifest/read.ts);
 * a missing-but-expected, unreadable or invalid one is a broken history, so the error exits 4
 * (like a broken chain or checksum) and says how to repair it.
 */
import path from "node:path";
import { ExitCode } from "../errors.js";
import { readManifest } from "../manifest/read.js";
import { canonicalManifestJson } from "../manifest/canonical.js";
import type { Manifest } from "../manifest/types.js";
import { metaPath, type MigrationsLayout } from "./layout.js";
import { writeFileAtomic } from "../files.js";

/** migrations/snapshot.json: the state after the newest migration (a copy of its meta file). */
export async function readSnapshotManifest(layout: MigrationsLayout): Promise<Manifest> {
  const shown = path.relative(layout.projectDir, layout.snapshot);
  const meta = path.relative(layout.projectDir, layout.metaDir);
  return readManifest(layout.snapshot, {
    exitCode: ExitCode.conflict,
    hint:
      `${shown} is part of the migration history and is written by moose-ts: restore it from git (\`git checkout -- ${shown}\`), ` +
      `or copy the newest migration's ${meta}/<id>.json over it (the two are the same state)`,
  });
}

/** migrations/meta/<id>.json: the state after migration `id` (stored in `_moose_state` when applied). */
export async function readMetaManifest(layout: MigrationsLayout, id: string): Promise<Manifest> {
  const file = metaPath(layout, id);
  const shown = path.relative(layout.projectDir, file);
  return readManifest(file, {
    exitCode: ExitCode.conflict,
    hint:
      `${shown} is part of the migration history and is written by moose-ts: restore it from git (\`git checkout -- ${shown}\`); ` +
      `if migration ${id} has not been applied anywhere yet, \`moose migrate rebase ${id}\` regenerates it and its meta file`,
  });
}

/**
 * snapshot.json in a form that diffs well in review: canonical key order (the same JSON value as
 * canonicalJson), but every object or array that holds only scalars on one line, so an added column
 * is one line (`{ "name": "age", "nullable": false, "type": "Float64" }`) instead of five.
 */
export function snapshotJson(manifest: Manifest): string {
  return `${compact(JSON.parse(canonicalManifestJson(manifest)) as unknown, "")}\n`;
}

function isScalar(value: unknown): boolean {
  return value === null || typeof value !== "object" || (Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0);
}

function compact(value: unknown, indent: string): string {
  if (isScalar(value)) return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.every(isScalar)) return `[${value.map((item) => JSON.stringify(item)).join(", ")}]`;
    return `[\n${value.map((item) => `${inner}${compact(item, inner)}`).join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.every(([, item]) => isScalar(item))) return `{ ${entries.map(([key, item]) => `${JSON.stringify(key)}: ${JSON.stringify(item)}`).join(", ")} }`;
  return `{\n${entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${compact(item, inner)}`).join(",\n")}\n${indent}}`;
}

/** Writes migrations/snapshot.json (atomically) in the review form of snapshotJson. */
export async function writeSnapshot(layout: MigrationsLayout, manifest: Manifest): Promise<void> {
  await writeFileAtomic(layout.snapshot, snapshotJson(manifest));
}

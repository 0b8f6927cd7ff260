/**
 * Reading the manifests that are part of the migration history: migrations/snapshot.json and
 * migrations/meta/<id>.json. They go through the one validating reader (src/manifest/read.ts);
 * a missing-but-expected, unreadable or invalid one is a broken history, so the error exits 4
 * (like a broken chain or checksum) and says how to repair it.
 */
import path from "node:path";
import { ExitCode } from "../errors.js";
import { readManifest } from "../manifest/read.js";
import type { Manifest } from "../manifest/types.js";
import { metaPath, type MigrationsLayout } from "./layout.js";

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

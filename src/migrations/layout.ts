/**
 * Where a project's migration files live and how they are named:
 *   migrations/<YYYYMMDDTHHMMSSZ>_<slug>.ts   one migration (reviewed in PRs)
 *   migrations/meta/<id>.json                 the manifest after that migration (stored in `_moose_state` when applied)
 *   migrations/snapshot.json                  the manifest after the newest migration (base of the next diff)
 *   migrations/moose.sum                      running hash over the files (see ./sum.ts)
 *   migrations/.gitattributes                 keeps meta/ and moose.sum out of the diff a reviewer reads
 */
import path from "node:path";

export const DEFAULT_MIGRATIONS_DIR = "migrations";
export const SNAPSHOT_FILE = "snapshot.json";
export const SUM_FILE = "moose.sum";
export const META_DIR = "meta";
export const GITATTRIBUTES_FILE = ".gitattributes";

/**
 * Review size: a migration's pull request should be read as its migration file (which lists every
 * change and its risk) plus the snapshot.json diff (the new state, a few lines per change). The
 * per-migration meta files are whole manifests written by moose-ts and verified against the chain;
 * moose.sum is hashes. Both are marked generated (collapsed on GitHub/GitLab) and `-diff` (git diff
 * and `--stat` show them as one "binary" line), never as reviewable text. Merging is unaffected.
 */
export const MIGRATIONS_GITATTRIBUTES = `# Written by moose-ts (moose migrate generate). Review the migration files (*.ts) and snapshot.json;
# meta/<id>.json (the manifest after each migration) and moose.sum (hashes) are generated and verified.
meta/*.json linguist-generated=true -diff
moose.sum linguist-generated=true -diff
snapshot.json linguist-generated=false
`;

/** `20261127T075200Z_add_age_to_users.ts` */
export const MIGRATION_FILE_PATTERN = /^(\d{8}T\d{6}Z)_([a-z0-9_]+)\.ts$/;

export interface MigrationsLayout {
  projectDir: string;
  dir: string;
  snapshot: string;
  sum: string;
  metaDir: string;
  /** migrations/.gitattributes (written once, when missing; a hand-edited one is kept). */
  gitattributes: string;
  /** Compiled migration files (a cache keyed by file checksum). */
  buildCache: string;
}

export function migrationsLayout(projectDir: string, dir?: string): MigrationsLayout {
  const migrationsDir = path.resolve(projectDir, dir ?? DEFAULT_MIGRATIONS_DIR);
  return {
    projectDir: path.resolve(projectDir),
    dir: migrationsDir,
    snapshot: path.join(migrationsDir, SNAPSHOT_FILE),
    sum: path.join(migrationsDir, SUM_FILE),
    metaDir: path.join(migrationsDir, META_DIR),
    gitattributes: path.join(migrationsDir, GITATTRIBUTES_FILE),
    buildCache: path.join(path.resolve(projectDir), ".moose", "migrations-build"),
  };
}

export function metaPath(layout: MigrationsLayout, id: string): string {
  return path.join(layout.metaDir, `${id}.json`);
}

/** The id is the file name without `.ts`: `20261127T075200Z_add_age_to_users`. */
export function migrationId(fileName: string): string {
  return fileName.replace(/\.ts$/, "");
}

/**
 * A new id's timestamp: now (UTC, second precision), bumped past the newest existing id so ids
 * always sort in creation order even when two are generated within one second.
 */
export function nextTimestamp(now: Date, newestExistingId?: string): string {
  let candidate = formatTimestamp(now);
  const newest = newestExistingId?.slice(0, 16);
  if (newest && candidate <= newest) candidate = formatTimestamp(new Date(parseTimestamp(newest).getTime() + 1000));
  return candidate;
}

export function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

function parseTimestamp(stamp: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp)!;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

/** Lower snake case, ascii only, at most 60 characters; never empty. */
export function toSlug(text: string): string {
  const slug = text
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 60)
    .replace(/_+$/, "");
  return slug || "migration";
}

/** Manifests and migration directories for the migration tests (no infrastructure). */
import { mkdtempSync, rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { EMPTY_MANIFEST_HASH, hashManifest, writeManifest } from "../../../src/manifest/canonical.js";
import { emptyManifest, type ColumnSpec, type Manifest, type TableSpec } from "../../../src/manifest/types.js";
import { writeSum } from "../../../src/migrations/generate.js";
import { metaPath, migrationsLayout, type MigrationsLayout } from "../../../src/migrations/layout.js";

export function column(name: string, type: string, nullable = false): ColumnSpec {
  return { name, type, nullable };
}

export function table(name: string, columns: ColumnSpec[], orderBy: string[] = [columns[0]!.name]): TableSpec {
  return { name, columns, orderBy, engine: { name: "MergeTree", params: [] }, settings: {}, indexes: [], lifeCycle: "FULLY_MANAGED" };
}

export function manifestWith(...tables: TableSpec[]): Manifest {
  return { ...emptyManifest(), tables: Object.fromEntries(tables.map((spec) => [spec.name, spec])) };
}

export const usersV1 = manifestWith(table("Users", [column("id", "String"), column("name", "String")]));
export const usersV2 = manifestWith(table("Users", [column("id", "String"), column("name", "String"), column("age", "Int32", true)]));
export const usersV3 = manifestWith(table("Users", [column("id", "String"), column("age", "Int32", true)]));

export interface TempProject {
  dir: string;
  layout: MigrationsLayout;
  remove(): void;
}

export function tempProject(prefix = "moose-migrations-"): TempProject {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, layout: migrationsLayout(dir), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A hand-written migration file (for steps the generator never writes: `run`, failing SQL):
 * `body` is the source of the `up`/`down` arrays' contents. Writes the file, its snapshot,
 * snapshot.json and moose.sum like the generator does.
 */
export async function writeHandMigration(
  layout: MigrationsLayout,
  id: string,
  options: { from?: string; after: Manifest; up: string; down?: string },
): Promise<string> {
  const to = hashManifest(options.after);
  const text = `import { defineMigration } from "moose-ts";

export default defineMigration({
  from: "${options.from ?? EMPTY_MANIFEST_HASH}",
  to: "${to}",
  up: [
${options.up}
  ],
  down: [
${options.down ?? ""}
  ],
});
`;
  await mkdir(layout.dir, { recursive: true });
  const file = path.join(layout.dir, `${id}.ts`);
  await writeFile(file, text);
  await writeManifest(metaPath(layout, id), options.after);
  await writeManifest(layout.snapshot, options.after);
  await writeSum(layout);
  return file;
}

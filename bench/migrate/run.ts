/**
 * Runner bookkeeping per migration, beyond the raw DDL: 200 small migrations (one CREATE TABLE
 * each) applied to a fresh embedded engine. Bookkeeping = (wall time of applyMigrations − time
 * spent executing the steps themselves) / 200 — loading and verifying files, snapshots, the lock,
 * journal and state rows. The one-time compile of a fresh checkout is measured separately.
 * Target: ≤ 10 ms per migration embedded.
 *
 *   npx esbuild bench/migrate/run.ts --bundle --platform=node --format=esm --packages=external --outfile=.moose/bench-migrate.mjs && node .moose/bench-migrate.mjs
 * (MIGRATIONS=50 node .moose/bench-migrate.mjs to change the count.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openEmbedded } from "../../src/infra/clickhouse/embedded.js";
import { EMPTY_MANIFEST_HASH, hashManifest, writeManifest } from "../../src/manifest/canonical.js";
import { emptyManifest, type Manifest } from "../../src/manifest/types.js";
import { writeSum } from "../../src/migrations/generate.js";
import { metaPath, migrationsLayout } from "../../src/migrations/layout.js";
import { openMigrationsDirectory } from "../../src/migrations/directory.js";
import { applyMigrations } from "../../src/migrations/runner/apply.js";

const COUNT = Number(process.env.MIGRATIONS ?? 200);

async function writeMigrations(projectDir: string): Promise<void> {
  const layout = migrationsLayout(projectDir);
  await mkdir(layout.dir, { recursive: true });
  let manifest: Manifest = emptyManifest();
  let from = EMPTY_MANIFEST_HASH;
  for (let index = 0; index < COUNT; index++) {
    const name = `t_${index}`;
    manifest = {
      ...manifest,
      tables: {
        ...manifest.tables,
        [name]: { name, columns: [{ name: "id", type: "String", nullable: false }], orderBy: ["id"], engine: { name: "MergeTree", params: [] }, settings: {}, indexes: [], lifeCycle: "FULLY_MANAGED" },
      },
    };
    const to = hashManifest(manifest);
    const id = `2026010${1 + Math.floor(index / 86400)}T${String(Math.floor(index / 3600) % 24).padStart(2, "0")}${String(Math.floor(index / 60) % 60).padStart(2, "0")}${String(index % 60).padStart(2, "0")}Z_create_${name}`;
    await writeFile(
      path.join(layout.dir, `${id}.ts`),
      `import { defineMigration } from "moose-ts";\n\nexport default defineMigration({\n  from: "${from}",\n  to: "${to}",\n  up: [{ sql: \`CREATE TABLE IF NOT EXISTS ${name} (id String) ENGINE = MergeTree ORDER BY id\` }],\n  down: [{ sql: \`DROP TABLE IF EXISTS ${name}\` }],\n});\n`,
    );
    await writeManifest(metaPath(layout, id), manifest);
    from = to;
  }
  await writeManifest(layout.snapshot, manifest);
  await writeSum(layout);
}

async function main(): Promise<void> {
  const projectDir = mkdtempSync(path.join(tmpdir(), "moose-bench-migrate-"));
  const dataDir = path.join(projectDir, ".moose", "clickhouse");
  try {
    await writeMigrations(projectDir);
    // One-time cost on a fresh checkout: compiling the files into .moose/migrations-build.
    const compileStarted = performance.now();
    await openMigrationsDirectory(migrationsLayout(projectDir));
    const compileMs = performance.now() - compileStarted;

    const driver = await openEmbedded({ dataDir, database: "bench" });
    let stepMs = 0;
    const started = performance.now();
    const result = await applyMigrations({
      projectDir,
      driver,
      reporter: (event) => {
        if (event.type === "step-done") stepMs += event.ms;
      },
    });
    const totalMs = performance.now() - started;

    // Second pass: everything applied — the cost of a no-op `migrate up`.
    const noopStarted = performance.now();
    await applyMigrations({ projectDir, driver });
    const noopMs = performance.now() - noopStarted;
    await driver.close();

    const bookkeeping = (totalMs - stepMs) / result.migrations.length;
    console.log(`migrations applied:          ${result.migrations.length}`);
    console.log(`compile + verify (cold):     ${compileMs.toFixed(0)} ms (once per checkout; cached by checksum)`);
    console.log(`migrate up, total:           ${totalMs.toFixed(0)} ms`);
    console.log(`raw DDL (step execution):    ${stepMs.toFixed(0)} ms (${(stepMs / result.migrations.length).toFixed(2)} ms per migration)`);
    console.log(`bookkeeping per migration:   ${bookkeeping.toFixed(2)} ms (target ≤ 10 ms)`);
    console.log(`no-op up over ${COUNT} applied:   ${noopMs.toFixed(0)} ms`);
  } finally {
    rmSync(projectDir, { recursive: true, force: true });
  }
}

await main();

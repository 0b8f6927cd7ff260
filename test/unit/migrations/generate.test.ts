import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { canonicalManifestJson, EMPTY_MANIFEST_HASH, hashManifest, readManifest } from "../../../src/manifest/canonical.js";
import { snapshotJson } from "../../../src/migrations/snapshots.js";
import { generateMigration, hashMigrations, migrationSteps, slugFor } from "../../../src/migrations/generate.js";
import { loadMigrations } from "../../../src/migrations/load.js";
import { diffManifests } from "../../../src/diff/index.js";
import type { Manifest } from "../../../src/manifest/types.js";
import * as build from "../diff/builders.js";
import { column, manifestWith, table, tempProject, usersV1, usersV2, usersV3, type TempProject } from "./helpers.js";

let project: TempProject;
beforeEach(() => {
  project = tempProject();
});
afterEach(() => project.remove());

const at = (iso: string) => new Date(iso);

describe("moose migrate generate", () => {
  it("writes the file, its snapshot, snapshot.json and moose.sum; the chain links up", async () => {
    const first = await generateMigration({ projectDir: project.dir, manifest: usersV1, now: at("2026-11-27T08:00:00Z") });
    const second = await generateMigration({ projectDir: project.dir, manifest: usersV2, now: at("2026-11-27T08:00:00Z") });
    expect(first.kind).toBe("written");
    expect(second.kind).toBe("written");
    if (first.kind !== "written" || second.kind !== "written") return;
    expect(first.id).toBe("20261127T080000Z_create_table_users");
    expect(second.id).toBe("20261127T080001Z_add_column_users");
    expect(readdirSync(project.layout.dir).sort()).toEqual([".gitattributes", `${first.id}.ts`, `${second.id}.ts`, "meta", "moose.sum", "snapshot.json"]);
    expect(hashManifest(await readManifest(project.layout.snapshot))).toBe(hashManifest(usersV2));
    expect(hashManifest(await readManifest(path.join(project.layout.metaDir, `${first.id}.json`)))).toBe(hashManifest(usersV1));

    const loaded = await loadMigrations(project.layout);
    expect(loaded.map((migration) => [migration.definition.from, migration.definition.to])).toEqual([
      [EMPTY_MANIFEST_HASH, hashManifest(usersV1)],
      [hashManifest(usersV1), hashManifest(usersV2)],
    ]);
    expect(readFileSync(project.layout.sum, "utf8").split("\n").filter(Boolean)).toHaveLength(3);
  });

  it("says so and writes nothing when the code matches the snapshot", async () => {
    await generateMigration({ projectDir: project.dir, manifest: usersV1 });
    const sumBefore = readFileSync(project.layout.sum, "utf8");
    const result = await generateMigration({ projectDir: project.dir, manifest: usersV1 });
    expect(result.kind).toBe("no-changes");
    expect(readdirSync(project.layout.dir).filter((name) => name.endsWith(".ts"))).toHaveLength(1);
    expect(readFileSync(project.layout.sum, "utf8")).toBe(sumBefore);
  });

  it("refuses data loss without --allow-data-loss and writes nothing; writes it when allowed", async () => {
    await generateMigration({ projectDir: project.dir, manifest: usersV2 });
    const before = readdirSync(project.layout.dir).sort();
    const refused = await generateMigration({ projectDir: project.dir, manifest: usersV3 });
    expect(refused).toMatchObject({ kind: "refused", reason: "data-loss" });
    if (refused.kind === "refused") expect(refused.dataLoss.map((op) => op.kind)).toEqual(["dropColumn"]);
    expect(readdirSync(project.layout.dir).sort()).toEqual(before);
    expect(hashManifest(await readManifest(project.layout.snapshot))).toBe(hashManifest(usersV2));

    const allowed = await generateMigration({ projectDir: project.dir, manifest: usersV3, allowDataLoss: true });
    expect(allowed.kind).toBe("written");
    const [, dropping] = await loadMigrations(project.layout);
    expect(dropping!.definition.up[0]).toMatchObject({ cause: { operation: "dropColumn", risk: "data-loss" } });
  });

  it("refuses blocked changes even with --allow-data-loss", async () => {
    const events = (partitionCount: number): Manifest => ({ ...manifestWith(table("Users", [column("id", "String")])), streams: { Events: build.stream("Events", { partitionCount }) } });
    await generateMigration({ projectDir: project.dir, manifest: events(6) });
    const result = await generateMigration({ projectDir: project.dir, manifest: events(3), allowDataLoss: true });
    expect(result).toMatchObject({ kind: "refused", reason: "blocked" });
  });

  it("DELETION_PROTECTED: writes the additive part, keeps the removed column and table in the snapshot, and has nothing more to do after it", async () => {
    const protect = <T extends object>(spec: T) => ({ ...spec, lifeCycle: "DELETION_PROTECTED" as const });
    const before = manifestWith(protect(table("Users", [column("id", "String"), column("email", "String"), column("name", "String")])), protect(table("Audit", [column("id", "String")])));
    await generateMigration({ projectDir: project.dir, manifest: before, now: at("2026-11-27T08:00:00Z") });
    const code = manifestWith(protect(table("Users", [column("id", "String"), column("name", "String"), column("age", "UInt8")])));
    const result = await generateMigration({ projectDir: project.dir, manifest: code, now: at("2026-11-27T08:00:00Z") });
    expect(result.kind).toBe("written");
    if (result.kind !== "written") return;
    expect(result.plan.operations.map((op) => op.summary)).toEqual(["add column age UInt8 to Users"]);
    expect(result.plan.kept.map((change) => change.summary)).toEqual(["drop table Audit", "drop column Users.email"]);
    // The state says what the database holds: email where it was, Audit as it was.
    const snapshot = await readManifest(project.layout.snapshot);
    expect(snapshot.tables.Users!.columns.map((spec) => spec.name)).toEqual(["id", "email", "name", "age"]);
    expect(snapshot.tables.Audit).toEqual(before.tables.Audit);
    const [, second] = await loadMigrations(project.layout);
    expect(second!.definition.to).toBe(hashManifest(snapshot));
    expect(hashManifest(await readManifest(path.join(project.layout.metaDir, `${result.id}.json`)))).toBe(hashManifest(snapshot));
    // The same code again: only what is kept, which is no change.
    const again = await generateMigration({ projectDir: project.dir, manifest: code });
    expect(again.kind).toBe("no-changes");
    expect(again.plan.kept).toHaveLength(2);

    // Released as the reason says: FULLY_MANAGED, recorded by the next migration made for another change; then the drop is planned.
    expect(again.plan.kept[1]!.reason).toContain("set the table's lifeCycle to FULLY_MANAGED in the code; the next migration made for any other change records that");
    const managed = (columns: ReturnType<typeof column>[]) => manifestWith(table("Users", columns), protect(table("Audit", [column("id", "String")])));
    const unprotected = await generateMigration({ projectDir: project.dir, manifest: managed([column("id", "String"), column("email", "String"), column("name", "String"), column("age", "UInt8"), column("city", "String")]) });
    expect(unprotected.kind).toBe("written");
    const dropped = await generateMigration({ projectDir: project.dir, manifest: managed([column("id", "String"), column("name", "String"), column("age", "UInt8"), column("city", "String")]), allowDataLoss: true });
    expect(dropped.kind === "written" && dropped.plan.operations.map((op) => op.summary)).toEqual(["drop column email from Users"]);
  });

  it("asks about renames through the injected resolver and keeps the data when answered yes", async () => {
    await generateMigration({ projectDir: project.dir, manifest: usersV1 });
    const renamed = manifestWith(table("Users", [column("id", "String"), column("full_name", "String")]));
    const asked: string[] = [];
    const result = await generateMigration({
      projectDir: project.dir,
      manifest: renamed,
      resolveRename: async (candidate) => {
        asked.push(`${candidate.table}.${candidate.from}->${candidate.to}`);
        return true;
      },
    });
    expect(asked).toEqual(["Users.name->full_name"]);
    expect(result.kind).toBe("written");
    if (result.kind === "written") expect(result.plan.operations.map((op) => op.kind)).toEqual(["renameColumn"]);
  });

  it("reports unanswered rename candidates without a resolver (no TTY)", async () => {
    await generateMigration({ projectDir: project.dir, manifest: usersV1 });
    const renamed = manifestWith(table("Users", [column("id", "String"), column("full_name", "String")]));
    const result = await generateMigration({ projectDir: project.dir, manifest: renamed, allowDataLoss: true });
    expect(result.kind === "written" && result.unresolvedRenames).toEqual([{ table: "Users", from: "name", to: "full_name" }]);
  });

  it("takes renames declared up front (--rename)", async () => {
    await generateMigration({ projectDir: project.dir, manifest: usersV1 });
    const renamed = manifestWith(table("Users", [column("id", "String"), column("full_name", "String")]));
    const declared = await generateMigration({ projectDir: project.dir, manifest: renamed, renames: { Users: { name: "full_name" } } });
    expect(declared.kind === "written" && declared.plan.operations.map((op) => op.kind)).toEqual(["renameColumn"]);
  });

  it("with --backfill, a new materialized view over an existing table gets a by-name INSERT … SELECT step in the file", async () => {
    await generateMigration({ projectDir: project.dir, manifest: usersV1 });
    const withView: typeof usersV1 = {
      ...manifestWith(usersV1.tables.Users!, table("NameCounts", [column("name", "String"), column("n", "UInt64")])),
      materializedViews: {
        NameCounts_mv: { name: "NameCounts_mv", sql: "SELECT name, count() AS n FROM Users GROUP BY name", sourceTables: ["Users"], targetTable: "NameCounts", lifeCycle: "FULLY_MANAGED" },
      },
    };
    const result = await generateMigration({ projectDir: project.dir, manifest: withView, backfillMaterializedViews: true });
    expect(result.kind).toBe("written");
    if (result.kind !== "written") return;
    expect(readFileSync(result.file, "utf8")).toContain("INSERT INTO NameCounts (name, n)\nSELECT name, n FROM (\nSELECT name, count() AS n FROM Users GROUP BY name\n)");
  });

  it("uses --name for the slug", async () => {
    const result = await generateMigration({ projectDir: project.dir, manifest: usersV1, name: "Initial schema", now: at("2026-01-01T00:00:00Z") });
    expect(result.kind === "written" && result.id).toBe("20260101T000000Z_initial_schema");
  });

  it("refuses when snapshot.json was edited by hand", async () => {
    await generateMigration({ projectDir: project.dir, manifest: usersV1 });
    await writeFile(project.layout.snapshot, JSON.stringify(usersV2));
    await expect(generateMigration({ projectDir: project.dir, manifest: usersV2 })).rejects.toMatchObject({ code: "MIGRATION_SNAPSHOT_MISMATCH", exitCode: 4 });
  });

  it("`hash` re-sums after a deliberate edit", async () => {
    const result = await generateMigration({ projectDir: project.dir, manifest: usersV1 });
    if (result.kind !== "written") throw new Error("expected a file");
    await writeFile(result.file, readFileSync(result.file, "utf8").replace("up: [", "up: [\n    { sql: `SELECT 1` },"));
    await expect(generateMigration({ projectDir: project.dir, manifest: usersV2 })).rejects.toMatchObject({ code: "MIGRATION_CHECKSUM_MISMATCH" });
    expect(await hashMigrations({ projectDir: project.dir })).toEqual({ files: 1 });
    expect((await generateMigration({ projectDir: project.dir, manifest: usersV2 })).kind).toBe("written");
  });
});

describe("migration steps", () => {
  it("down undoes the operations in reverse order and says where it cannot", () => {
    const plan = diffManifests(usersV1, manifestWith(table("Users", [column("id", "String")]), table("Events", [column("id", "String")])));
    const steps = migrationSteps(plan.operations);
    expect(steps.up).toHaveLength(2);
    expect(steps.down).toHaveLength(2);
    expect(steps.irreversible.join("\n")).toMatch(/Users\.name/);
    const dropIndex = plan.operations.findIndex((op) => op.kind === "dropColumn");
    // down's first step undoes the last up operation
    expect("sql" in steps.down[0]! && steps.down[0].sql).toMatch(dropIndex === 0 ? /DROP TABLE/ : /ADD COLUMN/);
  });

  it("a down step that deletes data is marked data-loss, judged as the inverse change (gated by --allow-data-loss)", () => {
    const cases: Array<[string, Manifest, Manifest]> = [
      // up raises retention, so down lowers it again: the broker deletes the older messages
      ["topic retention", build.manifest({ streams: [build.stream("E", { retentionMs: 3_600_000 })] }), build.manifest({ streams: [build.stream("E", { retentionMs: 86_400_000 })] })],
      // up removes a column TTL, so down sets it again: expired values are dropped
      [
        "column TTL",
        build.manifest({ tables: [build.table("T", [build.column("id", "String"), build.column("at", "DateTime", { ttl: "at + INTERVAL 1 DAY" })])] }),
        build.manifest({ tables: [build.table("T", [build.column("id", "String"), build.column("at", "DateTime")])] }),
      ],
      // up rebuilds without the table TTL, so down's rebuild sets it again
      [
        "table TTL on a rebuild",
        build.manifest({ tables: [build.table("T", [build.column("id", "String"), build.column("at", "DateTime")], { orderBy: ["id"], ttl: "at + INTERVAL 1 DAY" })] }),
        build.manifest({ tables: [build.table("T", [build.column("id", "String"), build.column("at", "DateTime")], { orderBy: ["at"] })] }),
      ],
    ];
    for (const [label, from, to] of cases) {
      const plan = diffManifests(from, to);
      expect(plan.operations.length, label).toBeGreaterThan(0);
      const { down } = migrationSteps(plan.operations);
      expect(down.some((step) => ("sql" in step || "kafka" in step) && step.cause?.risk === "data-loss"), label).toBe(true);
    }
  });

  it("derives a slug from the changes", () => {
    const plan = diffManifests(manifestWith(), manifestWith(table("UserEvents", [column("id", "String")]), table("B", [column("id", "String")])));
    expect(slugFor(plan.operations)).toMatch(/^create_table_(user_events|b)_and_1_more$/);
  });

  it("creates nothing when there is nothing to write: no changes, or a refused plan", async () => {
    expect((await generateMigration({ projectDir: project.dir, manifest: manifestWith() })).kind).toBe("no-changes");
    expect(existsSync(project.layout.dir)).toBe(false);
    const topic = await generateMigration({
      projectDir: project.dir,
      manifest: { ...manifestWith(), streams: { S: { name: "S", partitionCount: 1, retentionMs: 1, config: {}, columns: [], lifeCycle: "FULLY_MANAGED" } } },
    });
    expect(topic.kind).toBe("written");
    // Deleting the topic loses data: refused without --allow-data-loss, and nothing is touched.
    const before = readdirSync(project.layout.dir).sort();
    expect((await generateMigration({ projectDir: project.dir, manifest: manifestWith() })).kind).toBe("refused");
    expect(readdirSync(project.layout.dir).sort()).toEqual(before);
  });

  it("keeps meta/ and moose.sum out of the reviewed diff: .gitattributes marks them generated and -diff, once (a hand-edited one is kept)", async () => {
    expect((await generateMigration({ projectDir: project.dir, manifest: usersV1, now: at("2026-11-27T08:00:00Z") })).kind).toBe("written");
    const attributes = path.join(project.layout.dir, ".gitattributes");
    const text = readFileSync(attributes, "utf8");
    expect(text).toContain("meta/*.json linguist-generated=true -diff");
    expect(text).toContain("moose.sum linguist-generated=true -diff");
    writeFileSync(attributes, "# mine\n");
    expect((await generateMigration({ projectDir: project.dir, manifest: usersV2, now: at("2026-11-27T09:00:00Z") })).kind).toBe("written");
    expect(readFileSync(attributes, "utf8")).toBe("# mine\n");
  });

  it("writes snapshot.json in review form: the same state, each column (any all-scalar object) on one line", async () => {
    const written = await generateMigration({ projectDir: project.dir, manifest: usersV2, now: at("2026-11-27T08:00:00Z") });
    expect(written.kind).toBe("written");
    const text = readFileSync(project.layout.snapshot, "utf8");
    expect(hashManifest(JSON.parse(text) as Manifest)).toBe(hashManifest(usersV2));
    expect(JSON.parse(text)).toEqual(JSON.parse(canonicalManifestJson(usersV2)));
    for (const column of usersV2.tables.Users!.columns) {
      expect(text).toContain(`{ "name": ${JSON.stringify(column.name)}, "nullable": ${column.nullable}, "type": ${JSON.stringify(column.type)} }`);
    }
    expect(snapshotJson(usersV2)).toBe(text);
  });
});

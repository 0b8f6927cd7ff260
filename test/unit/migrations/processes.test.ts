/** Stream processes through the migration history: generate, the chain's checks, snapshot and meta files, rebase. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashManifest, readManifest } from "../../../src/manifest/canonical.js";
import type { Manifest } from "../../../src/manifest/types.js";
import { openMigrationsDirectory } from "../../../src/migrations/directory.js";
import { generateMigration } from "../../../src/migrations/generate.js";
import { rebaseMigrations } from "../../../src/migrations/rebase.js";
import { stream, sync, transform } from "../diff/builders.js";
import { tempProject, usersV1, writeHandMigration, type TempProject } from "./helpers.js";

let project: TempProject;
beforeEach(() => {
  project = tempProject();
});
afterEach(() => project.remove());

function withProcesses(code: string): Manifest {
  const manifest = structuredClone(usersV1);
  manifest.streams = { UserEvents: stream("UserEvents", { destination: "Users" }), Enriched: stream("Enriched") };
  manifest.processes = { "sync:UserEvents->Users": sync("UserEvents", "Users"), "transform:UserEvents->Enriched": transform("UserEvents", "Enriched", code) };
  return manifest;
}

describe("processes in the migration history", () => {
  it("are written as notes, kept in snapshot and meta files, and the chain verifies", async () => {
    await generateMigration({ projectDir: project.dir, manifest: usersV1, now: new Date("2026-01-01T00:00:00Z") });
    const result = await generateMigration({ projectDir: project.dir, manifest: withProcesses("a"), now: new Date("2026-01-02T00:00:00Z") });
    if (result.kind !== "written") throw new Error(`expected a file, got ${result.kind}`);
    expect(result.plan.operations.map((op) => op.kind)).toEqual(["createTopic", "createTopic", "addProcess", "addProcess"]);
    const chain = await openMigrationsDirectory(project.layout);
    expect(chain.at(-1)!.definition.up.filter((step) => "note" in step)).toEqual([
      { note: "sync process UserEvents -> Users (sync:UserEvents->Users) added" },
      { note: "transform process UserEvents -> Enriched (transform:UserEvents->Enriched) added" },
    ]);
    const snapshot = await readManifest(project.layout.snapshot);
    expect(snapshot.processes).toEqual(withProcesses("a").processes);
    expect(hashManifest(snapshot)).toBe(hashManifest(withProcesses("a")));
    const again = await generateMigration({ projectDir: project.dir, manifest: withProcesses("a"), now: new Date("2026-01-03T00:00:00Z") });
    expect(again.kind).toBe("no-changes");
  });

  it("rebase regenerates a process change on top of the history merged from another branch", async () => {
    await generateMigration({ projectDir: project.dir, manifest: withProcesses("a"), now: new Date("2026-01-01T00:00:00Z") });
    const ours = await generateMigration({ projectDir: project.dir, manifest: withProcesses("b"), now: new Date("2026-01-03T00:00:00Z") });
    if (ours.kind !== "written") throw new Error("expected a file");
    expect(ours.plan.operations.map((op) => op.kind)).toEqual(["updateProcess"]);
    // The other branch added a consumer, from the same state.
    const theirs = withProcesses("a");
    theirs.processes["consumer:Enriched"] = { kind: "consumer", source: "Enriched", codeHash: "d".repeat(64) };
    await writeHandMigration(project.layout, "20260102T000000Z_add_consumer", {
      from: hashManifest(withProcesses("a")),
      after: theirs,
      up: '    { note: "consumer process Enriched consumer (consumer:Enriched) added" },',
    });
    const merged = withProcesses("b");
    merged.processes["consumer:Enriched"] = theirs.processes["consumer:Enriched"]!;
    const rebase = await rebaseMigrations({ projectDir: project.dir, manifest: merged, now: new Date("2026-01-04T00:00:00Z") });
    if (rebase.result.kind !== "written") throw new Error(`expected a file, got ${rebase.result.kind}`);
    expect(rebase.result.plan.operations.map((op) => [op.kind, op.summary])).toEqual([
      ["updateProcess", `update transform process UserEvents -> Enriched: code ${"a".repeat(8)} → ${"b".repeat(8)}`],
    ]);
    expect((await openMigrationsDirectory(project.layout)).map((migration) => migration.id)).toHaveLength(3);
    expect(hashManifest(await readManifest(project.layout.snapshot))).toBe(hashManifest(merged));
  });
});

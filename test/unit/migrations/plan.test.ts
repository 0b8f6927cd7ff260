import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateMigration } from "../../../src/migrations/generate.js";
import { loadMigrations, type LoadedMigration } from "../../../src/migrations/load.js";
import type { JournalEntry, JournalStatus } from "../../../src/migrations/runner/journal.js";
import { judgePlanned } from "../../../src/migrations/runner/judge.js";
import { doneHash, planDown, planUp, refuseDataLoss, verifyAgainstJournal } from "../../../src/migrations/runner/plan.js";
import { tempProject, usersV1, usersV2, usersV3, type TempProject } from "./helpers.js";

let project: TempProject;
let migrations: LoadedMigration[];

beforeAll(async () => {
  project = tempProject();
  for (const [index, manifest] of [usersV1, usersV2, usersV3].entries()) {
    await generateMigration({ projectDir: project.dir, manifest, allowDataLoss: true, now: new Date(Date.UTC(2026, 0, index + 1)) });
  }
  migrations = await loadMigrations(project.layout);
});
afterAll(() => project.remove());

function entry(migration: LoadedMigration, status: JournalStatus, stepsDone = migration.definition.up.length, overrides: Partial<JournalEntry> = {}): [string, JournalEntry] {
  return [
    migration.id,
    {
      id: migration.id,
      checksum: migration.checksum,
      from: migration.definition.from,
      to: migration.definition.to,
      status,
      stepsDone,
      doneHash: doneHash(migration.definition.up, stepsDone),
      startedAt: 0,
      finishedAt: 0,
      durationMs: 0,
      appliedBy: "test",
      error: "",
      failedStep: "",
      version: 1n,
      ...overrides,
    },
  ];
}

describe("planning a run against the journal", () => {
  it("picks the pending migrations in order, up to --to", () => {
    const journal = new Map([entry(migrations[0]!, "applied")]);
    expect(planUp(project.layout, migrations, journal).map((item) => item.migration.id)).toEqual([migrations[1]!.id, migrations[2]!.id]);
    expect(planUp(project.layout, migrations, journal, migrations[1]!.id).map((item) => item.migration.id)).toEqual([migrations[1]!.id]);
    expect(planUp(project.layout, migrations, journal, migrations[0]!.id)).toEqual([]);
    expect(() => planUp(project.layout, migrations, journal, "nope")).toThrow(expect.objectContaining({ code: "MIGRATION_UNKNOWN", exitCode: 2 }));
  });

  it("resumes a failed migration at the failed step when the steps before it are unchanged", () => {
    const journal = new Map([entry(migrations[0]!, "failed", 0)]);
    expect(planUp(project.layout, migrations, journal)[0]!.resumeAt).toBe(0);
    const multi = { ...migrations[0]!, definition: { ...migrations[0]!.definition, up: [{ sql: "SELECT 1" }, { sql: "SELECT 2" }] } };
    const resumed = new Map([entry(multi, "failed", 1)]);
    expect(planUp(project.layout, [multi], resumed)[0]!.resumeAt).toBe(1);
    const edited = { ...multi, definition: { ...multi.definition, up: [{ sql: "SELECT 'changed'" }, { sql: "SELECT 2" }] } };
    expect(() => planUp(project.layout, [edited], resumed)).toThrow(expect.objectContaining({ code: "MIGRATION_APPLIED_MODIFIED", exitCode: 4 }));
  });

  it("refuses an applied file whose checksum differs from the journal", () => {
    const journal = new Map([entry(migrations[0]!, "applied", 1, { checksum: "0".repeat(64) })]);
    expect(() => verifyAgainstJournal(project.layout, migrations, journal)).toThrow(
      expect.objectContaining({ code: "MIGRATION_APPLIED_MODIFIED", exitCode: 4, message: expect.stringContaining(migrations[0]!.fileName) }),
    );
  });

  it("refuses an applied migration whose file is gone", () => {
    const journal = new Map([entry(migrations[0]!, "applied"), entry({ ...migrations[1]!, id: "20250101T000000Z_gone" }, "applied")]);
    expect(() => verifyAgainstJournal(project.layout, migrations, journal)).toThrow(expect.objectContaining({ code: "MIGRATION_APPLIED_MISSING", exitCode: 4 }));
  });

  it("refuses when the database skipped a file the chain has", () => {
    const journal = new Map([entry(migrations[1]!, "applied")]);
    expect(() => verifyAgainstJournal(project.layout, migrations, journal)).toThrow(expect.objectContaining({ code: "MIGRATION_CHAIN_GAP", exitCode: 4 }));
  });

  it("plans down newest first: one by default, --steps n, or back to --to", () => {
    const journal = new Map(migrations.map((migration) => entry(migration, "applied")));
    expect(planDown(project.layout, migrations, journal, {}).map((item) => item.migration.id)).toEqual([migrations[2]!.id]);
    expect(planDown(project.layout, migrations, journal, { steps: 2 }).map((item) => item.migration.id)).toEqual([migrations[2]!.id, migrations[1]!.id]);
    expect(planDown(project.layout, migrations, journal, { to: migrations[0]!.id }).map((item) => item.migration.id)).toEqual([migrations[2]!.id, migrations[1]!.id]);
    expect(() => planDown(project.layout, migrations, new Map(), { to: migrations[0]!.id })).toThrow(expect.objectContaining({ code: "MIGRATION_NOT_APPLIED" }));
  });

  it("refuses data-deleting steps with exit 3, listing them", async () => {
    const planned = await judgePlanned(project.layout, planUp(project.layout, migrations, new Map()));
    expect(() => refuseDataLoss(project.layout, planned)).toThrow(
      expect.objectContaining({ code: "MIGRATION_DESTRUCTIVE", exitCode: 3, message: expect.stringContaining(migrations[2]!.fileName) }),
    );
    expect(() => refuseDataLoss(project.layout, planned.slice(0, 2))).not.toThrow();
  });
});

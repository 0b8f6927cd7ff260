import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bothReporters, logMigrationEvents } from "../../../src/logs/migration-events.js";
import { readLogSnapshot } from "../../../src/logs/read.js";
import type { MigrationEvent } from "../../../src/migrations/runner/events.js";

describe("logMigrationEvents", () => {
  let projectDir: string;
  beforeEach(() => {
    projectDir = mkdtempSync(join(tmpdir(), "moose-migration-log-"));
  });
  afterEach(() => rmSync(projectDir, { recursive: true, force: true }));

  it("logs migrations and their steps with durations, and skips dry-run events", () => {
    const seen: string[] = [];
    const report = bothReporters(logMigrationEvents(projectDir), (event) => seen.push(event.type));
    const events: MigrationEvent[] = [
      { type: "planned", direction: "up", id: "m1", resumeAt: 0, steps: [] },
      { type: "migration-started", direction: "up", id: "m1", resumeAt: 0, steps: 2 },
      { type: "step-done", direction: "up", id: "m1", index: 0, steps: 2, kind: "sql", summary: "CREATE TABLE Users", ms: 12, stateOnly: false },
      { type: "migration-failed", direction: "up", id: "m1", index: 1, summary: "ALTER TABLE Users", error: "password=hunter2 rejected", ms: 30 },
    ];
    events.forEach(report);
    expect(seen).toEqual(["planned", "migration-started", "step-done", "migration-failed"]);
    const records = readLogSnapshot(projectDir).records;
    expect(records.map((record) => [record.kind, record.level, record.message])).toEqual([
      ["migration", "info", "applying m1 started"],
      ["step", "info", "m1 step 1/2 [sql] CREATE TABLE Users"],
      ["migration", "error", "applying m1 failed at step 2: ALTER TABLE Users"],
    ]);
    expect(records[1].durationMs).toBe(12);
    expect(JSON.stringify(records)).not.toContain("hunter2");
  });
});

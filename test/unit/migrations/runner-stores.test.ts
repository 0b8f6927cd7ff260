/**
 * The runner over the in-memory journal and lock stores (no database): the lease fence (a lapse
 * during a long step, failed renewals, a broken lock), a release error never hiding the step's
 * error, failed journal writes, two runners racing for the lock, and the journal/state integrity
 * checks with `--repair` (repairHistory).
 */
import { rmSync, writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { hashManifest, writeManifest } from "../../../src/manifest/canonical.js";
import { metaPath } from "../../../src/migrations/layout.js";
import { applyMigrations, type RunOptions } from "../../../src/migrations/runner/apply.js";
import type { MigrationEvent } from "../../../src/migrations/runner/events.js";
import { historyProblem, repairHistory } from "../../../src/migrations/runner/history.js";
import type { JournalEntry } from "../../../src/migrations/runner/journal.js";
import { MigrationLock } from "../../../src/migrations/runner/lock.js";
import { MemoryJournalStore, MemoryLockStore } from "../../../src/migrations/runner/memory.js";
import { tempProject, usersV1, usersV2, writeHandMigration, type TempProject } from "./helpers.js";

/** What the migration files' `run` steps call (they are compiled and imported in this process). */
interface Hooks {
  log: string[];
  step(name: string): Promise<void>;
}
const hooks: Hooks = { log: [], step: async () => {} };
(globalThis as { __runnerTest?: Hooks }).__runnerTest = hooks;

const FIRST = "20260101T000000Z_steps";
const SECOND = "20260102T000000Z_more";

/** A driver nothing may use: these tests' steps are `run` steps that only call the hooks. */
const driver: ClickHouseDriver = {
  kind: "embedded",
  database: "memory",
  exec: async () => {
    throw new Error("no database in this test");
  },
  query: async () => {
    throw new Error("no database in this test");
  },
  queryCompact: async () => {
    throw new Error("no database in this test");
  },
  insert: async () => {
    throw new Error("no database in this test");
  },
  introspect: async () => {
    throw new Error("no database in this test");
  },
  close: async () => {},
};

function runStep(name: string): string {
  return `    { summary: "step ${name}", run: async () => { const hooks = (globalThis as any).__runnerTest; hooks.log.push("${name}"); await hooks.step("${name}"); } },`;
}

let project: TempProject;
/** Fake monotonic clock (ms) for the lease fence and the in-memory lease ends. */
let now: number;
const clock = () => now;
let journal: MemoryJournalStore;
let lockStore: MemoryLockStore;

beforeEach(async () => {
  project = tempProject("moose-runner-stores-");
  now = 1_000_000;
  journal = new MemoryJournalStore();
  lockStore = new MemoryLockStore(clock);
  hooks.log = [];
  hooks.step = async () => {};
  await writeHandMigration(project.layout, FIRST, { after: usersV1, up: ["a", "b", "c"].map(runStep).join("\n") });
});
afterEach(() => {
  vi.restoreAllMocks();
  project.remove();
});

function options(extra: Partial<RunOptions> = {}): RunOptions & { events: MigrationEvent[] } {
  const events: MigrationEvent[] = [];
  return {
    projectDir: project.dir,
    driver,
    stores: { journal, lock: lockStore },
    // No timer renewals unless a test asks for them (renewEveryMs); the lease: 60 s, margin 10 s.
    lock: { clock, leaseSeconds: 60, timeoutMs: 5_000, renewEveryMs: 3_600_000 },
    reporter: (event) => events.push(event),
    events,
    ...extra,
  };
}

function current(id: string): JournalEntry | undefined {
  return [...journal.rows].reverse().find((row) => row.id === id);
}

async function secondMigration(): Promise<void> {
  await writeHandMigration(project.layout, SECOND, { from: hashManifest(usersV1), after: usersV2, up: ["d", "e"].map(runStep).join("\n") });
}

describe("the lease fence", () => {
  it("a lease that may have lapsed during a long step stops the run before the next step; the next run resumes there", async () => {
    hooks.step = async (name) => {
      if (name === "a") now += 51_000; // past lease 60 s − margin 10 s, with no renewal in between
    };
    const error = await applyMigrations(options()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_LOCK_EXPIRED", exitCode: 1, message: expect.stringContaining("last confirmed 51 s ago") });
    expect(hooks.log).toEqual(["a"]);
    expect(current(FIRST)).toMatchObject({ status: "running", stepsDone: 1 });
    expect(journal.states).toEqual([]);
    expect(lockStore.holders()).toEqual([]); // released

    hooks.step = async () => {};
    const resumed = options();
    expect((await applyMigrations(resumed)).migrations).toEqual([FIRST]);
    expect(resumed.events[0]).toMatchObject({ type: "migration-started", resumeAt: 1 });
    expect(hooks.log).toEqual(["a", "b", "c"]);
    expect(current(FIRST)).toMatchObject({ status: "applied", stepsDone: 3 });
  });

  it("just inside the lease (minus the margin) the run goes on", async () => {
    hooks.step = async (name) => {
      if (name === "a") now += 49_000;
    };
    expect((await applyMigrations(options())).migrations).toEqual([FIRST]);
    expect(hooks.log).toEqual(["a", "b", "c"]);
  });

  it("a long step is fine while renewals succeed", async () => {
    hooks.step = async (name) => {
      if (name !== "a") return;
      now += 51_000;
      await new Promise((resolve) => setTimeout(resolve, 60)); // renewals every 5 ms confirm the lease at the new time
    };
    const run = options();
    run.lock = { ...run.lock, renewEveryMs: 5 };
    expect((await applyMigrations(run)).migrations).toEqual([FIRST]);
    expect(hooks.log).toEqual(["a", "b", "c"]);
  });

  it("failed renewals: the lease lapses and the error names the renewal's failure", async () => {
    const renew = vi.spyOn(lockStore, "renew").mockRejectedValue(new Error("connection reset by peer"));
    hooks.step = async (name) => {
      if (name !== "a") return;
      now += 51_000;
      await new Promise((resolve) => setTimeout(resolve, 60));
    };
    const run = options();
    run.lock = { ...run.lock, renewEveryMs: 5 };
    const error = await applyMigrations(run).catch((caught: unknown) => caught);
    expect(renew).toHaveBeenCalled();
    expect(error).toMatchObject({ code: "MIGRATION_LOCK_EXPIRED", message: expect.stringContaining("connection reset by peer") });
    expect((error as { hint: string }).hint).toContain("resumes there");
    expect(hooks.log).toEqual(["a"]);
    expect(current(FIRST)).toMatchObject({ status: "running", stepsDone: 1 });
  });

  it("a lock broken while the run holds it (a renewal finds it gone) → MIGRATION_LOCK_LOST before the next step", async () => {
    hooks.step = async (name) => {
      if (name !== "a") return;
      for (const attempt of lockStore.attempts) attempt.released = true; // `moose migrate unlock`
      await new Promise((resolve) => setTimeout(resolve, 60));
    };
    const run = options();
    run.lock = { ...run.lock, renewEveryMs: 5 };
    await expect(applyMigrations(run)).rejects.toMatchObject({ code: "MIGRATION_LOCK_LOST" });
    expect(hooks.log).toEqual(["a"]);
  });

  it("MigrationLock.assertHeld: held until confirmed + lease − margin, by the holder's own clock", async () => {
    const lock = await MigrationLock.acquire(lockStore, { clock, leaseSeconds: 30, safetyMarginMs: 5_000, renewEveryMs: 3_600_000 });
    now += 24_999;
    expect(() => lock.assertHeld()).not.toThrow();
    now += 2;
    expect(() => lock.assertHeld()).toThrow(expect.objectContaining({ code: "MIGRATION_LOCK_EXPIRED" }));
    await lock.renew();
    expect(() => lock.assertHeld()).not.toThrow();
    await lock.release();
    expect(lockStore.holders()).toEqual([]);
  });
});

describe("release and journal failures", () => {
  it("a failed release after a failed step: the step's error is what surfaces, saying the lock stays claimed and how it gets free", async () => {
    vi.spyOn(lockStore, "release").mockRejectedValue(new Error("release: network down"));
    hooks.step = async (name) => {
      if (name === "b") throw new Error("boom in step b");
    };
    const error = await applyMigrations(options()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_STEP_FAILED", message: expect.stringContaining("boom in step b") });
    const { hint } = error as { hint: string };
    expect(hint).toContain("fix the cause (the step is journaled as failed)");
    expect(hint).toContain("the migration lock could not be released either (release: network down)");
    expect(hint).toContain("until its lease runs out (60 s)");
    expect(hint).toContain("`moose migrate unlock` breaks it");
    expect(current(FIRST)).toMatchObject({ status: "failed", stepsDone: 1, failedStep: "step b" });
  });

  it("a failed release after a bug (not a MooseError): the bug surfaces with its stack, and its message says the lock stays claimed", async () => {
    vi.spyOn(lockStore, "release").mockRejectedValue(new Error("release: network down"));
    const bug = new TypeError("cannot read the journal");
    vi.spyOn(journal, "entries").mockRejectedValue(bug);
    const error = await applyMigrations(options()).catch((caught: unknown) => caught);
    expect(error).toBe(bug);
    expect(bug.message).toContain("cannot read the journal");
    expect(bug.message).toContain("the migration lock could not be released either (release: network down)");
    expect(bug.message).toContain("`moose migrate unlock` breaks it");
  });

  it("a failed release after a successful run is reported, with what was applied", async () => {
    vi.spyOn(lockStore, "release").mockRejectedValue(new Error("release: network down"));
    const error = await applyMigrations(options()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_LOCK_RELEASE_FAILED", message: expect.stringContaining("release: network down") });
    expect(current(FIRST)).toMatchObject({ status: "applied" });
  });

  it("a failed journal write after a step stops the run; the next run resumes at that step", async () => {
    const record = journal.record.bind(journal);
    let calls = 0;
    // Rows: started (0), after a (1), after b (2) ← fails, …
    vi.spyOn(journal, "record").mockImplementation(async (entry) => {
      if (++calls === 3) throw new Error("insert timed out");
      return record(entry);
    });
    const error = await applyMigrations(options()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_JOURNAL_WRITE_FAILED", message: expect.stringContaining("step 2 of 3 ran") });
    expect((error as Error).message).toContain("insert timed out");
    expect(hooks.log).toEqual(["a", "b"]);
    expect(current(FIRST)).toMatchObject({ status: "running", stepsDone: 1 });

    const resumed = options();
    await applyMigrations(resumed);
    expect(resumed.events[0]).toMatchObject({ type: "migration-started", resumeAt: 1 });
    expect(hooks.log).toEqual(["a", "b", "b", "c"]);
    expect(current(FIRST)).toMatchObject({ status: "applied" });
  });

  it("a failed step whose failure cannot be journaled either: the step's error surfaces", async () => {
    const record = journal.record.bind(journal);
    vi.spyOn(journal, "record").mockImplementation(async (entry) => {
      if (entry.status === "failed") throw new Error("journal unreachable");
      return record(entry);
    });
    hooks.step = async (name) => {
      if (name === "b") throw new Error("boom in step b");
    };
    const error = await applyMigrations(options()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_STEP_FAILED", message: expect.stringContaining("boom in step b") });
    expect((error as { hint: string }).hint).toContain("could not be journaled");
  });

  it("the final journal row fails after the state was written: the next run is not refused, repeats the last step and finishes", async () => {
    const record = journal.record.bind(journal);
    let failOnce = true;
    vi.spyOn(journal, "record").mockImplementation(async (entry) => {
      if (entry.status === "applied" && failOnce) {
        failOnce = false;
        throw new Error("insert timed out");
      }
      return record(entry);
    });
    await expect(applyMigrations(options())).rejects.toMatchObject({ code: "MIGRATION_JOURNAL_WRITE_FAILED" });
    expect(journal.states.at(-1)?.migrationId).toBe(FIRST);
    expect(current(FIRST)).toMatchObject({ status: "running", stepsDone: 2 });
    expect((await applyMigrations(options())).migrations).toEqual([FIRST]);
    expect(hooks.log).toEqual(["a", "b", "c", "c"]);
    expect(current(FIRST)).toMatchObject({ status: "applied" });
  });
});

describe("two runners racing for the lock", () => {
  it("never hold it at once", async () => {
    let inside = 0;
    let most = 0;
    const contender = async () => {
      const lock = await MigrationLock.acquire(lockStore, { clock, timeoutMs: 20_000, renewEveryMs: 3_600_000 });
      inside++;
      most = Math.max(most, inside);
      await new Promise((resolve) => setTimeout(resolve, 10));
      inside--;
      await lock.release();
    };
    await Promise.all([contender(), contender(), contender(), contender()]);
    expect(most).toBe(1);
    expect(lockStore.holders()).toEqual([]);
  });

  it("one applies; the other waits, then finds nothing to do; every step runs once", async () => {
    hooks.step = async (name) => {
      if (name === "a") await new Promise((resolve) => setTimeout(resolve, 150));
    };
    const first = options();
    const second = options();
    const results = await Promise.all([applyMigrations(first), applyMigrations(second)]);
    expect(results.map((result) => result.migrations).sort()).toEqual([[], [FIRST]]);
    expect(hooks.log).toEqual(["a", "b", "c"]);
    const waiter = results[0]!.migrations.length === 0 ? first : second;
    // The other only waited (when it came while the first held the lock) and found nothing to do.
    const types = waiter.events.map((event) => event.type);
    expect(types.every((type) => type === "lock-waiting" || type === "nothing-to-do")).toBe(true);
    expect(types.at(-1)).toBe("nothing-to-do");
  });
});

describe("journal and state integrity", () => {
  it("a dropped journal with a state → refused (exit 4, naming --repair), nothing runs; repair rebuilds it; then nothing to do", async () => {
    await secondMigration();
    await applyMigrations(options());
    expect(hooks.log).toEqual(["a", "b", "c", "d", "e"]);
    journal.dropJournal();

    const error = await applyMigrations(options()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_JOURNAL_MISSING", exitCode: 4, message: expect.stringContaining(SECOND) });
    expect((error as { hint: string }).hint).toContain("moose migrate status --repair");
    await expect(applyMigrations({ ...options(), dryRun: true })).rejects.toMatchObject({ code: "MIGRATION_JOURNAL_MISSING" });
    expect(hooks.log).toHaveLength(5);

    const repair = await repairHistory({ projectDir: project.dir, stores: { journal, lock: lockStore }, lock: { clock } });
    expect(repair.markedApplied).toEqual([FIRST, SECOND]);
    expect(repair.stateRecorded).toBeUndefined();
    expect(repair.actions.join("\n")).toContain("marked 2 migrations applied");
    expect(current(SECOND)).toMatchObject({ status: "applied", stepsDone: 2, appliedBy: expect.stringContaining("(repair)") });

    const again = options();
    expect((await applyMigrations(again)).migrations).toEqual([]);
    expect(again.events).toEqual([{ type: "nothing-to-do", direction: "up" }]);
    expect(hooks.log).toHaveLength(5);
    expect((await repairHistory({ projectDir: project.dir, stores: { journal, lock: lockStore } })).actions).toEqual([]);
  });

  it("a journal saying migrations are applied but no state → refused; repair records the state from the meta file", async () => {
    await applyMigrations(options());
    journal.states.length = 0;
    await expect(applyMigrations(options())).rejects.toMatchObject({ code: "MIGRATION_HISTORY_MISMATCH", exitCode: 4, message: expect.stringContaining("has no state") });
    const repair = await repairHistory({ projectDir: project.dir, stores: { journal, lock: lockStore } });
    expect(repair).toMatchObject({ markedApplied: [], stateRecorded: FIRST });
    expect(journal.states.at(-1)).toMatchObject({ migrationId: FIRST, hash: hashManifest(usersV1) });
    expect((await applyMigrations(options())).migrations).toEqual([]);
  });

  it("journal and state disagreeing on the last applied migration → refused", async () => {
    await secondMigration();
    await applyMigrations(options());
    journal.states.push({ ...journal.states[0]!, version: 99n }); // the state says FIRST again
    const error = await applyMigrations(options()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_HISTORY_MISMATCH", exitCode: 4 });
    expect((error as Error).message).toContain(`last applied migration is ${SECOND}`);
    expect((error as Error).message).toContain(`at ${FIRST}`);
    // The later of the two wins: the state is recorded again after SECOND.
    expect(await repairHistory({ projectDir: project.dir, stores: { journal, lock: lockStore } })).toMatchObject({ markedApplied: [], stateRecorded: SECOND });
  });

  it("historyProblem accepts the state one write ahead of an interrupted finish, up and down", () => {
    const entry = (id: string, status: JournalEntry["status"]) => [id, { id, status } as JournalEntry] as const;
    const migrations = [{ id: FIRST }, { id: SECOND }] as never;
    const state = (migrationId: string) => ({ migrationId, hash: "h" });
    expect(historyProblem(migrations, new Map([entry(FIRST, "applied"), entry(SECOND, "running")]), state(SECOND))).toBeUndefined();
    expect(historyProblem(migrations, new Map([entry(FIRST, "applied"), entry(SECOND, "reverting")]), state(FIRST))).toBeUndefined();
    expect(historyProblem(migrations, new Map([entry(FIRST, "reverting")]), state(""))).toBeUndefined();
    // …but not a state two migrations ahead, nor a journal row that is missing.
    expect(historyProblem(migrations, new Map([entry(SECOND, "running")]), state(SECOND))?.code).toBe("MIGRATION_JOURNAL_MISSING");
    expect(historyProblem(migrations, new Map([entry(FIRST, "applied"), entry(SECOND, "failed")]), state(""))?.code).toBe("MIGRATION_HISTORY_MISMATCH");
    expect(historyProblem(migrations, new Map(), state(FIRST))?.code).toBe("MIGRATION_JOURNAL_MISSING");
    expect(historyProblem(migrations, new Map(), undefined)).toBeUndefined();
  });
});

describe("meta files and snapshot.json against the chain", () => {
  it("a meta file that does not hash to its migration's `to` → up refuses (exit 4) before running anything", async () => {
    await writeManifest(metaPath(project.layout, FIRST), usersV2);
    await expect(applyMigrations(options())).rejects.toMatchObject({ code: "MIGRATION_SNAPSHOT_MISMATCH", exitCode: 4 });
    rmSync(metaPath(project.layout, FIRST));
    await expect(applyMigrations(options())).rejects.toMatchObject({ code: "MIGRATION_SNAPSHOT_MISMATCH", exitCode: 4, message: expect.stringContaining("is missing") });
    expect(hooks.log).toEqual([]);
  });

  it("snapshot.json that is not the newest meta → up refuses (exit 4), also when everything is applied", async () => {
    await applyMigrations(options());
    writeFileSync(project.layout.snapshot, JSON.stringify(usersV2));
    const error = await applyMigrations(options()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_SNAPSHOT_MISMATCH", exitCode: 4, message: expect.stringContaining("snapshot.json") });
    expect((error as Error).message).toContain(FIRST);
  });
});

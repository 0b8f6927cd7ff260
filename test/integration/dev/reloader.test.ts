/**
 * One reload against the real embedded ClickHouse, with the extractor replaced by a list of
 * manifests (the extraction itself is tested in test/integration/extract): what is printed, what
 * is applied, what the state and the draft become.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DraftWriter } from "../../../src/dev/draft.js";
import type { DevOutput } from "../../../src/dev/output.js";
import { Reloader, type DataLossPolicy } from "../../../src/dev/reload.js";
import { DevStateStore, readAppliedTruth, stateRecord } from "../../../src/dev/state.js";
import { Journal } from "../../../src/migrations/runner/journal.js";
import { canonicalJson, hashManifest } from "../../../src/manifest/canonical.js";
import { MooseError } from "../../../src/errors.js";
import type { IncrementalExtractor } from "../../../src/extract/index.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import type { RawClickHouseDriver } from "../../../src/infra/clickhouse/raw.js";
import { writeManifest } from "../../../src/manifest/canonical.js";
import { emptyManifest, type Manifest, type TableSpec } from "../../../src/manifest/types.js";
import { column, stream, table, view } from "../../unit/diff/builders.js";

const projectDir = mkdtempSync(path.join(tmpdir(), "moose-dev-reloader-"));
let driver: RawClickHouseDriver;
let store: DevStateStore;

/** What the next extract() returns (or throws). */
let next: Manifest | Error = emptyManifest();
const extractor: IncrementalExtractor = {
  extract: async () => {
    if (next instanceof Error) throw next;
    return next;
  },
  close: () => {},
};

const printed = { info: [] as string[], error: [] as string[] };
const output = (color: boolean): DevOutput => ({ info: (text) => printed.info.push(text), error: (text) => printed.error.push(text), color });

function manifest(tables: TableSpec[], extra: Partial<Manifest> = {}): Manifest {
  const result = { ...emptyManifest(), ...extra };
  for (const spec of tables) result.tables[spec.name] = spec;
  return result;
}

function reloader(
  options: { initialState?: Manifest; streaming?: boolean; color?: boolean; dataLoss?: DataLossPolicy; superseded?: () => boolean; draftDelayMs?: number } = {},
): Reloader {
  const created = new Reloader({
    projectDir,
    streaming: options.streaming ?? false,
    extractor,
    store,
    targets: { clickhouse: driver, log: () => {}, allowDataLoss: true },
    draft: new DraftWriter(projectDir),
    output: output(options.color ?? false),
    initialState: options.initialState ?? emptyManifest(),
    dataLoss: options.dataLoss,
    superseded: options.superseded,
    draftDelayMs: options.draftDelayMs,
  });
  reloaders.push(created);
  return created;
}

/** Every test's reloaders write their pending drafts before the next test looks at migrations/. */
const reloaders: Reloader[] = [];
afterEach(async () => {
  for (const created of reloaders.splice(0)) await created.flushDraft();
});

const users = (...extra: string[]) => table("Users", [column("id", "String"), ...extra.map((name) => column(name, "String"))]);

beforeAll(async () => {
  driver = await openEmbedded({ dataDir: path.join(projectDir, ".moose", "clickhouse"), database: "local" });
  store = await DevStateStore.open(driver);
});

afterAll(async () => {
  await driver?.close();
  rmSync(projectDir, { recursive: true, force: true });
});

describe("Reloader", () => {
  it("applies the plan, prints it and one timed line, saves the state and writes the draft", async () => {
    printed.info.length = 0;
    next = manifest([users("email")]);
    const dev = reloader();
    const report = await dev.reload("reload");
    expect(report.kind).toBe("applied");
    const text = printed.info.join("\n");
    expect(text).toContain("+ Users (OLAP Table)");
    expect(text).toMatch(/✓ reload in \d+ ms: 1 change applied/);
    expect((await store.load()).manifest).toEqual(next);
    // The draft is written after the reload, out of the way of the queries that follow a save.
    const draftFile = path.join(projectDir, "migrations", "draft.ts");
    expect(existsSync(draftFile)).toBe(false);
    await dev.flushDraft();
    expect(readFileSync(draftFile, "utf8")).toContain("create table Users");
  });

  it("a restarted dev leaves the draft of the same change as it is (not rewritten), and names it once", async () => {
    const draftFile = path.join(projectDir, "migrations", "draft.ts");
    const written = readFileSync(draftFile, "utf8");
    utimesSync(draftFile, new Date(0), new Date(0));
    printed.info.length = 0;
    next = manifest([users("email")]);
    const dev = reloader({ initialState: next });
    expect((await dev.reload("initial build")).kind).toBe("unchanged");
    await dev.flushDraft();
    expect(statSync(draftFile).mtimeMs).toBe(0);
    expect(readFileSync(draftFile, "utf8")).toBe(written);
    expect(written).toMatch(/^ \* Draft of [0-9a-f]{64} → [0-9a-f]{64} by moose-ts \S+\.$/m);
    expect(printed.info.filter((line) => line.startsWith("migrations/draft.ts holds the change"))).toHaveLength(1);
  });

  it("prints data loss in red when colour is on, and applies it", async () => {
    printed.info.length = 0;
    next = manifest([users()]);
    await reloader({ initialState: manifest([users("email")]), color: true }).reload("reload");
    expect(printed.info.join("\n")).toContain("\u001b[31m  ✖ data loss applied locally: drop column email from Users\u001b[0m");
    const columns = await driver.query<{ name: string }>("SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'Users'");
    expect(columns.map((row) => row.name)).toEqual(["id"]);
  });

  it("a build error is printed with its location; nothing is applied and the state stays", async () => {
    printed.error.length = 0;
    const before = (await store.load()).manifest;
    next = new MooseError("UNSUPPORTED_TYPE", "bigint has no ClickHouse column type", { location: { file: "app/index.ts", line: 4, col: 3 }, hint: "use Int64" });
    const dev = reloader({ initialState: before });
    expect((await dev.reload("reload")).kind).toBe("build-failed");
    expect(printed.error.join("\n")).toContain("app/index.ts:4:3 - error UNSUPPORTED_TYPE: bigint has no ClickHouse column type");
    expect(printed.error.join("\n")).toMatch(/✖ reload failed after \d+ ms: the code does not build; still serving the last good state/);
    expect(dev.state).toBe(before);
    expect((await store.load()).manifest).toEqual(before);
  });

  it("a partial apply records the state it reached (the table created, not the one that failed), under that state's hash", async () => {
    printed.info.length = 0;
    const before = (await store.load()).manifest;
    const good = table("Good", [column("id", "String")]);
    const broken = table("Broken", [column("id", "NotAClickHouseType")]);
    next = manifest([...Object.values(before.tables), good, broken]);
    const dev = reloader({ initialState: before });
    const report = await dev.reload("reload");
    expect(report.kind).toBe("applied");
    expect(printed.info.join("\n")).toMatch(/1 change applied, 1 failed/);
    const reached = manifest([...Object.values(before.tables), good]);
    expect(dev.state).toEqual(reached);
    const truth = await readAppliedTruth(driver);
    expect(truth.manifest).toEqual(reached);
    expect(truth.hash).toBe(hashManifest(reached));
    await driver.exec("DROP TABLE Good");
    await store.save(stateRecord(before));
  });

  it("with streaming off, streams (and their processes) are neither created nor dropped, and said once", async () => {
    printed.info.length = 0;
    const state = manifest([users()], { streams: { Old: stream("Old") } });
    const dev = reloader({ initialState: state });
    // The sync process that would read the stream is not recorded either.
    next = manifest([users()], { streams: { Clicks: stream("Clicks", { destination: "Users" }) }, processes: { "sync:Clicks->Users": { kind: "sync", source: "Clicks", destination: "Users" } } });
    expect((await dev.reload("reload")).kind).toBe("unchanged");
    expect((await dev.reload("reload")).kind).toBe("unchanged");
    expect(dev.state.streams).toEqual(state.streams);
    expect(dev.state.processes).toEqual({});
    expect(printed.info.filter((line) => line.includes("not created locally"))).toEqual([
      "note: 1 stream in the code is not created locally: [features] streaming_engine = false",
    ]);
    // The draft is what `moose migrate generate` writes with streaming off: no topic.
    await dev.flushDraft();
    const draft = readFileSync(path.join(projectDir, "migrations", "draft.ts"), "utf8");
    expect(draft).toContain("create table Users");
    expect(draft).not.toContain("Clicks");
  });

  it("deletes the draft once migrations/snapshot.json matches the code", async () => {
    printed.info.length = 0;
    next = manifest([users()]);
    mkdirSync(path.join(projectDir, "migrations"), { recursive: true });
    await writeManifest(path.join(projectDir, "migrations", "snapshot.json"), next);
    const dev = reloader({ initialState: next });
    await dev.reload("reload");
    await dev.flushDraft();
    expect(existsSync(path.join(projectDir, "migrations", "draft.ts"))).toBe(false);
    expect(printed.info).toContain("migrations/draft.ts deleted: the code matches migrations/snapshot.json");
  });

  it("asks before dropping a column that holds rows: no → nothing applied (report 'refused'), yes → applied; refuse never asks", async () => {
    const before = manifest([users("note")]);
    const setup = reloader({ initialState: (await store.load()).manifest });
    next = before;
    await setup.reload("reload");
    await driver.insert("Users", [{ id: "1", note: "keep me" }]);
    next = manifest([users()]);

    const questions: string[] = [];
    const askNo: DataLossPolicy = { mode: "ask", ask: async (question) => (questions.push(question), false) };
    printed.info.length = 0;
    printed.error.length = 0;
    const declined = await reloader({ initialState: before, dataLoss: askNo }).reload("reload");
    expect(declined.kind).toBe("refused");
    expect(questions).toEqual(["Apply it to the local database? [y/N] "]);
    expect(printed.info.join("\n")).toContain("drop column note from Users — Users holds 1 row");
    expect(printed.error.join("\n")).toMatch(/✖ reload in \d+ ms: not applied — it would delete or rewrite rows/);
    expect((await driver.query<{ n: string }>("SELECT count() AS n FROM system.columns WHERE database = currentDatabase() AND table = 'Users' AND name = 'note'"))[0]!.n).toBe("1");
    expect((await store.load()).manifest).toEqual(before);

    const refused = await reloader({ initialState: before, dataLoss: { mode: "refuse" } }).reload("reload");
    expect(refused.kind).toBe("refused");

    const accepted = await reloader({ initialState: before, dataLoss: { mode: "ask", ask: async () => true } }).reload("reload");
    expect(accepted.kind).toBe("applied");
    expect((await store.load()).manifest).toEqual(next);
  });

  it("a plan deleting rows from code read while files changed (maybe a save half-written) is not applied; the next reload decides", async () => {
    const before = manifest([users("memo")]);
    next = before;
    await reloader({ initialState: (await store.load()).manifest }).reload("reload");
    await driver.insert("Users", [{ id: "kept", memo: "keep me" }]);
    next = manifest([]); // what an entry file read while truncated builds: an app without tables
    let filesChangedSinceStart = true;
    const dev = reloader({ initialState: before, superseded: () => filesChangedSinceStart });
    printed.info.length = 0;
    expect((await dev.reload("reload")).kind).toBe("superseded");
    expect(printed.info.join("\n")).toContain("not applied: files changed while this reload read them; the next reload decides on the newer code");
    expect((await driver.query<{ n: string }>("SELECT count() AS n FROM Users WHERE id = 'kept'"))[0]!.n).toBe("1");
    expect(dev.state).toEqual(before);

    filesChangedSinceStart = false;
    next = before; // the save, fully written
    expect((await dev.reload("reload")).kind).toBe("unchanged");
    next = manifest([users()]); // back to the state the next test starts from
    expect((await dev.reload("reload")).kind).toBe("applied");
  });

  it("a yes given after files changed while the question was open applies nothing: the next reload asks about the newer code", async () => {
    const before = manifest([users("memo")]);
    next = before;
    await reloader({ initialState: (await store.load()).manifest }).reload("reload");
    // An id of its own: the previous test's row is still there, its memo gone with the column.
    await driver.insert("Users", [{ id: "kept when asked", memo: "keep me" }]);
    next = manifest([users()]); // the save dropping memo …
    let savedWhileAsked = false;
    const dev = reloader({
      initialState: before,
      superseded: () => savedWhileAsked,
      dataLoss: { mode: "ask", ask: async () => ((savedWhileAsked = true), true) }, // … put back by a save before the answer
    });
    printed.info.length = 0;
    expect((await dev.reload("reload")).kind).toBe("superseded");
    expect(printed.info.join("\n")).toContain("not applied: files changed while you were asked");
    expect(await driver.query<{ memo: string }>("SELECT memo FROM Users WHERE id = 'kept when asked'")).toEqual([{ memo: "keep me" }]);
    expect(dev.state).toEqual(before);

    savedWhileAsked = false;
    next = before;
    expect((await dev.reload("reload")).kind).toBe("unchanged");
    next = manifest([users()]); // back to the state the next test starts from
    expect((await reloader({ initialState: dev.state }).reload("reload")).kind).toBe("applied");
  });

  it("creates a local stand-in of each EXTERNALLY_MANAGED table (views over it then build), also one a state names that the database lacks; migrations never do", async () => {
    const before = (await store.load()).manifest;
    const external = table("CdcUsers", [column("id", "String"), column("role", "String")], { lifeCycle: "EXTERNALLY_MANAGED" });
    const code = manifest([external], { views: { RoleCounts: view("RoleCounts", "SELECT role, count() AS n FROM CdcUsers GROUP BY role", ["CdcUsers"]) } });
    next = code;
    const first = reloader();
    expect(await first.reload("initial build")).toMatchObject({ kind: "applied", outcome: { failed: [] } });
    expect(await driver.query("SELECT name FROM system.tables WHERE database = currentDatabase() AND name IN ('CdcUsers', 'RoleCounts') ORDER BY name")).toEqual([{ name: "CdcUsers" }, { name: "RoleCounts" }]);
    await driver.exec("INSERT INTO CdcUsers VALUES ('u1', 'admin')");
    expect(await driver.query("SELECT role, n FROM RoleCounts")).toEqual([{ role: "admin", n: "1" }]);
    // A state that names the table (as `moose migrate up --embedded` records it) while the database lacks it: planned anew.
    await driver.exec("DROP VIEW RoleCounts");
    await driver.exec("DROP TABLE CdcUsers");
    const restarted = reloader({ initialState: code });
    expect(await restarted.reload("initial build")).toMatchObject({ kind: "applied", plan: { operations: [expect.objectContaining({ kind: "createTable", target: "CdcUsers" })] } });
    expect(await driver.query("SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'CdcUsers'")).toEqual([{ name: "CdcUsers" }]);
    // The draft migration (what `moose migrate generate` writes) has no step for it.
    await restarted.flushDraft();
    expect(readFileSync(path.join(projectDir, "migrations", "draft.ts"), "utf8")).not.toContain("CREATE TABLE CdcUsers");
    // Back to the state the other tests build on: the stand-ins go with the code that had them.
    next = before;
    expect(await reloader({ initialState: code }).reload("reload")).toMatchObject({ kind: "applied", outcome: { failed: [] } });
    expect(await driver.query("SELECT name FROM system.tables WHERE database = currentDatabase() AND name IN ('CdcUsers', 'RoleCounts')")).toEqual([]);
  });

  it("follows the database: a migration state recorded by someone else after this session's last write is planned from", async () => {
    next = manifest([users()]);
    const dev = reloader({ initialState: (await store.load()).manifest });
    expect((await dev.reload("reload")).kind).toBe("unchanged");
    // `moose migrate up` through dev's endpoint: the state is now a migration's, with an extra table.
    const migrated = manifest([users(), table("Migrated", [column("id", "String")])]);
    await driver.exec("CREATE TABLE IF NOT EXISTS Migrated (id String) ENGINE = MergeTree ORDER BY id");
    await (await Journal.open(driver)).recordState("20260101T000000Z_m", { hash: hashManifest(migrated), json: canonicalJson(migrated) });
    expect((await readAppliedTruth(driver)).origin).toBe("migrations");
    printed.info.length = 0;
    const report = await dev.reload("reload");
    expect(printed.info.join("\n")).toContain("the database's applied state changed outside this session (migration 20260101T000000Z_m): planning from it");
    // The code lacks Migrated: planned as a drop from the migrated state (an empty table: nothing asked).
    expect(report.kind).toBe("applied");
    expect(printed.info.join("\n")).toContain("- Migrated (OLAP Table)");
    const truth = await readAppliedTruth(driver);
    expect(truth).toMatchObject({ origin: "dev", devAhead: true });
    expect(truth.manifest).toEqual(next);
  });

  it("follows a migration recorded while the code was being extracted, when a write went through dev's endpoint meanwhile", async () => {
    next = manifest([users()]);
    const writes = { started: 0, running: 0 };
    let migrateDuringExtraction = false;
    const migrated = manifest([users(), table("DuringExtraction", [column("id", "String")])]);
    const extracting: IncrementalExtractor = {
      extract: async () => {
        if (migrateDuringExtraction) {
          // Long after the reload's first read of the state: `moose migrate up` through the endpoint.
          await new Promise((resolve) => setTimeout(resolve, 50));
          writes.started++;
          await driver.exec("CREATE TABLE IF NOT EXISTS DuringExtraction (id String) ENGINE = MergeTree ORDER BY id");
          await (await Journal.open(driver)).recordState("20260102T000000Z_during", { hash: hashManifest(migrated), json: canonicalJson(migrated) });
        }
        return next as Manifest;
      },
      close: () => {},
    };
    const dev = new Reloader({
      projectDir,
      streaming: false,
      extractor: extracting,
      store,
      targets: { clickhouse: driver, log: () => {}, allowDataLoss: true },
      draft: new DraftWriter(projectDir),
      output: output(false),
      initialState: (await store.load()).manifest,
      outsideWrites: () => ({ ...writes }),
    });
    reloaders.push(dev);
    await dev.reload("reload");
    migrateDuringExtraction = true;
    printed.info.length = 0;
    expect((await dev.reload("reload")).kind).toBe("applied");
    expect(printed.info.join("\n")).toContain("the database's applied state changed outside this session (migration 20260102T000000Z_during): planning from it");
    expect(printed.info.join("\n")).toContain("- DuringExtraction (OLAP Table)");
  });

  it("says it is still applying while an apply runs long, unless a copy's progress is showing", async () => {
    const slow = new Proxy(driver, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (property !== "exec" || typeof value !== "function") return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        return async (...args: unknown[]) => {
          await new Promise((resolve) => setTimeout(resolve, 80));
          return (value as (...args: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const run = async (showingProgress: boolean, name: string) => {
      printed.info.length = 0;
      const dev = new Reloader({
        projectDir,
        streaming: false,
        extractor,
        store,
        targets: { clickhouse: slow, log: () => {}, allowDataLoss: true },
        draft: new DraftWriter(projectDir),
        output: output(false),
        initialState: (await store.load()).manifest,
        stillApplyingMs: 15,
        showingProgress: () => showingProgress,
      });
      reloaders.push(dev);
      next = manifest([...Object.values((await store.load()).manifest.tables), table(name, [column("id", "String")])]);
      expect((await dev.reload("reload")).kind).toBe("applied");
      return printed.info.filter((line) => line.includes("still applying"));
    };
    const ticks = await run(false, "SlowOne");
    expect(ticks.length).toBeGreaterThanOrEqual(1);
    for (const tick of ticks) expect(tick).toMatch(/^ {2}… still applying \(\d+ s\)$/);
    expect(await run(true, "SlowTwo")).toEqual([]);
  });

  it("writes the draft on its own a moment after the last of several reloads, of the last one's code", async () => {
    const draftFile = path.join(projectDir, "migrations", "draft.ts");
    rmSync(draftFile, { force: true });
    printed.info.length = 0;
    const visits = (...names: string[]) => table("Visits", names.map((name) => column(name, "String")));
    const dev = reloader({ draftDelayMs: 1_000 });
    next = manifest([visits("id", "city")]);
    await dev.reload("reload");
    next = manifest([visits("id", "city", "zip")]);
    await dev.reload("reload");
    expect(existsSync(draftFile)).toBe(false);
    await expect.poll(() => existsSync(draftFile), { timeout: 5_000 }).toBe(true);
    // Of the last reload's code.
    expect(readFileSync(draftFile, "utf8")).toContain("zip");
    expect(printed.info.filter((line) => line.startsWith("migrations/draft.ts holds the change"))).toHaveLength(1);
  });
});

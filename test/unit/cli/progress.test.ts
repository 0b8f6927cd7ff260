/**
 * Progress for long work: one line per milestone when not on a terminal, a cli-progress bar
 * (percentage, rows per second, ETA) on one, nothing in --json mode; the runner's text reporter
 * shows copies through it instead of one line per sample.
 */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { RowProgressView, progressMode, withRowProgress } from "../../../src/cli/progress.js";
import { textReporter, type MigrationEvent } from "../../../src/migrations/runner/events.js";

const copy = (rows: number, totalRows = 1_000_000, done = false) => ({ table: "Users", activity: "copy" as const, rows, totalRows, done });

describe("progressMode", () => {
  it("is silent with --json, a bar on an interactive terminal, lines otherwise (pipe, CI, dumb terminal)", () => {
    const tty = { isTTY: true } as NodeJS.WriteStream;
    const pipe = { isTTY: false } as NodeJS.WriteStream;
    expect(progressMode({ json: true, stream: tty, env: {} })).toBe("silent");
    expect(progressMode({ stream: tty, env: {} })).toBe("bar");
    expect(progressMode({ stream: pipe, env: {} })).toBe("lines");
    expect(progressMode({ stream: tty, env: { CI: "true" } })).toBe("lines");
    expect(progressMode({ stream: tty, env: { TERM: "dumb" } })).toBe("lines");
  });
});

describe("RowProgressView", () => {
  it("lines: the start, each quarter once, and the end with the rate — not one line per sample", () => {
    const lines: string[] = [];
    const view = new RowProgressView("lines", (line) => lines.push(line));
    for (const rows of [0, 100_000, 200_000, 260_000, 300_000, 510_000, 520_000, 760_000, 900_000]) view.update(copy(rows));
    view.update(copy(1_000_000, 1_000_000, true));
    view.update(copy(1_000_000, 1_000_000, true)); // a repeated final sample prints nothing
    expect(lines.map((line) => line.replace(/[\d,]+ rows\/s/, "N rows/s").replace(/in [\d.]+ s/, "in T s"))).toEqual([
      "      Users: copying 1,000,000 rows",
      "      Users: 25% (260,000 of 1,000,000 rows, N rows/s)",
      "      Users: 50% (510,000 of 1,000,000 rows, N rows/s)",
      "      Users: 75% (760,000 of 1,000,000 rows, N rows/s)",
      "      Users: 1,000,000 rows copied in T s (N rows/s)",
    ]);
  });

  it("bar: percentage, rows, rows per second and ETA on the terminal stream, then the final line", () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200, cursorTo: () => true, clearLine: () => true, moveCursor: () => true }) as unknown as NodeJS.WriteStream;
    let drawn = "";
    (stream as unknown as PassThrough).on("data", (chunk: Buffer) => (drawn += chunk.toString()));
    const lines: string[] = [];
    const view = new RowProgressView("bar", (line) => lines.push(line), stream);
    view.update(copy(0));
    view.update(copy(400_000));
    view.update(copy(1_000_000, 1_000_000, true));
    expect(drawn).toMatch(/copying Users \[[^\]]+\] \d+% \| [\d]+\/1000000 rows \| .* \| ETA /);
    expect(lines).toEqual([expect.stringMatching(/^ {6}Users: 1,000,000 rows copied in [\d.]+ s/)]);
  });

  it("names what it is doing: a conversion check, a backfill", () => {
    const lines: string[] = [];
    const view = new RowProgressView("lines", (line) => lines.push(line));
    view.update({ table: "Users", activity: "check", rows: 0, totalRows: 1_000_000, done: false });
    view.update({ table: "Users", activity: "check", rows: 1_000_000, totalRows: 1_000_000, done: true });
    view.update({ table: "daily_mv", activity: "backfill", rows: 500_000, totalRows: 2_000_000, done: false });
    expect(lines[0]).toBe("      Users: checking the conversion of 1,000,000 rows");
    expect(lines[1]).toMatch(/^ {6}Users: 1,000,000 rows checked in [\d.]+ s/);
    expect(lines[2]).toBe("      daily_mv: backfilling from 2,000,000 rows");
  });

  it("silent (--json): prints nothing", () => {
    const lines: string[] = [];
    const view = new RowProgressView("silent", (line) => lines.push(line));
    view.update(copy(0));
    view.update(copy(1_000_000, 1_000_000, true));
    expect(lines).toEqual([]);
  });
});

describe("withRowProgress", () => {
  it("routes step-progress events to the view and everything else to the text reporter", () => {
    const lines: string[] = [];
    const reporter = withRowProgress(textReporter((line) => lines.push(line)), new RowProgressView("lines", (line) => lines.push(line)));
    const base = { direction: "up", id: "20260101T000000Z_rebuild" } as const;
    const events: MigrationEvent[] = [
      { type: "migration-started", ...base, resumeAt: 0, steps: 1 },
      { type: "step-progress", ...base, index: 0, table: "Users", activity: "copy", rows: 0, totalRows: 400_000 },
      { type: "step-progress", ...base, index: 0, table: "Users", activity: "copy", rows: 100_000, totalRows: 400_000 },
      { type: "step-progress", ...base, index: 0, table: "Users", activity: "copy", rows: 400_000, totalRows: 400_000 },
      { type: "step-done", ...base, index: 0, steps: 1, kind: "sql", summary: "rebuild table Users", ms: 1200, stateOnly: false },
    ];
    for (const event of events) reporter(event);
    expect(lines[0]).toBe("▶ applying 20260101T000000Z_rebuild");
    expect(lines[1]).toBe("      Users: copying 400,000 rows");
    expect(lines[2]).toMatch(/^ {6}Users: 25% \(100,000 of 400,000 rows/);
    expect(lines[3]).toMatch(/^ {6}Users: 400,000 rows copied in/);
    expect(lines[4]).toMatch(/✓ 1\/1 \[sql\] rebuild table Users/);
    expect(lines.join("\n")).not.toContain("of 400000 rows copied");
  });

  it("numbers the migrations of a run over many files: ▶ applying [2/45] <id> (a single one stays unnumbered)", () => {
    const lines: string[] = [];
    const reporter = textReporter((line) => lines.push(line));
    reporter({ type: "migration-started", direction: "up", id: "m2", resumeAt: 0, steps: 3, position: 2, of: 45 });
    reporter({ type: "migration-started", direction: "down", id: "m9", resumeAt: 0, steps: 1, position: 1, of: 1 });
    expect(lines).toEqual(["▶ applying [2/45] m2", "◀ reverting m9"]);
  });

  it("while a step without copy progress runs long (a backfill, a conversion check): a 'still running' line per interval, none after it ends", async () => {
    const lines: string[] = [];
    const write = (line: string) => lines.push(line);
    const reporter = withRowProgress(textReporter(write), new RowProgressView("lines", write), { write, stillRunningMs: 20 });
    reporter({ type: "migration-started", direction: "up", id: "m1", resumeAt: 0, steps: 2 });
    await new Promise((resolve) => setTimeout(resolve, 70));
    reporter({ type: "step-done", direction: "up", id: "m1", index: 0, steps: 2, kind: "sql", summary: "backfill Totals", ms: 70, stateOnly: false });
    reporter({ type: "step-done", direction: "up", id: "m1", index: 1, steps: 2, kind: "sql", summary: "create view V", ms: 1, stateOnly: false });
    reporter({ type: "migration-finished", direction: "up", id: "m1", ms: 71, steps: 2 });
    const count = lines.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(lines.length).toBe(count);
    const ticks = lines.filter((line) => line.includes("still running"));
    expect(ticks.length).toBeGreaterThanOrEqual(1);
    for (const tick of ticks) expect(tick).toMatch(/^ {6}… step 1\/2 of m1 still running \(\d+ s\)$/);
  });
});

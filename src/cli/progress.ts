/**
 * Progress for long work (a table rebuild's copy, a conversion check, a backfill, the first Kafka
 * start): on a terminal a bar from
 * cli-progress (percentage, rows per second, ETA); elsewhere one line per milestone (start, each
 * quarter, the end); in `--json` mode nothing here (the JSON events carry the numbers).
 * cli-progress is loaded when the first bar is shown: `moose dev` imports this module on every start.
 */
import { createRequire } from "node:module";
import type cliProgress from "cli-progress";
import type { RowProgress } from "../infra/clickhouse/executor.js";
import { ACTIVITY_DONE, type MigrationEvent, type Reporter } from "../migrations/runner/events.js";

const require = createRequire(import.meta.url);

export type ProgressMode = "bar" | "lines" | "silent";

/** A bar only on an interactive terminal that is not CI; `--json` never shows one. */
export function progressMode(options: { json?: boolean; stream?: NodeJS.WriteStream; env?: NodeJS.ProcessEnv } = {}): ProgressMode {
  if (options.json) return "silent";
  const stream = options.stream ?? process.stdout;
  const env = options.env ?? process.env;
  return stream.isTTY && !env.CI && env.TERM !== "dumb" ? "bar" : "lines";
}

function rate(rows: number, ms: number): string {
  return ms > 0 ? `${Math.round((rows * 1000) / ms).toLocaleString("en-US")} rows/s` : "";
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** `Users: copying 1,000 rows` (milestone lines) and `copying Users [bar]` (the bar's label). */
const ACTIVITY: Record<RowProgress["activity"], string> = { copy: "copying", check: "checking the conversion of", backfill: "backfilling from" };
const BAR_LABEL: Record<RowProgress["activity"], string> = { copy: "copying", check: "checking", backfill: "backfilling" };

/** One long statement at a time; a new table or activity starts a new bar. */
export class RowProgressView {
  /** `table activity` of the statement shown. */
  private current: string | undefined;
  private started = 0;
  private quarter = 0;
  private bar: cliProgress.SingleBar | undefined;
  private finished: string | undefined;

  constructor(
    private readonly mode: ProgressMode,
    private readonly write: (line: string) => void,
    private readonly stream: NodeJS.WriteStream = process.stdout,
  ) {}

  update(progress: RowProgress): void {
    if (this.mode === "silent") return;
    const key = `${progress.table} ${progress.activity}`;
    // A repeated final sample of a statement already reported as done.
    if (key === this.finished && progress.rows >= progress.totalRows) return;
    if (key !== this.current) {
      this.finished = undefined;
      this.stop();
      this.current = key;
      this.started = performance.now();
      this.quarter = 0;
      if (this.mode === "bar") {
        const { SingleBar, Presets } = require("cli-progress") as typeof cliProgress;
        const bar = new SingleBar(
          {
            format: `      ${BAR_LABEL[progress.activity]} ${progress.table} [{bar}] {percentage}% | {value}/{total} rows | {speed} | ETA {eta_formatted}`,
            stream: this.stream,
            hideCursor: true,
            clearOnComplete: false,
            etaBuffer: 20,
          },
          Presets.shades_classic,
        );
        bar.start(progress.totalRows, 0, { speed: "" });
        this.bar = bar;
      } else {
        this.write(`      ${progress.table}: ${ACTIVITY[progress.activity]} ${progress.totalRows.toLocaleString("en-US")} rows`);
      }
    }
    const elapsed = performance.now() - this.started;
    if (this.bar) {
      this.bar.setTotal(Math.max(progress.totalRows, progress.rows));
      this.bar.update(progress.rows, { speed: rate(progress.rows, elapsed) });
    } else if (progress.totalRows > 0) {
      const reached = Math.min(3, Math.floor((progress.rows / progress.totalRows) * 4));
      if (reached > this.quarter && !progress.done) {
        this.quarter = reached;
        this.write(`      ${progress.table}: ${reached * 25}% (${progress.rows.toLocaleString("en-US")} of ${progress.totalRows.toLocaleString("en-US")} rows, ${rate(progress.rows, elapsed)})`);
      }
    }
    if (progress.done) {
      this.stop();
      this.write(`      ${progress.table}: ${progress.rows.toLocaleString("en-US")} rows ${ACTIVITY_DONE[progress.activity]} in ${seconds(elapsed)}${elapsed > 0 ? ` (${rate(progress.rows, elapsed)})` : ""}`);
      this.finished = this.current;
      this.current = undefined;
    }
  }

  /** A statement is being shown (its own lines or bar say it is alive). */
  get active(): boolean {
    return this.current !== undefined;
  }

  /** Ends a bar in progress (before any other line is printed). */
  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

/**
 * The runner's text reporter with long statements shown by a RowProgressView instead of one line
 * per sample, and a milestone line every `stillRunningMs` while a step without row progress runs
 * long (a mutation, a Kafka or Temporal call): `… step 2/3 of <id> still running (20 s)`.
 */
export function withRowProgress(base: Reporter, view: RowProgressView, options: { stillRunningMs?: number; write?: (line: string) => void } = {}): Reporter {
  const interval = options.stillRunningMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const quiet = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  const watch = (id: string, step: number, steps: number) => {
    quiet();
    if (!options.write || step > steps) return;
    const write = options.write;
    const started = performance.now();
    timer = setInterval(() => {
      if (!view.active) write(`      … step ${step}/${steps} of ${id} still running (${Math.round((performance.now() - started) / 1000)} s)`);
    }, interval);
    timer.unref();
  };
  return (event: MigrationEvent) => {
    if (event.type === "step-progress") {
      view.update({ table: event.table, activity: event.activity, rows: event.rows, totalRows: event.totalRows, done: event.rows >= event.totalRows });
      return;
    }
    view.stop();
    base(event);
    if (event.type === "migration-started") watch(event.id, event.resumeAt + 1, event.steps);
    else if (event.type === "step-done") watch(event.id, event.index + 2, event.steps);
    else if (event.type !== "step-log" && event.type !== "lock-waiting") quiet();
  };
}

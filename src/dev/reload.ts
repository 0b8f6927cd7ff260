/**
 * One reload of `moose dev`: extract the code's manifest (incrementally), plan it against the local
 * state, print the plan, apply it, save the new state, refresh the draft migration, and print one
 * line with the time it took. A build error or a failed operation is printed and the last good state
 * is kept; the next save starts from it.
 */
import { setImmediate } from "node:timers/promises";
import { diffManifests, withKept } from "../diff/index.js";
import type { DiffResult, Operation } from "../diff/operations.js";
import { wroteSince, type EndpointWrites } from "../infra/clickhouse/http-endpoint.js";
import { countRows } from "../infra/clickhouse/rows.js";
import { withoutStreams, type IncrementalExtractor } from "../extract/index.js";
import { logEvent } from "../logs/logger.js";
import { hashManifest } from "../manifest/canonical.js";
import type { Manifest } from "../manifest/types.js";
import type { StepTargets } from "../migrations/runner/dispatch.js";
import { renderPlan } from "../plan/render.js";
import { applyOperations, stateAfterApply, type ApplyOutcome } from "./apply.js";
import type { DraftWriter } from "./draft.js";
import { describeError, paint, plural, type DevOutput } from "./output.js";
import { stateRecord, type DevStateStore } from "./state.js";

export type ReloadReport =
  | { kind: "build-failed"; durationMs: number; error: unknown }
  | { kind: "unchanged"; durationMs: number }
  /** The plan loses data (rows in the tables listed) and was not confirmed: nothing applied. */
  | { kind: "refused"; durationMs: number; plan: DiffResult; losses: DataLoss[] }
  /** The plan loses data but files changed while they were read (maybe a save half-written): the next reload decides. */
  | { kind: "superseded"; durationMs: number }
  | { kind: "applied"; durationMs: number; plan: DiffResult; outcome: ApplyOutcome };

type SuccessfulReload = Exclude<ReloadReport, { kind: "build-failed" | "refused" | "superseded" }>;

/** A change that deletes or rewrites rows the table holds now. */
export interface DataLoss {
  op: Operation;
  table: string;
  /** undefined: the table exists but could not be counted. */
  rows: number | undefined;
}

/**
 * Before dev applies a change that deletes or rewrites rows (drop table/column, a type change, a
 * rebuild, a new TTL) of a table that holds rows: `apply` (--yes-destructive), `ask` (a terminal:
 * the question shows the row counts), or `refuse` (no terminal: nothing of that save is applied, the
 * last good state stays).
 */
export type DataLossPolicy = { mode: "apply" } | { mode: "refuse" } | { mode: "ask"; ask: (question: string) => Promise<boolean> };

export interface ReloaderOptions {
  projectDir: string;
  /** features.streaming_engine: when off, streams in the code are not planned locally. */
  streaming: boolean;
  extractor: IncrementalExtractor;
  store: DevStateStore;
  targets: StepTargets;
  draft: DraftWriter;
  /**
   * How long after the last reload migrations/draft.ts is brought up to date (default 250 ms). The
   * draft is for later review; rendering it right away (a whole plan through Handlebars) would hold
   * up the queries that come right after a save. `flushDraft()` writes it at once.
   */
  draftDelayMs?: number;
  output: DevOutput;
  /** The state dev starts from (loaded from the store). */
  initialState: Manifest;
  /** After every good build, with the code's manifest (e.g. to reload the API routes). */
  onBuilt?: (manifest: Manifest) => Promise<void>;
  /**
   * True when a source file changed after this reload began reading the code (another reload is
   * then queued). A plan that deletes rows is not applied from code that may be half a save.
   */
  superseded?: () => boolean;
  /** Default: apply (library use); `moose dev` passes ask / refuse / apply from the terminal and --yes-destructive. */
  dataLoss?: DataLossPolicy;
  /** While applying takes long, a line every this many ms (default 10 s) unless `showingProgress()` (a copy's bar or lines). */
  stillApplyingMs?: number;
  showingProgress?: () => boolean;
  /** ClickHouseHttpEndpoint.writes of dev's endpoint, through which `moose migrate up` and the like reach the database. */
  outsideWrites?: () => EndpointWrites;
}

const DRAFT_DELAY_MS = 250;

export class Reloader {
  private current: Manifest;
  private currentHash: string;
  private warnedAboutStreams = false;
  private draftAnnounced = false;
  /** The code migrations/draft.ts is still to be brought in line with (written a moment after the last reload). */
  private draftCode: Manifest | undefined;
  private draftTimer: NodeJS.Timeout | undefined;
  /** Draft writes, one after the other. */
  private draftWork: Promise<void> = Promise.resolve();
  /** The hash of the database's applied state as this session last read or wrote it. */
  private seenTruth: string | undefined;

  constructor(private readonly options: ReloaderOptions) {
    this.current = options.initialState;
    this.currentHash = hashManifest(options.initialState);
  }

  /** The manifest last applied locally (what the local infrastructure matches). */
  get state(): Manifest {
    return this.current;
  }

  async reload(label: string): Promise<ReloadReport> {
    // A draft still to be written waits until this reload is over: it would take the thread from it,
    // and the reload may bring newer code for it.
    clearTimeout(this.draftTimer);
    try {
      return await this.reloadOnce(label);
    } finally {
      if (this.draftCode) this.draftTimer = setTimeout(() => void this.flushDraft(), this.options.draftDelayMs ?? DRAFT_DELAY_MS);
    }
  }

  private async reloadOnce(label: string): Promise<ReloadReport> {
    const { output } = this.options;
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);

    // Reading the database's applied state waits on the engine, while extraction keeps this thread busy: both at once.
    const writesBefore = this.options.outsideWrites?.();
    const followed = this.followDatabase();
    let code: Manifest;
    try {
      code = await this.options.extractor.extract();
    } catch (error) {
      await followed;
      output.error(describeError(error, output.debug));
      const report: ReloadReport = { kind: "build-failed", durationMs: elapsed(), error };
      output.error(paint(output, "red", `✖ ${label} failed after ${report.durationMs} ms: the code does not build; still serving the last good state`));
      this.log(label, report);
      return report;
    }

    await followed;
    // A write through dev's endpoint meanwhile (`moose migrate up`, say) may have moved the state since that read.
    if (writesBefore && wroteSince(writesBefore, this.options.outsideWrites!())) await this.followDatabase();
    const base = await this.planningBase();
    const planned = this.locallyPlanned(code);
    const plan = diffManifests(base, planned, { localExternalTables: true });
    let report: SuccessfulReload;
    if (plan.operations.length === 0 && plan.blocked.length === 0) {
      report = { kind: "unchanged", durationMs: 0 };
    } else {
      output.info(renderPlan(plan, { color: output.color }).trimEnd());
      const losses = await this.dataLosses(plan.operations);
      if (losses.length > 0 && this.options.superseded?.()) {
        const superseded: ReloadReport = { kind: "superseded", durationMs: elapsed() };
        output.info(paint(output, "dim", `… not applied: files changed while this ${label} read them; the next reload decides on the newer code`));
        this.log(label, superseded);
        return superseded;
      }
      const consented = losses.length === 0 || (await this.confirmed(losses));
      // A save while the question was open makes the answer about code that is gone: the next reload asks about the newer one.
      if (losses.length > 0 && consented && this.options.superseded?.()) {
        const superseded: ReloadReport = { kind: "superseded", durationMs: elapsed() };
        output.info(paint(output, "dim", `… not applied: files changed while you were asked; the next reload decides on the newer code`));
        this.log(label, superseded);
        return superseded;
      }
      if (!consented) {
        const refused: ReloadReport = { kind: "refused", durationMs: elapsed(), plan, losses };
        output.error(
          paint(output, "red", `✖ ${label} in ${refused.durationMs} ms: not applied — it would delete or rewrite rows (listed above); still serving the last good state`) +
            "\n  → restart with `moose dev --yes-destructive` to allow it, answer yes on a terminal, or change the code back",
        );
        this.log(label, refused);
        this.draftCode = code;
        return refused;
      }
      const applying = this.withTicker(() => applyOperations(plan.operations, this.options.targets));
      // The engine applies on its own threads. Once the first statement is on its way, this thread
      // makes the record of a full apply (the usual outcome), which otherwise would delay the next
      // query to dev's endpoint by as long once the change is applied.
      await setImmediate();
      // The state once applied: the code, and what DELETION_PROTECTED keeps.
      const wanted = withKept(planned, base, plan.kept);
      const ifAllApplied = stateRecord(wanted);
      const outcome = await applying;
      this.reportOutcome(outcome);
      const next = stateAfterApply(this.current, wanted, plan, outcome);
      const record = next === wanted ? ifAllApplied : stateRecord(next);
      if (record.hash !== this.currentHash) {
        await this.options.store.save(record);
        this.seenTruth = record.hash;
      }
      this.current = next;
      this.currentHash = record.hash;
      report = { kind: "applied", durationMs: 0, plan, outcome };
    }
    try {
      await this.options.onBuilt?.(code);
    } catch (error) {
      output.error(describeError(error, output.debug));
    }
    report.durationMs = elapsed();
    output.info(this.summaryLine(label, report));
    this.log(label, report);

    // After the summary: everything local is up to date; the draft is for later review.
    this.draftCode = code;
    return report;
  }

  /** Writes the draft of the last reload now, if it is still to be written (dev's shutdown, tests). */
  async flushDraft(): Promise<void> {
    clearTimeout(this.draftTimer);
    this.draftTimer = undefined;
    const code = this.draftCode;
    this.draftCode = undefined;
    if (code) this.draftWork = this.draftWork.then(() => this.updateDraft(code));
    await this.draftWork;
  }

  /** Long work (a backfill, a type-conversion check) says it is still going, once per interval. */
  private async withTicker<T>(work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const timer = setInterval(() => {
      if (!this.options.showingProgress?.()) this.options.output.info(`  … still applying (${Math.round((performance.now() - started) / 1000)} s)`);
    }, this.options.stillApplyingMs ?? 10_000);
    timer.unref();
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  /** The operations that would delete or rewrite rows a table holds now, with its row count. */
  private async dataLosses(operations: readonly Operation[]): Promise<DataLoss[]> {
    const losses: DataLoss[] = [];
    const counts = new Map<string, number | undefined>();
    for (const op of operations) {
      if (op.risk !== "data-loss" && op.risk !== "rewrite") continue;
      const table = affectedTable(op);
      if (table === undefined) continue;
      if (!counts.has(table)) counts.set(table, await this.rowCount(table));
      const rows = counts.get(table);
      if (rows !== 0) losses.push({ op, table, rows });
    }
    return losses;
  }

  /** 0 when the table is not there (yet); undefined when it is but could not be counted (then it is asked about). */
  private async rowCount(table: string): Promise<number | undefined> {
    const { clickhouse } = this.options.targets;
    try {
      const [exists] = await clickhouse.query<{ n: string | number }>("SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = {table:String}", { table });
      if (Number(exists?.n ?? 0) === 0) return 0;
      return await countRows(clickhouse, table);
    } catch {
      return undefined;
    }
  }

  private async confirmed(losses: DataLoss[]): Promise<boolean> {
    const policy = this.options.dataLoss ?? { mode: "apply" };
    const { output } = this.options;
    const lines = losses.map((loss) => `  ✖ ${loss.op.summary} — ${loss.table} holds ${loss.rows === undefined ? "rows that could not be counted" : plural(loss.rows, "row")}`);
    if (policy.mode === "apply") return true;
    output.info(paint(output, "red", `This save deletes or rewrites data:\n${lines.join("\n")}`));
    if (policy.mode === "refuse") return false;
    return policy.ask("Apply it to the local database? [y/N] ");
  }

  /**
   * The state to plan from: the applied state, less the EXTERNALLY_MANAGED tables it names that the
   * local database lacks (a state `moose migrate up --embedded` or an older moose-ts made: they never
   * create one), so the plan creates their local stand-ins.
   */
  private async planningBase(): Promise<Manifest> {
    const external = Object.entries(this.current.tables).filter(([, table]) => table.lifeCycle === "EXTERNALLY_MANAGED" && table.cluster === undefined);
    if (external.length === 0) return this.current;
    let present: Set<string>;
    try {
      const rows = await this.options.targets.clickhouse.query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() AND name IN {names:Array(String)}", {
        names: external.map(([, table]) => table.name),
      });
      present = new Set(rows.map((row) => row.name));
    } catch {
      return this.current; // unchecked: planned from the state as it is (the next save checks again)
    }
    const missing = external.filter(([, table]) => !present.has(table.name));
    if (missing.length === 0) return this.current;
    const tables = { ...this.current.tables };
    for (const [id] of missing) delete tables[id];
    return { ...this.current, tables };
  }

  /**
   * The database is the truth (src/dev/state.ts): when something else changed what it has applied
   * since the last reload — `moose migrate up`/`down` through this session's ClickHouse endpoint —
   * plan from that, not from what this session remembers.
   */
  private async followDatabase(): Promise<void> {
    const { output } = this.options;
    try {
      const truth = await this.options.store.truthUnless(this.seenTruth);
      if (!truth) return; // not moved since this session last read or wrote it
      const first = this.seenTruth === undefined;
      this.seenTruth = truth.hash;
      // The first read is where this session starts (it was given that state); afterwards only a change by someone else counts.
      if (first || truth.hash === this.currentHash) return;
      this.current = truth.manifest;
      this.currentHash = truth.hash;
      const who = truth.origin === "migrations" ? `migration ${truth.migrations!.migrationId}` : truth.origin === "empty" ? "an emptied state" : "another moose dev";
      output.info(paint(output, "yellow", `the database's applied state changed outside this session (${who}): planning from it`));
    } catch (error) {
      output.error(`could not re-read the applied state; planning from the last known one: ${describeError(error, output.debug)}`);
    }
  }

  private async updateDraft(code: Manifest): Promise<void> {
    const { output } = this.options;
    try {
      // What `moose migrate generate` would write: with streaming off, without streams (said once already).
      const draft = await this.options.draft.update(this.options.streaming ? code : withoutStreams(code, () => {}));
      if (draft === "deleted") output.info("migrations/draft.ts deleted: the code matches migrations/snapshot.json");
      if ((draft === "written" || draft === "unchanged") && !this.draftAnnounced) {
        this.draftAnnounced = true;
        output.info(`migrations/draft.ts holds the change from migrations/snapshot.json to the code (\`moose migrate generate\` finalises it)`);
      }
    } catch (error) {
      output.error(`could not update migrations/draft.ts: ${describeError(error, output.debug)}`);
    }
  }

  /**
   * What dev makes the local infrastructure match: the code, except that with streaming off the
   * streams stay as the state has them (none are created, and topics made by an earlier run with
   * streaming on are left alone rather than deleted).
   */
  private locallyPlanned(code: Manifest): Manifest {
    if (this.options.streaming) return code;
    const streams = Object.keys(code.streams).length;
    if (streams > 0 && !this.warnedAboutStreams) {
      this.warnedAboutStreams = true;
      this.options.output.info(
        `note: ${plural(streams, "stream")} in the code ${streams === 1 ? "is" : "are"} not created locally: [features] streaming_engine = false`,
      );
    }
    // Nor are the processes that would read them recorded (migrate generate leaves them out too).
    return { ...code, streams: this.current.streams, processes: this.current.processes };
  }

  private reportOutcome(outcome: ApplyOutcome): void {
    const { output } = this.options;
    for (const op of outcome.applied) {
      if (op.risk === "data-loss") output.info(paint(output, "red", `  ✖ data loss applied locally: ${op.summary}`));
    }
    for (const { op, error } of outcome.failed) {
      output.error(paint(output, "red", `✖ could not apply: ${op.summary}`));
      output.error(describeError(error, output.debug));
    }
    for (const op of outcome.skipped) output.error(`  skipped (an earlier change to ${op.target} failed): ${op.summary}`);
  }

  private summaryLine(label: string, report: SuccessfulReload): string {
    const { output } = this.options;
    const time = `${report.durationMs} ms`;
    if (report.kind === "unchanged") return paint(output, "green", `✓ ${label} in ${time}: no infrastructure changes`);
    const { applied, failed, skipped } = report.outcome;
    const blocked = report.plan.blocked.length;
    const parts = [`${plural(applied.length, "change")} applied`];
    if (failed.length > 0) parts.push(`${failed.length} failed`);
    if (skipped.length > 0) parts.push(`${skipped.length} skipped`);
    if (blocked > 0) parts.push(`${blocked} blocked`);
    if (failed.length + skipped.length + blocked === 0) return paint(output, "green", `✓ ${label} in ${time}: ${parts.join(", ")}`);
    return paint(output, "red", `✖ ${label} in ${time}: ${parts.join(", ")}; the local state keeps the rest as it was — fix the code and save again`);
  }

  private log(label: string, report: ReloadReport): void {
    const details: Record<string, unknown> = { result: report.kind };
    if (report.kind === "build-failed") details.error = describeError(report.error);
    if (report.kind === "refused") details.refused = report.losses.map((loss) => ({ change: loss.op.summary, table: loss.table, rows: loss.rows }));
    if (report.kind === "applied") {
      details.applied = report.outcome.applied.map((op) => op.summary);
      details.failed = report.outcome.failed.map(({ op, error }) => ({ change: op.summary, error: describeError(error) }));
      details.blocked = report.plan.blocked.map((change) => change.summary);
    }
    const failed = report.kind === "build-failed" || report.kind === "refused" || (report.kind === "applied" && report.outcome.failed.length > 0);
    logEvent(this.options.projectDir, { kind: "reload", level: failed ? "warn" : "info", message: `moose dev: ${label}`, durationMs: report.durationMs, details });
  }
}

/** The table whose rows an operation deletes or rewrites. */
function affectedTable(op: Operation): string | undefined {
  switch (op.kind) {
    case "dropTable":
      return op.table.name;
    case "recreateTable":
      return op.from.name;
    case "dropColumn":
    case "modifyColumn":
    case "modifyTtl":
      return op.table;
    default:
      return undefined;
  }
}

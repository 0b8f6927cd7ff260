/**
 * Judges every step a run is about to execute before anything is applied: each SQL step is read
 * by ClickHouse's parser (exactly one statement, or the run stops naming the file and step), then
 * judged on its cause and parse (src/steps/judge.ts). The gate and the dry-run listing read these
 * verdicts; nothing looks at the SQL text.
 */
import path from "node:path";
import { ExitCode, MooseError } from "../../errors.js";
import { parseSelectList, parseStatement, SqlParseError } from "../../infra/clickhouse/parser.js";
import { judgeStep, type Verdict } from "../../steps/judge.js";
import { stepSummary } from "../../steps/index.js";
import type { ClickHouseDriver } from "../../infra/clickhouse/driver.js";
import { featureUnsupported, serverVersionOf, stepSupport } from "../../infra/clickhouse/capabilities.js";
import type { Manifest } from "../../manifest/types.js";
import { existingObjectConflict } from "../../server/reality-check.js";
import type { MigrationsLayout } from "../layout.js";
import type { PlannedMigration } from "./plan.js";

export interface JudgedMigration extends PlannedMigration {
  /** One verdict per step from `resumeAt` on (index i ↔ step resumeAt + i). */
  verdicts: Verdict[];
}

export async function judgePlanned(layout: MigrationsLayout, planned: PlannedMigration[]): Promise<JudgedMigration[]> {
  const judged: JudgedMigration[] = [];
  for (const item of planned) {
    const verdicts: Verdict[] = [];
    for (let index = item.resumeAt; index < item.steps.length; index++) {
      const step = item.steps[index]!;
      if (!("sql" in step)) {
        verdicts.push(judgeStep(step));
        continue;
      }
      try {
        const using = step.checkConversion?.using;
        // The conversion expression runs inside the executor's own statements: exactly one expression.
        if (using !== undefined && (await parseSelectList(`${using}, 1`)).length !== 2) throw new SqlParseError(`checkConversion.using is not one expression: ${using}`);
        verdicts.push(judgeStep(step, await parseStatement(step.sql)));
      } catch (error) {
        if (!(error instanceof SqlParseError)) throw error;
        const file = path.relative(layout.projectDir, item.migration.path);
        throw new MooseError("MIGRATION_STEP_NOT_ONE_STATEMENT", `${file} ${item.direction} step ${index + 1}: ClickHouse's parser does not read it as exactly one statement (${error.message}). Nothing was applied.`, {
          hint: "give each statement a step of its own ({ sql: `…` } per statement), fix the syntax, then run `moose migrate hash` and the command again",
          details: { id: item.migration.id, direction: item.direction, step: index + 1 },
        });
      }
    }
    judged.push({ ...item, verdicts });
  }
  return judged;
}

/**
 * A step whose statement needs a server feature the connected server lacks (its cause's `needs`,
 * judged against the server's version) and that moose-ts cannot adapt stops the run here, before
 * anything is applied (infra/clickhouse/capabilities.ts). The embedded engine has every feature.
 */
export function refuseUnsupportedFeatures(layout: MigrationsLayout, planned: PlannedMigration[], driver: ClickHouseDriver): void {
  const version = serverVersionOf(driver);
  if (version === undefined) return;
  for (const item of planned) {
    for (let index = item.resumeAt; index < item.steps.length; index++) {
      const step = item.steps[index]!;
      if (!("sql" in step)) continue;
      const support = stepSupport(step, version);
      if (support.kind !== "unsupported") continue;
      const file = path.relative(layout.projectDir, item.migration.path);
      throw featureUnsupported(support.feature, version, `${file} ${item.direction} step ${index + 1} (${stepSummary(step)})`, step.cause);
    }
  }
}

/** The manifest section of the object each CREATE … IF NOT EXISTS step makes, and the step that drops it. */
const CREATED = {
  createTable: { section: "tables", drop: "dropTable" },
  createView: { section: "views", drop: "dropView" },
  createMaterializedView: { section: "materializedViews", drop: "dropMaterializedView" },
} as const;

type Creation = (typeof CREATED)[keyof typeof CREATED];

/**
 * A table or view a planned step creates that the database already has, different from the one the
 * step would create, stops the run before anything is applied. The CREATE steps say IF NOT EXISTS
 * (so a resumed run does not fail on what it made), which would otherwise pass over such an object
 * silently and record the code's in the journal: the first `migrate up` against a database
 * MooseStack or a person filled. The same object already there (a resumed run, or one made by hand
 * as the code has it) is taken as it is. Objects on a cluster are left to the statement itself, and
 * so is what comes after a hand-written SQL or `run` step of the run (it may drop or rename anything).
 */
export async function refuseDifferentExistingObjects(layout: MigrationsLayout, planned: PlannedMigration[], states: Map<string, { manifest: Manifest }>, driver: ClickHouseDriver): Promise<void> {
  const dropped = new Set<string>();
  const creations: Array<{ item: PlannedMigration; index: number; section: Creation["section"]; spec: Manifest[Creation["section"]][string] }> = [];
  let handWritten = false;
  for (const item of planned) {
    const after = states.get(item.migration.id)!.manifest;
    for (let index = item.resumeAt; index < item.steps.length && !handWritten; index++) {
      const step = item.steps[index]!;
      const cause = "cause" in step ? step.cause : undefined;
      handWritten = ("sql" in step && cause === undefined) || "run" in step;
      if (cause === undefined) continue;
      const created = (CREATED as Partial<Record<string, Creation>>)[cause.operation];
      if (Object.values(CREATED).some((kind) => kind.drop === cause.operation)) dropped.add(cause.target);
      if (created === undefined || cause.cluster !== undefined || dropped.has(cause.target)) continue;
      const spec = after[created.section][cause.target];
      if (spec !== undefined) creations.push({ item, index, section: created.section, spec });
    }
  }
  if (creations.length === 0) return;
  const live = await driver.introspect();
  for (const { item, index, section, spec } of creations) {
    const conflict = existingObjectConflict(section, spec, live);
    if (conflict === undefined) continue;
    const file = path.relative(layout.projectDir, item.migration.path);
    const details = { id: item.migration.id, direction: item.direction, step: index + 1, object: spec.name, differences: conflict.differences };
    if (conflict.otherNoun !== undefined) {
      throw new MooseError("OBJECT_EXISTS_DIFFERENT", `${file} ${item.direction} step ${index + 1} creates ${conflict.noun} ${spec.name}, but the database already has a ${conflict.otherNoun} ${spec.name}. Nothing was applied.`, {
        exitCode: ExitCode.conflict,
        hint: `the ${conflict.otherNoun} was made outside this migration history: rename or drop it first, or give the code's ${conflict.noun} another name`,
        details,
      });
    }
    throw new MooseError(
      "OBJECT_EXISTS_DIFFERENT",
      `${file} ${item.direction} step ${index + 1} creates ${conflict.noun} ${spec.name}, but the database already has a different ${conflict.noun} ${spec.name} (the code's, changed by: ${conflict.differences.join("; ")}). Nothing was applied.`,
      {
        exitCode: ExitCode.conflict,
        hint: `the ${conflict.noun} was made outside this migration history (by MooseStack, by hand, or before the journal was dropped): make the code match it and regenerate the migration, or rename or drop the existing one first`,
        details,
      },
    );
  }
}

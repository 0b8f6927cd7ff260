/**
 * Judges every step a run is about to execute before anything is applied: each SQL step is read
 * by ClickHouse's parser (exactly one statement, or the run stops naming the file and step), then
 * judged on its cause and parse (src/steps/judge.ts). The gate and the dry-run listing read these
 * verdicts; nothing looks at the SQL text.
 */
import path from "node:path";
import { MooseError } from "../../errors.js";
import { parseSelectList, parseStatement, SqlParseError } from "../../infra/clickhouse/parser.js";
import { judgeStep, type Verdict } from "../../steps/judge.js";
import { stepSummary } from "../../steps/index.js";
import type { ClickHouseDriver } from "../../infra/clickhouse/driver.js";
import { featureUnsupported, serverVersionOf, stepSupport } from "../../infra/clickhouse/capabilities.js";
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

/**
 * Golden plans: each folder in ./golden holds before.json and after.json (manifests), optionally
 * options.json (DiffOptions, e.g. declared renames), and the expected outputs: plan.txt (the text
 * plan), up.sql (the up steps: SQL statements, Kafka actions and notes as comments) and plan.json.
 * `UPDATE_GOLDEN=1 npx vitest run test/unit/plan` rewrites the outputs; review them with git diff.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { diffManifests } from "../../../src/diff/index.js";
import type { DiffOptions } from "../../../src/diff/operations.js";
import { fromStoredManifest, type StoredManifest } from "../../../src/manifest/types.js";
import type { Step } from "../../../src/steps/index.js";
import { planToJson } from "../../../src/plan/json.js";
import { renderPlan } from "../../../src/plan/render.js";
import { migrationSteps } from "../../../src/migrations/generate.js";

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden");
const update = process.env.UPDATE_GOLDEN === "1";

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

function stepText(step: Step): string {
  if ("sql" in step) return `${step.checkConversion ? `-- check: every ${step.checkConversion.column} converts to ${step.checkConversion.toType}\n` : ""}${step.sql};`;
  if ("kafka" in step) return `-- kafka: ${JSON.stringify(step.kafka)}`;
  if ("temporal" in step) return `-- temporal: ${JSON.stringify(step.temporal)}`;
  if ("note" in step) return `-- note: ${step.note}`;
  return "-- run: hand-written step";
}

function expectGolden(file: string, actual: string): void {
  if (update) {
    writeFileSync(file, actual);
    return;
  }
  // A missing golden file fails: writing it here would make the test assert nothing.
  expect(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
  expect(actual).toBe(readFileSync(file, "utf8"));
}

describe("golden plans", () => {
  const cases = readdirSync(GOLDEN).sort();

  it("has cases", () => {
    expect(cases.length).toBeGreaterThan(5);
  });

  it.each(cases)("%s", (name) => {
    const dir = path.join(GOLDEN, name);
    const before = fromStoredManifest(readJson<StoredManifest>(path.join(dir, "before.json")));
    const after = fromStoredManifest(readJson<StoredManifest>(path.join(dir, "after.json")));
    const options = existsSync(path.join(dir, "options.json")) ? readJson<DiffOptions>(path.join(dir, "options.json")) : {};
    const result = diffManifests(before, after, options);
    expectGolden(path.join(dir, "plan.txt"), renderPlan(result));
    const { up } = migrationSteps(result.operations);
    expectGolden(path.join(dir, "up.sql"), up.length === 0 ? "" : `${up.map(stepText).join("\n\n")}\n`);
    expectGolden(path.join(dir, "plan.json"), `${JSON.stringify(planToJson(result), null, 2)}\n`);
  });
});

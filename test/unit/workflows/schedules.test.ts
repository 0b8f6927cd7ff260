/**
 * Schedules as planned infrastructure, the pure parts: schedule strings (parse, words), the Temporal
 * steps a workflow change becomes (with their cause), how the plan shows them, the consent rule, the
 * migration-file check of a `temporal` step, and the runner skipping them when workflows are off.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generateMigration } from "../../../src/migrations/generate.js";
import { diffManifests } from "../../../src/diff/index.js";
import { emptyManifest, type Manifest, type WorkflowSpec } from "../../../src/manifest/types.js";
import { stepProblem } from "../../../src/migrations/load.js";
import { executeStep, type StepTargets } from "../../../src/migrations/runner/dispatch.js";
import { planToJson } from "../../../src/plan/json.js";
import { renderPlan } from "../../../src/plan/render.js";
import { operationSteps } from "../../../src/plan/steps.js";
import { judgeStep } from "../../../src/steps/judge.js";
import type { Step, TemporalAction } from "../../../src/steps/index.js";
import { describeSchedule, parseSchedule } from "../../../src/workflows/schedule.js";
import { scheduleOptions } from "../../../src/workflows/schedules.js";

function workflow(name: string, extra: Partial<WorkflowSpec> = {}): WorkflowSpec {
  return { name, tasks: [{ name: "extract", onComplete: ["load"] }, { name: "load", onComplete: [] }], source: { file: "app/index.ts", line: 1, col: 1 }, ...extra };
}

function manifest(...workflows: WorkflowSpec[]): Manifest {
  return { ...emptyManifest(), workflows: Object.fromEntries(workflows.map((item) => [item.name, item])) };
}

function temporalSteps(steps: Step[]): TemporalAction[] {
  return steps.flatMap((step) => ("temporal" in step ? [step.temporal] : []));
}

describe("schedule strings", () => {
  it.each([
    ["0 2 * * *", "every day at 02:00"],
    ["30 9 * * 1", "every Monday at 09:30"],
    ["0 8 * * 1-5", "every weekday at 08:00"],
    ["*/5 * * * *", "every 5 minutes"],
    ["0 * * * *", "every hour"],
    ["15 */6 * * *", "every 6 hours at minute 15"],
    ["0 0 1 * *", "on day 1 of every month at 00:00"],
    ["@daily", "every day at 00:00"],
    ["@hourly", "every hour"],
    ["@every 2s", "every 2s"],
    ["@every 90m", "every 90m"],
    ["0 2 1 1 *", "cron 0 2 1 1 *"],
  ])("%s reads as %s", (schedule, words) => {
    expect(describeSchedule(schedule)).toBe(words);
  });

  it("refuses what Temporal would not take, saying why", () => {
    expect(parseSchedule("every day")).toMatchObject({ error: expect.stringContaining("five-field cron expression") });
    expect(parseSchedule("0 2 * *")).toMatchObject({ error: expect.stringContaining("five-field") });
    expect(parseSchedule("@every soon")).toMatchObject({ error: expect.stringContaining("@every needs one number and unit") });
    expect(parseSchedule("@every 1h30m")).toMatchObject({ error: expect.stringContaining("@every needs one number and unit") });
    expect(parseSchedule("@fortnightly")).toMatchObject({ error: expect.stringContaining("unknown shorthand") });
    expect(() => scheduleOptions({ workflow: "w", schedule: "every day" }, "q")).toThrow(/workflow w: schedule "every day"/);
  });

  it("`moose migrate generate` refuses a schedule Temporal would not take, at the workflow's file:line, and writes nothing", async () => {
    const projectDir = mkdtempSync(path.join(tmpdir(), "moose-schedule-"));
    try {
      const bad = workflow("daily_sync", { schedule: "every day at 2", source: { file: "app/index.ts", line: 12, col: 1 } });
      await expect(generateMigration({ projectDir, manifest: manifest(bad) })).rejects.toMatchObject({
        code: "WORKFLOW_SCHEDULE_INVALID",
        location: { file: "app/index.ts", line: 12 },
        message: expect.stringContaining("workflow daily_sync: schedule \"every day at 2\" is not a five-field cron expression"),
      });
      expect(existsSync(path.join(projectDir, "migrations"))).toBe(false);
      expect(await generateMigration({ projectDir, manifest: manifest({ ...bad, schedule: "0 2 * * *" }) })).toMatchObject({ kind: "written" });
    } finally {
      rmSync(projectDir, { recursive: true, force: true });
    }
  });

  it("becomes a Temporal schedule starting the interpreter workflow on the project's task queue, with the workflow's limits", () => {
    const options = scheduleOptions({ workflow: "daily_sync", schedule: "@every 2s", timeout: "1h", retries: 2 }, "moose-ts.app");
    expect(options.scheduleId).toBe("daily_sync");
    expect(options.spec).toEqual({ intervals: [{ every: "2s" }] });
    expect(options.action).toMatchObject({ type: "startWorkflow", workflowType: "mooseWorkflow", taskQueue: "moose-ts.app", workflowId: "daily_sync", args: [{ workflow: "daily_sync", input: null }], workflowExecutionTimeout: "1h", retry: { maximumAttempts: 3 } });
    expect(scheduleOptions({ workflow: "w", schedule: "@daily" }, "q").spec).toEqual({ cronExpressions: ["0 0 * * *"] });
  });
});

describe("workflow changes → Temporal steps", () => {
  it("a scheduled workflow added: its schedule is created (down deletes it), each step with its cause", () => {
    const [op] = diffManifests(emptyManifest(), manifest(workflow("daily_sync", { schedule: "0 2 * * *", timeout: "1h" }))).operations;
    const steps = operationSteps(op!);
    expect(steps.up).toEqual([
      { note: "workflow daily_sync added" },
      { temporal: { createSchedule: { workflow: "daily_sync", schedule: "0 2 * * *", timeout: "1h" } }, cause: { operation: "addWorkflow", target: "daily_sync", risk: "safe" } },
    ]);
    expect(temporalSteps(steps.down)).toEqual([{ deleteSchedule: { workflow: "daily_sync" } }]);
    expect(steps.down[0]).toMatchObject({ cause: { operation: "removeWorkflow", target: "daily_sync", risk: "safe" } });
  });

  it("an unscheduled workflow added or removed: state only", () => {
    for (const [from, to] of [
      [emptyManifest(), manifest(workflow("manual"))],
      [manifest(workflow("manual")), emptyManifest()],
    ] as const) {
      const steps = operationSteps(diffManifests(from, to).operations[0]!);
      expect(temporalSteps([...steps.up, ...steps.down])).toEqual([]);
    }
  });

  it("a scheduled workflow removed: its schedule is deleted (down creates it again)", () => {
    const steps = operationSteps(diffManifests(manifest(workflow("old", { schedule: "@hourly" })), emptyManifest()).operations[0]!);
    expect(temporalSteps(steps.up)).toEqual([{ deleteSchedule: { workflow: "old" } }]);
    expect(temporalSteps(steps.down)).toEqual([{ createSchedule: { workflow: "old", schedule: "@hourly" } }]);
  });

  it.each([
    ["cron changed", { schedule: "0 2 * * *" }, { schedule: "0 3 * * *" }, [{ updateSchedule: { workflow: "w", schedule: "0 3 * * *" } }]],
    ["timeout changed", { schedule: "@daily" }, { schedule: "@daily", timeout: "2h" }, [{ updateSchedule: { workflow: "w", schedule: "@daily", timeout: "2h" } }]],
    ["retries changed", { schedule: "@daily" }, { schedule: "@daily", retries: 1 }, [{ updateSchedule: { workflow: "w", schedule: "@daily", retries: 1 } }]],
    ["schedule added", {}, { schedule: "@every 15m" }, [{ createSchedule: { workflow: "w", schedule: "@every 15m" } }]],
    ["schedule removed", { schedule: "@daily" }, {}, [{ deleteSchedule: { workflow: "w" } }]],
    ["only a task changed", { schedule: "@daily" }, { schedule: "@daily", tasks: [{ name: "extract", onComplete: [] }] }, []],
  ] as const)("%s", (_label, from, to, expected) => {
    const ops = diffManifests(manifest(workflow("w", from as Partial<WorkflowSpec>)), manifest(workflow("w", to as Partial<WorkflowSpec>))).operations;
    expect(ops.map((op) => op.kind)).toEqual(["updateWorkflow"]);
    expect(temporalSteps(operationSteps(ops[0]!).up)).toEqual(expected);
  });
});

describe("the plan", () => {
  it("shows a new scheduled workflow with its schedule in words, a schedule change, and a removal", () => {
    const before = manifest(workflow("hourly_rollup", { schedule: "0 * * * *" }), workflow("old_export", { schedule: "@daily" }), workflow("tasks_only"));
    const after = manifest(workflow("hourly_rollup", { schedule: "*/30 * * * *" }), workflow("daily_sync", { schedule: "0 2 * * *" }), workflow("manual"), workflow("tasks_only", { tasks: [{ name: "extract", onComplete: [] }] }));
    const text = renderPlan(diffManifests(before, after));
    expect(text).toContain("  + daily_sync (Workflow, every day at 02:00)\n");
    expect(text).toContain("  + manual (Workflow)\n");
    expect(text).toContain("  ~ hourly_rollup (Schedule Change)\n      ~ schedule 0 * * * * → */30 * * * *\n");
    expect(text).toContain("  ~ tasks_only (Config Change)\n");
    expect(text).toContain("  - old_export (Workflow)\n");
    const json = planToJson(diffManifests(before, after), { from: "a", to: "b" });
    expect(json.components.find((component) => component.name === "daily_sync")).toMatchObject({ change: "new", labelDetail: "every day at 02:00" });
    expect(json.components.find((component) => component.name === "hourly_rollup")).toMatchObject({ change: "modified", changeLabel: "Schedule Change" });
  });
});

describe("the safety contract for schedules", () => {
  it("no schedule action needs --allow-data-loss: a schedule holds no data and running workflows are never terminated by a step", () => {
    const cause = { operation: "removeWorkflow" as const, target: "w", risk: "safe" as const };
    for (const temporal of [{ deleteSchedule: { workflow: "w" } }, { createSchedule: { workflow: "w", schedule: "@daily" } }, { updateSchedule: { workflow: "w", schedule: "@daily" } }]) {
      expect(judgeStep({ temporal, cause })).toEqual({ consent: false });
    }
  });

  it("a hand-edited step whose cause says data-loss still needs it", () => {
    expect(judgeStep({ temporal: { deleteSchedule: { workflow: "w" } }, cause: { operation: "removeWorkflow", target: "w", risk: "data-loss" } })).toMatchObject({ consent: true });
  });
});

describe("a temporal step in a migration file", () => {
  it("is checked when loaded", () => {
    expect(stepProblem({ temporal: { createSchedule: { workflow: "w", schedule: "@daily" } } })).toBeUndefined();
    expect(stepProblem({ temporal: { deleteSchedule: { workflow: "w" } } })).toBeUndefined();
    expect(stepProblem({ temporal: { pauseSchedule: { workflow: "w" } } })).toContain("{ createSchedule }, { updateSchedule } or { deleteSchedule }");
    expect(stepProblem({ temporal: { createSchedule: { workflow: "w" } } })).toContain("`temporal.createSchedule.schedule` must be a string");
    expect(stepProblem({ temporal: { deleteSchedule: {} } })).toContain("`temporal.deleteSchedule.workflow` must be a string");
    expect(stepProblem({ temporal: { deleteSchedule: { workflow: "w" } }, note: "x" })).toContain("exactly one of");
  });

  it("is skipped with a warning when workflows are off, and sent to Temporal when they are on", async () => {
    const logs: string[] = [];
    const sent: TemporalAction[] = [];
    const targets: StepTargets = { clickhouse: undefined as never, log: (line) => logs.push(line), allowDataLoss: false };
    const step: Step = { temporal: { createSchedule: { workflow: "daily_sync", schedule: "0 2 * * *" } } };
    expect(await executeStep(step, targets, {})).toEqual({ stateOnly: true });
    expect(logs).toEqual(["skipped: workflows are disabled ([features] workflows = false), so create schedule daily_sync (0 2 * * *) was not sent to Temporal"]);
    expect(await executeStep(step, { ...targets, temporal: { execute: async (action) => void sent.push(action) } }, {})).toEqual({ stateOnly: false });
    expect(sent).toEqual([step.temporal]);
  });
});

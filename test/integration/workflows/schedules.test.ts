/**
 * The temporal step's executor against a full Temporal (the Temporal CLI's dev server from
 * `scripts/temporal-local start --cli`, or MOOSE_TEST_TEMPORAL_FULL_ADDRESS): every action converges
 * on its target, so a step run again after a crash (the runner resumes at the step it had not
 * journaled as done) neither fails nor undoes a pause.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScheduleTarget } from "../../../src/steps/index.js";
import { connectTemporal, WORKFLOW_TYPE, type TemporalClient } from "../../../src/workflows/connection.js";
import { setPaused } from "../../../src/workflows/operations.js";
import { executeTemporalAction } from "../../../src/workflows/schedules.js";
import { startFullTemporal, TEMPORAL_CLI_START_TIMEOUT_MS, TEMPORAL_LOCAL, uniqueName, type TestTemporal } from "../../helpers/temporal.js";

let server: TestTemporal;
let temporal: TemporalClient;
const taskQueue = uniqueName("moose-ts.schedules-test");

beforeAll(async () => {
  server = await startFullTemporal();
  temporal = await connectTemporal(server.target);
}, TEMPORAL_CLI_START_TIMEOUT_MS);

afterAll(async () => {
  await temporal?.close();
  await server?.stop();
});

function nightly(workflow: string, schedule = "0 2 * * *"): ScheduleTarget {
  return { workflow, schedule, timeout: "1h", retries: 2 };
}

async function schedule(workflow: string) {
  return temporal.client.schedule.getHandle(workflow).describe();
}

describe("the temporal step executor on a full Temporal", () => {
  it("creates a schedule that starts the project's interpreter workflow with the workflow's timeout and retries", async () => {
    const workflow = uniqueName("nightly");
    await executeTemporalAction(temporal, { createSchedule: nightly(workflow) }, taskQueue);
    const created = await schedule(workflow);
    expect(created.action).toMatchObject({ type: "startWorkflow", workflowType: WORKFLOW_TYPE, taskQueue, workflowId: workflow, args: [{ workflow, input: null }] });
    expect(created.action.type === "startWorkflow" && created.action.workflowExecutionTimeout).toBe(3_600_000);
    expect(created.action.type === "startWorkflow" && created.action.retry?.maximumAttempts).toBe(3);
    for (const next of created.info.nextActionTimes) expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([2, 0]);
    await executeTemporalAction(temporal, { deleteSchedule: { workflow } }, taskQueue);
  });

  it("a create run again (resumed after a crash) updates the existing schedule and keeps it paused", async () => {
    const workflow = uniqueName("resumed");
    await executeTemporalAction(temporal, { createSchedule: nightly(workflow) }, taskQueue);
    await setPaused(temporal, workflow, true);
    await executeTemporalAction(temporal, { createSchedule: nightly(workflow, "15 4 * * *") }, taskQueue);
    const again = await schedule(workflow);
    expect(again.state.paused).toBe(true);
    for (const next of again.info.nextActionTimes) expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([4, 15]);
    await executeTemporalAction(temporal, { deleteSchedule: { workflow } }, taskQueue);
  });

  it("an update of a schedule that is missing creates it; an interval replaces a cron", async () => {
    const workflow = uniqueName("missing");
    await executeTemporalAction(temporal, { updateSchedule: nightly(workflow, "@every 90m") }, taskQueue);
    const created = await schedule(workflow);
    expect(created.spec.intervals).toMatchObject([{ every: 90 * 60_000 }]);
    await executeTemporalAction(temporal, { updateSchedule: nightly(workflow, "0 2 * * *") }, taskQueue);
    const updated = await schedule(workflow);
    expect(updated.spec.intervals ?? []).toEqual([]);
    for (const next of updated.info.nextActionTimes) expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([2, 0]);
    await executeTemporalAction(temporal, { deleteSchedule: { workflow } }, taskQueue);
  });

  it("a delete run again, or of a schedule never created, succeeds; the schedule is gone", async () => {
    const workflow = uniqueName("deleted");
    await executeTemporalAction(temporal, { createSchedule: nightly(workflow) }, taskQueue);
    await executeTemporalAction(temporal, { deleteSchedule: { workflow } }, taskQueue);
    await executeTemporalAction(temporal, { deleteSchedule: { workflow } }, taskQueue);
    const { ScheduleNotFoundError } = await import("@temporalio/client");
    await expect(schedule(workflow)).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it("a schedule string Temporal cannot take is refused before anything is sent", async () => {
    const workflow = uniqueName("invalid");
    await expect(executeTemporalAction(temporal, { createSchedule: nightly(workflow, "every tuesday") }, taskQueue)).rejects.toMatchObject({ code: "WORKFLOW_SCHEDULE_INVALID" });
    const { ScheduleNotFoundError } = await import("@temporalio/client");
    await expect(schedule(workflow)).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it("scripts/temporal-local does not hand out the running dev server for a namespace it was not started with", () => {
    const port = server.address.split(":").pop()!;
    const again = spawnSync(TEMPORAL_LOCAL, ["start", "--cli", "--port", port, "--namespace", "other_ns"], { encoding: "utf8" });
    expect(again.status).not.toBe(0);
    expect(again.stderr).toContain(`the Temporal CLI dev server on port ${port} was started without namespace \`other_ns\``);
    expect(spawnSync(TEMPORAL_LOCAL, ["start", "--cli", "--port", port], { encoding: "utf8" }).stdout.trim()).toBe(server.address);
  });
});

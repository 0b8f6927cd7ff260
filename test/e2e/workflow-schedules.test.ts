/**
 * Schedules as planned infrastructure, from the CLI: `moose migrate generate` plans a workflow's
 * schedule as a `temporal` step, `moose migrate up` applies it through the journaled runner.
 *
 * Against Temporal's Java test server (MOOSE_TEST_TEMPORAL_ADDRESS or one started here), which does
 * not implement schedules (CreateSchedule answers UNIMPLEMENTED; sdk-java#1954), the step fails with
 * TEMPORAL_SCHEDULES_UNSUPPORTED, is journaled, and resumes; with workflows off it is skipped with a
 * warning. Against a full Temporal (MOOSE_TEST_TEMPORAL_FULL_ADDRESS, or the Temporal CLI's dev server
 * started here with `scripts/temporal-local start --cli`), a schedule added by a migration fires, the
 * next migrations change its cron (a paused schedule stays paused) and delete it, and a schedule step
 * that failed while Temporal was unreachable resumes there.
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getRegistry } from "../../src/sdk/registry.js";
import { Task, Workflow } from "../../src/sdk/workflow.js";
import { connectTemporal } from "../../src/workflows/connection.js";
import { startRun } from "../../src/workflows/operations.js";
import { startWorkflowWorker, typescriptWorkflowCode } from "../../src/workflows/worker.js";
import { freePort } from "../helpers/kafka.js";
import { startFullTemporal, startTestTemporal, TEMPORAL_CLI_START_TIMEOUT_MS, TEMPORAL_START_TIMEOUT_MS, type TestTemporal } from "../helpers/temporal.js";
import { copyQuickstart, MOOSE_BIN, type TestProject } from "./dev-process.js";

const exec = promisify(execFile);

let server: TestTemporal;
const projects: TestProject[] = [];

async function moose(project: TestProject, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string; stdout: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("MOOSE_")));
  try {
    const { stdout, stderr } = await exec(process.execPath, [MOOSE_BIN, ...args], { cwd: project.dir, env: { ...inherited, NO_COLOR: "1", ...env }, timeout: 60_000 });
    return { code: 0, output: stdout + stderr, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === "number" ? failed.code : 1, output: (failed.stdout ?? "") + (failed.stderr ?? ""), stdout: failed.stdout ?? "" };
  }
}

function temporalEnv(address: string): NodeJS.ProcessEnv {
  const [host, port] = address.split(":");
  return { MOOSE_FEATURES__WORKFLOWS: "true", MOOSE_FEATURES__STREAMING_ENGINE: "false", MOOSE_TEMPORAL_CONFIG__TEMPORAL_HOST: host, MOOSE_TEMPORAL_CONFIG__TEMPORAL_PORT: port };
}

async function scheduledProject(name: string, schedule: string): Promise<TestProject> {
  const project = copyQuickstart();
  projects.push(project);
  await project.edit("package.json", `"name": "quickstart"`, `"name": "quickstart-${name}"`);
  await project.write(
    "app/index.ts",
    `${await project.read("app/index.ts")}
import { Task, Workflow } from "moose-ts";
export const tick = new Task<null, string>("tick", { run: async () => "tick" });
export const scheduled = new Workflow("${name}", { startingTask: tick, schedule: "${schedule}" });
`,
  );
  return project;
}

beforeAll(async () => {
  server = await startTestTemporal();
}, TEMPORAL_START_TIMEOUT_MS);

afterAll(async () => {
  for (const project of projects) project.remove();
  await server?.stop();
});

describe("a schedule in a migration", () => {
  it("is planned as a temporal step; on a server without schedules the step fails, is journaled and resumes; with workflows off it is skipped", async () => {
    const name = `nightly_${randomBytes(3).toString("hex")}`;
    const project = await scheduledProject(name, "0 2 * * *");
    const env = temporalEnv(server.address);
    const generated = await moose(project, ["migrate", "generate"], env);
    expect(generated.code).toBe(0);
    expect(generated.output).toContain(`+ ${name} (Workflow, every day at 02:00)`);

    const up = await moose(project, ["migrate", "up", "--embedded"], env);
    expect(up.code).toBe(1);
    expect(up.output).toContain(`✗ step 3 failed: create schedule ${name} (0 2 * * *)`);
    expect(up.output).toContain(`error TEMPORAL_SCHEDULES_UNSUPPORTED: the Temporal server at ${server.address} does not implement schedules`);
    expect(up.output).toContain("resume at step 3");

    const off = await moose(project, ["migrate", "up", "--embedded"], { ...env, MOOSE_FEATURES__WORKFLOWS: "false" });
    expect(off.code).toBe(0);
    expect(off.output).toContain("(resuming at step 3 of 3)");
    expect(off.output).toContain(`skipped: workflows are disabled ([features] workflows = false), so create schedule ${name} (0 2 * * *) was not sent to Temporal`);
  }, 120_000);

  it("`moose workflow history` on a server without the visibility API says so", async () => {
    const project = await scheduledProject(`nohistory_${randomBytes(3).toString("hex")}`, "0 2 * * *");
    const listed = await moose(project, ["workflow", "history"], temporalEnv(server.address));
    expect(listed.code).toBe(1);
    expect(listed.output).toContain(`error TEMPORAL_VISIBILITY_UNSUPPORTED: the Temporal server at ${server.address} does not list workflow runs`);
  }, 60_000);

  it("`moose prod` runs the project's worker: a workflow started with `moose workflow run` completes", async () => {
    const name = `prod_${randomBytes(3).toString("hex")}`;
    const project = copyQuickstart();
    projects.push(project);
    await project.edit("package.json", `"name": "quickstart"`, `"name": "quickstart-${name}"`);
    await project.write(
      "app/index.ts",
      `${await project.read("app/index.ts")}
import { Task, Workflow } from "moose-ts";
export const second = new Task<{ n: number }, number>("second", { run: async ({ input }) => input.n * 10 });
export const first = new Task<{ n: number }, { n: number }>("first", { run: async ({ input }) => ({ n: input.n + 1 }), onComplete: [second] });
export const job = new Workflow("${name}", { startingTask: first });
`,
    );
    const env = temporalEnv(server.address);
    expect((await moose(project, ["migrate", "generate"], env)).code).toBe(0);
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("MOOSE_")));
    const prod = spawn(process.execPath, [MOOSE_BIN, "prod", "--embedded", "--migrate", "--port", "0"], { cwd: project.dir, env: { ...inherited, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    prod.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    prod.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => prod.once("exit", resolve));
    try {
      await expect.poll(() => output, { timeout: 60_000, interval: 200 }).toContain("moose prod listening on");
      const run = await moose(project, ["workflow", "run", name, "--input", '{"n":4}', "--wait", "--json"], env);
      expect(run.code, run.output).toBe(0);
      expect(JSON.parse(run.output.split("\n").find((line) => line.startsWith("{"))!)).toMatchObject({ status: "COMPLETED", result: { output: 50 } });
    } finally {
      prod.kill("SIGTERM");
      await exited;
    }
  }, 120_000);
});

describe("a schedule in migrations, on a full Temporal (the Temporal CLI's dev server)", () => {
  let full: TestTemporal;

  beforeAll(async () => {
    full = await startFullTemporal();
  }, TEMPORAL_CLI_START_TIMEOUT_MS);

  afterAll(async () => {
    await full?.stop();
  });

  it("is created by a migration and fires; paused, it stays paused when the next migration changes its cron; unpaused; deleted by the migration after", async () => {
    const name = `every_${randomBytes(3).toString("hex")}`;
    const project = await scheduledProject(name, "@every 1s");
    const env = temporalEnv(full.address);
    expect((await moose(project, ["migrate", "generate"], env)).code).toBe(0);
    const up = await moose(project, ["migrate", "up", "--embedded"], env);
    expect(up.output).toContain(`[temporal] create schedule ${name} (@every 1s)`);
    expect(up.code).toBe(0);

    const temporal = await connectTemporal(full.target);
    getRegistry().clear();
    const workflow = new Workflow(name, { startingTask: new Task<null, string>("tick", { run: async () => "tick" }) });
    const worker = await startWorkflowWorker({ target: full.target, taskQueue: `moose-ts.quickstart-${name}`, code: typescriptWorkflowCode(new Map([[name, workflow]])) });
    try {
      const handle = temporal.client.schedule.getHandle(name);
      await expect.poll(async () => (await handle.describe()).info.recentActions.length, { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);
      const first = (await handle.describe()).info.recentActions[0]!.action.workflow;
      expect(await temporal.client.workflow.getHandle(first.workflowId, first.firstExecutionRunId).result()).toMatchObject({ workflow: name, output: "tick" });

      const paused = await moose(project, ["workflow", "pause", name], env);
      expect(paused.output).toContain(`${name}: schedule paused`);
      expect((await handle.describe()).state.paused).toBe(true);

      await project.edit("app/index.ts", `schedule: "@every 1s"`, `schedule: "30 3 * * *"`);
      const changed = await moose(project, ["migrate", "generate"], env);
      expect(changed.output).toContain(`~ ${name} (Schedule Change)`);
      const update = await moose(project, ["migrate", "up", "--embedded"], env);
      expect(update.output).toContain(`[temporal] update schedule ${name} (30 3 * * *)`);
      expect(update.code).toBe(0);
      const updated = await handle.describe();
      expect(updated.state.paused).toBe(true);
      expect(updated.spec.intervals ?? []).toEqual([]);
      expect(updated.info.nextActionTimes.length).toBeGreaterThan(0);
      for (const next of updated.info.nextActionTimes) expect([next.getUTCHours(), next.getUTCMinutes(), next.getUTCSeconds()]).toEqual([3, 30, 0]);
      const listed = await moose(project, ["workflow", "list"], env);
      expect(listed.output).toContain("every day at 03:30 (paused), next ");

      expect((await moose(project, ["workflow", "unpause", name], env)).output).toContain(`${name}: schedule unpaused`);
      expect((await handle.describe()).state.paused).toBe(false);

      await project.write("app/index.ts", (await project.read("app/index.ts")).replace(/export const scheduled[^\n]*\n/, ""));
      const removed = await moose(project, ["migrate", "generate"], env);
      expect(removed.output).toContain(`- ${name} (Workflow)`);
      const down = await moose(project, ["migrate", "up", "--embedded"], env);
      expect(down.output).toContain(`[temporal] delete schedule ${name}`);
      expect(down.code).toBe(0);
      const { ScheduleNotFoundError } = await import("@temporalio/client");
      await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    } finally {
      await worker.stop();
      await temporal.close();
    }
  }, 180_000);

  it("`moose workflow history` lists the project's runs (not another project's): by workflow, by state, at most --limit", async () => {
    const suffix = randomBytes(3).toString("hex");
    const [ok, boom] = [`ok_${suffix}`, `boom_${suffix}`];
    const project = copyQuickstart();
    projects.push(project);
    await project.edit("package.json", `"name": "quickstart"`, `"name": "quickstart-history-${suffix}"`);
    await project.write(
      "app/index.ts",
      `${await project.read("app/index.ts")}
import { Task, Workflow } from "moose-ts";
export const fine = new Workflow("${ok}", { startingTask: new Task<null, string>("fine", { run: async () => "fine" }) });
export const broken = new Workflow("${boom}", { startingTask: new Task<null, void>("broken", { retries: 0, run: async () => { throw new Error("gone"); } }) });
`,
    );
    const env = temporalEnv(full.address);
    getRegistry().clear();
    const code = new Map([
      [ok, new Workflow(ok, { startingTask: new Task<null, string>("fine", { run: async () => "fine" }) })],
      [boom, new Workflow(boom, { startingTask: new Task<null, void>("broken", { retries: 0, run: async () => { throw new Error("gone"); } }) })],
    ]);
    const worker = await startWorkflowWorker({ target: full.target, taskQueue: `moose-ts.quickstart-history-${suffix}`, code: typescriptWorkflowCode(code) });
    try {
      for (const name of [ok, boom, ok]) expect((await moose(project, ["workflow", "run", name, "--wait"], env)).output).toContain(`${name}: `);
      // A workflow of the same name in another project (its own task queue) is not this project's.
      const temporal = await connectTemporal(full.target);
      try {
        const other = await startRun(temporal, { workflow: code.get(ok)!.toSpec(), taskQueue: `moose-ts.other-${suffix}`, workflowId: `${ok}-other` });
        await temporal.client.workflow.getHandle(other.workflowId, other.runId).terminate("another project's run");
      } finally {
        await temporal.close();
      }
      const history = async (...args: string[]) => {
        const listed = await moose(project, ["workflow", "history", ...args, "--json"], env);
        expect(listed.code, listed.output).toBe(0);
        return JSON.parse(listed.stdout) as Array<{ workflow: string; status: string; workflowId: string; startTime: string; closeTime?: string }>;
      };
      // Temporal's visibility store may take a moment to list a closed run.
      await expect.poll(async () => (await history()).length, { timeout: 15_000, interval: 300 }).toBe(3);
      const all = await history();
      expect(all.map((run) => [run.workflow, run.status])).toEqual([
        [ok, "COMPLETED"],
        [boom, "FAILED"],
        [ok, "COMPLETED"],
      ]);
      for (const run of all) expect(Date.parse(run.closeTime!)).toBeGreaterThanOrEqual(Date.parse(run.startTime));
      expect((await history(ok)).map((run) => run.workflow)).toEqual([ok, ok]);
      expect((await history("--status", "failed")).map((run) => run.workflow)).toEqual([boom]);
      expect((await history("--status", "RUNNING")).map((run) => run.workflow)).toEqual([]);
      expect((await history("-l", "1")).map((run) => run.workflow)).toEqual([ok]);

      const text = await moose(project, ["workflow", "history", boom], env);
      expect(text.output).toMatch(new RegExp(`${boom}  FAILED  started \\S+ · took [\\d.]+ s\\n  workflow id ${boom} · run `));
      const gone = await moose(project, ["workflow", "history", "renamed_away"], env);
      expect(gone.output).toContain("note: the code has no workflow named renamed_away");
      expect(gone.output).toContain("no runs of this project match");
      const bad = await moose(project, ["workflow", "history", "--status", "sleeping"], env);
      expect(bad.code).toBe(2);
      expect(bad.output).toContain("--status sleeping is not a run state");
    } finally {
      await worker.stop();
    }
  }, 120_000);

  it("a migration whose schedule step failed (Temporal unreachable) is journaled and resumes at that step against the full Temporal", async () => {
    const name = `resumed_${randomBytes(3).toString("hex")}`;
    const project = await scheduledProject(name, "0 2 * * *");
    const env = temporalEnv(full.address);
    expect((await moose(project, ["migrate", "generate"], env)).code).toBe(0);
    const unreachable = await moose(project, ["migrate", "up", "--embedded"], temporalEnv(`127.0.0.1:${await freePort()}`));
    expect(unreachable.code).toBe(1);
    expect(unreachable.output).toContain(`✗ step 3 failed: create schedule ${name} (0 2 * * *)`);
    expect(unreachable.output).toContain("error TEMPORAL_UNREACHABLE");
    expect(unreachable.output).toContain("resume at step 3");

    const resumed = await moose(project, ["migrate", "up", "--embedded"], env);
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toContain("(resuming at step 3 of 3)");
    expect(resumed.output).toContain(`[temporal] create schedule ${name} (0 2 * * *)`);
    const temporal = await connectTemporal(full.target);
    try {
      const created = await temporal.client.schedule.getHandle(name).describe();
      expect(created.action).toMatchObject({ type: "startWorkflow", taskQueue: `moose-ts.quickstart-${name}`, workflowId: name });
      await temporal.client.schedule.getHandle(name).delete();
    } finally {
      await temporal.close();
    }
  }, 120_000);
});

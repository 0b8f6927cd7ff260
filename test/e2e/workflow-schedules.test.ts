/**
 * Schedules as planned infrastructure, from the CLI: `moose migrate generate` plans a workflow's
 * schedule as a `temporal` step, `moose migrate up` applies it through the journaled runner.
 *
 * Against Temporal's Java test server (MOOSE_TEST_TEMPORAL_ADDRESS or one started here), which does
 * not implement schedules (CreateSchedule answers UNIMPLEMENTED; sdk-java#1954), the step fails with
 * TEMPORAL_SCHEDULES_UNSUPPORTED, is journaled, and resumes; with workflows off it is skipped with a
 * warning. Against a full Temporal (MOOSE_TEST_TEMPORAL_FULL_ADDRESS, e.g. `temporal server
 * start-dev`; CI has none), a schedule added by a migration fires and the next migration deletes it.
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getRegistry } from "../../src/sdk/registry.js";
import { Task, Workflow } from "../../src/sdk/workflow.js";
import { connectTemporal } from "../../src/workflows/connection.js";
import { startWorkflowWorker } from "../../src/workflows/worker.js";
import { startTestTemporal, TEMPORAL_START_TIMEOUT_MS, type TestTemporal } from "../helpers/temporal.js";
import { copyQuickstart, MOOSE_BIN, type TestProject } from "./dev-process.js";

const exec = promisify(execFile);
const FULL = process.env.MOOSE_TEST_TEMPORAL_FULL_ADDRESS;

let server: TestTemporal;
const projects: TestProject[] = [];

async function moose(project: TestProject, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("MOOSE_")));
  try {
    const { stdout, stderr } = await exec(process.execPath, [MOOSE_BIN, ...args], { cwd: project.dir, env: { ...inherited, NO_COLOR: "1", ...env }, timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === "number" ? failed.code : 1, output: (failed.stdout ?? "") + (failed.stderr ?? "") };
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

  it.skipIf(!FULL)("on a full Temporal: a schedule added by a migration fires; the next migration deletes it", async () => {
    const name = `every_${randomBytes(3).toString("hex")}`;
    const project = await scheduledProject(name, "@every 1s");
    const env = temporalEnv(FULL!);
    expect((await moose(project, ["migrate", "generate"], env)).code).toBe(0);
    const up = await moose(project, ["migrate", "up", "--embedded"], env);
    expect(up.output).toContain(`[temporal] create schedule ${name} (@every 1s)`);
    expect(up.code).toBe(0);

    const target = { address: FULL!, namespace: "default" };
    const temporal = await connectTemporal(target);
    getRegistry().clear();
    const workflow = new Workflow(name, { startingTask: new Task<null, string>("tick", { run: async () => "tick" }) });
    const worker = await startWorkflowWorker({ target, taskQueue: `moose-ts.quickstart-${name}`, workflows: new Map([[name, workflow]]) });
    try {
      const handle = temporal.client.schedule.getHandle(name);
      await expect.poll(async () => (await handle.describe()).info.recentActions.length, { timeout: 15_000, interval: 500 }).toBeGreaterThan(0);
      const first = (await handle.describe()).info.recentActions[0]!.action.workflow;
      expect(await temporal.client.workflow.getHandle(first.workflowId, first.firstExecutionRunId).result()).toMatchObject({ workflow: name, output: "tick" });

      await project.write("app/index.ts", (await project.read("app/index.ts")).replace(/export const scheduled[^\n]*\n/, ""));
      const removed = await moose(project, ["migrate", "generate"], env);
      expect(removed.output).toContain(`- ${name} (Workflow)`);
      const down = await moose(project, ["migrate", "up", "--embedded"], env);
      expect(down.output).toContain(`[temporal] delete schedule ${name}`);
      expect(down.code).toBe(0);
      await expect(handle.describe()).rejects.toThrow();
    } finally {
      await worker.stop();
      await temporal.close();
    }
  }, 120_000);
});

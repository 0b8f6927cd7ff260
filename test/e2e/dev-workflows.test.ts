/**
 * Workflows end to end from the CLI: `moose dev` with `[features] workflows = true` runs the app's
 * workflows on a real Temporal (MOOSE_TEST_TEMPORAL_ADDRESS, or a Java test server started for this
 * file), `moose workflow run|status|list|terminate` drive them, a code change reaches the next task
 * of a running workflow without losing its history, and with no Temporal answering at a local
 * address dev starts a local one itself and stops it on Ctrl-C: the Java test server, or with a
 * Temporal CLI on the PATH (the pinned build of `scripts/temporal-local build-cli`) its dev server,
 * where the schedule dev creates fires.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/kafka.js";
import { startTestTemporal, TEMPORAL_CLI_START_TIMEOUT_MS, TEMPORAL_START_TIMEOUT_MS, temporalCliBinary, type TestTemporal } from "../helpers/temporal.js";
import { connectTemporal, temporalAnswers } from "../../src/workflows/connection.js";
import { copyQuickstart, DevProcess, devEnv, freePorts, DEV_TEST_TIMEOUT_MS, MOOSE_BIN, type TestProject } from "./dev-process.js";

const exec = promisify(execFile);

let server: TestTemporal;
let project: TestProject;
/** Names of their own: tests may share one Temporal (task queue from package.json, workflow ids from names). */
const suffix = randomBytes(3).toString("hex");
const workflowName = `sync_${suffix}`;

function workflowCode(loadOutput: string, gate: string): string {
  return `
import { existsSync, writeFileSync } from "node:fs";
import { Api, Task, Workflow } from "moose-ts";

export const load = new Task<{ rows: number }, { loaded: number; version: string }>("load", {
  run: async ({ input }) => ({ loaded: input.rows, version: "${loadOutput}" }),
});
export const extract = new Task<{ since: string }, { rows: number }>("extract", {
  run: async ({ input }) => {
    // Waits while the test's gate file exists (so a run can be caught in the middle).
    while (existsSync(${JSON.stringify(gate)})) await new Promise((resolve) => setTimeout(resolve, 100));
    return { rows: input.since.length };
  },
  onCancel: async ({ input }) => writeFileSync(${JSON.stringify(`${gate}.cancelled`)}, input.since),
  onComplete: [load],
  retries: 2,
});
export const sync = new Workflow("${workflowName}", { startingTask: extract, schedule: "@every 2s" });

interface TriggerParams { since: string }
interface Started { status: number; body: string }
export const trigger = new Api<TriggerParams, Started>("trigger_sync", async ({ since }, { client }) => client.workflow!.execute("${workflowName}", { since }));
`;
}

async function moose(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("MOOSE_")));
  try {
    const { stdout, stderr } = await exec(process.execPath, [MOOSE_BIN, ...args], { cwd: project.dir, env: { ...inherited, NO_COLOR: "1", ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === "number" ? failed.code : 1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

function temporalEnv(address: string): NodeJS.ProcessEnv {
  const [host, port] = address.split(":");
  return { MOOSE_FEATURES__WORKFLOWS: "true", MOOSE_FEATURES__STREAMING_ENGINE: "false", MOOSE_TEMPORAL_CONFIG__TEMPORAL_HOST: host, MOOSE_TEMPORAL_CONFIG__TEMPORAL_PORT: port };
}

beforeAll(async () => {
  server = await startTestTemporal();
  project = copyQuickstart();
  await project.edit("package.json", `"name": "quickstart"`, `"name": "quickstart-${suffix}"`);
}, TEMPORAL_START_TIMEOUT_MS);

afterAll(async () => {
  project?.remove();
  await server?.stop();
});

describe("moose dev with workflows on", () => {
  it("runs a workflow from `moose workflow run`, reads it back, and a code change reaches the next task of a running workflow", async () => {
    const gate = path.join(project.dir, "gate");
    await project.write("app/workflows.ts", workflowCode("v1", gate));
    await project.write("app/index.ts", `${await project.read("app/index.ts")}\nexport * from "./workflows";\n`);
    const ports = await freePorts();
    const env = { ...devEnv(ports), ...temporalEnv(server.address) };
    const dev = new DevProcess(project, env);
    try {
      const ready = await dev.ready();
      expect(ready).toContain(`+ ${workflowName} (Workflow, every 2s)`);
      expect(ready).toContain(`Temporal    ${server.address}  task queue moose-ts.quickstart-${suffix}`);
      // The Java test server has no schedules: dev says so instead of failing the reload.
      expect(ready).toContain(`schedule of ${workflowName} not created: the Temporal at ${server.address} has no schedules`);

      const done = await moose(["workflow", "run", workflowName, "--input", '{"since":"2026-01-01"}', "--wait", "--json"], env);
      expect(done.code).toBe(0);
      const status = JSON.parse(done.stdout) as { status: string; runId: string; result: { tasks: unknown[] } };
      expect(status.status).toBe("COMPLETED");
      expect(status.result.tasks).toEqual([
        { task: "extract", output: { rows: 10 } },
        { task: "load", output: { loaded: 10, version: "v1" } },
      ]);

      // An Api handler starts a run with client.workflow.execute (MooseStack's WorkflowClient).
      const response = await fetch(`http://localhost:${ports.api}/api/trigger_sync?since=2026-06`);
      // The handler returns execute's { status, body }: the reply has that status, the body string as its JSON.
      expect(response.status).toBe(200);
      const triggered = JSON.parse((await response.json()) as string) as { workflowId: string; runId: string };
      expect(triggered.workflowId).toBe(workflowName);
      await expect
        .poll(async () => JSON.parse((await moose(["workflow", "status", workflowName, "--id", triggered.runId, "--json"], env)).stdout).status, { timeout: 20_000, interval: 500 })
        .toBe("COMPLETED");

      // A run caught in its first task; the code of its second task changes meanwhile.
      writeFileSync(gate, "");
      const beforeRun = dev.mark();
      const started = await moose(["workflow", "run", workflowName, "--input", '{"since":"2026"}', "--json"], env);
      expect(started.code).toBe(0);
      const { runId } = JSON.parse(started.stdout) as { runId: string };
      await dev.waitFor(new RegExp(`workflow ${workflowName} \\(${workflowName}\\): task extract started`), beforeRun);
      const running = await moose(["workflow", "status", workflowName, "--json"], env);
      expect(JSON.parse(running.stdout)).toMatchObject({ status: "RUNNING", runId });
      const mark = dev.mark();
      await project.write("app/workflows.ts", workflowCode("v2", gate));
      expect(await dev.nextReload(mark)).toMatch(/✓ reload in \d+ ms/);
      const list = await moose(["workflow", "list"], env);
      expect(list.stdout).toContain(`${workflowName}  [extract → load]`);
      expect(list.stdout).toContain("every 2s (this Temporal server has no schedules) · last manual run RUNNING");

      const { unlinkSync } = await import("node:fs");
      unlinkSync(gate);
      await expect
        .poll(async () => JSON.parse((await moose(["workflow", "status", workflowName, "--json"], env)).stdout).status, { timeout: 20_000, interval: 500 })
        .toBe("COMPLETED");
      const finished = JSON.parse((await moose(["workflow", "status", workflowName, "--id", runId, "--json"], env)).stdout) as { runId: string; result: { tasks: unknown[] }; historyLength: number };
      expect(finished.runId).toBe(runId);
      expect(finished.result.tasks).toEqual([
        { task: "extract", output: { rows: 4 } },
        { task: "load", output: { loaded: 4, version: "v2" } },
      ]);
      expect(finished.historyLength).toBeGreaterThan(15);

      // Terminate: a run caught again, stopped from the CLI.
      writeFileSync(gate, "");
      expect((await moose(["workflow", "run", workflowName], env)).code).toBe(0);
      const terminated = await moose(["workflow", "terminate", workflowName, "--json"], env);
      expect(terminated.code).toBe(0);
      expect(JSON.parse(terminated.stdout)).toMatchObject({ status: "TERMINATED" });

      // Cancel: the running task's onCancel runs (with its input), then the run ends CANCELLED.
      const beforeCancelled = dev.mark();
      expect((await moose(["workflow", "run", workflowName, "--input", '{"since":"cancel-me"}'], env)).code).toBe(0);
      await dev.waitFor(new RegExp(`workflow ${workflowName} \\(${workflowName}\\): task extract started`), beforeCancelled);
      const cancelled = await moose(["workflow", "cancel", workflowName, "--json"], env);
      expect(cancelled.code, cancelled.stderr).toBe(0);
      expect(JSON.parse(cancelled.stdout)).toMatchObject({ status: "CANCELLED" });
      expect(readFileSync(`${gate}.cancelled`, "utf8")).toBe("cancel-me");
      const again = await moose(["workflow", "cancel", workflowName], env);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain("WORKFLOW_NOT_RUNNING");
      unlinkSync(gate);
    } finally {
      if (existsSync(gate)) (await import("node:fs")).unlinkSync(gate);
      expect(await dev.stop()).toBe(0);
    }
  }, DEV_TEST_TIMEOUT_MS);

  it("with no Temporal answering at a local address: starts the Java test server there and stops it on Ctrl-C", async () => {
    const port = await freePort();
    const env = { ...devEnv(await freePorts()), ...temporalEnv(`localhost:${port}`) };
    const dev = new DevProcess(project, env);
    try {
      const ready = await dev.waitFor(/moose dev ready in \d+ ms/, 0, TEMPORAL_START_TIMEOUT_MS);
      expect(ready).toContain(`Temporal: nothing answers at localhost:${port} ([temporal_config]); starting a local Temporal there`);
      expect(ready).toMatch(new RegExp(`Temporal: Java test server ready at localhost:${port} in \\d+\\.\\d s`));
      expect(ready).toContain(`Temporal    localhost:${port}  task queue moose-ts.quickstart-${suffix} (Java test server started by moose dev)`);
      expect(existsSync(path.join(project.dir, ".moose", "temporal", String(port), "pid"))).toBe(true);
    } finally {
      expect(await dev.stop()).toBe(0);
    }
    expect(existsSync(path.join(project.dir, ".moose", "temporal", String(port)))).toBe(false);
    const list = await moose(["workflow", "list"], env);
    expect(list.code).toBe(1);
    expect(list.stderr).toContain(`error TEMPORAL_UNREACHABLE: cannot reach Temporal at localhost:${port}`);
  }, TEMPORAL_START_TIMEOUT_MS + DEV_TEST_TIMEOUT_MS);

  it("with a Temporal CLI on the PATH and no Temporal answering: starts its dev server, where a saved schedule fires; stops it on Ctrl-C; a restarted dev restores the schedule", async () => {
    const binary = await temporalCliBinary();
    const cliProject = copyQuickstart();
    try {
      await cliProject.edit("package.json", `"name": "quickstart"`, `"name": "quickstart-cli-${suffix}"`);
      const name = `tick_${suffix}`;
      await cliProject.write(
        "app/index.ts",
        `${await cliProject.read("app/index.ts")}
import { Task, Workflow } from "moose-ts";
export const tick = new Task<null, string>("tick", { run: async () => "tick" });
export const ticking = new Workflow("${name}", { startingTask: tick, schedule: "@every 1s" });
`,
      );
      const port = await freePort();
      const target = { address: `localhost:${port}`, namespace: "default" };
      const env = { ...temporalEnv(target.address), PATH: `${path.dirname(binary)}${path.delimiter}${process.env.PATH ?? ""}` };

      /** One `moose dev` until Ctrl-C: its ready output, after the schedule fired and dev's worker ran it. */
      const devUntilFired = async (): Promise<string> => {
        const dev = new DevProcess(cliProject, { ...devEnv(await freePorts()), ...env });
        try {
          const ready = await dev.waitFor(/moose dev ready in \d+ ms/, 0, TEMPORAL_CLI_START_TIMEOUT_MS);
          expect(ready).toContain(`Temporal: nothing answers at localhost:${port} ([temporal_config]); starting a local Temporal there`);
          expect(ready).toMatch(new RegExp(`Temporal: Temporal CLI dev server ready at localhost:${port} in \\d+\\.\\d s`));
          expect(ready).toContain(`Temporal    localhost:${port}  task queue moose-ts.quickstart-cli-${suffix} (Temporal CLI dev server started by moose dev)`);
          expect(ready).not.toContain("has no schedules");
          expect(readFileSync(path.join(cliProject.dir, ".moose", "temporal", String(port), "kind"), "utf8").trim()).toBe("cli");
          const temporal = await connectTemporal(target);
          try {
            const handle = temporal.client.schedule.getHandle(name);
            await expect.poll(async () => (await handle.describe()).info.recentActions.length, { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);
            const first = (await handle.describe()).info.recentActions[0]!.action.workflow;
            expect(await temporal.client.workflow.getHandle(first.workflowId, first.firstExecutionRunId).result()).toMatchObject({ workflow: name, output: "tick" });
          } finally {
            await temporal.close();
          }
          return ready;
        } finally {
          expect(await dev.stop()).toBe(0);
          expect(existsSync(path.join(cliProject.dir, ".moose", "temporal", String(port)))).toBe(false);
          expect(await temporalAnswers(target, 1000)).toBe(false);
        }
      };

      const first = await devUntilFired();
      expect(first).toContain(`+ ${name} (Workflow, every 1s)`);
      // The dev state has the schedule applied, the new (in-memory) server has none: dev creates it again.
      const second = await devUntilFired();
      expect(second).toContain(`Temporal: schedules of ${name} restored from the applied state`);
    } finally {
      cliProject.remove();
    }
  }, TEMPORAL_CLI_START_TIMEOUT_MS + 2 * DEV_TEST_TIMEOUT_MS);

  it("workflows off: `moose workflow` refuses, naming the key", async () => {
    const result = await moose(["workflow", "list"], { MOOSE_FEATURES__WORKFLOWS: "false" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("[features.workflows]");
    expect(result.stderr).toContain("WORKFLOWS_DISABLED");
  });
});

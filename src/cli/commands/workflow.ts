/**
 * `moose workflow run|list|history|status|cancel|terminate|pause|unpause`: the app's workflows on Temporal
 * (`[temporal_config]`), as in MooseStack. A run is executed by the worker of a running `moose dev`
 * or `moose prod`; these commands talk to Temporal only.
 */
import type { Command } from "commander";
import type { Config } from "../../config/types.js";
import { ExitCode, MooseError } from "../../errors.js";
import type { WorkflowSpec } from "../../manifest/types.js";
import type { TemporalClient } from "../../workflows/connection.js";
import type { HistoryEntry, HistoryStatus, RunStatus, WorkflowListing } from "../../workflows/operations.js";
import { describeSchedule } from "../../workflows/schedule.js";
import { action } from "../action.js";
import { loadProjectConfig, parseLimit, projectDirOf, withProjectDir } from "../project.js";

interface CommonFlags {
  dir: string;
  json?: boolean;
}

const out = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);

function usage(message: string, hint?: string): MooseError {
  return new MooseError("USAGE", message, { exitCode: ExitCode.usage, ...(hint ? { hint } : {}) });
}

function workflowsDisabled(): MooseError {
  return new MooseError("WORKFLOWS_DISABLED", "workflows are disabled in this project ([features] workflows = false)", {
    config: { key: "features.workflows" },
    hint: "set `workflows = true` under [features] in moose.config.toml (or MOOSE_FEATURES__WORKFLOWS=true)",
  });
}

async function withTemporal(flags: CommonFlags, work: (temporal: TemporalClient, context: { projectDir: string; config: Config }) => Promise<number>): Promise<number> {
  const projectDir = projectDirOf(flags);
  const config = await loadProjectConfig(projectDir);
  if (!config.features.workflows) throw workflowsDisabled();
  const { connectTemporal, temporalTarget } = await import("../../workflows/connection.js");
  const temporal = await connectTemporal(temporalTarget(config));
  try {
    return await work(temporal, { projectDir, config });
  } finally {
    await temporal.close();
  }
}

async function codeWorkflows(projectDir: string): Promise<WorkflowSpec[]> {
  const { extractManifest } = await import("../../extract/index.js");
  const manifest = await extractManifest({ projectDir });
  return Object.values(manifest.workflows).sort((a, b) => a.name.localeCompare(b.name));
}

/** `--id`: a run id (a UUID) of the workflow's manual runs, or a workflow id (a scheduled run's `<name>-<time>`). */
function idOptions(id: string | undefined): { workflowId?: string; runId?: string } {
  if (id === undefined) return {};
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? { runId: id } : { workflowId: id };
}

function statusText(status: RunStatus): string {
  const lines = [
    `${status.workflow}: ${status.status}`,
    `  workflow id ${status.workflowId} · run ${status.runId}`,
    `  started ${status.startTime}${status.closeTime ? ` · closed ${status.closeTime}` : ""} · ${status.historyLength} history events`,
  ];
  for (const task of status.result?.tasks ?? status.tasksDone ?? []) lines.push(`  ✓ ${task.task} → ${JSON.stringify(task.output)}`);
  if (status.failure) lines.push(`  ✗ ${status.failure}`);
  return lines.join("\n");
}

function listingText(items: WorkflowListing[]): string {
  if (items.length === 0) return "the code defines no workflows";
  return items
    .map((item) => {
      const schedule =
        item.schedule === undefined
          ? "no schedule"
          : item.scheduleState === "unsupported"
            ? `${describeSchedule(item.schedule)} (this Temporal server has no schedules)`
            : item.scheduleState === null
              ? `${describeSchedule(item.schedule)} (schedule not created yet: apply the migration)`
              : `${describeSchedule(item.schedule)}${item.scheduleState.paused ? " (paused)" : ""}${item.scheduleState.nextRuns[0] ? `, next ${item.scheduleState.nextRuns[0]}` : ""}`;
      const last = item.lastRun ? `last manual run ${item.lastRun.status} (${item.lastRun.startTime})` : "never run manually";
      return `${item.name}  [${item.tasks.join(" → ")}]\n  ${schedule} · ${last}`;
    })
    .join("\n");
}

function historyText(entries: HistoryEntry[], filtered: boolean): string {
  if (entries.length === 0) return filtered ? "no runs of this project match" : "no runs of this project's workflows yet";
  return entries
    .map((entry) => {
      const took = entry.closeTime ? ` · took ${seconds(Date.parse(entry.closeTime) - Date.parse(entry.startTime))}` : "";
      return `${entry.workflow}  ${entry.status}  started ${entry.startTime}${took}\n  workflow id ${entry.workflowId} · run ${entry.runId}`;
    })
    .join("\n");
}

const seconds = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);

export function register(program: Command): void {
  const workflow = program.command("workflow").description("Run and inspect the app's workflows on Temporal ([features] workflows = true)");

  withProjectDir(
    workflow
      .command("run <name>")
      .description("Start a run of a workflow (executed by the worker of a running moose dev or moose prod)")
      .option("-i, --input <json>", "the starting task's input, as JSON")
      .option("--wait", "wait for the run to finish and print its result (exit 1 if it failed)")
      .option("--json", "print the run (and with --wait its status) as JSON"),
  ).action(
    action(async (name: string, flags: CommonFlags & { input?: string; wait?: boolean }) => {
      let input: unknown = null;
      if (flags.input !== undefined) {
        try {
          input = JSON.parse(flags.input);
        } catch (error) {
          throw usage(`--input is not JSON: ${(error as Error).message}`, `quote it for the shell: --input '{"since":"2026-01-01"}'`);
        }
      }
      return withTemporal(flags, async (temporal, { projectDir }) => {
        const { projectTaskQueue } = await import("../../workflows/connection.js");
        const { startRun, unknownWorkflow, waitForRun } = await import("../../workflows/operations.js");
        const workflows = await codeWorkflows(projectDir);
        const spec = workflows.find((candidate) => candidate.name === name);
        if (!spec) throw unknownWorkflow(name, workflows.map((candidate) => candidate.name));
        const run = await startRun(temporal, { workflow: spec, input, taskQueue: projectTaskQueue(projectDir) });
        if (!flags.wait) {
          out(flags.json ? JSON.stringify(run) : `started ${name}: workflow id ${run.workflowId} · run ${run.runId}\n  follow it with \`moose workflow status ${name}\``);
          return ExitCode.ok;
        }
        const status = await waitForRun(temporal, name, run);
        out(flags.json ? JSON.stringify(status) : statusText(status));
        return status.status === "COMPLETED" ? ExitCode.ok : ExitCode.error;
      });
    }),
  );

  withProjectDir(workflow.command("list").description("The code's workflows: tasks, schedule (and its state in Temporal), last manual run").option("--json", "print the list as JSON")).action(
    action(async (flags: CommonFlags) =>
      withTemporal(flags, async (temporal, { projectDir }) => {
        const { listWorkflows } = await import("../../workflows/operations.js");
        const items = await listWorkflows(temporal, await codeWorkflows(projectDir));
        out(flags.json ? JSON.stringify(items, null, 2) : listingText(items));
        return ExitCode.ok;
      }),
    ),
  );

  withProjectDir(
    workflow
      .command("history [name]")
      .description("The project's workflow runs (manual and scheduled), as Temporal lists them: running first, then the latest closed")
      .option("--status <status>", `only runs in this state: one of running, completed, failed, cancelled, terminated, timed_out, continued_as_new`)
      .option("-l, --limit <n>", "at most this many runs", "10")
      .option("--json", "print the runs as JSON"),
  ).action(
    action(async (name: string | undefined, flags: CommonFlags & { status?: string; limit: string }) => {
      const limit = parseLimit(flags.limit);
      const { HISTORY_STATUSES, runHistory, unknownWorkflow } = await import("../../workflows/operations.js");
      let status: HistoryStatus | undefined;
      if (flags.status !== undefined) {
        const wanted = flags.status.toLowerCase().replace(/^canceled$/, "cancelled");
        if (!Object.hasOwn(HISTORY_STATUSES, wanted)) throw usage(`--status ${flags.status} is not a run state`, `one of ${Object.keys(HISTORY_STATUSES).join(", ")}`);
        status = wanted as HistoryStatus;
      }
      return withTemporal(flags, async (temporal, { projectDir }) => {
        const { projectTaskQueue } = await import("../../workflows/connection.js");
        if (name !== undefined) {
          const workflows = await codeWorkflows(projectDir);
          // A workflow the code no longer has may still have runs: listed, with a note.
          if (!workflows.some((candidate) => candidate.name === name)) process.stderr.write(`note: ${unknownWorkflow(name, workflows.map((candidate) => candidate.name)).message}; listing its past runs\n`);
        }
        const entries = await runHistory(temporal, { taskQueue: projectTaskQueue(projectDir), limit, ...(name !== undefined ? { workflow: name } : {}), ...(status !== undefined ? { status } : {}) });
        out(flags.json ? JSON.stringify(entries, null, 2) : historyText(entries, name !== undefined || status !== undefined));
        return ExitCode.ok;
      });
    }),
  );

  // status, cancel and terminate: one run (the latest manual one, or --id's), its status afterwards.
  const runCommands = [
    ["status", "The status of a workflow's latest manual run, or of the run --id names", "print the status as JSON", "runStatus"],
    ["cancel", "Stop a running workflow after its current task's onCancel ran (waits up to 30 s for the run to end)", "print the final status as JSON", "cancelRun"],
    ["terminate", "Stop a running workflow now (its current task is not finished; onCancel does not run)", "print the final status as JSON", "terminateRun"],
  ] as const;
  for (const [verb, description, jsonHelp, operation] of runCommands) {
    withProjectDir(
      workflow
        .command(`${verb} <name>`)
        .description(description)
        .option("--id <id>", "a run id, or a workflow id (a scheduled run's <name>-<time>)")
        .option("--json", jsonHelp),
    ).action(
      action(async (name: string, flags: CommonFlags & { id?: string }) =>
        withTemporal(flags, async (temporal) => {
          const status = await (await import("../../workflows/operations.js"))[operation](temporal, name, idOptions(flags.id));
          out(flags.json ? JSON.stringify(status) : statusText(status));
          if (verb === "cancel" && status.status === "RUNNING") process.stderr.write("cancel requested: the run ends once a worker (moose dev or moose prod) handles it\n");
          return ExitCode.ok;
        }),
      ),
    );
  }

  for (const [verb, paused] of [
    ["pause", true],
    ["unpause", false],
  ] as const) {
    withProjectDir(workflow.command(`${verb} <name>`).description(paused ? "Pause a workflow's schedule (no scheduled runs until unpause)" : "Resume a paused schedule")).action(
      action(async (name: string, flags: CommonFlags) =>
        withTemporal(flags, async (temporal) => {
          const { setPaused } = await import("../../workflows/operations.js");
          await setPaused(temporal, name, paused);
          out(`${name}: schedule ${paused ? "paused" : "unpaused"}`);
          return ExitCode.ok;
        }),
      ),
    );
  }
}

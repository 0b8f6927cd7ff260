/** `moose ls`: the objects of the code, where they live, and whether the local state has them. */
import path from "node:path";
import type { Command } from "commander";
import { ExitCode } from "../../errors.js";
import { buildInventory, KIND_NAMES, parseKindFilter, renderInventory } from "../../server/inventory.js";
import { action } from "../action.js";
import { openInspectedDatabase } from "../project.js";

interface LsFlags {
  dir: string;
  type?: string;
  name?: string;
  json?: boolean;
  clickhouseUrl?: string;
}

export function register(program: Command): void {
  program
    .command("ls")
    .description("List the code's tables, streams, views, APIs, workflows and stream processes with their status (applied / pending / drifted)")
    .option("--dir <path>", "project directory", ".")
    .option("--type <kind>", `only this kind: ${Object.values(KIND_NAMES).join(", ")}`)
    .option("--name <text>", "only objects whose name contains this text (case-insensitive)")
    .option("--json", "print the list as JSON")
    .option("--clickhouse-url <url>", "compare with this ClickHouse server instead of the local embedded engine (.moose/clickhouse, or the running moose dev's)")
    .action(
      action(async (flags: LsFlags) => {
        const projectDir = path.resolve(flags.dir);
        const kind = flags.type === undefined ? undefined : parseKindFilter(flags.type);
        const { loadConfig } = await import("../../config/load.js");
        // The project's own TypeScript compiles it (when it has one): name the project before loading the compiler.
        (await import("../../extract/typescript-project.js")).setTypeScriptProject(projectDir);
        const { extractManifest } = await import("../../extract/index.js");
        const { checkReality } = await import("../../server/live-state.js");
        const { readAppliedTruth } = await import("../../dev/state.js");
        const config = await loadConfig(projectDir);
        const code = await extractManifest({ projectDir });
        const driver = await openInspectedDatabase(flags, projectDir, config);
        let items;
        try {
          // The one reading of what a database has applied: the journal's state, or what `moose dev` applied on top of it.
          const applied = (await readAppliedTruth(driver)).manifest;
          const reality = await checkReality(config, driver, applied);
          items = buildInventory(code, applied, reality, config, driver.database);
        } finally {
          await driver.close();
        }
        // Processes' state and lag, when a moose dev / prod runs on the project.
        const reports = await (await import("../../streams/running.js")).runningProcesses(projectDir);
        for (const report of reports ?? []) {
          const item = items.find((candidate) => candidate.kind === KIND_NAMES.processes && candidate.id === report.id);
          if (item) item.running = { state: report.state, ...(report.lag !== undefined ? { lag: report.lag } : {}), ...(report.lastError ? { lastError: report.lastError.message } : {}) };
        }
        const namePart = flags.name?.toLowerCase();
        const shown = items.filter((item) => (kind === undefined || item.kind === KIND_NAMES[kind]) && (namePart === undefined || item.id.toLowerCase().includes(namePart)));
        process.stdout.write(flags.json ? `${JSON.stringify(shown, null, 2)}\n` : renderInventory(shown));
        return ExitCode.ok;
      }),
    );
}

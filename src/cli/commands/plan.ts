/**
 * `moose plan`: what would change if the code were deployed — the code's manifest diffed against
 * migrations/snapshot.json (the state after the newest migration; empty when there is none).
 * `planCommand` takes the `from` state as an argument so another source (a remote server's state
 * through its admin API, or a ClickHouse's journal) plugs in without touching the planning itself.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { type Command, Option } from "commander";
import { diffManifests } from "../../diff/index.js";
import { ExitCode } from "../../errors.js";
import { hashManifest, readManifest } from "../../manifest/canonical.js";
import { emptyManifest, type Manifest } from "../../manifest/types.js";
import { migrationsLayout } from "../../migrations/layout.js";
import { readSnapshotManifest } from "../../migrations/snapshots.js";
import { planToJson } from "../../plan/json.js";
import { renderPlan } from "../../plan/render.js";
import { ADMIN_TOKEN_ENV, fetchRemoteInframap } from "../../server/remote-plan.js";
import { action } from "../action.js";
import { loadProjectConfig, MIGRATIONS_DIR_FLAG, migrationsDirOf, PROJECT_DIR_FLAG, projectDirOf } from "../project.js";
import { parseRenames } from "./migrate.js";

export interface PlanFlags {
  /** The project directory. */
  dir: string;
  migrationsDir?: string;
  json?: boolean;
  detailedExitcode?: boolean;
  rename: string[];
  manifest?: string;
  backfill?: boolean;
}

export function register(program: Command): void {
  program
    .command("plan")
    .description("Show the infrastructure changes the code makes, compared with migrations/snapshot.json")
    .option(...PROJECT_DIR_FLAG)
    .option(...MIGRATIONS_DIR_FLAG)
    .option("--json", "print the plan as JSON (shape: docs/plan-json.md)")
    .option("--detailed-exitcode", "exit 0 when nothing changes, 6 when something does, 3 when a change loses data or is blocked")
    .option("--rename <Table.old=new>", "declare a column rename, keeping its data (repeatable)", (value: string, previous: string[]) => [...previous, value], [])
    .option("--manifest <file>", "use this manifest JSON instead of extracting app/index.ts")
    .option("--backfill", "a new materialized view over tables that already hold rows also copies those rows through its SELECT")
    .option("--url <url>", "compare with the state a running `moose prod` server has applied (its admin API) instead of the snapshot")
    .option("--token <token>", `bearer token for --url (default: $${ADMIN_TOKEN_ENV}); create one with \`moose generate hash-token\``)
    .addOption(new Option("--clickhouse-url <url>", "compare with the state the migrations applied to this ClickHouse (its journal) instead of the snapshot").conflicts(["url", "token"]))
    .action(
      action(async (flags: PlanFlags & { url?: string; token?: string; clickhouseUrl?: string }) => {
        const projectDir = projectDirOf(flags);
        const from =
          flags.url !== undefined
            ? await fetchRemoteInframap(flags.url, { token: flags.token ?? process.env[ADMIN_TOKEN_ENV] })
            : flags.clickhouseUrl !== undefined
              ? await appliedStateOf(flags.clickhouseUrl)
              : await snapshotState(migrationsDirOf(flags, await loadProjectConfig(projectDir)), projectDir);
        return planCommand(flags, from, projectDir);
      }),
    );
}

/** What the migrations applied to a ClickHouse server (the journal's state; empty before the first), read without writing. */
async function appliedStateOf(clickhouseUrl: string): Promise<Manifest> {
  const [{ openRemote }, { readAppliedManifest }] = await Promise.all([import("../../infra/clickhouse/remote.js"), import("../../server/live-state.js")]);
  const driver = await openRemote({ url: clickhouseUrl });
  try {
    return await readAppliedManifest(driver);
  } finally {
    await driver.close();
  }
}

/** The state the last generated migration leads to; empty before the first one. */
export async function snapshotState(dir: string, projectDir: string = process.cwd()): Promise<Manifest> {
  const layout = migrationsLayout(projectDir, dir);
  return existsSync(layout.snapshot) ? readSnapshotManifest(layout) : emptyManifest();
}

/** Plans the code's manifest against `from`, prints it, returns the exit code. */
export async function planCommand(flags: PlanFlags, from: Manifest, projectDir: string = process.cwd()): Promise<number> {
  const renames = parseRenames(flags.rename);
  const to = flags.manifest ? await readManifest(path.resolve(projectDir, flags.manifest)) : await extractCode(projectDir);
  const result = diffManifests(from, to, { renames, backfillMaterializedViews: flags.backfill });
  const json = planToJson(result, { from: hashManifest(from), to: hashManifest(to) });
  if (flags.json) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  else process.stdout.write(renderPlan(result, { color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR }));
  if (!flags.detailedExitcode || !json.hasChanges) return ExitCode.ok;
  return json.hasDataLoss || json.hasBlocked ? ExitCode.blockedDestructive : ExitCode.changesFound;
}

async function extractCode(projectDir: string): Promise<Manifest> {
  // A broken moose.config.toml is reported here too, not first at deploy time.
  const { loadConfig } = await import("../../config/load.js");
  await loadConfig(projectDir);
  const { extractManifest } = await import("../../extract/index.js");
  return extractManifest({ projectDir });
}

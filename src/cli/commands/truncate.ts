/**
 * `moose truncate [tables…]`: empty tables of the local database (the embedded engine, or the running
 * `moose dev`'s), or delete their newest rows, as MooseStack's `moose truncate` does.
 */
import type { Command } from "commander";
import { ExitCode, MooseError } from "../../errors.js";
import { action } from "../action.js";
import { loadProjectConfig, openDevDatabase, parseLimit, projectDirOf, withProjectDir } from "../project.js";

interface TruncateFlags {
  dir?: string;
  all?: boolean;
  rows?: string;
}

export function register(program: Command): void {
  withProjectDir(program.command("truncate [tables...]"))
    .description("Empty tables of the local database (or delete their newest rows with --rows)")
    .option("--all", "every table of the local database (not moose-ts's own journal, state and lock)")
    .option("--rows <n>", "delete only each table's n newest rows, by its sorting key")
    .action(
      action(async (names: string[], flags: TruncateFlags) => {
        const projectDir = projectDirOf(flags);
        // MooseStack takes `a,b` as well as `a b`.
        const listed = names.flatMap((name) => name.split(",")).map((name) => name.trim()).filter((name) => name !== "");
        if (flags.all === true && listed.length > 0) throw new MooseError("USAGE", "name tables or pass --all, not both", { exitCode: ExitCode.usage });
        if (flags.all !== true && listed.length === 0) throw new MooseError("USAGE", "no table named", { hint: "name the tables (`moose truncate Events Users`), or pass --all", exitCode: ExitCode.usage });
        const rows = flags.rows === undefined ? undefined : parseLimit(flags.rows, "--rows");
        const { truncateTables, truncateTargets } = await import("../../infra/clickhouse/truncate.js");
        const driver = await openDevDatabase(projectDir, await loadProjectConfig(projectDir), "moose truncate");
        try {
          const tables = truncateTargets((await driver.introspect()).tables, flags.all === true ? "all" : listed, rows);
          for (const { table, before, after } of await truncateTables(driver, tables, rows)) {
            process.stdout.write(`✓ ${table}: ${before - after} rows deleted${after > 0 ? ` (${after} left)` : ""}\n`);
          }
          if (tables.length === 0) process.stdout.write("the local database has no tables to truncate\n");
          return ExitCode.ok;
        } finally {
          await driver.close();
        }
      }),
    );
}

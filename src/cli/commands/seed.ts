/**
 * `moose seed clickhouse`: rows of the code's tables from another ClickHouse into the local database
 * (the embedded engine, or the running `moose dev`'s), as MooseStack's `moose seed clickhouse`.
 */
import { type Command, Option } from "commander";
import { ExitCode, MooseError } from "../../errors.js";
import { quoteString } from "../../infra/clickhouse/quote.js";
import { action } from "../action.js";
import { clickHouseUrlOf, loadProjectConfig, openDevDatabase, parseBooleanFlag, parseLimit, projectDirOf, withClickHouseUrl, withProjectDir, type ClickHouseUrlFlags } from "../project.js";

interface SeedFlags extends ClickHouseUrlFlags {
  dir?: string;
  limit: string;
  all?: boolean;
  orderBy?: string;
  table?: string;
  report: boolean;
}

export function register(program: Command): void {
  const seed = program.command("seed").description("Copy data into the local database");
  withClickHouseUrl(withProjectDir(seed.command("clickhouse")), "the ClickHouse to copy from")
    .description("Copy rows of the code's tables from another ClickHouse (production, staging) into the local database")
    .addOption(new Option("--limit <n>", "rows per table").default("1000").conflicts("all"))
    .option("--all", "copy every row")
    .option("--order-by <expr>", "the source query's ORDER BY, e.g. 'timestamp DESC' with --limit for the newest rows")
    .option("--table <name>", "copy only this table")
    .option("--report <bool>", "print each table's row count afterwards (--report=false to skip)", (text: string) => parseBooleanFlag("--report", text), true)
    .action(
      action(async (flags: SeedFlags) => {
        const projectDir = projectDirOf(flags);
        const sourceUrl = clickHouseUrlOf(flags, "SEED_NO_SOURCE", "no ClickHouse to copy from");
        const limit = flags.all === true ? undefined : parseLimit(flags.limit);
        const config = await loadProjectConfig(projectDir);
        const [{ parseClickHouseUrl }, { openRemote }] = await Promise.all([import("../../infra/clickhouse/url.js"), import("../../infra/clickhouse/remote.js")]);
        const endpoint = parseClickHouseUrl(sourceUrl);
        const { extractManifest } = await import("../../extract/index.js");
        const { refuseUnsafeSeedInput, selectSeedTables, seedTables } = await import("../../infra/clickhouse/seed.js");
        const seedSource = { url: endpoint.url, database: endpoint.database, user: endpoint.user, password: endpoint.password };
        const seedOptions = { ...(limit !== undefined ? { limit } : {}), ...(flags.orderBy !== undefined ? { orderBy: flags.orderBy } : {}) };
        refuseUnsafeSeedInput(seedSource, seedOptions);
        const code = await extractManifest({ projectDir });
        if (flags.table !== undefined && code.tables[flags.table] === undefined) {
          const known = Object.keys(code.tables).sort();
          throw new MooseError("SEED_UNKNOWN_TABLE", `the code has no table named ${JSON.stringify(flags.table)}`, {
            hint: known.length > 0 ? `its tables: ${known.join(", ")}` : "the code defines no table",
          });
        }
        const target = await openDevDatabase(projectDir, config, "moose seed");
        try {
          // The source is asked which tables it has first: a wrong URL or password is said once, plainly.
          const source = await openRemote({ url: sourceUrl });
          let sourceTables: Set<string>;
          try {
            sourceTables = new Set((await source.query<{ name: string }>(`SELECT name FROM system.tables WHERE database = ${quoteString(endpoint.database)}`)).map((row) => row.name));
          } finally {
            await source.close();
          }
          const report = await seedTables(
            target,
            seedSource,
            sourceTables,
            selectSeedTables(code, flags.table),
            seedOptions,
            ({ table, copied, total }) => process.stdout.write(`✓ ${table}: ${copied} rows copied${flags.report ? ` (${total} in the table)` : ""}\n`),
          );
          for (const { table, reason } of report.skipped) process.stdout.write(`- ${table}: skipped, ${reason}\n`);
          for (const { table, error } of report.failed) process.stderr.write(`✗ ${table}: ${error}\n`);
          if (report.failed.length > 0) {
            throw new MooseError("SEED_FAILED", `${report.failed.length} of ${report.failed.length + report.seeded.length} tables could not be copied: ${report.failed.map((failure) => failure.table).join(", ")}`, {
              hint: "the source's table may differ from the code's (a column it lacks, a type that does not convert): see each table's error above",
            });
          }
          return ExitCode.ok;
        } finally {
          await target.close();
        }
      }),
    );
}



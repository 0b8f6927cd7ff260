/** `moose prod`: the production server (consumption APIs, admin API, /health). */
import path from "node:path";
import type { Command } from "commander";
import { ExitCode, MooseError } from "../../errors.js";
import { textReporter } from "../../migrations/runner/events.js";
import type { ClickHouseChoice } from "../../server/prod.js";
import { action, endAfterShutdown } from "../action.js";

interface ProdFlags {
  dir: string;
  port?: string;
  clickhouseUrl?: string;
  embedded?: boolean;
  migrate?: boolean;
  allowDataLoss?: boolean;
}

export function register(program: Command): void {
  program
    .command("prod")
    .description("Serve the app's APIs and the admin API (for `moose plan --url`) in production")
    .option("--dir <path>", "project directory", ".")
    .option("--port <n>", "listen on this port instead of http_server_config.port (0: any free port)")
    .option("--clickhouse-url <url>", "use this ClickHouse server (http[s]://user:password@host:port/database) instead of clickhouse_config")
    .option("--embedded", "use the embedded engine in <project>/.moose/clickhouse")
    .option("--migrate", "apply pending migrations before serving (otherwise a database behind the code stops the start)")
    .option("--allow-data-loss", "with --migrate: run steps that delete data (or set MOOSE_ACCEPT_DESTRUCTIVE=1)")
    .action(
      action(async (flags: ProdFlags) => {
        const projectDir = path.resolve(flags.dir);
        // The app's run-time code (getMooseUtils, OlapTable.insert, MooseCache, a Python app's calls) reads this project's config, also under --dir.
        process.env.MOOSE_PROJECT_DIR = projectDir;
        const { loadConfig } = await import("../../config/load.js");
        const { startProdServer } = await import("../../server/prod.js");
        const config = await loadConfig(projectDir);
        const server = await startProdServer({
          projectDir,
          config,
          clickhouse: clickHouseChoice(flags, projectDir),
          port: flags.port === undefined ? undefined : parsePort(flags.port),
          migrate: flags.migrate,
          allowDataLoss: Boolean(flags.allowDataLoss) || process.env.MOOSE_ACCEPT_DESTRUCTIVE === "1",
          reporter: textReporter((line) => process.stdout.write(`${line}\n`)),
        });
        // Warnings first: the "listening" line is what scripts wait for.
        for (const warning of server.warnings) process.stderr.write(`warning: ${warning}\n`);
        if (config.authentication.admin_api_key === "") {
          process.stdout.write("admin API disabled: no [authentication] admin_api_key (see `moose generate hash-token`)\n");
        }
        process.stdout.write(`moose prod listening on ${server.url}\n`);
        await new Promise<void>((resolve) => {
          process.once("SIGINT", resolve);
          process.once("SIGTERM", resolve);
        });
        await server.close();
        endAfterShutdown();
        return ExitCode.ok;
      }),
    );
}

function clickHouseChoice(flags: ProdFlags, projectDir: string): ClickHouseChoice {
  if (flags.embedded && flags.clickhouseUrl) {
    throw new MooseError("PROD_CONFLICTING_FLAGS", "--embedded and --clickhouse-url both choose the database; give one", {
      exitCode: ExitCode.usage,
      hint: "drop one of them (neither: the server in [clickhouse_config])",
    });
  }
  if (flags.embedded) return { embedded: true, dataDir: path.join(projectDir, ".moose", "clickhouse") };
  if (flags.clickhouseUrl) return { url: flags.clickhouseUrl };
  return { fromConfig: true };
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new MooseError("PROD_INVALID_PORT", `--port ${JSON.stringify(text)} is not a port number`, {
      exitCode: ExitCode.usage,
      hint: "give a number from 0 to 65535 (0: any free port)",
    });
  }
  return port;
}

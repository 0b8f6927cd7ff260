/**
 * `moose dev [--dir path]`: local infrastructure that follows every save (src/dev). Runs until
 * Ctrl-C (SIGINT) or SIGTERM, then shuts down cleanly and exits 0.
 */
import path from "node:path";
import type { Command } from "commander";
import { ExitCode } from "../../errors.js";
import { action } from "../action.js";

interface DevFlags {
  dir: string;
}

export function register(program: Command): void {
  program
    .command("dev")
    .description("Run the local infrastructure (embedded ClickHouse, Kafka, API) and apply every code change as you save")
    .option("--dir <path>", "project directory", ".")
    .action(
      action(async (flags: DevFlags) => {
        const debug = Boolean(program.opts().debug);
        const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
        // Listening before start-up: a Ctrl-C during it lets start-up finish, then shuts down cleanly.
        const stopped = new Promise<NodeJS.Signals>((resolve) => {
          process.once("SIGINT", () => resolve("SIGINT"));
          process.once("SIGTERM", () => resolve("SIGTERM"));
        });
        const { startDev } = await import("../../dev/session.js");
        const session = await startDev({
          projectDir: path.resolve(flags.dir),
          output: {
            info: (text) => process.stdout.write(`${text}\n`),
            error: (text) => process.stderr.write(`${text}\n`),
            color,
            debug,
          },
        });
        const signal = await stopped;
        process.stdout.write(`\n${signal === "SIGINT" ? "Ctrl-C" : signal}: shutting down…\n`);
        await session.close();
        process.stdout.write("moose dev stopped\n");
        return ExitCode.ok;
      }),
    );
}

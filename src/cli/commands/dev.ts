/**
 * `moose dev [--dir path]`: local infrastructure that follows every save (src/dev). Runs until
 * Ctrl-C (SIGINT) or SIGTERM, then shuts down cleanly and exits 0.
 */
import path from "node:path";
import type { Command } from "commander";
import { ExitCode } from "../../errors.js";
import { action, endAfterShutdown } from "../action.js";
import { clock } from "../../dev/output.js";
import { parseBooleanFlag } from "../project.js";

interface DevFlags {
  dir: string;
  yesDestructive?: boolean;
  /** Commander's negation of `--no-infra`. */
  infra: boolean;
  timestamps?: boolean;
  timing?: boolean;
  logPayloads?: boolean;
  mcp?: boolean;
}

export function register(program: Command): void {
  program
    .command("dev")
    .description("Run the local infrastructure (embedded ClickHouse, Kafka, API) and apply every code change as you save")
    .option("--dir <path>", "project directory", ".")
    .option("--yes-destructive", "apply changes that delete or rewrite rows without asking (otherwise asked on a terminal, refused elsewhere)")
    .option("--no-infra", "start no local Kafka or Temporal: use the ones the config names, which must answer")
    .option("--timestamps", "start every output line with the time (HH:MM:SS.mmm)")
    .option("--log-payloads", "print every ingest request's records and every record a transform or consumer handles")
    .option("--timing", "MooseStack's flag for operation durations: moose-ts always shows them (a note says so)")
    .option("--mcp [bool]", "MooseStack's MCP server: moose-ts has none (with true, a note says so)", (text: string) => parseBooleanFlag("--mcp", text))
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
        // The app's run-time code (getMooseUtils, OlapTable.insert, MooseCache, a Python app's calls) reads this project's config, also under --dir.
        process.env.MOOSE_PROJECT_DIR = path.resolve(flags.dir);
        const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
        const stamp = flags.timestamps ? withTimestamps : (text: string) => text;
        if (flags.timing) process.stdout.write(stamp("note: --timing: moose-ts always shows how long a build, reload or migration took\n"));
        if (flags.mcp === true) process.stdout.write(stamp("note: --mcp: moose-ts has no MCP server; `moose query`, `moose peek` and `moose ls` answer the same questions\n"));
        const session = await startDev({
          projectDir: path.resolve(flags.dir),
          startServices: flags.infra,
          logPayloads: flags.logPayloads === true,
          output: {
            info: (text) => process.stdout.write(stamp(`${text}\n`)),
            error: (text) => process.stderr.write(stamp(`${text}\n`)),
            color,
            debug,
            progress: process.stdout.isTTY && !process.env.CI ? "bar" : "lines",
          },
          dataLoss: flags.yesDestructive ? { mode: "apply" } : interactive ? { mode: "ask", ask } : { mode: "refuse" },
        });
        const signal = await stopped;
        process.stdout.write(`\n${stamp(`${signal === "SIGINT" ? "Ctrl-C" : signal}: shutting down…\n`)}`);
        await session.close();
        process.stdout.write(stamp("moose dev stopped\n"));
        endAfterShutdown();
        return ExitCode.ok;
      }),
    );
}

/** `text` with each of its lines started by the time of day, HH:MM:SS.mmm (MooseStack's `--timestamps`). */
function withTimestamps(text: string): string {
  const time = clock(new Date(), "milliseconds");
  return text.replace(/^(?=.)/gm, `${time} `);
}

/** A yes/no question on the terminal; Ctrl-C while it is open stops moose dev as usual. */
async function ask(question: string): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      prompt.on("SIGINT", () => {
        resolve("");
        process.kill(process.pid, "SIGINT");
      });
      prompt.question(question).then(resolve, reject);
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}

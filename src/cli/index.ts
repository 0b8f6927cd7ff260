/**
 * The `moose` binary. Thin: each command lives in ./commands/<name>.ts, parses its flags,
 * calls the stages and returns an exit code. Errors are printed here, once.
 */
import { Command, CommanderError } from "commander";
import { ExitCode, isMooseError } from "../errors.js";
import { takeStatus } from "./action.js";

// Each command module exports `register(program)`; add one import and one entry per command.
const registrations: Array<(program: Command) => void> = [];

export async function main(argv: string[]): Promise<number> {
  const program = new Command("moose")
    .description("Version control for data infrastructure")
    .option("--debug", "show stack traces for errors")
    .exitOverride();
  for (const register of registrations) register(program);
  try {
    await program.parseAsync(argv);
    return takeStatus();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    if (isMooseError(error)) {
      process.stderr.write(`${error.format()}\n`);
      if (program.opts().debug) process.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    process.stderr.write(`internal error (a bug in moose-ts): ${(error as Error)?.stack ?? String(error)}\n`);
    return ExitCode.error;
  }
}

/**
 * The `moose` binary. Thin: each command lives in ./commands/<name>.ts, parses its flags,
 * calls the stages and returns an exit code. Errors are printed here, once.
 *
 * Start-up cost: every command's module is loaded for every command (and for --help), so command
 * modules import statically only commander types and the project's own dependency-free modules;
 * whatever loads an npm package (typescript, esbuild, chdb, kafkajs, umzug, ajv, handlebars,
 * smol-toml, …) is `await import()`ed inside the action that needs it (esbuild puts it in a chunk).
 */
import { Command, CommanderError } from "commander";
import { ExitCode, isMooseError } from "../errors.js";
import { takeStatus } from "./action.js";
import { helpConfiguration } from "./help.js";
import { mooseTsPackage } from "./package-info.js";
import { register as registerBuild } from "./commands/build.js";
import { register as registerDev } from "./commands/dev.js";
import { register as registerGenerate } from "./commands/generate.js";
import { register as registerInit } from "./commands/init.js";
import { register as registerLogs } from "./commands/logs.js";
import { register as registerLs } from "./commands/ls.js";
import { register as registerProd } from "./commands/prod.js";
import { register as registerMigrate } from "./commands/migrate.js";
import { register as registerPlan } from "./commands/plan.js";

// Each command module exports `register(program)`; add one import and one entry per command.
const registrations: Array<(program: Command) => void> = [registerInit, registerBuild, registerDev, registerGenerate, registerLogs, registerLs, registerProd, registerMigrate, registerPlan];

export async function main(argv: string[]): Promise<number> {
  const program = new Command("moose")
    .description("Version control for data infrastructure")
    .version(mooseTsPackage().version, "-V, --version", "print the moose-ts version")
    .option("--debug", "show stack traces for errors")
    .configureHelp(helpConfiguration)
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

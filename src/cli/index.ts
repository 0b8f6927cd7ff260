/**
 * The `moose` binary. Thin: each command lives in ./commands/<name>.ts, parses its flags,
 * calls the stages and returns an exit code. Errors are printed here, once.
 *
 * Start-up cost: every command's module is loaded for every command (and for --help), so command
 * modules import statically only commander types and the project's own dependency-free modules;
 * whatever loads an npm package (typescript, esbuild, chdb, kafkajs, umzug, ajv, handlebars,
 * smol-toml, …) is `await import()`ed inside the action that needs it (esbuild puts it in a chunk).
 */
import path from "node:path";
import { Command, CommanderError } from "commander";
import { loadEnvFiles } from "../config/env-files.js";
import { ExitCode, isMooseError } from "../errors.js";
import { stopEsbuildService } from "../infra/children.js";
import { takeStatus } from "./action.js";
import { helpConfiguration } from "./help.js";
import { addMooseStackNames } from "./moosestack-names.js";
import { mooseTsPackage } from "./package-info.js";
import { register as registerBuild } from "./commands/build.js";
import { register as registerDb } from "./commands/db.js";
import { register as registerDev } from "./commands/dev.js";
import { register as registerGenerate } from "./commands/generate.js";
import { register as registerInit } from "./commands/init.js";
import { register as registerLogs } from "./commands/logs.js";
import { register as registerLs } from "./commands/ls.js";
import { register as registerProd } from "./commands/prod.js";
import { register as registerMigrate } from "./commands/migrate.js";
import { register as registerPlan } from "./commands/plan.js";
import { register as registerQuery } from "./commands/query.js";
import { register as registerSeed } from "./commands/seed.js";
import { register as registerTruncate } from "./commands/truncate.js";
import { register as registerWorkflow } from "./commands/workflow.js";

// Each command module exports `register(program)`; add one import and one entry per command.
const registrations: Array<(program: Command) => void> = [registerInit, registerBuild, registerDb, registerDev, registerGenerate, registerLogs, registerLs, registerProd, registerMigrate, registerPlan, registerQuery, registerSeed, registerTruncate, registerWorkflow];

/** `--json` on the command line (before a `--`): failures are printed as JSON on stdout too. */
export function wantsJson(argv: string[]): boolean {
  const args = argv.slice(2);
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).includes("--json");
}

/** `{ "error": { code, message, hint, file, line, … } }`: every field present, null when unknown. */
export function errorJson(error: unknown, exitCode: number): string {
  const fields = isMooseError(error)
    ? {
        code: error.code,
        message: error.message,
        hint: error.hint ?? null,
        file: error.location?.file ?? error.config?.file ?? null,
        line: error.location?.line ?? error.config?.line ?? null,
        column: error.location?.col ?? null,
        configKey: error.config?.key ?? null,
        ...(error.details ? { details: error.details } : {}),
      }
    : error instanceof CommanderError
      ? { code: "USAGE", message: error.message.replace(/^error: /, ""), hint: "see `moose <command> --help`", file: null, line: null, column: null, configKey: null }
      : { code: "INTERNAL", message: `internal error (a bug in moose-ts): ${(error as Error)?.message ?? String(error)}`, hint: null, file: null, line: null, column: null, configKey: null };
  // One line: valid after the JSON-lines progress of `migrate up --json` as well as alone.
  return `${JSON.stringify({ error: { ...fields, exitCode } })}\n`;
}

export async function main(argv: string[]): Promise<number> {
  try {
    return await runCommand(argv);
  } finally {
    // No process outlives the command (esbuild's service would: see src/infra/children.ts).
    await stopEsbuildService();
  }
}

async function runCommand(argv: string[]): Promise<number> {
  const json = wantsJson(argv);
  const program = new Command("moose")
    .description("Version control for data infrastructure")
    .version(mooseTsPackage().version, "-V, --version", "print the moose-ts version")
    .option("--debug", "show stack traces for errors")
    .configureHelp(helpConfiguration)
    // With --json, a usage error is reported once, as JSON on stdout (below).
    .configureOutput({ outputError: (text, write) => (json ? undefined : write(text)) })
    .exitOverride();
  for (const register of registrations) register(program);
  addMooseStackNames(program);
  // As MooseStack: the project's .env files, before any command reads its config or runs its code.
  program.hook("preAction", (_program, command) => {
    const dir = (command.opts() as { dir?: unknown }).dir;
    loadEnvFiles(path.resolve(typeof dir === "string" ? dir : "."), command.name() === "prod" ? "prod" : "dev");
  });
  try {
    await program.parseAsync(argv);
    return takeStatus();
  } catch (error) {
    if (error instanceof CommanderError) {
      const code = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      if (json && code !== ExitCode.ok) process.stdout.write(errorJson(error, code));
      return code;
    }
    if (json) {
      const code = isMooseError(error) ? error.exitCode : ExitCode.error;
      process.stdout.write(errorJson(error, code));
      if (program.opts().debug) process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
      return code;
    }
    if (isMooseError(error)) {
      process.stderr.write(`${error.format()}\n`);
      if (program.opts().debug) process.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    process.stderr.write(`internal error (a bug in moose-ts): ${(error as Error)?.stack ?? String(error)}\n`);
    return ExitCode.error;
  }
}

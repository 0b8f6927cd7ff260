/**
 * MooseStack's command line as its users type it: the short names its CLI gives commands
 * (`moose d`, `moose w r daily`), and for its commands moose-ts does not have, an answer that names
 * what to do here instead of commander's "unknown command".
 */
import type { Command } from "commander";
import { ExitCode, MooseError } from "../errors.js";

/** Command path → MooseStack's alias for it (its CLI's `visible_alias`), where moose-ts's command does the same job. */
const MOOSESTACK_ALIASES: Record<string, string> = {
  init: "i",
  build: "b",
  check: "c",
  plan: "pl",
  peek: "pk",
  dev: "d",
  prod: "p",
  generate: "g",
  "generate hash-token": "h",
  logs: "l",
  workflow: "w",
  "workflow run": "r",
  "workflow list": "l",
  "workflow history": "h",
  "workflow cancel": "c",
  "workflow pause": "p",
  "workflow unpause": "u",
  "workflow status": "s",
  seed: "s",
  "seed clickhouse": "c",
  truncate: "tr",
  query: "q",
};

/** MooseStack commands moose-ts does not have, with what to do instead. */
const ABSENT_COMMANDS: Array<{ path: string; alias?: string; instead: string }> = [
  {
    path: "generate migration",
    alias: "m",
    instead:
      "moose-ts keeps the plan as migration files reviewed in pull requests: `moose migrate generate` writes the next one from the code, `moose plan --url … --token …` previews a deployment, `moose migrate up` applies the files",
  },
  { path: "generate dockerfile", alias: "d", instead: "moose-ts builds no Docker image: run `moose prod` in the image or host you deploy to (docs/getting-started.md)" },
  {
    path: "clean",
    alias: "cl",
    instead: "moose-ts runs no Docker containers: `moose dev` stops the services it started when it stops; to start the local database anew, stop `moose dev` and delete .moose/clickhouse",
  },
  { path: "ps", instead: "`moose ls` lists the app's stream processes with their state and lag, and a running `moose dev` prints its addresses when it is ready" },
  { path: "metrics", alias: "m", instead: "there is no metrics console: `moose ls` shows each stream process's lag, `/health` reports the processes, `moose logs` what moose did" },
  { path: "refresh", alias: "r", instead: "`moose db pull --clickhouse-url …` writes the code's EXTERNALLY_MANAGED tables anew from a live ClickHouse" },
  { path: "kafka", alias: "k", instead: "moose-ts has no `kafka pull`, which writes models from a broker's topics: declare each topic as `new Stream<T>(name)` (docs/streams.md)" },
  { path: "template", alias: "t", instead: "`moose init <dir>` creates the quickstart app (`--language python`, or `--from-remote <url>` to model an existing ClickHouse's tables)" },
  { path: "workflow resume", alias: "rs", instead: "a run cannot be resumed from a task: `moose workflow run <name>` starts a new run at the first task" },
  { path: "feedback", alias: "f", instead: "moose-ts has no feedback command" },
  { path: "docs", alias: "do", instead: "moose-ts's documentation is in its docs/ folder; `moose <command> --help` describes each command" },
  { path: "add", alias: "a", instead: "moose-ts has no components to add" },
];

/** Gives the registered commands MooseStack's aliases and registers its absent commands (hidden from --help). */
export function addMooseStackNames(program: Command): void {
  for (const [commandPath, alias] of Object.entries(MOOSESTACK_ALIASES)) findCommand(program, commandPath).alias(alias);
  for (const { path: commandPath, alias, instead } of ABSENT_COMMANDS) {
    const words = commandPath.split(" ");
    const parent = words.length === 1 ? program : findCommand(program, words.slice(0, -1).join(" "));
    const command = parent
      .command(words.at(-1)!, { hidden: true })
      .allowUnknownOption()
      .allowExcessArguments()
      .helpOption(false)
      .argument("[args...]")
      .action(() => {
        throw new MooseError("NOT_IN_MOOSE_TS", `\`moose ${commandPath}\` is a MooseStack command that moose-ts does not have`, {
          hint: instead,
          exitCode: ExitCode.usage,
        });
      });
    if (alias !== undefined) command.alias(alias);
  }
}

function findCommand(program: Command, commandPath: string): Command {
  let command = program;
  for (const word of commandPath.split(" ")) {
    const child = command.commands.find((candidate) => candidate.name() === word);
    if (!child) throw new Error(`moose-ts has no command \`${commandPath}\` to give MooseStack's name (src/cli/moosestack-names.ts)`);
    command = child;
  }
  return command;
}

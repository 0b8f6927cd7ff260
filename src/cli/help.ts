/**
 * `moose --help`: every command on one line — nested ones by their full name (`generate hash-token`,
 * `migrate up`) rather than just their group — sorted, and never wrapped, so it reads as a list.
 */
import { Help, type Command, type HelpConfiguration } from "commander";

const defaultHelp = new Help();

export const helpConfiguration: HelpConfiguration = {
  helpWidth: Number.MAX_SAFE_INTEGER,
  visibleCommands: (command) =>
    defaultHelp
      .visibleCommands(command)
      .flatMap(leafCommands)
      .sort((a, b) => commandPath(a).localeCompare(commandPath(b))),
  subcommandTerm: (command) => [...parentNames(command), defaultHelp.subcommandTerm(command)].join(" "),
  subcommandDescription: (command) => (command.summary() || command.description()).split("\n")[0],
};

/** A group's runnable commands (its implicit `help` left out), or the command itself. */
function leafCommands(command: Command): Command[] {
  const children = defaultHelp.visibleCommands(command).filter((child) => child.name() !== "help");
  return children.length === 0 ? [command] : children.flatMap(leafCommands);
}

/** Names of the groups between the program and `command`: ["migrate"] for `migrate up`. */
function parentNames(command: Command): string[] {
  const names: string[] = [];
  for (let parent = command.parent; parent?.parent; parent = parent.parent) names.unshift(parent.name());
  return names;
}

function commandPath(command: Command): string {
  return [...parentNames(command), command.name()].join(" ");
}

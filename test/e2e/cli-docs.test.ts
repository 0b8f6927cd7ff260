/**
 * docs/cli.md stays complete: every command `moose --help` lists has a `### moose <command>` section,
 * and every flag and argument `moose <command> --help` shows appears in that section. The help text
 * comes from the commander definitions, so a new command or flag without docs fails here.
 * Needs `npm run build` first.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MOOSE_BIN, REPO_ROOT } from "./scenarios/project.js";

function help(args: string[]): string {
  const result = spawnSync(process.execPath, [MOOSE_BIN, ...args, "--help"], { encoding: "utf8" });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

/** The indented lines of a help section (`Commands:`, `Options:`, `Arguments:`), first column only. */
function helpSection(text: string, title: string): string[] {
  const start = text.indexOf(`${title}:\n`);
  if (start < 0) return [];
  const lines = text.slice(start + title.length + 2).split("\n");
  const entries: string[] = [];
  for (const line of lines) {
    if (!line.startsWith("  ")) break;
    // Entry and description are separated by two or more spaces.
    const entry = line.trim().split(/\s{2,}/)[0]!;
    if (line.startsWith("   ") && entries.length > 0) continue; // a wrapped description line
    entries.push(entry);
  }
  return entries;
}

/** `migrate up [options]` → `migrate up`; `init|i <dir>` → `init` (MooseStack's alias left out). */
function commandPath(usage: string): string {
  return usage
    .split(/\s+/)
    .filter((word) => !/^[<[]/.test(word))
    .map((word) => word.replace(/\|.*$/, ""))
    .join(" ");
}

/** `--rename <Table.old=new>` → `--rename`; `-h, --help` → `--help`. */
function longFlag(entry: string): string {
  return entry.split(/[ ,]+/).find((word) => word.startsWith("--"))!;
}

function docSection(doc: string, command: string): string | undefined {
  const heading = doc.search(new RegExp(`^### \`moose ${command.replace(/ /g, " ")}( [<[][^\`]*)?\`$`, "m"));
  if (heading < 0) return undefined;
  const rest = doc.slice(heading + 4);
  const end = rest.search(/^##/m);
  return end < 0 ? rest : rest.slice(0, end);
}

describe("docs/cli.md", () => {
  const doc = readFileSync(path.join(REPO_ROOT, "docs", "cli.md"), "utf8");
  const commands = helpSection(help([]), "Commands")
    .map(commandPath)
    .filter((command) => command !== "help");

  it("lists the CLI's commands", () => {
    expect(commands).toEqual(expect.arrayContaining(["init", "plan", "migrate up", "prod", "generate hash-token"]));
  });

  it("has a section for every command, naming each of its flags and arguments", () => {
    const missing: string[] = [];
    let checked = 0;
    for (const command of commands) {
      const section = docSection(doc, command);
      if (section === undefined) {
        missing.push(`### \`moose ${command}\``);
        continue;
      }
      const text = help(command.split(" "));
      const flags = helpSection(text, "Options").map(longFlag).filter((flag) => flag !== "--help");
      const args = helpSection(text, "Arguments");
      checked += flags.length + args.length;
      for (const flag of flags) if (!section.includes(`\`${flag}`)) missing.push(`moose ${command} ${flag}`);
      for (const arg of args) if (!new RegExp(`\`[<[]${arg}[>\\]]\``).test(section)) missing.push(`moose ${command} <${arg}>`);
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(40);
  });

  it("names the global flags", () => {
    for (const flag of helpSection(help([]), "Options").map(longFlag)) expect(doc).toContain(`\`${flag}`);
  });
});

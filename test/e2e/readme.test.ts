/**
 * The README's command table stays true: every command `moose --help` lists has a row, and a row
 * says "available" exactly when the command exists. Needs `npm run build` first.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** Command paths (`migrate up`) from `moose --help`, without the built-in `help`. */
function helpCommands(): string[] {
  const help = spawnSync(process.execPath, [path.join(repoRoot, "bin", "moose.js"), "--help"], { encoding: "utf8" });
  expect(help.status).toBe(0);
  return help.stdout
    .split("Commands:\n")[1]
    .trimEnd()
    .split("\n")
    .map((line) => commandPath(line.trim()))
    .filter((command) => command !== "help");
}

/** `generate hash-token|h [options]` → `generate hash-token`: the words before the first argument or option, without MooseStack's alias. */
function commandPath(usage: string): string {
  const words: string[] = [];
  for (const word of usage.split(/\s+/)) {
    if (/^[<[-]/.test(word)) break;
    words.push(word.replace(/\|.*$/, ""));
  }
  return words.join(" ");
}

/** `| \`moose init <dir>\` | … | ✅ available |` rows → command path and whether it is marked available. */
function readmeRows(): Map<string, boolean> {
  const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
  const rows = new Map<string, boolean>();
  for (const match of readme.matchAll(/^\| `moose ([^`]+)` \|.*\| ([^|]+) \|$/gm)) {
    rows.set(commandPath(match[1]), match[2].includes("available"));
  }
  return rows;
}

describe("README command table", () => {
  it("has a row for every command, marked available exactly when it exists", () => {
    const existing = helpCommands();
    const rows = readmeRows();
    expect(existing.length).toBeGreaterThan(0);
    const undocumented = existing.filter((command) => !rows.has(command));
    const markedPlannedButExists = existing.filter((command) => rows.get(command) === false);
    const markedAvailableButMissing = [...rows]
      .filter(([command, available]) => available && !existing.includes(command))
      .map(([command]) => command);
    expect({ undocumented, markedPlannedButExists, markedAvailableButMissing }).toEqual({
      undocumented: [],
      markedPlannedButExists: [],
      markedAvailableButMissing: [],
    });
  });
});

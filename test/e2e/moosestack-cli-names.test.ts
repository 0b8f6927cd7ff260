/**
 * MooseStack's command line as its users type it: its short names run moose-ts's commands, and its
 * commands moose-ts lacks answer with what to use instead (exit 2), not "unknown command".
 * Needs `npm run build` first.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MOOSE_BIN } from "./scenarios/project.js";

function moose(args: string[]) {
  const cwd = mkdtempSync(path.join(tmpdir(), "moose-cli-names-"));
  return spawnSync(process.execPath, [MOOSE_BIN, ...args], { cwd, encoding: "utf8" });
}

describe("MooseStack's command names", () => {
  it.each([
    [["d"], "moose dev|d"],
    [["pl"], "moose plan|pl"],
    [["w", "r"], "moose workflow run|r"],
    [["g", "h"], "moose generate hash-token|h"],
    [["s", "c"], "moose seed clickhouse|c"],
    [["tr"], "moose truncate|tr"],
  ])("`moose %j` is moose-ts's command", (args, usage) => {
    const result = moose([...args, "--help"]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.split("\n")[0]).toContain(`Usage: ${usage}`);
  });

  it("runs a command by its alias", () => {
    const result = moose(["g", "h", "--json"]);
    expect(result.status, result.stderr).toBe(0);
    expect(Object.keys(JSON.parse(result.stdout) as object)).toEqual(["api_key_hash", "bearer_token"]);
  });

  it.each([
    [["generate", "migration", "--url", "http://localhost:4000", "--token", "t", "--save"], "generate migration", "moose migrate generate"],
    [["clean"], "clean", ".moose/clickhouse"],
    [["cl"], "clean", ".moose/clickhouse"],
    [["kafka", "pull", "localhost:9092", "--path", "app/external-topics"], "kafka", "new Stream<T>(name)"],
    [["workflow", "resume", "daily", "--from", "load"], "workflow resume", "moose workflow run <name>"],
    [["ps"], "ps", "moose ls"],
  ])("`moose %j` says what to use instead, with exit 2", (args, shown, instead) => {
    const result = moose(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`NOT_IN_MOOSE_TS: \`moose ${shown}\` is a MooseStack command that moose-ts does not have`);
    expect(result.stderr).toContain(instead);
  });

  it("reports it as JSON with --json, and keeps these commands out of `moose --help`", () => {
    const result = moose(["refresh", "--url", "http://localhost:4000", "--json"]);
    expect(result.status).toBe(2);
    const { error } = JSON.parse(result.stdout) as { error: { code: string; hint: string; exitCode: number } };
    expect(error).toMatchObject({ code: "NOT_IN_MOOSE_TS", exitCode: 2 });
    expect(error.hint).toContain("moose db pull");
    const help = moose(["--help"]).stdout;
    for (const absent of ["clean", "ps", "metrics", "refresh", "kafka", "template", "migration", "resume"]) expect(help).not.toMatch(new RegExp(`^  (\\S+ )?${absent}\\b`, "m"));
    expect(help).toMatch(/^ {2}dev\|d /m);
  });
});

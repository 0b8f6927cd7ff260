/**
 * `--json` everywhere it exists reports failures as JSON too: one line on stdout,
 * `{ "error": { code, message, hint, file, line, … } }`, nothing on stderr, the same exit code as
 * without `--json`. The built CLI (`npm run build` first).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MOOSE_BIN } from "./dev-process.js";

const work = mkdtempSync(path.join(tmpdir(), "moose-json-errors-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function moose(args: string[], cwd = work) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("MOOSE_")));
  const result = spawnSync(process.execPath, [MOOSE_BIN, ...args], { cwd, env: { ...inherited, NO_COLOR: "1" }, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface ErrorJson {
  error: { code: string; message: string; hint: string | null; file: string | null; line: number | null; exitCode: number };
}

describe("--json failures", () => {
  it("a missing main file (ls --json): the error as JSON on stdout, exit 1, stderr empty; without --json it is text on stderr", () => {
    const missing = path.join(work, "nothing-here");
    const json = moose(["ls", "--json", "--dir", missing]);
    expect(json.code).toBe(1);
    expect(json.stderr).toBe("");
    expect(json.stdout.trim().split("\n")).toHaveLength(1);
    const parsed = JSON.parse(json.stdout) as ErrorJson;
    expect(parsed.error).toMatchObject({ code: "MISSING_MAIN_FILE", file: "app/index.ts", exitCode: 1 });
    expect(parsed.error.message).toContain(missing);
    expect(parsed.error.hint).toEqual(expect.any(String));

    const text = moose(["ls", "--dir", missing]);
    expect(text.code).toBe(1);
    expect(text.stdout).toBe("");
    expect(text.stderr).toContain("error MISSING_MAIN_FILE");
  });

  it("a bad config value (migrate status --json): code, file and line of moose.config.toml, exit 1", () => {
    const project = path.join(work, "bad-config");
    mkdirSync(path.join(project, "app"), { recursive: true });
    writeFileSync(path.join(project, "app", "index.ts"), "export {};\n");
    writeFileSync(path.join(project, "moose.config.toml"), '[clickhouse_config]\nhost_port = "eighty"\n');
    const json = moose(["migrate", "status", "--json", "--embedded", "--dir", project]);
    expect(json.stderr).toBe("");
    const parsed = JSON.parse(json.stdout) as ErrorJson & { error: { configKey: string } };
    expect(json.code).toBe(parsed.error.exitCode);
    expect(parsed.error.code).toMatch(/^CONFIG_/);
    expect(parsed.error.configKey).toBe("clickhouse_config.host_port");
    expect(parsed.error.line).toBe(2);
  });

  it("a usage error (plan --json --bogus): code USAGE, exit 2, nothing from commander on stderr", () => {
    const json = moose(["plan", "--json", "--bogus"]);
    expect(json.code).toBe(2);
    expect(json.stderr).toBe("");
    expect((JSON.parse(json.stdout) as ErrorJson).error).toMatchObject({ code: "USAGE", message: "unknown option '--bogus'", exitCode: 2 });
  });
});

/**
 * `moose plan --clickhouse-url` (the built CLI) against a real ClickHouse server (Debian's,
 * scripts/clickhouse-server, or MOOSE_TEST_CLICKHOUSE_URL): the code planned against what the
 * migrations applied there (the journal's state), which the plan only reads.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../../src/errors.js";
import { SERVER_START_TIMEOUT_MS, serverExec, testServerUrl, urlWithPassword, withTestDatabase } from "../../helpers/clickhouse.js";
import { runMoose } from "./cli-helpers.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/app", import.meta.url));
const projectDir = mkdtempSync(join(tmpdir(), "moose-plan-clickhouse-url-"));
let target: { database: string; url: string; drop(): Promise<void> };

const plan = (...args: string[]) => runMoose(["plan", "--clickhouse-url", target.url, "--dir", projectDir, ...args]);

beforeAll(async () => {
  target = await withTestDatabase(await testServerUrl());
  cpSync(FIXTURE, projectDir, { recursive: true });
}, SERVER_START_TIMEOUT_MS);

afterAll(async () => {
  rmSync(projectDir, { recursive: true, force: true });
  await target?.drop();
});

describe("moose plan --clickhouse-url", () => {
  it("plans everything against a database no migration reached, and writes nothing there", async () => {
    const result = await plan("--detailed-exitcode");
    expect(result.code, result.stderr).toBe(ExitCode.changesFound);
    expect(result.stdout).toContain("+ Users");
    expect(await serverExec(target.url, `SHOW TABLES FROM ${target.database}`)).toBe("");
  });

  it("plans against the journal's state once migrations are applied there: nothing, then the code's change", async () => {
    for (const args of [["migrate", "generate", "--name", "init"], ["migrate", "up", "--clickhouse-url", target.url]]) {
      const result = await runMoose([...args, "--dir", projectDir]);
      if (result.code !== ExitCode.ok) throw new Error(`${args.join(" ")}: ${result.stderr}`);
    }
    expect((await plan("--detailed-exitcode")).code).toBe(ExitCode.ok);

    const mainFile = join(projectDir, "app", "index.ts");
    writeFileSync(mainFile, readFileSync(mainFile, "utf8").replace("  age: UInt32;\n}", "  age: UInt32;\n  email: string;\n}"));
    const changed = await plan("--json");
    expect(changed.code, changed.stderr).toBe(ExitCode.ok);
    const operations = (JSON.parse(changed.stdout) as { operations: Array<{ kind: string; target: string }> }).operations;
    expect(operations).toContainEqual(expect.objectContaining({ kind: "addColumn", target: "Users" }));
    expect(operations.some((operation) => operation.kind === "createTable")).toBe(false);
  });

  it("says a wrong password with exit 5, and refuses --url with it (exit 2)", async () => {
    const wrong = await runMoose(["plan", "--clickhouse-url", urlWithPassword(target.url, "not-it"), "--dir", projectDir]);
    expect(wrong.code).toBe(ExitCode.authFailed);
    const both = await runMoose(["plan", "--clickhouse-url", target.url, "--url", "http://localhost:4000", "--dir", projectDir]);
    expect(both.code).toBe(ExitCode.usage);
  });
});

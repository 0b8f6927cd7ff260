/** `moose query` and `moose peek` through the built CLI on a copy of the fixture app (embedded engine). */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../../src/errors.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { MOOSE_BIN, runMoose } from "./cli-helpers.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/app", import.meta.url));
const projectDir = mkdtempSync(join(tmpdir(), "moose-query-cli-"));

beforeAll(async () => {
  cpSync(FIXTURE, projectDir, { recursive: true });
  for (const args of [["migrate", "generate", "--name", "init"], ["migrate", "up", "--embedded"]]) {
    const result = await runMoose([...args, "--dir", projectDir]);
    if (result.code !== ExitCode.ok) throw new Error(`${args.join(" ")}: ${result.stderr}`);
  }
  const driver = await openEmbedded({ dataDir: join(projectDir, ".moose", "clickhouse"), database: "server_fixture" });
  await driver.exec("INSERT INTO Users (id, name, age) VALUES ('u1', 'Ada', 36), ('u2', 'Grace', 45), ('u3', 'Edsger', 72)");
  await driver.close();
}, 120_000);
afterAll(() => rmSync(projectDir, { recursive: true, force: true }));

const lines = (stdout: string) => stdout.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

describe("moose query", () => {
  it("prints a statement's rows as JSON lines, from the argument, a file or stdin", async () => {
    const fromArgument = await runMoose(["query", "SELECT id, name FROM Users ORDER BY id", "--dir", projectDir]);
    expect(fromArgument.code, fromArgument.stderr).toBe(ExitCode.ok);
    expect(lines(fromArgument.stdout)).toEqual([{ id: "u1", name: "Ada" }, { id: "u2", name: "Grace" }, { id: "u3", name: "Edsger" }]);

    writeFileSync(join(projectDir, "oldest.sql"), "SELECT name FROM Users ORDER BY age DESC LIMIT 1\n");
    const fromFile = await runMoose(["query", "-f", join(projectDir, "oldest.sql"), "--dir", projectDir]);
    expect(lines(fromFile.stdout)).toEqual([{ name: "Edsger" }]);

    const fromStdin = spawnSync(process.execPath, [MOOSE_BIN, "query", "--dir", projectDir], { input: "SELECT count() AS n FROM Users", encoding: "utf8" });
    expect(fromStdin.status, fromStdin.stderr).toBe(ExitCode.ok);
    expect(lines(fromStdin.stdout)).toEqual([{ n: "3" }]);
  });

  it("stops at --limit rows, also reading a table without end", async () => {
    const limited = await runMoose(["query", "SELECT number FROM system.numbers", "--limit", "3", "--dir", projectDir]);
    expect(limited.code, limited.stderr).toBe(ExitCode.ok);
    expect(lines(limited.stdout)).toEqual([{ number: "0" }, { number: "1" }, { number: "2" }]);
    expect((await runMoose(["query", "SELECT 1", "--limit", "0", "--dir", projectDir])).code).toBe(ExitCode.usage);
  });

  it("only reads: ClickHouse refuses a write or a drop, and the table is as it was", async () => {
    for (const statement of ["INSERT INTO Users (id, name, age) VALUES ('u4', 'Barbara', 80)", "DROP TABLE Users"]) {
      const refused = await runMoose(["query", statement, "--dir", projectDir]);
      expect(refused.code, statement).toBe(ExitCode.error);
      expect(refused.stderr, statement).toContain("QUERY_WRITES");
    }
    expect(lines((await runMoose(["query", "SELECT count() AS n FROM Users", "--dir", projectDir])).stdout)).toEqual([{ n: "3" }]);
  });

  it("says what is missing when no statement is given (usage, exit 2), and names a --file it cannot read", async () => {
    const empty = await runMoose(["query", "--dir", projectDir]);
    expect(empty.code).toBe(ExitCode.usage);
    expect(empty.stderr).toContain("QUERY_EMPTY");
    const missing = await runMoose(["query", "-f", join(projectDir, "missing.sql"), "--dir", projectDir]);
    expect(missing.code).toBe(ExitCode.error);
    expect(missing.stderr).toContain("QUERY_FILE_UNREADABLE");
    expect(missing.stderr).toContain("missing.sql");
  });
});

describe("moose query --format-query", () => {
  it("prints the statement as a code literal without running it, laid out by ClickHouse's formatter with --prettify", async () => {
    const typescript = await runMoose(["query", "SELECT name FROM NoSuchTable WHERE name = 'a'", "-c", "ts", "--dir", projectDir]);
    expect(typescript.code, typescript.stderr).toBe(ExitCode.ok);
    expect(typescript.stdout).toBe("`\nSELECT name FROM NoSuchTable WHERE name = 'a'\n`\n");

    const python = await runMoose(["query", "select name from Users where age > 30", "--format-query", "python", "--prettify", "--dir", projectDir]);
    expect(python.code, python.stderr).toBe(ExitCode.ok);
    expect(python.stdout).toMatch(/^r"""\nSELECT name\nFROM Users\nWHERE age > 30\n"""\n$/);

    const broken = await runMoose(["query", "SELEC name FROM", "-c", "py", "-p", "--dir", projectDir]);
    expect(broken.code).toBe(ExitCode.usage);
    expect(broken.stderr).toContain("QUERY_UNPARSABLE");
    expect((await runMoose(["query", "SELECT 1", "--prettify", "--dir", projectDir])).code).toBe(ExitCode.usage);
  });
});

describe("moose peek", () => {
  it("prints a few rows of one of the code's tables", async () => {
    const peeked = await runMoose(["peek", "Users", "--limit", "2", "--dir", projectDir]);
    expect(peeked.code, peeked.stderr).toBe(ExitCode.ok);
    const rows = lines(peeked.stdout);
    expect(rows).toHaveLength(2);
    expect(Object.keys(rows[0]!).sort()).toEqual(["age", "id", "name"]);
  });

  it("refuses a name the code does not have, listing the ones it has", async () => {
    const unknown = await runMoose(["peek", "system.users", "--dir", projectDir]);
    expect(unknown.code).toBe(ExitCode.error);
    expect(unknown.stderr).toContain("PEEK_UNKNOWN_NAME");
    expect(unknown.stderr).toContain("Users");
  });
});

/**
 * ClickHouse's parser through chdb: one statement in, its canonical text and syntax tree out.
 * Whatever the text holds, nothing in it runs — not beside an open embedded engine either.
 */
import { afterAll, describe, expect, it } from "vitest";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { formatStatements, parseSelectList, parseStatement, SqlParseError } from "../../../src/infra/clickhouse/parser.js";
import { tempDataDir } from "../../helpers/clickhouse.js";

const data = tempDataDir("moose-parser-");
afterAll(() => data.remove());

describe("parseStatement", () => {
  it("reads one statement, comments and quoting aside", async () => {
    const parsed = await parseStatement("/* note */ ALTER TABLE `my t` -- why\n DROP COLUMN x");
    expect(parsed.formatted).toBe("ALTER TABLE `my t` (DROP COLUMN x)");
    expect(parsed.ast.kind).toBe("AlterQuery");
    expect(parsed.ast.children[0]!.children.map((command) => command.detail)).toEqual(["DROP_COLUMN"]);
  });

  it("refuses several statements and syntax errors with the parser's own words", async () => {
    await expect(parseStatement("SELECT 1; DROP TABLE t")).rejects.toThrow(SqlParseError);
    await expect(parseStatement("SELECT 1; DROP TABLE t")).rejects.toThrow(/Multi-statements are not allowed/);
    await expect(parseStatement("ALTER TABLE")).rejects.toThrow(SqlParseError);
    await expect(parseStatement("   ")).rejects.toThrow(SqlParseError);
  });

  it("formats many texts in one query, each exactly one statement or nothing", async () => {
    const texts = ["CREATE TABLE t (`a b` String) ENGINE = Memory", "SELECT 1; DROP TABLE t", "CREATE TABLE", "", "SELECT {x:String}", "DROP TABLE t -- note"];
    expect(await formatStatements(texts)).toEqual(["CREATE TABLE t (`a b` String) ENGINE = Memory", undefined, undefined, undefined, "SELECT {x:String}", "DROP TABLE t"]);
    expect(await formatStatements([])).toEqual([]);
  });

  it("runs nothing of what it reads, on the embedded engine a command has open", async () => {
    const driver = await openEmbedded({ dataDir: data.dir, database: "parser_test" });
    try {
      await driver.exec("CREATE TABLE victim (x UInt8) ENGINE = MergeTree ORDER BY x");
      await driver.exec("INSERT INTO victim VALUES (1)");
      for (const text of ["SELECT 1; DROP TABLE victim", "DROP TABLE victim", "TRUNCATE TABLE victim", "ALTER TABLE victim DELETE WHERE 1"]) {
        await parseStatement(text).catch(() => undefined);
      }
      await parseSelectList("1), (SELECT 1); DROP TABLE victim; --").catch(() => undefined);
      expect(await driver.query("SELECT count() AS n FROM victim")).toEqual([{ n: "1" }]);
    } finally {
      await driver.close();
    }
  });

  it("parseSelectList accepts an expression list and nothing beyond it", async () => {
    expect((await parseSelectList("toYYYYMM(at), 1")).map((node) => node.kind)).toEqual(["Function", "Literal"]);
    await expect(parseSelectList("1 FROM t")).rejects.toThrow(/not a plain expression/);
  });
});

import { describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import {
  addColumnSql,
  columnDefinition,
  createMaterializedViewSql,
  createTableSql,
  createViewSql,
  dropColumnSql,
  dropTableSql,
  fullColumnType,
  modifyColumnSql,
  modifySettingsSql,
  recreateTableSql,
  renameColumnSql,
  resetSettingsSql,
} from "../../../src/infra/clickhouse/ddl.js";
import { quoteIdentifier, quoteString } from "../../../src/infra/clickhouse/quote.js";
import { column, mv, table, users, view } from "../diff/builders.js";

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Reads one identifier (bare, or backquoted with escapes) from the start of `sql` the way ClickHouse's lexer does. */
function readIdentifier(sql: string): { name: string; rest: string } {
  if (sql[0] !== "`") {
    const bare = PLAIN_NAME.exec(sql);
    if (!bare) throw new Error(`no identifier at the start of ${JSON.stringify(sql)}`);
    return { name: bare[0], rest: sql.slice(bare[0].length) };
  }
  let name = "";
  for (let i = 1; i < sql.length; i++) {
    const ch = sql[i]!;
    if (ch === "\\") {
      const next = sql[++i]!;
      name += { n: "\n", r: "\r", t: "\t", "0": "\0" }[next] ?? next;
    } else if (ch === "`") return { name, rest: sql.slice(i + 1) };
    else name += ch;
  }
  throw new Error(`unterminated identifier in ${sql}`);
}

/** Reads the fixed SQL text `word` from the start of `sql`, failing the test when it is not there. */
function readWord(sql: string, word: string): string {
  expect(sql.slice(0, word.length)).toBe(word);
  return sql.slice(word.length);
}

const HOSTILE = ["we`ird", "a\\`; DROP TABLE users; --", "quote'd\"", "back\\slash\\", "new\nline", "tab\tnul\0", "` OR 1=1 --", "ünï😀"];

describe("quoting", () => {
  it("a plain name is written bare", () => {
    for (const name of ["Users", "user_id", "_private", "Events_2024", "x"]) expect(quoteIdentifier(name)).toBe(name);
  });

  it("a name that is a keyword, in any case, is quoted", () => {
    for (const name of ["order", "select", "SELECT", "Order", "from", "table", "default", "key", "null", "index", "ttl", "projection", "constraint", "top", "nan", "inf", "infinity", "function"]) {
      expect(quoteIdentifier(name)).toBe(`\`${name}\``);
    }
  });

  it("a name that is not a plain identifier is quoted", () => {
    expect(quoteIdentifier("first name")).toBe("`first name`");
    expect(quoteIdentifier("ünï")).toBe("`ünï`");
    expect(quoteIdentifier("1st")).toBe("`1st`");
    expect(quoteIdentifier("a-b")).toBe("`a-b`");
    expect(quoteIdentifier("db.table")).toBe("`db.table`");
    expect(quoteIdentifier("we`ird")).toBe("`we\\`ird`");
    expect(quoteIdentifier("")).toBe("``");
  });

  it("statements mix bare and quoted names as each needs", () => {
    expect(addColumnSql("Users", column("order", "Int32"), { after: "first name" })).toBe(
      "ALTER TABLE Users ADD COLUMN IF NOT EXISTS `order` Int32 AFTER `first name`",
    );
    expect(renameColumnSql("select", "ünï", "plain")).toBe("ALTER TABLE `select` RENAME COLUMN IF EXISTS `ünï` TO plain");
  });

  it.each(HOSTILE)("a hostile identifier %j stays one identifier", (name) => {
    const quoted = quoteIdentifier(name);
    expect(quoted[0]).toBe("`");
    expect(readIdentifier(quoted)).toEqual({ name, rest: "" });
    const { name: parsed, rest } = readIdentifier(readWord(dropTableSql(name), "DROP TABLE IF EXISTS "));
    expect(parsed).toBe(name);
    expect(rest).toBe("");
  });

  it.each(HOSTILE)("a hostile table and column name %j stay inside ALTER … ADD COLUMN", (name) => {
    for (const tableName of ["T", name]) {
      const sql = addColumnSql(tableName, column(name, "String"), { after: name });
      const target = readIdentifier(readWord(sql, "ALTER TABLE "));
      expect(target.name).toBe(tableName);
      const added = readIdentifier(readWord(target.rest, " ADD COLUMN IF NOT EXISTS "));
      expect(added.name).toBe(name);
      expect(readIdentifier(readWord(added.rest, " String AFTER "))).toEqual({ name, rest: "" });
    }
  });

  it("string literals escape quotes and backslashes", () => {
    expect(quoteString("it's a \\ test")).toBe("'it\\'s a \\\\ test'");
    expect(columnDefinition(column("c", "String", { comment: "x' COMMENT 'y" }))).toBe("c String COMMENT 'x\\' COMMENT \\'y'");
  });

  it("refuses a setting name that is not an identifier", () => {
    expect(() => createTableSql(users({ settings: { "x = 1, y": "2" } }))).toThrow(MooseError);
    expect(() => modifySettingsSql("T", { "bad name": "1" })).toThrow(/INVALID_SETTING_NAME|not a ClickHouse setting name/);
  });
});

describe("statements", () => {
  it("CREATE TABLE with every clause, idempotent and without a database name", () => {
    const spec = table(
      "Events",
      [
        column("id", "String", { comment: "who" }),
        column("ts", "DateTime64(3)"),
        column("tag", "LowCardinality(String)", { nullable: true }),
        column("n", "Int32", { default: "0", codec: "ZSTD(1)", ttl: "ts + INTERVAL 1 DAY" }),
        column("day", "Date", { materialized: "toDate(ts)" }),
      ],
      {
        orderBy: ["id", "toStartOfHour(ts)"],
        primaryKey: ["id"],
        partitionBy: "toYYYYMM(ts)",
        ttl: "ts + INTERVAL 90 DAY",
        engine: { name: "ReplacingMergeTree", params: ["ts"] },
        settings: { merge_with_ttl_timeout: "3600" },
        indexes: [{ name: "by_tag", expression: "tag", type: "set(100)", granularity: 4 }],
      },
    );
    expect(createTableSql(spec)).toBe(
      [
        "CREATE TABLE IF NOT EXISTS Events",
        "(",
        "    id String COMMENT 'who',",
        "    ts DateTime64(3),",
        "    tag LowCardinality(Nullable(String)),",
        "    n Int32 DEFAULT 0 CODEC(ZSTD(1)) TTL ts + INTERVAL 1 DAY,",
        "    day Date MATERIALIZED toDate(ts),",
        "    INDEX by_tag tag TYPE set(100) GRANULARITY 4",
        ")",
        "ENGINE = ReplacingMergeTree(ts)",
        "PARTITION BY toYYYYMM(ts)",
        "PRIMARY KEY (id)",
        "ORDER BY (id, toStartOfHour(ts))",
        "TTL ts + INTERVAL 90 DAY",
        "SETTINGS merge_with_ttl_timeout = 3600",
      ].join("\n"),
    );
  });

  it("ORDER BY tuple() when there is no key; no ORDER BY for non-MergeTree engines", () => {
    expect(createTableSql(users({ orderBy: [] }))).toContain("ORDER BY tuple()");
    expect(createTableSql(users({ engine: { name: "Memory", params: [] } }))).not.toContain("ORDER BY");
  });

  it("ADD COLUMN with FIRST / AFTER; DROP and RENAME with IF EXISTS", () => {
    expect(addColumnSql("Users", column("age", "Float64"), { after: null })).toBe("ALTER TABLE Users ADD COLUMN IF NOT EXISTS age Float64 FIRST");
    expect(addColumnSql("Users", column("age", "Float64"), { after: "name" })).toBe(
      "ALTER TABLE Users ADD COLUMN IF NOT EXISTS age Float64 AFTER name",
    );
    expect(dropColumnSql("Users", "email")).toBe("ALTER TABLE Users DROP COLUMN IF EXISTS email");
    expect(renameColumnSql("Users", "email", "contact")).toBe("ALTER TABLE Users RENAME COLUMN IF EXISTS email TO contact");
  });

  it("MODIFY COLUMN: a type change is one statement marked as converting", () => {
    expect(modifyColumnSql("Users", column("age", "Float64"), column("age", "Int32"))).toEqual([
      { sql: "ALTER TABLE Users MODIFY COLUMN IF EXISTS age Int32", convertsType: true, givesDefault: false },
    ]);
  });

  it("MODIFY COLUMN: removed properties get REMOVE, a comment alone gets COMMENT COLUMN", () => {
    expect(modifyColumnSql("T", column("a", "Int32", { default: "1", codec: "ZSTD" }), column("a", "Int32")).map((s) => s.sql)).toEqual([
      "ALTER TABLE T UPDATE a = a WHERE 1",
      "ALTER TABLE T MODIFY COLUMN IF EXISTS a REMOVE DEFAULT",
      "ALTER TABLE T MODIFY COLUMN IF EXISTS a REMOVE CODEC",
    ]);
    expect(modifyColumnSql("T", column("a", "Int32"), column("a", "Int32", { comment: "new" }))).toEqual([
      { sql: "ALTER TABLE T COMMENT COLUMN IF EXISTS a 'new'", convertsType: false, givesDefault: false },
    ]);
    expect(modifyColumnSql("T", column("a", "Int32"), column("a", "Int32", { default: "2" }))).toEqual([
      { sql: "ALTER TABLE T MODIFY COLUMN IF EXISTS a Int32 DEFAULT 2", convertsType: false, givesDefault: true },
    ]);
  });

  it("MODIFY COLUMN: rows that hold no value keep what they read before a DEFAULT or MATERIALIZED expression changes or goes", () => {
    expect(modifyColumnSql("T", column("a", "Int32", { default: "7" }), column("a", "String", { default: "'7'" })).map((s) => [s.sql, s.materializes])).toEqual([
      ["ALTER TABLE T UPDATE a = a WHERE 1", "default"],
      ["ALTER TABLE T MODIFY COLUMN IF EXISTS a String DEFAULT '7'", undefined],
    ]);
    expect(modifyColumnSql("T", column("m", "Int32", { materialized: "n * 2" }), column("m", "Int32", { materialized: "n * 3" })).map((s) => s.sql)).toEqual([
      "ALTER TABLE T MATERIALIZE COLUMN m",
      "ALTER TABLE T MODIFY COLUMN IF EXISTS m Int32 MATERIALIZED n * 3",
    ]);
    // The same expression on a new type: the rows read it as before.
    expect(modifyColumnSql("T", column("a", "Int32", { default: "7" }), column("a", "Int64", { default: "7" })).map((s) => s.sql)).toEqual([
      "ALTER TABLE T MODIFY COLUMN IF EXISTS a Int64 DEFAULT 7",
    ]);
  });

  it("settings: MODIFY SETTING and RESET SETTING", () => {
    expect(modifySettingsSql("T", { b: "2", a: "'x'" })).toBe("ALTER TABLE T MODIFY SETTING a = 'x', b = 2");
    expect(resetSettingsSql("T", ["b", "a"])).toBe("ALTER TABLE T RESET SETTING a, b");
  });

  it("rebuild: new table, copy by name with CAST where the type changed, EXCHANGE, drop the old", () => {
    const from = users({}, [column("id", "String"), column("age", "Float64"), column("gone", "String")]);
    const to = users({ orderBy: ["id", "age"] }, [column("id", "String"), column("age", "Int32"), column("fresh", "String"), column("calc", "String", { alias: "id" })]);
    const phased = recreateTableSql(from, to);
    expect(phased.map((statement) => statement.phase)).toEqual(["clear", "create", "copy", "exchange", "drop-old"]);
    const statements = phased.map((statement) => statement.sql);
    expect(statements[0]).toBe("DROP TABLE IF EXISTS Users__moose_new");
    expect(statements[1]).toMatch(/^CREATE TABLE IF NOT EXISTS Users__moose_new\n/);
    expect(statements[1]).toContain("ORDER BY (id, age)");
    expect(statements.slice(2)).toEqual([
      "INSERT INTO Users__moose_new (id, age) SELECT id, accurateCast(age, 'Int32') FROM Users",
      "EXCHANGE TABLES Users AND Users__moose_new",
      "DROP TABLE IF EXISTS Users__moose_new",
    ]);
  });

  it("views and materialized views", () => {
    expect(createViewSql(view("V", "SELECT 1\n", []))).toBe("CREATE VIEW IF NOT EXISTS V AS\nSELECT 1");
    expect(createMaterializedViewSql(mv("M", "SELECT id FROM Users", ["Users"], "Counts"))).toBe(
      "CREATE MATERIALIZED VIEW IF NOT EXISTS M TO Counts AS\nSELECT id FROM Users",
    );
  });

  it("Nullable goes inside LowCardinality", () => {
    expect(fullColumnType(column("a", "LowCardinality(String)", { nullable: true }))).toBe("LowCardinality(Nullable(String))");
    expect(fullColumnType(column("a", "String", { nullable: true }))).toBe("Nullable(String)");
  });
});

describe("MODIFY COLUMN from Nullable to not Nullable", () => {
  it("lends the type's default for the conversion, then removes it", () => {
    expect(modifyColumnSql("T", column("d", "DateTime('UTC')", { nullable: true }), column("d", "DateTime('UTC')"))).toEqual([
      { sql: "ALTER TABLE T MODIFY COLUMN IF EXISTS d DateTime('UTC') DEFAULT defaultValueOfTypeName('DateTime(\\'UTC\\')')", convertsType: true, givesDefault: true },
      { sql: "ALTER TABLE T MODIFY COLUMN IF EXISTS d REMOVE DEFAULT", convertsType: false, givesDefault: false, removes: "default" },
    ]);
  });

  it("uses the column's own default when it has one", () => {
    expect(modifyColumnSql("T", column("n", "Int32", { nullable: true }), column("n", "Int32", { default: "7" }))).toEqual([
      { sql: "ALTER TABLE T MODIFY COLUMN IF EXISTS n Int32 DEFAULT 7", convertsType: true, givesDefault: true },
    ]);
  });
});

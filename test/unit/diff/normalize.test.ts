import { describe, expect, it } from "vitest";
import { diffManifests } from "../../../src/diff/index.js";
import { normalizeSql } from "../../../src/diff/normalize-sql.js";
import { normalizeTable, normalizeType, splitNullable } from "../../../src/diff/normalize.js";
import { tablesEquivalent } from "../../../src/diff/tables.js";
import type { Manifest } from "../../../src/manifest/types.js";
import { api, column, manifest, mv, stream, table, users, view } from "./builders.js";

/** Pairs that describe the same infrastructure: each must diff to nothing, in both directions. */
const equivalent: Array<[string, Manifest, Manifest]> = [
  ["Boolean is Bool", manifest({ tables: [table("T", [column("id", "String"), column("ok", "Boolean")])] }), manifest({ tables: [table("T", [column("id", "String"), column("ok", "Bool")])] })],
  ["BOOL spelled in capitals", manifest({ tables: [table("T", [column("id", "String"), column("ok", "BOOL")])] }), manifest({ tables: [table("T", [column("id", "String"), column("ok", "Bool")])] })],
  ["SQL aliases: BIGINT, DOUBLE, TEXT", manifest({ tables: [table("T", [column("id", "TEXT"), column("a", "BIGINT"), column("b", "DOUBLE")])] }), manifest({ tables: [table("T", [column("id", "String"), column("a", "Int64"), column("b", "Float64")])] })],
  ["Nullable wrapper in the type text", manifest({ tables: [table("T", [column("id", "String"), column("n", "Nullable(String)")])] }), manifest({ tables: [table("T", [column("id", "String"), column("n", "String", { nullable: true })])] })],
  ["LowCardinality(Nullable(T)) is nullable LowCardinality(T)", manifest({ tables: [table("T", [column("id", "String"), column("n", "LowCardinality(Nullable(String))")])] }), manifest({ tables: [table("T", [column("id", "String"), column("n", "LowCardinality(String)", { nullable: true })])] })],
  ["LowCardinality ignored unless strict", manifest({ tables: [table("T", [column("id", "String"), column("s", "LowCardinality(String)")])] }), manifest({ tables: [table("T", [column("id", "String"), column("s", "String")])] })],
  ["spacing inside types", manifest({ tables: [table("T", [column("id", "String"), column("d", "Decimal(10,2)"), column("m", "Map( String ,Array(UInt8) )")])] }), manifest({ tables: [table("T", [column("id", "String"), column("d", "Decimal(10, 2)"), column("m", "Map(String, Array(UInt8))")])] })],
  ["Decimal64(2) is Decimal(18, 2)", manifest({ tables: [table("T", [column("id", "String"), column("d", "Decimal64(2)")])] }), manifest({ tables: [table("T", [column("id", "String"), column("d", "Decimal(18, 2)")])] })],
  ["Enum spacing", manifest({ tables: [table("T", [column("id", "String"), column("e", "Enum8('a'=1,'b'=2)")])] }), manifest({ tables: [table("T", [column("id", "String"), column("e", "Enum8('a' = 1, 'b' = 2)")])] })],
  ["named Tuple spacing", manifest({ tables: [table("T", [column("id", "String"), column("t", "Tuple(a  String,b Nullable(Int32))")])] }), manifest({ tables: [table("T", [column("id", "String"), column("t", "Tuple(a String, b Nullable(Int32))")])] })],
  ["default settings spelled out", manifest({ tables: [users({ settings: { index_granularity: "8192", index_granularity_bytes: "10485760" } })] }), manifest({ tables: [users()] })],
  ["quoted numeric setting", manifest({ tables: [users({ settings: { merge_with_ttl_timeout: "'3600'" } })] }), manifest({ tables: [users({ settings: { merge_with_ttl_timeout: "3600" } })] })],
  ["ORDER BY as one tuple text", manifest({ tables: [users({ orderBy: ["(id, name)"] })] }), manifest({ tables: [users({ orderBy: ["id", "name"] })] })],
  ["ORDER BY with backticks", manifest({ tables: [users({ orderBy: ["`id`"] })] }), manifest({ tables: [users({ orderBy: ["id"] })] })],
  ["ORDER BY tuple() is no key", manifest({ tables: [users({ orderBy: ["tuple()"] })] }), manifest({ tables: [users({ orderBy: [] })] })],
  ["PRIMARY KEY equal to ORDER BY", manifest({ tables: [users({ primaryKey: ["id"] })] }), manifest({ tables: [users()] })],
  ["expression spacing and outer brackets", manifest({ tables: [users({ ttl: "(toDateTime(ts)  +  INTERVAL 1 DAY)", partitionBy: "toYYYYMM( ts )" })] }), manifest({ tables: [users({ ttl: "toDateTime(ts) + INTERVAL 1 DAY", partitionBy: "toYYYYMM(ts)" })] })],
  ["CODEC(...) wrapper", manifest({ tables: [table("T", [column("id", "String"), column("x", "Int32", { codec: "CODEC(ZSTD(1))" })])] }), manifest({ tables: [table("T", [column("id", "String"), column("x", "Int32", { codec: "ZSTD(1)" })])] })],
  ["empty comment is no comment", manifest({ tables: [table("T", [column("id", "String", { comment: "" })])] }), manifest({ tables: [table("T", [column("id", "String")])] })],
  ["column order", manifest({ tables: [users({}, [column("id", "String"), column("email", "String"), column("name", "String")])] }), manifest({ tables: [users()] })],
  ["source locations", manifest({ tables: [users({ source: { file: "app/index.ts", line: 3 } })] }), manifest({ tables: [users({ source: { file: "app/models.ts", line: 40 } })] })],
  ["lifeCycle change alone", manifest({ tables: [users({ lifeCycle: "FULLY_MANAGED" })] }), manifest({ tables: [users({ lifeCycle: "DELETION_PROTECTED" })] })],
  [
    "view SQL formatting, comments, keyword case, trailing semicolon",
    manifest({ views: [view("V", "SELECT id,\n  count(*) AS n -- per user\nFROM Users\nGROUP BY id;", ["Users"])] }),
    manifest({ views: [view("V", "select id, count(*) as n from Users group by id", ["Users"])] }),
  ],
  [
    "materialized view SQL formatting",
    manifest({ materializedViews: [mv("M", "SELECT id FROM  Users WHERE x=1", ["Users"], "T")] }),
    manifest({ materializedViews: [mv("M", "SELECT id\nFROM Users\nWHERE x = 1", ["Users"], "T")] }),
  ],
  [
    "API schema key order",
    manifest({ apis: [api("metrics", { params: { type: "object", required: [], properties: { limit: { type: "number" } } } })] }),
    manifest({ apis: [api("metrics", { params: { properties: { limit: { type: "number" } }, required: [], type: "object" } })] }),
  ],
  ["topic config key order", manifest({ streams: [stream("S", { config: { b: "1", a: "2" } })] }), manifest({ streams: [stream("S", { config: { a: "2", b: "1" } })] })],
];

describe("normalisation: equal schemas give an empty plan", () => {
  it.each(equivalent)("%s", (_name, before, after) => {
    expect(diffManifests(before, after)).toEqual({ operations: [], blocked: [], kept: [], renameCandidates: [] });
    expect(diffManifests(after, before)).toEqual({ operations: [], blocked: [], kept: [], renameCandidates: [] });
  });

  it("keeps LowCardinality distinct when strictLowCardinality is set", () => {
    const before = manifest({ tables: [table("T", [column("id", "String"), column("s", "LowCardinality(String)")])] });
    const after = manifest({ tables: [table("T", [column("id", "String"), column("s", "String")])] });
    const result = diffManifests(before, after, { strictLowCardinality: true });
    expect(result.operations.map((op) => op.kind)).toEqual(["modifyColumn"]);
  });

  it("does not hide a real type change behind normalisation", () => {
    const before = manifest({ tables: [table("T", [column("id", "String"), column("d", "Decimal(10, 2)")])] });
    const after = manifest({ tables: [table("T", [column("id", "String"), column("d", "Decimal(10, 3)")])] });
    expect(diffManifests(before, after).operations.map((op) => op.kind)).toEqual(["modifyColumn"]);
  });

  it("keeps quoted text in SQL as it is", () => {
    expect(normalizeSql("SELECT 'A  B' FROM t")).not.toBe(normalizeSql("SELECT 'a b' FROM t"));
    expect(normalizeSql("SELECT `Select` FROM t")).toBe("select Select from t");
    expect(normalizeSql("SELECT `a b` FROM t")).toBe("select `a b` from t");
  });

  it("reads a backtick-quoted plain name as the bare name (ClickHouse stores view SQL with its own quoting)", () => {
    expect(normalizeSql("SELECT page, count() FROM `PageView` GROUP BY page")).toBe(normalizeSql("SELECT page, count() FROM PageView GROUP BY page"));
  });
});

describe("normalizeType / splitNullable", () => {
  it.each([
    ["Boolean", "Bool"],
    ["Int8", "Int8"],
    ["INT8", "Int64"],
    ["Decimal32(3)", "Decimal(9, 3)"],
    ["Array( Nullable( String ) )", "Array(Nullable(String))"],
    ["DateTime64(3,'UTC')", "DateTime64(3, 'UTC')"],
    ["SimpleAggregateFunction(sum,UInt64)", "SimpleAggregateFunction(sum, UInt64)"],
  ])("%s → %s", (input, expected) => {
    expect(normalizeType(input)).toBe(expected);
  });

  it("unwraps Nullable only at the top level", () => {
    expect(splitNullable("Nullable(Int32)")).toEqual({ type: "Int32", nullable: true });
    expect(splitNullable("Array(Nullable(Int32))")).toEqual({ type: "Array(Nullable(Int32))", nullable: false });
  });
});

describe("normalizeTable and tablesEquivalent (used by introspection)", () => {
  it("gives equal canonical forms for a live-looking table and the extracted spec", () => {
    const live = users({ settings: { index_granularity: "8192" }, primaryKey: ["id"] }, [
      column("id", "String"),
      column("name", "Nullable(String)"),
      column("email", "String"),
    ]);
    const extracted = users({}, [column("id", "String"), column("name", "String", { nullable: true }), column("email", "String")]);
    expect(normalizeTable(live)).toEqual(normalizeTable(extracted));
    expect(tablesEquivalent(live, extracted)).toBe(true);
  });

  it("reports a difference", () => {
    expect(tablesEquivalent(users(), users({ orderBy: ["id", "name"] }))).toBe(false);
  });

  it("never mutates its input", () => {
    const spec = users({ settings: { index_granularity: "8192" } });
    const copy = structuredClone(spec);
    normalizeTable(spec);
    expect(spec).toEqual(copy);
  });
});

describe("normalizeSql", () => {
  it("ignores spacing around operators outside quotes only", () => {
    expect(normalizeSql("SELECT a+b FROM t WHERE x>=1")).toBe(normalizeSql("SELECT a + b FROM t WHERE x >= 1"));
    expect(normalizeSql("SELECT 'a = b' FROM t")).not.toBe(normalizeSql("SELECT 'a=b' FROM t"));
  });
});

/** `{name:Type}` placeholders as the dev endpoint binds `param_<name>` values and old servers inline them. */
import { describe, expect, it } from "vitest";
import { inlineParams } from "../../../src/infra/clickhouse/inline-params.js";
import { bindTextParams, placeholderTypes } from "../../../src/infra/clickhouse/text-params.js";

describe("placeholders", () => {
  it("reads each placeholder's name and type, nested types and spaces included", () => {
    const sql = "SELECT {a:Array(Tuple(String, Nullable(UInt8)))}, { b : DateTime64(3, 'UTC') }, {c:Identifier} FROM t WHERE x = {d: Map(String, Array(UInt64)) }";
    expect([...placeholderTypes(sql)]).toEqual([
      ["a", "Array(Tuple(String, Nullable(UInt8)))"],
      ["b", "DateTime64(3, 'UTC')"],
      ["c", "Identifier"],
      ["d", "Map(String, Array(UInt64))"],
    ]);
    expect(inlineParams("SELECT {x: UInt8 }, {t:Identifier}", { x: 1, t: "my table" })).toBe("SELECT 1, `my table`");
  });

  it("binds a text value whose type is not a string as a CAST of its text, the type as written", () => {
    expect(bindTextParams("SELECT {v: Array(String) }", { v: "['a\\'b']" })).toEqual({ sql: "SELECT CAST({v:String} AS Array(String))", params: { v: "['a\\'b']" } });
  });

  it("reads a long statement with an unclosed brace in one pass (a pattern trying every split of the spaces took minutes)", () => {
    const sql = `SELECT {a:String}, '{b:${" ".repeat(1_000_000)}'`;
    expect(bindTextParams(sql, { a: "x" })).toEqual({ sql, params: { a: "x" } });
  });
});

import { describe, expect, it } from "vitest";
import { compileParamsValidator, toFieldError } from "../../../src/server/params.js";

const validate = compileParamsValidator({
  type: "object",
  properties: {
    limit: { type: "integer", minimum: 1, maximum: 1000, default: 10 },
    name: { type: "string" },
    active: { type: "boolean" },
    ids: { type: "array", items: { type: "integer" } },
    since: { type: "string", format: "date-time" },
    sort: { type: "string", enum: ["asc", "desc"] },
  },
  required: ["name"],
  additionalProperties: false,
});

describe("compileParamsValidator", () => {
  it("coerces query text to the schema's types and applies defaults", () => {
    const query = new URLSearchParams("name=ana&active=true&ids=3&ids=4&since=2026-01-02T03:04:05Z");
    expect(validate(query)).toEqual({
      ok: true,
      params: { name: "ana", active: true, ids: [3, 4], since: "2026-01-02T03:04:05Z", limit: 10 },
    });
  });

  it("refuses more than 256 distinct parameters (each would be looked up against them all)", () => {
    const query = new URLSearchParams(Array.from({ length: 5000 }, (_, index) => `p${index}`).join("&"));
    expect(validate(query)).toEqual({ ok: false, errors: [{ field: "", message: "at most 256 distinct parameters are accepted, got 5000" }] });
    expect(validate(new URLSearchParams(`name=a&${"ids=1&".repeat(300)}`))).toMatchObject({ ok: true, params: { name: "a" } });
  });

  it("names a field by its path with each key cut to 64 characters (a map's key can be megabytes long)", () => {
    const error = { instancePath: `/tags/${"k".repeat(1000)}/0`, keyword: "clickhouseColumn", message: "is out of range", params: {}, schemaPath: "" };
    expect(toFieldError(error)).toEqual({ field: `tags.${"k".repeat(64)}…[0]`, message: "is out of range" });
  });

  it("words a choice of types as one (ajv writes \"must be integer,string\")", () => {
    const error = { instancePath: "/big", keyword: "type", message: "must be integer,string", params: { type: ["integer", "string"] }, schemaPath: "" };
    expect(toFieldError(error)).toEqual({ field: "big", message: "must be integer or string" });
  });

  it("reads a numeric enum, a numeric literal union and a list of them from query text, as typia's query decoding does", () => {
    // `enum Level { Low = 1, High = 2 }`, `lit?: 1 | 2.5`, `levels?: Level[]`, `on?: true` as the extractor writes them.
    const constants = compileParamsValidator({
      type: "object",
      properties: { level: { enum: [1, 2] }, lit: { enum: [1, 2.5] }, levels: { type: "array", items: { enum: [1, 2] } }, on: { const: true }, mixed: { enum: [1, "a"] } },
      required: ["level"],
    });
    expect(constants(new URLSearchParams("level=2&lit=2.5&levels=1&levels=2&on=true&mixed=a"))).toEqual({ ok: true, params: { level: 2, lit: 2.5, levels: [1, 2], on: true, mixed: "a" } });
    expect(constants(new URLSearchParams("level=3"))).toEqual({ ok: false, errors: [{ field: "level", message: "must be one of 1, 2" }] });
    expect(constants(new URLSearchParams("level=0x2"))).toMatchObject({ ok: false, errors: [{ field: "level", message: "must be a number written in decimal" }] });
    expect(constants(new URLSearchParams("level=1.5"))).toEqual({ ok: false, errors: [{ field: "level", message: "must be one of 1, 2" }] });
  });

  it("leaves out an optional parameter named like an Object.prototype member (toString, constructor) when the query has none", () => {
    const named = compileParamsValidator({ type: "object", properties: { toString: { type: "string" }, constructor: { type: "string" }, valueOf: { type: "number" } }, additionalProperties: false });
    expect(named(new URLSearchParams(""))).toEqual({ ok: true, params: {} });
    expect(named(new URLSearchParams("toString=a&valueOf=2"))).toEqual({ ok: true, params: { toString: "a", valueOf: 2 } });
  });

  it("wraps a single value for an array parameter", () => {
    expect(validate(new URLSearchParams("name=a&ids=7"))).toMatchObject({ ok: true, params: { ids: [7] } });
  });

  it("reports every field error by name", () => {
    const result = validate(new URLSearchParams("limit=abc&active=maybe&ids=1&ids=x&since=yesterday&sort=up&extra=1"));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual(
      expect.arrayContaining([
        { field: "name", message: "is required" },
        { field: "limit", message: "must be integer" },
        { field: "active", message: "must be boolean" },
        { field: "ids[1]", message: "must be integer" },
        { field: "since", message: 'must match format "date-time"' },
        { field: "sort", message: 'must be one of "asc", "desc"' },
      ]),
    );
  });

  it("drops parameters the type does not declare", () => {
    expect(validate(new URLSearchParams("name=a&_=12345&limit=3"))).toEqual({ ok: true, params: { name: "a", limit: 3 } });
    // Also where the generated schema does not say additionalProperties (an interface's schema may not).
    const open = compileParamsValidator({ type: "object", properties: { name: { type: "string" } } });
    expect(open(new URLSearchParams("name=a&_=1"))).toEqual({ ok: true, params: { name: "a" } });
  });

  it("keeps every parameter of a Record<string, T> params type: its keys are the content", () => {
    const filters = compileParamsValidator({ type: "object", additionalProperties: { type: "string" } });
    expect(filters(new URLSearchParams("country=NZ&plan=pro"))).toEqual({ ok: true, params: { country: "NZ", plan: "pro" } });
  });

  it("enforces bounds and refuses a repeated scalar", () => {
    const result = validate(new URLSearchParams("name=a&name=b&limit=5000"));
    expect(result).toEqual({
      ok: false,
      errors: expect.arrayContaining([
        { field: "name", message: "must be string" },
        { field: "limit", message: "must be <= 1000" },
      ]),
    });
  });

  it("keeps an injection attempt as a plain string value", () => {
    const attack = "x' OR 1=1 --";
    expect(validate(new URLSearchParams({ name: attack }))).toMatchObject({ ok: true, params: { name: attack } });
  });

  it("refuses numbers a JavaScript number cannot hold exactly, infinities and oversized values, naming the parameter", () => {
    const numbers = compileParamsValidator({
      type: "object",
      properties: { limit: { type: "number" }, offset: { type: "integer" }, ids: { type: "array", items: { type: "integer" } }, q: { type: "string" } },
    });
    const refused = (query: string) => {
      const result = numbers(new URLSearchParams(query));
      expect(result.ok, query).toBe(false);
      return result.ok ? [] : result.errors;
    };
    expect(refused("limit=99999999999999999999")).toEqual([{ field: "limit", message: expect.stringContaining("within ±9007199254740991") }]);
    expect(refused("offset=9007199254740993")).toEqual([{ field: "offset", message: expect.stringContaining("not exact") }]);
    expect(refused("ids=1&ids=1e300")).toEqual([{ field: "ids[1]", message: expect.stringContaining("9007199254740991") }]);
    expect(refused("limit=Infinity").map((error) => error.field)).toEqual(["limit"]);
    // What JavaScript's Number() reads, a query string does not mean: spaces, hex, binary, octal.
    for (const text of ["%20", "0x10", "0b1", "0o7", "%091%0A"]) {
      expect(refused(`limit=${text}`), text).toEqual([{ field: "limit", message: "must be a number written in decimal" }]);
    }
    expect(refused("limit=1_000&offset=1e")).toEqual([
      { field: "limit", message: "must be number" },
      { field: "offset", message: "must be integer" },
    ]);
    expect(refused("ids=1&ids=0x2")).toEqual([{ field: "ids[1]", message: "must be a number written in decimal" }]);
    expect(refused(`q=${"x".repeat(5000)}`)).toEqual([{ field: "q", message: "is longer than 4096 characters" }]);
    expect(numbers(new URLSearchParams("limit=9007199254740991&offset=-9007199254740991&ids=2.5e3"))).toEqual({
      ok: true,
      params: { limit: 9007199254740991, offset: -9007199254740991, ids: [2500] },
    });
    expect(numbers(new URLSearchParams("limit=0.000001"))).toMatchObject({ ok: true, params: { limit: 0.000001 } });
    expect(numbers(new URLSearchParams("limit=-.5&offset=%2B7&ids=1E3"))).toMatchObject({ ok: true, params: { limit: -0.5, offset: 7, ids: [1000] } });
  });
});

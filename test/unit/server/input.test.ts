/** Text checks of src/server/input.ts: strict UTF-8, lone surrogates, query strings. */
import { describe, expect, it } from "vitest";
import { decodeUtf8, isWellFormed, malformedStrings, nestedTooDeep, parseQueryString } from "../../../src/server/input.js";

describe("decodeUtf8", () => {
  it("decodes valid UTF-8 (dropping a BOM) and refuses invalid bytes, overlong forms and encoded surrogates", () => {
    expect(decodeUtf8(Buffer.from("\uFEFFcafé 🦌"))).toBe("café 🦌");
    expect(decodeUtf8(Uint8Array.from([0xff]))).toBeUndefined();
    expect(decodeUtf8(Uint8Array.from([0xc3, 0x28]))).toBeUndefined();
    expect(decodeUtf8(Uint8Array.from([0xc0, 0xaf]))).toBeUndefined();
    expect(decodeUtf8(Uint8Array.from([0xed, 0xa0, 0x80]))).toBeUndefined();
  });
});

describe("lone surrogates", () => {
  it("tells well-formed strings from ones with a lone high or low surrogate", () => {
    expect(isWellFormed("a🦌b")).toBe(true);
    expect(isWellFormed("a\ud800b")).toBe(false);
    expect(isWellFormed("a\udc00")).toBe(false);
    expect(isWellFormed("\ud83e")).toBe(false);
  });

  it("names every string and key holding one, as ingest field errors do", () => {
    const body = JSON.parse('[{"ok":"x"},{"page":"a\\ud800","tags":["b","\\udfff"],"nested":{"deep":"\\ud800"}},{"\\ud800":1}]') as unknown;
    expect(malformedStrings(body).map((error) => error.field)).toEqual(["[1].page", "[1].tags[1]", "[1].nested.deep", "[2].<key>"]);
    expect(malformedStrings({ id: "fine", n: 1, list: [null, true] })).toEqual([]);
  });
});

describe("nesting", () => {
  const nested = (levels: number): unknown => JSON.parse(`${"[".repeat(levels)}${"]".repeat(levels)}`);
  const tooDeep = [{ field: "", message: "nests arrays and objects more than 100 levels deep" }];

  it("allows 100 levels of arrays and objects and refuses 101, the same for a record alone and in an ingest body's array", () => {
    expect(malformedStrings({ a: nested(99) })).toEqual([]);
    expect(malformedStrings({ a: nested(100) })).toEqual(tooDeep);
    expect(malformedStrings([{ a: nested(99) }], { recordsInArray: true })).toEqual([]);
    expect(malformedStrings([{ a: nested(100) }], { recordsInArray: true })).toEqual(tooDeep);
    expect(nestedTooDeep(nested(100))).toBe(false);
    expect(nestedTooDeep(nested(101))).toBe(true);
  });

  it("names at most 101 malformed strings (a caller shows 100 and says there were more), keys cut to 64 characters", () => {
    const errors = malformedStrings({ ["k".repeat(1000)]: Array.from({ length: 500 }, () => "\ud800") });
    expect(errors).toHaveLength(101);
    expect(errors[0]!.field).toBe(`${"k".repeat(64)}…[0]`);
  });
});

describe("parseQueryString", () => {
  it("decodes like URLSearchParams (plus as space, repeated keys) when the escapes are UTF-8", () => {
    const result = parseQueryString("?q=caf%C3%A9+noir&ids=1&ids=2&empty=&flag");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect([...result.query.entries()]).toEqual([["q", "café noir"], ["ids", "1"], ["ids", "2"], ["empty", ""], ["flag", ""]]);
  });

  it("names each parameter whose value is not UTF-8, and reports bad names", () => {
    expect(parseQueryString("?a=%FF&b=ok&c=%ED%A0%80&%FE=1")).toEqual({
      ok: false,
      errors: [
        { field: "a", message: "is not valid UTF-8 after percent-decoding" },
        { field: "c", message: "is not valid UTF-8 after percent-decoding" },
        { field: "", message: 'a parameter name ("%FE") is not valid UTF-8 after percent-decoding' },
      ],
    });
  });
});

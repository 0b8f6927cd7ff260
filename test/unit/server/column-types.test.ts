/**
 * The range checks of src/server/column-types.ts, type by type: the first and last value each
 * ClickHouse type can store are accepted, one step beyond is refused with a message naming the
 * range; containers are checked element by element with the element's position.
 */
import { describe, expect, it } from "vitest";
import { checkValue, parseColumnType, parseDateTime, toClickHouseValue } from "../../../src/server/column-types.js";

const check = (type: string, value: unknown, nullable = false) => checkValue(parseColumnType(type), value, { nullable, top: true });
const fits = (type: string, value: unknown) => expect(check(type, value), `${type} ← ${JSON.stringify(value)}`).toEqual([]);
const refused = (type: string, value: unknown, message: string | RegExp, pointer = "") => {
  const problems = check(type, value);
  expect(problems, `${type} ← ${JSON.stringify(value)}`).toHaveLength(1);
  expect(problems[0]!.pointer).toBe(pointer);
  expect(problems[0]!.message).toMatch(message);
};

describe("DateTime", () => {
  it("accepts 1970-01-01T00:00:00Z … 2106-02-07T06:28:15Z, in any offset, and refuses what is outside", () => {
    for (const type of ["DateTime", "DateTime('UTC')", "DateTime('Europe/Berlin')"]) {
      fits(type, "1970-01-01T00:00:00Z");
      fits(type, "2106-02-07T06:28:15Z");
      fits(type, "2026-01-05 10:00:00.123");
      fits(type, "1970-01-01T01:00:00+01:00");
      refused(type, "1900-01-01T00:00:00Z", /between 1970-01-01T00:00:00Z and 2106-02-07T06:28:15Z/);
      refused(type, "1969-12-31T23:59:59Z", /between 1970-01-01/);
      refused(type, "2106-02-07T06:28:16Z", /2106-02-07T06:28:15Z/);
      refused(type, "2200-01-01T00:00:00Z", /2106-02-07T06:28:15Z/);
      refused(type, "1970-01-01T00:30:00+01:00", /between/);
    }
  });

  it("accepts Unix seconds in range and refuses malformed or impossible dates", () => {
    fits("DateTime", 0);
    fits("DateTime", 4294967295);
    refused("DateTime", 4294967296, /between/);
    refused("DateTime", -1, /between/);
    refused("DateTime", "2026-02-30T00:00:00Z", /valid date-time/);
    refused("DateTime", "2026-01-05T24:00:00Z", /valid date-time/);
    refused("DateTime", "yesterday", /valid date-time/);
    refused("DateTime", true, /date-time string/);
  });
});

describe("DateTime64(P)", () => {
  it("accepts 1900-01-01 … 2299-12-31 (to 2262-04-11 for P = 9) and refuses what is outside", () => {
    fits("DateTime64(3)", "1900-01-01T00:00:00Z");
    fits("DateTime64(3)", "2299-12-31T23:59:59.999Z");
    fits("DateTime64(6, 'UTC')", "1969-07-20T20:17:40.123456Z");
    refused("DateTime64(3)", "1899-12-31T23:59:59.999Z", /between 1900-01-01T00:00:00\.000Z and 2299-12-31T23:59:59\.999Z \(DateTime64\(3\)\)/);
    refused("DateTime64(3)", "2300-01-01T00:00:00Z", /2299-12-31/);
    fits("DateTime64(9)", "2262-04-11T23:47:16.854775807Z");
    refused("DateTime64(9)", "2262-04-11T23:47:16.854775808Z", /2262-04-11T23:47:16\.854775807Z/);
    refused("DateTime64(9)", "2299-01-01T00:00:00Z", /2262-04-11/);
  });

  it("keeps the fraction to the column's precision when converting for ClickHouse", () => {
    const type = parseColumnType("DateTime64(6)");
    expect(toClickHouseValue(type, "2026-01-05T10:00:00.123456789+02:00")).toBe("2026-01-05T08:00:00.123456Z");
    expect(toClickHouseValue(parseColumnType("DateTime('UTC')"), "2026-01-05T10:00:00.9Z")).toBe("2026-01-05T10:00:00Z");
    expect(toClickHouseValue(parseColumnType("DateTime64(3)"), "1900-01-01T00:00:00Z")).toBe("1900-01-01T00:00:00.000Z");
  });

  it("passes text already in the converted form through unchanged, and converts any other form", () => {
    // The conversion skips parsing such text: it must be what the parse would have written.
    const millis = parseColumnType("DateTime64(3, 'UTC')");
    for (const text of ["2026-01-05T10:00:00.123Z", "1900-01-01T00:00:00.000Z", "2024-02-29T23:59:59.999Z"]) {
      expect(toClickHouseValue(millis, text)).toBe(text);
      expect(toClickHouseValue(millis, text.replace("Z", "+00:00"))).toBe(text);
    }
    expect(toClickHouseValue(millis, "2026-01-05T10:00:00.12Z")).toBe("2026-01-05T10:00:00.120Z");
    expect(toClickHouseValue(millis, "2026-01-05T10:00:00.1234Z")).toBe("2026-01-05T10:00:00.123Z");
    expect(toClickHouseValue(parseColumnType("DateTime"), "2026-01-05T10:00:00.000Z")).toBe("2026-01-05T10:00:00Z");
    expect(toClickHouseValue(parseColumnType("DateTime"), "2026-01-05T10:00:00Z")).toBe("2026-01-05T10:00:00Z");
    expect(toClickHouseValue(parseColumnType("Date"), "2026-01-05")).toBe("2026-01-05");
    // Not a real time: left as sent, with or without the shortcut (the checks refuse it before).
    expect(toClickHouseValue(millis, "2026-02-30T10:00:00.000Z")).toBe("2026-02-30T10:00:00.000Z");
    expect(toClickHouseValue(millis, "2026-02-30T10:00:00Z")).toBe("2026-02-30T10:00:00Z");
  });
});

describe("Date and Date32", () => {
  it("Date: 1970-01-01 … 2149-06-06", () => {
    fits("Date", "1970-01-01");
    fits("Date", "2149-06-06");
    refused("Date", "1969-12-31", /between 1970-01-01 and 2149-06-06 \(Date\)/);
    refused("Date", "2149-06-07", /2149-06-06/);
    refused("Date", "1900-01-01", /between/);
    refused("Date", 20000, /date string/);
  });

  it("a date-time is in range by the UTC date stored, the whole last day included", () => {
    fits("Date", "2149-06-06T23:59:59.999Z");
    fits("Date", "2149-06-07T01:00:00+02:00");
    refused("Date", "2149-06-07T00:00:00Z", /2149-06-06/);
    refused("Date", "1970-01-01T01:00:00+02:00", /between 1970-01-01/);
    fits("Date32", "2299-12-31T12:00:00Z");
  });

  it("Date32: 1900-01-01 … 2299-12-31", () => {
    fits("Date32", "1900-01-01");
    fits("Date32", "2299-12-31");
    refused("Date32", "1899-12-31", /between 1900-01-01 and 2299-12-31 \(Date32\)/);
    refused("Date32", "2300-01-01", /between/);
    expect(toClickHouseValue(parseColumnType("Date32"), "2026-01-05T23:30:00-02:00")).toBe("2026-01-06");
  });
});

describe("integers", () => {
  const widths: Array<[string, bigint, bigint]> = [
    ["Int8", -128n, 127n],
    ["Int16", -32768n, 32767n],
    ["Int32", -2147483648n, 2147483647n],
    ["UInt8", 0n, 255n],
    ["UInt16", 0n, 65535n],
    ["UInt32", 0n, 4294967295n],
  ];
  it.each(widths)("%s: its minimum and maximum as JSON numbers, nothing beyond, no fractions, no strings", (type, min, max) => {
    fits(type, Number(min));
    fits(type, Number(max));
    refused(type, Number(min) - 1, `between ${min} and ${max} (${type})`);
    refused(type, Number(max) + 1, `between ${min} and ${max} (${type})`);
    refused(type, 1.5, /must be an integer/);
    refused(type, "1", /must be an integer/);
  });

  const wide: Array<[string, bigint, bigint]> = [
    ["Int64", -(2n ** 63n), 2n ** 63n - 1n],
    ["UInt64", 0n, 2n ** 64n - 1n],
    ["Int128", -(2n ** 127n), 2n ** 127n - 1n],
    ["UInt128", 0n, 2n ** 128n - 1n],
    ["Int256", -(2n ** 255n), 2n ** 255n - 1n],
    ["UInt256", 0n, 2n ** 256n - 1n],
  ];
  it.each(wide)("%s: decimal strings up to its range, safe JSON numbers, nothing beyond", (type, min, max) => {
    fits(type, String(min));
    fits(type, String(max));
    fits(type, 42);
    fits(type, Number.MAX_SAFE_INTEGER);
    refused(type, String(min - 1n), `between ${min} and ${max} (${type})`);
    refused(type, String(max + 1n), `between ${min} and ${max} (${type})`);
    refused(type, 2 ** 53, /lose precision: send it as a decimal string/);
    refused(type, 1e20, /lose precision/);
    refused(type, "1.5", /must be an integer/);
    refused(type, "12abc", /must be an integer/);
    refused(type, 0.5, /must be an integer/);
  });
});

describe("floats and decimals", () => {
  it("Float32: finite and within ±3.4028234663852886e38; Float64: any number", () => {
    fits("Float32", 3.4028234663852886e38);
    fits("Float32", -1.5);
    refused("Float32", 3.5e38, /Float32/);
    refused("Float32", -1e39, /Float32/);
    fits("Float64", 1e300);
    refused("Float64", "1", /must be a number/);
  });

  it("Decimal(P, S): at most P − S digits before the point and S after it", () => {
    fits("Decimal(10, 2)", "12345678.99");
    fits("Decimal(10, 2)", "-0.5");
    fits("Decimal(10, 2)", 12.5);
    fits("Decimal(10, 2)", "00012.50");
    refused("Decimal(10, 2)", "123456789.5", "has 9 digits before the point; Decimal(10, 2) allows 8");
    refused("Decimal(10, 2)", "1.234", "has 3 digits after the point; Decimal(10, 2) keeps 2");
    refused("Decimal(10, 2)", 1e9, /before the point/);
    refused("Decimal(10, 2)", "1e3x", /decimal number/);
    fits("Decimal32(4)", "12345.6789");
    refused("Decimal32(4)", "123456.1", /Decimal32\(4\) allows 5/);
    fits("Decimal(76, 0)", "9".repeat(76));
    refused("Decimal(76, 0)", "9".repeat(77), /allows 76/);
    // A long run of zeros before a last digit: counted in one pass. The regex it replaces took minutes
    // here (quadratic: 4.3 s at 50,000 zeros), past the test timeout, blocking the server all along.
    refused("Decimal(10, 2)", `0.${"0".repeat(400_000)}1`, "has 400001 digits after the point; Decimal(10, 2) keeps 2");
    fits("Decimal(10, 2)", `1.5${"0".repeat(400_000)}`);
  });
});

describe("enums, strings, UUIDs", () => {
  it("Enum8/Enum16 take a name or a number; LowCardinality checks its inner type", () => {
    const type = "Enum8('click' = 1, 'view' = 2, 'it\\'s' = -3)";
    fits(type, "click");
    fits(type, 2);
    fits(type, "it's");
    refused(type, "scroll", `must be one of "click", "view", "it's"`);
    refused(type, 3, /must be one of/);
    fits("LowCardinality(String)", "a");
    refused("LowCardinality(String)", 1, /must be a string/);
    fits("LowCardinality(Nullable(String))", null);
  });

  it("FixedString(N) counts UTF-8 bytes; UUID needs 8-4-4-4-12 hex", () => {
    fits("FixedString(4)", "abcd");
    refused("FixedString(4)", "abcdé", /at most 4 bytes/);
    fits("UUID", "0b5c2a4e-1d2f-4c3a-9b8e-7f6a5d4c3b2a");
    refused("UUID", "not-a-uuid", /UUID/);
  });
});

describe("Nullable and containers", () => {
  it("null fits a Nullable column (flag or wrapper), and at the top of any column (ClickHouse stores the default)", () => {
    expect(check("Int8", null, true)).toEqual([]);
    expect(check("Int8", null)).toEqual([]);
    fits("Nullable(Int8)", null);
    refused("Nullable(Int8)", 300, /between -128 and 127/);
  });

  it("Array checks each element and names its index", () => {
    fits("Array(Int8)", [1, -128, 127]);
    refused("Array(Int8)", [1, 2, 128], /between -128 and 127/, "/2");
    refused("Array(Int8)", [1, null], /must not be null/, "/1");
    fits("Array(Nullable(Int8))", [1, null]);
    refused("Array(Array(DateTime))", [["2026-01-01T00:00:00Z"], ["2200-01-01T00:00:00Z"]], /2106/, "/1/0");
    refused("Array(Int8)", "1,2", /must be an array/);
  });

  it("Map checks keys of integer maps and every value, naming the key", () => {
    fits("Map(String, UInt8)", { a: 1, b: 255 });
    refused("Map(String, UInt8)", { a: 1, b: 256 }, /between 0 and 255/, "/b");
    refused("Map(Int8, String)", { "200": "x" }, /key must be between -128 and 127/, "/200");
    refused("Map(String, Array(Date))", { when: ["1969-12-31"] }, /Date/, "/when/0");
    // A key JSON.parse keeps as an own property is checked like any other.
    refused("Map(String, UInt8)", JSON.parse('{"__proto__": 300}') as unknown, /between 0 and 255/, "/__proto__");
  });

  it("converts values only where a type holds dates (or a Nested object): other values are passed on as they are, not copied", () => {
    const words = { a: "x", b: "y" };
    expect(toClickHouseValue(parseColumnType("Map(String, String)"), words)).toBe(words);
    const numbers = [1, 2, 3];
    expect(toClickHouseValue(parseColumnType("Array(Nullable(UInt8))"), numbers)).toBe(numbers);
    const when = { start: "2026-01-05T10:00:00+02:00" };
    expect(toClickHouseValue(parseColumnType("Map(String, DateTime('UTC'))"), when)).toEqual({ start: "2026-01-05T08:00:00Z" });
    expect(toClickHouseValue(parseColumnType("Tuple(id String, at Date)"), { id: "a", at: "2026-01-05T23:00:00-03:00" })).toEqual({ id: "a", at: "2026-01-06" });
    expect(toClickHouseValue(parseColumnType("Nested(id String)"), { id: "a" })).toEqual([{ id: "a" }]);
  });

  it("Tuple (positional or named) and Nested (an object or an array of them) check each field", () => {
    fits("Tuple(Int8, String)", [1, "a"]);
    refused("Tuple(Int8, String)", [1000, "a"], /Int8/, "/0");
    refused("Tuple(a Int8, b DateTime)", { a: 1, b: "1900-01-01T00:00:00Z" }, /between/, "/b");
    fits("Nested(street String, zip UInt32)", { street: "Main", zip: 12345 });
    refused("Nested(street String, zip UInt32)", { street: "Main", zip: -1 }, /UInt32/, "/zip");
    refused("Array(Nested(at DateTime64(3), n Int16))", [{ at: "2026-01-01T00:00:00Z", n: 1 }, { at: "2026-01-01T00:00:00Z", n: 40000 }], /Int16/, "/1/n");
  });

  it("leaves types it does not know to ClickHouse", () => {
    fits("JSON", { anything: [1, "x"] });
    fits("IPv4", "1.2.3.4");
    fits("AggregateFunction(uniq, String)", "x");
  });
});

describe("parseDateTime", () => {
  it("reads dates and date-times strictly, UTC when no offset is given", () => {
    expect(parseDateTime("2026-01-05")).toEqual({ seconds: Date.UTC(2026, 0, 5) / 1000, nanos: 0 });
    expect(parseDateTime("2026-01-05T10:00:00")).toEqual({ seconds: Date.UTC(2026, 0, 5, 10) / 1000, nanos: 0 });
    expect(parseDateTime("2026-01-05T10:00:00-0130")).toEqual({ seconds: Date.UTC(2026, 0, 5, 11, 30) / 1000, nanos: 0 });
    expect(parseDateTime("2026-01-05T10:00:00.1234567891Z")).toEqual({ seconds: Date.UTC(2026, 0, 5, 10) / 1000, nanos: 123_456_789 });
    // The digit-by-digit reading of the common shape and the pattern (a space instead of T) agree.
    for (const text of ["2026-01-05T10:00:00.5z", "2026-01-05T23:59:59", "2024-02-29T00:00:00.000000001Z", "2026-01-05T10:00:00.Z", "2026-01-05T10:00:60Z", "2026-02-29T10:00:00Z"]) {
      expect(parseDateTime(text)).toEqual(parseDateTime(text.replace("T", " ")));
    }
    expect(parseDateTime("2026-01-05T10:00:00.5z")).toEqual({ seconds: Date.UTC(2026, 0, 5, 10) / 1000, nanos: 500_000_000 });
    expect(parseDateTime("2026-01-05T10:00:00.Z")).toBeUndefined();
    expect(parseDateTime("0050-01-01")!.seconds).toBeLessThan(Date.UTC(1000, 0, 1) / 1000);
    // Years 0…99 are years 0…99, not 1900…1999 (Date.UTC's reading).
    expect(toClickHouseValue(parseColumnType("Date32"), "0050-03-01T23:30:00-01:00")).toBe("0050-03-02");
    expect(parseDateTime("0099-12-31T23:59:59Z")!.seconds + 1).toBe(parseDateTime("0100-01-01")!.seconds);
    expect(parseDateTime("2024-02-29")).toBeDefined();
    expect(parseDateTime("2023-02-29")).toBeUndefined();
    expect(parseDateTime("2026-13-01")).toBeUndefined();
    expect(parseDateTime("2026-01-05T10:00:00+25:00")).toBeUndefined();
  });
});

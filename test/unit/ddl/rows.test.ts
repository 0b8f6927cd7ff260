/**
 * JSONEachRow text the drivers send (src/infra/clickhouse/rows.ts): rows of plain JSON values are
 * written by JSON.stringify alone, rows holding a Date or bigint anywhere get ClickHouse's forms.
 */
import { describe, expect, it } from "vitest";
import { parseJsonEachRow, toJsonEachRow } from "../../../src/infra/clickhouse/rows.js";

describe("toJsonEachRow", () => {
  it("writes plain rows as JSON, one per line", () => {
    const rows = [{ id: 1, name: "a\nb", tags: ["x"], nested: { at: "2026-01-05T10:00:00.000Z", n: null } }, { id: 2 }];
    expect(toJsonEachRow(rows)).toBe(`${JSON.stringify(rows[0])}\n${JSON.stringify(rows[1])}`);
    expect(parseJsonEachRow(toJsonEachRow(rows))).toEqual(rows);
  });

  it("writes Dates and bigints at any depth in ClickHouse's forms", () => {
    const at = new Date(Date.UTC(2026, 0, 5, 10, 0, 0, 250));
    const text = toJsonEachRow([{ id: 1n, at, list: [at], nested: { big: [2n ** 64n - 1n] } }, { plain: true }]);
    expect(text.split("\n")).toEqual([
      '{"id":"1","at":"2026-01-05 10:00:00.250","list":["2026-01-05 10:00:00.250"],"nested":{"big":["18446744073709551615"]}}',
      '{"plain":true}',
    ]);
    expect(toJsonEachRow([{ at }], { milliseconds: false })).toBe('{"at":"2026-01-05 10:00:00"}');
  });
});

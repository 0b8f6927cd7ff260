/**
 * Insertable<T>: what `OlapTable.insert` takes. Checked by the type checker (`npm run typecheck`
 * covers test/): each `@ts-expect-error` fails the check if the line it marks compiles.
 */
import { describe, expect, it } from "vitest";
import type { ClickHouseAlias, ClickHouseDefault, ClickHouseMaterialized, DateTime, Insertable, Key, WithDefault } from "../../../src/sdk/index.js";

interface Event {
  id: Key<string>;
  at: DateTime;
  label: string;
  note?: string;
  createdAt: DateTime & ClickHouseDefault<"now()">;
  retries: WithDefault<number, "0">;
  day: DateTime & ClickHouseAlias<"toDate(at)">;
  hour: number & ClickHouseMaterialized<"toHour(at)">;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  payload: any;
  labels: Record<string, string>;
  extras?: Record<string, number>;
}

describe("Insertable<T>", () => {
  it("leaves out computed columns, makes DEFAULT columns optional, keeps the rest as the model has them", () => {
    const minimal: Insertable<Event> = { id: "a", at: new Date(), label: "x", payload: {}, labels: {} };
    // A map's keys are any string: it carries no brand, so it is neither computed nor defaulted.
    const full: Insertable<Event> = { id: "a", at: new Date(), label: "x", note: "n", createdAt: new Date(), retries: 2, payload: null, labels: { k: "v" }, extras: { n: 1 } };
    // @ts-expect-error a MATERIALIZED column is computed by ClickHouse
    const materialized: Insertable<Event> = { ...minimal, hour: 3 };
    // @ts-expect-error an ALIAS column is computed by ClickHouse
    const aliased: Insertable<Event> = { ...minimal, day: new Date() };
    // @ts-expect-error a column without a default is required
    const missing: Insertable<Event> = { id: "a", at: new Date(), payload: 1, labels: {} };
    // @ts-expect-error an `any` column is still a column (required)
    const withoutAny: Insertable<Event> = { id: "a", at: new Date(), label: "x", labels: {} };
    // @ts-expect-error a map column is required like any other
    const withoutMap: Insertable<Event> = { id: "a", at: new Date(), label: "x", payload: 1 };
    expect([minimal, full, materialized, aliased, missing, withoutAny, withoutMap].length).toBe(7);
  });
});

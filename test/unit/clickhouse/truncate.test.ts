/** The pure parts of `moose truncate`: which tables, and the statements deleting a table's newest rows. */
import { describe, expect, it } from "vitest";
import { deleteFromBoundSql, newestBoundSql, truncateTargets } from "../../../src/infra/clickhouse/truncate.js";
import type { TableSpec } from "../../../src/manifest/types.js";

function table(name: string, orderBy: string[], engine = "MergeTree"): TableSpec {
  return { name, columns: [{ name: "id", type: "String", nullable: false }], orderBy, engine: { name: engine, params: [] }, settings: {}, indexes: [], lifeCycle: "FULLY_MANAGED" };
}

const LIVE = {
  Events: table("Events", ["toDate(at)", "id"]),
  Users: table("Users", ["id"]),
  Scratch: table("Scratch", [], "Memory"),
  Queue: table("Queue", [], "S3Queue"),
  _moose_migrations: table("_moose_migrations", ["id"]),
};

describe("truncateTargets", () => {
  it("takes the named tables, or every table but moose-ts's own whose engine the operation works on", () => {
    expect(truncateTargets(LIVE, ["Users"]).map((spec) => spec.name)).toEqual(["Users"]);
    expect(truncateTargets(LIVE, "all").map((spec) => spec.name)).toEqual(["Events", "Scratch", "Users"]);
    expect(truncateTargets(LIVE, "all", 5).map((spec) => spec.name)).toEqual(["Events", "Users"]);
  });

  it("refuses, before any table is touched, moose-ts's tables in any case, names the database lacks, engines the operation does not work on, and --rows without a sorting key", () => {
    expect(() => truncateTargets(LIVE, ["_MOOSE_migrations"])).toThrow(/moose-ts's own tables/);
    expect(() => truncateTargets(LIVE, ["Nope"])).toThrow(/no table named "Nope"/);
    expect(() => truncateTargets(LIVE, ["Users", "Queue"])).toThrow(/Queue is a S3Queue table: TRUNCATE does not empty it/);
    expect(() => truncateTargets(LIVE, ["Scratch"], 2)).toThrow(/a DELETE cannot remove some of its rows/);
    expect(() => truncateTargets({ Log: table("Log", []) }, ["Log"], 2)).toThrow(/no sorting key/);
  });
});

describe("the statements of --rows", () => {
  it("reads the n-th newest key as a value, then deletes the rows whose key is at least it", () => {
    expect(newestBoundSql(LIVE.Users, 10)).toBe("SELECT formatRowNoNewline('Values', id) AS bound FROM Users ORDER BY id DESC LIMIT 1 OFFSET 9");
    expect(deleteFromBoundSql(LIVE.Users, "('u4')")).toBe("ALTER TABLE Users DELETE WHERE id >= ('u4')");
    expect(newestBoundSql(LIVE.Events, 3)).toBe("SELECT formatRowNoNewline('Values', toDate(at), id) AS bound FROM Events ORDER BY toDate(at) DESC, id DESC LIMIT 1 OFFSET 2");
    expect(deleteFromBoundSql(LIVE.Events, "('2026-01-01','e9')")).toBe("ALTER TABLE Events DELETE WHERE (toDate(at), id) >= ('2026-01-01','e9')");
  });
});

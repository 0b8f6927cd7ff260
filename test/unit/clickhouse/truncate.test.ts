/** The pure parts of `moose truncate`: which tables, and the statement deleting a table's newest rows. */
import { describe, expect, it } from "vitest";
import { deleteNewestRowsSql, truncateTargets } from "../../../src/infra/clickhouse/truncate.js";
import type { TableSpec } from "../../../src/manifest/types.js";

function table(name: string, orderBy: string[]): TableSpec {
  return { name, columns: [{ name: "id", type: "String", nullable: false }], orderBy, engine: { name: "MergeTree", params: [] }, settings: {}, indexes: [], lifeCycle: "FULLY_MANAGED" };
}

const LIVE = { Events: table("Events", ["toDate(at)", "id"]), Users: table("Users", ["id"]), _moose_migrations: table("_moose_migrations", ["id"]) };

describe("truncateTargets", () => {
  it("takes the named tables, or every table but moose-ts's own", () => {
    expect(truncateTargets(LIVE, ["Users"]).map((spec) => spec.name)).toEqual(["Users"]);
    expect(truncateTargets(LIVE, "all").map((spec) => spec.name)).toEqual(["Events", "Users"]);
  });

  it("refuses moose-ts's tables, in any case, and names the database lacks", () => {
    expect(() => truncateTargets(LIVE, ["_MOOSE_migrations"])).toThrow(/moose-ts's own tables/);
    expect(() => truncateTargets(LIVE, ["Nope"])).toThrow(/no table named "Nope"/);
  });
});

describe("deleteNewestRowsSql", () => {
  it("deletes the rows whose sorting key is among the n greatest", () => {
    expect(deleteNewestRowsSql(LIVE.Users, 10)).toBe("ALTER TABLE Users DELETE WHERE id IN (SELECT id FROM Users ORDER BY id DESC LIMIT 10)");
    expect(deleteNewestRowsSql(LIVE.Events, 3)).toBe("ALTER TABLE Events DELETE WHERE (toDate(at), id) IN (SELECT (toDate(at), id) FROM Events ORDER BY toDate(at) DESC, id DESC LIMIT 3)");
  });

  it("refuses a table without a sorting key", () => {
    expect(() => deleteNewestRowsSql(table("Log", []), 1)).toThrow(/no sorting key/);
  });
});

/** Admin API bodies are checked against the same Manifest v1 JSON Schema as files on disk. */
import { describe, expect, it } from "vitest";
import { emptyManifest, type Manifest } from "../../../src/manifest/types.js";
import { adminRoutes } from "../../../src/server/admin.js";
import { manifestProblem } from "../../../src/server/manifest-body.js";

const users = {
  name: "Users",
  columns: [{ name: "id", type: "String", nullable: false }, { name: "age", nullable: true }],
  orderBy: ["id"],
  engine: { name: "MergeTree", params: [] },
  settings: {},
  indexes: [],
  lifeCycle: "FULLY_MANAGED",
};

describe("manifestProblem", () => {
  it("accepts a valid manifest", () => {
    expect(manifestProblem(emptyManifest())).toBeUndefined();
    expect(manifestProblem({ ...emptyManifest(), tables: { Users: { ...users, columns: [users.columns[0]] } } })).toBeUndefined();
  });

  it("names the JSON path of a spec problem the envelope check let through", () => {
    expect(manifestProblem({ ...emptyManifest(), tables: { Users: users } })).toBe('/tables/Users/columns/1: must have required property "type"');
  });

  it("refuses a manifest nested more than 100 levels deep before any check walks it", () => {
    const deep = JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`) as unknown;
    expect(manifestProblem({ ...emptyManifest(), apis: { Deep: { params: deep } } })).toBe("nested more than 100 levels deep");
  });

  it("refuses a column type nested more than 100 levels deep (parsed recursively, it overflowed the stack: a 500)", () => {
    const deepType = `${"Tuple(".repeat(2000)}String${")".repeat(2000)}`;
    const table = { ...users, columns: [{ name: "id", type: deepType, nullable: false }] };
    expect(manifestProblem({ ...emptyManifest(), tables: { Users: table } })).toMatch(/^a column type nests more than 100 levels deep \(Tuple\(Tuple/);
    const fine = { ...users, columns: [{ name: "id", type: `${"Tuple(".repeat(20)}String${")".repeat(20)}`, nullable: false }] };
    expect(manifestProblem({ ...emptyManifest(), tables: { Users: fine } })).toBeUndefined();
  });

  it("keeps the envelope messages", () => {
    expect(manifestProblem([])).toBe("not a JSON object");
    expect(manifestProblem({ ...emptyManifest(), version: 2 })).toContain("manifest version 2 is not supported");
  });
});

describe("POST /admin/plan", () => {
  const routes = adminRoutes({
    appliedManifest: async () => emptyManifest(),
    plan: (_from: Manifest, _to: Manifest) => {
      throw new Error("an invalid body must never reach the planner");
    },
    realityCheck: async () => {
      throw new Error("unused");
    },
  });

  it("answers 400 with the JSON path for a body with a column missing its type", async () => {
    const reply = await routes({ method: "POST", route: "plan", body: { ...emptyManifest(), tables: { Users: users } } } as never);
    expect(reply?.status).toBe(400);
    expect(reply?.body).toEqual({ error: 'the request body is not a moose-ts manifest: /tables/Users/columns/1: must have required property "type"' });
  });
});

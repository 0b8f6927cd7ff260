/** The local state after a partial apply, and which paths the watcher ignores. */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { stateAfterApply, type ApplyOutcome } from "../../../src/dev/apply.js";
import { isIgnoredPath } from "../../../src/dev/watch.js";
import { diffManifests, withKept } from "../../../src/diff/index.js";
import { emptyManifest, type Manifest } from "../../../src/manifest/types.js";
import { column, stream, table, users } from "../diff/builders.js";

function manifest(tables: ReturnType<typeof table>[]): Manifest {
  const result = emptyManifest();
  for (const spec of tables) result.tables[spec.name] = spec;
  return result;
}

const before = manifest([users(), table("Old", [column("id", "String")])]);
const after = manifest([
  users({}, [column("id", "String"), column("name", "Int64"), column("email", "String"), column("age", "Float64")]),
  table("Analytics", [column("id", "String")]),
]);

function outcome(plan: ReturnType<typeof diffManifests>, failing: (summary: string) => boolean): ApplyOutcome {
  const result: ApplyOutcome = { applied: [], failed: [], skipped: [] };
  for (const op of plan.operations) {
    if (failing(op.summary)) result.failed.push({ op, error: new Error("refused") });
    else result.applied.push(op);
  }
  return result;
}

describe("stateAfterApply", () => {
  it("is the new manifest when everything was applied", () => {
    const plan = diffManifests(before, after);
    expect(stateAfterApply(before, after, plan, outcome(plan, () => false))).toBe(after);
  });

  it("keeps the previous spec of a component with a failed operation and takes the rest", () => {
    const plan = diffManifests(before, after);
    const state = stateAfterApply(before, after, plan, outcome(plan, (summary) => summary.includes("Users.name")));
    // Users: the type change failed, so the whole table stays as it was (age is planned again next time).
    expect(state.tables.Users).toEqual(before.tables.Users);
    expect(state.tables.Analytics).toEqual(after.tables.Analytics);
    expect(state.tables.Old).toBeUndefined();
    expect(diffManifests(state, after).operations.map((op) => op.target)).toEqual(["Users", "Users"]);
  });

  it("keeps components with blocked changes as they were", () => {
    const withEvents = (partitionCount: number, tables: ReturnType<typeof table>[]) => ({ ...manifest(tables), streams: { Events: stream("Events", { partitionCount }) } });
    const previous = withEvents(6, [users()]);
    const wanted = withEvents(3, [users({}, [column("id", "String"), column("name", "String"), column("email", "String"), column("age", "Float64")])]);
    const plan = diffManifests(previous, wanted);
    expect(plan.blocked.map((change) => change.target)).toEqual(["Events"]);
    const state = stateAfterApply(previous, wanted, plan, outcome(plan, () => false));
    expect(state.streams.Events).toEqual(previous.streams.Events);
    expect(state.tables.Users).toEqual(wanted.tables.Users);
  });

  it("a DELETION_PROTECTED table the code no longer has stays in the state, as withKept put it there", () => {
    const previous = manifest([table("Keep", [column("id", "String")], { lifeCycle: "DELETION_PROTECTED" }), users()]);
    const code = manifest([users({}, [column("id", "String"), column("name", "String"), column("email", "String"), column("age", "Float64")])]);
    const plan = diffManifests(previous, code);
    expect(plan.blocked).toEqual([]);
    const wanted = withKept(code, previous, plan.kept);
    const state = stateAfterApply(previous, wanted, plan, outcome(plan, () => false));
    expect(state).toBe(wanted);
    expect(state.tables.Keep).toEqual(previous.tables.Keep);
  });
});

describe("isIgnoredPath", () => {
  const project = "/work/app";
  it.each([".moose/build/app.mjs", "node_modules/x/index.js", "dist/index.js", "migrations/draft.ts", "app/node_modules/y.ts"])("ignores %s", (file) => {
    expect(isIgnoredPath(project, path.join(project, file))).toBe(true);
  });
  it.each(["app/index.ts", "app/models/users.ts", "tsconfig.json", ""])("watches %s", (file) => {
    expect(isIgnoredPath(project, path.join(project, file))).toBe(false);
  });
});

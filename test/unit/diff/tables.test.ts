import { describe, expect, it } from "vitest";
import { diffManifests, withKept } from "../../../src/diff/index.js";
import type { Operation } from "../../../src/diff/operations.js";
import { MooseError } from "../../../src/errors.js";
import type { Manifest } from "../../../src/manifest/types.js";
import { column, manifest, table, users } from "./builders.js";

const base = manifest({ tables: [users()] });
const withUsers = (...args: Parameters<typeof users>) => manifest({ tables: [users(...args)] });

/** Compact view of operations for table-driven expectations. */
function brief(ops: Operation[]): Array<[string, string, string]> {
  return ops.map((op) => [op.kind, op.target, op.risk]);
}

const cases: Array<{ name: string; from: Manifest; to: Manifest; expected: Array<[string, string, string]> }> = [
  { name: "create table", from: manifest(), to: base, expected: [["createTable", "Users", "safe"]] },
  { name: "drop table", from: base, to: manifest(), expected: [["dropTable", "Users", "data-loss"]] },
  {
    name: "add column",
    from: base,
    to: withUsers({}, [column("id", "String"), column("name", "String"), column("email", "String"), column("age", "Float64")]),
    expected: [["addColumn", "Users", "safe"]],
  },
  { name: "drop column", from: base, to: withUsers({}, [column("id", "String"), column("name", "String")]), expected: [["dropColumn", "Users", "data-loss"]] },
  {
    name: "change column type",
    from: base,
    to: withUsers({}, [column("id", "String"), column("name", "String"), column("email", "LowCardinality(Int32)")]),
    expected: [["modifyColumn", "Users", "rewrite"]],
  },
  {
    name: "make column nullable",
    from: base,
    to: withUsers({}, [column("id", "String"), column("name", "String"), column("email", "String", { nullable: true })]),
    expected: [["modifyColumn", "Users", "rewrite"]],
  },
  {
    name: "change column default and comment",
    from: base,
    to: withUsers({}, [column("id", "String"), column("name", "String", { default: "'anon'", comment: "display name" }), column("email", "String")]),
    expected: [["modifyColumn", "Users", "safe"]],
  },
  {
    name: "add a column TTL",
    from: base,
    to: withUsers({}, [column("id", "String"), column("name", "String"), column("email", "String", { ttl: "now() + INTERVAL 1 DAY" })]),
    expected: [["modifyColumn", "Users", "data-loss"]],
  },
  { name: "set table TTL", from: base, to: withUsers({ ttl: "toDateTime(id) + INTERVAL 30 DAY" }), expected: [["modifyTtl", "Users", "data-loss"]] },
  { name: "remove table TTL", from: withUsers({ ttl: "toDateTime(id) + INTERVAL 30 DAY" }), to: base, expected: [["modifyTtl", "Users", "safe"]] },
  { name: "set a setting", from: base, to: withUsers({ settings: { merge_with_ttl_timeout: "3600" } }), expected: [["modifySettings", "Users", "safe"]] },
  { name: "reset a setting", from: withUsers({ settings: { merge_with_ttl_timeout: "3600" } }), to: base, expected: [["modifySettings", "Users", "safe"]] },
  {
    name: "add an index",
    from: base,
    to: withUsers({ indexes: [{ name: "by_email", expression: "email", type: "bloom_filter(0.01)", granularity: 4 }] }),
    expected: [["addIndex", "Users", "safe"]],
  },
  {
    name: "change an index (drop, then add)",
    from: withUsers({ indexes: [{ name: "by_email", expression: "email", type: "bloom_filter(0.01)", granularity: 4 }] }),
    to: withUsers({ indexes: [{ name: "by_email", expression: "email", type: "minmax", granularity: 1 }] }),
    expected: [
      ["dropIndex", "Users", "safe"],
      ["addIndex", "Users", "safe"],
    ],
  },
  { name: "ORDER BY change rebuilds", from: base, to: withUsers({ orderBy: ["id", "email"] }), expected: [["recreateTable", "Users", "rewrite"]] },
  { name: "PRIMARY KEY change rebuilds", from: withUsers({ orderBy: ["id", "email"] }), to: withUsers({ orderBy: ["id", "email"], primaryKey: ["id"] }), expected: [["recreateTable", "Users", "rewrite"]] },
  { name: "PARTITION BY change rebuilds", from: base, to: withUsers({ partitionBy: "substring(id, 1, 1)" }), expected: [["recreateTable", "Users", "rewrite"]] },
  { name: "SAMPLE BY change rebuilds", from: base, to: withUsers({ sampleBy: "cityHash64(id)", orderBy: ["id", "cityHash64(id)"] }), expected: [["recreateTable", "Users", "rewrite"]] },
  { name: "engine change rebuilds", from: base, to: withUsers({ engine: { name: "ReplacingMergeTree", params: [] } }), expected: [["recreateTable", "Users", "rewrite"]] },
  { name: "index_granularity change rebuilds", from: base, to: withUsers({ settings: { index_granularity: "1024" } }), expected: [["recreateTable", "Users", "rewrite"]] },
  {
    name: "a rebuild that drops a column loses data",
    from: base,
    to: withUsers({ orderBy: ["id", "name"] }, [column("id", "String"), column("name", "String")]),
    expected: [["recreateTable", "Users", "data-loss"]],
  },
  { name: "EXTERNALLY_MANAGED: created", from: manifest(), to: withUsers({ lifeCycle: "EXTERNALLY_MANAGED" }), expected: [] },
  { name: "EXTERNALLY_MANAGED: removed", from: withUsers({ lifeCycle: "EXTERNALLY_MANAGED" }), to: manifest(), expected: [] },
  {
    name: "EXTERNALLY_MANAGED: changed",
    from: withUsers({ lifeCycle: "EXTERNALLY_MANAGED" }),
    to: withUsers({ lifeCycle: "EXTERNALLY_MANAGED", orderBy: ["email"] }, [column("id", "Int64"), column("email", "String")]),
    expected: [],
  },
];

describe("tables: every change kind", () => {
  it.each(cases)("$name", ({ from, to, expected }) => {
    const result = diffManifests(from, to);
    expect(brief(result.operations)).toEqual(expected);
    expect(result.blocked).toEqual([]);
  });

  it("plans EXTERNALLY_MANAGED tables like the others for moose dev's local stand-ins (localExternalTables)", () => {
    const external = withUsers({ lifeCycle: "EXTERNALLY_MANAGED" });
    const local = { localExternalTables: true };
    expect(brief(diffManifests(manifest(), external, local).operations)).toEqual([["createTable", "Users", "safe"]]);
    expect(brief(diffManifests(external, manifest(), local).operations)).toEqual([["dropTable", "Users", "data-loss"]]);
    const widened = withUsers({ lifeCycle: "EXTERNALLY_MANAGED" }, [...external.tables.Users!.columns, column("age", "Int32")]);
    expect(brief(diffManifests(external, widened, local).operations)).toEqual([
      ["addColumn", "Users", "safe"],
    ]);
  });
});

describe("tables: details", () => {
  it("records where an added column goes", () => {
    const to = withUsers({ orderBy: ["id"] }, [column("first", "String"), column("id", "String"), column("name", "String"), column("age", "Float64"), column("email", "String")]);
    const ops = diffManifests(base, to).operations;
    expect(ops.map((op) => (op.kind === "addColumn" ? [op.column.name, op.position.after] : null))).toEqual([
      ["first", null],
      ["age", "name"],
    ]);
  });

  it("lists the changed column properties", () => {
    const to = withUsers({}, [column("id", "String"), column("name", "String", { nullable: true, comment: "x" }), column("email", "String")]);
    const [op] = diffManifests(base, to).operations;
    expect(op?.kind === "modifyColumn" && op.changed).toEqual(["nullable", "comment"]);
  });

  it("gives settings to set, previous values and settings to reset", () => {
    const from = withUsers({ settings: { a_setting: "1", other: "2" } });
    const to = withUsers({ settings: { a_setting: "5", added: "3" } });
    const [op] = diffManifests(from, to).operations;
    expect(op).toMatchObject({ kind: "modifySettings", set: { a_setting: "5", added: "3" }, previous: { a_setting: "1", other: "2" }, reset: ["other"] });
  });

  it("explains why a table is rebuilt", () => {
    const [op] = diffManifests(base, withUsers({ orderBy: ["id", "email"] })).operations;
    expect(op?.kind === "recreateTable" && op.reasons).toEqual(["ORDER BY (id) → (id, email)"]);
  });
});

describe("tables: renames", () => {
  const renamedTo = withUsers({}, [column("id", "String"), column("name", "String"), column("contact", "String")]);

  it("without a declared rename: drop + add, and a rename candidate", () => {
    const result = diffManifests(base, renamedTo);
    expect(brief(result.operations)).toEqual([
      ["dropColumn", "Users", "data-loss"],
      ["addColumn", "Users", "safe"],
    ]);
    expect(result.renameCandidates).toEqual([{ table: "Users", from: "email", to: "contact" }]);
  });

  it("no candidate when the types differ", () => {
    const to = withUsers({}, [column("id", "String"), column("name", "String"), column("contact", "Int32")]);
    expect(diffManifests(base, to).renameCandidates).toEqual([]);
  });

  it("with a declared rename: one renameColumn and no data loss", () => {
    const result = diffManifests(base, renamedTo, { renames: { Users: { email: "contact" } } });
    expect(brief(result.operations)).toEqual([["renameColumn", "Users", "safe"]]);
    expect(result.renameCandidates).toEqual([]);
  });

  it("a renamed column whose type also changes: rename, then modify", () => {
    const to = withUsers({}, [column("id", "String"), column("name", "String"), column("contact", "String", { nullable: true })]);
    const result = diffManifests(base, to, { renames: { Users: { email: "contact" } } });
    expect(result.operations.map((op) => op.kind)).toEqual(["renameColumn", "modifyColumn"]);
  });

  it("a rename inside a rebuild: rename first, then the rebuild copies the renamed column", () => {
    const to = withUsers({ orderBy: ["id", "contact"] }, [column("id", "String"), column("name", "String"), column("contact", "String")]);
    const result = diffManifests(base, to, { renames: { Users: { email: "contact" } } });
    expect(brief(result.operations)).toEqual([
      ["renameColumn", "Users", "safe"],
      ["recreateTable", "Users", "rewrite"],
    ]);
  });

  it.each([
    ["an unknown table", { Orders: { a: "b" } }, "RENAME_UNKNOWN_TABLE"],
    ["an old column that does not exist", { Users: { nope: "contact" } }, "RENAME_NOT_APPLICABLE"],
    ["a new column that does not exist", { Users: { email: "nope" } }, "RENAME_NOT_APPLICABLE"],
    ["a column that still exists", { Users: { name: "contact" } }, "RENAME_NOT_APPLICABLE"],
  ])("refuses a rename of %s", (_what, renames, code) => {
    let thrown: unknown;
    try {
      diffManifests(base, renamedTo, { renames });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MooseError);
    expect((thrown as MooseError).code).toBe(code);
    expect((thrown as MooseError).hint).toBeTruthy();
  });
});

describe("tables: DELETION_PROTECTED", () => {
  const protectedUsers = (extra = {}, columns?: Parameters<typeof users>[1]) => manifest({ tables: [users({ lifeCycle: "DELETION_PROTECTED", ...extra }, columns)] });

  it("a drop is not planned: the table is kept, in the state too", () => {
    const result = diffManifests(protectedUsers(), manifest());
    expect(result.operations).toEqual([]);
    expect(result.blocked).toEqual([]);
    expect(result.kept).toEqual([expect.objectContaining({ section: "tables", target: "Users", summary: "drop table Users", reason: expect.stringContaining("DELETION_PROTECTED") })]);
    expect(withKept(manifest(), protectedUsers(), result.kept)).toEqual(protectedUsers());
  });

  it("a column drop is not planned, the rest of the change goes ahead; the column stays where it was in the state", () => {
    const code = protectedUsers({}, [column("id", "String"), column("name", "String"), column("age", "Int32")]);
    const result = diffManifests(protectedUsers(), code);
    expect(brief(result.operations)).toEqual([["addColumn", "Users", "safe"]]);
    expect(result.blocked).toEqual([]);
    expect(result.kept).toEqual([expect.objectContaining({ target: "Users", column: "email", summary: "drop column Users.email" })]);
    const state = withKept(code, protectedUsers(), result.kept);
    expect(state.tables.Users!.columns.map((spec) => spec.name)).toEqual([...protectedUsers().tables.Users!.columns.map((spec) => spec.name), "age"]);
    // Planned from that state, the same code is only the kept column again.
    const next = diffManifests(state, code);
    expect(next.operations).toEqual([]);
    expect(next.kept.map((change) => change.summary)).toEqual(["drop column Users.email"]);
  });

  it("columns kept side by side stay in their order; one that was first stays first", () => {
    const before = protectedUsers({ orderBy: ["c"] }, [column("a", "String"), column("b", "String"), column("c", "String"), column("d", "String")]);
    const code = protectedUsers({ orderBy: ["c"] }, [column("c", "String"), column("e", "String")]);
    const result = diffManifests(before, code);
    expect(result.kept.map((change) => change.column)).toEqual(["a", "b", "d"]);
    expect(withKept(code, before, result.kept).tables.Users!.columns.map((spec) => spec.name)).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("a rebuild that would drop a column is blocked", () => {
    const result = diffManifests(protectedUsers(), protectedUsers({ orderBy: ["id", "name"] }, [column("id", "String"), column("name", "String")]));
    expect(result.operations).toEqual([]);
    expect(result.blocked).toHaveLength(1);
  });

  it("a rebuild that keeps every column goes ahead", () => {
    const result = diffManifests(protectedUsers(), protectedUsers({ orderBy: ["id", "name"] }));
    expect(brief(result.operations)).toEqual([["recreateTable", "Users", "rewrite"]]);
  });
});

describe("diffManifests purity", () => {
  it("never mutates its inputs", () => {
    const from = manifest({ tables: [users({ settings: { index_granularity: "8192" } }), table("Other", [column("id", "Nullable(String)")])] });
    const to = manifest({ tables: [users({ orderBy: ["id", "email"] }, [column("id", "String"), column("contact", "String")])] });
    const frozen = [structuredClone(from), structuredClone(to)];
    diffManifests(from, to, { renames: { Users: { email: "contact" } } });
    expect([from, to]).toEqual(frozen);
  });

  it("is deterministic", () => {
    const from = manifest({ tables: [users(), table("B", [column("id", "String")]), table("A", [column("id", "String")])] });
    const to = manifest({ tables: [table("C", [column("id", "String")]), users({}, [column("id", "String")])] });
    expect(diffManifests(from, to)).toEqual(diffManifests(structuredClone(from), structuredClone(to)));
    expect(diffManifests(from, to).operations.map((op) => `${op.kind}:${op.target}`)).toEqual([
      "dropColumn:Users",
      "dropColumn:Users",
      "dropTable:A",
      "dropTable:B",
      "createTable:C",
    ]);
  });
});

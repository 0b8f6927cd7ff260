/**
 * What a server's version accepts (pure): the plan records in each step's cause the newer features
 * its statement uses, and a step runs as written, adapted (a rename, a removed default or comment on
 * an old server) or not at all, decided on the cause and the version alone; a statement edited by
 * hand runs as written.
 */
import { describe, expect, it } from "vitest";
import { diffManifests } from "../../../src/diff/index.js";
import { featureUnsupported, stepSupport, supports, tableFeatures } from "../../../src/infra/clickhouse/capabilities.js";
import { emptyManifest, type Manifest, type TableSpec } from "../../../src/manifest/types.js";
import { operationSteps } from "../../../src/plan/steps.js";
import type { SqlStep, Step } from "../../../src/steps/index.js";
import { column, table, users } from "../diff/builders.js";

const OLD = [18, 16] as const;
const NEW = [24, 8] as const;

function withTables(...tables: TableSpec[]): Manifest {
  return { ...emptyManifest(), tables: Object.fromEntries(tables.map((spec) => [spec.name, spec])) };
}

/** Users with its `name` column as given. */
function usersWithName(name: ReturnType<typeof column>, extra: Partial<TableSpec> = {}): TableSpec {
  return users(extra, [column("id", "String"), name, column("email", "String")]);
}

function sqlSteps(steps: Step[]): SqlStep[] {
  return steps.filter((step): step is SqlStep => "sql" in step);
}

/** The SQL steps of the only operation from `from` to `to`. */
function upSteps(from: TableSpec, to: TableSpec, renames?: Record<string, Record<string, string>>): SqlStep[] {
  const { operations } = diffManifests(withTables(from), withTables(to), { renames });
  expect(operations).toHaveLength(1);
  return sqlSteps(operationSteps(operations[0]!).up);
}

describe("feature versions", () => {
  it("18.16 has none of the newer features, a current server all, the embedded engine (no version) all", () => {
    for (const feature of ["renameColumn", "removeColumnProperty", "modifySetting", "resetSetting", "ttl", "removeTtl", "codec", "skipIndex"] as const) {
      expect(supports(OLD, feature)).toBe(false);
      expect(supports(NEW, feature)).toBe(true);
      expect(supports(undefined, feature)).toBe(true);
    }
  });

  it("compares major, then minor", () => {
    expect(supports([20, 3], "renameColumn")).toBe(false);
    expect(supports([20, 4], "renameColumn")).toBe(true);
    expect(supports([19, 5], "ttl")).toBe(false);
    expect(supports([19, 6], "ttl")).toBe(true);
    expect(supports([21, 7], "resetSetting")).toBe(false);
  });

  it("a table's CREATE needs what its TTLs, codecs and indexes use", () => {
    expect(tableFeatures(users())).toEqual([]);
    const full = users({ ttl: "now()", indexes: [{ name: "i", expression: "id", type: "minmax", granularity: 1 }] }, [column("id", "String", { codec: "ZSTD" })]);
    expect(tableFeatures(full)).toEqual(["codec", "skipIndex", "ttl"]);
  });
});

describe("the features a plan's steps record", () => {
  it("a rename names its new name and needs RENAME COLUMN", () => {
    const [rename] = upSteps(users(), users({}, [column("id", "String"), column("full_name", "String"), column("email", "String")]), { Users: { name: "full_name" } });
    expect(rename!.cause).toMatchObject({ column: { table: "Users", name: "name", renamedTo: "full_name" }, needs: ["renameColumn"] });
  });

  it("a removed default first stores the default in rows that hold none, then says which property it removes", () => {
    const steps = upSteps(usersWithName(column("name", "String", { default: "'x'" })), users());
    expect(steps.map((step) => step.cause)).toEqual([
      expect.objectContaining({ column: { table: "Users", name: "name", materializes: "default" } }),
      expect.objectContaining({ column: { table: "Users", name: "name", removes: "default" }, needs: ["removeColumnProperty"] }),
    ]);
    expect(steps[0]!.cause?.needs).toBeUndefined();
    // A MATERIALIZED expression is recomputed by MATERIALIZE COLUMN, which old servers lack.
    const materialized = upSteps(usersWithName(column("name", "String", { materialized: "upper(email)" })), users());
    expect(materialized[0]!.cause).toMatchObject({ column: { materializes: "materialized" }, needs: ["materializeColumn"] });
    expect(stepSupport(materialized[0]!, [21, 9])).toEqual({ kind: "unsupported", feature: "materializeColumn" });
  });

  it("TTL, settings and index changes need their features; a plain column change needs none", () => {
    expect(upSteps(users(), users({ ttl: "now()" }))[0]!.cause?.needs).toEqual(["ttl"]);
    // Removing a TTL is its own statement (REMOVE TTL), younger than TTL itself: a 19.6–20.9 server is refused up front.
    expect(upSteps(users({ ttl: "now()" }), users())[0]!.cause?.needs).toEqual(["removeTtl"]);
    expect(stepSupport(upSteps(users({ ttl: "now()" }), users())[0]!, [20, 3])).toEqual({ kind: "unsupported", feature: "removeTtl" });
    expect(upSteps(users(), users({ settings: { merge_max_block_size: "1024" } }))[0]!.cause?.needs).toEqual(["modifySetting"]);
    expect(upSteps(users(), users({ indexes: [{ name: "i", expression: "id", type: "minmax", granularity: 1 }] }))[0]!.cause?.needs).toEqual(["skipIndex"]);
    expect(upSteps(users(), users({}, [column("id", "String"), column("name", "String"), column("email", "String"), column("n", "Int32")]))[0]!.cause?.needs).toBeUndefined();
  });
});

describe("how a step runs on a server", () => {
  const renamed = users({}, [column("id", "String"), column("full_name", "String"), column("email", "String")]);

  it("a generated rename is adapted on 18.16 and runs as written on a current server", () => {
    const [rename] = upSteps(users(), renamed, { Users: { name: "full_name" } });
    expect(stepSupport(rename!, NEW)).toEqual({ kind: "native" });
    expect(stepSupport(rename!, OLD)).toEqual({ kind: "adapted", adaptation: { kind: "rename", table: "Users", from: "name", to: "full_name" } });
  });

  it("a rename edited by hand runs as written", () => {
    const [rename] = upSteps(users(), renamed, { Users: { name: "full_name" } });
    expect(stepSupport({ ...rename!, sql: "ALTER TABLE Users ADD COLUMN full_name String" }, OLD)).toEqual({ kind: "native" });
  });

  it("a rename or a removal on a cluster is not adapted", () => {
    const [rename] = upSteps(users({ cluster: "events" }), { ...renamed, cluster: "events" }, { Users: { name: "full_name" } });
    expect(stepSupport(rename!, OLD)).toEqual({ kind: "unsupported", feature: "renameColumn" });
    const [materialize, removal] = upSteps(usersWithName(column("name", "String", { default: "'x'" }), { cluster: "events" }), users({ cluster: "events" }));
    expect(stepSupport(materialize!, OLD)).toEqual({ kind: "native" });
    expect(stepSupport(removal!, OLD)).toEqual({ kind: "unsupported", feature: "removeColumnProperty" });
  });

  it("a removed default or comment is adapted; a removed codec is not", () => {
    const defaulted = stepSupport(upSteps(usersWithName(column("name", "String", { default: "'x'" })), users())[1]!, OLD);
    expect(defaulted).toEqual({ kind: "adapted", adaptation: { kind: "remove", table: "Users", column: "name", property: "default" } });
    const commented = stepSupport(upSteps(usersWithName(column("name", "String", { comment: "who" })), users())[0]!, OLD);
    expect(commented).toMatchObject({ kind: "adapted", adaptation: { property: "comment" } });
    const codec = upSteps(usersWithName(column("name", "String", { codec: "ZSTD" })), users())[0]!;
    expect(stepSupport(codec, [20, 1])).toEqual({ kind: "unsupported", feature: "removeColumnProperty" });
  });

  it("a settings change is adapted (a rebuild) on one server, not on a cluster", () => {
    const [set] = upSteps(users(), users({ settings: { merge_max_block_size: "1024" } }));
    expect(set!.cause).toMatchObject({ needs: ["modifySetting"], settings: { set: { merge_max_block_size: "1024" }, reset: [] } });
    expect(stepSupport(set!, OLD)).toEqual({ kind: "adapted", adaptation: { kind: "settings", table: "Users", set: { merge_max_block_size: "1024" }, reset: [] } });
    expect(stepSupport(set!, [19, 11])).toEqual({ kind: "native" });
    const [reset] = upSteps(users({ settings: { merge_max_block_size: "1024" } }), users());
    expect(stepSupport(reset!, [20, 3])).toEqual({ kind: "adapted", adaptation: { kind: "settings", table: "Users", set: {}, reset: ["merge_max_block_size"] } });
    const [clustered] = upSteps(users({ cluster: "events" }), users({ cluster: "events", settings: { merge_max_block_size: "1024" } }));
    expect(stepSupport(clustered!, OLD)).toEqual({ kind: "unsupported", feature: "modifySetting" });
  });

  it("TTL, codecs and indexes have no adaptation before their versions", () => {
    expect(stepSupport(upSteps(users(), users({ ttl: "now()" }))[0]!, OLD)).toEqual({ kind: "unsupported", feature: "ttl" });
    const created = sqlSteps(operationSteps(diffManifests(emptyManifest(), withTables(table("T", [column("id", "String", { codec: "ZSTD" })]))).operations[0]!).up);
    expect(stepSupport(created[0]!, OLD)).toEqual({ kind: "unsupported", feature: "codec" });
    expect(stepSupport(created[0]!, [19, 1])).toEqual({ kind: "native" });
  });

  it("a step without needs (hand-written, or older files) runs as written everywhere", () => {
    expect(stepSupport({ sql: "ALTER TABLE t MODIFY TTL now()" }, OLD)).toEqual({ kind: "native" });
  });

  it("the refusal names the feature, the server's version and the oldest version that has it", () => {
    const error = featureUnsupported("ttl", OLD, "migrations/x.ts up step 2", { operation: "modifyTtl", target: "Users", risk: "data-loss" });
    expect(error.code).toBe("SERVER_FEATURE_UNSUPPORTED");
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe("migrations/x.ts up step 2 uses TTL (table or column), which ClickHouse has from 19.6; the server is 18.16. Nothing was applied.");
    expect(error.details).toEqual({ feature: "ttl", serverVersion: "18.16", oldestVersion: "19.6" });
  });
});

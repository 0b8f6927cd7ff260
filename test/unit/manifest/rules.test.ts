import { describe, expect, it } from "vitest";
import { checkManifestRules, escapedNameBytes } from "../../../src/manifest/rules.js";
import type { TableSpec } from "../../../src/manifest/types.js";
import { api, column, ingestApi, manifest, stream, table } from "../diff/builders.js";

function tableNamed(name: string, columns = [column("id", "String")]): TableSpec {
  return { ...table(name, columns), source: { file: "app/index.ts", line: 7 } };
}

describe("name rules", () => {
  it("measures names as ClickHouse escapes them for file names", () => {
    expect(escapedNameBytes("Users_1")).toBe(7);
    expect(escapedNameBytes("a b")).toBe(5);
    expect(escapedNameBytes("ж")).toBe(6);
  });

  it("refuses line separators in names (ClickHouse's parser breaks a quoted name there) and a field named __proto__", () => {
    const problems = checkManifestRules(
      manifest({ tables: [tableNamed("a\u2028b"), tableNamed("c\u2029d"), tableNamed("e\u0085f"), tableNamed("Proto", [column("id", "String"), column("__proto__", "String")])] }),
    );
    expect(problems.map((problem) => `${problem.subject}: ${problem.message}`)).toEqual([
      expect.stringContaining("line separator"),
      expect.stringContaining("line separator"),
      expect.stringContaining("line separator"),
      expect.stringMatching(/^column Proto\."__proto__": a field cannot be named __proto__/),
    ]);
    expect(problems[0]!.location).toEqual({ file: "app/index.ts", line: 7 });
    // A table pulled from a database (moose-ts never writes it) may have such a column.
    expect(checkManifestRules(manifest({ tables: [{ ...tableNamed("Pulled", [column("__proto__", "String")]), lifeCycle: "EXTERNALLY_MANAGED" }] }))).toEqual([]);
  });

  it("refuses an API or ingest API no request can reach: an empty name, ? or #, an empty, . or .. segment; a slash at either end is fine", () => {
    const at = { source: { file: "app/apis.ts", line: 3 } };
    const problems = checkManifestRules(
      manifest({
        apis: [api("", at), api("x?y", { ...at, path: "x?y" }), api("v", { ...at, version: "../x", path: "v/../x" }), api("a", { ...at, path: "a//b" }), api("fine", { ...at, path: "/fine/" })],
        ingestApis: [ingestApi("in", { ...at, path: "in put/../x" }), ingestApi("frag", { ...at, path: "frag#1" })],
      }),
    );
    expect(problems.map((problem) => problem.subject)).toEqual(['API ""', 'API "x?y"', 'API "v/../x"', 'API "a//b"', 'ingest API "in put/../x"', 'ingest API "frag#1"']);
    expect(problems[0]).toMatchObject({ message: expect.stringContaining("empty"), location: at.source });
  });

  it("accepts ordinary names", () => {
    expect(checkManifestRules(manifest({ tables: [tableNamed("Users")], streams: [stream("user-events.v1")] }))).toEqual([]);
  });

  it("refuses what ClickHouse or Kafka would refuse half-way through a migration, at the model's line", () => {
    const problems = checkManifestRules(
      manifest({
        tables: [tableNamed(""), tableNamed("a".repeat(190)), tableNamed("ж".repeat(100)), tableNamed("NoColumns", []), tableNamed("Tab\tName"), tableNamed("Cols", [column("", "String")])],
        streams: [stream("bad topic")],
      }),
    );
    expect(problems.map((problem) => problem.message)).toEqual([
      "the name is empty",
      expect.stringContaining("190 bytes"),
      expect.stringContaining("600 bytes"),
      expect.stringContaining("at least one column"),
      expect.stringContaining("control character"),
      "the name is empty",
      expect.stringContaining("Kafka topic names"),
    ]);
    expect(problems[0]!.location).toEqual({ file: "app/index.ts", line: 7 });
    // 189 bytes plus the rebuild suffix is the longest a table may be.
    expect(checkManifestRules(manifest({ tables: [tableNamed("a".repeat(189))] }))).toEqual([]);
  });

  it("keeps moose-ts's own namespace for moose-ts", () => {
    const problems = checkManifestRules(manifest({ tables: [tableNamed("_moose_migrations"), tableNamed("Big__moose_new"), tableNamed("T", [column("x__moose_converted", "String")])] }));
    expect(problems.map((problem) => problem.subject)).toEqual(['table "_moose_migrations"', 'table "Big__moose_new"', 'column T."x__moose_converted"']);
  });
});

describe("workflow schedules", () => {
  it("refuses a schedule Temporal would not take at the workflow's line, as `moose check` and every build report it", () => {
    const workflow = (name: string, schedule: string) => ({ name, schedule, tasks: [{ name: "run", onComplete: [] }], source: { file: "app/index.ts", line: 12 } });
    const problems = checkManifestRules({ ...manifest({}), workflows: { bad: workflow("bad", "every day at 2"), good: workflow("good", "0 2 * * *") } });
    expect(problems).toEqual([{ subject: "workflow bad", message: expect.stringContaining("is not a five-field cron expression"), location: { file: "app/index.ts", line: 12 } }]);
  });
});

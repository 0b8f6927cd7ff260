import { afterEach, describe, expect, it } from "vitest";
import type { ColumnSpec } from "../../../src/manifest/types.js";
import { getRegistry, getSqlResource, getSqlResources, OlapTable, registryToManifest, sql, SqlResource } from "../../../src/sdk/index.js";
import { METADATA_MARKER, type InjectedMetadata } from "../../../src/sdk/metadata.js";

const at = (line: number): InjectedMetadata => ({ [METADATA_MARKER]: 1, source: { file: "app/resources.ts", line, col: 1 } });
const columns: ColumnSpec[] = [{ name: "id", type: "UInt64", nullable: false }];

afterEach(() => getRegistry().clear());

describe("SqlResource", () => {
  it("puts its statements in the manifest, a sql template's values written as literals, trailing semicolons dropped", () => {
    const events = new OlapTable<{ id: number }>("Events", { orderByFields: ["id"] }, { ...at(1), columns, schema: { type: "object" } });
    const resource = new SqlResource(
      "recent",
      [sql`CREATE VIEW recent AS SELECT * FROM ${events} WHERE id > ${10} AND note != ${"it's"};  `],
      ["DROP VIEW IF EXISTS recent;"],
      { pullsDataFrom: [events] },
      at(4),
    );
    expect(getSqlResource("recent")).toBe(resource);
    expect([...getSqlResources().keys()]).toEqual(["recent"]);
    expect(registryToManifest().sqlResources).toEqual({
      recent: {
        name: "recent",
        setup: ["CREATE VIEW recent AS SELECT * FROM Events WHERE id > 10 AND note != 'it\\'s'"],
        teardown: ["DROP VIEW IF EXISTS recent"],
        pullsDataFrom: ["Events"],
        pushesDataTo: [],
        source: { file: "app/resources.ts", line: 4, col: 1 },
      },
    });
  });

  it("refuses a resource without setup, an empty statement or a non-statement, at its line", () => {
    expect(() => new SqlResource("none", [], [], undefined, at(7))).toThrow(expect.objectContaining({ code: "INVALID_SQL_RESOURCE", message: 'SqlResource "none" has no setup statements', location: at(7).source }));
    expect(() => new SqlResource("blank", ["CREATE VIEW v AS SELECT 1", "  ;"], [], undefined, at(8))).toThrow('SqlResource "blank": setup statement 2 is empty');
    expect(() => new SqlResource("odd", ["CREATE VIEW v AS SELECT 1"], [42 as never], undefined, at(9))).toThrow("teardown statement 1 is neither a string nor a sql`…` template");
    expect(() => new SqlResource("text", "CREATE VIEW v AS SELECT 1" as never, [], undefined, at(9))).toThrow("setup must be an array of statements");
    expect(getSqlResources().size).toBe(0);
  });

  it("is one of a kind per name", () => {
    new SqlResource("twice", ["CREATE VIEW a AS SELECT 1"], [], undefined, at(1));
    expect(() => new SqlResource("twice", ["CREATE VIEW b AS SELECT 1"], [], undefined, at(2))).toThrow(/defined twice/);
  });
});

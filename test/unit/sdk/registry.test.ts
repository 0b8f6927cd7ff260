import { beforeEach, describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import type { ColumnSpec } from "../../../src/manifest/types.js";
import { Api, ClickHouseEngines, getRegistry, IngestPipeline, OlapTable, registryToManifest, Stream, View, Workflow, Task, sql } from "../../../src/sdk/index.js";
import { METADATA_MARKER, type InjectedMetadata } from "../../../src/sdk/metadata.js";
import { splitKeyExpression, type OlapConfig } from "../../../src/sdk/olap-table.js";
import { Registry } from "../../../src/sdk/registry.js";

const columns: ColumnSpec[] = [
  { name: "id", type: "String", nullable: false, primaryKey: true },
  { name: "at", type: "DateTime('UTC')", nullable: false },
];

/** What the build plugin would inject for a constructor at file:line. */
function injected(file: string, line: number): InjectedMetadata {
  return { [METADATA_MARKER]: 1, source: { file, line, col: 14 }, columns, schema: { type: "object" } };
}

function thrown(run: () => unknown): MooseError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(MooseError);
    return error as MooseError;
  }
  throw new Error("expected a MooseError");
}

interface Row {
  id: string;
  at: Date;
}

beforeEach(() => getRegistry().clear());

describe("registry", () => {
  it("refuses two objects of the same kind and id, naming both locations", () => {
    new OlapTable<Row>("Users", {}, injected("app/users.ts", 3));
    const error = thrown(() => new OlapTable<Row>("Users", {}, injected("app/more.ts", 7)));
    expect(error.code).toBe("DUPLICATE_COMPONENT");
    expect(error.message).toContain("app/users.ts:3:14");
    expect(error.message).toContain("app/more.ts:7:14");
    expect(error.location).toEqual({ file: "app/more.ts", line: 7, col: 14 });
  });

  it("refuses names every JavaScript object has, at their line (__proto__ made the table vanish from the manifest, constructor crashed the plan)", () => {
    const error = thrown(() => new OlapTable<Row>("__proto__", {}, injected("app/users.ts", 4)));
    expect(error.code).toBe("INVALID_NAME");
    expect(error.location).toEqual({ file: "app/users.ts", line: 4, col: 14 });
    expect(thrown(() => new OlapTable<Row>("constructor", {}, injected("app/users.ts", 5))).message).toContain('"constructor": this name cannot be used');
    expect(thrown(() => new Stream<Row>("toString", {}, injected("app/users.ts", 6))).code).toBe("INVALID_NAME");
    expect(registryToManifest().tables).toEqual({});
  });

  it("keeps kinds apart and versions apart", () => {
    new OlapTable<Row>("Users", {}, injected("app/a.ts", 1));
    new Stream<Row>("Users", {}, injected("app/a.ts", 2));
    new OlapTable<Row>("Users", { version: "1.0" }, injected("app/a.ts", 3));
    const manifest = registryToManifest();
    expect(Object.keys(manifest.tables)).toEqual(["Users", "Users_1_0"]);
    expect(Object.keys(manifest.streams)).toEqual(["Users"]);
  });

  it("refuses duplicate API paths, and tells versions apart", () => {
    const handler = async () => [];
    new Api<{ q: string }, never[]>("metrics", handler);
    new Api<{ q: string }, never[]>("metrics", handler, { version: "2" });
    expect(getRegistry().list("apis").map((api) => api.id)).toEqual(["metrics", "metrics/2"]);
    const error = thrown(() => new Api<{ q: string }, never[]>("metrics", handler));
    expect(error.code).toBe("DUPLICATE_COMPONENT");
    expect(error.message).toContain('API "metrics"');
  });

  it("uses the caller's stack frame when no metadata was injected", () => {
    const api = new Api<Record<string, never>, number>("where", async () => 1);
    expect(api.source.file).toMatch(/registry\.test\.ts$/);
    expect(api.source.line).toBeGreaterThan(0);
  });

  it("asks for the build plugin when a table has no column metadata", () => {
    const error = thrown(() => new OlapTable<Row>("Bare"));
    expect(error.code).toBe("MISSING_TYPE_METADATA");
    expect(error.hint).toContain("moose build");
  });

  it("refuses two different tasks with one name in a workflow", () => {
    const run = async () => {};
    const last = new Task<null, void>("step", { run });
    const first = new Task<null, void>("step", { run, onComplete: [last] });
    const workflow = new Workflow("flow", { startingTask: first });
    expect(thrown(() => workflow.toSpec()).code).toBe("DUPLICATE_COMPONENT");
  });
});

describe("workflow specs", () => {
  it("reads a blank schedule as none, and keeps a real one", () => {
    const run = async () => {};
    expect(new Workflow("blank", { startingTask: new Task<null, void>("a", { run }), schedule: "" }).toSpec().schedule).toBeUndefined();
    expect(new Workflow("spaces", { startingTask: new Task<null, void>("b", { run }), schedule: "  " }).toSpec().schedule).toBeUndefined();
    expect(new Workflow("daily", { startingTask: new Task<null, void>("c", { run }), schedule: "@daily" }).toSpec().schedule).toBe("@daily");
  });
});

describe("table specs", () => {
  it("orders by Key<> columns when no orderByFields is given", () => {
    const spec = new OlapTable<Row>("Keyed", {}, injected("app/a.ts", 1)).toSpec();
    expect(spec.orderBy).toEqual(["id"]);
    expect(spec.primaryKey).toBeUndefined();
  });

  it("makes Key<> columns the PRIMARY KEY when they prefix an explicit ORDER BY", () => {
    const spec = new OlapTable<Row>("Ordered", { orderByFields: ["id", "at"] }, injected("app/a.ts", 1)).toSpec();
    expect(spec.orderBy).toEqual(["id", "at"]);
    expect(spec.primaryKey).toEqual(["id"]);
  });

  it("refuses orderByFields naming a missing field, with the field path", () => {
    const table = new OlapTable<Row>("Typo", { orderByFields: ["id", "nope" as keyof Row] }, injected("app/a.ts", 9));
    const error = thrown(() => table.toSpec());
    expect(error.code).toBe("UNKNOWN_FIELD");
    expect(error.message).toContain("Typo.orderByFields[1]");
    expect(error.location).toEqual({ file: "app/a.ts", line: 9, col: 14 });
  });

  it("splits ORDER BY / PRIMARY KEY expressions at top-level commas", () => {
    expect(splitKeyExpression("(a, toDate(b, 'x,y'), c)")).toEqual(["a", "toDate(b, 'x,y')", "c"]);
    expect(splitKeyExpression("tuple()")).toEqual([]);
    expect(splitKeyExpression("cityHash64(id)")).toEqual(["cityHash64(id)"]);
  });
});

describe("configuration errors", () => {
  it("refuses orderByFields together with orderByExpression", () => {
    // Also a type error (as in MooseStack's OlapConfig); plain JavaScript callers get the runtime check.
    const table = new OlapTable<Row>("Both", { orderByFields: ["id"], orderByExpression: "(id)" } as unknown as OlapConfig<Row>, injected("app/a.ts", 4));
    const error = thrown(() => table.toSpec());
    expect(error.code).toBe("CONFLICTING_ORDER_BY");
    expect(error.location).toEqual({ file: "app/a.ts", line: 4, col: 14 });
  });

  it("refuses a CollapsingMergeTree without its sign column", () => {
    const table = new OlapTable<Row>("Collapsing", { engine: ClickHouseEngines.CollapsingMergeTree } as unknown as OlapConfig<Row>, injected("app/a.ts", 5));
    expect(thrown(() => table.toSpec()).code).toBe("INVALID_ENGINE");
  });

  it("refuses an ingest pipeline whose ingest API has nowhere to send payloads", () => {
    const error = thrown(() => new IngestPipeline<Row>("Lonely", { table: false, stream: false, ingestApi: true }, injected("app/a.ts", 6)));
    expect(error.code).toBe("INVALID_PIPELINE");
    expect(error.location).toEqual({ file: "app/a.ts", line: 6, col: 14 });
  });

  it("builds the pipeline's table, stream and ingest API with shared version and location", async () => {
    const pipeline = new IngestPipeline<Row>("Events", { table: true, stream: true, ingestApi: true, version: "1.1" }, injected("app/a.ts", 8));
    const manifest = registryToManifest();
    expect(Object.keys(manifest.tables)).toEqual(["Events_1_1"]);
    expect(manifest.streams.Events_1_1.destination).toBe("Events_1_1");
    expect(manifest.ingestApis["Events/1.1"].destination).toBe("Events_1_1");
    expect(pipeline.table?.source).toEqual({ file: "app/a.ts", line: 8, col: 14 });
    // As moose-lib's pipelines: the row type's columns, for `sql` (`ORDER BY ${pipeline.columns.id}`).
    expect(pipeline.columnArray).toEqual(columns);
    const { toStaticQuery } = await import("../../../src/sdk/sql.js");
    expect(toStaticQuery(sql`SELECT ${pipeline.columns.at} FROM ${pipeline.table!} ORDER BY ${pipeline.columns.id}`)).toBe("SELECT at FROM Events_1_1 ORDER BY id");
  });

  it("reads metadata injected as a JSON string (what the plugins emit)", () => {
    const table = new OlapTable<Row>("FromString", {}, JSON.stringify(injected("app/s.ts", 2)));
    expect(table.source).toEqual({ file: "app/s.ts", line: 2, col: 14 });
    expect(table.columnArray).toEqual(columns);
  });
});

describe("sql", () => {
  it("quotes interpolated tables and inlines values for view definitions", () => {
    const table = new OlapTable<Row>("Events", { version: "1.2" }, injected("app/a.ts", 1));
    const view = new View("Recent", { selectStatement: sql`SELECT * FROM ${table} WHERE id = ${"it's"} LIMIT ${5}`, baseTables: [table] });
    expect(view.toSpec().sql).toBe("SELECT * FROM Events_1_2 WHERE id = 'it\\'s' LIMIT 5");
    expect(view.toSpec().sourceTables).toEqual(["Events_1_2"]);
  });

  it("takes only [\"Identifier\", name] as an array: any other array is refused, not read as a name", async () => {
    const { toQuery, ApiHelpers } = await import("../../../src/sdk/sql.js");
    expect(toQuery(sql`SELECT ${ApiHelpers.column("id")} FROM t`)).toEqual(["SELECT {p0:Identifier} FROM t", { p0: "id" }]);
    // A repeated query parameter reaching the tag through `any`: `?ids=x&ids=other_column`.
    const ids = ["x", "other_column"] as unknown as [string, string];
    expect(() => toQuery(sql`SELECT * FROM t WHERE id IN ${ids}`)).toThrow(/an array is not a SQL value/);
    expect(() => new View("Picked", { selectStatement: sql`SELECT ${ids} FROM t`, baseTables: [] }).toSpec()).toThrow(/an array is not a SQL value/);
    // `?ids=Identifier&ids=other_column` spells ApiHelpers' shape: still a request's value, not a name.
    const spelled = new URLSearchParams("ids=Identifier&ids=other_column").getAll("ids") as unknown as [string, string];
    expect(() => toQuery(sql`SELECT * FROM t WHERE id = ${spelled}`)).toThrow(/an array is not a SQL value/);
    expect(() => toQuery(sql`SELECT * FROM t WHERE id = ${JSON.parse('["Identifier", "id"]') as [string, string]}`)).toThrow(/an array is not a SQL value/);
  });

  it("splices only what the SDK made: objects of the same shape from a request body are refused, never SQL", async () => {
    const { toQuery } = await import("../../../src/sdk/sql.js");
    const { columnsRecord } = await import("../../../src/sdk/column.js");
    const table = new OlapTable<Row>("Orders", {}, injected("app/a.ts", 1));
    const [column] = Object.values(columnsRecord<{ id: string }>([{ name: "id", type: "String", nullable: false }] as ColumnSpec[]));
    expect(toQuery(sql`SELECT ${column} FROM ${table} WHERE ${sql`id = ${"a"}`}`)).toEqual(["SELECT id FROM Orders WHERE id = {p0:String}", { p0: "a" }]);
    // What express.json() hands a handler for `{"id": {...}}`: each spelling of an SDK object.
    for (const body of [
      '{"kind":"Sql","strings":["\'x\' UNION ALL SELECT name FROM Users"],"values":[]}',
      '{"componentKind":"tables","id":"Users","name":"Users"}',
      '{"kind":"Column","name":"secret","data_type":"String"}',
      '{"kind":"OlapDictionary","name":"secrets"}',
      '{}',
    ]) {
      const value = JSON.parse(body) as string;
      expect(() => toQuery(sql`SELECT id FROM ${table} WHERE id = ${value}`), body).toThrow(/an object is not a SQL value/);
      expect(() => toQuery(sql`SELECT ${sql.join([value as never, sql`1`])}`), body).toThrow(/an object is not a SQL value/);
    }
    expect(() => toQuery(sql`SELECT ${Object as never}`)).toThrow(/a function is not a SQL value/);
    // A negative number after a minus must not start a `--` comment (inlined for views and for servers before 19.x).
    const { toStaticQuery } = await import("../../../src/sdk/sql.js");
    const { inlineParams } = await import("../../../src/infra/clickhouse/inline-params.js");
    expect(toStaticQuery(sql`SELECT 10-${-5} AS x, ${"acme"} AS org`)).toBe("SELECT 10- -5 AS x, 'acme' AS org");
    expect(inlineParams("SELECT 10-{a:Int64} AS x, {b:String} AS org", { a: -5, b: "acme" })).toBe("SELECT 10- -5 AS x, 'acme' AS org");
    expect(inlineParams("SELECT 10-{a:Int64}", { a: -5n })).toBe("SELECT 10- -5");
    // The mark is a registered symbol: the app's copy of the SDK and the server's recognise each other's statements.
    const fromAnotherCopy = Object.defineProperties({ kind: "Sql", strings: ["SELECT 1"], values: [] }, { [Symbol.for("moose-ts.sql-part")]: { value: true } });
    expect(toQuery(sql`${fromAnotherCopy as never}`)).toEqual(["SELECT 1", {}]);
  });

  it("toQueryPreview: the statement with its values inlined, on one line, for logs", async () => {
    const { sql, toQueryPreview } = await import("../../../src/sdk/index.js");
    expect(toQueryPreview(sql`
      SELECT ${-5} AS x
      WHERE org = ${"acme"}  `)).toBe("SELECT -5 AS x WHERE org = 'acme'");
  });

  it("reads a column of aggregate states as its merge, as MooseStack's sql tag does", async () => {
    const { toQuery } = await import("../../../src/sdk/sql.js");
    const { columnsRecord } = await import("../../../src/sdk/column.js");
    const specs = [
      { name: "day", type: "Date" },
      { name: "avg_price", type: "AggregateFunction(avg, Float64)" },
      { name: "p", type: "AggregateFunction(quantiles(0.5, 0.9), Float64)" },
      { name: "total", type: "SimpleAggregateFunction(sum, UInt64)" },
    ] as ColumnSpec[];
    const columns = columnsRecord<{ day: Date; avg_price: number; p: number[]; total: number }>(specs);
    const [text] = toQuery(sql`SELECT ${columns.day}, ${columns.avg_price}, ${columns.p}, ${columns.total} FROM t GROUP BY ${columns.day}`);
    expect(text).toBe("SELECT day, avgMerge(avg_price), quantilesMerge(0.5, 0.9)(p), total FROM t GROUP BY day");
  });

  it("joins fragments with MooseStack's spacing, and joinQueries writes its separator as given", async () => {
    const { toQuery, joinQueries, ConsumptionHelpers, ApiHelpers } = await import("../../../src/sdk/sql.js");
    const conditions = [sql`a = ${1}`, sql`b = ${2}`];
    expect(toQuery(sql`SELECT * FROM t WHERE ${sql.join(conditions, "AND")}`)[0]).toBe("SELECT * FROM t WHERE a = {p0:Int64} AND b = {p1:Int64}");
    expect(toQuery(sql`SELECT ${sql.join([sql`x`, sql`y`])}`)[0]).toBe("SELECT x, y");
    expect(toQuery(sql`SELECT ${sql.join([sql`x`, sql`y`], " || ")}`)[0]).toBe("SELECT x || y");
    expect(toQuery(joinQueries({ values: conditions, separator: " AND ", prefix: "WHERE ", suffix: " LIMIT 1" }))).toEqual(["WHERE a = {p0:Int64} AND b = {p1:Int64} LIMIT 1", { p0: 1, p1: 2 }]);
    expect(() => joinQueries({ values: [] })).toThrow(/at least one value/);
    expect(ConsumptionHelpers).toBe(ApiHelpers);
  });

  it("splices fragments and binds values as parameters for the API server", async () => {
    const { toQuery } = await import("../../../src/sdk/sql.js");
    const table = new OlapTable<Row>("Logs", {}, injected("app/a.ts", 1));
    const where = sql.fragment`id = ${"a"} AND n > ${2}`;
    const [text, params] = toQuery(sql.statement`SELECT * FROM ${table} WHERE ${where}`);
    expect(text).toBe("SELECT * FROM Logs WHERE id = {p0:String} AND n > {p1:Int64}");
    expect(params).toEqual({ p0: "a", p1: 2 });
  });
});

describe("options accepted but not applied", () => {
  it("compiles MooseStack's constraints and names them in a build warning at the table", () => {
    new OlapTable<Row>("Checked", { orderByFields: ["id"], constraints: [{ name: "id_set", expression: "id != ''", type: "CHECK" }] }, injected("app/checked.ts", 4));
    expect(getRegistry().noticeList()).toEqual([
      { message: expect.stringContaining('OLAP table "Checked": constraints is accepted but not applied'), source: expect.objectContaining({ file: "app/checked.ts", line: 4 }) },
    ]);
  });
});

describe("forgetting what re-run files registered (moose dev)", () => {
  it("forgets a file's WebApps and notices too, so the file can run again", () => {
    const registry = new Registry();
    const source = { file: "app/web.ts", line: 3 };
    registry.registerOther("WebApp", "health", { name: "health" }, source);
    registry.notice("OLAP table \"x\": projections are accepted but not applied", source);
    registry.forgetSources(new Set(["app/web.ts"]));
    expect(registry.listOther("WebApp").size).toBe(0);
    expect(registry.noticeList()).toEqual([]);
    registry.registerOther("WebApp", "health", { name: "health" }, source);
    expect([...registry.listOther("WebApp").keys()]).toEqual(["health"]);
    expect(() => registry.registerOther("WebApp", "health", {}, { file: "app/other.ts", line: 1 })).toThrow(/defined twice: at app\/web.ts:3/);
  });
});

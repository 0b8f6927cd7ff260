/**
 * `moose db pull`'s generators: the file each writes for a set of introspected tables builds (through
 * the real extraction: TypeScript's, and Python's with the machine's Python and pydantic) into those
 * very columns, for every ClickHouse type it maps; a type it does not map refuses the whole file,
 * naming each such column.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pythonExternalModelsSource } from "../../../src/codegen/external-models-python.js";
import { externalModelsSource } from "../../../src/codegen/external-models.js";
import { MODEL_LANGUAGES } from "../../../src/codegen/index.js";
import { MooseError } from "../../../src/errors.js";
import { extractManifest } from "../../../src/extract/index.js";
import type { ColumnSpec, TableSpec } from "../../../src/manifest/types.js";
import { testPython } from "../../helpers/python.js";

const root = mkdtempSync(path.join(tmpdir(), "moose-external-models-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function table(name: string, columns: ColumnSpec[], orderBy: string[] = [columns[0]!.name]): TableSpec {
  return { name, columns, orderBy, engine: { name: "ReplacingMergeTree", params: [] }, settings: {}, indexes: [], lifeCycle: "EXTERNALLY_MANAGED" };
}

const column = (name: string, type: string, extra: Partial<ColumnSpec> = {}): ColumnSpec => ({ name, type, nullable: false, ...extra });

async function roundTrip(tables: TableSpec[]) {
  const dir = mkdtempSync(path.join(root, "p"));
  mkdirSync(path.join(dir, "app"));
  const source = externalModelsSource(tables, { source: "db at localhost" });
  writeFileSync(path.join(dir, "app", "externalModels.ts"), source);
  writeFileSync(path.join(dir, "app", "index.ts"), `export * from "./externalModels.js";\n`);
  return { source, manifest: await extractManifest({ projectDir: dir }) };
}

/** The Python file for `tables`, built as a Python project's app. */
async function pythonRoundTrip(tables: TableSpec[]) {
  process.env.MOOSE_PYTHON = testPython();
  const dir = mkdtempSync(path.join(root, "py"));
  mkdirSync(path.join(dir, "app"));
  const source = pythonExternalModelsSource(tables, { source: "db at localhost" });
  writeFileSync(path.join(dir, "moose.config.toml"), 'language = "Python"\n');
  writeFileSync(path.join(dir, "app", "__init__.py"), "");
  writeFileSync(path.join(dir, "app", "external_models.py"), source);
  writeFileSync(path.join(dir, "app", "main.py"), "import app.external_models  # noqa: F401\n");
  return { source, manifest: await extractManifest({ projectDir: dir }) };
}

/** Every type the generators map, and names and expressions that need escaping wherever the files write them. */
const TABLES = [
    table("cdc_users", [
      column("id", "UInt64"),
      column("name", "String", { comment: "the user's display name\nas they typed it" }),
      column("nickname", "String", { nullable: true }),
      column("tier", "LowCardinality(String)"),
      column("maybe_tier", "LowCardinality(String)", { nullable: true }),
      column("score", "Float32"),
      column("ratio", "Float64"),
      column("small", "Int8"),
      column("big", "Int128"),
      column("huge", "UInt256"),
      column("active", "Bool"),
      column("uid", "UUID"),
      column("created", "DateTime('UTC')"),
      column("updated", "DateTime64(3)"),
      // Named like types the file's annotations use (a Python class body's field would shadow them).
    column("date", "Date", { nullable: true }),
    column("int", "Int64"),
    column("birthday", "Date"),
    column("founded", "Date32"),
      column("ip", "IPv4"),
      column("ip6", "IPv6"),
      column("price", "Decimal(18, 4)"),
      column("code", "FixedString(3)"),
      column("tags", "Array(String)"),
      column("maybe_tags", "Array(Nullable(String))"),
      column("attrs", "Map(String, Int64)"),
      column("point", "Tuple(x Float64, y Float64)"),
      column("pair", "Tuple(String, Int32)"),
      column("payload", "JSON"),
      column("location", "Point"),
      column("status", "Enum8('active' = 1, 'gone away' = 2, 'it\\'s' = 5)"),
      column("version", "UInt32", { default: "1" }),
      column("name_upper", "String", { materialized: "upper(name)" }),
      column("name_alias", "String", { alias: "lower(name)" }),
      column("total", "SimpleAggregateFunction(sum, UInt64)"),
      column("n.key", "Array(String)"),
      column("lines", "Nested(sku String, qty UInt32)"),
      column("labels", "Array(LowCardinality(Nullable(String)))"),
      column("by_id", "Map(Int64, String)"),
    ], ["id", "created"]),
    table("2024 events", [column("event id", "String"), column("at", "DateTime('UTC')")], []),
    // Names and expressions that need escaping wherever the file writes them.
    table('we"ird`name\\', [
      column('col "x" \\ y', "String", { default: "concat('it\\'s', \"\\\\\")", comment: "a \"quoted\" \\ comment" }),
      column("__proto__", "String"),
      column("constructor", "String"),
      column("toString", "UInt8"),
      column("Int32", "Int32"),
    ]),
    table("weird name", [column("id", "String")]),
    // Models named like the globals the file's types use.
    table("date", [column("id", "String"), column("at", "DateTime('UTC')")]),
    table("record", [column("id", "String"), column("attrs", "Map(String, String)"), column("payload", "JSON")]),
  // Python: a table named like a constant, and fields named like the enum another field of the model needs.
  table("none", [column("id", "String")]),
  table("users", [column("id", "String"), column("Users_status", "String", { nullable: true }), column("status", "Enum8('on' = 1)"), column("mood", "Enum8('up' = 1)"), column("Users_mood", "String")]),
  ];

const comparable = (spec: TableSpec) => ({ name: spec.name, columns: spec.columns.map(({ primaryKey: _, ...rest }) => rest), orderBy: spec.orderBy, lifeCycle: spec.lifeCycle });

describe("externalModelsSource", () => {
  it("writes models that build back into the same columns, for every type it maps", async () => {
    const { source, manifest } = await roundTrip(TABLES);
    expect(source).toContain(`lifeCycle: LifeCycle.EXTERNALLY_MANAGED`);
    expect(source).toContain(`export enum cdc_users_status {`);
    // MooseStack's names: the interface is the table's name, the table \`<Pascal>Table\`.
    expect(source).toContain(`export interface cdc_users {`);
    expect(source).toContain(`export const CdcUsersTable = new OlapTable<cdc_users>("cdc_users", {`);
    expect(source).toContain(`  maybe_tier?: string & LowCardinality;`);
    expect(source).toContain(`  /**\n   * the user's display name\n   * as they typed it\n   */\n  name: string;`);
    expect(Object.values(manifest.tables).map(comparable).sort((a, b) => a.name.localeCompare(b.name))).toEqual(TABLES.map(comparable).sort((a, b) => a.name.localeCompare(b.name)));
  }, 60_000);

  it("reads Nullable(…) in an introspected type as an optional field, LowCardinality(Nullable(…)) too", () => {
    const source = externalModelsSource([table("t", [column("id", "String"), column("email", "Nullable(String)"), column("tier", "LowCardinality(Nullable(String))")])], { source: "x" });
    expect(source).toContain(`  email?: string;\n  tier?: string & LowCardinality;\n`);
  });

  it("decodes ClickHouse's escapes in enum names", () => {
    const source = externalModelsSource([table("t", [column("id", "String"), column("mood", "Enum8('tab\\there' = 1, 'it\\'s' = 2, '\\x41' = 3)")])], { source: "x" });
    expect(source).toContain(`  "tab\\there" = 1,\n  "it's" = 2,\n  A = 3,\n`);
  });

  it("refuses the file when a column's type has no TypeScript that maps to it, naming every such column", () => {
    let error: unknown;
    try {
      externalModelsSource([table("t", [column("id", "String"), column("q", "AggregateFunction(quantiles(0.5), Float64)"), column("e", "Enum8('1' = 1, 'b' = 2)"), column("n", "Enum8('NaN' = 1)"), column("small", "Enum16('a' = 1)"), column("nd", "Nullable(String)", { default: "NULL" }), column("sa", "SimpleAggregateFunction(anyLast, Nullable(String))")])], { source: "x" });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(MooseError);
    expect((error as MooseError).code).toBe("DB_PULL_UNSUPPORTED_TYPE");
    expect((error as MooseError).message).toContain("t.q AggregateFunction(quantiles(0.5), Float64), t.e Enum8('1' = 1, 'b' = 2), t.n Enum8('NaN' = 1), t.small Enum16('a' = 1), t.nd Nullable(String), t.sa SimpleAggregateFunction(anyLast, Nullable(String))");
  });
});

/** Types only TypeScript maps (moose_ts has no byte-size annotation for 128- and 256-bit integers). */
const TYPESCRIPT_ONLY = new Set(["Int128", "UInt256"]);

/** Engines the OlapTable config says, and one it cannot (kept in a comment). */
const ENGINE_TABLES = [
  { ...table("replacing", [column("id", "String"), column("_peerdb_version", "Int64"), column("_peerdb_is_deleted", "UInt8")]), engine: { name: "ReplacingMergeTree", params: ["_peerdb_version", "_peerdb_is_deleted"] } },
  { ...table("summing", [column("id", "String"), column("a", "Int64"), column("b", "Int64")]), engine: { name: "SummingMergeTree", params: ["(a, b)"] } },
  { ...table("collapsing", [column("id", "String"), column("sign", "Int8"), column("v", "UInt64")]), engine: { name: "VersionedCollapsingMergeTree", params: ["sign", "v"] } },
  { ...table("replicated", [column("id", "String"), column("ver", "UInt64")]), engine: { name: "ReplicatedReplacingMergeTree", params: ["'/clickhouse/tables/{shard}/replicated'", "'{replica}'", "ver"] } },
  { ...table("plain", [column("id", "String")]), engine: { name: "MergeTree", params: [] } },
  { ...table("expression", [column("id", "String"), column("at", "DateTime('UTC')")]), engine: { name: "ReplacingMergeTree", params: ["toUnixTimestamp(at)"] } },
] satisfies TableSpec[];
const withEngine = (spec: TableSpec) => ({ name: spec.name, engine: spec.engine });
const sayable = (spec: TableSpec) => spec.name !== "expression";

describe("the tables' engines", () => {
  it("are written as the OlapTable config says them (MooseStack writes them too), so the build has the database's engine; others stay a comment", async () => {
    const { source, manifest } = await roundTrip(ENGINE_TABLES);
    expect(source).toContain(`  engine: ClickHouseEngines.ReplacingMergeTree,\n  ver: "_peerdb_version",\n  isDeleted: "_peerdb_is_deleted",`);
    expect(source).toContain(`/** ENGINE = ReplacingMergeTree(toUnixTimestamp(at)) on the server. */`);
    expect(Object.values(manifest.tables).filter(sayable).map(withEngine).sort((a, b) => a.name.localeCompare(b.name))).toEqual(ENGINE_TABLES.filter(sayable).map(withEngine).sort((a, b) => a.name.localeCompare(b.name)));
  }, 60_000);

  it("in Python too", async () => {
    const { source, manifest } = await pythonRoundTrip(ENGINE_TABLES);
    expect(source).toContain(`    engine=ReplacingMergeTreeEngine(ver="_peerdb_version", is_deleted="_peerdb_is_deleted"),`);
    expect(Object.values(manifest.tables).filter(sayable).map(withEngine).sort((a, b) => a.name.localeCompare(b.name))).toEqual(ENGINE_TABLES.filter(sayable).map(withEngine).sort((a, b) => a.name.localeCompare(b.name)));
  }, 120_000);
});

describe("pythonExternalModelsSource", () => {
  it("writes pydantic models that build back into the same columns, for every type Python maps", async () => {
    const tables = TABLES.map((spec) => ({ ...spec, columns: spec.columns.filter((item) => !TYPESCRIPT_ONLY.has(item.type)) }));
    const { source, manifest } = await pythonRoundTrip(tables);
    expect(source).toContain("life_cycle=LifeCycle.EXTERNALLY_MANAGED");
    expect(source).toContain(`cdc_users_status = IntEnum("cdc_users_status", {"active": 1, "gone away": 2, "it's": 5}, type=StringToEnumMixin)`);
    // MooseStack's names: the class is the table's name, the table \`<name>_table\`.
    expect(source).toContain(`class cdc_users(BaseModel):`);
    expect(source).toContain(`cdc_users_table = OlapTable[cdc_users]("cdc_users", OlapConfig(`);
    expect(source).toContain(`    f_n_key: list[str] = Field(alias="n.key")`);
    expect(source).toContain(`    nickname: Optional[str] = None`);
    expect(Object.values(manifest.tables).map(comparable).sort((a, b) => a.name.localeCompare(b.name))).toEqual(tables.map(comparable).sort((a, b) => a.name.localeCompare(b.name)));
  }, 120_000);

  it("keeps the names a file written before gave (MooseStack's, or other files' imports), and names `_version` as MooseStack does", () => {
    const before = `# AUTO-GENERATED FILE. DO NOT EDIT.\nclass widget(BaseModel):\n    id: str\n\nwidgets = OlapTable[widget]("widget", OlapConfig(\n))\nPeerTable = OlapTable[Peer]('peer-things', OlapConfig())\n`;
    const names = MODEL_LANGUAGES.python.declaredNames(before);
    expect(Object.fromEntries(names)).toEqual({ widget: { model: "widget", table: "widgets" }, "peer-things": { model: "Peer", table: "PeerTable" } });
    const source = pythonExternalModelsSource([table("widget", [column("id", "String"), column("_version", "Int64")]), table("peer-things", [column("id", "String")]), table("fresh", [column("id", "String")])], { source: "x", names });
    expect(source).toContain(`class widget(BaseModel):\n    id: str\n    UNDERSCORE_PREFIXED_version: int = Field(alias="_version")`);
    expect(source).toContain(`widgets = OlapTable[widget]("widget"`);
    expect(source).toContain(`PeerTable = OlapTable[Peer]("peer-things"`);
    expect(source).toContain(`fresh_table = OlapTable[fresh]("fresh"`);
    const typescript = MODEL_LANGUAGES.typescript.declaredNames(`export const usersTable = new OlapTable<Users>("users", {\n`);
    expect(externalModelsSource([table("users", [column("id", "String")])], { source: "x", names: typescript })).toContain(`export interface Users {`);
  });

  it("refuses what no Python annotation maps to: 128- and 256-bit integers, an enum with a repeated value, an aggregate of LowCardinality", () => {
    const refused = [column("big", "Int128"), column("e", "Enum8('a' = 1, 'b' = 1)"), column("sa", "SimpleAggregateFunction(anyLast, LowCardinality(String))"), column("empty", "Tuple()")];
    expect(() => pythonExternalModelsSource([table("t", [column("id", "String"), ...refused])], { source: "x" })).toThrow(
      "no Python type maps to these columns' types: t.big Int128, t.e Enum8('a' = 1, 'b' = 1), t.sa SimpleAggregateFunction(anyLast, LowCardinality(String)), t.empty Tuple()",
    );
  });
});

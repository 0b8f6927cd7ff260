/**
 * Languages meet at the manifest: a TypeScript app (golden/python-twin/ts) and its Python twin
 * (golden/python-twin/py, the same model written with moose_ts) extract to byte-identical canonical
 * manifests once source locations are set aside, and so to the same hash. Their sources point at
 * each language's own main file.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractManifest } from "../../../src/extract/index.js";
import { canonicalJson, hashManifest, withoutSources } from "../../../src/manifest/canonical.js";
import type { Manifest } from "../../../src/manifest/types.js";
import { testPython } from "../../helpers/python.js";

const TWIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden", "python-twin");
const scratch = mkdtempSync(path.join(tmpdir(), "moose-python-twin-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function project(name: "ts" | "py", config?: string): string {
  const dir = path.join(scratch, name);
  cpSync(path.join(TWIN, name), dir, { recursive: true });
  if (config !== undefined) writeFileSync(path.join(dir, "moose.config.toml"), config);
  return dir;
}

describe("a TypeScript app and its Python twin (golden/python-twin: every mapping and component kind)", () => {
  let ts: Manifest;
  let py: Manifest;

  beforeAll(async () => {
    process.env.MOOSE_PYTHON = testPython();
    ts = await extractManifest({ projectDir: project("ts") });
    py = await extractManifest({ projectDir: project("py", 'language = "Python"\n') });
  }, 120_000);

  it("extract to byte-identical manifests and hashes", () => {
    expect(Object.keys(py.tables).sort()).toEqual(["DailyStats", "Events", "Everything", "Users", "Versioned_1_1"]);
    expect(Object.keys(py.streams).sort()).toEqual(["Events", "EventsDeadLetterQueue", "Signups", "SignupsDeadLetterQueue", "UserEvents"]);
    expect(py.processes["sync:Signups->Users"]?.deadLetterQueue).toBe("SignupsDeadLetterQueue");
    expect(canonicalJson(withoutSources(py))).toBe(canonicalJson(withoutSources(ts)));
    expect(hashManifest(py)).toBe(hashManifest(ts));
    // Optional with a default: the default stands in for a missing value, as in MooseStack (no Nullable).
    expect(py.tables.Everything?.columns.find((column) => column.name === "state")).toEqual({ name: "state", type: "String", nullable: false, default: "'pending'" });
  });

  it("point their sources at their own main file", () => {
    expect(py.tables.Users?.source).toMatchObject({ file: "app/main.py", line: 25 });
    expect(py.apis["stats/2"]?.source).toMatchObject({ file: "app/main.py" });
    expect(ts.tables.Users?.source).toMatchObject({ file: "app/index.ts" });
  });
});

/** Replicated engines in both SDKs (MooseStack's shapes: `keeperPath`/`replicaName`, `keeper_path`/`replica_name`). */
const REPLICATED_TS = `import { OlapTable, ClickHouseEngines, Key, Int8, UInt64 } from "moose-ts";

interface Row {
  id: Key<string>;
  version: UInt64;
  sign: Int8;
  amount: number;
}

export const plain = new OlapTable<Row>("Plain", { engine: ClickHouseEngines.ReplicatedMergeTree, cluster: "events" });
export const replacing = new OlapTable<Row>("Replacing", {
  engine: ClickHouseEngines.ReplicatedReplacingMergeTree,
  keeperPath: "/clickhouse/tables/{shard}/replacing",
  replicaName: "{replica}",
  ver: "version",
  cluster: "events",
});
export const aggregating = new OlapTable<Row>("Aggregating", { engine: ClickHouseEngines.ReplicatedAggregatingMergeTree, cluster: "events" });
export const summing = new OlapTable<Row>("Summing", { engine: ClickHouseEngines.ReplicatedSummingMergeTree, columns: ["amount"], cluster: "events" });
export const collapsing = new OlapTable<Row>("Collapsing", { engine: ClickHouseEngines.ReplicatedCollapsingMergeTree, sign: "sign", cluster: "events" });
export const versioned = new OlapTable<Row>("Versioned", { engine: ClickHouseEngines.ReplicatedVersionedCollapsingMergeTree, sign: "sign", ver: "version", cluster: "events" });
export const cloud = new OlapTable<Row>("Cloud", { engine: ClickHouseEngines.ReplicatedMergeTree });
`;

const REPLICATED_PY = `from pydantic import BaseModel

from moose_ts import (
    ClickHouseEngines, Int8, Key, OlapConfig, OlapTable, ReplicatedAggregatingMergeTreeEngine, ReplicatedCollapsingMergeTreeEngine,
    ReplicatedReplacingMergeTreeEngine, ReplicatedSummingMergeTreeEngine, ReplicatedVersionedCollapsingMergeTreeEngine, UInt64,
)


class Row(BaseModel):
    id: Key[str]
    version: UInt64
    sign: Int8
    amount: float


plain = OlapTable[Row]("Plain", OlapConfig(engine=ClickHouseEngines.ReplicatedMergeTree, cluster="events"))
replacing = OlapTable[Row]("Replacing", OlapConfig(
    engine=ReplicatedReplacingMergeTreeEngine(keeper_path="/clickhouse/tables/{shard}/replacing", replica_name="{replica}", ver="version"),
    cluster="events",
))
aggregating = OlapTable[Row]("Aggregating", OlapConfig(engine=ReplicatedAggregatingMergeTreeEngine(), cluster="events"))
summing = OlapTable[Row]("Summing", OlapConfig(engine=ReplicatedSummingMergeTreeEngine(columns=["amount"]), cluster="events"))
collapsing = OlapTable[Row]("Collapsing", OlapConfig(engine=ReplicatedCollapsingMergeTreeEngine(sign="sign"), cluster="events"))
versioned = OlapTable[Row]("Versioned", OlapConfig(engine=ReplicatedVersionedCollapsingMergeTreeEngine(sign="sign", ver="version"), cluster="events"))
cloud = OlapTable[Row]("Cloud", OlapConfig(engine=ClickHouseEngines.ReplicatedMergeTree))
`;

const CLUSTER_CONFIG = '[[clickhouse_config.clusters]]\nname = "events"\n';

/** A project in the scratch directory holding one main file. */
function appProject(name: string, file: string, source: string, config: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(path.join(dir, "app"), { recursive: true });
  writeFileSync(path.join(dir, "app", file), source);
  writeFileSync(path.join(dir, "moose.config.toml"), config);
  return dir;
}

describe("Replicated engines, in TypeScript and in Python", () => {
  it("extract to byte-identical manifests: Keeper paths given, the cluster default, and none off a cluster", async () => {
    process.env.MOOSE_PYTHON = testPython();
    const ts = await extractManifest({ projectDir: appProject("replicated-ts", "index.ts", REPLICATED_TS, CLUSTER_CONFIG) });
    const py = await extractManifest({ projectDir: appProject("replicated-py", "main.py", REPLICATED_PY, `language = "Python"\n${CLUSTER_CONFIG}`) });
    expect(py.tables.Replacing?.engine).toEqual({ name: "ReplicatedReplacingMergeTree", params: ["'/clickhouse/tables/{shard}/replacing'", "'{replica}'", "version"] });
    expect(py.tables.Collapsing?.engine).toEqual({ name: "ReplicatedCollapsingMergeTree", params: ["'/clickhouse/tables/{shard}/{database}/{table}'", "'{replica}'", "sign"] });
    expect(py.tables.Cloud?.engine).toEqual({ name: "ReplicatedMergeTree", params: [] });
    expect(canonicalJson(withoutSources(py))).toBe(canonicalJson(withoutSources(ts)));
    expect(hashManifest(py)).toBe(hashManifest(ts));
  }, 120_000);

  it("a Keeper path without a replica name is an error at the model's line", async () => {
    process.env.MOOSE_PYTHON = testPython();
    const broken = REPLICATED_PY.replace('keeper_path="/clickhouse/tables/{shard}/replacing", replica_name="{replica}", ', 'keeper_path="/clickhouse/tables/{shard}/replacing", ');
    const error = await extractManifest({ projectDir: appProject("replicated-broken", "main.py", broken, `language = "Python"\n${CLUSTER_CONFIG}`) }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: "INVALID_ENGINE", location: { file: "app/main.py", line: 17 } });
    expect((error as Error).message).toBe('OLAP table "Replacing" sets keeper_path without replica_name');
  }, 120_000);
});

describe("examples/analytics and examples/analytics-python", () => {
  it("extract to byte-identical manifests and hashes (ingest pipeline, materialized view, two API versions)", async () => {
    process.env.MOOSE_PYTHON = testPython();
    const examples = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "examples");
    const ts = await extractManifest({ projectDir: path.join(examples, "analytics") });
    const py = await extractManifest({ projectDir: path.join(examples, "analytics-python") });
    expect(Object.keys(py.apis).sort()).toEqual(["top-pages", "top-pages/2"]);
    expect(canonicalJson(withoutSources(py))).toBe(canonicalJson(withoutSources(ts)));
    expect(hashManifest(py)).toBe(hashManifest(ts));
  }, 120_000);
});

/** Engines outside the MergeTree family: the TypeScript SDK's config keys, and moose_lib.blocks' classes in Python. */
const INTEGRATIONS_TS = `import { OlapTable, ClickHouseEngines, Key } from "moose-ts";

interface Row {
  id: Key<string>;
  amount: number;
}

export const queue = new OlapTable<Row>("Queue", {
  engine: ClickHouseEngines.S3Queue,
  s3Path: "s3://bucket/in/*.json",
  format: "JSONEachRow",
  awsAccessKeyId: "AKIAEXAMPLE",
  awsSecretAccessKey: "it's secret",
  compression: "gzip",
  settings: { mode: "unordered" },
});
export const files = new OlapTable<Row>("Files", { engine: ClickHouseEngines.S3, path: "s3://bucket/out/", format: "Parquet" });
export const lake = new OlapTable<Row>("Lake", { engine: ClickHouseEngines.IcebergS3, path: "s3://lake/events/", format: "Parquet", compression: "zstd" });
export const buffered = new OlapTable<Row>("Buffered", {
  engine: ClickHouseEngines.Buffer,
  targetDatabase: "local",
  targetTable: "Plain",
  numLayers: 16,
  minTime: 10,
  maxTime: 100,
  minRows: 10000,
  maxRows: 1000000,
  minBytes: 10000000,
  maxBytes: 100000000,
  flushTime: 5,
});
export const everywhere = new OlapTable<Row>("Everywhere", { engine: ClickHouseEngines.Distributed, cluster: "events", targetDatabase: "local", targetTable: "Plain", shardingKey: "rand()" });
export const fromKafka = new OlapTable<Row>("FromKafka", { engine: ClickHouseEngines.Kafka, brokerList: "kafka:9092", topicList: "events", groupName: "clickhouse", format: "JSONEachRow" });
export const merged = new OlapTable<Row>("Merged", { engine: ClickHouseEngines.Merge, sourceDatabase: "currentDatabase()", tablesRegexp: "^Plain" });
`;

const INTEGRATIONS_PY = `from pydantic import BaseModel

from moose_ts import Key, OlapConfig, OlapTable
from moose_ts.blocks import BufferEngine, DistributedEngine, IcebergS3Engine, KafkaEngine, MergeEngine, S3Engine, S3QueueEngine


class Row(BaseModel):
    id: Key[str]
    amount: float


queue = OlapTable[Row]("Queue", OlapConfig(
    engine=S3QueueEngine(s3_path="s3://bucket/in/*.json", format="JSONEachRow", aws_access_key_id="AKIAEXAMPLE",
                         aws_secret_access_key="it's secret", compression="gzip"),
    settings={"mode": "unordered"},
))
files = OlapTable[Row]("Files", OlapConfig(engine=S3Engine(path="s3://bucket/out/", format="Parquet")))
lake = OlapTable[Row]("Lake", OlapConfig(engine=IcebergS3Engine(path="s3://lake/events/", format="Parquet", compression="zstd")))
buffered = OlapTable[Row]("Buffered", OlapConfig(engine=BufferEngine(
    target_database="local", target_table="Plain", num_layers=16, min_time=10, max_time=100, min_rows=10000, max_rows=1000000,
    min_bytes=10000000, max_bytes=100000000, flush_time=5,
)))
everywhere = OlapTable[Row]("Everywhere", OlapConfig(engine=DistributedEngine(cluster="events", target_database="local", target_table="Plain", sharding_key="rand()")))
from_kafka = OlapTable[Row]("FromKafka", OlapConfig(engine=KafkaEngine(broker_list="kafka:9092", topic_list="events", group_name="clickhouse", format="JSONEachRow")))
merged = OlapTable[Row]("Merged", OlapConfig(engine=MergeEngine(source_database="currentDatabase()", tables_regexp="^Plain")))
`;

async function extractionError(name: string, source: string): Promise<unknown> {
  process.env.MOOSE_PYTHON = testPython();
  return extractManifest({ projectDir: appProject(name, "main.py", source, `language = "Python"\n${CLUSTER_CONFIG}`) }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
}

describe("engines outside the MergeTree family, in TypeScript and in Python", () => {
  it("extract to byte-identical manifests: S3Queue, S3, IcebergS3, Buffer, Distributed, Kafka and Merge", async () => {
    process.env.MOOSE_PYTHON = testPython();
    const ts = await extractManifest({ projectDir: appProject("integrations-ts", "index.ts", INTEGRATIONS_TS, CLUSTER_CONFIG) });
    const py = await extractManifest({ projectDir: appProject("integrations-py", "main.py", INTEGRATIONS_PY, `language = "Python"\n${CLUSTER_CONFIG}`) });
    expect(py.tables.Queue).toMatchObject({
      engine: { name: "S3Queue", params: ["'s3://bucket/in/*.json'", "'AKIAEXAMPLE'", "'it\\'s secret'", "'JSONEachRow'", "'gzip'"] },
      orderBy: [],
      settings: { mode: "'unordered'" },
    });
    expect(py.tables.Buffered?.engine.params).toEqual(["'local'", "'Plain'", "16", "10", "100", "10000", "1000000", "10000000", "100000000", "5"]);
    expect(py.tables.Merged?.engine.params).toEqual(["currentDatabase()", "'^Plain'"]);
    expect(canonicalJson(withoutSources(py))).toBe(canonicalJson(withoutSources(ts)));
  }, 120_000);

  it("a moose_runtime_env value in an engine argument is an error at the model's line (it would be written into a migration file)", async () => {
    const source = INTEGRATIONS_PY.replace("from moose_ts import Key,", "from moose_ts import moose_runtime_env, Key,").replace(
      'aws_access_key_id="AKIAEXAMPLE"',
      'aws_access_key_id=moose_runtime_env.get("AWS_ACCESS_KEY_ID")',
    );
    const error = await extractionError("integrations-runtime-env", source);
    expect(error).toMatchObject({ code: "RUNTIME_ENV_IN_DDL", location: { file: "app/main.py", line: 12 } });
    expect((error as Error).message).toBe('OLAP table "Queue" uses moose_runtime_env.get() for aws_access_key_id');
  }, 120_000);

  it("an engine named without its arguments, a missing argument and a negative limit are errors at the model's line", async () => {
    const bare = await extractionError("integrations-bare", INTEGRATIONS_PY.replace('OlapConfig(engine=S3Engine(path="s3://bucket/out/", format="Parquet"))', "OlapConfig(engine=ClickHouseEngines.S3)").replace("from moose_ts import Key,", "from moose_ts import ClickHouseEngines, Key,"));
    expect(bare).toMatchObject({ code: "INVALID_ENGINE", location: { file: "app/main.py", line: 17 } });
    expect((bare as Error).message).toBe('OLAP table "Files" uses ClickHouseEngines.S3 without its arguments');
    const missing = await extractionError("integrations-missing", INTEGRATIONS_PY.replace('S3Engine(path="s3://bucket/out/", format="Parquet")', 'S3Engine(path="s3://bucket/out/", format="")'));
    expect((missing as Error).message).toBe('OLAP table "Files" uses the S3 engine without format');
    const negative = await extractionError("integrations-negative", INTEGRATIONS_PY.replace("num_layers=16", "num_layers=-1"));
    expect((negative as Error).message).toBe('OLAP table "Buffered" num_layers must be a non-negative number, got -1');
  }, 120_000);
});

/** OlapDictionary in both SDKs (MooseStack's shapes): the same CREATE DICTIONARY statements, views and dependencies. */
const DICTIONARIES_TS = `import { OlapDictionary, OlapTable, sql, type Key, type UInt64 } from "moose-ts";

interface Product {
  ProductId: Key<string>;
  ProductName: string;
  Price: number;
  ParentId: UInt64;
}

export const products = new OlapTable<Product>("Products");

export const byId = new OlapDictionary<Product>("dict_products", {
  sourceTable: products,
  primaryKey: ["ProductId"],
  columns: { ProductName: { defaultValue: "'unknown'", isInjective: true }, ParentId: { isHierarchical: true } },
  layout: { type: "COMPLEX_KEY_HASHED", initialArraySize: 1024, maxLoadFactor: 0.5 },
  lifetime: { min: 0, max: 300 },
  invalidateQuery: "SELECT max(Price) FROM Products",
  settings: { dictionary_use_async_executor: "1", format: "JSON" },
  comment: "products' names",
});
export const cheap = new OlapDictionary<Product>("dict_cheap", {
  sourceQuery: sql\`SELECT * FROM \${products} WHERE Price < 10\`,
  sourceTables: [products],
  primaryKey: ["ParentId"],
  layout: { type: "HASHED_ARRAY", shards: 4 },
  lifetime: 60,
});
export const pg = new OlapDictionary<Product>("dict_pg", {
  externalSource: { type: "postgresql", host: "pg", port: 5432, user: "reader", password: "s'cret", db: "shop", table: "products", whereClause: "active", invalidateQuery: "SELECT 1" },
  primaryKey: ["ProductId"],
  layout: { type: "COMPLEX_KEY_CACHE", sizeInCells: 1000 },
  lifetime: 10,
});
export const web = new OlapDictionary<Product>("dict_web", {
  externalSource: { type: "http", url: "https://example.com/p.tsv", format: "TabSeparated" },
  primaryKey: ["ParentId"],
  layout: { type: "FLAT" },
  lifetime: 0,
});
export const kv = new OlapDictionary<Product>("dict_kv", {
  externalSource: { type: "redis", host: "cache", port: 6379, dbIndex: 1, storageType: "hash_map" },
  primaryKey: ["ProductId"],
  layout: { type: "COMPLEX_KEY_DIRECT" },
  lifetime: 0,
});
`;

const DICTIONARIES_PY = `from pydantic import BaseModel

from moose_ts import OlapConfig, OlapTable, Key, UInt64
from moose_ts.dmv2 import (
    ComplexKeyCacheLayout, ComplexKeyDirectLayout, ComplexKeyHashedLayout, DictionaryColumn, DictionaryInvalidation, DictionaryLifetime,
    FlatLayout, HashedArrayLayout, HttpSource, OlapDictionary, OlapDictionaryConfig, PostgresqlSource, RedisSource,
)


class Product(BaseModel):
    ProductId: Key[str]
    ProductName: str
    Price: float
    ParentId: UInt64


products = OlapTable[Product]("Products")

by_id = OlapDictionary[Product]("dict_products", OlapDictionaryConfig(
    source_table=products,
    primary_key=["ProductId"],
    columns={"ProductName": DictionaryColumn(default="'unknown'", injective=True), "ParentId": DictionaryColumn(hierarchical=True)},
    layout=ComplexKeyHashedLayout(initial_array_size=1024, max_load_factor=0.5),
    lifetime=DictionaryLifetime(min=0, max=300),
    invalidate=DictionaryInvalidation(column="Price", fn="max"),
    settings={"dictionary_use_async_executor": 1, "format": "JSON"},
    comment="products' names",
))
cheap = OlapDictionary[Product]("dict_cheap", OlapDictionaryConfig(
    source_query="SELECT * FROM Products WHERE Price < 10", source_tables=[products],
    primary_key=["ParentId"], layout=HashedArrayLayout(shards=4), lifetime=60,
))
pg = OlapDictionary[Product]("dict_pg", OlapDictionaryConfig(
    external_source=PostgresqlSource(host="pg", user="reader", password="s'cret", db="shop", table="products", where_clause="active", invalidate_query="SELECT 1"),
    primary_key=["ProductId"], layout=ComplexKeyCacheLayout(size_in_cells=1000), lifetime=10,
))
web = OlapDictionary[Product]("dict_web", OlapDictionaryConfig(
    external_source=HttpSource(url="https://example.com/p.tsv", format="TabSeparated"), primary_key=["ParentId"], layout=FlatLayout(), lifetime=0,
))
kv = OlapDictionary[Product]("dict_kv", OlapDictionaryConfig(
    external_source=RedisSource(host="cache", db_index=1, storage_type="hash_map"), primary_key=["ProductId"], layout=ComplexKeyDirectLayout(),
))
`;

describe("OlapDictionary, in TypeScript and in Python", () => {
  it("extracts to byte-identical manifests: table, query and external sources, layouts, attributes, settings", async () => {
    process.env.MOOSE_PYTHON = testPython();
    const ts = await extractManifest({ projectDir: appProject("dictionaries-ts", "index.ts", DICTIONARIES_TS, "") });
    const py = await extractManifest({ projectDir: appProject("dictionaries-py", "main.py", DICTIONARIES_PY, 'language = "Python"\n') });
    expect(Object.keys(py.sqlResources).sort()).toEqual(["dict_cheap", "dict_kv", "dict_pg", "dict_products", "dict_web"]);
    expect(py.views.dict_cheap_source?.sql).toBe("SELECT * FROM Products WHERE Price < 10");
    expect(py.sqlResources.dict_products?.setup[0]).toContain("SOURCE(CLICKHOUSE(TABLE 'Products' INVALIDATE_QUERY 'SELECT max(Price) FROM Products'))");
    expect(py.sqlResources.dict_pg?.setup[0]).toContain("SOURCE(POSTGRESQL(HOST 'pg' PORT 5432 USER 'reader' PASSWORD 's\\'cret' DB 'shop' TABLE 'products' WHERE 'active' INVALIDATE_QUERY 'SELECT 1'))");
    expect(canonicalJson(withoutSources(py))).toBe(canonicalJson(withoutSources(ts)));
    expect(py.sqlResources.dict_products?.source).toMatchObject({ file: "app/main.py", line: 19 });
  }, 120_000);

  it("a key field that is not the model's is an error at the dictionary's line", async () => {
    const error = await extractionError("dictionaries-broken", DICTIONARIES_PY.replace('primary_key=["ParentId"], layout=FlatLayout()', 'primary_key=["Sku"], layout=FlatLayout()'));
    expect(error).toMatchObject({ code: "UNKNOWN_FIELD", location: { file: "app/main.py", line: DICTIONARIES_PY.split("\n").findIndex((line) => line.startsWith("web = ")) + 1 } });
    expect((error as Error).message).toBe('OLAP dictionary "dict_web" primary_key names "Sku", which is not a field of its type');
  }, 120_000);
});

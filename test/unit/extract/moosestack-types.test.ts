/**
 * Column types MooseStack projects use: typia tags (`number & tags.Type<"int64">`,
 * `string & tags.Format<"uuid">`, validation-only tags), ClickHouseByteSize, `Record<string, any>`
 * (DeadLetterModel's originalRecord) as JSON, every engine's DDL (checked by ClickHouse's parser as
 * part of extraction), and errors about a type that moose-ts declares reported at the user's line.
 *
 * typia is stood in for by a package with the same tag shape (`{ "typia.tag"?: { kind, value, … } }`,
 * typia's TagBase); test/e2e/moosestack-projects.test.ts runs the real typia 10.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import { extractManifest } from "../../../src/extract/index.js";
import { compileParamsValidator } from "../../../src/server/params.js";
import { createTableSql } from "../../../src/infra/clickhouse/ddl.js";
import { unreplicatedSql } from "../../../src/infra/clickhouse/replication.js";

const root = mkdtempSync(path.join(tmpdir(), "moose-extract-moosestack-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TYPIA_TAGS = `export type TagBase<Props extends { kind: string; value: unknown }> = { "typia.tag"?: Props };
export declare namespace tags {
  type Type<V extends "int32" | "uint32" | "int64" | "uint64" | "float" | "double"> = TagBase<{ target: "number"; kind: "type"; value: V; validate: string; exclusive: true }>;
  type Format<V extends string> = TagBase<{ target: "string"; kind: "format"; value: V; validate: string; exclusive: true }>;
  type MaxLength<V extends number> = TagBase<{ target: "string"; kind: "maxLength"; value: V; validate: string; exclusive: true }>;
  type Minimum<V extends number> = TagBase<{ target: "number"; kind: "minimum"; value: V; validate: string; exclusive: true }>;
  type Maximum<V extends number> = TagBase<{ target: "number"; kind: "maximum"; value: V; validate: string; exclusive: true }>;
  type ExclusiveMinimum<V extends number> = TagBase<{ target: "number"; kind: "exclusiveMinimum"; value: V; validate: string; exclusive: true }>;
  type Pattern<V extends string> = TagBase<{ target: "string"; kind: "pattern"; value: V; validate: string; exclusive: true }>;
  type MinItems<V extends number> = TagBase<{ target: "array"; kind: "minItems"; value: V; validate: string; exclusive: true }>;
}
`;

let count = 0;
function project(index: string): string {
  const dir = path.join(root, `p${++count}`);
  mkdirSync(path.join(dir, "app"), { recursive: true });
  mkdirSync(path.join(dir, "node_modules", "typia"), { recursive: true });
  writeFileSync(path.join(dir, "node_modules", "typia", "package.json"), JSON.stringify({ name: "typia", version: "10.0.0", types: "index.d.ts" }));
  writeFileSync(path.join(dir, "node_modules", "typia", "index.d.ts"), TYPIA_TAGS);
  writeFileSync(path.join(dir, "app", "index.ts"), index);
  return dir;
}

async function failure(projectDir: string): Promise<MooseError> {
  const error = await extractManifest({ projectDir }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(MooseError);
  return error as MooseError;
}

describe("typia tags and MooseStack brands", () => {
  it("maps tags.Type and tags.Format like MooseStack; validation-only tags keep the base type", async () => {
    const manifest = await extractManifest({
      projectDir: project(`import { OlapTable, Key, ClickHouseByteSize, DeadLetterModel } from "moose-ts";
import type { tags } from "typia";
interface Row {
  id: Key<string & tags.Format<"uuid">>;
  i32: number & tags.Type<"int32">;
  u32: number & tags.Type<"uint32">;
  i64: number & tags.Type<"int64">;
  u64: number & tags.Type<"uint64">;
  f32: number & tags.Type<"float">;
  f64: number & tags.Type<"double">;
  at: string & tags.Format<"date-time">;
  day: string & tags.Format<"date">;
  shortDay: string & tags.Format<"date"> & ClickHouseByteSize<2>;
  v4: string & tags.Format<"ipv4">;
  v6: string & tags.Format<"ipv6">;
  email: string & tags.Format<"email">;
  short: string & tags.MaxLength<8>;
  positive?: number & tags.Type<"int32"> & tags.Minimum<1>;
  small: number & tags.Type<"uint32"> & ClickHouseByteSize<2>;
  list: (number & tags.Type<"int64">)[];
  extra: Record<string, any>;
}
export const rows = new OlapTable<Row>("Rows");
export const dead = new OlapTable<DeadLetterModel>("Dead", { orderByFields: ["failedAt"] });
`),
    });
    const types = Object.fromEntries(manifest.tables.Rows.columns.map((column) => [column.name, `${column.type}${column.nullable ? "?" : ""}`]));
    expect(types).toEqual({
      id: "UUID",
      i32: "Int32",
      u32: "UInt32",
      i64: "Int64",
      u64: "UInt64",
      f32: "Float32",
      f64: "Float64",
      at: "DateTime('UTC')",
      // As MooseStack: a date is Date32, the 2-byte Date with ClickHouseByteSize<2>.
      day: "Date32",
      shortDay: "Date",
      v4: "IPv4",
      v6: "IPv6",
      email: "String",
      short: "String",
      positive: "Int32?",
      small: "UInt16",
      list: "Array(Int64)",
      extra: "JSON",
    });
    expect(manifest.tables.Dead.columns.map((column) => `${column.name} ${column.type}`)).toEqual([
      "originalRecord JSON",
      "errorMessage String",
      "errorType String",
      "failedAt DateTime('UTC')",
      "source LowCardinality(String)",
    ]);
  });

  it("typia's validation tags check API parameters and ingest bodies (JSON Schema keywords)", async () => {
    const manifest = await extractManifest({
      projectDir: project(`import { Api, IngestPipeline, Key } from "moose-ts";
import type { tags } from "typia";
interface Params {
  limit?: number & tags.Type<"int32"> & tags.Minimum<1> & tags.Maximum<100>;
  ratio?: number & tags.ExclusiveMinimum<0>;
  code?: string & tags.MaxLength<3> & tags.Pattern<"^[a-z]+$">;
  contact?: string & tags.Format<"email">;
}
interface Order { id: Key<string>; quantity: number & tags.Type<"uint32"> & tags.Minimum<1>; items: string[] & tags.MinItems<1> }
export const search = new Api<Params, Params>("search", async (params) => params);
export const orders = new IngestPipeline<Order>("orders", { ingestApi: true, stream: false, table: true });
`),
    });
    const properties = (manifest.apis.search!.params as { properties: Record<string, unknown> }).properties;
    expect(properties).toEqual({
      limit: { type: "integer", minimum: 1, maximum: 100 },
      ratio: { type: "number", exclusiveMinimum: 0 },
      code: { type: "string", maxLength: 3, pattern: "^[a-z]+$" },
      contact: { type: "string", format: "email" },
    });
    const validate = compileParamsValidator(manifest.apis.search!.params);
    expect(validate(new URLSearchParams({ limit: "10", ratio: "0.5", code: "abc", contact: "a@b.example" }))).toMatchObject({ ok: true, params: { limit: 10, ratio: 0.5 } });
    for (const [name, value] of [["limit", "1.5"], ["limit", "0"], ["limit", "101"], ["ratio", "0"], ["code", "abcd"], ["code", "AB"], ["contact", "nope"]] as const) {
      expect(validate(new URLSearchParams({ [name]: value })), `${name}=${value}`).toMatchObject({ ok: false, errors: [{ field: name }] });
    }
    const order = (manifest.ingestApis.orders!.schema as { properties: Record<string, unknown> }).properties;
    expect(order.quantity).toEqual({ type: "integer", minimum: 1, maximum: 4294967295 });
    expect(order.items).toEqual({ type: "array", items: { type: "string" }, minItems: 1 });
  });

  it("ConsumptionApi, MooseStack's older name of Api, gets the same parameter and result schemas", async () => {
    const manifest = await extractManifest({
      projectDir: project(`import { Api, ConsumptionApi } from "moose-ts";
interface Params { n: number; status?: "refunded" | "paid" }
export const older = new ConsumptionApi<Params, { n: number }>("older", async ({ n }) => ({ n }));
export const newer = new Api<Params, { n: number }>("newer", async ({ n }) => ({ n }));
`),
    });
    const { older, newer } = manifest.apis;
    expect(older!.params).toEqual({ type: "object", properties: { n: { type: "number" }, status: { enum: ["paid", "refunded"] } }, required: ["n"] });
    expect(older!.params).toEqual(newer!.params);
    expect(older!.result).toEqual(newer!.result);
  });

  it("reports a type moose-ts declares that has no column type at the user's line, not inside moose-ts", async () => {
    const dir = project(`import { OlapTable, DeadLetter } from "moose-ts";
interface Row { id: string }

export const recovered = new OlapTable<DeadLetter<Row>>("Recovered");
`);
    const error = await failure(dir);
    expect(error.code).toBe("UNSUPPORTED_TYPE");
    expect(error.location?.file).toBe("app/index.ts");
    expect(error.location?.line).toBe(4);
    expect(error.message).toContain("asTyped");
  });
});

describe("engines and OlapConfig keys", () => {
  it("writes each engine's arguments; ClickHouse's parser accepts every CREATE TABLE", async () => {
    const manifest = await extractManifest({
      projectDir: project(`import { OlapTable, ClickHouseEngines, Key } from "moose-ts";
interface Row { id: Key<string>; version: number; sign: number }
export const r = new OlapTable<Row>("R", { engine: ClickHouseEngines.ReplicatedMergeTree, keeperPath: "/clickhouse/tables/{database}/{table}", replicaName: "{replica}" });
export const rr = new OlapTable<Row>("RR", { engine: ClickHouseEngines.ReplicatedReplacingMergeTree, ver: "version" });
export const rc = new OlapTable<Row>("RC", { engine: ClickHouseEngines.ReplicatedVersionedCollapsingMergeTree, sign: "sign", ver: "version", keeperPath: "/t/rc", replicaName: "r1" });
export const s3 = new OlapTable<Row>("S3", { engine: ClickHouseEngines.S3, path: "s3://bucket/data/*.json", format: "JSONEachRow", compression: "gzip" });
export const queue = new OlapTable<Row>("Queue", { engine: ClickHouseEngines.S3Queue, s3Path: "s3://bucket/in/*.json", format: "JSONEachRow", settings: { mode: "unordered" } });
export const buffer = new OlapTable<Row>("Buf", { engine: ClickHouseEngines.Buffer, targetDatabase: "local", targetTable: "R", numLayers: 16, minTime: 10, maxTime: 100, minRows: 1, maxRows: 10, minBytes: 1, maxBytes: 10 });
export const kafka = new OlapTable<Row>("K", { engine: ClickHouseEngines.Kafka, brokerList: "localhost:9092", topicList: "events", groupName: "g", format: "JSONEachRow" });
export const merge = new OlapTable<Row>("M", { engine: ClickHouseEngines.Merge, sourceDatabase: "local", tablesRegexp: "^R" });
export const distributed = new OlapTable<Row>("D", { engine: ClickHouseEngines.Distributed, cluster: "c", targetDatabase: "local", targetTable: "R", shardingKey: "rand()" });
`),
    });
    const engine = (id: string) => `${manifest.tables[id]!.engine.name}(${manifest.tables[id]!.engine.params.join(", ")})`;
    expect(engine("R")).toBe("ReplicatedMergeTree('/clickhouse/tables/{database}/{table}', '{replica}')");
    expect(engine("RR")).toBe("ReplicatedReplacingMergeTree(version)");
    expect(engine("RC")).toBe("ReplicatedVersionedCollapsingMergeTree('/t/rc', 'r1', sign, version)");
    expect(engine("S3")).toBe("S3('s3://bucket/data/*.json', 'JSONEachRow', 'gzip')");
    expect(engine("Queue")).toBe("S3Queue('s3://bucket/in/*.json', 'JSONEachRow')");
    expect(manifest.tables.Queue!.settings).toEqual({ mode: "'unordered'" });
    expect(engine("Buf")).toBe("Buffer('local', 'R', 16, 10, 100, 1, 10, 1, 10)");
    expect(engine("K")).toBe("Kafka('localhost:9092', 'events', 'g', 'JSONEachRow')");
    expect(engine("M")).toBe("Merge('local', '^R')");
    expect(engine("D")).toBe("Distributed('c', 'local', 'R', rand())");
    // Only the MergeTree family has ORDER BY.
    expect(manifest.tables.S3!.orderBy).toEqual([]);
    expect(createTableSql(manifest.tables.S3!)).not.toContain("ORDER BY");
    // The embedded engine (no Keeper) creates the replicated engine's base.
    expect(unreplicatedSql(createTableSql(manifest.tables.RC!))).toContain("ENGINE = VersionedCollapsingMergeTree(sign, version)\nORDER BY (id)");
    expect(unreplicatedSql(createTableSql(manifest.tables.RR!))).toContain("ENGINE = ReplacingMergeTree(version)\n");
  });

  it("mooseRuntimeEnv.get gives a marker while the app is extracted, which an engine argument refuses (no secret reaches a migration file)", async () => {
    process.env.MOOSE_TEST_S3_SECRET = "do-not-write-me";
    try {
      const error = await failure(
        project(`import { OlapTable, ClickHouseEngines, mooseRuntimeEnv } from "moose-ts";
interface Row { id: string }

export const s3 = new OlapTable<Row>("S3", {
  engine: ClickHouseEngines.S3,
  path: "s3://bucket/*.json",
  format: "JSONEachRow",
  awsAccessKeyId: "AKIA",
  awsSecretAccessKey: mooseRuntimeEnv.get("MOOSE_TEST_S3_SECRET"),
});
`),
      );
      expect(error.code).toBe("RUNTIME_ENV_IN_DDL");
      expect(error.location).toMatchObject({ file: "app/index.ts", line: 4 });
      expect(error.message).not.toContain("do-not-write-me");
    } finally {
      delete process.env.MOOSE_TEST_S3_SECRET;
    }
  });

  it("refuses half a Keeper setting, and a missing engine argument, at the table's line", async () => {
    const error = await failure(
      project(`import { OlapTable, ClickHouseEngines } from "moose-ts";
interface Row { id: string }

export const r = new OlapTable<Row>("R", { engine: ClickHouseEngines.ReplicatedMergeTree, keeperPath: "/t/r" });
`),
    );
    expect(error.code).toBe("INVALID_ENGINE");
    expect(error.location).toMatchObject({ file: "app/index.ts", line: 4 });
    expect(error.message).toContain("keeperPath without replicaName");
  });
});

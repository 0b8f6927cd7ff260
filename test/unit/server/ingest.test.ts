/**
 * The ingest routes as a function: which table and topic a path writes to, validation, the rows
 * handed to the driver. The driver and producer here only record what they are given (the real
 * ones are exercised end to end in test/e2e/scenarios/analytics.test.ts).
 */
import { describe, expect, it } from "vitest";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import type { KafkaProducer } from "../../../src/infra/kafka/producer.js";
import { emptyManifest, type ColumnSpec, type Manifest } from "../../../src/manifest/types.js";
import { MooseError } from "../../../src/errors.js";
import { kafkaRejected } from "../../../src/infra/kafka/errors.js";
import { ingestRoutes, tableRecords } from "../../../src/server/ingest.js";

const columns: ColumnSpec[] = [
  { name: "id", type: "String", nullable: false },
  { name: "at", type: "DateTime('UTC')", nullable: false },
  { name: "precise", type: "DateTime64(3)", nullable: true },
];
const schema = {
  type: "object",
  properties: { id: { type: "string" }, at: { type: "string", format: "date-time" }, precise: { type: "string", format: "date-time" } },
  required: ["id", "at"],
};

/** An IngestPipeline "Events": table Events, stream Events sinking into it, ingest API at Events/1. */
function pipelineManifest(): Manifest {
  return {
    ...emptyManifest(),
    tables: { Events: { name: "Events", columns, orderBy: ["id"], engine: { name: "MergeTree", params: [] }, settings: {}, indexes: [], lifeCycle: "FULLY_MANAGED" } },
    streams: { Events: { name: "Events", partitionCount: 1, retentionMs: 1000, config: {}, columns, destination: "Events", lifeCycle: "FULLY_MANAGED" } },
    ingestApis: { "Events/1": { name: "Events", version: "1", path: "Events/1", columns, schema, destination: "Events" } },
  };
}

function recorders() {
  const inserts: Array<{ table: string; rows: Record<string, unknown>[] }> = [];
  const sent: Array<{ stream: string; values: unknown[] }> = [];
  const driver = { insert: async (table: string, rows: Record<string, unknown>[]) => void inserts.push({ table, rows }) } as unknown as ClickHouseDriver;
  const producer: KafkaProducer = { send: async (stream, values) => void sent.push({ stream, values }), close: async () => {} };
  return { inserts, sent, driver, producer };
}

describe("ingestRoutes", () => {
  it("lets other requests through while it checks a large body: a small one sent after it is stored first", async () => {
    const { inserts, driver } = recorders();
    const ingest = ingestRoutes(pipelineManifest(), { driver });
    const large = Array.from({ length: 20_000 }, (_, index) => ({ id: `large-${index}`, at: "2026-01-01T00:00:00Z" }));
    const done: string[] = [];
    await Promise.all([
      ingest("Events/1", large).then(() => done.push("large")),
      ingest("Events/1", { id: "small", at: "2026-01-01T00:00:00Z" }).then(() => done.push("small")),
    ]);
    expect(done).toEqual(["small", "large"]);
    expect(inserts.map((insert) => insert.rows.length)).toEqual([1, 20_000]);
  });

  it("stores a record that leaves out optional fields named like Object.prototype members (toString, constructor, valueOf)", async () => {
    const named: ColumnSpec[] = [
      { name: "id", type: "String", nullable: false },
      { name: "toString", type: "String", nullable: true },
      { name: "constructor", type: "String", nullable: true },
      { name: "valueOf", type: "Float64", nullable: true },
    ];
    const manifest: Manifest = {
      ...emptyManifest(),
      tables: { Named: { name: "Named", columns: named, orderBy: ["id"], engine: { name: "MergeTree", params: [] }, settings: {}, indexes: [], lifeCycle: "FULLY_MANAGED" } },
      ingestApis: {
        Named: {
          name: "Named",
          path: "Named",
          columns: named,
          schema: JSON.parse('{"type":"object","properties":{"id":{"type":"string"},"toString":{"type":"string"},"constructor":{"type":"string"},"valueOf":{"type":"number"}},"required":["id"]}'),
          destination: "Named",
        },
      },
    };
    const { inserts, driver } = recorders();
    await ingestRoutes(manifest, { driver })("Named", { id: "1" });
    await ingestRoutes(manifest, { driver })("Named", { id: "2", toString: "t", valueOf: 2 });
    expect(inserts.map((insert) => insert.rows)).toEqual([[{ id: "1" }], [{ id: "2", toString: "t", valueOf: 2 }]]);
  });

  it("takes a Decimal as a JSON number or a decimal string (the schema a Python Decimal field gets)", async () => {
    const decimalColumns: ColumnSpec[] = [
      { name: "id", type: "String", nullable: false },
      { name: "amount", type: "Decimal(10, 2)", nullable: false },
    ];
    const decimalSchema = { type: "object", properties: { id: { type: "string" }, amount: { type: ["number", "string"], pattern: "^-?\\d+(\\.\\d+)?$" } }, required: ["id", "amount"] };
    const manifest: Manifest = {
      ...emptyManifest(),
      tables: { Payments: { name: "Payments", columns: decimalColumns, orderBy: ["id"], engine: { name: "MergeTree", params: [] }, settings: {}, indexes: [], lifeCycle: "FULLY_MANAGED" } },
      ingestApis: { Payments: { name: "Payments", path: "Payments", columns: decimalColumns, schema: decimalSchema, destination: "Payments" } },
    };
    const { inserts, driver } = recorders();
    const ingest = ingestRoutes(manifest, { driver });
    expect(await ingest("Payments", [{ id: "a", amount: 250.75 }, { id: "b", amount: "12.50" }])).toEqual({ status: 200, body: { ingested: 2 } });
    expect(inserts[0]!.rows.map((row) => row.id)).toEqual(["a", "b"]);
    expect(await ingest("Payments", { id: "c", amount: "12,50" })).toMatchObject({ status: 400 });
  });

  it("takes an integer enum's member by its name too, as ClickHouse and MooseStack's ingest do (a Python IntEnum, a numeric TS enum)", async () => {
    const enumColumns: ColumnSpec[] = [
      { name: "id", type: "String", nullable: false },
      { name: "level", type: "Enum8('DEBUG' = 10, 'INFO' = 20)", nullable: false },
      { name: "tier", type: "Enum8('FREE' = 1, 'PRO' = 2)", nullable: true },
    ];
    const enumSchema = { type: "object", properties: { id: { type: "string" }, level: { enum: [10, 20] }, tier: { anyOf: [{ enum: [1, 2] }, { type: "null" }] } }, required: ["id", "level"] };
    const manifest: Manifest = {
      ...emptyManifest(),
      tables: { Logs: { name: "Logs", columns: enumColumns, orderBy: ["id"], engine: { name: "MergeTree", params: [] }, settings: {}, indexes: [], lifeCycle: "FULLY_MANAGED" } },
      ingestApis: { Logs: { name: "Logs", path: "Logs", columns: enumColumns, schema: enumSchema, destination: "Logs" } },
    };
    const { inserts, driver } = recorders();
    const ingest = ingestRoutes(manifest, { driver });
    expect(await ingest("Logs", [{ id: "a", level: "INFO", tier: "PRO" }, { id: "b", level: 10, tier: null }])).toEqual({ status: 200, body: { ingested: 2 } });
    expect(inserts[0]!.rows.map((row) => [row.level, row.tier])).toEqual([["INFO", "PRO"], [10, null]]);
    expect(await ingest("Logs", { id: "c", level: "WARN" })).toMatchObject({ status: 400 });
    expect(await ingest("Logs", { id: "c", level: 30 })).toMatchObject({ status: 400 });
  });

  it("keeps the keys of map and JSON fields, and drops only fields no type declares", async () => {
    const mapColumns: ColumnSpec[] = [
      { name: "id", type: "String", nullable: false },
      { name: "attrs", type: "Map(String, String)", nullable: false },
      { name: "extra", type: "JSON", nullable: false },
      { name: "point", type: "Tuple(x Float64, y Float64)", nullable: false },
    ];
    const mapSchema = {
      type: "object",
      properties: {
        id: { type: "string" },
        attrs: { type: "object", properties: {}, additionalProperties: { type: "string" } },
        extra: { type: "object", properties: {}, additionalProperties: {} },
        point: { type: "object", properties: { x: { type: "number" }, y: { type: "number" } }, required: ["x", "y"] },
      },
      required: ["id", "attrs", "extra", "point"],
    };
    const manifest: Manifest = {
      ...emptyManifest(),
      tables: { Items: { name: "Items", columns: mapColumns, orderBy: ["id"], engine: { name: "MergeTree", params: [] }, settings: {}, indexes: [], lifeCycle: "FULLY_MANAGED" } },
      ingestApis: { Items: { name: "Items", path: "Items", columns: mapColumns, schema: mapSchema, destination: "Items" } },
    };
    const { inserts, driver } = recorders();
    const reply = await ingestRoutes(manifest, { driver })("Items", {
      id: "a",
      attrs: { color: "red", size: "L" },
      extra: { x: 1, nested: { deep: [true] } },
      point: { x: 1, y: 2, z: 3 },
      unknown: "dropped",
    });
    expect(reply).toEqual({ status: 200, body: { ingested: 1 } });
    expect(inserts).toEqual([{ table: "Items", rows: [{ id: "a", attrs: { color: "red", size: "L" }, extra: { x: 1, nested: { deep: [true] } }, point: { x: 1, y: 2 } }] }]);
    expect(await ingestRoutes(manifest, { driver })("Items", { id: "b", attrs: { color: 1 }, extra: {}, point: { x: 1, y: 2 } })).toMatchObject({ status: 400 });
  });

  it("with streaming on, sends valid records to the pipeline's stream only (its sync writes the table)", async () => {
    const { inserts, sent, driver, producer } = recorders();
    const ingest = ingestRoutes(pipelineManifest(), { driver, producer });
    const reply = await ingest("Events/1", [
      { id: "a", at: "2026-01-05T10:00:00+02:00", precise: "2026-01-05T10:00:00.123Z", extra: true },
      { id: "b", at: "2026-01-05 10:00:00Z" },
    ]);
    expect(reply).toEqual({ status: 200, body: { ingested: 2 } });
    expect(inserts).toEqual([]);
    expect(sent).toEqual([{ stream: "Events", values: [{ id: "a", at: "2026-01-05T10:00:00+02:00", precise: "2026-01-05T10:00:00.123Z" }, { id: "b", at: "2026-01-05 10:00:00Z" }] }]);
  });

  it("with streaming off, inserts valid records into the table with date-times in UTC", async () => {
    const { inserts, driver } = recorders();
    const reply = await ingestRoutes(pipelineManifest(), { driver })("Events/1", [
      { id: "a", at: "2026-01-05T10:00:00+02:00", precise: "2026-01-05T10:00:00.123Z", extra: true },
      { id: "b", at: "2026-01-05 10:00:00Z" },
    ]);
    expect(reply).toEqual({ status: 200, body: { ingested: 2 } });
    expect(inserts).toEqual([
      {
        table: "Events",
        rows: [
          { id: "a", at: "2026-01-05T08:00:00Z", precise: "2026-01-05T10:00:00.123Z" },
          { id: "b", at: "2026-01-05T10:00:00Z" },
        ],
      },
    ]);
  });

  it("sends to the stream only when the pipeline has no table", async () => {
    const manifest = pipelineManifest();
    manifest.tables = {};
    delete manifest.streams.Events!.destination;
    const { inserts, sent, driver, producer } = recorders();
    expect((await ingestRoutes(manifest, { driver, producer })("Events/1", { id: "a", at: "2026-01-05T10:00:00Z" }))?.status).toBe(200);
    expect(inserts).toEqual([]);
    expect(sent).toHaveLength(1);
  });

  it("refuses records with 503 when the pipeline has only a stream and streaming is off", async () => {
    const manifest = pipelineManifest();
    manifest.tables = {};
    delete manifest.streams.Events!.destination;
    const { inserts, driver } = recorders();
    const reply = await ingestRoutes(manifest, { driver })("Events/1", { id: "a", at: "2026-01-05T10:00:00Z" });
    expect(reply).toEqual({ status: 503, body: { error: '/ingest/Events/1 sends to stream "Events", but streaming is off ([features] streaming_engine = false)' } });
    expect(inserts).toEqual([]);
  });

  it("answers 503 when the stream send fails, without the broker's words, and writes no table row", async () => {
    const { inserts, driver } = recorders();
    const failing: KafkaProducer = { send: async () => Promise.reject(new Error("broker gone")), close: async () => {} };
    const reply = await ingestRoutes(pipelineManifest(), { driver, producer: failing })("Events/1", { id: "a", at: "2026-01-05T10:00:00Z" });
    expect(reply?.status).toBe(503);
    // The broker's words are logged, not sent to the client.
    expect(String((reply?.body as { error: string }).error)).not.toContain("broker gone");
    expect(reply?.logDetails).toMatchObject({ message: "broker gone" });
    expect(inserts).toEqual([]);
  });

  it("answers 413, not a 503 inviting a retry, when the broker refuses a record as larger than the topic takes", async () => {
    const { driver } = recorders();
    const tooLarge = kafkaRejected({ broker: "b:9092", operation: "produce", topic: "Events", errorType: "MESSAGE_TOO_LARGE", message: "too large", cause: undefined });
    const refusing: KafkaProducer = { send: async () => Promise.reject(tooLarge), close: async () => {} };
    const reply = await ingestRoutes(pipelineManifest(), { driver, producer: refusing })("Events/1", { id: "a", at: "2026-01-05T10:00:00Z" });
    expect(reply?.status).toBe(413);
    expect((reply?.body as { error: string }).error).toContain("larger than stream \"Events\" accepts");
  });

  it("refuses records with 503 when the pipeline has neither a table nor a stream", async () => {
    const manifest = pipelineManifest();
    manifest.tables = {};
    manifest.streams = {};
    const { driver } = recorders();
    const reply = await ingestRoutes(manifest, { driver })("Events/1", { id: "a", at: "2026-01-05T10:00:00Z" });
    expect(reply).toEqual({ status: 503, body: { error: "/ingest/Events/1 has no destination: its pipeline has neither a table nor a stream" } });
  });

  it("refuses a batch with an invalid record, naming each field by record index, and writes nothing", async () => {
    const { inserts, sent, driver, producer } = recorders();
    const reply = await ingestRoutes(pipelineManifest(), { driver, producer })("Events/1", [{ id: "a", at: "2026-01-05T10:00:00Z" }, { id: 5, at: "soon" }, "text"]);
    expect(reply).toEqual({
      status: 400,
      body: {
        error: "invalid records for /ingest/Events/1",
        fields: [
          { field: "[1].id", message: "must be string" },
          { field: "[1].at", message: 'must match format "date-time"' },
          { field: "[2]", message: "must be a JSON object" },
        ],
      },
    });
    expect(inserts).toEqual([]);
    expect(sent).toEqual([]);
  });

  it("names fields without an index for a single record", async () => {
    const { driver } = recorders();
    const reply = await ingestRoutes(pipelineManifest(), { driver })("Events/1", { at: "2026-01-05T10:00:00Z" });
    expect(reply).toEqual({ status: 400, body: { error: "invalid records for /ingest/Events/1", fields: [{ field: "id", message: "is required" }] } });
  });

  it("refuses values outside their column type's range, naming the field and record index, and writes nothing", async () => {
    const { inserts, sent, driver, producer } = recorders();
    const reply = await ingestRoutes(pipelineManifest(), { driver, producer })("Events/1", [
      { id: "a", at: "2026-01-05T10:00:00Z" },
      { id: "b", at: "1900-01-01T00:00:00Z" },
      { id: "c", at: "2200-01-01T00:00:00Z", precise: "2300-01-01T00:00:00Z" },
    ]);
    expect(reply).toEqual({
      status: 400,
      body: {
        error: "invalid records for /ingest/Events/1",
        fields: [
          { field: "[1].at", message: 'must be between 1970-01-01T00:00:00Z and 2106-02-07T06:28:15Z (DateTime(\'UTC\')), got "1900-01-01T00:00:00Z"' },
          { field: "[2].at", message: 'must be between 1970-01-01T00:00:00Z and 2106-02-07T06:28:15Z (DateTime(\'UTC\')), got "2200-01-01T00:00:00Z"' },
          { field: "[2].precise", message: 'must be between 1900-01-01T00:00:00.000Z and 2299-12-31T23:59:59.999Z (DateTime64(3)), got "2300-01-01T00:00:00Z"' },
        ],
      },
    });
    expect(inserts).toEqual([]);
    expect(sent).toEqual([]);
  });

  it("checks every column type of the table, inside containers too; 64-bit integers may be decimal strings", async () => {
    const manifest = pipelineManifest();
    const wide: ColumnSpec[] = [
      { name: "id", type: "String", nullable: false },
      { name: "small", type: "Int8", nullable: false },
      { name: "big", type: "UInt64", nullable: false },
      { name: "price", type: "Decimal(10, 2)", nullable: false },
      { name: "days", type: "Array(Date)", nullable: false },
    ];
    manifest.tables.Events!.columns = wide;
    manifest.ingestApis["Events/1"]!.schema = {
      type: "object",
      properties: { id: { type: "string" }, small: { type: "integer", minimum: -128, maximum: 127 }, big: { type: "integer" }, price: { type: "string" }, days: { type: "array", items: { type: "string" } } },
      required: ["id"],
    };
    const { inserts, driver } = recorders();
    const ingest = ingestRoutes(manifest, { driver });
    const ok = await ingest("Events/1", { id: "a", small: -128, big: "18446744073709551615", price: "-12345678.99", days: ["2026-01-05"] });
    expect(ok).toEqual({ status: 200, body: { ingested: 1 } });
    expect(inserts[0]!.rows).toEqual([{ id: "a", small: -128, big: "18446744073709551615", price: "-12345678.99", days: ["2026-01-05"] }]);
    const bad = await ingest("Events/1", { id: "b", small: 128, big: "18446744073709551616", price: "1.234", days: ["2026-01-05", "2150-01-01"] });
    expect(bad?.status).toBe(400);
    expect((bad?.body as { fields: unknown }).fields).toEqual([
      { field: "small", message: "must be <= 127" },
    ]);
    const stillBad = await ingest("Events/1", { id: "b", small: 1, big: 2 ** 60, price: "1.234", days: ["2026-01-05", "2150-01-01"] });
    expect((stillBad?.body as { fields: unknown }).fields).toEqual([
      { field: "big", message: expect.stringContaining("lose precision: send it as a decimal string") },
      { field: "price", message: "has 3 digits after the point; Decimal(10, 2) keeps 2" },
      { field: "days[1]", message: 'must be between 1970-01-01 and 2149-06-06 (Date), got "2150-01-01"' },
    ]);
    const overflow = await ingest("Events/1", { id: "b", big: "18446744073709551616" });
    expect((overflow?.body as { fields: unknown }).fields).toEqual([{ field: "big", message: "must be between 0 and 18446744073709551615 (UInt64)" }]);
    expect(inserts).toHaveLength(1);
  });

  it("refuses strings and field names with lone surrogates, naming them", async () => {
    const { inserts, driver } = recorders();
    const ingest = ingestRoutes(pipelineManifest(), { driver });
    const reply = await ingest("Events/1", [{ id: "ok", at: "2026-01-05T10:00:00Z" }, { id: "bad \ud800 text", at: "2026-01-05T10:00:00Z" }]);
    expect(reply).toEqual({
      status: 400,
      body: { error: "invalid records for /ingest/Events/1", fields: [{ field: "[1].id", message: "contains a lone surrogate (\\ud800-\\udfff): not valid Unicode" }] },
    });
    const key = await ingest("Events/1", { id: "x", at: "2026-01-05T10:00:00Z", ["\udc00"]: 1 });
    expect((key?.body as { fields: Array<{ field: string }> }).fields[0]!.field).toBe("<key>");
    expect(inserts).toEqual([]);
  });

  it("refuses a body nested more than 100 levels deep with one error, before any check walks it", async () => {
    const { inserts, sent, driver, producer } = recorders();
    const ingest = ingestRoutes(pipelineManifest(), { driver, producer });
    // 20,000 levels: every recursive walk (checks, conversion, JSON.stringify) would exhaust the stack.
    const deep = JSON.parse(`{"id":"a","at":"2026-01-05T10:00:00Z","x":${"[".repeat(20_000)}${"]".repeat(20_000)}}`) as unknown;
    expect(await ingest("Events/1", [deep])).toEqual({
      status: 400,
      body: { error: "invalid records for /ingest/Events/1", fields: [{ field: "", message: "nests arrays and objects more than 100 levels deep" }] },
    });
    expect(inserts).toEqual([]);
    expect(sent).toEqual([]);
  });

  it("names at most 100 problems, with long field names cut, however many records or keys are wrong", async () => {
    const { driver } = recorders();
    const ingest = ingestRoutes(pipelineManifest(), { driver });
    const many = await ingest("Events/1", Array.from({ length: 150_000 }, () => 0));
    expect(many?.status).toBe(400);
    const body = many?.body as { error: string; fields: unknown[] };
    expect(body.error).toBe("invalid records for /ingest/Events/1 (the first 100 problems)");
    expect(body.fields).toHaveLength(100);
    // A megabyte-long key holding 600 lone surrogates: 600 field names of a megabyte each would be 600 MB of reply.
    const key = "k".repeat(1 << 20);
    const surrogates = await ingest("Events/1", { [key]: Array.from({ length: 600 }, () => "\ud800") });
    const fields = (surrogates?.body as { fields: Array<{ field: string }> }).fields;
    expect(fields).toHaveLength(100);
    expect(fields[0]!.field).toBe(`${"k".repeat(64)}…[0]`);
  });

  it("answers 400 without ClickHouse's text when ClickHouse refuses the values, and keeps the error for the log", async () => {
    const refusal = new MooseError("CLICKHOUSE_QUERY_FAILED", "ClickHouse rejected a statement: Cannot parse input: expected '\"' (CANNOT_PARSE_INPUT_ASSERTION_FAILED)", {
      details: { clickhouseCode: 27, clickhouseMessage: "Cannot parse input: expected '\"' (CANNOT_PARSE_INPUT_ASSERTION_FAILED)" },
    });
    const driver = { insert: async () => Promise.reject(refusal) } as unknown as ClickHouseDriver;
    const reply = await ingestRoutes(pipelineManifest(), { driver })("Events/1", { id: "a", at: "2026-01-05T10:00:00Z" });
    expect(reply?.status).toBe(400);
    expect(JSON.stringify(reply?.body)).not.toMatch(/CANNOT_PARSE|Cannot parse|ClickHouse rejected/);
    expect(reply?.logDetails).toBe(refusal);
    // Anything else (the server is down, a bug) stays an error for the server's generic 500.
    const down = { insert: async () => Promise.reject(new MooseError("CLICKHOUSE_QUERY_FAILED", "Too many parts", { details: { clickhouseCode: 252 } })) } as unknown as ClickHouseDriver;
    await expect(ingestRoutes(pipelineManifest(), { driver: down })("Events/1", { id: "a", at: "2026-01-05T10:00:00Z" })).rejects.toThrow("Too many parts");
  });

  it("answers undefined (404 at the server) for a path with no ingest API", async () => {
    const { driver } = recorders();
    expect(await ingestRoutes(pipelineManifest(), { driver })("Events", {})).toBeUndefined();
  });

  it("fails at start with INGEST_SCHEMA_INVALID, at the API's source, when the record schema is not valid JSON Schema", () => {
    const manifest = pipelineManifest();
    manifest.ingestApis["Events/1"]!.schema = { type: "no-such-type" };
    manifest.ingestApis["Events/1"]!.source = { file: "app/index.ts", line: 7 };
    const { driver } = recorders();
    expect(() => ingestRoutes(manifest, { driver })).toThrow(expect.objectContaining({ code: "INGEST_SCHEMA_INVALID", location: { file: "app/index.ts", line: 7 } }));
  });
});

describe("tableRecords (a sync's and OlapTable.insert's check)", () => {
  const tableColumns: ColumnSpec[] = [
    { name: "id", type: "String", nullable: false },
    { name: "note", type: "String", nullable: true },
    { name: "tags", type: "Array(String)", nullable: false },
    { name: "labels", type: "Map(String, UInt8)", nullable: false },
    { name: "address", type: "Nested(street String, city String)", nullable: false },
    { name: "pair", type: "Tuple(a String, b Int32)", nullable: false },
    { name: "where", type: "Point", nullable: false },
  ];

  it("takes a record without its Array, Map, Nested, Tuple or geo fields (never Nullable: an optional field of the model), but not without a plain column", () => {
    const records = tableRecords(tableColumns);
    expect(records.problems({ id: "a" })).toEqual([]);
    expect(records.problems({ note: "x", tags: [] })).toEqual([{ field: "id", message: "is required" }]);
    // Given, they are still checked.
    expect(records.problems({ id: "a", labels: { k: 300 } })).toEqual([expect.objectContaining({ field: "labels.k" })]);
  });
});

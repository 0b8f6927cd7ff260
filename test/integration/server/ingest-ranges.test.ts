/**
 * Safety of client input, through the real HTTP server (`moose prod` over the embedded engine, the
 * fixture app in fixtures/ingest-app): values outside their column type's range, integer overflow,
 * malformed Unicode and out-of-range query parameters are 400s naming the field (and the record
 * index), nothing of a refused batch is stored, and no ClickHouse text reaches a client.
 * A second server over hand-made Date/Date32 columns covers the types no TypeScript type maps to.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { extractManifest } from "../../../src/extract/index.js";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { emptyManifest, type ColumnSpec, type Manifest } from "../../../src/manifest/index.js";
import { generateMigration } from "../../../src/migrations/generate.js";
import { startMooseServer, type RunningServer } from "../../../src/server/http.js";
import { ingestRoutes } from "../../../src/server/ingest.js";
import { startProdServer, type ProdServer } from "../../../src/server/prod.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/ingest-app", import.meta.url));
const projectDir = mkdtempSync(join(tmpdir(), "moose-ingest-ranges-"));
const dataDir = join(projectDir, ".moose", "clickhouse");

let server: ProdServer;
let dateServer: RunningServer;
let driver: ClickHouseDriver;

interface Answer {
  status: number;
  text: string;
  body: { error?: string; fields?: Array<{ field: string; message: string }>; requestId?: string } & Record<string, unknown>;
}

async function post(url: string, body: string | Buffer): Promise<Answer> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Answer["body"] };
}

const ingest = (records: unknown) => post(`${server.url}/ingest/Reading`, JSON.stringify(records));

async function get(path: string): Promise<Answer> {
  const response = await fetch(`${server.url}${path}`);
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Answer["body"] };
}

/** A record that fits every column; tests change one field at a time. */
function reading(id: string, change: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    at: "2026-01-05T10:00:00Z",
    precise: "2026-01-05T10:00:00.123456Z",
    small: 1,
    big: 2,
    ubig: 3,
    price: "4.50",
    ratio: 0.5,
    kind: "click",
    tags: [1, 2],
    ...change,
  };
}

const count = async (table = "Reading") => Number((await driver.query<{ n: string }>(`SELECT count() AS n FROM ${table}`))[0]!.n);

/** No ClickHouse or Node internals in what a client sees. */
function expectNoInternals(answer: Answer): void {
  expect(answer.text).not.toMatch(/DB::Exception|Code: \d+|ClickHouse rejected|CANNOT_|SYNTAX_ERROR|UNKNOWN_IDENTIFIER|\bat \S+\.(ts|js):\d+/);
}

beforeAll(async () => {
  cpSync(FIXTURE, projectDir, { recursive: true });
  const config = await loadConfig(projectDir, {});
  const manifest = await extractManifest({ projectDir });
  const generated = await generateMigration({ projectDir, manifest, name: "init", now: new Date("2026-12-01T08:00:00Z") });
  if (generated.kind !== "written") throw new Error(`expected a migration, got ${generated.kind}`);
  server = await startProdServer({ projectDir, config, clickhouse: { embedded: true, dataDir }, port: 0, migrate: true });
  driver = await openEmbedded({ dataDir, database: config.clickhouse_config.db_name });

  // Date and Date32 have no TypeScript type: a hand-made table and ingest API for them.
  await driver.exec("CREATE TABLE Days (id String, day Date, old Nullable(Date32)) ENGINE = MergeTree ORDER BY id");
  const columns: ColumnSpec[] = [
    { name: "id", type: "String", nullable: false },
    { name: "day", type: "Date", nullable: false },
    { name: "old", type: "Date32", nullable: true },
  ];
  const schema = {
    type: "object",
    properties: { id: { type: "string" }, day: { type: "string" }, old: { anyOf: [{ type: "string" }, { type: "null" }] } },
    required: ["id", "day"],
  };
  const days: Manifest = {
    ...emptyManifest(),
    tables: { Days: { name: "Days", columns, orderBy: ["id"], engine: { name: "MergeTree", params: [] }, settings: {}, indexes: [], lifeCycle: "FULLY_MANAGED" } },
    ingestApis: { Days: { name: "Days", path: "Days", columns, schema, destination: "Days" } },
  };
  dateServer = await startMooseServer({
    host: "127.0.0.1",
    port: 0,
    projectDir,
    adminApiKey: "",
    apiAuth: { ingest: { enforceJwt: false }, consumption: { enforceJwt: false } },
    health: async () => ({}),
    consumption: async () => undefined,
    ingest: ingestRoutes(days, { driver }),
    admin: async () => undefined,
  });
}, 180_000);

afterAll(async () => {
  await dateServer?.close();
  await server?.close();
  await driver?.close();
  rmSync(projectDir, { recursive: true, force: true });
});

describe("ingest: values within their column types are stored", () => {
  it("stores the range limits exactly (DateTime64 microseconds, UInt64 max as a decimal string, Int8 min)", async () => {
    const answer = await ingest([
      reading("ok-1", { at: "1970-01-01T00:00:00Z", precise: "1900-01-01T00:00:00.000001Z", small: -128, big: "-9223372036854775808", ubig: "18446744073709551615" }),
      reading("ok-2", { at: "2106-02-07T06:28:15Z", precise: "2299-12-31T23:59:59.999999Z", small: 127, big: 9007199254740991, price: "-99999999.99" }),
    ]);
    expect(answer).toMatchObject({ status: 200, body: { ingested: 2 } });
    const rows = await driver.query<Record<string, unknown>>("SELECT id, toString(at) AS at, toString(precise) AS precise, small, toString(big) AS big, toString(ubig) AS ubig, toString(price) AS price FROM Reading ORDER BY id");
    expect(rows).toEqual([
      { id: "ok-1", at: "1970-01-01 00:00:00", precise: "1900-01-01 00:00:00.000001", small: -128, big: "-9223372036854775808", ubig: "18446744073709551615", price: "4.5" },
      { id: "ok-2", at: "2106-02-07 06:28:15", precise: "2299-12-31 23:59:59.999999", small: 127, big: "9007199254740991", ubig: "3", price: "-99999999.99" },
    ]);
  });
});

describe("ingest: out-of-range values are refused with 400, naming the field and record index, storing nothing", () => {
  it.each([
    ["DateTime before 1970", { at: "1900-01-01T00:00:00Z" }, "at", /between 1970-01-01T00:00:00Z and 2106-02-07T06:28:15Z/],
    ["DateTime after 2106-02-07T06:28:15Z", { at: "2200-01-01T00:00:00Z" }, "at", /between 1970-01-01T00:00:00Z and 2106-02-07T06:28:15Z/],
    ["DateTime one second too late", { at: "2106-02-07T06:28:16Z" }, "at", /2106-02-07T06:28:15Z/],
    ["DateTime64 before 1900", { precise: "1899-12-31T23:59:59Z" }, "precise", /between 1900-01-01T00:00:00\.000000Z and 2299-12-31T23:59:59\.999999Z \(DateTime64\(6\)\)/],
    ["an impossible date", { at: "2026-02-30T00:00:00Z" }, "at", /valid date-time/],
    ["Int8 overflow", { small: 128 }, "small", /127/],
    ["Int8 underflow", { small: -129 }, "small", /-128/],
    ["Int64 overflow as a decimal string", { big: "9223372036854775808" }, "big", /between -9223372036854775808 and 9223372036854775807 \(Int64\)/],
    ["Int64 as a JSON number beyond 2^53", { big: 9223372036854775807 }, "big", /send it as a decimal string/],
    ["UInt64 negative", { ubig: "-1" }, "ubig", /between 0 and 18446744073709551615/],
    ["a non-integer in an Int64", { big: 1.5 }, "big", /integer/],
    ["Decimal(10, 2) with 3 decimals", { price: "1.005" }, "price", /Decimal\(10, 2\) keeps 2/],
    ["Decimal(10, 2) with 9 integer digits", { price: "123456789" }, "price", /Decimal\(10, 2\) allows 8/],
    ["Float32 beyond its range", { ratio: 1e39 }, "ratio", /Float32/],
    ["an unknown enum value", { kind: "scroll" }, "kind", /"click", "view"/],
    ["an Int8 array element", { tags: [1, 300] }, "tags[1]", /127/],
  ])("%s", async (_name, change, field, message) => {
    const before = await count();
    // Alone: the field is named without an index.
    const single = await ingest(reading("bad", change));
    expect(single.status).toBe(400);
    expect(single.body.fields).toEqual([{ field, message: expect.stringMatching(message) }]);
    // In a batch: the valid first record is not stored either; the field carries the index.
    const batch = await ingest([reading("good"), reading("bad", change)]);
    expect(batch.status).toBe(400);
    expect(batch.body.fields).toEqual([{ field: `[1].${field}`, message: expect.stringMatching(message) }]);
    expectNoInternals(batch);
    expect(await count()).toBe(before);
  });
});

describe("ingest: malformed Unicode is a 400, never a 500", () => {
  it("refuses a lone surrogate in a string, naming the field, and stores nothing", async () => {
    const before = await count();
    const body = `[${JSON.stringify(reading("fine"))},${JSON.stringify(reading("x")).replace('"id":"x"', '"id":"x\\ud800y"')}]`;
    expect(body).toContain("\\ud800");
    const answer = await post(`${server.url}/ingest/Reading`, body);
    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual([{ field: "[1].id", message: expect.stringContaining("lone surrogate") }]);
    expectNoInternals(answer);
    expect(await count()).toBe(before);
  });

  it("refuses invalid UTF-8 bytes in the body", async () => {
    const before = await count();
    const json = Buffer.from(JSON.stringify(reading("bytes", { note: "__" })));
    const at = json.indexOf("__");
    json[at] = 0xc3; // a lead byte…
    json[at + 1] = 0x28; // …followed by a byte that cannot continue it
    const answer = await post(`${server.url}/ingest/Reading`, json);
    expect(answer).toMatchObject({ status: 400, body: { error: "request body is not valid UTF-8" } });
    expect(await count()).toBe(before);
  });
});

describe("ingest: Date and Date32 columns", () => {
  const days = (records: unknown) => post(`${dateServer.url}/ingest/Days`, JSON.stringify(records));

  it("stores 1970-01-01 … 2149-06-06 (Date) and 1900-01-01 … 2299-12-31 (Date32)", async () => {
    expect(await days([{ id: "a", day: "1970-01-01", old: "1900-01-01" }, { id: "b", day: "2149-06-06", old: "2299-12-31" }])).toMatchObject({ status: 200 });
    expect(await driver.query("SELECT id, toString(day) AS day, toString(old) AS old FROM Days ORDER BY id")).toEqual([
      { id: "a", day: "1970-01-01", old: "1900-01-01" },
      { id: "b", day: "2149-06-06", old: "2299-12-31" },
    ]);
  });

  it.each([
    [{ id: "c", day: "1969-12-31" }, "day", /between 1970-01-01 and 2149-06-06 \(Date\)/],
    [{ id: "c", day: "2149-06-07" }, "day", /between 1970-01-01 and 2149-06-06 \(Date\)/],
    [{ id: "c", day: "2026-01-01", old: "1899-12-31" }, "old", /between 1900-01-01 and 2299-12-31 \(Date32\)/],
    [{ id: "c", day: "2026-01-01", old: "2300-01-01" }, "old", /between 1900-01-01 and 2299-12-31 \(Date32\)/],
  ])("refuses %j", async (record, field, message) => {
    const answer = await days([{ id: "fine", day: "2026-01-01" }, record]);
    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual([{ field: `[1].${field}`, message: expect.stringMatching(message) }]);
    expect(await count("Days")).toBe(2);
  });
});

describe("consumption APIs: client input is a 400, failures a generic 500", () => {
  it("refuses limit=99999999999999999999 with 400 naming limit, instead of a ClickHouse error", async () => {
    const answer = await get("/api/readings?limit=99999999999999999999");
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: "invalid query parameters for /api/readings", fields: [{ field: "limit", message: expect.stringContaining("9007199254740991") }] });
    expectNoInternals(answer);
    expect((await get("/api/readings?limit=1")).body).toEqual([{ id: "ok-1" }]);
  });

  it.each([
    ["an infinite number (1e400)", "limit=1e400", /finite/],
    ["Infinity", "limit=Infinity", /finite/],
    ["a 5000-character value", `limit=${"9".repeat(5000)}`, /longer than 4096 characters/],
    ["a percent escape that is not UTF-8", "limit=%FF", /not valid UTF-8/],
  ])("refuses %s with 400 naming the parameter", async (_name, query, message) => {
    const answer = await get(`/api/readings?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual([{ field: "limit", message: expect.stringMatching(message) }]);
    expectNoInternals(answer);
  });

  it("answers a handler whose SQL fails with 500, a generic message and a request id, and logs the ClickHouse error", async () => {
    const answer = await get("/api/broken");
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ error: expect.stringContaining("internal error"), requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expectNoInternals(answer);
  });

  it("answers raw non-UTF-8 bytes in the request line with 400 (Node's HTTP parser refuses them)", async () => {
    const url = new URL(server.url);
    const reply = await new Promise<string>((resolve, reject) => {
      // fetch would percent-encode the byte: write the request line through a socket instead.
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(Buffer.concat([Buffer.from("GET /api/readings?limit="), Buffer.from([0xff]), Buffer.from(" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")]));
      });
      let text = "";
      socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
  });
});

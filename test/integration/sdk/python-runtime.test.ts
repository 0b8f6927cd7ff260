/**
 * A Python app's `OlapTable.insert` and `MooseCache` at run time, against the embedded engine served over
 * ClickHouse's HTTP interface as `moose dev` serves it: the Api worker and the stream-function worker send
 * each call to moose (python/moose_ts/runtime.py → src/server/python-host.ts), which checks rows with the
 * ingest API's column rules (ClickHouse itself would store an out-of-range integer wrapped) and runs the
 * TypeScript SDK's insert and cache. Outside a process moose started, both are a clear error.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractManifest } from "../../../src/extract/index.js";
import { pythonEnv } from "../../../src/extract/python/index.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { serveClickHouseHttp, type ClickHouseHttpEndpoint } from "../../../src/infra/clickhouse/http-endpoint.js";
import type { RawClickHouseDriver } from "../../../src/infra/clickhouse/raw.js";
import type { Manifest } from "../../../src/manifest/types.js";
import { startPythonApiWorker, type PythonApiWorker } from "../../../src/server/python-worker.js";
import { PythonFunctions } from "../../../src/streams/python-functions.js";
import { testPython } from "../../helpers/python.js";

const USER = "panda";
const PASSWORD = "a password of this test";
const projectDir = mkdtempSync(path.join(tmpdir(), "moose-python-runtime-"));
const previousProjectDir = process.env.MOOSE_PROJECT_DIR;

/** Each scenario is a function of the app; the Api `run` calls the one named and answers what it returned. */
const APP = `from datetime import datetime, timezone
import time
from pydantic import BaseModel
from moose_ts import Api, InsertOptions, Key, MooseCache, OlapTable, Stream, UInt8
from moose_ts.errors import MooseError


class Event(BaseModel):
    id: Key[str]
    amount: UInt8
    at: datetime


events = OlapTable[Event]("Events")


def many():
    a = events.insert([Event(id="a", amount=1, at=datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)), {"id": "b", "amount": "2", "at": "2026-12-03T11:00:00+01:00"}])
    c = events.insert({"id": "c", "amount": 3, "at": "2026-12-03T12:00:00Z"})
    g = events.insert({"id": f"g{i:05}", "amount": i % 200, "at": "2026-12-03T00:00:00Z"} for i in range(25_000))
    return [a.successful, a.total, c.successful, g.successful, g.total]


def out_of_range():
    # Valid for pydantic (an int), out of UInt8's range: moose's column check refuses it, nothing of the list is stored.
    try:
        events.insert([{"id": "ok", "amount": 1, "at": "2026-12-03T10:00:00Z"}, {"id": "big", "amount": 300, "at": "2026-12-03T10:00:00Z"}])
    except MooseError as error:
        return [error.code, error.location.line, error.message]


def not_the_model():
    try:
        events.insert([{"id": "a", "amount": 1, "at": "2026-12-03T10:00:00Z"}, {"id": "b", "amount": "lots", "at": "2026-12-03T10:00:00Z"}])
    except MooseError as error:
        return [error.code, error.location.line, error.message.splitlines()[0]]


def discard():
    good = {"id": "kept", "amount": 1, "at": "2026-12-03T10:00:00Z"}
    invalid = {"id": "invalid", "amount": "lots", "at": "2026-12-03T10:00:00Z"}
    wide = {"id": "wide", "amount": 300, "at": "2026-12-03T10:00:00Z"}
    result = events.insert(iter([good, invalid, wide]), InsertOptions(strategy="discard"))
    try:
        events.insert([good, wide], InsertOptions(strategy="discard", allow_errors=0))
        rejected = None
    except MooseError as error:
        rejected = [error.code, error.message]
    return [result.successful, result.failed, result.total, [[record.index, record.record["id"]] for record in result.failed_records], rejected]


class Bar(BaseModel):
    name: str
    n: int


def cache():
    cache = MooseCache()
    seen = [cache.set("user:1", {"name": "ada", "n": 1}), cache.get("user:1")]
    seen += [cache.set("user:1", Bar(name="grace", n=2)), cache.get("user:1", type_hint=Bar).model_dump()]
    cache.set("user:2", "plain text")
    cache.set("other", "x")
    seen += [cache.get("user:2"), cache.get("missing")]
    cache.set("brief", "gone soon", 0.2)
    time.sleep(0.4)
    seen.append(cache.get("brief"))
    cache.delete("other")
    seen.append(cache.get("other"))
    cache.clear_keys("user:")
    seen += [cache.get("user:1"), cache.get("user:2")]
    cache.set("last", "1")
    cache.clear()
    seen.append(cache.get("last"))
    return seen


SCENARIOS = {"many": many, "out_of_range": out_of_range, "not_the_model": not_the_model, "discard": discard, "cache": cache}


class Params(BaseModel):
    scenario: str


def run(client, params: Params):
    return {"result": SCENARIOS[params.scenario]()}


Api[Params, dict]("run", run)


class Signup(BaseModel):
    id: Key[str]
    amount: UInt8
    at: datetime


signups = Stream[Signup]("Signups")


def store(signup: Signup) -> None:
    events.insert(signup)
    MooseCache().set(f"signup:{signup.id}", "stored")


signups.add_consumer(store)
`;

let driver: RawClickHouseDriver;
let endpoint: ClickHouseHttpEndpoint;
let manifest: Manifest;
let worker: PythonApiWorker;

beforeAll(async () => {
  process.env.MOOSE_PYTHON = testPython();
  driver = await openEmbedded({ dataDir: path.join(projectDir, ".moose", "clickhouse"), database: "local" });
  endpoint = await serveClickHouseHttp(driver, { port: 0, user: USER, password: PASSWORD });
  mkdirSync(path.join(projectDir, "app"));
  writeFileSync(path.join(projectDir, "app", "main.py"), APP);
  // The TypeScript SDK's runtime, which answers the Python calls, reaches ClickHouse as [clickhouse_config] says (as in moose dev).
  writeFileSync(
    path.join(projectDir, "moose.config.toml"),
    `language = "Python"\n\n[clickhouse_config]\nhost = "127.0.0.1"\nhost_port = ${endpoint.port}\nuser = "${USER}"\npassword = "${PASSWORD}"\ndb_name = "local"\n`,
  );
  process.env.MOOSE_PROJECT_DIR = projectDir;
  manifest = await extractManifest({ projectDir });
  worker = await startPythonApiWorker({ projectDir, apis: manifest.apis, components: manifest, driver, log: () => {} });
}, 120_000);

afterAll(async () => {
  await worker?.close();
  await endpoint?.close();
  await driver?.close();
  if (previousProjectDir === undefined) delete process.env.MOOSE_PROJECT_DIR;
  else process.env.MOOSE_PROJECT_DIR = previousProjectDir;
  rmSync(projectDir, { recursive: true, force: true });
});

async function resetEvents(): Promise<void> {
  await driver.exec("DROP TABLE IF EXISTS Events");
  await driver.exec("CREATE TABLE Events (id String, amount UInt8, at DateTime('UTC')) ENGINE = MergeTree ORDER BY id");
}

const stored = () => driver.query<{ id: string; amount: number; at: string }>("SELECT id, amount, toString(at) AS at FROM Events ORDER BY id");

async function scenario(name: string): Promise<unknown> {
  const reply = await worker.routes("run", new URLSearchParams({ scenario: name }));
  expect(reply?.status, JSON.stringify(reply?.body)).toBe(200);
  return (reply?.body as { result: unknown }).result;
}

const lineOf = (text: string) => APP.split("\n").findIndex((line) => line.includes(text)) + 1;

describe("OlapTable.insert from a Python Api handler", () => {
  it("inserts model instances, dicts, a single row and a generator read in batches of 10,000", async () => {
    await resetEvents();
    expect(await scenario("many")).toEqual([2, 2, 1, 25_000, 25_000]);
    const rows = await stored();
    expect(rows.slice(0, 3)).toEqual([
      { id: "a", amount: 1, at: "2026-12-03 10:00:00" },
      { id: "b", amount: 2, at: "2026-12-03 10:00:00" },
      { id: "c", amount: 3, at: "2026-12-03 12:00:00" },
    ]);
    expect(rows).toHaveLength(25_003);
  });

  it("fail-fast: a value out of its column's range, or a row the model refuses, stops the insert before anything is stored", async () => {
    await resetEvents();
    expect(await scenario("out_of_range")).toEqual(["INSERT_INVALID", lineOf('"amount": 300, "at": "2026-12-03T10:00:00Z"}])'), expect.stringMatching(/^row 1 for Events does not fit the table: amount: .*255/)]);
    expect(await scenario("not_the_model")).toEqual(["INSERT_INVALID", lineOf('"amount": "lots", "at": "2026-12-03T10:00:00Z"}])'), "row 1 for Events does not fit the table: 1 validation error for Event"]);
    expect(await stored()).toEqual([]);
  });

  it("discard: what the model or the column checks refuse is set aside within allow_errors; beyond it the insert fails", async () => {
    await resetEvents();
    const [successful, failed, total, records, rejected] = (await scenario("discard")) as [number, number, number, unknown[], [string, string]];
    expect([successful, failed, total, records]).toEqual([1, 2, 3, [[1, "invalid"], [2, "wide"]]]);
    expect(rejected[0]).toBe("INSERT_REJECTED");
    expect(rejected[1]).toMatch(/^1 of 2 row\(s\) for Events were refused, more than the 0 allowed: amount: /);
    expect((await stored()).map((row) => row.id)).toEqual(["kept", "kept"]);
  });
});

describe("MooseCache from a Python Api handler", () => {
  it("sets, gets (text, JSON, a pydantic model), replaces, expires, deletes and clears by prefix", async () => {
    expect(await scenario("cache")).toEqual([null, { name: "ada", n: 1 }, '{"name": "ada", "n": 1}', { name: "grace", n: 2 }, "plain text", null, null, null, null, null, null]);
  });
});

describe("a Python stream function's insert and cache", () => {
  it("are answered while its batch runs", async () => {
    await resetEvents();
    const functions = new PythonFunctions({ projectDir, components: () => manifest, log: () => {} });
    try {
      await functions.reload();
      const consumer = Object.keys(manifest.processes).find((id) => id.startsWith("consumer:Signups"));
      await functions.functionFor(consumer!)!.run({ id: "s1", amount: 9, at: "2026-12-03T09:00:00Z" });
    } finally {
      await functions.close();
    }
    expect(await stored()).toEqual([{ id: "s1", amount: 9, at: "2026-12-03 09:00:00" }]);
    const cached = await driver.query<{ value: string }>("SELECT argMax(value, version) AS value FROM _moose_cache WHERE key = 'signup:s1'");
    expect(cached).toEqual([{ value: "stored" }]);
  });
});

describe("outside a process moose started", () => {
  it("insert and the cache say so at the caller's line", async () => {
    const script = path.join(projectDir, "standalone.py");
    writeFileSync(
      script,
      `from moose_ts import MooseCache
from moose_ts.errors import MooseError
from app.main import events
for call in (lambda: events.insert({"id": "a", "amount": 1, "at": "2026-12-03T10:00:00Z"}), lambda: MooseCache().get("k")):
    try:
        call()
    except MooseError as error:
        print(error.code, error.location.line)
`,
    );
    const child = spawn(testPython(), [script], { cwd: projectDir, env: pythonEnv(projectDir) });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    await new Promise((resolve) => child.on("close", resolve));
    expect(stdout).toBe("RUNTIME_NOT_AVAILABLE 4\nRUNTIME_NOT_AVAILABLE 4\n");
  });
});

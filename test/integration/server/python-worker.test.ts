/**
 * The Python Api worker (src/server/python-worker.ts, python/_moose_ts_worker.py) with the machine's
 * Python and the embedded engine: calls run at the same time (a handler that waits holds up no
 * other, and each handler's queries come back to it), a flood past MAX_CALLS is refused at once
 * with a 503 instead of queueing, a handler that exits the interpreter is a 500 for its request
 * only, and stopping the worker answers the calls in progress.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import type { ApiSpec } from "../../../src/manifest/types.js";
import type { Reply } from "../../../src/server/http.js";
import { MAX_CALLS, startPythonApiWorker, type PythonApiWorker } from "../../../src/server/python-worker.js";
import { testPython } from "../../helpers/python.js";

const APP = `import atexit
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from pydantic import BaseModel

from moose_ts import Api, ApiResult, ConsumptionApiResult
from moose_ts.client import QueryError


class Gate(BaseModel):
    gate: str = "open"


class Number(BaseModel):
    n: int = 0


class Since(BaseModel):
    since: datetime


def held(client, params: Gate):
    """Queries, then waits until the test creates the file named by \`gate\` (at most 30 s), then queries again."""
    before = client.query.execute_raw("SELECT {n:Int64} AS n", {"n": 1})
    release = os.path.join(os.environ["MOOSE_PROJECT_DIR"], params.gate)
    deadline = time.monotonic() + 30
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.02)
    after = client.query.execute_raw("SELECT {n:Int64} * 2 AS n", {"n": 1})
    return {"before": before, "after": after}


def double(client, params: Number):
    return client.query.execute_raw("SELECT {n:Int64} * 2 AS doubled", {"n": params.n})


def leave(client, params: Number):
    sys.exit(3)


def both(client, params: Number):
    """Two queries at once from threads of the handler's own; the slower one asked first."""
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(client.query.execute_raw, "SELECT 'slow' AS which FROM numbers(3) WHERE sleepEachRow(0.1) = 0")
        time.sleep(0.05)
        fast = pool.submit(client.query.execute_raw, "SELECT 'fast' AS which")
        return {"slow": slow.result(), "fast": fast.result()}


def noisy(client, params: Number):
    """Writes to the process's real stdout, around a query, without a newline."""
    sys.__stdout__.write("not the protocol ")
    sys.__stdout__.flush()
    os.write(1, b"nor this ")
    # And a line on the protocol's own pipe that is not the protocol. The worker runs as __main__
    # (python -m): \`import _moose_ts_worker\` would load a second copy, whose pipe is stderr.
    worker = sys.modules["__main__"]
    with worker._send_lock:
        worker._protocol_out.write("out of step\\n")
        worker._protocol_out.flush()
    rows = client.query.execute_raw("SELECT 1 AS one")
    return {"rows": rows, "text": "lone \\ud800 surrogate"}


def caught(client, params: Number):
    try:
        client.query.execute_raw("SELECT no_such_column")
    except QueryError as error:
        return {"caught": "no_such_column" in str(error)}


def rows_of(client, params: Number):
    return client.query.execute_raw("SELECT 1 AS one")


def typed(client, params: Number):
    """Each value as moose_lib's client gives it, and the handler's view of its Python type."""
    rows = client.query.execute_raw(
        "SELECT toUInt64(18446744073709551615) AS big, toInt64(-5) AS small, toDateTime64('2026-01-02 03:04:05.25', 3, 'UTC') AS at,"
        " toDateTime('2026-01-02 03:04:05', 'Asia/Tokyo') AS tokyo, toDate('2026-01-02') AS day, toDecimal64(2.5, 2) AS price,"
        " toDecimal128('12345678901234567890.123456789', 9) AS wide,"
        " toUUID('6ba7b810-9dad-11d1-80b4-00c04fd430c8') AS id, [toInt64(1), 2] AS ints, CAST(NULL, 'Nullable(Int64)') AS nothing,"
        " map('a', toUInt64(3)) AS counts, 'text' AS label")
    return {"rows": rows, "types": {key: type(value).__name__ for key, value in rows[0].items()},
            "tokyo_utc": rows[0]["tokyo"].astimezone(timezone.utc).isoformat(), "sum": rows[0]["small"] + 10}


def answer(client, params: Number):
    """MooseStack's ApiResult: the handler picks the status (an impossible one is the handler's failure)."""
    if params.n == 0:
        return ApiResult(status=404, body={"error": "nothing numbered 0"})
    return ConsumptionApiResult(status=params.n, body={"n": params.n})


def since(client, params: Since):
    return client.query.execute_raw("SELECT toUnixTimestamp64Micro({t:DateTime64(6, 'UTC')}) AS micros", {"t": params.since})


atexit.register(lambda: open(os.path.join(os.environ["MOOSE_PROJECT_DIR"], "exited-cleanly"), "w").close())
with open(os.path.join(os.environ["MOOSE_PROJECT_DIR"], "worker.pid"), "w") as pid_file:
    pid_file.write(str(os.getpid()))

Api[Gate, dict]("held", held)
Api[Number, dict]("both", both)
Api[Number, dict]("noisy", noisy)
Api[Number, list[dict]]("rows", rows_of)
Api[Number, dict]("caught", caught)
Api[Number, list[dict]]("double", double)
Api[Number, list[dict]]("leave", leave)
Api[Since, list[dict]]("since", since)
Api[Number, dict]("typed", typed)
Api[Number, dict]("answer", answer)
Api[Number, list[dict]]("tripled", lambda client, params: [{"tripled": params.n * 3}], version="2")
`;

const projectDir = mkdtempSync(path.join(tmpdir(), "moose-python-worker-"));
const spec = (name: string, params: Record<string, unknown>): ApiSpec => ({ name, path: name, params: { type: "object", properties: params }, result: {} });
const APIS = Object.fromEntries([
  ["held", spec("held", { gate: { type: "string" } })],
  ["since", spec("since", { since: { type: "string", format: "date-time" } })],
  ...["double", "leave", "both", "noisy", "rows", "caught", "typed", "answer"].map((name) => [name, spec(name, { n: { type: "integer" } })]),
  ["tripled/2", { ...spec("tripled", { n: { type: "integer" } }), version: "2", path: "tripled/2" }],
]);
let driver: ClickHouseDriver;
let worker: PythonApiWorker | undefined;
let gates = 0;
const logged: string[] = [];

beforeAll(async () => {
  process.env.MOOSE_PYTHON = testPython();
  mkdirSync(path.join(projectDir, "app"));
  writeFileSync(path.join(projectDir, "app", "main.py"), APP);
  writeFileSync(path.join(projectDir, "moose.config.toml"), `language = "Python"\n`);
  driver = await openEmbedded({ dataDir: path.join(projectDir, ".moose", "clickhouse"), database: "local" });
});

afterEach(async () => {
  await worker?.close();
  worker = undefined;
});

afterAll(async () => {
  await driver?.close();
  rmSync(projectDir, { recursive: true, force: true });
});

async function start(through: ClickHouseDriver = driver): Promise<PythonApiWorker> {
  worker = await startPythonApiWorker({ projectDir, apis: APIS, components: { tables: {}, streams: {} }, driver: through, log: (text) => logged.push(text) });
  return worker;
}

/** A gate of its own: `held` calls given it wait until `open()`. */
function gate(): { name: string; open(): void } {
  const name = `gate-${++gates}`;
  return { name, open: () => writeFileSync(path.join(projectDir, name), "") };
}

function settled(reply: Promise<Reply | undefined>): { done: boolean } {
  const state = { done: false };
  void reply.then(() => (state.done = true));
  return state;
}

describe("the Python Api worker", () => {
  it("binds a datetime with an offset as its point in time (UTC)", async () => {
    const api = await start();
    for (const since of ["2026-12-02T11:00:00+01:00", "2026-12-02T10:00:00Z", "2026-12-02T10:00:00"]) {
      expect(await api.routes("since", new URLSearchParams({ since })), since).toEqual({ status: 200, body: [{ micros: 1796205600000000 }] });
    }
  });

  it("gives a handler's rows typed as moose_lib does (ints, datetimes in their zone, dates, decimals, UUIDs), and its result back without losing digits", async () => {
    const api = await start();
    expect(await api.routes("typed", new URLSearchParams())).toEqual({
      status: 200,
      body: {
        rows: [
          {
            // Beyond 2^53 an int goes back as its digits, as ClickHouse quotes it: as a number it would be rounded.
            big: "18446744073709551615",
            small: -5,
            at: "2026-01-02T03:04:05.250000+00:00",
            tokyo: "2026-01-02T03:04:05+09:00",
            day: "2026-01-02",
            price: "2.50",
            // 29 digits: through a double they would end in …67890.12345679 or worse.
            wide: "12345678901234567890.123456789",
            id: "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
            ints: [1, 2],
            nothing: null,
            counts: { a: 3 },
            label: "text",
          },
        ],
        types: { big: "int", small: "int", at: "datetime", tokyo: "datetime", day: "date", price: "Decimal", wide: "Decimal", id: "UUID", ints: "list", nothing: "NoneType", counts: "dict", label: "str" },
        tokyo_utc: "2026-01-01T18:04:05+00:00",
        sum: 5,
      },
    });
  });

  it("routes a versioned API's other addresses as MooseStack does: its only version at the name, ?version=", async () => {
    const api = await start();
    for (const [path, query] of [["tripled/2", ""], ["tripled", ""], ["tripled", "version=2"]] as const) {
      expect(await api.routes(path, new URLSearchParams(`n=4&${query}`)), path).toEqual({ status: 200, body: [{ tripled: 12 }] });
    }
    expect(await api.routes("tripled", new URLSearchParams("version=3"))).toBeUndefined();
  });

  it("answers with the status and body of a handler's ApiResult; a status that is not a final HTTP one is a 500", async () => {
    const api = await start();
    expect(await api.routes("answer", new URLSearchParams({ n: "0" }))).toEqual({ status: 404, body: { error: "nothing numbered 0" } });
    expect(await api.routes("answer", new URLSearchParams({ n: "201" }))).toEqual({ status: 201, body: { n: 201 } });
    expect(await api.routes("answer", new URLSearchParams({ n: "1000" }))).toEqual({ status: 500, body: { error: "the handler of /api/answer failed" } });
    await vi.waitFor(() => expect(logged.join("")).toContain("result status 1000 is not a final HTTP status (200-599)"));
  });

  it("answers other calls, with their own queries, while a handler waits", async () => {
    const api = await start();
    const { name, open } = gate();
    const waiting = api.routes("held", new URLSearchParams({ gate: name }));
    const waitingState = settled(waiting);
    for (const n of [1, 2, 3]) {
      expect(await api.routes("double", new URLSearchParams({ n: String(n) }))).toEqual({ status: 200, body: [{ doubled: n * 2 }] });
    }
    expect(waitingState.done).toBe(false);
    open();
    expect(await waiting).toEqual({ status: 200, body: { before: [{ n: 1 }], after: [{ n: 2 }] } });
  });

  it(`refuses calls past ${MAX_CALLS} in progress with a 503 at once, and serves again once they are answered`, async () => {
    const api = await start();
    const { name, open } = gate();
    const held = Array.from({ length: MAX_CALLS }, () => api.routes("held", new URLSearchParams({ gate: name })));
    const refused = await api.routes("double", new URLSearchParams({ n: "1" }));
    expect(refused).toMatchObject({ status: 503, headers: { "retry-after": "1" }, body: { error: expect.stringContaining("busy") } });
    open();
    const answers = await Promise.all(held);
    expect(answers.every((answer) => answer?.status === 200)).toBe(true);
    expect(await api.routes("double", new URLSearchParams({ n: "4" }))).toEqual({ status: 200, body: [{ doubled: 8 }] });
  }, 60_000);

  it("answers a handler's queries run at once each with its own rows, in whatever order they finish", async () => {
    const api = await start();
    expect(await api.routes("both", new URLSearchParams())).toEqual({
      status: 200,
      body: { slow: [{ which: "slow" }, { which: "slow" }, { which: "slow" }], fast: [{ which: "fast" }] },
    });
  });

  it("keeps the protocol when the app writes to the real stdout (a stray protocol line is logged), and sends a result with a lone surrogate", async () => {
    const api = await start();
    expect(await api.routes("noisy", new URLSearchParams())).toEqual({ status: 200, body: { rows: [{ one: 1 }], text: "lone \ud800 surrogate" } });
    // The app's writes come on stderr, their own pipe: maybe after the answer, and in chunks of its own,
    // between which the stray line from the protocol's pipe may be logged.
    await vi.waitFor(() => expect(logged.filter((text) => text !== "out of step\n").join("")).toContain("not the protocol nor this "), { timeout: 15_000 });
    await vi.waitFor(() => expect(logged).toContain("out of step\n"), { timeout: 15_000 });
  });

  it("a query whose rows cannot be sent to the worker fails in the handler (a 500), not the server", async () => {
    const unsendable: ClickHouseDriver = { ...driver, queryCompact: async () => ({ columns: [{ name: "big", type: "Int64" }], rows: [[1n]] }) };
    const api = await start(unsendable);
    expect(await api.routes("rows", new URLSearchParams())).toEqual({ status: 500, body: { error: "the handler of /api/rows failed" } });
    await vi.waitFor(() => expect(logged.join("")).toMatch(/QueryError: .*BigInt/));
  });

  it("a failed query raises moose_ts.client's QueryError, which the handler can catch", async () => {
    const api = await start();
    expect(await api.routes("caught", new URLSearchParams())).toEqual({ status: 200, body: { caught: true } });
  });

  it("a handler that exits the interpreter is a 500 for its request; the worker goes on", async () => {
    const api = await start();
    expect(await api.routes("leave", new URLSearchParams())).toEqual({ status: 500, body: { error: "the handler of /api/leave failed" } });
    await vi.waitFor(() => expect(logged.join("")).toContain("API_HANDLER_FAILED: /api/leave"));
    expect(await api.routes("double", new URLSearchParams({ n: "5" }))).toEqual({ status: 200, body: [{ doubled: 10 }] });
  });

  it("stopped with no call in progress, it ends as a Python program does (the app's atexit handlers run)", async () => {
    rmSync(path.join(projectDir, "exited-cleanly"), { force: true });
    const api = await start();
    expect(await api.routes("double", new URLSearchParams({ n: "1" }))).toMatchObject({ status: 200 });
    await api.close();
    worker = undefined;
    expect(existsSync(path.join(projectDir, "exited-cleanly"))).toBe(true);
  });

  it("takes no notice of Ctrl-C in moose's terminal (SIGINT reaches the whole group): no KeyboardInterrupt, it ends when moose closes it", async () => {
    rmSync(path.join(projectDir, "exited-cleanly"), { force: true });
    const api = await start();
    const pid = Number(readFileSync(path.join(projectDir, "worker.pid"), "utf8"));
    process.kill(pid, "SIGINT");
    expect(await api.routes("double", new URLSearchParams({ n: "3" }))).toEqual({ status: 200, body: [{ doubled: 6 }] });
    await api.close();
    worker = undefined;
    expect(existsSync(path.join(projectDir, "exited-cleanly"))).toBe(true);
    expect(logged.join("")).not.toContain("KeyboardInterrupt");
  });

  it("stopped, it answers the calls in progress", async () => {
    const api = await start();
    const { name } = gate();
    const waiting = api.routes("held", new URLSearchParams({ gate: name }));
    expect(await api.routes("double", new URLSearchParams({ n: "1" }))).toMatchObject({ status: 200 });
    await api.close();
    worker = undefined;
    expect(await waiting).toEqual({ status: 500, body: { error: "the Python worker stopped while serving /api/held" } });
  });
});

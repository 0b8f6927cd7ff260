/**
 * The Python Api worker (src/server/python-worker.ts, python/_moose_ts_worker.py) with the machine's
 * Python and the embedded engine: calls run at the same time (a handler that waits holds up no
 * other, and each handler's queries come back to it), a flood past MAX_CALLS is refused at once
 * with a 503 instead of queueing, a handler that exits the interpreter is a 500 for its request
 * only, and stopping the worker answers the calls in progress.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import type { ApiSpec } from "../../../src/manifest/types.js";
import type { Reply } from "../../../src/server/http.js";
import { MAX_CALLS, startPythonApiWorker, type PythonApiWorker } from "../../../src/server/python-worker.js";
import { testPython } from "../../helpers/python.js";

const APP = `import os
import sys
import time

from pydantic import BaseModel

from moose_ts import Api


class Gate(BaseModel):
    gate: str = "open"


class Number(BaseModel):
    n: int = 0


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


Api[Gate, dict]("held", held)
Api[Number, list[dict]]("double", double)
Api[Number, list[dict]]("leave", leave)
`;

const projectDir = mkdtempSync(path.join(tmpdir(), "moose-python-worker-"));
const spec = (name: string, params: Record<string, unknown>): ApiSpec => ({ name, path: name, params: { type: "object", properties: params }, result: {} });
const APIS = { held: spec("held", { gate: { type: "string" } }), double: spec("double", { n: { type: "integer" } }), leave: spec("leave", { n: { type: "integer" } }) };
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

async function start(): Promise<PythonApiWorker> {
  worker = await startPythonApiWorker({ projectDir, apis: APIS, driver, log: (text) => logged.push(text) });
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
  it("answers other calls, with their own queries, while a handler waits", async () => {
    const api = await start();
    const { name, open } = gate();
    const waiting = api.routes("held", new URLSearchParams({ gate: name }));
    const waitingState = settled(waiting);
    for (const n of [1, 2, 3]) {
      expect(await api.routes("double", new URLSearchParams({ n: String(n) }))).toEqual({ status: 200, body: [{ doubled: String(n * 2) }] });
    }
    expect(waitingState.done).toBe(false);
    open();
    expect(await waiting).toEqual({ status: 200, body: { before: [{ n: "1" }], after: [{ n: "2" }] } });
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
    expect(await api.routes("double", new URLSearchParams({ n: "4" }))).toEqual({ status: 200, body: [{ doubled: "8" }] });
  }, 60_000);

  it("a handler that exits the interpreter is a 500 for its request; the worker goes on", async () => {
    const api = await start();
    expect(await api.routes("leave", new URLSearchParams())).toEqual({ status: 500, body: { error: "the handler of /api/leave failed" } });
    expect(logged.join("")).toContain("API_HANDLER_FAILED: /api/leave");
    expect(await api.routes("double", new URLSearchParams({ n: "5" }))).toEqual({ status: 200, body: [{ doubled: "10" }] });
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

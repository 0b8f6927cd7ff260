/**
 * A Python app's WebApps (python/moose_ts/web_app.py, python/_moose_ts_webapps.py) served by the moose
 * server through the Python worker, with the machine's Python, a real FastAPI app and the embedded
 * engine: the path below the mount, query strings, bodies and headers both ways, `get_moose_utils`
 * querying with bound values (also an Api handler's query-builder query), the request's JWT claims (and an Api handler's `jwt` parameter), the app's lifespan, a handler that raises (the
 * server's generic 500), `inject_moose_utils=False`, and a plain ASGI callable beside FastAPI.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createPublicKey } from "node:crypto";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { extractManifest } from "../../../src/extract/index.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { logFilePath } from "../../../src/logs/logger.js";
import { startMooseServer, type RunningServer } from "../../../src/server/http.js";
import { startPythonApiWorker, type PythonApiWorker } from "../../../src/server/python-worker.js";
import { pythonWebAppRouter } from "../../../src/server/web-apps.js";
import { testIssuer } from "../../helpers/jwt.js";
import { testPython } from "../../helpers/python.js";

const APP = `import asyncio
import sys

from fastapi import Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel
from contextlib import asynccontextmanager

from moose_ts.dmv2 import Api, Key, MooseModel, OlapTable, WebApp, WebAppConfig, WebAppMetadata
from moose_ts.query_builder import Query, and_, col, or_
from moose_ts.dmv2.web_app_helpers import ApiUtil, get_moose_dependency, get_moose_utils

started = []


@asynccontextmanager
async def lifespan(app):
    started.append("yes")
    yield


shop = FastAPI(lifespan=lifespan)


class Order(BaseModel):
    id: int
    note: str


@shop.get("/orders")
def orders(request: Request, status: str):
    moose = get_moose_utils(request)
    rows = moose.client.query.execute("SELECT id FROM orders WHERE status = {status} ORDER BY id", {"status": status})
    return {"ids": [int(row["id"]) for row in rows], "path": request.url.path}


@shop.get("/count")
async def count(moose: ApiUtil = Depends(get_moose_dependency())):
    rows = moose.client.query.execute(moose.sql("SELECT count() AS n FROM orders WHERE id > {above}", above=1))
    return {"n": int(rows[0]["n"])}


@shop.post("/orders/{order_id}")
def create(order_id: int, order: Order, request: Request):
    return PlainTextResponse(f"{order_id}:{order.note}:{request.headers.get('x-tag')}", status_code=201, headers={"x-made": "yes"})


class NoParams(BaseModel):
    pass


def claims(client, params: NoParams, jwt=None):
    return {"org": (jwt or {}).get("org_id")}


claims_api = Api[NoParams, dict]("claims", claims)


def claims_positional(client, params: NoParams, user=None):
    return {"org": (user or {}).get("org_id")}


Api[NoParams, dict]("claims_positional", claims_positional)


class OrderRow(MooseModel):
    id: Key[int]
    status: str


orders_table = OlapTable[OrderRow]("orders")


class Listing(BaseModel):
    status: str
    above: int = 0


def listing(client, params: Listing):
    built = (Query().from_(orders_table).select(OrderRow.id, orders_table.cols.status)
             .where(and_(col(OrderRow.status).eq(params.status), or_(col(OrderRow.id).gt(params.above), col(OrderRow.id).is_null())))
             .order_by((OrderRow.id, "desc")).limit(10))
    written = client.query.execute(f"SELECT count() AS n FROM {{table}} WHERE {OrderRow.status:col} = {{status}}",
                                   {"table": orders_table, "status": params.status})
    return {"built": [int(row["id"]) for row in client.query.execute(built)], "written": int(written[0]["n"])}


listing_api = Api[Listing, dict]("listing", listing)


@shop.get("/whoami")
def whoami(request: Request):
    moose = get_moose_utils(request)
    return {"org": (moose.jwt or {}).get("org_id"), "started": started}


@shop.get("/big")
def big():
    # The cap, lowered for the test (64 MiB in use).
    import _moose_ts_webapps
    _moose_ts_webapps.MAX_REPLY_BYTES = 100_000
    return PlainTextResponse("x" * 200_000)


cancelled = []


@shop.get("/slow")
async def slow(seconds: float):
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        cancelled.append(seconds)
        raise
    return {"slept": seconds}


@shop.get("/cancelled")
def cancelled_count():
    return {"cancelled": len(cancelled)}


@shop.get("/exit")
async def leave():
    sys.exit(3)


@shop.get("/exit-sync")
def leave_sync():
    raise SystemExit(2)


@shop.get("/headers")
def headers(request: Request):
    return {"headers": [[name, value] for name, value in request.headers.items() if name in ("transfer-encoding", "content-length", "authorization")]}


@shop.get("/framing")
def framing():
    return Response("hello world, longer than five", headers={"content-length": "5", "transfer-encoding": "chunked", "x-kept": "1"})


@shop.get("/interim")
def interim():
    return Response("", status_code=103)


@shop.get("/bad-header")
def bad_header():
    return Response("x", headers={"x-split": "a\\r\\nset-cookie: stolen=1"})


@shop.get("/slowsync")
def slowsync(seconds: float):
    import time
    time.sleep(seconds)
    return {"slept": seconds}


@shop.get("/cookies")
def cookies():
    response = Response("", status_code=200)
    response.set_cookie("a", "1")
    response.set_cookie("b", "2")
    return response


@shop.get("/nocontent")
def nocontent():
    return Response("ignored", status_code=204)


class Weird(Exception):
    def __str__(self):
        raise RuntimeError("no text")


@shop.get("/weird")
def weird():
    raise Weird()


async def after(scope, receive, send):
    """A bare ASGI app that keeps sending after its last body part."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"first"})
    await send({"type": "http.response.body", "body": b"second"})


@shop.get("/boom")
def boom():
    raise RuntimeError("secret internals: password=hunter2")


async def raw(scope, receive, send):
    """A plain ASGI app, without moose's utilities."""
    if scope["type"] != "http":
        return
    await receive()
    body = f"{scope['path']}?{scope['query_string'].decode()} moose={'moose' in scope.get('state', {})}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})


WebApp("shop", shop, WebAppConfig(mount_path="/shop", metadata=WebAppMetadata(description="orders")))
WebApp("raw", raw, WebAppConfig(mount_path="/shop/raw", inject_moose_utils=False))
WebApp("after", after, WebAppConfig(mount_path="/after"))
`;

const projectDir = mkdtempSync(path.join(tmpdir(), "moose-python-webapps-"));
const issuer = testIssuer();
let driver: ClickHouseDriver;
let worker: PythonApiWorker;
let server: RunningServer;

beforeAll(async () => {
  process.env.MOOSE_PYTHON = testPython();
  mkdirSync(path.join(projectDir, "app"));
  writeFileSync(path.join(projectDir, "app", "main.py"), APP);
  writeFileSync(path.join(projectDir, "moose.config.toml"), `language = "Python"\n`);
  driver = await openEmbedded({ dataDir: path.join(projectDir, ".moose", "clickhouse"), database: "local" });
  await driver.exec("CREATE TABLE orders (id UInt32, status String) ENGINE = MergeTree ORDER BY id");
  await driver.exec("INSERT INTO orders VALUES (1, 'paid'), (2, 'open'), (3, 'paid')");
  const { apis } = await extractManifest({ projectDir });
  worker = await startPythonApiWorker({ projectDir, apis, components: { tables: {}, streams: {} }, driver, log: () => {} });
  server = await startMooseServer({
    host: "127.0.0.1",
    port: 0,
    projectDir,
    adminApiKey: "",
    apiAuth: { ingest: { enforceJwt: false }, consumption: { jwt: { key: createPublicKey(issuer.env.MOOSE_JWT_PUBLIC_KEY), issuer: issuer.env.MOOSE_JWT_ISSUER, audience: issuer.env.MOOSE_JWT_AUDIENCE }, enforceJwt: false } },
    health: async () => ({ clickhouse: "ok" }),
    consumption: (apiPath, query, caller) => worker.routes(apiPath, query, caller),
    admin: async () => undefined,
    webApps: pythonWebAppRouter(worker),
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await worker?.close();
  await driver?.close();
  rmSync(projectDir, { recursive: true, force: true });
});

describe("a Python app's WebApps", () => {
  it("run requests as tasks of one event loop (no thread held while one waits); a client that goes away cancels its task", async () => {
    const started = performance.now();
    const replies = await Promise.all(Array.from({ length: 24 }, () => fetch(`${server.url}/shop/slow?seconds=0.5`).then((response) => response.json())));
    expect(replies).toEqual(Array.from({ length: 24 }, () => ({ slept: 0.5 })));
    // 24 at once, more than the worker's 16 Api threads: one round of half a second, not two.
    expect(performance.now() - started).toBeLessThan(5_000);
    const gone = Array.from({ length: 20 }, () => new AbortController());
    const hanging = gone.map((controller) => fetch(`${server.url}/shop/slow?seconds=3600`, { signal: controller.signal }).catch(() => "aborted"));
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const controller of gone) controller.abort();
    expect(await Promise.all(hanging)).toEqual(Array.from({ length: 20 }, () => "aborted"));
    await expect.poll(async () => ((await (await fetch(`${server.url}/shop/cancelled`)).json()) as { cancelled: number }).cancelled, { timeout: 5_000 }).toBe(20);
    expect((await fetch(`${server.url}/shop/orders?status=paid`)).status).toBe(200);
  });

  it("a request whose client went away counts against the worker's cap until its work has ended", async () => {
    const gone = Array.from({ length: 64 }, () => new AbortController());
    const abandoned = gone.map((controller) => fetch(`${server.url}/shop/slowsync?seconds=1.5`, { signal: controller.signal }).catch(() => "aborted"));
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const controller of gone) controller.abort();
    await Promise.all(abandoned);
    expect((await fetch(`${server.url}/shop/orders?status=paid`)).status).toBe(503);
    await expect.poll(async () => (await fetch(`${server.url}/shop/orders?status=paid`)).status, { timeout: 20_000, interval: 200 }).toBe(200);
  });

  it("keeps a repeated header's every value, sends no length with a 204, and answers what the app got wrong with a 500", async () => {
    const cookies = await fetch(`${server.url}/shop/cookies`);
    expect(cookies.headers.getSetCookie().map((cookie) => cookie.split(";")[0])).toEqual(["a=1", "b=2"]);
    const empty = await fetch(`${server.url}/shop/nocontent`);
    expect(empty.status).toBe(204);
    expect(empty.headers.get("content-length")).toBeNull();
    // An exception whose text cannot be read, a body part after the last one.
    expect((await fetch(`${server.url}/shop/weird`)).status).toBe(500);
    expect((await fetch(`${server.url}/after`)).status).toBe(500);
  });

  it("a lifespan startup that blocks the event loop stops the worker's start with WEB_APP_STARTUP_FAILED, not forever", async () => {
    const stuck = mkdtempSync(path.join(tmpdir(), "moose-python-webapps-stuck-"));
    try {
      mkdirSync(path.join(stuck, "app"));
      writeFileSync(path.join(stuck, "moose.config.toml"), `language = "Python"\n`);
      writeFileSync(
        path.join(stuck, "app", "main.py"),
        `import time
from contextlib import asynccontextmanager
from fastapi import FastAPI
import _moose_ts_webapps
from moose_ts import WebApp, WebAppConfig

_moose_ts_webapps.LIFESPAN_TIMEOUT_S = 1  # 30 s in use


@asynccontextmanager
async def lifespan(app):
    time.sleep(3600)
    yield


WebApp("stuck", FastAPI(lifespan=lifespan), WebAppConfig(mount_path="/stuck"))
`,
      );
      const started = performance.now();
      await expect(startPythonApiWorker({ projectDir: stuck, apis: {}, components: { tables: {}, streams: {} }, driver, log: () => {} })).rejects.toMatchObject({ code: "WEB_APP_STARTUP_FAILED" });
      expect(performance.now() - started).toBeLessThan(15_000);
    } finally {
      rmSync(stuck, { recursive: true, force: true });
    }
  });

  it("a route raising SystemExit is that request's 500; the WebApps keep serving", async () => {
    for (const path of ["/shop/exit", "/shop/exit-sync", "/shop/exit"]) expect((await fetch(`${server.url}${path}`)).status).toBe(500);
    expect(await (await fetch(`${server.url}/shop/orders?status=paid`)).json()).toMatchObject({ ids: [1, 3] });
  });

  it("frame requests and replies themselves: the app's framing headers are dropped, a 1xx or a header with a line break is a 500", async () => {
    const framed = await fetch(`${server.url}/shop/framing`);
    expect(framed.headers.get("content-length")).toBe(String("hello world, longer than five".length));
    expect(framed.headers.get("transfer-encoding")).toBeNull();
    expect(framed.headers.get("x-kept")).toBe("1");
    expect(await framed.text()).toBe("hello world, longer than five");
    expect((await fetch(`${server.url}/shop/interim`)).status).toBe(500);
    const split = await fetch(`${server.url}/shop/bad-header`);
    expect(split.status).toBe(500);
    expect(split.statusText).toBe("Internal Server Error");
    expect(split.headers.get("set-cookie")).toBeNull();
    // The app gets the body whole (its length, no transfer-encoding) and the one Authorization header the server checked.
    const token = await issuer.sign({ org_id: "acme" });
    const { port } = new URL(server.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () =>
        socket.write(`GET /shop/headers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nAuthorization: Bearer other\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`),
      );
      let text = "";
      socket.on("data", (chunk) => (text += chunk.toString()));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4)), raw).toEqual({ headers: [["authorization", `Bearer ${token}`], ["content-length", "0"]] });
  });

  it("the worker names them", () => {
    expect(worker.webApps).toEqual([
      { name: "shop", mountPath: "/shop" },
      { name: "raw", mountPath: "/shop/raw" },
      { name: "after", mountPath: "/after" },
    ]);
  });

  it("serve FastAPI routes below the mount, querying through get_moose_utils with bound values", async () => {
    const response = await fetch(`${server.url}/shop/orders?status=paid`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ids: [1, 3], path: "/orders" });
    // A value that would end the string in SQL text stays a value.
    expect(await (await fetch(`${server.url}/shop/orders?status=${encodeURIComponent("paid' OR '1'='1")}`)).json()).toMatchObject({ ids: [] });
    expect(await (await fetch(`${server.url}/shop/count`)).json()).toEqual({ n: 2 });
    // FastAPI's own validation: a missing parameter is its 422.
    expect((await fetch(`${server.url}/shop/orders`)).status).toBe(422);
  });

  it("carry bodies, headers and statuses both ways; the longest mount takes its own requests", async () => {
    const created = await fetch(`${server.url}/shop/orders/7`, { method: "POST", headers: { "content-type": "application/json", "x-tag": "t1" }, body: JSON.stringify({ id: 7, note: "ünïcode" }) });
    expect(created.status).toBe(201);
    expect(created.headers.get("x-made")).toBe("yes");
    expect(await created.text()).toBe("7:ünïcode:t1");
    const raw = await fetch(`${server.url}/shop/raw/a%20b?x=1`);
    expect(await raw.text()).toBe("/a b?x=1 moose=False");
  });

  it("give the request's JWT claims to get_moose_utils, after the app's lifespan started", async () => {
    expect(await (await fetch(`${server.url}/shop/whoami`)).json()).toEqual({ org: null, started: ["yes"] });
    const signed = await fetch(`${server.url}/shop/whoami`, { headers: { authorization: `Bearer ${await issuer.sign({ org_id: "acme" })}` } });
    expect(await signed.json()).toEqual({ org: "acme", started: ["yes"] });
  });

  it("run an Api handler's query-builder query and an f-string with a MooseModel's columns, every value bound", async () => {
    expect(await (await fetch(`${server.url}/api/listing?status=paid&above=1`)).json()).toEqual({ built: [3], written: 2 });
    expect(await (await fetch(`${server.url}/api/listing?status=${encodeURIComponent("paid' OR 1=1 --")}`)).json()).toEqual({ built: [], written: 0 });
  });

  it("give an Api handler with a `jwt` parameter the request's claims, None without a token; a third positional parameter too", async () => {
    expect(await (await fetch(`${server.url}/api/claims`)).json()).toEqual({ org: null });
    const signed = await fetch(`${server.url}/api/claims`, { headers: { authorization: `Bearer ${await issuer.sign({ org_id: "acme" })}` } });
    expect(await signed.json()).toEqual({ org: "acme" });
    // As MooseStack's runner: a third positional parameter of any name gets the claims when there are some.
    expect(await (await fetch(`${server.url}/api/claims_positional`)).json()).toEqual({ org: null });
    const token = { authorization: `Bearer ${await issuer.sign({ org_id: "acme" })}` };
    expect(await (await fetch(`${server.url}/api/claims_positional`, { headers: token })).json()).toEqual({ org: "acme" });
  });

  it("answer a handler that raises with the server's 500 and the request id; the error goes to the log only", async () => {
    const response = await fetch(`${server.url}/shop/boom`);
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: string; requestId: string };
    expect(body.requestId).toBe(response.headers.get("x-request-id"));
    expect(JSON.stringify(body)).not.toContain("hunter2");
    expect((await fetch(`${server.url}/shop/orders?status=open`)).status).toBe(200);
    const log = readFileSync(logFilePath(projectDir), "utf8");
    expect(log).toContain("secret internals");
    expect(log).toMatch(/"message":"GET \/shop\/boom → 500"/);
    // A reply past the cap (it crosses the worker's pipe whole) is a 500 too, with the reason in the log.
    expect((await fetch(`${server.url}/shop/big`)).status).toBe(500);
    expect(readFileSync(logFilePath(projectDir), "utf8")).toContain("the reply is larger than 100000 bytes");
  });
});

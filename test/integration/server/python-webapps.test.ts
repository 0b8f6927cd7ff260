/**
 * A Python app's WebApps (python/moose_ts/web_app.py, python/_moose_ts_webapps.py) served by the moose
 * server through the Python worker, with the machine's Python, a real FastAPI app and the embedded
 * engine: the path below the mount, query strings, bodies and headers both ways, `get_moose_utils`
 * querying with bound values, the request's JWT claims, the app's lifespan, a handler that raises (the
 * server's generic 500), `inject_moose_utils=False`, and a plain ASGI callable beside FastAPI.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createPublicKey } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { logFilePath } from "../../../src/logs/logger.js";
import { startMooseServer, type RunningServer } from "../../../src/server/http.js";
import { startPythonApiWorker, type PythonApiWorker } from "../../../src/server/python-worker.js";
import { pythonWebAppRouter } from "../../../src/server/web-apps.js";
import { testIssuer } from "../../helpers/jwt.js";
import { testPython } from "../../helpers/python.js";

const APP = `from fastapi import Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel
from contextlib import asynccontextmanager

from moose_ts.dmv2 import WebApp, WebAppConfig, WebAppMetadata
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
  worker = await startPythonApiWorker({ projectDir, apis: {}, components: { tables: {}, streams: {} }, driver, log: () => {} });
  server = await startMooseServer({
    host: "127.0.0.1",
    port: 0,
    projectDir,
    adminApiKey: "",
    apiAuth: { ingest: { enforceJwt: false }, consumption: { jwt: { key: createPublicKey(issuer.env.MOOSE_JWT_PUBLIC_KEY), issuer: issuer.env.MOOSE_JWT_ISSUER, audience: issuer.env.MOOSE_JWT_AUDIENCE }, enforceJwt: false } },
    health: async () => ({ clickhouse: "ok" }),
    consumption: async () => undefined,
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
  it("the worker names them", () => {
    expect(worker.webApps).toEqual([
      { name: "shop", mountPath: "/shop" },
      { name: "raw", mountPath: "/shop/raw" },
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

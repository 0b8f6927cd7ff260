/**
 * WebApps served by the moose server (src/server/web-apps.ts through src/server/http.ts): a raw
 * handler and a real Express 5 app beside the server's own routes, with `req.moose` querying the
 * embedded engine.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { logFilePath } from "../../../src/logs/logger.js";
import { getMooseUtilsFromRequest, WebApp, type ExpressRequestWithMoose } from "../../../src/sdk/web-app.js";
import { getRegistry } from "../../../src/sdk/registry.js";
import { sql } from "../../../src/sdk/sql.js";
import { createMooseClient } from "../../../src/server/client.js";
import { startMooseServer, type RunningServer } from "../../../src/server/http.js";
import { webAppRouter } from "../../../src/server/web-apps.js";
import { useEmbeddedDatabase } from "../../helpers/clickhouse.js";

const driver = useEmbeddedDatabase("web_apps");
const projectDir = mkdtempSync(join(tmpdir(), "moose-web-apps-"));
let server: RunningServer;

type Request = IncomingMessage & ExpressRequestWithMoose;

function buildWebApps(): WebApp[] {
  getRegistry().clear();
  const seen = (req: Request, res: ServerResponse) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ app: "raw", url: req.url, hasMoose: req.moose !== undefined }));
  };
  const shop = express();
  shop.use(express.json());
  shop.get("/orders", async (req, res) => {
    const { client } = getMooseUtilsFromRequest(req)!;
    const rows = await (await client.query.execute<{ id: number }>(sql`SELECT id FROM orders WHERE status = ${String(req.query.status)} ORDER BY id`)).json();
    res.json({ ids: rows.map((row) => Number(row.id)), originalUrl: req.originalUrl });
  });
  shop.post("/orders", (req, res) => {
    res.status(201).json({ created: req.body });
  });
  shop.get("/broken", async () => {
    throw new Error("the shop is broken");
  });
  return [
    new WebApp("raw", seen, { mountPath: "/raw" }),
    // A longer mount under another's path takes its own requests.
    new WebApp(
      "rawNested",
      (req: Request, res) => {
        res.end(`nested ${req.url} ${req.moose === undefined ? "without" : "with"} moose`);
      },
      { mountPath: "/raw/nested", injectMooseUtils: false },
    ),
    new WebApp("shop", shop, { mountPath: "/shop" }),
    new WebApp(
      "throws",
      (req) => {
        if (req.url === "/late") throw new Error("thrown synchronously");
        return Promise.reject(new Error("secret internals: password=hunter2"));
      },
      { mountPath: "/throws" },
    ),
    new WebApp(
      "halfway",
      (_req, res) => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("partial");
        throw new Error("failed after the headers");
      },
      { mountPath: "/halfway" },
    ),
  ];
}

beforeAll(async () => {
  const client = createMooseClient(driver());
  server = await startMooseServer({
    host: "127.0.0.1",
    port: 0,
    projectDir,
    adminApiKey: "",
    apiAuth: { ingest: { enforceJwt: false }, consumption: { enforceJwt: false } },
    health: async () => ({ clickhouse: "ok" }),
    consumption: async (path) => (path === "ping" ? { status: 200, body: "pong" } : undefined),
    admin: async () => undefined,
    webApps: webAppRouter(buildWebApps(), { client, sql }),
  });
});

beforeEach(async () => {
  await driver().exec("CREATE TABLE orders (id UInt32, status String) ENGINE = MergeTree ORDER BY id");
  await driver().exec("INSERT INTO orders VALUES (1, 'paid'), (2, 'open'), (3, 'paid')");
});

afterAll(async () => {
  await server.close();
  getRegistry().clear();
  rmSync(projectDir, { recursive: true, force: true });
});

describe("WebApps beside the server's routes", () => {
  it("hands a request to the app at its mount, with the path below the mount and the query kept", async () => {
    for (const [path, url] of [["/raw", "/"], ["/raw/", "/"], ["/raw/a/b?x=1&y=%20", "/a/b?x=1&y=%20"]] as const) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      expect(await response.json()).toEqual({ app: "raw", url, hasMoose: true });
    }
  });

  it("matches whole path segments and prefers the longest mount", async () => {
    expect(await (await fetch(`${server.url}/raw/nested/deeper?q=1`)).text()).toBe("nested /deeper?q=1 without moose");
    const sibling = await fetch(`${server.url}/rawer`);
    expect(sibling.status).toBe(404);
    expect(await sibling.json()).toEqual({ error: expect.stringContaining("no route /rawer") });
  });

  it("leaves the server's own routes to the server", async () => {
    expect(await (await fetch(`${server.url}/api/ping`)).text()).toBe("pong");
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it("serves an Express app whose handlers query through req.moose with bound parameters", async () => {
    const paid = await fetch(`${server.url}/shop/orders?status=paid`);
    expect(paid.headers.get("x-powered-by")).toBe("Express");
    expect(await paid.json()).toEqual({ ids: [1, 3], originalUrl: "/orders?status=paid" });
    // A value that would break a spliced query is only a parameter.
    expect(await (await fetch(`${server.url}/shop/orders?status=${encodeURIComponent("paid' OR '1'='1")}`)).json()).toMatchObject({ ids: [] });

    const created = await fetch(`${server.url}/shop/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ id: 4 }) });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ created: { id: 4 } });
    // An error Express would answer with its stack page is the server's generic 500; a client error keeps its status.
    const broken = await fetch(`${server.url}/shop/broken`);
    expect(broken.status).toBe(500);
    const body = await broken.text();
    expect(body).not.toContain("the shop is broken");
    expect(JSON.parse(body)).toMatchObject({ requestId: broken.headers.get("x-request-id") });
    expect(readFileSync(logFilePath(projectDir), "utf8")).toContain("the shop is broken");
    const malformed = await fetch(`${server.url}/shop/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: "{oops" });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: expect.stringContaining("JSON") });
    const none = await fetch(`${server.url}/shop/none?x=1`);
    expect(none.status).toBe(404);
    expect(await none.json()).toEqual({ error: 'WebApp "shop" has no route for GET /none?x=1' });
  });

  it("answers a handler that throws with a 500 naming the request id, logs the error, and keeps serving", async () => {
    for (const path of ["/throws/early", "/throws/late"]) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(500);
      const body = (await response.json()) as { error: string; requestId: string };
      expect(body.requestId).toBe(response.headers.get("x-request-id"));
      expect(body.error).not.toContain("hunter2");
    }
    const log = readFileSync(logFilePath(projectDir), "utf8");
    expect(log).toContain("secret internals");
    expect(log).toContain("thrown synchronously");
    expect(log).toMatch(/"message":"GET \/throws\/early → 500"/);

    // Past its headers the reply cannot become a 500: the connection is cut, not left hanging.
    await expect(fetch(`${server.url}/halfway`).then((response) => response.text())).rejects.toThrow();
    expect((await fetch(`${server.url}/raw`)).status).toBe(200);
  });
});

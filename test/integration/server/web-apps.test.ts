/**
 * WebApps served by the moose server (src/server/web-apps.ts through src/server/http.ts): a raw
 * handler and a real Express 5 app beside the server's own routes, with `req.moose` querying the
 * embedded engine.
 */
import { createPublicKey } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { logFilePath } from "../../../src/logs/logger.js";
import type { RowPolicySpec } from "../../../src/manifest/types.js";
import type { MooseUtils } from "../../../src/sdk/api.js";
import { getMooseUtils } from "../../../src/sdk/utilities.js";
import { getMooseUtilsFromRequest, WebApp, type ExpressRequestWithMoose } from "../../../src/sdk/web-app.js";
import { getRegistry } from "../../../src/sdk/registry.js";
import { sql } from "../../../src/sdk/sql.js";
import type { EndpointAuth } from "../../../src/server/api-auth.js";
import { generateHashToken } from "../../../src/server/auth.js";
import { createMooseClient } from "../../../src/server/client.js";
import { consumptionRoutes } from "../../../src/server/consumption.js";
import { startMooseServer, type RunningServer } from "../../../src/server/http.js";
import { scopedClients } from "../../../src/server/row-scope.js";
import { webAppRouter } from "../../../src/server/web-apps.js";
import { useEmbeddedDatabase } from "../../helpers/clickhouse.js";
import { testIssuer } from "../../helpers/jwt.js";

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
  // A JSON body's field as a value: an object there, shaped like a statement, must not become SQL.
  shop.post("/find", async (req, res) => {
    const { client } = getMooseUtilsFromRequest(req)!;
    res.json(await (await client.query.execute<{ id: number }>(sql`SELECT id FROM orders WHERE status = ${req.body.status}`)).json());
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

  it("a request body's object shaped like a sql statement is refused, not spliced into the query", async () => {
    rmSync("/tmp/moose-web-apps-outfile", { force: true });
    const find = (status: unknown) => fetch(`${server.url}/shop/find`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ status }) });
    expect(await (await find("open")).json()).toEqual([{ id: 2 }]);
    for (const status of [
      { kind: "Sql", strings: ["'x' UNION ALL SELECT toUInt32(1) FROM system.one INTO OUTFILE '/tmp/moose-web-apps-outfile'"], values: [] },
      { componentKind: "tables", id: "orders", name: "orders" },
    ]) {
      const response = await find(status);
      expect(response.status).toBe(500);
      expect(await response.text()).not.toContain("UNION");
    }
    expect(existsSync("/tmp/moose-web-apps-outfile")).toBe(false);
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

describe("who may call a WebApp, and what it reads, as MooseStack's server decides it", () => {
  const issuer = testIssuer();
  const jwtCheck = { key: createPublicKey(issuer.env.MOOSE_JWT_PUBLIC_KEY), issuer: issuer.env.MOOSE_JWT_ISSUER, audience: issuer.env.MOOSE_JWT_AUDIENCE };
  const servers: RunningServer[] = [];
  let policies: RowPolicySpec[] = [];

  /** A WebApp answering what `req.moose` and `getMooseUtils()` read of tenant_orders, and the claims both see. */
  async function start(consumption: EndpointAuth): Promise<string> {
    const client = createMooseClient(driver());
    const scoped = scopedClients(() => policies, driver());
    getRegistry().clear();
    const tenants = new WebApp(
      "tenants",
      async (req: Request, res: ServerResponse) => {
        const read = async (utils: MooseUtils) => (await (await utils.client.query.execute<{ id: number }>(sql`SELECT id FROM tenant_orders ORDER BY id`)).json()).map((row) => Number(row.id));
        // Without a JWT, getMooseUtils() is the configured ClickHouse's client (none in this test).
        const viaUtils = req.moose!.jwt ? await getMooseUtils() : undefined;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ viaRequest: await read(req.moose!), viaUtils: viaUtils ? await read(viaUtils) : null, org: req.moose!.jwt?.org_id ?? null, utilsOrg: viaUtils?.jwt?.org_id ?? null }));
      },
      { mountPath: "/tenants" },
    );
    const server = await startMooseServer({
      host: "127.0.0.1",
      port: 0,
      projectDir,
      adminApiKey: "",
      apiAuth: { ingest: { enforceJwt: false }, consumption },
      health: async () => ({ clickhouse: "ok" }),
      consumption: consumptionRoutes([], client, scoped),
      admin: async () => undefined,
      webApps: webAppRouter([tenants], { client, sql }, scoped),
      scoped,
    });
    servers.push(server);
    return server.url;
  }
  const get = async (url: string, token?: string) => {
    const response = await fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeEach(async () => {
    policies = [{ tables: ["tenant_orders"], column: "org_id", claim: "org_id" }];
    await driver().exec("CREATE TABLE tenant_orders (id UInt32, org_id String) ENGINE = MergeTree ORDER BY id");
    await driver().exec("INSERT INTO tenant_orders VALUES (1, 'acme'), (2, 'beta'), (3, 'acme')");
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  it("with row policies: only a valid JWT gets in, and req.moose and getMooseUtils() read its claims' rows", async () => {
    const { apiKeyHash, bearerToken } = generateHashToken();
    const url = await start({ apiKeyHash, jwt: jwtCheck, enforceJwt: false });
    expect(await get(`${url}/tenants`, await issuer.sign({ org_id: "acme" }))).toEqual({ status: 200, body: { viaRequest: [1, 3], viaUtils: [1, 3], org: "acme", utilsOrg: "acme" } });
    expect((await get(`${url}/tenants`, await issuer.sign({ org_id: "beta" }))).body).toMatchObject({ viaRequest: [2], viaUtils: [2] });
    // No token, the API key's token, a forged JWT: each would read every row, so each is refused, on /api too.
    const forged = `${(await issuer.sign({ org_id: "acme" })).slice(0, -4)}AAAA`;
    for (const token of [undefined, bearerToken, forged]) {
      for (const path of ["/tenants", "/api/anything"]) {
        const refused = await get(`${url}${path}`, token);
        expect(refused.status).toBe(401);
        expect(JSON.stringify(refused.body)).not.toContain("acme");
      }
    }
    // Without policies the same app is open again, and a JWT still gives its claims.
    policies = [];
    expect(await get(`${url}/tenants`)).toMatchObject({ status: 200, body: { viaRequest: [1, 2, 3], org: null } });
    expect(await get(`${url}/tenants`, await issuer.sign({ org_id: "beta" }))).toMatchObject({ status: 200, body: { viaRequest: [1, 2, 3], org: "beta", utilsOrg: "beta" } });
  });

  it("with row policies and no [jwt] configured, every /api and WebApp request is refused (403)", async () => {
    const url = await start({ enforceJwt: false });
    for (const path of ["/tenants", "/api/anything"]) {
      expect(await get(`${url}${path}`)).toEqual({ status: 403, body: { error: expect.stringContaining("[jwt] secret") } });
    }
  });

  it("enforce_on_all_consumptions_apis guards the WebApps too; an API key does not open them", async () => {
    policies = [];
    const { apiKeyHash, bearerToken } = generateHashToken();
    const url = await start({ apiKeyHash, jwt: jwtCheck, enforceJwt: true });
    expect((await get(`${url}/tenants`)).status).toBe(401);
    expect((await get(`${url}/tenants`, bearerToken)).status).toBe(401);
    expect(await get(`${url}/tenants`, await issuer.sign({ org_id: "acme" }))).toMatchObject({ status: 200, body: { viaRequest: [1, 2, 3], org: "acme" } });
  });
});

/**
 * MooseStack's SelectRowPolicy under `moose dev` (the built CLI on a copy of the quickstart): a
 * request's JWT claims choose the rows its Api handler reads, on the table and through a view that
 * reads it, as the ClickHouse server's restrictive row policies would; a table without a policy is
 * read whole; a token without the claim reads nothing; `getMooseUtils({ rlsContext })` is scoped the
 * same way (as the RLS user, through dev's ClickHouse endpoint), and that user only reads. While the
 * app has policies, a request without a valid JWT is refused. Removing the policy on a save unscopes
 * the requests.
 */
import { ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testIssuer } from "../helpers/jwt.js";
import { clickhouse, copyQuickstart, DevProcess, devEnv, freePorts, rows, DEV_TEST_TIMEOUT_MS, type DevPorts, type TestProject } from "./dev-process.js";

const issuer = testIssuer();

const POLICY = `
export const tenantIsolation = new SelectRowPolicy("tenant_isolation", { tables: [TenantEvents], column: "org_id", claim: "org_id" });
export const regionFilter = new SelectRowPolicy("region_filter", { tables: [TenantEvents], column: "region", claim: "region" });
`;

const APP_ADDITIONS = `
import { Api, getMooseUtils, SelectRowPolicy, View, sql, type Key } from "moose-ts";

interface TenantEvent {
  eventId: Key<string>;
  org_id: string;
  region: string;
}
interface PublicEvent {
  id: Key<string>;
}

export const TenantEvents = new OlapTable<TenantEvent>("TenantEvents", { orderByFields: ["eventId"] });
export const PublicEvents = new OlapTable<PublicEvent>("PublicEvents", { orderByFields: ["id"] });
export const perOrg = new View("TenantEventsPerOrg", sql\`SELECT org_id, count() AS events FROM \${TenantEvents} GROUP BY org_id\`, [TenantEvents]);
${POLICY}
export const tenantEvents = new Api<{}, { eventId: string }[]>("tenantEvents", async (_params, { client, sql }) =>
  (await client.query.execute<{ eventId: string }>(sql\`SELECT eventId FROM \${TenantEvents} ORDER BY eventId\`)).json());
export const eventsPerOrg = new Api<{}, { org_id: string; events: string }[]>("eventsPerOrg", async (_params, { client, sql }) =>
  (await client.query.execute<{ org_id: string; events: string }>(sql\`SELECT org_id, events FROM TenantEventsPerOrg ORDER BY org_id\`)).json());
export const publicEvents = new Api<{}, { id: string }[]>("publicEvents", async (_params, { client, sql }) =>
  (await client.query.execute<{ id: string }>(sql\`SELECT id FROM \${PublicEvents} ORDER BY id\`)).json());
interface ContextParams {
  org: string;
  region: string;
}
// getMooseUtils() in a handler serving a scoped request: the request's client, and its jwt.
export const viaUtils = new Api<{}, { rows: { eventId: string }[]; org: unknown }>("viaUtils", async () => {
  const { client, sql, jwt } = await getMooseUtils();
  const rows = await (await client.query.execute<{ eventId: string }>(sql\`SELECT eventId FROM \${TenantEvents} ORDER BY eventId\`)).json();
  return { rows, org: jwt?.org_id ?? null };
});
export const byContext = new Api<ContextParams, { eventId: string }[]>("byContext", async ({ org, region }) => {
  const { client, sql } = await getMooseUtils({ rlsContext: { org_id: org, region } });
  return (await client.query.execute<{ eventId: string }>(sql\`SELECT eventId FROM \${TenantEvents} ORDER BY eventId\`)).json();
});
`;

describe("row policies (moose dev)", () => {
  let project: TestProject;
  let ports: DevPorts;
  let dev: DevProcess;

  const api = async (path: string, claims?: Record<string, unknown>) => {
    const response = await fetch(`http://localhost:${ports.api}/api/${path}`, { headers: claims ? { authorization: `Bearer ${await issuer.sign(claims)}` } : {} });
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const ids = (body: unknown) => (body as { eventId: string }[]).map((row) => row.eventId);

  beforeAll(async () => {
    project = copyQuickstart();
    await project.write("app/index.ts", (await project.read("app/index.ts")) + APP_ADDITIONS);
    ports = await freePorts();
    dev = new DevProcess(project, devEnv(ports, { MOOSE_FEATURES__STREAMING_ENGINE: "false", ...issuer.env }));
    await dev.ready();
    const client = clickhouse(ports);
    await client.command({
      query: "INSERT INTO TenantEvents (eventId, org_id, region) VALUES ('a1', 'acme', 'eu'), ('a2', 'acme', 'us'), ('b1', 'beta', 'eu'), ('b2', 'beta', 'eu')",
    });
    await client.command({ query: "INSERT INTO PublicEvents (id) VALUES ('p1'), ('p2')" });
    await client.close();
  }, DEV_TEST_TIMEOUT_MS);

  afterAll(async () => {
    await dev?.stop();
    project?.remove();
  });

  it("a JWT's claims choose the rows; the policies on one table combine with AND; without a valid JWT nothing is read", async () => {
    expect(ids((await api("tenantEvents", { org_id: "acme", region: "eu" })).body)).toEqual(["a1"]);
    expect(ids((await api("tenantEvents", { org_id: "beta", region: "eu" })).body)).toEqual(["b1", "b2"]);
    expect(ids((await api("tenantEvents", { org_id: "acme", region: "apac" })).body)).toEqual([]);
    // [jwt] enforce_on_all_consumptions_apis is off, but with row policies a request needs a valid JWT (as in MooseStack):
    // no token, or one that is not a valid JWT (garbage, forged), is refused, not read as anonymous (every row).
    const refusedHeaders: Record<string, string>[] = [{}, { authorization: "Bearer not-a-jwt" }, { authorization: `Bearer ${(await issuer.sign({ org_id: "acme", region: "eu" })).slice(0, -4)}AAAA` }];
    for (const headers of refusedHeaders) {
      const refused = await fetch(`http://localhost:${ports.api}/api/tenantEvents`, { headers });
      expect(refused.status).toBe(401);
      // No row (each would carry its eventId) in the answer.
      expect(await refused.text()).not.toContain("eventId");
    }
  });

  it("through a view of the table, and a table without a policy is read whole", async () => {
    expect((await api("eventsPerOrg", { org_id: "beta", region: "eu" })).body).toEqual([{ org_id: "beta", events: "2" }]);
    expect((await api("publicEvents", { org_id: "beta", region: "eu" })).body).toEqual([{ id: "p1" }, { id: "p2" }]);
  });

  it("a token without a claim a policy needs reads nothing: the query fails", async () => {
    const mark = dev.mark();
    const missing = await api("tenantEvents", { org_id: "acme" });
    expect(missing.status).toBe(500);
    // The error and its request id, no rows (the id is random, so the body is matched by shape).
    expect(missing.body).toEqual({ error: expect.stringContaining("internal error"), requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    // The handler's error, on dev's terminal: the setting of the claim the token lacks.
    await dev.waitFor(/API_HANDLER_FAILED: GET \/api\/tenantEvents[^]*Unknown setting 'SQL_moose_rls_region'/, mark);
  });

  it("getMooseUtils() in a handler serving a request with a JWT gives that request's scoped client and claims", async () => {
    expect((await api("viaUtils", { org_id: "beta", region: "eu" })).body).toEqual({ rows: [{ eventId: "b1" }, { eventId: "b2" }], org: "beta" });
  });

  it("getMooseUtils({ rlsContext }) reads as the RLS user through the same policies", async () => {
    // The handler's own claims, not the caller's, choose the rows.
    expect(ids((await api("byContext?org=acme&region=us", { org_id: "beta", region: "eu" })).body)).toEqual(["a2"]);
    expect(ids((await api("byContext?org=beta&region=eu", { org_id: "acme", region: "us" })).body)).toEqual(["b1", "b2"]);
  });

  it("the RLS user only reads, and cannot lift the filters with settings of its own", async () => {
    const rls = createClient({ url: `http://127.0.0.1:${ports.clickhouse}`, username: "moose_rls_user", password: "pandapass", database: "local", log: { level: ClickHouseLogLevel.OFF } });
    try {
      await expect(rls.command({ query: "INSERT INTO TenantEvents (eventId, org_id, region) VALUES ('x', 'acme', 'eu')" })).rejects.toThrow(/row policies only/);
      await expect(rls.command({ query: "TRUNCATE TABLE TenantEvents" })).rejects.toThrow(/row policies only/);
      await expect(
        rows(rls, "SELECT eventId FROM TenantEvents", {}).then(() => undefined, (error: Error) => error.message),
      ).resolves.toMatch(/SQL_moose_rls_org_id|SQL_moose_rls_region/);
      const lifted = await rls
        .query({ query: "SELECT eventId FROM TenantEvents", format: "JSONEachRow", clickhouse_settings: { additional_table_filters: "{}" } as never })
        .then(() => "read", (error: Error) => error.message);
      expect(lifted).toMatch(/additional_table_filters/);
      // A table function reads the table other than by name: refused, as a server refuses its RLS user.
      const merged = await rls
        .query({ query: "SELECT eventId FROM merge(currentDatabase(), '^TenantEvents$')", format: "JSONEachRow", clickhouse_settings: { SQL_moose_rls_org_id: "beta", SQL_moose_rls_region: "eu" } as never })
        .then(() => "read", (error: Error) => error.message);
      expect(merged).toMatch(/CREATE TEMPORARY TABLE .*table function merge/);
      // Nor a file (the table's parts on disk, moose.config.toml), nor other queries' text.
      const scopedQuery = (query: string) =>
        rls.query({ query, format: "JSONEachRow", clickhouse_settings: { SQL_moose_rls_org_id: "beta", SQL_moose_rls_region: "eu" } as never }).then(() => "read", (error: Error) => error.message);
      expect(await scopedQuery("SELECT file('moose.config.toml') AS config")).toMatch(/file\(\) reads around the app's row policies/);
      expect(await scopedQuery("SELECT query FROM system.processes")).toMatch(/not a table of the app/);
      // Nor in another database than the app's, named by the request instead of the statement.
      for (const [query, headers] of [["?database=system", {}], ["", { "X-ClickHouse-Database": "system" }]] as const) {
        const inSystem = await fetch(`http://127.0.0.1:${ports.clickhouse}/${query}`, {
          method: "POST",
          body: "SELECT query FROM processes",
          headers: { authorization: `Basic ${Buffer.from("moose_rls_user:pandapass").toString("base64")}`, ...headers },
        });
        expect(inSystem.status).not.toBe(200);
        expect(await inSystem.text()).toMatch(/database "system" is not the app's/);
      }
      const scoped = await rls.query({ query: "SELECT eventId FROM TenantEvents ORDER BY eventId", format: "JSONEachRow", clickhouse_settings: { SQL_moose_rls_org_id: "beta", SQL_moose_rls_region: "eu" } as never });
      expect(((await scoped.json()) as { eventId: string }[]).map((row) => row.eventId)).toEqual(["b1", "b2"]);
    } finally {
      await rls.close();
    }
    const wrong = createClient({ url: `http://127.0.0.1:${ports.clickhouse}`, username: "moose_rls_user", password: "guess", database: "local", log: { level: ClickHouseLogLevel.OFF } });
    await expect(rows(wrong, "SELECT 1")).rejects.toThrow(/Authentication failed/);
    await wrong.close();
  });

  it("a save that removes the policies unscopes the requests", async () => {
    const mark = dev.mark();
    await project.write("app/index.ts", (await project.read("app/index.ts")).replace(POLICY, "\n"));
    expect(await dev.nextReload(mark)).toMatch(/✓ reload/);
    expect(ids((await api("tenantEvents", { org_id: "acme", region: "eu" })).body)).toEqual(["a1", "a2", "b1", "b2"]);
    // And a request without a token is let in again.
    expect(ids((await api("tenantEvents")).body)).toEqual(["a1", "a2", "b1", "b2"]);
    // As on a server, the RLS user is there while the app has row policies.
    const rls = createClient({ url: `http://127.0.0.1:${ports.clickhouse}`, username: "moose_rls_user", password: "pandapass", database: "local", log: { level: ClickHouseLogLevel.OFF } });
    await expect(rows(rls, "SELECT 1")).rejects.toThrow(/Authentication failed/);
    await rls.close();
  });
});

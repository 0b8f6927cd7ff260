/**
 * `moose prod --clickhouse-url` against a real ClickHouse server (Debian's 18.16 unless
 * MOOSE_TEST_CLICKHOUSE_URL names another): migrate at start, serve the fixture's API — on a server
 * too old for query parameters, values are bound client-side as typed literals, so the injection
 * attempts must still return nothing — and report out-of-band drift.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { extractManifest } from "../../../src/extract/index.js";
import { generateMigration } from "../../../src/migrations/generate.js";
import { generateHashToken } from "../../../src/server/auth.js";
import { startProdServer, type ProdServer } from "../../../src/server/prod.js";
import type { RealityReport } from "../../../src/server/reality-check.js";
import { serverExec, testServerUrl, withTestDatabase } from "../../helpers/clickhouse.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/app", import.meta.url));
const projectDir = mkdtempSync(join(tmpdir(), "moose-prod-remote-"));
const { bearerToken, apiKeyHash } = generateHashToken();
let testDb: Awaited<ReturnType<typeof withTestDatabase>>;
let server: ProdServer;

beforeAll(async () => {
  testDb = await withTestDatabase(await testServerUrl());
  cpSync(FIXTURE, projectDir, { recursive: true });
  const config = await loadConfig(projectDir, { MOOSE_AUTHENTICATION__ADMIN_API_KEY: apiKeyHash });
  const generated = await generateMigration({ projectDir, manifest: await extractManifest({ projectDir }), name: "init" });
  if (generated.kind !== "written") throw new Error(`expected a migration, got ${generated.kind}`);
  server = await startProdServer({ projectDir, config, clickhouse: { url: testDb.url }, port: 0, migrate: true });
  await serverExec(testDb.url, `INSERT INTO ${testDb.database}.Users (id, name, age) VALUES ('u1', 'ana', 31), ('u2', 'bo', 17)`);
}, 600_000);

afterAll(async () => {
  await server?.close();
  await testDb?.drop();
  rmSync(projectDir, { recursive: true, force: true });
});

const get = async (path: string) => {
  const response = await fetch(`${server.url}/api/${path}`);
  return { status: response.status, body: (await response.json()) as unknown };
};

describe("moose prod on a ClickHouse server", () => {
  it("serves the API with bound values", async () => {
    expect(await get("users?minAge=18")).toEqual({ status: 200, body: [{ id: "u1", name: "ana", age: 31 }] });
    expect(await get("users/2?minAge=0")).toEqual({ status: 200, body: { count: "2" } });
  });

  it("returns no extra rows for injection attempts", async () => {
    for (const attack of ["ana' OR '1'='1", "x' OR 1=1 --", "ana\\' OR 1=1 --", "'; DROP TABLE Users; --"]) {
      expect(await get(`users?name=${encodeURIComponent(attack)}`)).toEqual({ status: 200, body: [] });
    }
    expect((await get("users")).body).toHaveLength(2);
  });

  it("reports a column added out of band", async () => {
    const check = async () =>
      (await (await fetch(`${server.url}/admin/reality-check`, { headers: { authorization: `Bearer ${bearerToken}` } })).json()) as RealityReport;
    expect((await check()).status).toBe("in-sync");
    await serverExec(testDb.url, `ALTER TABLE ${testDb.database}.Users ADD COLUMN nickname Nullable(String)`);
    expect((await check()).discrepancies).toEqual([expect.objectContaining({ target: "Users", change: "addColumn" })]);
  });
});

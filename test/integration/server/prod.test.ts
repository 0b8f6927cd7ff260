/**
 * `moose prod` on a random port over the embedded engine, with the fixture app: the database-behind
 * check, --migrate, consumption APIs (validation, versions, injection), the admin API and its
 * authentication, reality check after an out-of-band ALTER TABLE, and a log without tokens.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import type { Config } from "../../../src/config/types.js";
import { ExitCode, MooseError } from "../../../src/errors.js";
import { extractManifest } from "../../../src/extract/index.js";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { logFilePath } from "../../../src/logs/logger.js";
import { emptyManifest, hashManifest, type Manifest } from "../../../src/manifest/index.js";
import { generateMigration } from "../../../src/migrations/generate.js";
import type { PlanJson } from "../../../src/plan/json.js";
import type { Sql } from "../../../src/sdk/sql.js";
import { generateHashToken } from "../../../src/server/auth.js";
import { createMooseClient } from "../../../src/server/client.js";
import { startProdServer, type ProdServer } from "../../../src/server/prod.js";
import type { RealityReport } from "../../../src/server/reality-check.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/app", import.meta.url));
const projectDir = mkdtempSync(join(tmpdir(), "moose-prod-"));
const dataDir = join(projectDir, ".moose", "clickhouse");
const { bearerToken, apiKeyHash } = generateHashToken();

let config: Config;
let manifest: Manifest;
let migrationId: string;
let server: ProdServer;
let driver: ClickHouseDriver;

const admin = (path: string, init: RequestInit = {}, token = bearerToken) =>
  fetch(`${server.url}/admin/${path}`, { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } });

beforeAll(async () => {
  cpSync(FIXTURE, projectDir, { recursive: true });
  config = await loadConfig(projectDir, { MOOSE_AUTHENTICATION__ADMIN_API_KEY: apiKeyHash });
  manifest = await extractManifest({ projectDir });
  const generated = await generateMigration({ projectDir, manifest, name: "init", now: new Date("2026-11-27T08:00:00Z") });
  if (generated.kind !== "written") throw new Error(`expected a migration, got ${generated.kind}`);
  migrationId = generated.id;
});

afterAll(async () => {
  await server?.close();
  await driver?.close();
  rmSync(projectDir, { recursive: true, force: true });
});

describe("moose prod start", () => {
  it("refuses an admin_api_key that is not a key hash before opening anything", async () => {
    const withToken = { ...config, authentication: { admin_api_key: bearerToken } };
    const error = await startProdServer({ projectDir, config: withToken, clickhouse: { embedded: true, dataDir }, port: 0 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "ADMIN_API_KEY_INVALID", config: { key: "authentication.admin_api_key" } });
    expect((error as MooseError).hint).toContain("not the bearer token");
  });

  it("refuses to start while migrations are pending, naming them (exit 4)", async () => {
    const error = await startProdServer({ projectDir, config, clickhouse: { embedded: true, dataDir }, port: 0 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MooseError);
    expect(error).toMatchObject({ code: "PROD_DATABASE_BEHIND", exitCode: ExitCode.conflict });
    expect((error as MooseError).message).toContain(migrationId);
    expect((error as MooseError).hint).toContain("--migrate");
  });

  it("applies them with --migrate and listens on a random port", async () => {
    server = await startProdServer({ projectDir, config, clickhouse: { embedded: true, dataDir }, port: 0, migrate: true });
    expect(server.applied).toEqual([migrationId]);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    driver = await openEmbedded({ dataDir, database: config.clickhouse_config.db_name });
    await driver.insert("Users", [
      { id: "u1", name: "ana", age: 31 },
      { id: "u2", name: "bo", age: 17 },
      { id: "u3", name: "cy", age: 45 },
    ]);
    const health = await fetch(`${server.url}/health`);
    expect(await health.json()).toEqual({ status: "ok", services: { clickhouse: "ok" } });
  });
});

describe("consumption APIs", () => {
  const get = async (path: string) => {
    const response = await fetch(`${server.url}/api/${path}`);
    return { status: response.status, body: (await response.json()) as unknown };
  };

  it("runs the handler with coerced params bound as query parameters", async () => {
    expect(await get("users?minAge=18")).toEqual({
      status: 200,
      body: [
        { id: "u1", name: "ana", age: 31 },
        { id: "u3", name: "cy", age: 45 },
      ],
    });
    expect((await get("users?name=bo")).body).toEqual([{ id: "u2", name: "bo", age: 17 }]);
    expect((await get("users?limit=1")).body).toHaveLength(1);
  });

  it("serves the versioned API at /api/<name>/<version>", async () => {
    expect(await get("users/2?minAge=30")).toEqual({ status: 200, body: { count: "2" } });
  });

  it("serves the same APIs at MooseStack's older prefix /consumption/<name>", async () => {
    const response = await fetch(`${server.url}/consumption/users/2?minAge=30`);
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { count: "2" } });
    const missing = await fetch(`${server.url}/consumption/nothing`);
    expect(missing.status).toBe(404);
  });

  it("answers 400 with every field error", async () => {
    const { status, body } = await get("users?minAge=old&limit=-1&color=red");
    expect(status).toBe(400);
    expect(body).toMatchObject({
      error: "invalid query parameters for /api/users",
      fields: expect.arrayContaining([
        expect.objectContaining({ field: "minAge" }),
        expect.objectContaining({ field: "limit" }),
      ]),
    });
    expect((await get("users?color=red&limit=1")).body).toHaveLength(1); // undeclared params are ignored
    expect(await get("users/2")).toMatchObject({ status: 400, body: { fields: [{ field: "minAge", message: "is required" }] } });
  });

  it("treats an injection attempt as a plain value: no extra rows", async () => {
    for (const attack of ["ana' OR '1'='1", "x' OR 1=1 --", "ana\\' OR 1=1 --", "'; DROP TABLE Users; --"]) {
      expect(await get(`users?name=${encodeURIComponent(attack)}`)).toEqual({ status: 200, body: [] });
    }
    expect((await get("users")).body).toHaveLength(3);
  });

  it("refuses a plain string query (only sql`…` binds values)", async () => {
    const client = createMooseClient(driver);
    await expect(client.query.execute("SELECT 1" as unknown as Sql)).rejects.toMatchObject({ code: "API_QUERY_NOT_SQL" });
  });

  it("answers 404 for an unknown API", async () => {
    expect((await get("nothing")).status).toBe(404);
  });
});

describe("admin API", () => {
  it("serves the applied manifest as canonical JSON with its hash", async () => {
    const response = await admin("inframap");
    expect(response.status).toBe(200);
    const applied = (await response.json()) as Manifest;
    expect(Object.keys(applied.tables)).toEqual(["Users"]);
    expect(Object.keys(applied.apis).sort()).toEqual(["users", "users/2"]);
    expect(response.headers.get("x-moose-manifest-hash")).toBe(hashManifest(manifest));
  });

  it("refuses a wrong, missing or malformed token with 401", async () => {
    expect((await admin("inframap", {}, generateHashToken().bearerToken)).status).toBe(401);
    expect((await fetch(`${server.url}/admin/inframap`)).status).toBe(401);
    expect((await admin("inframap", {}, "a.b.c")).status).toBe(401);
  });

  it("routes a target starting with // by its whole path: `//x/admin/inframap` is not the admin API", async () => {
    // A base-relative parse read `x` as a host and routed the rest, past a proxy guarding `/admin` by prefix.
    const authorized = { authorization: `Bearer ${bearerToken}` };
    expect((await fetch(`${server.url}//x/admin/inframap`, { headers: authorized })).status).toBe(404);
    expect((await fetch(`${server.url}//x/api/users`)).status).toBe(404);
    expect((await fetch(`${server.url}/admin/inframap`, { headers: authorized })).status).toBe(200);
  });

  it("plans a manifest against the applied state", async () => {
    const response = await admin("plan", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(emptyManifest()) });
    expect(response.status).toBe(200);
    const plan = (await response.json()) as PlanJson;
    expect(plan.from).toBe(hashManifest(manifest));
    expect(plan.hasDataLoss).toBe(true);
    expect(plan.operations.map((operation) => [operation.kind, operation.target])).toContainEqual(["dropTable", "Users"]);
  });

  it("refuses a plan body that is not a manifest", async () => {
    const response = await admin("plan", { method: "POST", body: JSON.stringify({ version: 7 }) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toContain("version 7");
  });

  it("reality check is in sync, then reports an out-of-band ALTER TABLE", async () => {
    const before = (await (await admin("reality-check")).json()) as RealityReport;
    expect(before).toMatchObject({ status: "in-sync", discrepancies: [] });
    expect(before.checked.kafka).toContain("streaming is disabled");

    await driver.exec("ALTER TABLE Users ADD COLUMN nickname Nullable(String)");
    const after = (await (await admin("reality-check")).json()) as RealityReport;
    expect(after.status).toBe("drift");
    expect(after.discrepancies).toEqual([expect.objectContaining({ target: "Users", change: "addColumn", summary: expect.stringContaining("nickname") })]);
  });

  it("never writes the token to the log", () => {
    const log = readFileSync(logFilePath(projectDir), "utf8");
    expect(log).toContain("/admin/inframap");
    expect(log).not.toContain(bearerToken);
    expect(log).not.toContain(bearerToken.split(".")[0]);
    expect(log).not.toContain(bearerToken.split(".")[1]);
  });
});

describe("code ahead of the migrations", () => {
  it("refuses to start when the code has changes no migration contains (exit 4)", async () => {
    const mainFile = join(projectDir, "app", "index.ts");
    writeFileSync(mainFile, readFileSync(mainFile, "utf8").replace("  age: UInt32;\n}", "  age: UInt32;\n  email: string;\n}"));
    const error = await startProdServer({ projectDir, config, clickhouse: { embedded: true, dataDir }, port: 0, migrate: true }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "PROD_CODE_NOT_MIGRATED", exitCode: ExitCode.conflict });
    expect((error as MooseError).message).toContain("email");
    expect((error as MooseError).hint).toContain("moose migrate generate");
  });
});

/**
 * MooseStack projects, unchanged but for the import (`@514labs/moose-lib` → `moose-ts`), through the
 * whole CLI: the project's own `tsc`, then `moose-cli build`, `plan`, `migrate generate`,
 * `migrate up --embedded`, `ls` and a final `plan`. The fixtures (test/fixtures/moosestack-*) are
 * in the shapes real MooseStack 0.6 projects have:
 *
 * - moosestack-cjs: CommonJS (no "type", no "module"), tsconfig with only strictNullChecks,
 *   esModuleInterop, `paths` and the compiler-plugin entries, TypeScript 5.9 and typia 10 of its own,
 *   extensionless imports, the MooseStack config keys moose-ts does not use, streaming off with
 *   streams, transforms and consumers in the code, typia tags, DeadLetterModel, Replicated/S3/Buffer/
 *   Merge engines, OlapTable.columns, Sql.append, WebApp (raw and Express, served by moose prod), query models, MooseCache, getMooseUtils, cliLog, …
 * - moosestack-esm: an ES module project with its code in src/ (`source_dir = "src"`).
 *
 * Each fixture is copied to a scratch folder beside it (its node_modules linked), so runs never
 * write into the fixture. Needs `npm run build` first and the workspace installed (`npm ci`).
 */
import { spawn } from "node:child_process";
import { createClient } from "@clickhouse/client";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../src/manifest/types.js";
import { testIssuer } from "../helpers/jwt.js";
import { REPO_ROOT, run, type RunResult } from "./scenarios/project.js";

const FIXTURES = path.join(REPO_ROOT, "test", "fixtures");
const scratch: string[] = [];

/** The test's environment without colours, and without a MOOSE_PROJECT_DIR the caller may have set. */
const ENV: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", MOOSE_PROJECT_DIR: "" };

/** A copy of the fixture (sources and config) beside it, its node_modules linked. */
function copyFixture(name: string): string {
  const source = path.join(FIXTURES, name);
  const dir = mkdtempSync(path.join(FIXTURES, `.run-${name}-`));
  scratch.push(dir);
  for (const entry of readdirSync(source)) {
    if (entry === "node_modules" || entry === ".moose" || entry === "migrations") continue;
    cpSync(path.join(source, entry), path.join(dir, entry), { recursive: true });
  }
  if (existsSync(path.join(source, "node_modules"))) symlinkSync(path.join(source, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

/** `moose-cli`, the MooseStack binary name, as the project's scripts call it. */
const mooseCli = (args: string[], cwd: string) => run(process.execPath, [path.join(REPO_ROOT, "node_modules", ".bin", "moose-cli"), ...args], { cwd, env: ENV });
/** The project's own tsc (TypeScript 5.9, not moose-ts's). */
const projectTsc = (cwd: string) => run(process.execPath, [path.join(cwd, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json", "--noEmit"], { cwd, env: ENV });

function ok(result: RunResult, what: string): RunResult {
  expect(result.code, `${what} failed:\n${result.stdout}\n${result.stderr}`).toBe(0);
  return result;
}

/** Runs `moose-cli prod --embedded` on a free port for the duration of `use`. */
async function withProd(cwd: string, use: (url: string) => Promise<void>, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, "node_modules", ".bin", "moose-cli"), "prod", "--embedded", "--port", "0"], {
    cwd,
    env: { ...ENV, ...env },
  });
  let output = "";
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`moose prod did not start:\n${output}`)), 60_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.on("close", (code) => reject(new Error(`moose prod exited (${code}):\n${output}`)));
    });
    await use(url);
  } finally {
    child.kill("SIGTERM");
    await closed;
  }
}

beforeAll(() => {
  if (!existsSync(path.join(REPO_ROOT, "dist", "types", "src", "sdk", "index.d.ts"))) throw new Error("dist/ is missing: run `npm run build` first");
  for (const name of ["moosestack-cjs", "moosestack-esm"]) {
    if (!existsSync(path.join(FIXTURES, name, "node_modules", "typescript"))) throw new Error(`test/fixtures/${name} is not installed: run \`npm ci\` at the repository root`);
  }
});

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe("a CommonJS MooseStack project with typia, paths and streaming off", () => {
  it("type-checks with its own tsc, then builds, plans, generates, applies to the embedded engine and lists", async () => {
    const dir = copyFixture("moosestack-cjs");
    const tsc = await projectTsc(dir);
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.code).toBe(0);

    const build = ok(await mooseCli(["build"], dir), "moose-cli build");
    expect(build.stdout).toMatch(/Built \.moose\/manifest\.json: 8 tables, 0 streams, 0 views, 1 materialized view, 1 API, 1 ingest API, 1 workflow/);
    // One warning lists the MooseStack keys that are accepted but not used.
    expect(build.stderr).toMatch(/accepted but not used by moose-ts: .*http_server_config\.management_port.*redis_config.*temporal_config.*supported_old_versions.*features\.ddl_plan/);
    expect(build.stderr).toContain("Streaming is disabled but 4 stream(s) found");
    // Transforms run (src/streams): no notice about them any more.
    expect(build.stderr).not.toContain("not run by moose-ts");
    // WebApps are served (below): no notice about them.
    expect(build.stderr).not.toContain("WebApp");

    const manifest = JSON.parse(readFileSync(path.join(dir, ".moose", "manifest.json"), "utf8")) as Manifest;
    const types = Object.fromEntries(manifest.tables.PageView!.columns.map((column) => [column.name, column.type]));
    expect(types).toMatchObject({
      eventId: "UUID",
      sessionSeconds: "UInt32",
      bytes: "Int64",
      ratio: "Float32",
      seenAt: "DateTime('UTC')",
      day: "Date32",
      ip: "IPv4",
      referrer: "String",
      flags: "Array(Int32)",
      small: "Int16",
      country: "LowCardinality(String)",
    });
    expect(manifest.tables.PageViewDeadLetter!.columns[0]).toMatchObject({ name: "originalRecord", type: "JSON" });
    expect(manifest.tables.PageViewEnriched!.engine).toEqual({ name: "ReplicatedMergeTree", params: ["'/clickhouse/tables/{database}/{table}'", "'{replica}'"] });
    // Streaming off: no topics, and the ingest API writes its table.
    expect(manifest.streams).toEqual({});
    expect(manifest.ingestApis.PageView!.destination).toBe("PageView");

    const plan = ok(await mooseCli(["plan"], dir), "moose-cli plan");
    expect(plan.stdout).toContain("+ PageViewEnriched (OLAP Table)");
    expect(plan.stdout).toContain("+ DailyViews_MV (Materialized View)");
    expect(plan.stdout).not.toMatch(/Topic/);

    ok(await mooseCli(["migrate", "generate", "--name", "initial"], dir), "migrate generate");
    const [file] = readdirSync(path.join(dir, "migrations")).filter((name) => name.endsWith("_initial.ts"));
    const migration = readFileSync(path.join(dir, "migrations", file!), "utf8");
    expect(migration).toContain("ENGINE = ReplicatedMergeTree('/clickhouse/tables/{database}/{table}', '{replica}')");
    expect(migration).toContain("ENGINE = S3('s3://example-bucket/page-views/*.json', 'JSONEachRow')");
    expect(migration).not.toMatch(/kafka:/);

    const up = ok(await mooseCli(["migrate", "up", "--embedded"], dir), "migrate up --embedded");
    expect(up.stdout).toMatch(/applied \(12 steps/);

    const ls = ok(await mooseCli(["ls"], dir), "moose-cli ls");
    const rows = ls.stdout.trim().split("\n").slice(1);
    expect(rows).toHaveLength(12);
    for (const row of rows) expect(row).toMatch(/\sapplied$/);

    const again = ok(await mooseCli(["plan"], dir), "second plan");
    expect(again.stdout).toContain("No changes.");

    // moose prod serves it: the ingest API writes the table (streaming is off), and the Api handler's
    // query (OlapTable.columns, Sql.append, typia-validated params) reads it back.
    await withProd(dir, async (url) => {
      const record = {
        eventId: "0b4a8c9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
        timestamp: "2026-01-01T00:00:00Z",
        url: "https://example.com/bot",
        sessionSeconds: 3,
        bytes: 10,
        ratio: 0.5,
        country: "NZ",
        referrer: "https://example.com",
        seenAt: "2026-01-01T00:00:00Z",
        day: "2026-01-01",
        ip: "1.2.3.4",
        flags: [1],
        small: 2,
        source: "web",
      };
      const ingest = await fetch(`${url}/ingest/PageView`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(record) });
      expect(ingest.status).toBe(200);
      const stats = await fetch(`${url}/api/stats?country=NZ&limit=5`);
      expect(await stats.json()).toEqual([{ url: "https://example.com/bot", views: "1" }]);

      // The WebApps: a raw handler, and an Express app (express.json, expressMiddleware, req.moose)
      // that sees the path below its mount and queries through the server's client.
      expect(await (await fetch(`${url}/health-app`)).json()).toEqual({ ok: true, table: "PageView" });
      const country = await fetch(`${url}/dashboard/countries/NZ?from=web`);
      expect(country.status).toBe(200);
      expect(await country.json()).toEqual({ country: "NZ", views: 1, path: "/countries/NZ", query: { from: "web" } });
      const echo = await fetch(`${url}/dashboard/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ a: [1] }) });
      expect(echo.status).toBe(201);
      expect(await echo.json()).toEqual({ received: { a: [1] } });
      // getMooseUtils() in a served handler reaches the database moose prod serves (here the embedded engine).
      expect(await (await fetch(`${url}/dashboard/total`)).json()).toEqual([{ total: "1" }]);
      // A query-layer model (defineQueryModel, buildQuery) run through the injected client.
      expect(await (await fetch(`${url}/dashboard/top?country=NZ`)).json()).toEqual([{ country: "NZ", views: "1", total_bytes: "10" }]);
      expect(await (await fetch(`${url}/dashboard/top?country=FR`)).json()).toEqual([]);
      // A rejection nothing awaited is logged; the server keeps serving.
      expect(await (await fetch(`${url}/dashboard/fire-and-forget`)).json()).toEqual({ sent: true });
      expect(await (await fetch(`${url}/dashboard/total`)).json()).toEqual([{ total: "1" }]);
      expect(readFileSync(path.join(dir, ".moose", "logs", "moose.jsonl"), "utf8")).toContain("nobody awaited this");
      // A path the Express app has no route for gets a JSON 404 naming the WebApp; one under no mount, the server's.
      expect((await fetch(`${url}/dashboard/nope`)).status).toBe(404);
      expect(await (await fetch(`${url}/dashboards`)).json()).toMatchObject({ error: expect.stringContaining("no route /dashboards") });
    });
  });
});

describe("an ES module MooseStack project with source_dir = \"src\", a view ClickHouse reformats, a SqlResource, an OlapDictionary and a SelectRowPolicy", () => {
  it("builds from src/index.ts and goes through plan, generate, up --embedded and ls", async () => {
    const dir = copyFixture("moosestack-esm");
    ok(await projectTsc(dir), "tsc");

    const build = ok(await mooseCli(["build"], dir), "moose-cli build");
    expect(build.stdout).toMatch(/3 tables, 0 streams, 1 view, 1 materialized view, 2 APIs, 0 ingest APIs, 0 workflows, 0 processes, 3 SQL resources in/);
    // state_config.storage = "clickhouse" is what moose-ts does, so it is not listed.
    expect(build.stderr).toMatch(/accepted but not used by moose-ts: clickhouse_config\.additional_databases, http_server_config\.management_port, http_server_config\.on_reload_complete_script \(see/);
    const manifest = JSON.parse(readFileSync(path.join(dir, ".moose", "manifest.json"), "utf8")) as Manifest;
    expect(manifest.tables.Orders!.source?.file).toBe("src/models/orders.ts");
    expect(manifest.tables.Orders!.columns.find((column) => column.name === "attributes")?.type).toBe("JSON");

    expect(manifest.sqlResources.orderLookups).toMatchObject({ pullsDataFrom: ["Orders"], source: { file: "src/resources/lookups.ts", line: 5 } });

    const plan = ok(await mooseCli(["plan"], dir), "plan");
    expect(plan.stdout).toContain("+ orderLookups (SQL Resource)");
    expect(plan.stdout).toContain("+ order_customers (SQL Resource)");
    expect(plan.stdout).toContain("+ tenant_isolation (Row Policy)");
    ok(await mooseCli(["migrate", "generate", "--name", "initial"], dir), "migrate generate");
    // A SqlResource's statements are steps of their own, after the table its dictionary reads.
    const [file] = readdirSync(path.join(dir, "migrations")).filter((name) => name.endsWith("_initial.ts"));
    const migration = readFileSync(path.join(dir, "migrations", file!), "utf8");
    expect(migration.indexOf("CREATE DICTIONARY order_status_dict")).toBeGreaterThan(migration.indexOf("CREATE TABLE IF NOT EXISTS Orders"));
    expect(migration).toContain("DROP DICTIONARY IF EXISTS order_status_dict");
    expect(migration.indexOf("CREATE DICTIONARY IF NOT EXISTS order_customers (orderId String, customerId String DEFAULT '', status String)")).toBeGreaterThan(
      migration.indexOf("CREATE TABLE IF NOT EXISTS Orders"),
    );
    // The row policy: its role, grant and policy after the table; on the embedded engine, recorded but not run (it has no access control).
    expect(migration.indexOf("CREATE ROW POLICY OR REPLACE tenant_isolation ON tenant_notes AS RESTRICTIVE FOR SELECT USING tenant_id = getSetting('SQL_moose_rls_tenant_id') TO moose_rls_role")).toBeGreaterThan(
      migration.indexOf("CREATE TABLE IF NOT EXISTS tenant_notes"),
    );
    ok(await mooseCli(["migrate", "up", "--embedded"], dir), "migrate up --embedded");
    const ls = ok(await mooseCli(["ls"], dir), "ls");
    expect(ls.stdout).toMatch(/table\s+Orders\s+local\.Orders\s+applied/);
    expect(ls.stdout).toMatch(/view\s+PaidOrders\s+local\.PaidOrders\s+applied/);
    // Compared in ClickHouse's own formatting: count(DISTINCT orderId) is stored as countDistinct(orderId).
    expect(ls.stdout).toMatch(/materialized-view\s+CustomerCounts_MV\s+local\.CustomerCounts_MV\s+applied/);
    expect(ls.stdout).toMatch(/sql-resource\s+orderLookups\s+sql \(2 setup, 2 teardown statements\)\s+applied/);
    expect(ls.stdout).toMatch(/sql-resource\s+order_customers\s+sql \(1 setup, 1 teardown statement\)\s+applied/);
    expect(ls.stdout).toMatch(/sql-resource\s+tenant_isolation\s+row policy: tenant_id = jwt\.tenant_id on local\.tenant_notes\s+applied/);
    expect((await mooseCli(["plan"], dir)).stdout).toContain("No changes.");

    // Served by `moose prod --embedded`: a request's JWT claim tenant_id chooses the notes it reads.
    const issuer = testIssuer("issuer", "notes");
    await withProd(
      dir,
      async (url) => {
        const running = JSON.parse(readFileSync(path.join(dir, ".moose", "running.json"), "utf8")) as { clickhouseUrl: string; credentials: { user: string; password: string }; database: string };
        const engine = createClient({ url: running.clickhouseUrl, username: running.credentials.user, password: running.credentials.password, database: running.database });
        await engine.command({ query: "INSERT INTO tenant_notes (noteId, tenant_id, body, createdAt) VALUES ('n1', 't1', 'a', now()), ('n2', 't2', 'b', now()), ('n3', 't2', 'c', now())" });
        await engine.close();
        const notes = async (claims: Record<string, unknown>) => (await (await fetch(`${url}/api/tenantNotes`, { headers: { authorization: `Bearer ${await issuer.sign(claims)}` } })).json()) as unknown;
        expect(await notes({ tenant_id: "t2" })).toEqual([{ noteId: "n2" }, { noteId: "n3" }]);
        expect(await notes({ tenant_id: "t1" })).toEqual([{ noteId: "n1" }]);
        // Without a token: refused, as MooseStack refuses it when the app has row policies.
        expect((await fetch(`${url}/api/tenantNotes`)).status).toBe(401);
      },
      issuer.env,
    );
  });
});

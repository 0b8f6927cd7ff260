/** `moose prod` and `moose ls` through the built CLI on a copy of the fixture app (embedded engine). */
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { ExitCode } from "../../../src/errors.js";
import { extractManifest } from "../../../src/extract/index.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { generateMigration } from "../../../src/migrations/generate.js";
import type { InventoryItem } from "../../../src/server/inventory.js";
import { runMoose, spawnMoose, waitForOutput } from "./cli-helpers.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/app", import.meta.url));
const projectDir = mkdtempSync(join(tmpdir(), "moose-prod-cli-"));
let migrationId: string;

beforeAll(async () => {
  cpSync(FIXTURE, projectDir, { recursive: true });
  const generated = await generateMigration({ projectDir, manifest: await extractManifest({ projectDir }), name: "init" });
  if (generated.kind !== "written") throw new Error(`expected a migration, got ${generated.kind}`);
  migrationId = generated.id;
});
afterAll(() => rmSync(projectDir, { recursive: true, force: true }));

const ls = async (...args: string[]) => {
  const result = await runMoose(["ls", "--dir", projectDir, "--json", ...args]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(ExitCode.ok);
  return Object.fromEntries((JSON.parse(result.stdout) as InventoryItem[]).map((item) => [`${item.kind}:${item.id}`, item]));
};

describe("moose prod", () => {
  it("refuses to start while the database is behind the code, naming the migration (exit 4)", async () => {
    const result = await runMoose(["prod", "--dir", projectDir, "--embedded", "--port", "0"]);
    expect(result.code).toBe(ExitCode.conflict);
    expect(result.stderr).toContain("PROD_DATABASE_BEHIND");
    expect(result.stderr).toContain(migrationId);
  });

  it("refuses conflicting or invalid flags as usage errors", async () => {
    expect((await runMoose(["prod", "--dir", projectDir, "--embedded", "--clickhouse-url", "http://localhost:8123"])).code).toBe(ExitCode.usage);
    expect((await runMoose(["prod", "--dir", projectDir, "--embedded", "--port", "http"])).code).toBe(ExitCode.usage);
  });

  it("with --migrate applies, prints the URL, serves, and stops cleanly on SIGINT", async () => {
    const child = spawnMoose(["prod", "--dir", projectDir, "--embedded", "--port", "0", "--migrate"]);
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      const output = await waitForOutput(child, /listening on (http:\/\/\S+)/, 60_000);
      expect(output).toContain(migrationId);
      expect(output).toContain("admin API disabled");
      const url = /listening on (http:\/\/\S+)/.exec(output)![1];
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect((await (await fetch(`${url}/api/users`)).json()) as unknown[]).toEqual([]);
      const admin = await fetch(`${url}/admin/inframap`, { headers: { authorization: "Bearer x" } });
      expect(admin.status).toBe(401);
      expect(((await admin.json()) as { error: string }).error).toContain("no admin API key is configured");
      // Its engine's HTTP interface answers to a password made for this run, kept where only its owner reads it; never to moose.config.toml's.
      const runningFile = join(projectDir, ".moose", "running.json");
      expect(statSync(runningFile).mode & 0o777).toBe(0o600);
      const running = JSON.parse(readFileSync(runningFile, "utf8")) as { clickhouseUrl: string; credentials: { user: string; password: string } };
      expect(running.credentials.password).toMatch(/^[\w-]{32}$/);
      const asConfigured = await fetch(`${running.clickhouseUrl}/?query=SELECT+1`, { headers: { authorization: `Basic ${Buffer.from("panda:pandapass").toString("base64")}` } });
      expect(asConfigured.status).toBe(401);
      const withRunPassword = await fetch(`${running.clickhouseUrl}/?query=SELECT+1`, {
        headers: { authorization: `Basic ${Buffer.from(`${running.credentials.user}:${running.credentials.password}`).toString("base64")}` },
      });
      expect(await withRunPassword.text()).toBe("1\n");
      // While it holds .moose/clickhouse, `moose ls` goes through its ClickHouse HTTP interface (said once, on stderr).
      const listed = await runMoose(["ls", "--dir", projectDir, "--json"]);
      expect(listed.code, listed.stdout + listed.stderr).toBe(ExitCode.ok);
      expect(listed.stderr).toMatch(/held by the running moose prod --embedded \(pid \d+\); going through its ClickHouse HTTP interface at http:\/\/127\.0\.0\.1:\d+/);
      expect((JSON.parse(listed.stdout) as InventoryItem[]).find((item) => item.id === "Users")).toMatchObject({ status: "applied" });
      // So does `moose query`, still only reading.
      const counted = await runMoose(["query", "SELECT count() AS n FROM Users", "--dir", projectDir]);
      expect(counted.code, counted.stderr).toBe(ExitCode.ok);
      expect(counted.stdout).toBe(`{"n":"0"}\n`);
      const dropped = await runMoose(["query", "DROP TABLE Users", "--dir", projectDir]);
      expect(dropped.stderr).toContain("QUERY_WRITES");
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited).toBe(ExitCode.ok);
  });
});

describe("moose ls", () => {
  it("lists the code's objects as applied once the migration ran", async () => {
    const items = await ls();
    expect(items["table:Users"]).toMatchObject({ status: "applied", location: "server_fixture.Users", source: "app/index.ts:9" });
    expect(items["api:users"]).toMatchObject({ status: "applied", location: "http://127.0.0.1:4000/api/users" });
    expect(items["api:users/2"]).toMatchObject({ status: "applied" });
  });

  it("marks what the code changed since as pending", async () => {
    const mainFile = join(projectDir, "app", "index.ts");
    writeFileSync(mainFile, readFileSync(mainFile, "utf8").replace("  age: UInt32;\n}", "  age: UInt32;\n  email: string;\n}"));
    const items = await ls();
    expect(items["table:Users"]).toMatchObject({ status: "pending", change: "update" });
    expect(items["api:users"]).toMatchObject({ status: "pending", change: "update" });
    expect(items["api:users/2"]).toMatchObject({ status: "applied" });
  });

  it("marks a table changed out of band as drifted, and filters by --type", async () => {
    const config = await loadConfig(projectDir);
    const driver = await openEmbedded({ dataDir: join(projectDir, ".moose", "clickhouse"), database: config.clickhouse_config.db_name });
    try {
      await driver.exec("ALTER TABLE Users ADD COLUMN nickname Nullable(String)");
    } finally {
      await driver.close();
    }
    const items = await ls("--type", "table");
    expect(Object.keys(items)).toEqual(["table:Users"]);
    expect(items["table:Users"]).toMatchObject({ status: "drifted", drift: [expect.stringContaining("nickname")] });
  });

  it("filters by --name (a part of it, any case), with --type too", async () => {
    expect(Object.keys(await ls("--name", "USERS/"))).toEqual(["api:users/2"]);
    expect(Object.keys(await ls("--name", "user", "--type", "table"))).toEqual(["table:Users"]);
    expect(await ls("--name", "nothing-has-this")).toEqual({});
  });

  it("renders a table for humans", async () => {
    const result = await runMoose(["ls", "--dir", projectDir, "--type", "api"]);
    expect(result.code).toBe(ExitCode.ok);
    expect(result.stdout).toMatch(/^KIND\s+NAME\s+LOCATION\s+STATUS\n/);
    expect(result.stdout).toMatch(/api\s+users\/2\s+http:\/\/127\.0\.0\.1:4000\/api\/users\/2\s+applied/);
  });

  it("refuses an unknown --type (exit 2)", async () => {
    const result = await runMoose(["ls", "--dir", projectDir, "--type", "topic"]);
    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toContain("materialized-view");
  });
});

/**
 * Bad input through the built CLI (`npm run build` first): `moose plan --manifest bad.json` names
 * the file and the JSON path instead of crashing; a corrupt migrations/snapshot.json or meta file
 * exits 4 with how to repair it; a migration file that does not compile is reported at its
 * project-relative path when moose runs from another directory; config values out of range stop
 * the command with the key, not an internal error.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/manifest/canonical.js";
import { emptyManifest, type Manifest } from "../../src/manifest/types.js";
import { runMoose } from "../integration/server/cli-helpers.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

const users = (columns: object[]) => ({
  ...emptyManifest(),
  tables: {
    Users: { name: "Users", columns, orderBy: ["id"], engine: { name: "MergeTree", params: [] }, settings: {}, indexes: [], lifeCycle: "FULLY_MANAGED" },
  },
});
const usersV1 = users([{ name: "id", type: "String", nullable: false }]) as Manifest;
const usersV2 = users([{ name: "id", type: "String", nullable: false }, { name: "age", type: "Int32", nullable: true }]) as Manifest;

let scratch: string;

beforeAll(() => {
  if (!existsSync(path.join(REPO_ROOT, "dist", "cli", "index.js"))) throw new Error("dist/ is missing: run `npm run build` before the e2e tests");
  scratch = mkdtempSync(path.join(tmpdir(), "moose-manifest-errors-"));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function project(name: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe("moose plan --manifest <file>", () => {
  it("a column without a type: MANIFEST_INVALID naming the file and the JSON path, exit 1, no crash", async () => {
    const dir = project("plan-bad-manifest");
    writeFileSync(path.join(dir, "bad.json"), JSON.stringify(users([{ name: "id", nullable: false }])));
    const result = await runMoose(["plan", "--manifest", "bad.json"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain("internal error");
    expect(result.stderr).not.toContain("TypeError");
    expect(result.stderr).toContain('error MANIFEST_INVALID: bad.json is not a valid Manifest v1: /tables/Users/columns/0: must have required property "type"');
    expect(result.stderr).toMatch(/\n  → .*regenerate it/);
  });

  it("a file that is not JSON: MANIFEST_INVALID naming the file", async () => {
    const dir = project("plan-not-json");
    writeFileSync(path.join(dir, "bad.json"), "{ tables: ");
    const result = await runMoose(["plan", "--manifest", "bad.json"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error MANIFEST_INVALID: bad.json is not valid JSON");
  });
});

describe("corrupt migration history exits 4 with how to repair it", () => {
  it("migrations/snapshot.json (moose plan)", async () => {
    const dir = project("plan-bad-snapshot");
    writeFileSync(path.join(dir, "code.json"), canonicalJson(usersV1));
    mkdirSync(path.join(dir, "migrations"));
    writeFileSync(path.join(dir, "migrations", "snapshot.json"), JSON.stringify({ ...emptyManifest(), tables: { Users: { name: "Users" } } }));
    const result = await runMoose(["plan", "--manifest", "code.json"], { cwd: dir });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('error MANIFEST_INVALID: migrations/snapshot.json is not a valid Manifest v1: /tables/Users: must have required property "columns"');
    expect(result.stderr).toContain("git checkout -- migrations/snapshot.json");
  });

  it("migrations/meta/<id>.json (moose migrate generate)", async () => {
    const dir = project("generate-bad-meta");
    writeFileSync(path.join(dir, "v1.json"), canonicalJson(usersV1));
    writeFileSync(path.join(dir, "v2.json"), canonicalJson(usersV2));
    const first = await runMoose(["migrate", "generate", "--manifest", "v1.json"], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const [meta] = readdirSync(path.join(dir, "migrations", "meta"));
    writeFileSync(path.join(dir, "migrations", "meta", meta!), JSON.stringify({ ...usersV1, tables: { Users: { ...usersV1.tables.Users, lifeCycle: "KEEP" } } }));
    const result = await runMoose(["migrate", "generate", "--manifest", "v2.json"], { cwd: dir });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`error MANIFEST_INVALID: migrations/meta/${meta} is not a valid Manifest v1: /tables/Users/lifeCycle: must be one of`);
    expect(result.stderr).toContain(`git checkout -- migrations/meta/${meta}`);
    expect(result.stderr).toContain(`moose migrate rebase ${meta!.replace(/\.json$/, "")}`);
  });
});

describe("a migration file that does not compile, from another working directory", () => {
  it("moose prod --dir <project> names the file relative to the project, not to the working directory", { timeout: 120_000 }, async () => {
    const dir = project("prod-broken-migration");
    const id = "20260101T000000Z_broken";
    mkdirSync(path.join(dir, "migrations"));
    writeFileSync(
      path.join(dir, "migrations", `${id}.ts`),
      `import { defineMigration } from "moose-ts";\n\nexport default defineMigration({\n  from: "${"0".repeat(64)}",\n  to: "${"1".repeat(64)}",\n  up: [\n    { sql: \`SELECT 1\` ,, },\n  ],\n  down: [],\n});\n`,
    );
    const elsewhere = path.join(scratch, "elsewhere", "deeper", "still");
    mkdirSync(elsewhere, { recursive: true });
    for (const cwd of [elsewhere, path.parse(dir).root]) {
      const result = await runMoose(["prod", "--dir", path.relative(cwd, dir) || ".", "--embedded"], { cwd });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain(`migrations/${id}.ts:7:`);
      expect(result.stderr).toMatch(new RegExp(`^migrations/${id}\\.ts:7:\\d+ - error MIGRATION_INVALID_FILE: cannot compile migration`, "m"));
    }
  });
});

describe("config values are checked before anything starts", () => {
  it("moose prod: a port out of range, an empty host, a public host without authentication", async () => {
    const dir = project("config-values");
    writeFileSync(path.join(dir, "moose.config.toml"), "[http_server_config]\nport = 70000\n");
    const port = await runMoose(["prod", "--embedded"], { cwd: dir });
    expect(port.code).toBe(1);
    expect(port.stderr).not.toContain("internal error");
    expect(port.stderr).toContain("moose.config.toml:2 [http_server_config.port] - error CONFIG_INVALID_VALUE: http_server_config.port in moose.config.toml must be a port number from 1 to 65535, got 70000");

    writeFileSync(path.join(dir, "moose.config.toml"), "");
    const host = await runMoose(["prod", "--embedded"], { cwd: dir, env: { MOOSE_HTTP_SERVER_CONFIG__HOST: "" } });
    expect(host.code).toBe(1);
    expect(host.stderr).toContain("[http_server_config.host] - error CONFIG_INVALID_VALUE: http_server_config.host in environment variable MOOSE_HTTP_SERVER_CONFIG__HOST must be");

    const open = await runMoose(["prod", "--embedded"], { cwd: dir, env: { MOOSE_HTTP_SERVER_CONFIG__HOST: "0.0.0.0" } });
    expect(open.code).toBe(1);
    expect(open.stderr).toContain("error CONFIG_PUBLIC_WITHOUT_AUTH: http_server_config.host in environment variable MOOSE_HTTP_SERVER_CONFIG__HOST is \"0.0.0.0\"");
    expect(open.stderr).toContain("allow_unauthenticated_public = true");
  });
});

/**
 * `moose plan --url` (the built CLI) against a real `moose prod` server on a random port: the right
 * token plans against the server's applied state; every wrong, missing or malformed credential is a
 * 401 from the server and exit 5 from the CLI; an unreachable server is exit 1 naming the URL.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { ExitCode } from "../../../src/errors.js";
import { extractManifest } from "../../../src/extract/index.js";
import { logFilePath } from "../../../src/logs/logger.js";
import { generateMigration } from "../../../src/migrations/generate.js";
import { generateHashToken } from "../../../src/server/auth.js";
import { startProdServer, type ProdServer } from "../../../src/server/prod.js";
import { runMoose } from "./cli-helpers.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/app", import.meta.url));
const projectDir = mkdtempSync(join(tmpdir(), "moose-plan-url-"));
const { bearerToken, apiKeyHash } = generateHashToken();
let server: ProdServer;

beforeAll(async () => {
  cpSync(FIXTURE, projectDir, { recursive: true });
  const config = await loadConfig(projectDir, { MOOSE_AUTHENTICATION__ADMIN_API_KEY: apiKeyHash });
  const generated = await generateMigration({ projectDir, manifest: await extractManifest({ projectDir }), name: "init" });
  if (generated.kind !== "written") throw new Error(`expected a migration, got ${generated.kind}`);
  server = await startProdServer({ projectDir, config, clickhouse: { embedded: true, dataDir: join(projectDir, ".moose", "clickhouse") }, port: 0, migrate: true });
  // The code moves ahead of production: one new column, not deployed.
  const mainFile = join(projectDir, "app", "index.ts");
  writeFileSync(mainFile, readFileSync(mainFile, "utf8").replace("  age: UInt32;\n}", "  age: UInt32;\n  email: string;\n}"));
});

afterAll(async () => {
  await server?.close();
  rmSync(projectDir, { recursive: true, force: true });
});

const plan = (args: string[], env: NodeJS.ProcessEnv = {}) => runMoose(["plan", "--url", server.url, ...args], { cwd: projectDir, env });

describe("moose plan --url", () => {
  it("plans the code against the server's applied state with the right token", async () => {
    const result = await plan(["--token", bearerToken]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(ExitCode.ok);
    expect(result.stdout).toContain("Users");
    expect(result.stdout).toContain("email");
    expect(result.stdout).not.toContain("+ Users");
  });

  it("takes the token from MOOSE_ADMIN_TOKEN, and prints plan JSON with --json", async () => {
    const result = await plan(["--json"], { MOOSE_ADMIN_TOKEN: bearerToken });
    expect(result.code).toBe(ExitCode.ok);
    const json = JSON.parse(result.stdout) as { operations: Array<{ kind: string; target: string }> };
    // the new column, and the API whose result type (User[]) gained it
    expect(json.operations.map((operation) => [operation.kind, operation.target])).toEqual([
      ["addColumn", "Users"],
      ["updateApi", "users"],
    ]);
  });

  it.each([
    ["a wrong token", generateHashToken().bearerToken],
    ["the key hash instead of the token", apiKeyHash],
    ["three dotted parts", "a.b.c"],
    ["non-hex", `${"z".repeat(32)}.${"z".repeat(32)}`],
    ["a very long token", `${"a".repeat(6000)}.${"b".repeat(6000)}`],
    ["another scheme inside", `Basic ${Buffer.from("admin:admin").toString("base64")}`],
  ])("exits 5 for %s, pointing at hash-token", async (_name, token) => {
    const result = await plan(["--token", token]);
    expect(result.code).toBe(ExitCode.authFailed);
    expect(result.stderr).toContain("REMOTE_AUTH_FAILED");
    expect(result.stderr).toContain("moose generate hash-token");
    expect(result.stdout).toBe("");
  });

  it("exits 5 without a token (none given, or empty)", async () => {
    for (const args of [[], ["--token", ""]]) {
      const result = await plan(args);
      expect(result.code).toBe(ExitCode.authFailed);
      expect(result.stderr).toContain("pass a bearer token with --token or MOOSE_ADMIN_TOKEN");
    }
  });

  it("exits 1 naming the URL when nothing listens there", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const result = await runMoose(["plan", "--url", url, "--token", bearerToken], { cwd: projectDir });
    expect(result.code).toBe(ExitCode.error);
    expect(result.stderr).toContain("REMOTE_UNREACHABLE");
    expect(result.stderr).toContain(`${url}/admin/inframap`);
  });

  it("exits 2 for a URL that is not http(s)", async () => {
    const result = await runMoose(["plan", "--url", "ftp://example.com", "--token", bearerToken], { cwd: projectDir });
    expect(result.code).toBe(ExitCode.usage);
  });
});

describe("the server's side of it", () => {
  it.each([
    ["no header", undefined],
    ["an empty header", ""],
    ["Bearer alone", "Bearer"],
    ["Bearer a.b.c", "Bearer a.b.c"],
    ["a non-hex token", `Bearer ${"x".repeat(32)}.${"y".repeat(32)}`],
    ["a very long header", `Bearer ${"a".repeat(7000)}.${"b".repeat(7000)}`],
    ["Basic", `Basic ${Buffer.from(`admin:${bearerToken}`).toString("base64")}`],
    ["Token", `Token ${bearerToken}`],
    ["lower-case scheme with a wrong token", `bearer ${generateHashToken().bearerToken}`],
  ])("answers 401 to %s", async (_name, header) => {
    const response = await fetch(`${server.url}/admin/inframap`, { headers: header === undefined ? {} : { authorization: header } });
    expect(response.status).toBe(401);
  });

  it("logged every refusal without the token", () => {
    const log = readFileSync(logFilePath(projectDir), "utf8");
    expect(log).toMatch(/GET \/admin\/inframap → 401/);
    expect(log).not.toContain(bearerToken);
    expect(log).not.toContain(bearerToken.split(".")[0]);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

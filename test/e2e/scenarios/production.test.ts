/**
 * The docs' "Production Workflow", from the CLI only, on examples/quickstart against a real
 * ClickHouse server (MOOSE_TEST_CLICKHOUSE_URL, or scripts/clickhouse-server) and a real Kafka
 * broker: generate a token, start `moose prod` with its key, preview a change with
 * `moose plan --url --token`, apply it with `moose migrate up`, and see the plan empty afterwards;
 * then `moose ls` and `moose logs` show what happened. The steps run in order, on one project.
 */
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testServerUrl, withTestDatabase } from "../../helpers/clickhouse.js";
import { startTestBroker, testNamespace, type TestBroker } from "../../helpers/kafka.js";
import { MAIN, Output, Project } from "./project.js";

// The test server is an old ClickHouse (Debian's 18.16): the pending change is a new table, which
// it supports, rather than ADD COLUMN IF NOT EXISTS, which it does not.
const ANALYTICS = `
interface AnalyticsSchema {
  eventId: string;
  count: number;
}

export const analyticsTable = new OlapTable<AnalyticsSchema>("Analytics");
`;

// Each step runs several CLI commands, each extracting the app: room for a busy 2-core CI machine.
describe("production workflow: hash-token, moose prod, plan --url --token, migrate up", { timeout: 180_000 }, () => {
  let broker: TestBroker;
  let database: Awaited<ReturnType<typeof withTestDatabase>>;
  let project: Project;
  let prod: Output;
  let serverUrl: string;
  let token: { api_key_hash: string; bearer_token: string };

  beforeAll(async () => {
    broker = await startTestBroker();
    database = await withTestDatabase(await testServerUrl());
    project = Project.copy("quickstart", {
      MOOSE_REDPANDA_CONFIG__BROKER: broker.broker,
      MOOSE_REDPANDA_CONFIG__NAMESPACE: testNamespace(),
    });
    const generated = await project.moose(["generate", "hash-token", "--json"]);
    expect(generated.code, generated.stderr).toBe(0);
    token = JSON.parse(generated.stdout);

    // Deploy the quickstart as it is: its first migration, applied to the server.
    expect((await project.moose(["migrate", "generate", "--name", "initial"])).code).toBe(0);
    const applied = await project.moose(["migrate", "up", "--clickhouse-url", database.url]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);

    const child: ChildProcess = project.spawnMoose(["prod", "--clickhouse-url", database.url, "--port", "0"], {
      MOOSE_AUTHENTICATION__ADMIN_API_KEY: token.api_key_hash,
    });
    prod = new Output(child);
    serverUrl = (await prod.waitFor(/moose prod listening on (http:\/\/\S+)/))[1]!;
  }, 600_000);

  afterAll(async () => {
    await prod?.stop();
    project?.remove();
    await database?.drop();
    await broker?.stop();
  });

  it("moose generate hash-token --json prints the key hash for the server and the bearer token for clients", () => {
    expect(token.api_key_hash).toMatch(/^[0-9a-f]{40}$/);
    expect(token.bearer_token).toMatch(/^[0-9a-f]{32}\.[0-9a-f]{32}$/);
  });

  it("moose plan --url --token shows the pending change; a wrong token is refused with exit 5", async () => {
    await project.append(MAIN, ANALYTICS);
    const plan = await project.moose(["plan", "--url", serverUrl, "--token", token.bearer_token]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain("Infrastructure Changes:");
    expect(plan.stdout).toContain("✨ New Components");
    expect(plan.stdout).toContain("+ Analytics (OLAP Table)");
    expect(plan.stdout).not.toContain("Users");

    const detailed = await project.moose(["plan", "--url", serverUrl, "--detailed-exitcode"], { MOOSE_ADMIN_TOKEN: token.bearer_token });
    expect(detailed.code).toBe(6);

    const [tokenHex, salt] = token.bearer_token.split(".");
    const wrong = `${tokenHex!.replace(/^./, (digit) => (digit === "0" ? "1" : "0"))}.${salt}`;
    const refused = await project.moose(["plan", "--url", serverUrl, "--token", wrong]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain("REMOTE_AUTH_FAILED");
    const missing = await project.moose(["plan", "--url", serverUrl]);
    expect(missing.code).toBe(5);
  });

  it("moose migrate up applies it; the plan against the server then shows no changes", async () => {
    const generated = await project.moose(["migrate", "generate", "--name", "add_analytics"]);
    expect(generated.code, generated.stderr).toBe(0);
    const applied = await project.moose(["migrate", "up", "--clickhouse-url", database.url]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/✓ 1\/1 \[sql\] create table Analytics/);

    const plan = await project.moose(["plan", "--url", serverUrl, "--token", token.bearer_token, "--detailed-exitcode"]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain("No changes.");
  });

  it("moose migrate status lists both migrations as applied", async () => {
    const status = await project.moose(["migrate", "status", "--clickhouse-url", database.url]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/✓ applied +\d{8}T\d{6}Z_initial/);
    expect(status.stdout).toMatch(/✓ applied +\d{8}T\d{6}Z_add_analytics/);
    expect(status.stdout).toContain("Code: matches migrations/snapshot.json");
  });

  it("moose ls shows every object of the code as applied on the server", async () => {
    const ls = await project.moose(["ls", "--clickhouse-url", database.url, "--json"]);
    expect(ls.code, ls.stderr).toBe(0);
    const items = (JSON.parse(ls.stdout) as Array<{ kind: string; id: string; status: string }>).map(({ kind, id, status }) => ({ kind, id, status }));
    expect(items).toEqual(
      expect.arrayContaining([
        { kind: "table", id: "Users", status: "applied" },
        { kind: "table", id: "Analytics", status: "applied" },
        { kind: "stream", id: "UserEvents", status: "applied" },
      ]),
    );
    const text = await project.moose(["ls", "--clickhouse-url", database.url]);
    expect(text.stdout).toMatch(/^KIND +NAME +LOCATION +STATUS/m);
    // The location is the server's database from the URL, not the config's db_name.
    expect(text.stdout).toMatch(new RegExp(`^table +Analytics +${database.database}\\.Analytics +applied`, "m"));
  });

  it("moose logs shows the migrations and their steps, the server start and the admin requests, refused ones included", async () => {
    const logs = await project.moose(["logs"]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/INFO +migration +applying \d{8}T\d{6}Z_initial started/);
    expect(logs.stdout).toMatch(/INFO +step +\d{8}T\d{6}Z_add_analytics step 1\/1 \[sql\] create table Analytics/);
    expect(logs.stdout).toMatch(/INFO +migration +applied \d{8}T\d{6}Z_add_analytics/);
    expect(logs.stdout).toContain(`moose prod listening on ${serverUrl}`);
    expect(logs.stdout).toMatch(/INFO +server +GET \/admin\/inframap → 200/);
    expect(logs.stdout).toMatch(/WARN +server +GET \/admin\/inframap → 401/);
    // --filter matches anywhere in a record (times and hashes too): filter on the response text.
    const refusals = await project.moose(["logs", "--filter", "→ 401", "--json"]);
    const records = refusals.stdout.trim().split("\n").map((line) => JSON.parse(line) as { kind: string; message: string });
    expect(records.length).toBeGreaterThanOrEqual(2);
    expect(records.every((record) => record.message.includes("401"))).toBe(true);
  });
});

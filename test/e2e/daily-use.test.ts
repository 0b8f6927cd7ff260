/**
 * Daily use, end to end on a fresh `moose init` project with the built CLI (`npm run build` first):
 * `moose dev` alone brings up the table and the topic; while it runs, `moose ls`, `moose migrate
 * status` and `moose plan` answer through it (one truth: the journal/state in the database, with
 * what dev applied on top); `migrate generate` + `migrate up` (through the running dev) leave `ls`
 * with no drift, and dev's next save plans from the migrated state. Kafka: MOOSE_TEST_KAFKA_BROKER
 * when the suite shares one, else dev starts its own local broker on a free port (and stops it).
 */
import { existsSync, mkdtempSync, readdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openKafkaAdmin, type KafkaAdmin } from "../../src/infra/kafka/executor.js";
import { freePort, redpandaConfig, testNamespace } from "../helpers/kafka.js";
import { cleanEnv, run, type RunResult } from "./scenarios/project.js";
import { clickhouse, columnsOf, DevProcess, devEnv, freePorts, MOOSE_BIN, projectIn, READY_TIMEOUT_MS, REPO_ROOT, tableNames, type DevPorts, type TestProject } from "./dev-process.js";

let workDir: string;
let project: TestProject;
let ports: DevPorts;
let env: NodeJS.ProcessEnv;
let broker: string;
let namespace: string;
let dev: DevProcess | undefined;
let kafka: KafkaAdmin;

function moose(args: string[], cwd = project.dir): Promise<RunResult> {
  return run(process.execPath, [MOOSE_BIN, ...args], { cwd, env: cleanEnv(env) });
}

function json<T>(result: RunResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

interface LsItem {
  kind: string;
  id: string;
  status: string;
}

const THROUGH_DEV = /going through its ClickHouse HTTP interface at http:\/\/127\.0\.0\.1:\d+/;
const TIMEOUT = 4 * READY_TIMEOUT_MS;

beforeAll(async () => {
  if (!existsSync(path.join(REPO_ROOT, "dist", "cli", "index.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  workDir = mkdtempSync(path.join(tmpdir(), "moose-daily-"));
  const dir = path.join(workDir, "my-app");
  const init = await run(process.execPath, [MOOSE_BIN, "init", dir], { cwd: workDir, env: process.env });
  expect(init.code, init.stderr).toBe(0);
  // init's next steps end with exactly one command to run.
  expect(init.stdout).toMatch(/Next:[\s\S]*npx moose dev\n/);
  // `npm install` in the new project links this very moose-ts; the repo's node_modules is the same thing.
  symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
  project = projectIn(dir, workDir);
  ports = await freePorts();
  broker = process.env.MOOSE_TEST_KAFKA_BROKER ?? `localhost:${await freePort()}`;
  namespace = testNamespace();
  env = devEnv(ports, { MOOSE_REDPANDA_CONFIG__BROKER: broker, MOOSE_REDPANDA_CONFIG__NAMESPACE: namespace });
}, TIMEOUT);

afterAll(async () => {
  await kafka?.close();
  if (dev) await dev.stop();
  project?.remove();
}, 60_000);

describe("a fresh moose init project, used the way the README says", () => {
  it("moose dev alone brings up the table and the stream's topic (starting a local broker when none answers)", async () => {
    dev = new DevProcess(project, env);
    await dev.ready();
    expect(dev.output).toMatch(/✓ initial build in \d+ ms: 2 changes applied/);
    if (!process.env.MOOSE_TEST_KAFKA_BROKER) expect(dev.output).toContain("(local broker started by moose dev, data in .moose/kafka)");
    const client = clickhouse(ports);
    try {
      expect(await tableNames(client)).toContain("Users");
    } finally {
      await client.close();
    }
    kafka = openKafkaAdmin(redpandaConfig({ broker, namespace }));
    expect((await kafka.describeTopics()).map((topic) => topic.name)).toEqual(["UserEvents"]);
  }, TIMEOUT);

  it("while dev runs, ls, migrate status and plan answer through it", async () => {
    const ls = await moose(["ls", "--json"]);
    expect(ls.code, ls.stdout + ls.stderr).toBe(0);
    expect(ls.stderr).toMatch(THROUGH_DEV);
    expect(json<LsItem[]>(ls).map((item) => [item.id, item.status])).toEqual([
      ["Users", "applied"],
      ["UserEvents", "applied"],
    ]);

    const status = await moose(["migrate", "status", "--embedded", "--json"]);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stderr).toMatch(THROUGH_DEV);
    expect(json<Record<string, unknown>>(status)).toMatchObject({ migrations: [], database: null, codeDiffersFromSnapshot: true, devChangesNotInMigration: true });
    const statusText = await moose(["migrate", "status", "--embedded"]);
    expect(statusText.stdout).toContain("Local dev: `moose dev` applied changes to this database that are not in a migration yet");

    const plan = await moose(["plan", "--json"]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    const planned = json<{ hasChanges: boolean; operations: Array<{ kind: string; target: string }> }>(plan);
    // The plan compares the code with migrations/snapshot.json (none yet): everything is still to be written as a migration.
    expect(planned.hasChanges).toBe(true);
    expect(planned.operations.map((op) => `${op.kind} ${op.target}`).sort()).toEqual(["createTable Users", "createTopic UserEvents"]);
  }, TIMEOUT);

  it("migrate generate + migrate up (through the running dev) → ls shows no drift and status agrees", async () => {
    const generate = await moose(["migrate", "generate", "--name", "initial"]);
    expect(generate.code, generate.stdout + generate.stderr).toBe(0);
    expect(readdirSync(path.join(project.dir, "migrations")).filter((file) => file.endsWith("_initial.ts"))).toHaveLength(1);

    const up = await moose(["migrate", "up", "--embedded"]);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stderr).toMatch(THROUGH_DEV);
    expect(up.stdout).toMatch(/✓ \S+_initial applied/);

    const ls = await moose(["ls", "--json"]);
    expect(ls.code, ls.stdout + ls.stderr).toBe(0);
    expect(json<LsItem[]>(ls).map((item) => [item.id, item.status])).toEqual([
      ["Users", "applied"],
      ["UserEvents", "applied"],
    ]);
    const status = json<Record<string, unknown>>(await moose(["migrate", "status", "--embedded", "--json"]));
    expect(status).toMatchObject({ problem: null, codeDiffersFromSnapshot: false, devChangesNotInMigration: false });
    expect((status.migrations as Array<{ status: string }>).map((entry) => entry.status)).toEqual(["applied"]);
    expect((await moose(["plan", "--detailed-exitcode"])).code).toBe(0);
  }, TIMEOUT);

  it("--dir is the project for plan and migrate too, from any working directory", async () => {
    const plan = await moose(["plan", "--dir", project.dir, "--detailed-exitcode"], workDir);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain("No changes");
    const generate = await moose(["migrate", "generate", "--dir", project.dir], workDir);
    expect(generate.code, generate.stdout + generate.stderr).toBe(0);
    expect(generate.stdout).toContain("no changes");
    expect(readdirSync(workDir)).toEqual(["my-app"]);
  }, TIMEOUT);

  it("dev's next save plans from the migrated state (no re-create), and status says the new change is not in a migration", async () => {
    const mark = dev!.mark();
    await project.edit("app/index.ts", "  email: string;\n", "  email: string;\n  age: number;\n");
    const reload = await dev!.nextReload(mark);
    expect(reload).toContain("~ Users (Schema Update)");
    expect(reload).not.toContain("+ Users (OLAP Table)");
    expect(reload).toMatch(/✓ reload in \d+ ms: 2 changes applied/);
    const status = json<Record<string, unknown>>(await moose(["migrate", "status", "--embedded", "--json"]));
    expect(status).toMatchObject({ problem: null, codeDiffersFromSnapshot: true, devChangesNotInMigration: true });
    const ls = json<LsItem[]>(await moose(["ls", "--json"]));
    expect(ls.map((item) => item.status)).toEqual(["applied", "applied"]);
  }, TIMEOUT);

  it("without a terminal, a save that drops a column holding rows is refused (row count shown) and the last good state stays", async () => {
    const client = clickhouse(ports);
    try {
      await client.insert({ table: "Users", values: [{ id: "u1", name: "alice", email: "a@example.com", age: 30 }], format: "JSONEachRow" });
      let mark = dev!.mark();
      await project.edit("app/index.ts", "  age: number;\n", "");
      const refused = await dev!.nextReload(mark);
      expect(refused).toContain("This save deletes or rewrites data:");
      expect(refused).toContain("drop column age from Users — Users holds 1 row");
      expect(refused).toMatch(/✖ reload in \d+ ms: not applied — it would delete or rewrite rows/);
      expect(refused).toContain("moose dev --yes-destructive");
      expect(await columnsOf(client, "Users")).toMatchObject({ age: "Float64" });
      mark = dev!.mark();
      await project.edit("app/index.ts", "  email: string;\n", "  email: string;\n  age: number;\n");
      expect(await dev!.nextReload(mark)).toMatch(/✓ reload in \d+ ms: no infrastructure changes/);
    } finally {
      await client.close();
    }
  }, TIMEOUT);

  it("after dev stops, ls opens the engine itself and still sees what dev applied; dev's own broker is stopped", async () => {
    expect(await dev!.stop()).toBe(0);
    dev = undefined;
    const ls = await moose(["ls", "--json"]);
    expect(ls.code, ls.stdout + ls.stderr).toBe(0);
    expect(ls.stderr).not.toMatch(THROUGH_DEV);
    expect(json<LsItem[]>(ls).find((item) => item.id === "Users")?.status).toBe("applied");
    if (!process.env.MOOSE_TEST_KAFKA_BROKER) expect(existsSync(path.join(project.dir, ".moose", "kafka", broker.split(":")[1]!))).toBe(false);
  }, TIMEOUT);
});

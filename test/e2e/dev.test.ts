/**
 * `moose dev` end to end, ClickHouse only (streaming off): the built CLI on a temp copy of
 * examples/quickstart; every change is checked through dev's ClickHouse HTTP endpoint.
 * The steps build on each other and run in order.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import type { ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clickhouse, columnsOf, copyQuickstart, DevProcess, devEnv, freePorts, MOOSE_BIN, rows, tableNames, DEV_TEST_TIMEOUT_MS, type DevPorts, type TestProject } from "./dev-process.js";

const MAIN = "app/index.ts";
/** These steps change and drop columns that hold rows: allowed up front (refusal without it: daily-use.test.ts). */
const YES_DESTRUCTIVE = ["--yes-destructive"];
const ANALYTICS = `
interface AnalyticsSchema {
  eventId: string;
  count: number;
}

export const analyticsTable = new OlapTable<AnalyticsSchema>("Analytics");
`;

describe("moose dev (ClickHouse only)", () => {
  let project: TestProject;
  let ports: DevPorts;
  let dev: DevProcess;
  let client: ClickHouseClient;
  const env = () => devEnv(ports, { MOOSE_FEATURES__STREAMING_ENGINE: "false" });

  /** Saves `from` → `to` in the main file and waits for the reload it causes. */
  async function save(from: string, to: string): Promise<string> {
    const mark = dev.mark();
    await project.edit(MAIN, from, to);
    return dev.nextReload(mark);
  }

  beforeAll(async () => {
    project = copyQuickstart();
    ports = await freePorts();
    dev = new DevProcess(project, env(), YES_DESTRUCTIVE);
    client = clickhouse(ports);
  });

  afterAll(async () => {
    await client?.close();
    await dev?.stop();
    project?.remove();
  });

  it("starts: creates the quickstart's table, serves ClickHouse over HTTP and prints where everything is", async () => {
    const output = await dev.ready();
    expect(output).toContain("local state: new local database");
    expect(output).toMatch(/✓ initial build in \d+ ms: 1 change applied/);
    expect(output).toContain("1 stream in the code is not created locally: [features] streaming_engine = false");
    expect(output).toContain(`ClickHouse  http://127.0.0.1:${ports.clickhouse}`);
    expect(output).toContain("credentials from moose.config.toml [clickhouse_config] user/password");
    expect(output).toMatch(new RegExp(`API +http://localhost:${ports.api}/api/`));
    expect(await tableNames(client)).toEqual(["Users", "_moose_dev_state"]);
    expect(await columnsOf(client, "Users")).toEqual({ id: "String", name: "String", email: "String" });
  }, DEV_TEST_TIMEOUT_MS);

  it("adds a table", async () => {
    const mark = dev.mark();
    await project.write(MAIN, (await project.read(MAIN)) + ANALYTICS);
    const reload = await dev.nextReload(mark);
    expect(reload).toContain("+ Analytics (OLAP Table)");
    expect(reload).toMatch(/✓ reload in \d+ ms: 1 change applied/);
    expect(await columnsOf(client, "Analytics")).toEqual({ eventId: "String", count: "Float64" });
  });

  it("adds a field; existing rows get the default", async () => {
    await client.insert({ table: "Users", values: [{ id: "u1", name: "alice", email: "alice@example.com" }], format: "JSONEachRow" });
    const reload = await save("  email: string;\n", "  email: string;\n  age: number;\n");
    expect(reload).toContain("~ Users (Schema Update)");
    expect(reload).toMatch(/✓ reload in \d+ ms: 1 change applied/);
    expect(await columnsOf(client, "Users")).toEqual({ id: "String", name: "String", email: "String", age: "Float64" });
    expect(await rows(client, "SELECT id, age FROM Users")).toEqual([{ id: "u1", age: 0 }]);
  });

  it("changes a type, converting the stored values", async () => {
    await client.command({ query: "ALTER TABLE Users UPDATE age = 42 WHERE id = 'u1'", clickhouse_settings: { mutations_sync: "2" } });
    const reload = await save("  age: number;\n", "  age: string;\n");
    expect(reload).toMatch(/✓ reload in \d+ ms: 1 change applied/);
    expect((await columnsOf(client, "Users")).age).toBe("String");
    expect(await rows(client, "SELECT age FROM Users")).toEqual([{ age: "42" }]);
  });

  it("removes a field: allowed with --yes-destructive, shown as data loss", async () => {
    const reload = await save("  email: string;\n", "");
    expect(reload).toContain("data loss applied locally: drop column email from Users");
    expect(reload).toMatch(/✓ reload in \d+ ms: 1 change applied/);
    expect(await columnsOf(client, "Users")).toEqual({ id: "String", name: "String", age: "String" });
    expect(await rows(client, "SELECT id, name FROM Users")).toEqual([{ id: "u1", name: "alice" }]);
  });

  it("a refused conversion is printed, the rest of dev keeps going and the state keeps the old type", async () => {
    const refused = await save("  name: string;\n", "  name: number;\n");
    expect(refused).toContain("error TYPE_CONVERSION_REFUSED");
    expect(refused).toMatch(/✖ reload in \d+ ms: 0 changes applied, 1 failed/);
    expect((await columnsOf(client, "Users")).name).toBe("String");
    // Back to the applied type: nothing to do, because the state never took the refused change.
    const reverted = await save("  name: number;\n", "  name: string;\n");
    expect(reverted).toMatch(/✓ reload in \d+ ms: no infrastructure changes/);
  });

  it("a broken save (type error, syntax error, unsupported type) prints the error at its file:line and keeps serving; the next good save applies", async () => {
    const broken = await save("  age: string;\n", "  age: string;\n  score: numbr;\n");
    expect(broken).toMatch(/app\/index\.ts:\d+:\d+ - error TS_DIAGNOSTIC/);
    expect(broken).toContain("Cannot find name 'numbr'");
    expect(broken).toMatch(/✖ reload failed after \d+ ms: the code does not build; still serving the last good state/);
    expect(await rows(client, "SELECT count() AS n FROM Users")).toEqual([{ n: "1" }]);

    const syntax = await save("  score: numbr;\n", "  score: number\n  }}}\n");
    expect(syntax).toMatch(/app\/index\.ts:\d+:\d+ - error TS_DIAGNOSTIC/);

    const unsupported = await save("  score: number\n  }}}\n", "  score: bigint;\n");
    expect(unsupported).toMatch(/app\/index\.ts:\d+:\d+ - error UNSUPPORTED_TYPE/);
    expect(unsupported).toMatch(/✖ reload failed after \d+ ms/);

    const fixed = await save("  score: bigint;\n", "  score: number;\n");
    expect(fixed).toMatch(/✓ reload in \d+ ms: 1 change applied/);
    expect((await columnsOf(client, "Users")).score).toBe("Float64");
  });

  it("a change to moose.config.toml is reported (it takes effect at the next start), not reloaded", async () => {
    const mark = dev.mark();
    await project.write("moose.config.toml", `${await project.read("moose.config.toml")}\n`);
    const note = await dev.waitFor(/moose\.config\.toml changed: restart moose dev/, mark);
    expect(note).not.toMatch(/reload in/);
  });

  it("keeps migrations/draft.ts: the whole change from snapshot.json to the code", async () => {
    // Written a moment after a reload, once (with the line naming it).
    await dev.waitFor(/migrations\/draft\.ts holds the change from migrations\/snapshot\.json to the code/);
    const draft = await project.read("migrations/draft.ts");
    expect(draft).toContain("DRAFT migration, rewritten by `moose dev`");
    expect(draft).toContain("create table Users");
    expect(draft).toContain("create table Analytics");
    // Streaming is off: the draft is what `moose migrate generate` writes then, without the stream.
    expect(draft).not.toContain("UserEvents");
    expect(draft).toContain("export default defineMigration({");
  });

  it("Ctrl-C exits 0; a restart keeps every row and applies nothing", async () => {
    expect(await dev.stop("SIGINT")).toBe(0);
    expect(dev.output).toContain("moose dev stopped");

    dev = new DevProcess(project, env(), YES_DESTRUCTIVE);
    const output = await dev.ready();
    expect(output).toContain("local state: resuming from the last `moose dev` run");
    expect(output).toMatch(/✓ initial build in \d+ ms: no infrastructure changes/);
    expect(await rows(client, "SELECT id, name, age, score FROM Users")).toEqual([{ id: "u1", name: "alice", age: "42", score: 0 }]);
    expect(await tableNames(client)).toEqual(["Analytics", "Users", "_moose_dev_state"]);
  }, DEV_TEST_TIMEOUT_MS);

  it("a change made while dev was stopped is applied at the next start, and only that", async () => {
    expect(await dev.stop("SIGTERM")).toBe(0);
    // While dev is stopped, `moose ls` reads the state dev left in the embedded database.
    const ls = spawnSync(process.execPath, [MOOSE_BIN, "ls", "--json"], { cwd: project.dir, encoding: "utf8", env: env() });
    expect(ls.status, `${ls.signal} ${ls.stderr}`).toBe(0);
    const listed = JSON.parse(ls.stdout) as Array<{ id: string; status: string }>;
    expect(listed.filter((item) => item.id === "Users" || item.id === "Analytics").map((item) => item.status)).toEqual(["applied", "applied"]);
    await project.edit(MAIN, "  count: number;\n", "  count: number;\n  source: string;\n");
    dev = new DevProcess(project, env(), YES_DESTRUCTIVE);
    const output = await dev.ready();
    expect(output).toContain("+ source: String");
    expect(output).toMatch(/✓ initial build in \d+ ms: 1 change applied/);
    expect((await columnsOf(client, "Analytics")).source).toBe("String");
    expect(await rows(client, "SELECT count() AS n FROM Users")).toEqual([{ n: "1" }]);
  }, DEV_TEST_TIMEOUT_MS);

  it("after `moose migrate generate` the next save deletes the draft", async () => {
    const generate = spawnSync(process.execPath, [MOOSE_BIN, "migrate", "generate", "--name", "initial"], { cwd: project.dir, encoding: "utf8", env: { ...process.env, ...env(), NO_COLOR: "1" } });
    expect(generate.status, generate.stderr).toBe(0);
    expect(existsSync(path.join(project.dir, "migrations", "snapshot.json"))).toBe(true);
    const mark = dev.mark();
    await project.write(MAIN, `${await project.read(MAIN)}\n`);
    await dev.waitFor(/migrations\/draft\.ts deleted: the code matches migrations\/snapshot\.json/, mark);
    expect(existsSync(path.join(project.dir, "migrations", "draft.ts"))).toBe(false);
  }, DEV_TEST_TIMEOUT_MS);
});

/**
 * `moose dev` on a Python project (`moose init --language python`), ClickHouse only: saving
 * app/main.py reloads — a new field is applied, a model error is shown at app/main.py:line and
 * changes nothing, an IngestPipeline added by a save serves POST /ingest/<name> into its table, an
 * Api handler's OlapTable.insert and MooseCache reach dev's engine. Dev is started from the parent
 * folder with --dir, and the project's password is its own: the app's run-time calls must read the
 * project's config, not the working directory's. The steps build on each other and run in order.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testPython } from "../helpers/python.js";
import { columnsOf, DEV_TEST_TIMEOUT_MS, DevProcess, devEnv, freePorts, projectIn, rows, tableNames, type DevPorts, type TestProject } from "./dev-process.js";
import { cleanEnv, MOOSE_BIN, run } from "./scenarios/project.js";

const MAIN = "app/main.py";
const PASSWORD = "this project's own";

describe("moose dev on a Python project", () => {
  let root: string;
  let project: TestProject;
  let ports: DevPorts;
  let dev: DevProcess;
  let client: ClickHouseClient;

  async function save(text: string): Promise<string> {
    const mark = dev.mark();
    await project.write(MAIN, text);
    return dev.nextReload(mark);
  }

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), "moose-python-dev-"));
    const dir = path.join(root, "app");
    const python = testPython();
    const init = await run(process.execPath, [MOOSE_BIN, "init", dir, "--language", "python", "--no-venv"], { cwd: root, env: cleanEnv() });
    expect(init.code, init.stdout + init.stderr).toBe(0);
    project = projectIn(dir, root);
    const config = path.join(dir, "moose.config.toml");
    writeFileSync(config, readFileSync(config, "utf8").replace('password = "pandapass"', `password = "${PASSWORD}"`));
    ports = await freePorts();
    dev = new DevProcess(project, devEnv(ports, { MOOSE_PYTHON: python, MOOSE_FEATURES__STREAMING_ENGINE: "false" }), ["--dir", dir], root);
    client = createClient({ url: `http://127.0.0.1:${ports.clickhouse}`, username: "panda", password: PASSWORD, database: "local" });
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    if (dev) expect(await dev.stop()).toBe(0);
    project?.remove();
  });

  it("starts: the initial build creates Users from app/main.py", async () => {
    const output = await dev.ready();
    expect(output).toMatch(/✓ initial build in \d+ ms: 1 change applied/);
    expect(await tableNames(client)).toEqual(["Users", "_moose_dev_state"]);
    expect(await columnsOf(client, "Users")).toEqual({ id: "String", name: "String", email: "String" });
  }, DEV_TEST_TIMEOUT_MS);

  it("a saved field (age: int) is applied; existing rows get 0", async () => {
    await client.insert({ table: "Users", values: [{ id: "u1", name: "alice", email: "a@example.com" }], format: "JSONEachRow" });
    const main = await project.read(MAIN);
    const reload = await save(main.replace("    email: str\n", "    email: str\n    age: int  # New field\n"));
    expect(reload).toContain("~ Users (Schema Update)");
    expect(reload).toMatch(/✓ reload in \d+ ms: 1 change applied/);
    expect(await columnsOf(client, "Users")).toEqual({ id: "String", name: "String", email: "String", age: "Int64" });
    expect(await rows(client, "SELECT id, toString(age) AS age FROM Users")).toEqual([{ id: "u1", age: "0" }]);
  });

  it("a model error is shown at app/main.py:line and changes nothing; fixing it reloads", async () => {
    const good = await project.read(MAIN);
    const line = good.split("\n").findIndex((text) => text.startsWith("    age: int")) + 2;
    const reload = await save(good.replace("    age: int  # New field\n", "    age: int  # New field\n    blob: complex\n"));
    expect(reload).toMatch(/✖ reload failed after \d+ ms/);
    expect(dev.output).toContain(`app/main.py:${line}:5 - error UNSUPPORTED_TYPE: UserSchema.blob: has type complex`);
    expect(await columnsOf(client, "Users")).toEqual({ id: "String", name: "String", email: "String", age: "Int64" });
    const fixed = await save(good);
    expect(fixed).toMatch(/✓ reload in \d+ ms/);
  });

  it("an IngestPipeline added by a save serves POST /ingest/Signup into its table", async () => {
    const main = await project.read(MAIN);
    const reload = await save(
      main.replace("from moose_ts import OlapTable, Stream\n", "from moose_ts import IngestPipeline, IngestPipelineConfig, Key, OlapTable, Stream\n") +
        `

class Signup(BaseModel):
    userId: Key[str]
    plan: str


signups = IngestPipeline[Signup]("Signup", IngestPipelineConfig(table=True, stream=False, ingest_api=True, dead_letter_queue=False))
`,
    );
    expect(reload).toContain("+ Signup (OLAP Table)");
    expect(reload).toMatch(/✓ reload in \d+ ms/);
    const response = await fetch(`http://localhost:${ports.api}/ingest/Signup`, { method: "POST", body: JSON.stringify({ userId: "u9", plan: "pro" }) });
    expect(response.status).toBe(200);
    expect(await rows(client, "SELECT userId, plan FROM Signup")).toEqual([{ userId: "u9", plan: "pro" }]);
    const invalid = await fetch(`http://localhost:${ports.api}/ingest/Signup`, { method: "POST", body: JSON.stringify({ userId: "u10" }) });
    expect(invalid.status).toBe(400);
  });

  it("an Api[Params, Result] added by a save is served by the Python worker: parameters checked, its query bound and run", async () => {
    await client.insert({ table: "Users", values: [{ id: "u2", name: "bob", email: "b@example.com", age: 30 }], format: "JSONEachRow" });
    const main = await project.read(MAIN);
    const reload = await save(
      main.replace("from moose_ts import ", "from typing import Optional\n\nfrom moose_ts import Api, MooseCache, MooseClient, ") +
        `

class UserQuery(BaseModel):
    min_age: int = 0
    limit: Optional[int] = None


class UserRow(BaseModel):
    id: str
    age: int


def list_users(client: MooseClient, params: UserQuery):
    print("listing users older than", params.min_age)
    rows = client.query.execute(
        "SELECT id, toString(age) AS age_text FROM {table} WHERE {age} >= {min_age} ORDER BY id LIMIT {limit}",
        {"table": users_table, "age": users_table.cols.age, "min_age": params.min_age, "limit": params.limit or 10},
    )
    return [UserRow(id=row["id"], age=int(row["age_text"])) for row in rows]


users_api = Api[UserQuery, list[UserRow]]("users", list_users)


def broken(client, params: UserQuery):
    return 1 / 0


broken_api = Api[UserQuery, list[UserRow]]("broken", broken)


def ratios(client, params: UserQuery):
    return [{"ratio": float("nan")}, {"ratio": float("inf")}, {"ratio": 0.5}]


ratios_api = Api[UserQuery, list[dict]]("ratios", ratios)


class Remember(BaseModel):
    id: str


def remember(client, params: Remember):
    inserted = users_table.insert({"id": params.id, "name": "from the api", "email": "api@example.com", "age": 41})
    MooseCache().set(f"user:{params.id}", {"inserted": inserted.successful})
    return {"inserted": inserted.successful, "cached": MooseCache().get(f"user:{params.id}")}


remember_api = Api[Remember, dict]("remember", remember)
`,
    );
    expect(reload).toContain("+ api/users (API Endpoint)");
    expect(reload).toMatch(/✓ reload in \d+ ms/);
    const api = (query: string) => fetch(`http://localhost:${ports.api}/api/${query}`);
    const all = await api("users");
    expect(all.status, dev.output.slice(-3000)).toBe(200);
    expect(await all.json()).toEqual([{ id: "u1", age: 0 }, { id: "u2", age: 30 }]);
    const older = await api("users?min_age=18&limit=5");
    expect(await older.json()).toEqual([{ id: "u2", age: 30 }]);
    expect(dev.output).toContain("listing users older than 18");
    const invalid = await api("users?min_age=old");
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(await invalid.json())).toContain("min_age");
    const failed = await api("broken");
    expect(failed.status).toBe(500);
    await dev.waitFor(/error API_HANDLER_FAILED: \/api\/broken at app\/main\.py:\d+: ZeroDivisionError/);
    expect((await api("users?min_age=18")).status).toBe(200);
    // JSON has no NaN or infinity: written as null, as a TypeScript API's JSON.stringify does.
    const ratios = await api("ratios");
    expect(ratios.status).toBe(200);
    expect(await ratios.json()).toEqual([{ ratio: null }, { ratio: null }, { ratio: 0.5 }]);
    // OlapTable.insert and MooseCache from a handler: done by dev with the project's own credentials.
    const remembered = await api("remember?id=u9");
    expect(await remembered.json(), dev.output.slice(-3000)).toEqual({ inserted: 1, cached: { inserted: 1 } });
    expect(await rows(client, "SELECT id, age FROM Users WHERE id = 'u9'")).toEqual([{ id: "u9", age: "41" }]);
  });

  it("a FastAPI WebApp in an app without APIs is served at its mount path by the Python worker, querying through get_moose_utils", async () => {
    const main = await project.read(MAIN);
    // The APIs of the test above go: the worker is started for the WebApp alone (the manifest does not hold WebApps).
    const withoutApis = main.slice(0, main.indexOf("\nclass UserQuery"));
    const reload = await save(
      `from fastapi import FastAPI, Request\nfrom moose_ts.dmv2 import WebApp, WebAppConfig\nfrom moose_ts.dmv2.web_app_helpers import get_moose_utils\n${withoutApis}

dashboard = FastAPI()


@dashboard.get("/users/{user_id}")
def user(user_id: str, request: Request):
    moose = get_moose_utils(request)
    return moose.client.query.execute("SELECT id, age FROM {table} WHERE id = {user_id}", {"table": users_table, "user_id": user_id})


WebApp("dashboard", dashboard, WebAppConfig(mount_path="/dashboard"))
`,
    );
    expect(reload).toContain("- api/users (API Endpoint)");
    expect(reload).toMatch(/✓ reload in \d+ ms/);
    expect((await fetch(`http://localhost:${ports.api}/api/users`)).status).toBe(404);
    const response = await fetch(`http://localhost:${ports.api}/dashboard/users/u2`);
    expect(response.status, dev.output.slice(-3000)).toBe(200);
    // An Int64 column comes to the handler as an int, as moose_lib's client gives it.
    expect(await response.json()).toEqual([{ id: "u2", age: 30 }]);
    expect((await fetch(`http://localhost:${ports.api}/dashboard/nothing`)).status).toBe(404);
  });

  it("a Python worker that died (killed, out of memory) makes /health unhealthy; the next good save starts it again", async () => {
    const workers = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line.includes("_moose_ts_worker") && line.includes(project.dir));
    expect(workers).toHaveLength(1);
    process.kill(Number(workers[0]!.trim().split(/\s+/)[0]), "SIGKILL");
    await expect.poll(async () => (await fetch(`http://localhost:${ports.api}/health`)).status, { timeout: 10_000 }).toBe(503);
    expect(await (await fetch(`http://localhost:${ports.api}/health`)).json()).toMatchObject({ status: "unhealthy", services: { python: "unavailable" } });
    expect((await fetch(`http://localhost:${ports.api}/dashboard/users/u2`)).status).toBe(500);
    expect(await save(`${await project.read(MAIN)}\n# saved again\n`)).toMatch(/✓ reload in \d+ ms/);
    expect((await fetch(`http://localhost:${ports.api}/health`)).status).toBe(200);
    expect((await fetch(`http://localhost:${ports.api}/dashboard/users/u2`)).status).toBe(200);
  });
});

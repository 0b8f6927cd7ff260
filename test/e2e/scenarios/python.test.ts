/**
 * The docs' Python examples, end to end from the CLI: a project from `moose init --language python`
 * (app/main.py with the docs' UserSchema, `language = "Python"`), then "Adding a New Table", "Schema
 * Changes" and the "Migration Types" rows — each change planned, written (`migrate generate`) and
 * applied (`migrate up --embedded`), then checked in the embedded ClickHouse; a model error points at
 * app/main.py:line. ClickHouse only (streaming off): topics are language-blind and covered by the
 * TypeScript scenarios; the Python twin test proves the stream specs equal. The steps run in order.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testPython } from "../../helpers/python.js";
import { cleanEnv, MOOSE_BIN, Output, Project, run, type RunResult } from "./project.js";

const MAIN = "app/main.py";
const ANALYTICS = `

class AnalyticsSchema(BaseModel):
    eventId: str
    count: int


analytics_table = OlapTable[AnalyticsSchema]("Analytics")
`;

describe("the docs' Python examples (moose init --language python, embedded ClickHouse)", { timeout: 180_000 }, () => {
  let root: string;
  let project: Project;
  const all = (result: RunResult) => result.stdout + result.stderr;

  async function planAndApply(name: string, allowDataLoss = false): Promise<string> {
    const plan = await project.moose(["plan"]);
    expect(plan.code, all(plan)).toBe(0);
    const flags = allowDataLoss ? ["--allow-data-loss"] : [];
    const generated = await project.moose(["migrate", "generate", "--name", name, ...flags]);
    expect(generated.code, all(generated)).toBe(0);
    const applied = await project.moose(["migrate", "up", "--embedded", ...flags]);
    expect(applied.code, all(applied)).toBe(0);
    return plan.stdout;
  }

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), "moose-python-"));
    const dir = path.join(root, "app");
    const env = { MOOSE_PYTHON: testPython(), MOOSE_FEATURES__STREAMING_ENGINE: "false" };
    const init = await run(process.execPath, [MOOSE_BIN, "init", dir, "--language", "python", "--no-venv"], { cwd: root, env: cleanEnv(env) });
    expect(init.code, all(init)).toBe(0);
    project = Project.at(dir, env);
  }, 60_000);

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("init writes the docs' Python app, and `moose build` extracts it from app/main.py", async () => {
    expect(await project.read("moose.config.toml")).toMatch(/^language = "Python"\n/);
    const main = await project.read(MAIN);
    expect(main).toContain("from moose_ts import OlapTable, Stream");
    expect(main).toContain('users_table = OlapTable[UserSchema]("Users")');
    expect(main).toContain('user_events = Stream[UserSchema]("UserEvents")');
    expect(await project.read("requirements.txt")).toContain("pydantic>=2");
    const packageJson = JSON.parse(await project.read("package.json")) as { dependencies: Record<string, string> };
    expect(packageJson.dependencies["moose-ts"]).toMatch(/^file:\//);
    expect(await project.read(".gitignore")).toMatch(/^\.venv\/$/m);
    const built = await project.moose(["build"]);
    expect(built.code, all(built)).toBe(0);
    expect(built.stdout).toMatch(/Built \.moose\/manifest\.json: 1 table, 0 streams/);
    const manifest = JSON.parse(await project.read(".moose/manifest.json")) as { tables: Record<string, { columns: unknown[]; source: unknown }> };
    expect(manifest.tables.Users?.columns).toEqual([
      { name: "id", type: "String", nullable: false },
      { name: "name", type: "String", nullable: false },
      { name: "email", type: "String", nullable: false },
    ]);
    expect(manifest.tables.Users?.source).toEqual({ file: "app/main.py", line: 12, col: 15 });
  });

  it("first migration: creates Users", async () => {
    const plan = await planAndApply("initial");
    expect(plan).toContain("+ Users (OLAP Table)");
    expect(await project.tables()).toEqual(["Users"]);
    expect(await project.columns("Users")).toEqual({ id: "String", name: "String", email: "String" });
  });

  it("Adding a New Table: analytics_table = OlapTable[AnalyticsSchema](\"Analytics\") → + Analytics (OLAP Table)", async () => {
    await project.append(MAIN, ANALYTICS);
    const plan = await planAndApply("add_analytics");
    expect(plan).toContain("✨ New Components");
    expect(plan).toContain("+ Analytics (OLAP Table)");
    expect(await project.tables()).toEqual(["Analytics", "Users"]);
    expect(await project.columns("Analytics")).toEqual({ eventId: "String", count: "Int64" });
  });

  it("Schema Changes: age: int (New field) → ~ Users; existing rows get 0, and a ClickHouseDefault field its default", async () => {
    await project.sql("INSERT INTO Users VALUES ('u1', 'alice', 'alice@example.com'), ('u2', 'bob', 'bob@example.com')");
    await project.edit(MAIN, "from pydantic import BaseModel\n", "from typing import Annotated\n\nfrom pydantic import BaseModel\n");
    await project.edit(MAIN, "from moose_ts import OlapTable, Stream\n", "from moose_ts import OlapTable, Stream, clickhouse_default\n");
    await project.edit(
      MAIN,
      "    email: str\n",
      "    email: str\n    age: int  # New field\n    country: Annotated[str, clickhouse_default(\"'unknown'\")]\n",
    );
    const plan = await planAndApply("add_age");
    expect(plan).toContain("🔄 Modified Components");
    expect(plan).toContain("~ Users (Schema Update)");
    expect(plan).toContain("+ age: Int64 — existing rows get 0 (the type's default)");
    expect(await project.columns("Users")).toEqual({ id: "String", name: "String", email: "String", age: "Int64", country: "String" });
    expect(await project.sql("SELECT id, age, country FROM Users ORDER BY id")).toEqual([
      { id: "u1", age: 0, country: "unknown" },
      { id: "u2", age: 0, country: "unknown" },
    ]);
  });

  it("Change type: age: int → float converts the stored values", async () => {
    await project.sql("ALTER TABLE Users UPDATE age = 41 WHERE id = 'u1' SETTINGS mutations_sync = 2");
    await project.edit(MAIN, "    age: int  # New field\n", "    age: float  # New field\n");
    const plan = await planAndApply("age_to_float");
    expect(plan).toContain("~ age: Int64 → Float64");
    expect(await project.columns("Users")).toMatchObject({ age: "Float64" });
    expect(await project.sql("SELECT id, age FROM Users ORDER BY id")).toEqual([
      { id: "u1", age: 41 },
      { id: "u2", age: 0 },
    ]);
  });

  it("Remove field: data loss is gated (exit 3) until --allow-data-loss, then the column is dropped", async () => {
    await project.edit(MAIN, "    country: Annotated[str, clickhouse_default(\"'unknown'\")]\n", "");
    const refused = await project.moose(["migrate", "generate", "--name", "drop_country"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("MIGRATION_DESTRUCTIVE");
    await planAndApply("drop_country", true);
    expect(await project.columns("Users")).toEqual({ id: "String", name: "String", email: "String", age: "Float64" });
  });

  it("Remove object: deleting analytics_table → - Analytics (OLAP Table), dropped with --allow-data-loss", async () => {
    const main = await project.read(MAIN);
    await project.write(MAIN, main.slice(0, main.indexOf("\n\nclass AnalyticsSchema")) + "\n");
    const plan = await planAndApply("drop_analytics", true);
    expect(plan).toContain("❌ Removed Components");
    expect(plan).toContain("- Analytics (OLAP Table)");
    expect(await project.tables()).toEqual(["Users"]);
    const after = await project.moose(["plan"]);
    expect(after.stdout).toContain("No changes.");
    const status = await project.moose(["migrate", "status", "--embedded"]);
    expect(status.code, all(status)).toBe(0);
    const ls = await project.moose(["ls"]);
    expect(ls.stdout).toMatch(/^table +Users +\S+ +applied$/m);
  });

  it("a model error points at app/main.py:line:col, names the field, and writes nothing", async () => {
    const before = await project.read(".moose/manifest.json");
    const main = await project.read(MAIN);
    await project.edit(MAIN, "    age: float  # New field\n", "    age: float  # New field\n    tags: set[str]\n");
    const line = main.split("\n").findIndex((text) => text.startsWith("    age: float")) + 2;
    const built = await project.moose(["build"]);
    expect(built.code).toBe(1);
    expect(built.stderr).toContain(`app/main.py:${line}:5 - error UNSUPPORTED_TYPE: UserSchema.tags: has type set[str], which has no ClickHouse column type`);
    const plan = await project.moose(["plan"]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain(`app/main.py:${line}:5 - error UNSUPPORTED_TYPE`);
    expect(await project.read(".moose/manifest.json")).toBe(before);

    await project.write(MAIN, main.replace('OlapTable[UserSchema]("Users")', 'OlapTable[UserSchema]("Users", OlapConfig(order_by_fields=["nope"]))').replace("import OlapTable,", "import OlapConfig, OlapTable,"));
    const unknown = await project.moose(["build"]);
    expect(unknown.code).toBe(1);
    const tableLine = main.split("\n").findIndex((text) => text.startsWith("users_table")) + 1;
    expect(unknown.stderr).toContain(`app/main.py:${tableLine}:15 - error UNKNOWN_FIELD: Users.order_by_fields[0] names "nope"`);

    await project.write(MAIN, main.replace("    name: str\n", "    name: str\n    raise ValueError('boom')\n"));
    const raised = await project.moose(["build"]);
    expect(raised.code).toBe(1);
    const raiseLine = main.split("\n").findIndex((text) => text.startsWith("    name: str")) + 2;
    expect(raised.stderr).toContain(`app/main.py:${raiseLine}:5 - error APP_ERROR: the app raised while loading: ValueError: boom`);

    await project.write(MAIN, main.replace("    name: str\n", "    name: str =\n"));
    const syntax = await project.moose(["build"]);
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toMatch(new RegExp(`app/main\\.py:${raiseLine - 1}:\\d+ - error PYTHON_SYNTAX_ERROR`));
    await project.write(MAIN, main);
    const fixed = await project.moose(["build"]);
    expect(fixed.code, all(fixed)).toBe(0);
  });

  it("moose prod serves the app's Python Api (the Python worker) and answers remote plans", async () => {
    await project.append(
      MAIN,
      `

from moose_ts import Api  # noqa: E402


class ByName(BaseModel):
    name: str


def find(client, params: ByName):
    return client.query.execute("SELECT id, email FROM {table} WHERE name = {name}", {"table": users_table, "name": params.name})


find_api = Api[ByName, list[UserSchema]]("find", find)
`,
    );
    const generated = await project.moose(["migrate", "generate", "--name", "add_find_api"]);
    expect(generated.code, all(generated)).toBe(0);
    expect(generated.stdout).toContain("+ api/find (API Endpoint)");
    const hashed = await project.moose(["generate", "hash-token", "--json"]);
    const token = JSON.parse(hashed.stdout) as { api_key_hash: string; bearer_token: string };
    const prod = new Output(project.spawnMoose(["prod", "--embedded", "--migrate", "--port", "0"], { MOOSE_AUTHENTICATION__ADMIN_API_KEY: token.api_key_hash }));
    try {
      const url = (await prod.waitFor(/moose prod listening on (http:\/\/\S+)/))[1]!;
      const found = await fetch(`${url}/api/find?name=alice`);
      expect(found.status, prod.text).toBe(200);
      expect(await found.json()).toEqual([{ id: "u1", email: "alice@example.com" }]);
      expect((await fetch(`${url}/api/find`)).status).toBe(400);
      const remote = await project.moose(["plan", "--url", url], { MOOSE_ADMIN_TOKEN: token.bearer_token });
      expect(remote.code, all(remote)).toBe(0);
      expect(remote.stdout).toContain("No changes.");
    } finally {
      const code = await prod.stop();
      expect(code, prod.text).toBe(0);
    }
  });
});

describe("moose init --language python with its virtualenv", { timeout: 180_000 }, () => {
  it("creates .venv with pydantic from requirements.txt, and moose runs the app with it (no MOOSE_PYTHON)", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "moose-python-venv-"));
    try {
      const dir = path.join(root, "app");
      const init = await run(process.execPath, [MOOSE_BIN, "init", dir, "--language", "python"], { cwd: root, env: cleanEnv() });
      expect(init.code, init.stdout + init.stderr).toBe(0);
      expect(init.stdout).toContain("created .venv with pydantic (requirements.txt)");
      // The CLI comes from the project's own package.json, as in a TypeScript project. --ignore-scripts:
      // not the repo's `prepare` (its build), which would rewrite dist/ under the test files beside this one.
      const install = await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: dir, env: cleanEnv() });
      expect(install.code, install.stdout + install.stderr).toBe(0);
      const projectMoose = path.join(dir, "node_modules", "moose-ts", "bin", "moose.js");
      // No python3 on PATH: only the project's .venv can run the app.
      const built = await run(process.execPath, [projectMoose, "build"], { cwd: dir, env: cleanEnv({ PATH: "/nonexistent", VIRTUAL_ENV: "" }) });
      expect(built.code, built.stdout + built.stderr).toBe(0);
      expect(built.stdout).toMatch(/Built \.moose\/manifest\.json: 1 table, 1 stream/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

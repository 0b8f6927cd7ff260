/**
 * `moose db pull` through the built CLI against a real ClickHouse server (Debian's,
 * scripts/clickhouse-server, or MOOSE_TEST_CLICKHOUSE_URL): a table joins the external models file
 * with --table, a column added on the server reaches the file on the next pull, an unchanged
 * database leaves the file alone, and every refusal writes nothing.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../../src/errors.js";
import { extractManifest } from "../../../src/extract/index.js";
import { SERVER_START_TIMEOUT_MS, serverExec, testServerUrl, withTestDatabase } from "../../helpers/clickhouse.js";
import { testPython } from "../../helpers/python.js";
import { runMoose } from "./cli-helpers.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/app", import.meta.url));
const APP = `import { OlapTable, type Key } from "moose-ts";

interface Order {
  id: Key<string>;
  total: number;
}

export const orders = new OlapTable<Order>("Orders", { orderByFields: ["id"] });
`;

const projectDir = mkdtempSync(join(tmpdir(), "moose-db-pull-"));
const modelsFile = join(projectDir, "app", "externalModels.ts");
let source: { database: string; url: string; drop(): Promise<void> };

const pull = (...args: string[]) => runMoose(["db", "pull", "--clickhouse-url", source.url, ...args, "--dir", projectDir]);

beforeAll(async () => {
  source = await withTestDatabase(await testServerUrl());
  await serverExec(source.url, `CREATE TABLE ${source.database}.cdc_users (id UInt64, name String, email Nullable(String), updated DateTime, price Decimal(18, 4)) ENGINE = ReplacingMergeTree ORDER BY id`);
  await serverExec(source.url, `CREATE TABLE ${source.database}.quantiles (k String, q AggregateFunction(quantiles(0.5), Float64)) ENGINE = AggregatingMergeTree ORDER BY k`);
  await serverExec(source.url, `CREATE TABLE ${source.database}.Orders (id String, total Float64) ENGINE = MergeTree ORDER BY id`);
  cpSync(FIXTURE, projectDir, { recursive: true });
  writeFileSync(join(projectDir, "app", "index.ts"), APP);
  writeFileSync(join(projectDir, "moose.config.toml"), `[features]\nstreaming_engine = false\n`);
}, SERVER_START_TIMEOUT_MS);

afterAll(async () => {
  rmSync(projectDir, { recursive: true, force: true });
  await source?.drop();
});

describe("moose db pull", () => {
  it("with no external table in the code and no --table, or no --clickhouse-url: says what to do, writes nothing", async () => {
    const result = await pull();
    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toContain("DB_PULL_NOTHING");
    expect(result.stderr).toContain("--table <name>");
    expect(existsSync(modelsFile)).toBe(false);

    const noUrl = await runMoose(["db", "pull", "--dir", projectDir]);
    expect(noUrl.code).toBe(ExitCode.usage);
    expect(noUrl.stderr).toContain("DB_PULL_NO_SOURCE: no ClickHouse to read the tables from");
    expect(noUrl.stderr).toContain("--clickhouse-url http(s)://user:password@host:port/database");
  });

  it("writes a table named with --table as an EXTERNALLY_MANAGED model that builds into the server's columns; then follows the server's changes", async () => {
    const first = await pull("--table", "cdc_users");
    expect(first.code, first.stderr).toBe(ExitCode.ok);
    expect(first.stdout).toContain(`✓ app/externalModels.ts: 1 table from database ${source.database}`);
    expect(first.stdout).toContain("+ cdc_users (new)");
    // app/index.ts does not import the file yet.
    expect(first.stderr).toContain(`add \`export * from "./externalModels";\` to app/index.ts`);
    const written = readFileSync(modelsFile, "utf8");
    expect(written).toContain("lifeCycle: LifeCycle.EXTERNALLY_MANAGED");
    expect(written).not.toContain(new URL(source.url).password || "\u0000");

    writeFileSync(join(projectDir, "app", "index.ts"), `${APP}export * from "./externalModels.js";\n`);
    const built = await extractManifest({ projectDir });
    expect(built.tables.cdc_users).toMatchObject({
      lifeCycle: "EXTERNALLY_MANAGED",
      orderBy: ["id"],
      columns: [
        { name: "id", type: "UInt64", nullable: false },
        { name: "name", type: "String", nullable: false },
        { name: "email", type: "String", nullable: true },
        { name: "updated", type: "DateTime('UTC')", nullable: false },
        { name: "price", type: "Decimal(18, 4)", nullable: false },
      ],
    });

    await serverExec(source.url, `ALTER TABLE ${source.database}.cdc_users ADD COLUMN tier String`);
    const second = await pull();
    expect(second.code, second.stderr).toBe(ExitCode.ok);
    expect(second.stdout).toContain("  ~ cdc_users: + column tier\n");
    expect(second.stderr).toBe("");
    expect((await extractManifest({ projectDir })).tables.cdc_users!.columns.map((column) => column.name)).toEqual(["id", "name", "email", "updated", "price", "tier"]);

    const third = await pull();
    expect(third.code).toBe(ExitCode.ok);
    expect(third.stdout).toContain(`app/externalModels.ts is up to date: 1 table from database ${source.database}`);

    // App code that reads a column the database then drops: the new file would not build, so the old one stays.
    writeFileSync(join(projectDir, "app", "index.ts"), `${APP}export * from "./externalModels.js";\nimport type { cdc_users } from "./externalModels.js";\nexport const tierOf = (user: cdc_users) => user.tier;\n`);
    const kept = readFileSync(modelsFile, "utf8");
    await serverExec(source.url, `ALTER TABLE ${source.database}.cdc_users DROP COLUMN tier`);
    const broken = await pull();
    expect(broken.code).toBe(ExitCode.error);
    expect(broken.stderr).toContain("DB_PULL_BUILD_FAILED: the written app/externalModels.ts did not build, so the previous one was put back");
    expect(broken.stderr).toContain("tier");
    expect(readFileSync(modelsFile, "utf8")).toBe(kept);
    writeFileSync(join(projectDir, "app", "index.ts"), `${APP}export * from "./externalModels.js";\n`);
  });

  it("refuses, writing nothing: a table the code models elsewhere, a table the database lacks, a column type with no TypeScript", async () => {
    const before = existsSync(modelsFile) ? readFileSync(modelsFile, "utf8") : undefined;

    const elsewhere = await pull("--table", "Orders");
    expect(elsewhere.code).toBe(ExitCode.usage);
    expect(elsewhere.stderr).toContain("DB_PULL_DEFINED_ELSEWHERE");
    expect(elsewhere.stderr).toContain("table Orders is already modelled in app/index.ts:");

    const missing = await pull("--table", "nowhere");
    expect(missing.code).toBe(ExitCode.error);
    expect(missing.stderr).toContain(`DB_PULL_TABLE_MISSING: database ${source.database} has no table nowhere. Nothing was written.`);

    const unsupported = await pull("--table", "quantiles");
    expect(unsupported.code).toBe(ExitCode.error);
    expect(unsupported.stderr).toContain("DB_PULL_UNSUPPORTED_TYPE");
    expect(unsupported.stderr).toContain("quantiles.q AggregateFunction(quantiles(0.5), Float64)");

    // A file a person wrote, or one that holds more than external tables, is never written over; nor is a path outside the project.
    const index = join(projectDir, "app", "index.ts");
    const indexBefore = readFileSync(index, "utf8");
    const handWritten = await pull("--file-path", "app/index.ts", "--table", "cdc_users");
    expect(handWritten.code).toBe(ExitCode.usage);
    expect(handWritten.stderr).toContain("DB_PULL_NOT_GENERATED: app/index.ts was not written by moose db pull");
    expect(readFileSync(index, "utf8")).toBe(indexBefore);
    writeFileSync(modelsFile, `${before}\nexport const added = new OlapTable<{ id: string }>("AddedByHand");\n`);
    const mixed = await pull();
    expect(mixed.code).toBe(ExitCode.usage);
    expect(mixed.stderr).toContain("DB_PULL_NOT_GENERATED: app/externalModels.ts defines more than EXTERNALLY_MANAGED tables: AddedByHand (tables)");
    writeFileSync(modelsFile, before!);
    for (const outside of ["../elsewhere.ts", "/tmp/moose-db-pull-outside.ts", "app/models.js"]) {
      const refused = await pull("--file-path", outside, "--table", "cdc_users");
      expect(refused.code, outside).toBe(ExitCode.usage);
      expect(refused.stderr).toContain("DB_PULL_BAD_PATH");
    }
    expect(existsSync("/tmp/moose-db-pull-outside.ts")).toBe(false);

    expect(existsSync(modelsFile) ? readFileSync(modelsFile, "utf8") : undefined).toBe(before);
  });
});

describe("moose init --from-remote", () => {
  it("models every table of the database as EXTERNALLY_MANAGED, leaves out one with a type no TypeScript maps to, and moose db pull finds it up to date", async () => {
    const parent = mkdtempSync(join(tmpdir(), "moose-init-remote-"));
    try {
      const created = join(parent, "from-prod");
      const init = await runMoose(["init", created, "--from-remote", source.url]);
      expect(init.code, init.stderr).toBe(ExitCode.ok);
      expect(init.stdout).toContain(`Modelled 2 tables of database ${source.database} at `);
      expect(init.stdout).toContain("  - quantiles: left out, no TypeScript type maps to q AggregateFunction(quantiles(0.5), Float64)");
      expect(readFileSync(join(created, "app", "index.ts"), "utf8")).toContain(`export * from "./externalModels";`);
      // The type check needs @types/node, which `npm install` would bring.
      symlinkSync(join(fileURLToPath(new URL("../../..", import.meta.url)), "node_modules"), join(created, "node_modules"));
      const manifest = await extractManifest({ projectDir: created });
      expect(Object.values(manifest.tables).map((table) => [table.name, table.lifeCycle]).sort()).toEqual([
        ["Orders", "EXTERNALLY_MANAGED"],
        ["cdc_users", "EXTERNALLY_MANAGED"],
      ]);
      const pulled = await runMoose(["db", "pull", "--clickhouse-url", source.url, "--dir", created]);
      expect(pulled.code, pulled.stderr).toBe(ExitCode.ok);
      expect(pulled.stdout).toContain(`app/externalModels.ts is up to date: 2 tables from database ${source.database}`);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it("in Python: pydantic models in app/external_models.py, which moose db pull then finds up to date", async () => {
    const parent = mkdtempSync(join(tmpdir(), "moose-init-remote-py-"));
    const env = { MOOSE_PYTHON: testPython() };
    try {
      const created = join(parent, "from-prod-py");
      const init = await runMoose(["init", created, "--language", "python", "--no-venv", "--from-remote", source.url], { env });
      expect(init.code, init.stderr).toBe(ExitCode.ok);
      expect(init.stdout).toContain(`Modelled 2 tables of database ${source.database} at `);
      expect(init.stdout).toContain("  - quantiles: left out, no Python type maps to q AggregateFunction(quantiles(0.5), Float64)");
      expect(readFileSync(join(created, "app", "main.py"), "utf8")).toContain("import app.external_models  # noqa: F401");
      process.env.MOOSE_PYTHON = env.MOOSE_PYTHON;
      const manifest = await extractManifest({ projectDir: created });
      expect(Object.values(manifest.tables).map((table) => [table.name, table.lifeCycle, table.source?.file]).sort()).toEqual([
        ["Orders", "EXTERNALLY_MANAGED", "app/external_models.py"],
        ["cdc_users", "EXTERNALLY_MANAGED", "app/external_models.py"],
      ]);
      const pulled = await runMoose(["db", "pull", "--clickhouse-url", source.url, "--dir", created], { env });
      expect(pulled.code, pulled.stderr).toBe(ExitCode.ok);
      expect(pulled.stdout).toContain(`app/external_models.py is up to date: 2 tables from database ${source.database}`);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it("a URL that does not answer leaves no directory behind", async () => {
    const parent = mkdtempSync(join(tmpdir(), "moose-init-remote-"));
    try {
      const init = await runMoose(["init", join(parent, "nothing"), "--from-remote", "http://127.0.0.1:1/db"]);
      expect(init.code).not.toBe(ExitCode.ok);
      expect(existsSync(join(parent, "nothing"))).toBe(false);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

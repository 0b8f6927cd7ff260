/**
 * `moose seed clickhouse` through the built CLI: rows of the code's tables from a real ClickHouse
 * server (Debian's, scripts/clickhouse-server, or MOOSE_TEST_CLICKHOUSE_URL) into the project's
 * embedded engine, exact (Int64 and Decimal(38, 9) values), with --limit / --order-by / --all /
 * --table, a materialized view's target left to the view, and a wrong password said plainly.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../../src/errors.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { SERVER_START_TIMEOUT_MS, serverExec, testServerUrl, urlWithPassword, withTestDatabase } from "../../helpers/clickhouse.js";
import { runMoose } from "./cli-helpers.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/app", import.meta.url));
const APP = `import { MaterializedView, OlapTable, sql, type Decimal, type Int64, type Key } from "moose-ts";

interface Order {
  id: Key<string>;
  customer: string;
  cents: Int64;
  price: Decimal<38, 9>;
  at: Date;
}

interface CustomerTotal {
  customer: string;
  orders: Int64;
}

export const orders = new OlapTable<Order>("Orders", { orderByFields: ["id"] });
export const notOnTheSource = new OlapTable<CustomerTotal>("Archive", { orderByFields: ["customer"] });
export const totals = new MaterializedView<CustomerTotal>({
  selectStatement: sql\`SELECT customer, toInt64(count()) AS orders FROM \${orders} GROUP BY customer\`,
  selectTables: [orders],
  tableName: "CustomerTotals",
  materializedViewName: "CustomerTotalsView",
  orderByFields: ["customer"],
});
`;

const projectDir = mkdtempSync(join(tmpdir(), "moose-seed-cli-"));
let source: { database: string; url: string; drop(): Promise<void> };

type Row = Record<string, unknown>;

async function local<T = Row>(statement: string): Promise<T[]> {
  const driver = await openEmbedded({ dataDir: join(projectDir, ".moose", "clickhouse"), database: "seed_target" });
  try {
    return await driver.query<T>(statement);
  } finally {
    await driver.close();
  }
}

async function truncateLocal(): Promise<void> {
  const driver = await openEmbedded({ dataDir: join(projectDir, ".moose", "clickhouse"), database: "seed_target" });
  try {
    for (const table of ["Orders", "CustomerTotals"]) await driver.exec(`TRUNCATE TABLE ${table}`);
  } finally {
    await driver.close();
  }
}

beforeAll(async () => {
  source = await withTestDatabase(await testServerUrl());
  await serverExec(source.url, `CREATE TABLE ${source.database}.Orders (id String, customer String, cents Int64, price Decimal(38, 9), at DateTime) ENGINE = MergeTree ORDER BY id`);
  await serverExec(source.url, `CREATE TABLE ${source.database}.CustomerTotals (customer String, orders Int64) ENGINE = MergeTree ORDER BY customer`);
  await serverExec(
    source.url,
    `INSERT INTO ${source.database}.Orders VALUES ('o1', 'ada', 9223372036854775807, 12345678901234567890.123456789, '2026-01-01 10:00:00'), ` +
      `('o2', 'ada', -5, 0.000000001, '2026-01-02 10:00:00'), ('o3', 'grace', 7, 1.5, '2026-01-03 10:00:00')`,
  );
  await serverExec(source.url, `INSERT INTO ${source.database}.CustomerTotals VALUES ('someone-else', 99)`);

  cpSync(FIXTURE, projectDir, { recursive: true });
  writeFileSync(join(projectDir, "app", "index.ts"), APP);
  writeFileSync(join(projectDir, "moose.config.toml"), `[features]\nstreaming_engine = false\n\n[clickhouse_config]\ndb_name = "seed_target"\n`);
  for (const args of [["migrate", "generate", "--name", "init"], ["migrate", "up", "--embedded"]]) {
    const result = await runMoose([...args, "--dir", projectDir]);
    if (result.code !== ExitCode.ok) throw new Error(`${args.join(" ")}: ${result.stderr}`);
  }
}, SERVER_START_TIMEOUT_MS);

afterAll(async () => {
  rmSync(projectDir, { recursive: true, force: true });
  await source?.drop();
});

describe("moose seed clickhouse", () => {
  it("copies the code's tables exactly; the view fills its target from the copied rows; a table the source lacks is skipped", async () => {
    const seeded = await runMoose(["seed", "clickhouse", "--clickhouse-url", source.url, "--dir", projectDir]);
    expect(seeded.code, seeded.stderr).toBe(ExitCode.ok);
    expect(seeded.stdout).toContain("✓ Orders: 3 rows copied (3 in the table)");
    expect(seeded.stdout).toContain("- CustomerTotals: skipped, the materialized view CustomerTotalsView fills it from its sources");
    expect(seeded.stdout).toContain(`- Archive: skipped, the source has no table Archive in database ${source.database}`);

    expect(await local("SELECT id, customer, toString(cents) AS cents, toString(price) AS price, toString(at) AS at FROM Orders ORDER BY id")).toEqual([
      { id: "o1", customer: "ada", cents: "9223372036854775807", price: "12345678901234567890.123456789", at: "2026-01-01 10:00:00" },
      { id: "o2", customer: "ada", cents: "-5", price: "0.000000001", at: "2026-01-02 10:00:00" },
      { id: "o3", customer: "grace", cents: "7", price: "1.5", at: "2026-01-03 10:00:00" },
    ]);
    // Not someone-else's 99: the target holds what the view made of the copied orders.
    expect(await local("SELECT customer, sum(orders) AS orders FROM CustomerTotals GROUP BY customer ORDER BY customer")).toEqual([
      { customer: "ada", orders: "2" },
      { customer: "grace", orders: "1" },
    ]);
  });

  it("takes --limit with --order-by (the newest rows), --table for one table (a view's target too), and --all", async () => {
    await truncateLocal();
    const newest = await runMoose(["seed", "clickhouse", "--clickhouse-url", source.url, "--table", "Orders", "--limit", "1", "--order-by", "at DESC", "--report=false", "--dir", projectDir]);
    expect(newest.code, newest.stderr).toBe(ExitCode.ok);
    expect(newest.stdout).toBe("✓ Orders: 1 rows copied\n");
    expect(await local("SELECT id FROM Orders")).toEqual([{ id: "o3" }]);

    const target = await runMoose(["seed", "clickhouse", "--clickhouse-url", source.url, "--table", "CustomerTotals", "--all", "--dir", projectDir]);
    expect(target.stdout).toContain("✓ CustomerTotals: 1 rows copied");
    expect(await local("SELECT customer FROM CustomerTotals WHERE orders = 99")).toEqual([{ customer: "someone-else" }]);

    const both = await runMoose(["seed", "clickhouse", "--clickhouse-url", source.url, "--all", "--limit", "5", "--dir", projectDir]);
    expect(both.code).toBe(ExitCode.usage);
  });

  it("refuses a wrong password, a table the code lacks and a missing source, before copying anything", async () => {
    const wrong = await runMoose(["seed", "clickhouse", "--clickhouse-url", urlWithPassword(source.url, "not-the-password"), "--dir", projectDir]);
    expect(wrong.code).toBe(ExitCode.authFailed);
    expect(wrong.stderr).not.toContain("not-the-password");

    const unknown = await runMoose(["seed", "clickhouse", "--clickhouse-url", source.url, "--table", "Nope", "--dir", projectDir]);
    expect(unknown.code).toBe(ExitCode.error);
    expect(unknown.stderr).toContain("SEED_UNKNOWN_TABLE");
    expect(unknown.stderr).toContain("Orders");

    const none = await runMoose(["seed", "clickhouse", "--dir", projectDir]);
    expect(none.code).toBe(ExitCode.usage);
    expect(none.stderr).toContain("SEED_NO_SOURCE");
  });

  it("reports a table whose copy fails (the source lacks a column), with the error, and exit 1", async () => {
    await serverExec(source.url, `CREATE TABLE ${source.database}.Archive (customer String) ENGINE = MergeTree ORDER BY customer`);
    try {
      const failed = await runMoose(["seed", "clickhouse", "--clickhouse-url", source.url, "--table", "Archive", "--dir", projectDir]);
      expect(failed.code).toBe(ExitCode.error);
      expect(failed.stderr).toMatch(/✗ Archive: .*orders/);
      expect(failed.stderr).toContain("SEED_FAILED");
    } finally {
      await serverExec(source.url, `DROP TABLE ${source.database}.Archive`);
    }
  });
});

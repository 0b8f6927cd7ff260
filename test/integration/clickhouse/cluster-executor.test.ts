/**
 * The executor on a real cluster (scripts/clickhouse-cluster: two Debian 18.16 servers, which form
 * `moose_cluster`, one shard of two replicas, and `moose_cluster_sharded`, two shards of one):
 * a rebuild's copy, a conversion's check and a backfill read rows through the connected host, so on
 * a cluster of several shards they are refused before anything is changed; a column change that one
 * host already has is not skipped for the others.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addColumnSql } from "../../../src/infra/clickhouse/ddl.js";
import { executeSqlStep } from "../../../src/infra/clickhouse/executor.js";
import { openRemote } from "../../../src/infra/clickhouse/remote.js";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { serverExec, SERVER_START_TIMEOUT_MS, testClusterUrls, urlWithDatabase } from "../../helpers/clickhouse.js";
import { refusal } from "../../helpers/errors.js";

const SHARDED_CLUSTER = "moose_cluster_sharded";
let url: string;
let database: string;
let driver: ClickHouseDriver;

beforeAll(async () => {
  url = (await testClusterUrls())[0]!;
  database = `moose_cluster_exec_${Math.random().toString(16).slice(2, 10)}`;
  await serverExec(url, `CREATE DATABASE ${database}`);
  driver = await openRemote({ url: urlWithDatabase(url, database) });
}, SERVER_START_TIMEOUT_MS);

afterAll(async () => {
  await driver?.close();
  if (database) await serverExec(url, `DROP DATABASE IF EXISTS ${database}`);
});

describe("on a cluster of two shards", () => {
  it("refuses a rebuild's copy before copying anything", async () => {
    await driver.exec("CREATE TABLE Events (id String) ENGINE = MergeTree ORDER BY id");
    await driver.exec("CREATE TABLE Events__moose_new (id String) ENGINE = MergeTree ORDER BY id");
    await driver.exec("INSERT INTO Events VALUES ('a'), ('b')");
    const error = await refusal(
      executeSqlStep(driver, {
        sql: "INSERT INTO Events__moose_new (id) SELECT id FROM Events",
        cause: { operation: "recreateTable", target: "Events", risk: "rewrite", rebuild: "copy", cluster: SHARDED_CLUSTER },
      }),
    );
    expect(error.code).toBe("CLUSTER_SHARDED_COPY");
    expect(error.message).toContain(`cluster ${SHARDED_CLUSTER} has 2 shards`);
    expect(await driver.query("SELECT id FROM Events__moose_new")).toEqual([]);
  });

  it("refuses a converting column change before checking or converting", async () => {
    await driver.exec("CREATE TABLE Counts (id String, n Int32) ENGINE = MergeTree ORDER BY id");
    const error = await refusal(
      executeSqlStep(driver, {
        sql: "ALTER TABLE Counts MODIFY COLUMN n Int64",
        checkConversion: { table: "Counts", column: "n", toType: "Int64" },
        cause: { operation: "modifyColumn", target: "Counts", risk: "rewrite", cluster: SHARDED_CLUSTER },
      }),
    );
    expect(error.code).toBe("CLUSTER_SHARDED_COPY");
    expect(await driver.query("SELECT type FROM system.columns WHERE database = currentDatabase() AND table = 'Counts' AND name = 'n'")).toEqual([{ type: "Int32" }]);
  });

  it("refuses a materialized view's backfill", async () => {
    await driver.exec("CREATE TABLE Totals (id String) ENGINE = MergeTree ORDER BY id");
    const error = await refusal(
      executeSqlStep(driver, {
        sql: "INSERT INTO Totals (id)\nSELECT id FROM (\nSELECT id FROM Events\n)",
        cause: { operation: "createMaterializedView", target: "EventsToTotals", risk: "safe", cluster: SHARDED_CLUSTER, backfill: true },
      }),
    );
    expect(error.code).toBe("CLUSTER_SHARDED_COPY");
    expect(await driver.query("SELECT id FROM Totals")).toEqual([]);
  });
});

describe("on a cluster of one shard", () => {
  it("copies a rebuild's rows", async () => {
    await driver.exec("CREATE TABLE Single (id String) ENGINE = MergeTree ORDER BY id");
    await driver.exec("CREATE TABLE Single__moose_new (id String) ENGINE = MergeTree ORDER BY id");
    await driver.exec("INSERT INTO Single VALUES ('a'), ('b')");
    await executeSqlStep(driver, {
      sql: "INSERT INTO Single__moose_new (id) SELECT id FROM Single",
      cause: { operation: "recreateTable", target: "Single", risk: "rewrite", rebuild: "copy", cluster: "moose_cluster" },
    });
    expect(await driver.query("SELECT id FROM Single__moose_new ORDER BY id")).toEqual([{ id: "a" }, { id: "b" }]);
  });
});

describe("a column change on an 18.16 cluster (no column IF [NOT] EXISTS)", () => {
  it("an ADD COLUMN one host already has still reaches the host that lacks it (a resumed, half-applied step)", async () => {
    const urls = await testClusterUrls();
    const clustered = `moose_cluster_cols_${Math.random().toString(16).slice(2, 10)}`;
    await serverExec(urls[0]!, `CREATE DATABASE ${clustered} ON CLUSTER ${SHARDED_CLUSTER}`);
    const first = await openRemote({ url: urlWithDatabase(urls[0]!, clustered) });
    try {
      // Two shards of one host: each has its own table, so an ALTER on one does not reach the other.
      await first.exec(`CREATE TABLE Events ON CLUSTER ${SHARDED_CLUSTER} (id String) ENGINE = MergeTree ORDER BY id`);
      await first.exec("ALTER TABLE Events ADD COLUMN n Int32");
      await executeSqlStep(first, {
        sql: addColumnSql("Events", { name: "n", type: "Int32", nullable: false }, undefined, SHARDED_CLUSTER),
        cause: { operation: "addColumn", target: "Events", risk: "safe", cluster: SHARDED_CLUSTER, column: { table: "Events", name: "n" } },
      });
      for (const url of urls) {
        const columns = await serverExec(url, `SELECT name FROM system.columns WHERE database = '${clustered}' AND table = 'Events' ORDER BY name FORMAT TSV`);
        expect(columns.trim().split("\n")).toEqual(["id", "n"]);
      }
    } finally {
      await first.close();
      await serverExec(urls[0]!, `DROP DATABASE IF EXISTS ${clustered} ON CLUSTER ${SHARDED_CLUSTER}`);
    }
  });
});

/**
 * Query models (src/sdk/query) run against the embedded engine: what a request returns, not only
 * the SQL text it becomes.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { ColumnSpec } from "../../../src/manifest/types.js";
import { buildQuery, count, countDistinct, defineQueryModel, getRegistry, OlapTable, sql, sum, timeDimensions } from "../../../src/sdk/index.js";
import { METADATA_MARKER, type InjectedMetadata } from "../../../src/sdk/metadata.js";
import { createMooseClient } from "../../../src/server/client.js";
import { useEmbeddedDatabase } from "../../helpers/clickhouse.js";

interface Order {
  id: number;
  customer_id: string;
  status: string;
  amount: number;
  created_at: Date;
}
interface Customer {
  id: string;
  first_name: string;
}

const driver = useEmbeddedDatabase("query_models");
const column = (name: string, type: string): ColumnSpec => ({ name, type, nullable: false });
const injected = (columns: ColumnSpec[]): InjectedMetadata => ({ [METADATA_MARKER]: 1, source: { file: "app/models.ts", line: 1, col: 1 }, columns, schema: { type: "object" } });

function models() {
  getRegistry().clear();
  const orders = new OlapTable<Order>(
    "Orders",
    { orderByFields: ["id"] },
    injected([column("id", "UInt32"), column("customer_id", "String"), column("status", "String"), column("amount", "Float64"), column("created_at", "DateTime('UTC')")]),
  );
  const customers = new OlapTable<Customer>("Customers", { orderByFields: ["id"] }, injected([column("id", "String"), column("first_name", "String")]));
  const sales = defineQueryModel({
    table: orders,
    dimensions: { status: { column: "status" }, ...timeDimensions(orders.columns.created_at) },
    metrics: { orders: { agg: count(), as: "order_count" }, revenue: { agg: sum(orders.columns.amount) }, buyers: { agg: countDistinct(orders.columns.customer_id) } },
    filters: {
      status: { column: "status", operators: ["eq", "in", "notIn"] as const },
      amount: { column: "amount", operators: ["gte", "between"] as const },
      createdAt: { column: "created_at", operators: ["gte"] as const },
      revenue: { metric: "revenue", operators: ["gt"] as const },
    },
    sortable: ["revenue", "status", "day"] as const,
    defaults: { orderBy: [["status", "ASC"]], maxLimit: 2 },
  });
  const detail = defineQueryModel({
    table: orders,
    joins: { customer: { table: customers, leftKey: "customer_id", rightKey: "id" } },
    columns: { id: { column: "id" }, amount: { column: "amount" }, firstName: { join: "customer", column: "first_name", as: "first_name" } },
    filters: { status: { column: "status", operators: ["eq"] as const } },
    sortable: ["id"] as const,
    defaults: { orderBy: [["id", "ASC"]], limit: 10 },
  });
  return { sales, detail };
}

beforeEach(async () => {
  const db = driver();
  await db.exec("CREATE TABLE Orders (id UInt32, customer_id String, status String, amount Float64, created_at DateTime('UTC')) ENGINE = MergeTree ORDER BY id");
  await db.exec("CREATE TABLE Customers (id String, first_name String) ENGINE = MergeTree ORDER BY id");
  await db.exec(
    "INSERT INTO Orders VALUES (1, 'c1', 'paid', 10, '2026-01-01 10:00:00'), (2, 'c1', 'paid', 30, '2026-01-02 10:00:00'), (3, 'c2', 'open', 5, '2026-01-02 11:00:00'), (4, 'c3', 'refunded', 50, '2026-01-03 09:00:00')",
  );
  await db.exec("INSERT INTO Customers VALUES ('c1', 'Ada'), ('c2', 'Grace')");
});

describe("query models on ClickHouse", () => {
  it("aggregates by dimension with WHERE and HAVING filters", async () => {
    const { sales } = models();
    const client = createMooseClient(driver()).query;
    const rows = await buildQuery(sales).dimensions(["status"]).metrics(["orders", "revenue", "buyers"]).filter("status", "notIn", ["refunded"]).orderBy(["revenue", "DESC"]).execute(client);
    expect(rows).toEqual([
      { status: "paid", order_count: "2", revenue: 40, buyers: "1" },
      { status: "open", order_count: "1", revenue: 5, buyers: "1" },
    ]);
    const big = await sales.query({ dimensions: ["status"], metrics: ["revenue"], filters: { revenue: { gt: 20 } } }, client);
    expect(big).toEqual([
      { status: "paid", revenue: 40 },
      { status: "refunded", revenue: 50 },
    ]);
  });

  it("groups by an expression dimension, caps the limit at maxLimit and pages", async () => {
    const { sales } = models();
    const client = createMooseClient(driver()).query;
    const request = { dimensions: ["day" as const], metrics: ["orders" as const], orderBy: [["day", "ASC"]] as Array<["day", "ASC"]>, limit: 50 };
    expect(await sales.query(request, client)).toEqual([
      { day: "2026-01-01", order_count: "1" },
      { day: "2026-01-02", order_count: "2" },
    ]);
    expect(await sales.query({ ...request, page: 1 }, client)).toEqual([{ day: "2026-01-03", order_count: "1" }]);
  });

  it("returns detail rows through a join, a hostile value only a parameter", async () => {
    const { detail } = models();
    const client = createMooseClient(driver()).query;
    expect(await buildQuery(detail).columns(["id", "firstName", "amount"]).filter("status", "eq", "paid").execute(client)).toEqual([
      { id: 1, first_name: "Ada", amount: 10 },
      { id: 2, first_name: "Ada", amount: 30 },
    ]);
    // A LEFT join (the default) keeps orders whose customer is missing.
    expect(await detail.query({ columns: ["id", "firstName"], filters: { status: { eq: "refunded" } } }, client)).toEqual([{ id: 4, first_name: "" }]);
    expect(await detail.query({ columns: ["id"], filters: { status: { eq: "paid' OR '1'='1" } } }, client)).toEqual([]);
  });

  it("binds a Date as a UTC point in time, for filters and plain templates alike", async () => {
    const { sales } = models();
    const client = createMooseClient(driver()).query;
    const since = await sales.query({ metrics: ["orders"], filters: { createdAt: { gte: new Date("2026-01-02T10:30:00Z") } } }, client);
    expect(since).toEqual([{ order_count: "2" }]);
    const [row] = await (await client.execute<{ n: string }>(sql`SELECT count() AS n FROM Orders WHERE created_at < ${new Date("2026-01-02T10:00:00.001Z")}`)).json();
    expect(row).toEqual({ n: "2" });
  });
});

import { beforeEach, describe, expect, it } from "vitest";
import type { ColumnSpec } from "../../../src/manifest/types.js";
import {
  and,
  as,
  between,
  buildQuery,
  columnsFromTable,
  count,
  countDistinct,
  defineQueryModel,
  deriveInputTypeFromDataType,
  empty,
  filter,
  filtersFromTable,
  getRegistry,
  groupBy,
  having,
  inList,
  isEmpty,
  limit,
  not,
  notIn,
  OlapTable,
  or,
  orderBy,
  paginate,
  select,
  sql,
  sum,
  timeDimensions,
  toQuery,
  where,
  type Sql,
} from "../../../src/sdk/index.js";
import { METADATA_MARKER, type InjectedMetadata } from "../../../src/sdk/metadata.js";

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

function injected(columns: ColumnSpec[]): InjectedMetadata {
  return { [METADATA_MARKER]: 1, source: { file: "app/models.ts", line: 1, col: 1 }, columns, schema: { type: "object" } };
}
const column = (name: string, type: string): ColumnSpec => ({ name, type, nullable: false });

let orders: OlapTable<Order>;
let customers: OlapTable<Customer>;

beforeEach(() => {
  getRegistry().clear();
  orders = new OlapTable<Order>(
    "Orders",
    { orderByFields: ["id"] },
    injected([column("id", "UInt32"), column("customer_id", "String"), column("status", "LowCardinality(String)"), column("amount", "Float64"), column("created_at", "DateTime('UTC')")]),
  );
  customers = new OlapTable<Customer>("Customers", { orderByFields: ["id"] }, injected([column("id", "String"), column("first_name", "String")]));
});

/** The SQL text with whitespace collapsed, and the bound parameters. */
function text(statement: Sql): [string, Record<string, unknown>] {
  const [query, params] = toQuery(statement);
  return [query.replace(/\s+/g, " ").trim(), params];
}

describe("query-layer clauses", () => {
  it("binds every value and quotes every column", () => {
    const condition = and(filter(orders.columns.status, "eq", "paid"), filter(orders.columns.amount, "between", [10, 20]), filter(orders.columns.id, "in", [1, 2]));
    expect(text(where(condition))).toEqual([
      "WHERE status = {p0:String} AND amount BETWEEN {p1:Int64} AND {p2:Int64} AND id IN ({p3:Int64}, {p4:Int64})",
      { p0: "paid", p1: 10, p2: 20, p3: 1, p4: 2 },
    ]);
  });

  it("drops missing values and empty conditions instead of writing them", () => {
    expect(isEmpty(filter(orders.columns.status, "eq", undefined))).toBe(true);
    expect(isEmpty(filter(orders.columns.status, "isNull", false))).toBe(true);
    expect(isEmpty(where(empty, filter(orders.columns.status, "ne", undefined)))).toBe(true);
    expect(text(or(empty, filter(orders.columns.status, "eq", "a")))[0]).toBe("status = {p0:String}");
    expect(text(or(filter(orders.columns.status, "eq", "a"), filter(orders.columns.status, "isNotNull", true)))[0]).toBe("(status = {p0:String} OR status IS NOT NULL)");
    expect(isEmpty(not(empty))).toBe(true);
    // Empty lists still mean something: IN () matches nothing, NOT IN () excludes nothing.
    expect(text(inList(orders.columns.id, []))[0]).toBe("1 = 0");
    expect(text(notIn(orders.columns.id, []))[0]).toBe("1 = 1");
  });

  it("builds the other clauses and aggregates", () => {
    expect(text(select(orders.columns.status, [count(), "n"], sum(orders.columns.amount).as("total")))[0]).toBe("SELECT status, count(*) AS n, sum(amount) AS total");
    expect(text(select())[0]).toBe("SELECT *");
    // An alias is an identifier, quoted when it needs to be: never spliced as it is.
    expect(text(count().as("n`); DROP TABLE x; --"))[0]).toBe('count(*) AS `n\\`); DROP TABLE x; --`');
    expect(text(as(countDistinct(orders.columns.customer_id), "buyers"))[0]).toBe("count(DISTINCT customer_id) AS buyers");
    expect(text(groupBy(orders.columns.status, sql`toDate(${orders.columns.created_at})`))[0]).toBe("GROUP BY status, toDate(created_at)");
    expect(text(having(sql`n > ${5}`))).toEqual(["HAVING n > {p0:Int64}", { p0: 5 }]);
    expect(text(orderBy([orders.columns.amount, "DESC"], orders.columns.id))[0]).toBe("ORDER BY amount DESC, id");
    expect(text(paginate(20, 2))).toEqual(["LIMIT {p0:Int64} OFFSET {p1:Int64}", { p0: 20, p1: 40 }]);
    expect(text(between(orders.columns.amount, 1, 2))[0]).toBe("amount BETWEEN {p0:Int64} AND {p1:Int64}");
  });

  it("refuses what would be spliced into the SQL text", () => {
    expect(() => orderBy([orders.columns.amount, "DESC; DROP TABLE Orders" as "DESC"])).toThrow(/neither "ASC" nor "DESC"/);
    expect(() => limit(-1)).toThrow(/LIMIT must be a non-negative integer/);
    expect(() => limit(1.5)).toThrow(/LIMIT/);
    expect(() => paginate(0)).toThrow(/pageSize must be a positive integer/);
    expect(() => filter(orders.columns.id, "in", "1,2" as never)).toThrow(/takes a list/);
  });
});

describe("defineQueryModel", () => {
  const model = () =>
    defineQueryModel({
      table: orders,
      dimensions: { status: { column: "status" }, ...timeDimensions(orders.columns.created_at) },
      metrics: { orders: { agg: count(), as: "order_count" }, revenue: { agg: sum(orders.columns.amount) } },
      columns: { id: { column: "id" }, status: { column: "status" } },
      filters: {
        status: { column: "status", operators: ["eq", "in"] as const },
        minAmount: { column: "amount", operators: ["gte"] as const, transform: (value) => Number(value) * 100 },
        revenue: { metric: "revenue", operators: ["gt"] as const },
      },
      sortable: ["revenue", "status", "day", "id", "created_at"] as const,
      defaults: { limit: 100, maxLimit: 500 },
    });

  it("groups by the requested dimensions, filters into WHERE and HAVING, orders and limits", () => {
    const statement = buildQuery(model())
      .dimensions(["status", "day"])
      .metrics(["orders", "revenue"])
      .filter("status", "in", ["paid", "open"])
      .filter("minAmount", "gte", 5)
      .filter("revenue", "gt", 1000)
      .filter("status", "eq", undefined)
      .orderBy(["revenue", "DESC"], ["day", "ASC"])
      .limit(10)
      .page(2)
      .toSql();
    expect(text(statement)).toEqual([
      "SELECT status AS status, toDate(created_at) AS day, count(*) AS order_count, sum(amount) AS revenue FROM Orders " +
        "WHERE status IN ({p0:String}, {p1:String}) AND amount >= {p2:Int64} GROUP BY status, toDate(created_at) HAVING revenue > {p3:Int64} " +
        "ORDER BY revenue DESC, toDate(created_at) ASC LIMIT {p4:Int64} OFFSET {p5:Int64}",
      { p0: "paid", p1: "open", p2: 500, p3: 1000, p4: 10, p5: 20 },
    ]);
  });

  it("selects every dimension and metric when the request names none, capping the limit at maxLimit", () => {
    expect(text(model().toSql({ limit: 10_000 }))).toEqual([
      "SELECT status AS status, toDate(created_at) AS day, toStartOfMonth(created_at) AS month, toStartOfWeek(created_at) AS week, count(*) AS order_count, sum(amount) AS revenue FROM Orders LIMIT {p0:Int64}",
      { p0: 500 },
    ]);
  });

  it("serves detail rows from columns, without GROUP BY, skipping sort keys that are no field (MooseStack's rule)", () => {
    const parts = model().toParts({ columns: ["id", "status"], orderBy: [["id", "DESC"], ["created_at", "ASC"]], offset: 30 });
    expect(text(parts.select)[0]).toBe("SELECT id AS id, status AS status");
    expect(isEmpty(parts.groupBy)).toBe(true);
    expect(text(parts.orderBy)[0]).toBe("ORDER BY id DESC");
    expect(text(parts.pagination)).toEqual(["LIMIT {p0:Int64} OFFSET {p1:Int64}", { p0: 100, p1: 30 }]);
    expect(text(parts.columns)[0]).toBe("id AS id, status AS status");
  });

  it("qualifies columns with their table once another table is joined", () => {
    const joined = defineQueryModel({
      table: orders,
      joins: { customer: { table: customers, leftKey: "customer_id", rightKey: "id", type: "INNER" } },
      columns: { id: { column: "id" }, firstName: { join: "customer", column: "first_name" } },
      filters: { status: { column: "status", operators: ["eq"] as const } },
      sortable: ["id"] as const,
    });
    expect(text(joined.toSql({ columns: ["id", "firstName"], filters: { status: { eq: "paid" } } }))).toEqual([
      "SELECT Orders.id AS id, Customers.first_name AS firstName FROM Orders INNER JOIN Customers ON Orders.customer_id = Customers.id WHERE Orders.status = {p0:String}",
      { p0: "paid" },
    ]);
  });

  it("refuses a request the model does not allow, naming what it allows", () => {
    const m = model();
    expect(() => m.toSql({ dimensions: ["nope" as "status"] })).toThrow(/dimensions names "nope", which is not a dimension of the model/);
    expect(() => m.toSql({ filters: { status: { gt: "a" } as never } })).toThrow(/filter "status" does not allow operator "gt"/);
    expect(() => m.toSql({ filters: { other: { eq: 1 } } as never })).toThrow(/filter "other" is not a filter of the model/);
    expect(() => m.toSql({ orderBy: [["amount" as "id", "ASC"]] })).toThrow(/"amount" is not sortable/);
    expect(() => m.toSql({ orderBy: [["id", "up" as "ASC"]] })).toThrow(/neither "ASC" nor "DESC"/);
    expect(() => m.toSql({ page: 1, offset: 3 })).toThrow(/both page and offset/);
    const unlimited = defineQueryModel({ table: orders, metrics: { n: { agg: count() } }, filters: {}, sortable: [] });
    expect(() => unlimited.toSql({ page: 1 })).toThrow(/page and offset need a limit/);
  });

  it("refuses a model that names what the table does not have, at its definition", () => {
    expect(() => defineQueryModel({ table: orders, dimensions: { x: { column: "missing" as "id" } }, filters: {}, sortable: [] })).toThrow(
      /dimension "x" names column "missing", which table Orders does not have/,
    );
    expect(() => defineQueryModel({ table: orders, filters: { r: { metric: "revenue", operators: ["gt"] } }, sortable: [] })).toThrow(/names metric "revenue"/);
    expect(() => defineQueryModel({ table: orders, columns: { n: { column: "first_name", join: "customer" } }, filters: {}, sortable: [] })).toThrow(/names join "customer"/);
  });

  it("describes filters with an input type for UIs, from the column's ClickHouse type", () => {
    expect(model().filters).toMatchObject({ status: { inputType: "text" }, minAmount: { inputType: "number" }, revenue: { inputType: "number" } });
    expect(filtersFromTable(orders, { include: ["created_at", "customer_id"] })).toEqual({
      customerId: { column: "customer_id", operators: ["eq"], inputType: "text" },
      createdAt: { column: "created_at", operators: ["eq"], inputType: "date" },
    });
    expect(columnsFromTable(orders, { exclude: ["amount", "created_at", "customer_id"], camelCase: false })).toEqual({ id: { column: "id" }, status: { column: "status" } });
    expect(Object.keys(timeDimensions(orders.columns.created_at, { periods: ["week"] }))).toEqual(["week"]);
    expect(() => timeDimensions(orders.columns.created_at, { periods: ["year"] })).toThrow(/unknown period "year"/);
    expect(["Nullable(Int64)", "Enum8('a' = 1)", "Bool", "Date32", "Array(String)"].map(deriveInputTypeFromDataType)).toEqual(["number", "select", "select", "date", "text"]);
  });
});

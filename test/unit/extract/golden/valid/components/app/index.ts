import {
  OlapTable, Stream, IngestPipeline, IngestApi, MaterializedView, View, Api, Workflow, Task, DeadLetterQueue,
  ClickHouseEngines, LifeCycle, Key, UInt8, sql,
} from "moose-ts";

interface Order {
  id: Key<string>;
  customer: string;
  amount: number;
  at: Date;
  version: UInt8;
  deleted: UInt8;
}

interface Revenue {
  customer: string;
  total: number;
}

export const orders = new OlapTable<Order>("Orders", {
  engine: ClickHouseEngines.ReplacingMergeTree,
  ver: "version",
  isDeleted: "deleted",
  orderByFields: ["id"],
  partitionBy: "toYYYYMM(at)",
  ttl: "at + INTERVAL 90 DAY",
  settings: { index_granularity: "8192", storage_policy: "default" },
  indexes: [{ name: "idx_customer", expression: "customer", type: "bloom_filter", arguments: ["0.01"], granularity: 4 }],
  lifeCycle: LifeCycle.DELETION_PROTECTED,
});

export const ordersV2 = new OlapTable<Order>("Orders", { version: "2.0", orderByExpression: "(customer, id)" });

export const orderStream = new Stream<Order>("OrderStream", {
  destination: orders,
  parallelism: 4,
  retentionPeriod: 3600,
});

export const orderIngest = new IngestApi<Order>("orders", { destination: orderStream, version: "1" });

export const pipeline = new IngestPipeline<Order>("Pipeline", {
  table: { orderByFields: ["at"] },
  stream: { parallelism: 2 },
  ingestApi: true,
  deadLetterQueue: { retentionPeriod: 86400 },
});

export const orderFailures = new DeadLetterQueue<Order>("OrderFailures");

export const revenue = new MaterializedView<Revenue>({
  materializedViewName: "RevenueMV",
  tableName: "Revenue",
  selectStatement: sql`SELECT customer, sum(amount) AS total FROM ${orders} GROUP BY customer`,
  selectTables: [orders],
  orderByFields: ["customer"],
  engine: ClickHouseEngines.SummingMergeTree,
});

// MaterializedView<any> writing into a table it is given: the table's columns are the target's.
export const revenueCopy = new MaterializedView<any>({
  materializedViewName: "RevenueCopyMV",
  selectStatement: sql`SELECT customer, total FROM ${revenue.targetTable}`,
  selectTables: [revenue.targetTable],
  targetTable: new OlapTable<Revenue>("RevenueCopy", { orderByFields: ["customer"] }),
});

export const bigOrders = new View("BigOrders", {
  selectStatement: sql`SELECT * FROM ${orders} WHERE amount > ${1000} AND customer != ${"o'neil"}`,
  baseTables: [orders],
});

export const revenueApi = new Api<{ customer: string; limit?: number }, Revenue[]>(
  "revenue",
  async ({ customer, limit = 10 }, { client, sql }) => {
    const result = await client.query.execute<Revenue>(sql`SELECT * FROM ${revenue.targetTable} WHERE customer = ${customer} LIMIT ${limit}`);
    return result.json();
  },
  { version: "2" },
);

// Intersections, as real projects type CDC payloads and paged params: one object with every member's fields.
interface Cdc {
  cdcId: string;
  cdcOperation: "INSERT" | "UPDATE" | "DELETE";
}
export const orderCdc = new Stream<Order & Cdc>("OrderCdc");
export const orderCdcIngest = new IngestApi<Order & Cdc>("orders_cdc", { destination: orderCdc });

type Paging = Omit<{ customer: string; sortBy: string }, "sortBy"> & { limit?: number; offset?: number };
export const pagedApi = new Api<Paging, Revenue[]>("paged", async ({ customer, limit = 10, offset = 0 }, { client, sql }) => {
  const result = await client.query.execute<Revenue>(sql`SELECT * FROM ${revenue.targetTable} WHERE customer = ${customer} LIMIT ${limit} OFFSET ${offset}`);
  return result.json();
});

const notify = new Task<{ count: number }, void>("notify", { run: async () => {}, retries: 2 });
const load = new Task<null, { count: number }>("load", { run: async () => ({ count: 1 }), onComplete: [notify], timeout: "1m" });
export const nightly = new Workflow("nightly", { startingTask: load, schedule: "@daily", retries: 3 });

// The TypeScript half of the twin: golden/python-twin/py/app/main.py says the same in Python; both must
// extract to byte-identical manifests (python-twin.test.ts).
import {
  OlapTable, Stream, DeadLetterQueue, IngestPipeline, MaterializedView, View, Api, Task, Workflow, Key, LifeCycle, ClickHouseEngines,
  Int8, Int32, Int64, UInt8, UInt64, Float32, Decimal, DateTime64, UUID, LowCardinality, ClickHouseDefault,
  ClickHouseMaterialized, ClickHouseTTL, ClickHouseCodec, ClickHouseNamedTuple, Aggregated, SimpleAggregated,
} from "moose-ts";

interface UserSchema {
  id: string;
  name: string;
  email: string;
}

export const usersTable = new OlapTable<UserSchema>("Users");
export const userEvents = new Stream<UserSchema>("UserEvents");
// A sync whose records that do not fit go to the stream's default dead-letter queue.
export const signupsDeadLetters = new DeadLetterQueue<UserSchema>("SignupsDeadLetterQueue");
export const signups = new Stream<UserSchema>("Signups", { destination: usersTable, defaultDeadLetterQueue: signupsDeadLetters });

enum Status {
  ACTIVE = 1,
  BLOCKED = 2,
}

enum Color {
  Red = "red",
  Green = "green",
}

interface Address {
  street: string;
  zip: Int32;
}

interface Point2 {
  x: Float32;
  y: Float32;
}

interface Everything {
  id: Key<string>;
  at: Key<Date>;
  count: Int64;
  ratio: number;
  tiny: Int8;
  flags: UInt8;
  big: UInt64;
  price: Decimal<10, 2>;
  precise: DateTime64<3>;
  uid: UUID;
  active: boolean;
  nickname: string | null;
  country: string & LowCardinality;
  kind: "a" | "b";
  status: Status;
  color: Color;
  tags: string[];
  scores: (number | null)[];
  attributes: Record<string, Int64>;
  address: Address;
  previous: Address[];
  where: Point2 & ClickHouseNamedTuple;
  pair: [string, Int64];
  visits: Int64 & ClickHouseDefault<"0">;
  state?: string & ClickHouseDefault<"'pending'">;
  day: Date & ClickHouseMaterialized<"toDate(at)">;
  debug: string & ClickHouseTTL<"at + INTERVAL 1 DAY">;
  payload: string & ClickHouseCodec<"ZSTD(3)">;
}

export const everything = new OlapTable<Everything>("Everything", {
  orderByFields: ["id", "at", "count"],
  partitionBy: "toYYYYMM(at)",
  ttl: "at + INTERVAL 90 DAY",
  settings: { index_granularity: "8192" },
  lifeCycle: LifeCycle.DELETION_PROTECTED,
});

interface Versioned {
  id: Key<string>;
  updatedAt: Date;
  deleted: UInt8;
}

export const versioned = new OlapTable<Versioned>("Versioned", {
  engine: ClickHouseEngines.ReplacingMergeTree,
  ver: "updatedAt",
  isDeleted: "deleted",
  version: "1.1",
});

interface Event {
  eventId: Key<string>;
  userId: string;
  amount: number;
  note?: string | null;
}

export const eventsPipeline = new IngestPipeline<Event>("Events", {
  table: { orderByFields: ["eventId"] },
  stream: { parallelism: 2 },
  ingestApi: true,
  deadLetterQueue: true,
});

interface DailyStats {
  day: Date;
  userId: string;
  views: Int64 & SimpleAggregated<"sum", Int64>;
  uniqueUsers: string & Aggregated<"uniq", [string]>;
}

export const dailyStats = new MaterializedView<DailyStats>({
  selectStatement: "SELECT toStartOfDay(now()) AS day, userId, count() AS views, uniqState(eventId) AS uniqueUsers FROM Events GROUP BY day, userId",
  selectTables: [eventsPipeline.table!],
  tableName: "DailyStats",
  materializedViewName: "DailyStats_mv",
  engine: ClickHouseEngines.AggregatingMergeTree,
  orderByFields: ["day", "userId"],
});

export const activeUsers = new View("ActiveUsers", {
  selectStatement: "SELECT id, name FROM Users",
  baseTables: [usersTable],
});

interface StatsParams {
  userId: string;
  limit?: Int32 | null;
}

interface StatsRow {
  day: Date;
  views: Int64;
}

export const statsApi = new Api<StatsParams, StatsRow[]>("stats", async () => [], { version: "2" });

const second = new Task<null, void>("second", { run: async () => {}, retries: 2 });
const first = new Task<null, void>("first", { run: async () => {}, onComplete: [second], timeout: "5m" });
export const nightly = new Workflow("nightly", { startingTask: first, schedule: "0 3 * * *", retries: 1 });

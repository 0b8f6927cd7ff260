import {
  OlapTable, Key, UInt64, ClickHouseDefault, ClickHouseMaterialized, ClickHouseAlias, ClickHouseTTL,
  ClickHouseCodec, WithDefault, Aggregated, SimpleAggregated, ClickHouseEngines, Int32,
} from "moose-ts";

interface Event {
  /** Unique event id. */
  id: Key<string>;
  /**
   * When it happened,
   * in UTC.
   */
  at: Key<Date>;
  count: number & ClickHouseDefault<"0">;
  createdAt: WithDefault<Date, "now()">;
  day: Date & ClickHouseMaterialized<"toDate(at)">;
  hour: UInt64 & ClickHouseAlias<"toHour(at)">;
  debug: string & ClickHouseTTL<"at + INTERVAL 1 DAY">;
  payload: string & ClickHouseCodec<"ZSTD(3)">;
  series: number & ClickHouseCodec<"Delta, LZ4">;
}

interface DailyStats {
  day: Date;
  userId: string;
  views: number & SimpleAggregated<"sum", number>;
  uniqueUsers: string & Aggregated<"uniq", [string]>;
  quantiles: number & Aggregated<"quantiles(0.5, 0.9)", [Int32]>;
}

// Key<> columns become the ORDER BY when no orderByFields is given…
export const events = new OlapTable<Event>("Events");
// …and the PRIMARY KEY when one is.
export const eventsByDay = new OlapTable<Event>("EventsByDay", { orderByFields: ["id", "at", "day"] });
export const stats = new OlapTable<DailyStats>("DailyStats", {
  engine: ClickHouseEngines.AggregatingMergeTree,
  orderByFields: ["day", "userId"],
});

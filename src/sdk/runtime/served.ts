/**
 * Where the process serving the app reaches its ClickHouse, when that is not `[clickhouse_config]`:
 * `moose prod --embedded` (the engine's HTTP endpoint, on a free port) or `--clickhouse-url`. The
 * server (src/server/prod.ts) sets it on globalThis, since the runtime is a bundle of its own; the
 * runtime's clients (getMooseUtils, OlapTable.insert, MooseCache) then use the served database.
 */
import type { RuntimeClickHouseConfig } from "./index.js";

const SERVED_CLICKHOUSE = Symbol.for("moose-ts.served-clickhouse");

type Holder = { [SERVED_CLICKHOUSE]?: Partial<RuntimeClickHouseConfig> };

export function setServedClickHouse(settings: Partial<RuntimeClickHouseConfig> | undefined): void {
  if (settings) (globalThis as Holder)[SERVED_CLICKHOUSE] = settings;
  else delete (globalThis as Holder)[SERVED_CLICKHOUSE];
}

export function servedClickHouse(): Partial<RuntimeClickHouseConfig> | undefined {
  return (globalThis as Holder)[SERVED_CLICKHOUSE];
}

import { ClickHouseEngines, OlapTable } from "moose-ts";

interface Event {
  id: string;
  at: Date;
}

// No [[clickhouse_config.clusters]] in moose.config.toml names this cluster.
export const events = new OlapTable<Event>("Events", {
  orderByFields: ["id"],
  engine: ClickHouseEngines.ReplicatedMergeTree,
  cluster: "events_cluster",
});

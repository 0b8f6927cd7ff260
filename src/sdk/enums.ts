/** How moose-ts may change an object when the code changes (same values as MooseStack). */
export enum LifeCycle {
  /** Every change is applied, including drops. */
  FULLY_MANAGED = "FULLY_MANAGED",
  /** Additive changes only: drops are refused. */
  DELETION_PROTECTED = "DELETION_PROTECTED",
  /** moose-ts never changes this object; you manage it. */
  EXTERNALLY_MANAGED = "EXTERNALLY_MANAGED",
}

/** Table engines (MooseStack's ClickHouseEngines: same members, same string values). */
export enum ClickHouseEngines {
  MergeTree = "MergeTree",
  ReplacingMergeTree = "ReplacingMergeTree",
  SummingMergeTree = "SummingMergeTree",
  AggregatingMergeTree = "AggregatingMergeTree",
  CollapsingMergeTree = "CollapsingMergeTree",
  VersionedCollapsingMergeTree = "VersionedCollapsingMergeTree",
  GraphiteMergeTree = "GraphiteMergeTree",
  S3Queue = "S3Queue",
  S3 = "S3",
  Buffer = "Buffer",
  Distributed = "Distributed",
  IcebergS3 = "IcebergS3",
  Kafka = "Kafka",
  Merge = "Merge",
  ReplicatedMergeTree = "ReplicatedMergeTree",
  ReplicatedReplacingMergeTree = "ReplicatedReplacingMergeTree",
  ReplicatedAggregatingMergeTree = "ReplicatedAggregatingMergeTree",
  ReplicatedSummingMergeTree = "ReplicatedSummingMergeTree",
  ReplicatedCollapsingMergeTree = "ReplicatedCollapsingMergeTree",
  ReplicatedVersionedCollapsingMergeTree = "ReplicatedVersionedCollapsingMergeTree",
}

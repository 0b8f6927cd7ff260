/** How moose-ts may change an object when the code changes (same values as MooseStack). */
export enum LifeCycle {
  /** Every change is applied, including drops. */
  FULLY_MANAGED = "FULLY_MANAGED",
  /** Additive changes only: drops are refused. */
  DELETION_PROTECTED = "DELETION_PROTECTED",
  /** moose-ts never changes this object; you manage it. */
  EXTERNALLY_MANAGED = "EXTERNALLY_MANAGED",
}

export enum ClickHouseEngines {
  MergeTree = "MergeTree",
  ReplacingMergeTree = "ReplacingMergeTree",
  SummingMergeTree = "SummingMergeTree",
  AggregatingMergeTree = "AggregatingMergeTree",
  CollapsingMergeTree = "CollapsingMergeTree",
  VersionedCollapsingMergeTree = "VersionedCollapsingMergeTree",
}

from enum import Enum


class LifeCycle(Enum):
    """How moose may change an object when the code changes (MooseStack's values)."""

    FULLY_MANAGED = "FULLY_MANAGED"
    """Every change is applied, drops included."""
    DELETION_PROTECTED = "DELETION_PROTECTED"
    """Additive changes only: drops are refused."""
    EXTERNALLY_MANAGED = "EXTERNALLY_MANAGED"
    """moose never changes this object; you manage it."""


class ClickHouseEngines(Enum):
    MergeTree = "MergeTree"
    ReplacingMergeTree = "ReplacingMergeTree"
    SummingMergeTree = "SummingMergeTree"
    AggregatingMergeTree = "AggregatingMergeTree"
    CollapsingMergeTree = "CollapsingMergeTree"
    VersionedCollapsingMergeTree = "VersionedCollapsingMergeTree"
    ReplicatedMergeTree = "ReplicatedMergeTree"
    ReplicatedReplacingMergeTree = "ReplicatedReplacingMergeTree"
    ReplicatedAggregatingMergeTree = "ReplicatedAggregatingMergeTree"
    ReplicatedSummingMergeTree = "ReplicatedSummingMergeTree"
    ReplicatedCollapsingMergeTree = "ReplicatedCollapsingMergeTree"
    ReplicatedVersionedCollapsingMergeTree = "ReplicatedVersionedCollapsingMergeTree"
    # Engines outside the MergeTree family: their arguments come with their classes (S3QueueEngine(...), ...).
    S3Queue = "S3Queue"
    S3 = "S3"
    Buffer = "Buffer"
    Distributed = "Distributed"
    IcebergS3 = "IcebergS3"
    Kafka = "Kafka"
    Merge = "Merge"

# The Python half of the twin: golden/python-twin/ts/app/index.ts says the same in TypeScript; both must
# extract to byte-identical manifests (python-twin.test.ts).
from datetime import datetime
from enum import Enum
from typing import Annotated, Literal, Optional
from uuid import UUID

from pydantic import BaseModel

from moose_ts import (
    Api, ApiConfig, ClickHouseCodec, DeadLetterQueue, ClickHouseEngines, ClickHouseMaterialized, ClickHouseNamedTuple, ClickHouseTTL,
    Float32, IngestPipeline, IngestPipelineConfig, Int8, Int32, Key, LifeCycle, MaterializedView,
    MaterializedViewOptions, OlapConfig, OlapTable, ReplacingMergeTreeEngine, Stream, StreamConfig, Task, TaskConfig,
    UInt8, UInt64, View, ViewConfig, Workflow, WorkflowConfig, aggregated, clickhouse_datetime64, clickhouse_decimal,
    clickhouse_default, simple_aggregated,
)


class UserSchema(BaseModel):
    id: str
    name: str
    email: str


users_table = OlapTable[UserSchema]("Users")
user_events = Stream[UserSchema]("UserEvents")
# A sync whose records that do not fit go to the stream's default dead-letter queue.
signups_dead_letters = DeadLetterQueue[UserSchema]("SignupsDeadLetterQueue")
signups = Stream[UserSchema]("Signups", StreamConfig(destination=users_table, default_dead_letter_queue=signups_dead_letters))


class Status(Enum):
    ACTIVE = 1
    BLOCKED = 2


class Color(str, Enum):
    Red = "red"
    Green = "green"


class Address(BaseModel):
    street: str
    zip: Int32


class Point2(BaseModel):
    x: Float32
    y: Float32


class Everything(BaseModel):
    id: Key[str]
    at: Key[datetime]
    count: int
    ratio: float
    tiny: Int8
    flags: UInt8
    big: UInt64
    price: clickhouse_decimal(10, 2)
    precise: clickhouse_datetime64(3)
    uid: UUID
    active: bool
    nickname: Optional[str]
    country: Annotated[str, "LowCardinality"]
    kind: Literal["a", "b"]
    status: Status
    color: Color
    tags: list[str]
    scores: list[Optional[float]]
    attributes: dict[str, int]
    address: Address
    previous: list[Address]
    where: Annotated[Point2, ClickHouseNamedTuple]
    pair: tuple[str, int]
    visits: Annotated[int, clickhouse_default("0")]
    state: Optional[Annotated[str, clickhouse_default("'pending'")]] = None
    day: Annotated[datetime, ClickHouseMaterialized("toDate(at)")]
    debug: Annotated[str, ClickHouseTTL("at + INTERVAL 1 DAY")]
    payload: Annotated[str, ClickHouseCodec("ZSTD(3)")]


everything = OlapTable[Everything]("Everything", OlapConfig(
    order_by_fields=["id", "at", "count"],
    partition_by="toYYYYMM(at)",
    ttl="at + INTERVAL 90 DAY",
    settings={"index_granularity": "8192"},
    life_cycle=LifeCycle.DELETION_PROTECTED,
))


class Versioned(BaseModel):
    id: Key[str]
    updatedAt: datetime
    deleted: UInt8


versioned = OlapTable[Versioned]("Versioned", OlapConfig(
    engine=ReplacingMergeTreeEngine(ver="updatedAt", is_deleted="deleted"),
    version="1.1",
))


class Event(BaseModel):
    eventId: Key[str]
    userId: str
    amount: float
    note: Optional[str] = None


events_pipeline = IngestPipeline[Event]("Events", IngestPipelineConfig(
    table=OlapConfig(order_by_fields=["eventId"]),
    stream=StreamConfig(parallelism=2),
    ingest_api=True,
    dead_letter_queue=True,
))


class DailyStats(BaseModel):
    day: datetime
    userId: str
    views: simple_aggregated("sum", int)
    uniqueUsers: aggregated(str, "uniq", [str])


daily_stats = MaterializedView[DailyStats](MaterializedViewOptions(
    select_statement="SELECT toStartOfDay(now()) AS day, userId, count() AS views, uniqState(eventId) AS uniqueUsers FROM Events GROUP BY day, userId",
    select_tables=[events_pipeline.get_table()],
    table_name="DailyStats",
    materialized_view_name="DailyStats_mv",
    engine=ClickHouseEngines.AggregatingMergeTree,
    order_by_fields=["day", "userId"],
))

active_users = View("ActiveUsers", ViewConfig(select_statement="SELECT id, name FROM Users", base_tables=[users_table]))


class StatsParams(BaseModel):
    userId: str
    limit: Optional[Int32] = None


class StatsRow(BaseModel):
    day: datetime
    views: int


def stats(client, params: StatsParams) -> list[StatsRow]:
    return []


stats_api = Api[StatsParams, list[StatsRow]]("stats", stats, ApiConfig(version="2"))

second = Task[None, None]("second", TaskConfig(run=lambda context: None, retries=2))
first = Task[None, None]("first", TaskConfig(run=lambda context: None, on_complete=[second], timeout="5m"))
nightly = Workflow("nightly", WorkflowConfig(starting_task=first, schedule="0 3 * * *", retries=1))

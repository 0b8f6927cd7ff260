from datetime import date
from decimal import Decimal
from enum import IntEnum
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, Field

from moose_ts import (
    ClickHouseAlias, ClickHouseJson, ClickhouseSize, FixedString, Key, OlapConfig, OlapTable, Point, Polygon, SummingMergeTreeEngine,
    UInt16, simple_aggregated,
)


class Level(IntEnum):
    LOW = 1
    HIGH = 1000


class Row(BaseModel):
    id: Key[int]
    day: date
    short_day: Annotated[date, ClickhouseSize(2)]
    ip4: IPv4Address
    ip6: IPv6Address
    raw: bytes
    code: Annotated[str, FixedString(16)]
    amount: Decimal
    props: dict[str, Any]
    settings: Annotated[dict[str, Any], ClickHouseJson(max_dynamic_paths=16, skip_paths=("secret",))]
    by_id: dict[int, Optional[str]]
    maybe_country: Optional[Annotated[str, "LowCardinality"]]
    levels: list[Optional[Literal["low", "high"]]]
    grid: list[list[UInt16]]
    described: str = Field(description="What it is")
    aliased: str = Field(alias="renamed")
    doubled: Annotated[int, ClickHouseAlias("id * 2")]
    level: Level
    location: Point
    area: Polygon
    peak: simple_aggregated("max", float)


rows = OlapTable[Row]("Rows", OlapConfig(
    order_by_expression="(id, day)",
    engine=SummingMergeTreeEngine(columns=["doubled"]),
    indexes=[OlapConfig.TableIndex(name="ip", expression="ip4", type="bloom_filter", arguments=["0.01"], granularity=4)],
))

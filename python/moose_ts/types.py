"""ClickHouse column annotations for pydantic models, used through `typing.Annotated` (MooseStack's names).

    class Event(BaseModel):
        id: Key[str]
        amount: clickhouse_decimal(10, 2)
        country: Annotated[str, "LowCardinality"]
        created: Annotated[datetime, clickhouse_default("now()")]
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import Field


@dataclasses.dataclass(frozen=True)
class _PrimaryKey:
    """Marks a Key[T] column."""


PRIMARY_KEY = _PrimaryKey()


_T = TypeVar("_T")

#: `id: Key[str]`: the column is part of the table's key (its ORDER BY when the table sets none).
#: A generic alias, so type checkers see `Key[str]` as `str`.
Key = Annotated[_T, PRIMARY_KEY]

#: `JWT[Claims]`: accepted for compatibility; the type is `Claims`.
JWT = Annotated[_T, "JWT"]


Int8 = Annotated[int, "int8"]
Int16 = Annotated[int, "int16"]
Int32 = Annotated[int, "int32"]
Int64 = Annotated[int, "int64"]
UInt8 = Annotated[int, "uint8"]
UInt16 = Annotated[int, "uint16"]
UInt32 = Annotated[int, "uint32"]
UInt64 = Annotated[int, "uint64"]
Float32 = Annotated[float, "float32"]
Float64 = Annotated[float, "float64"]

#: `Annotated[str, LowCardinality]` (or the string "LowCardinality"): `LowCardinality(String)`.
LowCardinality = "LowCardinality"
#: `Annotated[Address, ClickHouseNamedTuple]`: a nested model as `Tuple(a String, …)` instead of `Nested(…)`.
ClickHouseNamedTuple = "ClickHouseNamedTuple"


@dataclasses.dataclass(frozen=True)
class ClickhousePrecision:
    precision: int


@dataclasses.dataclass(frozen=True)
class ClickhouseSize:
    size: int


@dataclasses.dataclass(frozen=True)
class ClickhouseFixedStringSize:
    size: int


@dataclasses.dataclass(frozen=True)
class ClickhouseDecimal:
    precision: int
    scale: int


@dataclasses.dataclass(frozen=True)
class ClickhouseDefault:
    """`Annotated[T, ClickhouseDefault("expr")]`: the column's `DEFAULT expr`."""
    expression: str


ClickHouseDefault = ClickhouseDefault


def clickhouse_default(expression: str) -> ClickhouseDefault:
    return ClickhouseDefault(expression)


@dataclasses.dataclass(frozen=True)
class ClickHouseMaterialized:
    expression: str


@dataclasses.dataclass(frozen=True)
class ClickHouseAlias:
    expression: str


@dataclasses.dataclass(frozen=True)
class ClickHouseTTL:
    expression: str


@dataclasses.dataclass(frozen=True)
class ClickHouseCodec:
    expression: str


@dataclasses.dataclass(frozen=True)
class ClickHouseJson:
    """`Annotated[dict[str, Any], ClickHouseJson(max_dynamic_paths=…)]`: a `JSON(…)` column with settings."""
    max_dynamic_paths: int | None = None
    max_dynamic_types: int | None = None
    skip_paths: tuple[str, ...] = ()
    skip_regexps: tuple[str, ...] = ()


def clickhouse_decimal(precision: int, scale: int) -> Any:
    """`amount: clickhouse_decimal(10, 2)`: `Decimal(10, 2)`; pydantic checks the digits."""
    return Annotated[Decimal, ClickhouseDecimal(precision, scale), Field(max_digits=precision, decimal_places=scale)]


def clickhouse_datetime64(precision: int) -> Any:
    """`ts: clickhouse_datetime64(3)`: `DateTime64(3)` (Python keeps at most microseconds)."""
    return Annotated[datetime, ClickhousePrecision(precision)]


def FixedString(size: int) -> ClickhouseFixedStringSize:  # noqa: N802 (MooseStack's name)
    """`Annotated[str, FixedString(16)]`: `FixedString(16)`."""
    return ClickhouseFixedStringSize(size)


@dataclasses.dataclass(frozen=True)
class AggregateFunction:
    agg_func: str
    param_types: tuple[Any, ...]


@dataclasses.dataclass(frozen=True)
class SimpleAggregateFunction:
    agg_func: str
    arg_type: Any


def aggregated(result_type: Any, agg_func: str, param_types: list[Any]) -> Any:
    """`uniq_users: aggregated(int, "uniq", [str])`: `AggregateFunction(uniq, String)`."""
    return Annotated[result_type, AggregateFunction(agg_func, tuple(param_types))]


def simple_aggregated(agg_func: str, arg_type: Any) -> Any:
    """`total: simple_aggregated("sum", int)`: `SimpleAggregateFunction(sum, Int64)`."""
    return Annotated[arg_type, SimpleAggregateFunction(agg_func, arg_type)]


Point = Annotated[tuple[float, float], "Point"]
Ring = Annotated[list[tuple[float, float]], "Ring"]
LineString = Annotated[list[tuple[float, float]], "LineString"]
MultiLineString = Annotated[list[list[tuple[float, float]]], "MultiLineString"]
Polygon = Annotated[list[list[tuple[float, float]]], "Polygon"]
MultiPolygon = Annotated[list[list[list[tuple[float, float]]]], "MultiPolygon"]

GEOMETRY = ("Point", "Ring", "LineString", "MultiLineString", "Polygon", "MultiPolygon")


class StringToEnumMixin:
    """For an `Enum` of a ClickHouse Enum column (`class Status(StringToEnumMixin, IntEnum)`, as `moose db pull` writes
    them): the enum also takes a member's name, which is what ClickHouse answers for an Enum value in JSON."""

    @classmethod
    def _missing_(cls, value: Any) -> Any:
        members = getattr(cls, "__members__", {})
        return members.get(value) if isinstance(value, str) else None

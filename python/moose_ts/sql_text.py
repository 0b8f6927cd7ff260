"""SQL text written exactly as the TypeScript SDK writes it (src/infra/clickhouse/quote.ts), so a Python model and
its TypeScript twin give the same manifest: string literals, and identifiers bare when they are plain names; and
the typed query parameters (`{p0:Int64}`) queries from Python bind their values as."""
from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal
from typing import Any
from uuid import UUID

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}

# Names that are SQL keywords stay quoted even when they look like plain identifiers (the TypeScript SDK's list).
_KEYWORDS = set((
    "add after alias all alter and any array as asc between by case cast check codec column comment create cross "
    "database default delete desc distinct drop else end engine exists false final first format from full global "
    "group having if ilike in index inner insert interval into is join key left like limit materialized modify not "
    "null offset on or order outer over partition prewhere primary rename replace right sample select set settings "
    "table then to true ttl union update using values view when where with "
    "constraint function inf infinity nan projection top"
).split())


def _escape(text: str, quote: str) -> str:
    return "".join(f"\\{quote}" if char == quote else _ESCAPES.get(char, char) for char in text)


def quote_string(text: str) -> str:
    return f"'{_escape(text, chr(39))}'"


def quote_identifier(name: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and name.lower() not in _KEYWORDS:
        return name
    return f"`{_escape(name, '`')}`"


def param_type(value: Any) -> str:
    """The ClickHouse type a query parameter holding `value` is declared with."""
    if isinstance(value, bool):
        return "Bool"
    if isinstance(value, int):
        return "Int64"
    if isinstance(value, float):
        return "Float64"
    if isinstance(value, _dt.datetime):
        return "DateTime64(6, 'UTC')"
    if isinstance(value, _dt.date):
        return "Date"
    if isinstance(value, (list, tuple)):
        return f"Array({param_type(value[0]) if value else 'String'})"
    return "String"


def param_value(value: Any) -> Any:
    """`value` as ClickHouse reads a parameter of param_type(value)."""
    if isinstance(value, _dt.datetime):
        # A point in time, in UTC (an offset is applied; a naive datetime is read as UTC, as columns store it).
        utc = value.astimezone(_dt.timezone.utc) if value.tzinfo is not None else value
        return utc.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [param_value(item) for item in value]
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    return value

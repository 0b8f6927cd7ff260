"""The `client` an `Api` handler receives (MooseStack's MooseClient / QueryClient): queries run on the
server's ClickHouse through the moose CLI, every value bound as a query parameter."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from decimal import Context, Decimal
from string import Formatter
from typing import Any, Callable, Optional
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .query_builder import Query
from .sql_text import param_type, param_value

#: (sql with {p:Type} placeholders, parameter values) → rows; set by whoever serves the handlers.
Transport = Callable[[str, dict[str, Any]], list[dict[str, Any]]]


class QueryError(Exception):
    pass


_WIDE_INTEGERS = {"Int64", "UInt64", "Int128", "UInt128", "Int256", "UInt256"}
_DECIMALS = {"Decimal", "Decimal32", "Decimal64", "Decimal128", "Decimal256"}
# Python's default context keeps 28 digits, and quantize refuses a longer result; Decimal256 has 76.
_DECIMAL256_CONTEXT = Context(prec=76)


def _arguments(text: str) -> list[str]:
    """The top-level arguments of a type's parentheses: `String, Array(UInt64)` → ["String", "Array(UInt64)"]."""
    parts, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(text):
        if char == "'" and (index == 0 or text[index - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            parts.append(text[start:index].strip())
            start = index + 1
    return [*parts, text[start:].strip()] if text.strip() else parts


def _zone(argument: Optional[str]) -> Optional[_dt.tzinfo]:
    if argument is None:
        return None
    name = argument.strip("'")
    if name == "UTC":
        return _dt.timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None  # no tz database on this machine: the wall time as ClickHouse wrote it


def _date_time(zone: Optional[_dt.tzinfo]) -> Callable[[Any], Any]:
    def convert(text: Any) -> Any:
        whole, _, fraction = str(text).partition(".")
        try:
            value = _dt.datetime.strptime(whole, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return text  # not ClickHouse's default text (another date_time_output_format): left as it came
        return value.replace(microsecond=int(fraction[:6].ljust(6, "0")) if fraction else 0, tzinfo=zone)

    return convert


def _converter(clickhouse_type: str) -> Optional[Callable[[Any], Any]]:
    """What turns a value of `clickhouse_type` in ClickHouse's JSON into the Python value moose_lib's client gives;
    None where JSON's is already it (strings, floats, booleans, tuples)."""
    name, _, rest = clickhouse_type.strip().partition("(")
    arguments = _arguments(rest[:-1]) if rest else []
    if name == "LowCardinality":
        return _converter(arguments[0])
    if name == "Nullable":
        inner = _converter(arguments[0])
        return (lambda value: None if value is None else inner(value)) if inner else None
    if name == "Array":
        item = _converter(arguments[0])
        return (lambda values: [item(value) for value in values]) if item else None
    if name == "Map":
        item = _converter(arguments[1])
        return (lambda values: {key: item(value) for key, value in values.items()}) if item else None
    if name in _WIDE_INTEGERS:
        return int
    if name in _DECIMALS:
        # The drivers have ClickHouse quote decimals (exact digits; a number from an old server is a double), without
        # trailing zeros: the scale is the type's.
        quantum = Decimal(1).scaleb(-int(arguments[-1]))
        return lambda value: Decimal(str(value)).quantize(quantum, context=_DECIMAL256_CONTEXT)
    if name in ("Date", "Date32"):
        return lambda value: _dt.date.fromisoformat(value)
    if name == "DateTime":
        return _date_time(_zone(arguments[0] if arguments else None))
    if name == "DateTime64":
        return _date_time(_zone(arguments[1] if len(arguments) > 1 else None))
    if name == "UUID":
        return UUID
    return None


def rows_from_clickhouse(columns: list[dict[str, str]], rows: list[list[Any]]) -> list[dict[str, Any]]:
    """ClickHouse's JSONCompact rows as moose_lib gives them: dicts by column name, 64-bit integers as ints, dates and
    date-times as `date`/`datetime` (aware in the column's time zone when it has one), decimals as `Decimal`, UUIDs as
    `UUID`."""
    converters = [_converter(column["type"]) for column in columns]
    names = [column["name"] for column in columns]
    return [{name: convert(value) if convert and value is not None else value
             for name, convert, value in zip(names, converters, row)} for row in rows]


@dataclass(frozen=True)
class SqlQuery:
    """`sql("… {name} …", name=value)`: a query template and its values, for `client.query.execute`."""

    template: str
    values: dict[str, Any]


def sql(template: str, **values: Any) -> SqlQuery:
    """What a WebApp's `get_moose_utils(request).sql` is: each value is bound as a query parameter by `execute`."""
    return SqlQuery(template, values)


class QueryClient:
    """`client.query`: MooseStack's QueryClient. `execute("… {name} …", {"name": value})` binds each value as a
    ClickHouse query parameter (tables, views and `table.cols.x` as identifiers); `execute(Query()…)` runs the query
    builder's query; `execute_raw` takes ClickHouse's own `{p:Type}` placeholders."""

    def __init__(self, transport: Transport):
        self._transport = transport

    def __call__(self, input: str, variables: Optional[dict[str, Any]] = None) -> list[dict[str, Any]]:
        return self.execute(input, variables)

    def execute(self, input: "str | SqlQuery | Query", variables: Optional[dict[str, Any]] = None, row_type: Any = None) -> list[Any]:
        if isinstance(input, Query):
            if variables is not None:
                raise ValueError("client.query.execute(query): a Query binds its own values; pass no variables")
            return self.execute_raw(*input.to_sql_and_params(), row_type)
        if isinstance(input, SqlQuery):
            input, variables = input.template, {**input.values, **(variables or {})}
        placeholders: dict[str, str] = {}
        values: dict[str, Any] = {}
        for index, (_, name, _, _) in enumerate(part for part in Formatter().parse(input) if part[1]):
            value = (variables or {})[name]
            if isinstance(value, list) and len(value) == 1:
                value = value[0]
            key = f"p{index}"
            # An SDK object (its class says what it is): a model parsed from a request with fields of those names is a value.
            if getattr(type(value), "component_kind", None) is not None and hasattr(value, "id"):
                placeholders[name] = f"{{{key}:Identifier}}"
                values[key] = value.id
            else:
                placeholders[name] = f"{{{key}:{param_type(value)}}}"
                values[key] = param_value(value)
        return self.execute_raw(input.format_map(placeholders), values, row_type)

    def execute_raw(self, clickhouse_query: str, parameters: Optional[dict[str, Any]] = None, row_type: Any = None) -> list[Any]:
        rows = self._transport(clickhouse_query, {key: param_value(value) for key, value in (parameters or {}).items()})
        return [row_type.model_validate(row) for row in rows] if row_type is not None else rows


class WorkflowClient:
    """`client.workflow`: MooseStack's WorkflowClient. Starts a run of one of the app's workflows (or terminates one)
    on the Temporal `moose dev` / `moose prod` run the project's worker on; answers `{"status": ..., "body": ...}` as
    the TypeScript SDK's does (200 with the run's ids as JSON, 404 for a name the code lacks, 409 while a manual run of
    it is going, 503 with workflows off), never raising for Temporal's refusals."""

    def execute(self, name: str, input_data: Any = None) -> dict[str, Any]:
        # The worker's pipe writes the input as JSON (a pydantic model dumped, dates as text).
        return self._ask({"op": "workflowExecute", "name": name, "input": input_data}, f"client.workflow.execute({name!r})")

    def terminate(self, workflow_id: str) -> dict[str, Any]:
        return self._ask({"op": "workflowTerminate", "workflowId": workflow_id}, f"client.workflow.terminate({workflow_id!r})")

    @staticmethod
    def _ask(request: dict[str, Any], what: str) -> dict[str, Any]:
        from .runtime import host_request
        from .source import caller_location

        return host_request(request, caller_location(), what)


class MooseClient:
    """What a handler gets as `client`: `client.query`, and `client.workflow` to start the app's workflows."""

    def __init__(self, transport: Transport):
        self.query = QueryClient(transport)
        self.workflow = WorkflowClient()

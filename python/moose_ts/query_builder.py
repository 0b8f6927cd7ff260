"""moose_lib's query builder: `Query().from_(table).select(table.cols.id, table.cols.amount)
.where(and_(col(table.cols.amount).gt(10), col(table.cols.kind).in_(["a", "b"]))).order_by((table.cols.id, "desc"))
.limit(20)`, run with `client.query.execute(query)`. Every value is bound as a typed query parameter
(`{p0:Int64}`), never written into the SQL; columns and the table are quoted identifiers.

moose_lib builds these on sqlglot's syntax tree and also takes sqlglot expressions anywhere; here the SQL is written
directly and only the builder's own predicates (`col(...)`, `and_`, `or_`) are taken."""
from __future__ import annotations

import re
from typing import Any, Callable, Literal, Optional, Union

from ._typed import ColumnRef
from .sql_text import param_type, quote_identifier

_PARAMETER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Params:
    """The values a query binds, by parameter name: `bind(value)` answers the placeholder to write in its place."""

    def __init__(self) -> None:
        self._counter = 0
        self.bindings: dict[str, Any] = {}

    def bind(self, value: Any, name: Optional[str] = None, ch_type: Optional[str] = None) -> str:
        if name is None:
            while f"p{self._counter}" in self.bindings:
                self._counter += 1
            name = f"p{self._counter}"
            self._counter += 1
        elif not _PARAMETER_NAME.fullmatch(name):
            raise ValueError(f"query parameter name {name!r} is not a plain identifier")
        self.bindings[name] = value
        return f"{{{name}:{ch_type or param_type(value)}}}"


class Condition:
    """A condition written as SQL; `joined_by` is the operator of an `and_`/`or_` it came from, so a condition inside
    one of the other kind is parenthesised."""

    def __init__(self, sql: str, joined_by: Optional[str] = None):
        self.sql = sql
        self.joined_by = joined_by


Predicate = Callable[["Query"], Condition]
ColumnLike = Union[ColumnRef, "ColumnPredicates"]
OrderItem = Union[ColumnLike, "tuple[ColumnLike, Literal['asc', 'desc']]"]


def _column_of(item: Any, what: str) -> ColumnRef:
    if isinstance(item, ColumnPredicates):
        return item.column
    if isinstance(item, ColumnRef):
        return item
    raise TypeError(f"{what} takes columns (table.cols.name, Model.name or col(...)), not {type(item).__name__}")


class ColumnPredicates:
    """`col(table.cols.amount)`: the conditions on one column, each comparing it with a bound value."""

    def __init__(self, column: ColumnRef):
        self.column = _column_of(column, "col()")

    def _compare(self, operator: str, value: Any) -> Predicate:
        return lambda query: Condition(f"{query.column_sql(self.column)} {operator} {query.params.bind(value)}")

    def eq(self, value: Any) -> Predicate:
        return self._compare("=", value)

    def ne(self, value: Any) -> Predicate:
        return self._compare("<>", value)

    def lt(self, value: Any) -> Predicate:
        return self._compare("<", value)

    def le(self, value: Any) -> Predicate:
        return self._compare("<=", value)

    def gt(self, value: Any) -> Predicate:
        return self._compare(">", value)

    def ge(self, value: Any) -> Predicate:
        return self._compare(">=", value)

    def in_(self, values: list[Any]) -> Predicate:
        def resolve(query: Query) -> Condition:
            if not values:
                return Condition("false")  # nothing is in an empty list; ClickHouse refuses `IN ()`
            return Condition(f"{query.column_sql(self.column)} IN ({', '.join(query.params.bind(value) for value in values)})")

        return resolve

    def is_null(self) -> Predicate:
        return lambda query: Condition(f"{query.column_sql(self.column)} IS NULL")


def col(column: ColumnRef) -> ColumnPredicates:
    return ColumnPredicates(column)


def _resolve(query: Query, predicate: Any, what: str) -> Condition:
    condition = predicate(query) if callable(predicate) else predicate
    if not isinstance(condition, Condition):
        raise TypeError(f"{what} takes conditions such as col(table.cols.id).eq(1), and_(...) or or_(...), not "
                        f"{type(predicate).__name__}")
    return condition


def _joined(operator: str, what: str, predicates: tuple[Any, ...]) -> Predicate:
    if not predicates:
        raise ValueError(f"{what} requires at least one predicate")

    def resolve(query: Query) -> Condition:
        conditions = [_resolve(query, predicate, what) for predicate in predicates]
        if len(conditions) == 1:
            return conditions[0]
        return Condition(f" {operator} ".join(
            f"({condition.sql})" if condition.joined_by not in (None, operator) else condition.sql for condition in conditions),
            operator)

    return resolve


def and_(*predicates: Any) -> Predicate:
    return _joined("AND", "and_", predicates)


def or_(*predicates: Any) -> Predicate:
    return _joined("OR", "or_", predicates)


class Query:
    """A SELECT over one of the app's tables or views. `where` may be called more than once: the conditions are
    ANDed, as in moose_lib."""

    def __init__(self) -> None:
        self.params = Params()
        self._table: Optional[str] = None
        self._columns: list[str] = []
        self._conditions: list[Condition] = []
        self._order: list[str] = []
        self._limit: Optional[int] = None

    def from_(self, table: Any) -> Query:
        if getattr(type(table), "component_kind", None) not in ("tables", "views"):
            raise TypeError(f"Query.from_ takes an OlapTable or a View of the app, not {type(table).__name__}")
        self._table = table.id
        return self

    def column_sql(self, column: ColumnRef) -> str:
        name = quote_identifier(column.name)
        return f"{quote_identifier(self._table)}.{name}" if self._table is not None else name

    def select(self, *columns: ColumnLike) -> Query:
        self._columns += [self.column_sql(_column_of(column, "Query.select")) for column in columns]
        return self

    def where(self, predicate: Any) -> Query:
        condition = _resolve(self, predicate, "Query.where")
        self._conditions.append(condition)
        return self

    def order_by(self, *items: OrderItem) -> Query:
        for item in items:
            direction = "asc"
            if isinstance(item, tuple) and len(item) == 2:
                item, direction = item
                if not isinstance(direction, str) or direction.lower() not in ("asc", "desc"):
                    raise ValueError(f"order_by direction must be 'asc' or 'desc', not {direction!r}")
            self._order.append(self.column_sql(_column_of(item, "Query.order_by")) + (" DESC" if direction.lower() == "desc" else ""))
        return self

    def limit(self, n: int) -> Query:
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"Query.limit takes a count of rows, not {n!r}")
        self._limit = n
        return self

    def to_sql(self) -> str:
        if self._table is None:
            raise ValueError("the query has no table: call Query().from_(table) first")
        sql = f"SELECT {', '.join(self._columns) or '*'} FROM {quote_identifier(self._table)}"
        if self._conditions:
            sql += " WHERE " + _joined("AND", "where", tuple(self._conditions))(self).sql
        if self._order:
            sql += " ORDER BY " + ", ".join(self._order)
        if self._limit is not None:
            sql += f" LIMIT {self._limit}"
        return sql

    def to_sql_and_params(self) -> tuple[str, dict[str, Any]]:
        return self.to_sql(), dict(self.params.bindings)

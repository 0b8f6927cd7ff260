"""`OlapTable[Model]("Name", ...)`: a component class subscripted with its model(s) returns a constructor
that passes them on as `t=`, as in MooseStack's Python SDK."""
from __future__ import annotations

import functools
from typing import Any, Optional

from .errors import MooseError, SourceLocation
from .sql_text import quote_identifier


class Typed:
    def __class_getitem__(cls, item: Any) -> Any:
        @functools.wraps(cls)
        def construct(*args: Any, **kwargs: Any) -> Any:
            return cls(*args, t=item, **kwargs)

        return construct


def require_model(t: Any, what: str, source: SourceLocation, example: str) -> Any:
    if t is None:
        raise MooseError("MISSING_TYPE_ARGUMENT", f"{what} has no model to take its columns from", source,
                         f"write {example}")
    return t


def without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def life_cycle_value(value: Optional[Any]) -> str:
    if value is None:
        return "FULLY_MANAGED"
    return getattr(value, "value", value)


class ColumnRef:
    """`table.cols.user_id`: a column of a table, interpolated into queries as an identifier."""

    component_kind = "column"

    def __init__(self, name: str):
        self.name = name
        self.id = name

    def __str__(self) -> str:
        return quote_identifier(self.name)

    def __format__(self, spec: str) -> str:
        # f"SELECT {Model.user_id:col}": moose_lib's column format specs all write the quoted identifier.
        if spec not in ("", "col", "c", "column"):
            raise ValueError(f"format spec {spec!r} for column {self.name!r}: use :col (or none)")
        return str(self)

    def to_expr(self) -> Any:
        """The column in the query builder: `table.cols.id.to_expr().eq(1)`, as `col(table.cols.id).eq(1)`."""
        from .query_builder import ColumnPredicates

        return ColumnPredicates(self)

    def __repr__(self) -> str:
        return f"ColumnRef({self.name!r})"


class Cols:
    """Checked access to a component's columns by name: `table.cols.user_id`, `table.cols["user_id"]`."""

    def __init__(self, owner: str, specs: list[dict[str, Any]]):
        self._owner = owner
        self._names = [spec["name"] for spec in specs]

    def __getattr__(self, name: str) -> ColumnRef:
        if name.startswith("_") or name not in self._names:
            raise AttributeError(f"{self._owner} has no column {name!r} (it has: {', '.join(self._names)})")
        return ColumnRef(name)

    def __getitem__(self, name: str) -> ColumnRef:
        return self.__getattr__(name)

    def __iter__(self) -> Any:
        return iter(ColumnRef(name) for name in self._names)


class ModelBacked(Typed):
    """A component whose columns come from its model (OlapTable, Stream): the model and checked column access."""

    #: How messages name this kind of component: `OLAP table "Users"`.
    _kind_label = "component"
    _t: Any
    column_specs: list[dict[str, Any]]
    name: str

    @property
    def model_type(self) -> Any:
        return self._t

    def _json_row(self, record: Any) -> dict[str, Any]:
        """`record` (an instance of the model, another model or a dict) validated into the model, as JSON by alias.
        Raises pydantic's ValidationError (a ValueError) when it does not fit."""
        if isinstance(record, self._t):  # an instance of the model was checked when it was made
            return record.model_dump(mode="json", by_alias=True)
        values = record.model_dump(by_alias=True) if hasattr(record, "model_dump") else record
        return self._t.model_validate(values).model_dump(mode="json", by_alias=True)

    @property
    def cols(self) -> Cols:
        return Cols(f'{self._kind_label} "{self.name}"', self.column_specs)

    columns = cols  # MooseStack's older name

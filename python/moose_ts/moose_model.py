"""`MooseModel`: a pydantic model whose class attributes are its columns, for queries written with them
(`f"SELECT {User.user_id:col} FROM {users.name}"`, `col(User.user_id).eq(3)`, `User.cols.user_id`), as in moose_lib.
Instances are plain pydantic models: `User(user_id=3).user_id` is 3."""
from __future__ import annotations

import warnings
from typing import Any

from pydantic import BaseModel

from ._typed import ColumnRef, Cols


class _ColumnAttribute:
    """`Model.field` on a finished MooseModel class. While a subclass is being built pydantic reads each field's class
    attribute as its default, so there it is absent (the parent's column must not become the field's default)."""

    def __init__(self, column: ColumnRef):
        self.column = column

    def __get__(self, instance: Any, owner: type) -> ColumnRef:
        if not isinstance(owner.__dict__.get("cols"), Cols):
            raise AttributeError(self.column.name)
        return self.column


class MooseModelMeta(type(BaseModel)):  # type: ignore[misc]
    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any) -> Any:
        with warnings.catch_warnings():
            # Redeclaring a parent's field is ordinary pydantic; the "attribute" it would shadow is the parent's column.
            warnings.filterwarnings("ignore", message=r'Field name ".*" in ".*" shadows an attribute in parent')
            cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        columns = {field: info.alias or field for field, info in cls.model_fields.items()}
        for field, column in columns.items():
            type.__setattr__(cls, field, _ColumnAttribute(ColumnRef(column)))
        type.__setattr__(cls, "cols", Cols(f"model {name}", [{"name": column} for column in columns.values()]))
        return cls


class MooseModel(BaseModel, metaclass=MooseModelMeta):
    pass

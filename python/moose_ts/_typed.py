"""`OlapTable[Model]("Name", ...)`: a component class subscripted with its model(s) returns a constructor
that passes them on as `t=`, as in MooseStack's Python SDK."""
from __future__ import annotations

import functools
from typing import Any, Optional

from .errors import MooseError, SourceLocation


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

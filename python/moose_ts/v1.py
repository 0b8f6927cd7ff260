"""Names of MooseStack's v1 API that dmv2 apps still import and leave lying around (a `StreamingFunction` next to the
transform that replaced it, a `@moose_data_model` on a model): as in a MooseStack dmv2 app they define nothing — v1
found these by their folders, which dmv2 apps do not have — and moose-ts says so in a build notice."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from .registry import notice
from .source import caller_location


def _inert(what: str, instead: str) -> None:
    notice(f"{what} is MooseStack's v1 API and defines nothing in a dmv2 app (MooseStack ignores it there too); {instead}",
           caller_location())


@dataclass
class StorageConfig:
    enabled: Optional[bool] = None
    order_by_fields: Optional[list[str]] = None
    deduplicate: Optional[bool] = None


@dataclass
class DataModelConfig:
    storage: Optional[StorageConfig] = None


@dataclass
class StreamingFunction:
    run: Callable[..., Any]

    def __post_init__(self) -> None:
        _inert("StreamingFunction", "a transform is stream.add_transform(destination, function)")


def moose_data_model(arg: Any = None) -> Any:
    """`@moose_data_model` or `@moose_data_model(DataModelConfig(...))`: the class, unchanged."""
    _inert("@moose_data_model", "a table is OlapTable[Model](name)")
    if isinstance(arg, type):
        return arg
    return lambda model: model

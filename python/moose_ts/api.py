from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from pydantic import BaseModel, ConfigDict

from ._typed import Typed
from .columns import json_schema_of
from .registry import register, unknown_arguments
from .source import caller_location


JWTPayload = dict[str, Any]


@dataclass
class ApiResult:
    """A handler's answer with a status of its choosing: `return ApiResult(status=404, body={"error": "no such user"})`."""

    status: int
    body: Any


ConsumptionApiResult = ApiResult


class ApiConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Optional[str] = None
    path: Optional[str] = None
    metadata: Optional[dict] = None


EgressConfig = ApiConfig


class Api(Typed):
    """GET /api/<path>: `Api[Params, Result]("name", handler)`; the query parameters are Params' fields."""

    component_kind = "apis"

    def __init__(self, name: str, query_function: Callable[..., Any], config: Optional[ApiConfig] = None,
                 version: Optional[str] = None, *, t: Any = None, **unknown: Any):
        self.source = caller_location()
        self.name = name
        unknown_arguments(f'API "{name}"', unknown, self.source)
        self.query_function = query_function
        self.config = config if config is not None else ApiConfig()
        if version is not None:
            self.config = self.config.model_copy(update={"version": version})
        self.id = self.config.path or (f"{name}/{self.config.version}" if self.config.version else name)
        params, result = (t if isinstance(t, tuple) else (t, None)) if t is not None else (None, None)
        self.params_model = params
        self.result_type = result
        self.params_schema = json_schema_of(params) if params is not None else {}
        self.result_schema = json_schema_of(result) if result is not None else {}
        register(self)

    def to_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"name": self.name, "path": self.id, "params": self.params_schema,
                                "result": self.result_schema, "source": self.source.to_json()}
        if self.config.version is not None:
            spec["version"] = self.config.version
        return spec


ConsumptionApi = Api

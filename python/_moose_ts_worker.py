"""`python -m _moose_ts_worker <project dir> <main file>`: serves a Python app's `Api` handlers for the
moose CLI (`moose dev`, `moose prod`), one call at a time, over JSON lines on stdin/stdout:

    ← {"type": "ready", "apis": [...]}  or  {"type": "failed", "error": {...}}   once the app is imported
    → {"type": "call", "id": 1, "path": "stats/2", "params": {...}}              params already checked by the CLI
    ← {"type": "query", "id": 1, "sql": "...", "params": {...}}                  the handler's queries, run by the CLI
    → {"type": "rows", "id": 1, "rows": [...]}  or  {"type": "error", "id": 1, "message": "..."}
    ← {"type": "result", "id": 1, "status": 200, "body": ...}

The app's own prints go to stderr, so stdout carries only the protocol."""
from __future__ import annotations

import datetime as _dt
import json
import os
import sys
import traceback
from decimal import Decimal
from string import Formatter
from typing import Any, Optional
from uuid import UUID

import _moose_ts_extract as extract

_protocol_out = sys.stdout
_protocol_in = sys.stdin


def _send(message: dict[str, Any]) -> None:
    _protocol_out.write(json.dumps(message, default=_json_default, ensure_ascii=False) + "\n")
    _protocol_out.flush()


def _receive() -> Optional[dict[str, Any]]:
    line = _protocol_in.readline()
    return json.loads(line) if line else None


def _json_default(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class QueryError(Exception):
    pass


def _param_type(value: Any) -> str:
    if isinstance(value, bool):
        return "Bool"
    if isinstance(value, int):
        return "Int64"
    if isinstance(value, float):
        return "Float64"
    if isinstance(value, _dt.datetime):
        return "DateTime64(6)"
    if isinstance(value, _dt.date):
        return "Date"
    if isinstance(value, (list, tuple)):
        return f"Array({_param_type(value[0]) if value else 'String'})"
    return "String"


def _param_value(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_param_value(item) for item in value]
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    return value


class QueryClient:
    """`client.query`: MooseStack's QueryClient. `execute("… {name} …", {"name": value})` binds each value as a
    ClickHouse query parameter (tables and views as identifiers); `execute_raw` takes ClickHouse's own `{p:Type}`."""

    def __init__(self, call_id: int):
        self._call_id = call_id

    def __call__(self, input: str, variables: Optional[dict[str, Any]] = None) -> list[dict[str, Any]]:
        return self.execute(input, variables)

    def execute(self, input: str, variables: Optional[dict[str, Any]] = None, row_type: Any = None) -> list[Any]:
        placeholders: dict[str, str] = {}
        values: dict[str, Any] = {}
        for index, (_, name, _, _) in enumerate(part for part in Formatter().parse(input) if part[1]):
            value = (variables or {})[name]
            if isinstance(value, list) and len(value) == 1:
                value = value[0]
            key = f"p{index}"
            if hasattr(value, "component_kind") and hasattr(value, "id"):
                placeholders[name] = f"{{{key}:Identifier}}"
                values[key] = value.id
            else:
                placeholders[name] = f"{{{key}:{_param_type(value)}}}"
                values[key] = _param_value(value)
        return self.execute_raw(input.format_map(placeholders), values, row_type)

    def execute_raw(self, clickhouse_query: str, parameters: Optional[dict[str, Any]] = None, row_type: Any = None) -> list[Any]:
        _send({"type": "query", "id": self._call_id, "sql": clickhouse_query, "params": {k: _param_value(v) for k, v in (parameters or {}).items()}})
        answer = _receive()
        if answer is None:
            raise SystemExit(0)
        if answer.get("type") == "error":
            raise QueryError(answer.get("message", "the query failed"))
        rows = answer.get("rows", [])
        return [row_type.model_validate(row) for row in rows] if row_type is not None else rows


class MooseClient:
    def __init__(self, call_id: int):
        self.query = QueryClient(call_id)
        self.workflow = None


def _call(apis: dict[str, Any], message: dict[str, Any], project: str) -> dict[str, Any]:
    call_id = message["id"]
    api = apis.get(message["path"])
    if api is None:
        return {"type": "result", "id": call_id, "status": 404, "body": {"error": f"no API at /api/{message['path']}"}}
    try:
        params_model = api.params_model
        raw = message.get("params") or {}
        params = params_model.model_validate(raw) if params_model is not None and hasattr(params_model, "model_validate") else raw
        result = api.query_function(MooseClient(call_id), params)
        return {"type": "result", "id": call_id, "status": 200, "body": json.loads(json.dumps(result, default=_json_default))}
    except Exception as error:  # a handler's failure is a 500 for that request, not the worker's end
        location = extract._user_frame(error.__traceback__, project)
        where = f" at {location['file']}:{location['line']}" if location else ""
        sys.stderr.write(f"error API_HANDLER_FAILED: /api/{message['path']}{where}: {type(error).__name__}: {error}\n")
        traceback.print_exception(error, file=sys.stderr)
        return {"type": "result", "id": call_id, "status": 500,
                "body": {"error": f"the handler of /api/{message['path']} failed", **({"location": location} if location else {})}}


def main() -> int:
    project, main_file = (os.path.abspath(arg) for arg in sys.argv[1:3])
    os.environ["MOOSE_PROJECT_DIR"] = project
    sys.stdout = sys.stderr  # the app's prints must not mix with the protocol
    loaded = extract._run(project, main_file)
    if not loaded["ok"]:
        _send({"type": "failed", "error": loaded["error"]})
        return 1
    from moose_ts import registry

    apis = {api.id: api for api in registry.components("apis")}
    _send({"type": "ready", "apis": sorted(apis)})
    while True:
        message = _receive()
        if message is None:
            return 0
        if message.get("type") == "call":
            _send(_call(apis, message, project))


if __name__ == "__main__":
    sys.exit(main())

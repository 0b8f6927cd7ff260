"""What the app's running code asks the moose process for: `OlapTable.insert` and `MooseCache`. The worker that
imported the app (_moose_ts_worker.py for Api handlers, _moose_ts_processes.py for stream functions) sets how a
request reaches moose over its JSON lines; moose answers it with the TypeScript SDK's runtime
(src/server/python-host.ts), so rows are checked with the same column rules and the cache is the same table."""
from __future__ import annotations

from typing import Any, Callable, Optional

from .errors import MooseError, SourceLocation

#: A request (`{"op": ..., ...}`) → moose's reply (`{"ok": true, "value": ...}` or `{"ok": false, "error": {...}}`).
HostChannel = Callable[[dict[str, Any]], dict[str, Any]]

_channel: Optional[HostChannel] = None


def set_host_channel(channel: Optional[HostChannel]) -> None:
    global _channel
    _channel = channel


def host_request(request: dict[str, Any], location: SourceLocation, what: str) -> Any:
    """Moose's answer to `request`; its failure as the MooseError it reports, at the caller's line."""
    if _channel is None:
        raise MooseError("RUNTIME_NOT_AVAILABLE", f"{what} runs in the Python processes moose starts (Api handlers, stream functions), "
                         "and this one was not started by moose", location, "call it from code `moose dev` or `moose prod` runs")
    reply = _channel(request)
    if not reply.get("ok"):
        error = reply.get("error") or {}
        raise MooseError(error.get("code", "HOST_REQUEST_FAILED"), error.get("message", f"{what} failed"), location, error.get("hint"), error.get("details"))
    return reply.get("value")

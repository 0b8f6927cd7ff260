"""WebApp (MooseStack's): an ASGI app (FastAPI, Starlette, …) mounted at a path, which `moose dev` and
`moose prod` serve beside /api. The server hands it each request under its mount path with the path below
the mount; the app runs in the Python worker (_moose_ts_worker.py), and `get_moose_utils(request)` gives
its handlers the server's ClickHouse client. The mount path is checked here, where the app is written."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .errors import MooseError, SourceLocation
from .source import caller_location

#: The server's own routes: no WebApp may be mounted on or under them (as the TypeScript SDK's list).
RESERVED_MOUNT_PATHS = ("/admin", "/api", "/consumption", "/health", "/ingest", "/liveness", "/moose", "/ready", "/workflows")

_web_apps: dict[str, "WebApp"] = {}


@dataclass
class WebAppMetadata:
    description: Optional[str] = None


@dataclass
class WebAppConfig:
    mount_path: str
    metadata: Optional[WebAppMetadata] = None
    #: Sets `request.state.moose` (an ApiUtil) before each request.
    inject_moose_utils: bool = True


@dataclass
class ApiUtil:
    """What `get_moose_utils(request)` gives a WebApp's handler: the server's client, moose's `sql`, the request's JWT claims."""

    client: Any
    sql: Any
    jwt: Optional[dict[str, Any]] = None


class WebApp:
    def __init__(self, name: str, app: Any, config: WebAppConfig):
        self.source = caller_location()
        self.name = name
        self.app = app
        self.config = config
        _check(name, app, config, self.source)
        _web_apps[name] = self

    def __repr__(self) -> str:
        return f"WebApp(name={self.name!r}, mount_path={self.config.mount_path!r})"


def _check(name: str, app: Any, config: Any, source: SourceLocation) -> None:
    def refuse(problem: str, hint: str) -> None:
        raise MooseError("INVALID_WEB_APP", f'WebApp "{name}": {problem}', source, hint)

    if name in _web_apps:
        refuse(f"another WebApp has this name (at {_web_apps[name].source})", "give each WebApp a name of its own")
    if not callable(app):
        refuse(f"the app is a {type(app).__name__}, not an ASGI app", "pass the FastAPI (or other ASGI) application: WebApp(\"name\", app, WebAppConfig(mount_path=\"/my-app\"))")
    path = getattr(config, "mount_path", None)
    if not isinstance(path, str) or path == "":
        refuse("config.mount_path is required", 'mount it at a path of its own, e.g. WebAppConfig(mount_path="/my-app")')
    if not path.startswith("/"):
        refuse(f'mount_path "{path}" does not start with "/"', f'write "/{path}"')
    if path == "/":
        refuse('mount_path cannot be "/": the app would take the paths of /api, /ingest, /admin and /health', 'mount it under a path of its own, e.g. "/my-app"')
    if path.endswith("/"):
        refuse(f'mount_path "{path}" ends with "/"', f'write "{path.rstrip("/")}"')
    if re.search(r"[?#\s]", path):
        refuse(f'mount_path "{path}" holds a "?", "#" or white space', "a mount path is the path part of a URL only")
    reserved = next((route for route in RESERVED_MOUNT_PATHS if path == route or path.startswith(f"{route}/")), None)
    if reserved is not None:
        refuse(f'mount_path "{path}" is on the server\'s own route {reserved}', f"these are reserved: {', '.join(RESERVED_MOUNT_PATHS)}")
    for other in _web_apps.values():
        if other.config.mount_path == path:
            refuse(f'WebApp "{other.name}" is mounted at {path} too (at {other.source})', "give each WebApp its own mount_path")


def get_web_apps() -> dict[str, WebApp]:
    return dict(_web_apps)


def get_web_app(name: str) -> Optional[WebApp]:
    return _web_apps.get(name)


def clear() -> None:
    _web_apps.clear()


def get_moose_utils(request: Any) -> Optional[ApiUtil]:
    """The utilities the server put on the request (`request.state.moose`), or None (inject_moose_utils=False)."""
    state = getattr(request, "state", None)
    return getattr(state, "moose", None) if state is not None else None


def get_moose_dependency() -> Callable[[Any], ApiUtil]:
    """A FastAPI dependency giving the request's ApiUtil: `moose: ApiUtil = Depends(get_moose_dependency())`."""

    def moose_dependency(request: Any) -> ApiUtil:
        moose = get_moose_utils(request)
        if moose is None:
            raise RuntimeError("moose utilities are not on this request: the WebApp was created with inject_moose_utils=False")
        return moose

    # FastAPI hands a dependency the request by its parameter's annotation (else it reads `request` as a query parameter).
    try:
        from starlette.requests import Request

        moose_dependency.__annotations__["request"] = Request
    except ImportError:
        pass
    return moose_dependency

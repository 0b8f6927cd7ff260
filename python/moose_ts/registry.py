"""Every component the app creates adds itself here; the extractor turns the registry into a Manifest v1."""
from __future__ import annotations

from typing import Any

from . import web_app
from .errors import MooseError
from .processes import process_specs

KINDS = ("tables", "streams", "views", "materializedViews", "apis", "ingestApis", "workflows")
# Sections newer than the first manifests: written only when they hold something (their hashes stay).
_OPTIONAL_KINDS = ("sqlResources",)
_LABELS = {"tables": "OLAP table", "streams": "stream", "views": "view", "materializedViews": "materialized view",
           "apis": "API", "ingestApis": "ingest API", "workflows": "workflow", "sqlResources": "SQL resource"}

_components: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS + _OPTIONAL_KINDS}
_notices: dict[str, dict[str, Any]] = {}


def register(component: Any) -> None:
    kind = component.component_kind
    existing = _components[kind].get(component.id)
    if existing is not None:
        extra = " or a different version" if kind in ("tables", "streams") else ""
        raise MooseError(
            "DUPLICATE_COMPONENT",
            f'{_LABELS[kind]} "{component.id}" is defined twice: at {existing.source} and at {component.source}',
            component.source,
            f"give one of them another name{extra}",
            {"kind": kind, "id": component.id, "first": existing.source.to_json(), "second": component.source.to_json()},
        )
    _components[kind][component.id] = component


def components(kind: str) -> list[Any]:
    return list(_components[kind].values())


def clear() -> None:
    for kinds in _components.values():
        kinds.clear()
    _notices.clear()
    web_app.clear()


def notice(message: str, source: Any) -> None:
    """Something the app asked for that moose-ts accepts but does not do: the CLI prints it as a warning."""
    _notices[f"{source.file}:{source.line}\0{message}"] = {"message": message, "source": source.to_json()}


def notices() -> list[dict[str, Any]]:
    return list(_notices.values())


def to_manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = {"version": 1}
    for kind in KINDS:
        manifest[kind] = {component.id: component.to_spec() for component in _components[kind].values()}
    processes = process_specs(_components["streams"].values())
    # Left out while empty, as in the canonical form: apps without processes keep their manifest hash.
    if processes:
        manifest["processes"] = processes
    for kind in _OPTIONAL_KINDS:
        if _components[kind]:
            manifest[kind] = {component.id: component.to_spec() for component in _components[kind].values()}
    return manifest


# MooseStack-style lookups.
def get_tables() -> dict[str, Any]:
    return dict(_components["tables"])


def get_streams() -> dict[str, Any]:
    return dict(_components["streams"])


def get_apis() -> dict[str, Any]:
    return dict(_components["apis"])


def get_workflows() -> dict[str, Any]:
    return dict(_components["workflows"])


def get_sql_resources() -> dict[str, Any]:
    return dict(_components["sqlResources"])


def get_sql_resource(name: str) -> Any:
    return _components["sqlResources"].get(name)

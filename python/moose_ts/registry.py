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


def unknown_arguments(what: str, arguments: dict[str, Any], source: Any) -> None:
    """Keyword arguments a component's constructor does not have: moose_lib ignores them silently, moose-ts says so."""
    if arguments:
        names = ", ".join(f"{name}=" for name in sorted(arguments))
        notice(f"{what}: {names} {'is not an argument' if len(arguments) == 1 else 'are not arguments'} of its constructor and "
               "changes nothing (MooseStack ignores it too; did you mean a key of its config?)", source)


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


# MooseStack-style lookups: every component of a kind by id, or one by its name (None when the app has none).
def _lookup(kind: str, name: str) -> Any:
    found = _components[kind].get(name)
    if found is not None:
        return found
    # A versioned component's id is name_version (name/version for APIs): its plain name finds it while it is the only version.
    named = [component for component in _components[kind].values() if getattr(component, "name", None) == name]
    return named[0] if len(named) == 1 else None


def get_tables() -> dict[str, Any]:
    return dict(_components["tables"])


def get_table(name: str) -> Any:
    return _lookup("tables", name)


def get_streams() -> dict[str, Any]:
    return dict(_components["streams"])


def get_stream(name: str) -> Any:
    return _lookup("streams", name)


def get_ingest_apis() -> dict[str, Any]:
    return dict(_components["ingestApis"])


def get_ingest_api(name: str) -> Any:
    return _lookup("ingestApis", name)


def get_apis() -> dict[str, Any]:
    return dict(_components["apis"])


def get_api(name: str) -> Any:
    """By id (`name`, `name/version`, or its custom path), or by name while it has one version."""
    return _lookup("apis", name)


def get_views() -> dict[str, Any]:
    return dict(_components["views"])


def get_view(name: str) -> Any:
    return _lookup("views", name)


def get_materialized_views() -> dict[str, Any]:
    return dict(_components["materializedViews"])


def get_materialized_view(name: str) -> Any:
    return _lookup("materializedViews", name)


def get_workflows() -> dict[str, Any]:
    return dict(_components["workflows"])


def get_workflow(name: str) -> Any:
    return _lookup("workflows", name)


def get_sql_resources() -> dict[str, Any]:
    return dict(_components["sqlResources"])


def get_sql_resource(name: str) -> Any:
    return _components["sqlResources"].get(name)


# moose_lib's older names for Apis.
get_consumption_apis = get_apis
get_consumption_api = get_api

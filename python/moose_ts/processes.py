"""The processes an app's streams ask for, as Manifest v1 process specs (the same ids and fields as
the TypeScript SDK's src/sdk/processes.ts): a sync per stream with a destination table, a transform
per add_transform and per set_multi_transform (destination "*"), a consumer per add_consumer."""
from __future__ import annotations

import hashlib
import inspect
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Iterator, Optional


#: A multi-transform's destination: each routed message names its own stream.
MULTI_DESTINATION = "*"
_NO_CONFIG = SimpleNamespace(version=None, dead_letter_queue=None)


def process_id(spec: dict[str, Any]) -> str:
    version = f"@{spec['version']}" if spec.get("version") is not None else ""
    if spec["kind"] == "sync":
        return f"sync:{spec['source']}->{spec['destination']}"
    if spec["kind"] == "transform":
        return f"transform:{spec['source']}->{spec['destination']}{version}"
    return f"consumer:{spec['source']}{version}"


def code_hash(fn: Callable[..., Any]) -> str:
    """sha256 of the function's source text; a function without source (a builtin) by its qualified name."""
    try:
        text = inspect.getsource(fn)
    except (OSError, TypeError):
        text = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _function_spec(kind: str, stream: Any, fn: Callable[..., Any], config: Any, destination: Optional[str] = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"kind": kind, "source": stream.id}
    if destination is not None:
        spec["destination"] = destination
    if config.version is not None:
        spec["version"] = config.version
    spec["codeHash"] = code_hash(fn)
    if config.dead_letter_queue is not None:
        spec["deadLetterQueue"] = config.dead_letter_queue.id
    spec["location"] = stream.source.to_json()
    return spec


def _processes(streams: Iterable[Any]) -> Iterator[tuple[dict[str, Any], Optional[Callable[..., Any]], Any]]:
    """Each process of the registered streams: its spec, its function (None for a sync) and its source stream."""
    for stream in streams:
        if stream.config.destination is not None:
            sync: dict[str, Any] = {"kind": "sync", "source": stream.id, "destination": stream.config.destination.id}
            # A sync's dead letters (records that do not fit the table) go to the stream's default_dead_letter_queue.
            if stream.config.default_dead_letter_queue is not None:
                sync["deadLetterQueue"] = stream.config.default_dead_letter_queue.id
            sync["location"] = stream.source.to_json()
            yield sync, None, stream
        for destination_id, entries in stream.transformations.items():
            for _destination, transformation, config in entries:
                yield _function_spec("transform", stream, transformation, config, destination_id), transformation, stream
        if stream.multi_transformation is not None:
            # No dead-letter queue, not even the stream's default (as MooseStack's, and the TypeScript SDK's).
            yield _function_spec("transform", stream, stream.multi_transformation, _NO_CONFIG, MULTI_DESTINATION), stream.multi_transformation, stream
        for consumer, config in stream.consumers:
            yield _function_spec("consumer", stream, consumer, config), consumer, stream


def process_specs(streams: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """The processes of the registered streams, by process id."""
    return {process_id(spec): spec for spec, _function, _stream in _processes(streams)}


def process_functions(streams: Iterable[Any]) -> dict[str, tuple[Callable[..., Any], Any]]:
    """The function of each transform and consumer, with its source stream, by process id (what
    _moose_ts_processes.py runs)."""
    return {process_id(spec): (function, stream) for spec, function, stream in _processes(streams) if function is not None}

"""`python -m _moose_ts_processes <project dir> <main file>`: runs a Python app's stream transforms and consumers
for the moose CLI (`moose dev`, `moose prod`; src/streams/python-functions.ts). The CLI consumes and produces
the Kafka records; this worker only calls the app's functions, a batch of records at a time, over JSON lines
on stdin/stdout:

    ← {"type": "ready", "processes": [...]}  or  {"type": "failed", "error": {...}}   once the app is imported
    → {"type": "run", "records": [{"process": "transform:A->B", "record": {...}}, ...]}
    ← {"type": "host", "query": 1, "request": {"op": "insert", ...}}   a function's OlapTable.insert / MooseCache call
    → {"type": "host-reply", "query": 1, "ok": true, "value": ...}     (moose/runtime.py), answered before the batch goes on
    ← {"type": "done", "results": [{"ok": true, "values": [...]}, {"ok": false, "errorType": "ValueError", "message": "..."}, ...]}

Each record is validated into its source stream's pydantic model (the function gets a model instance, as in
MooseStack); what a transform returns is serialised with model_dump in JSON mode (by alias): None is no record,
a list is several. A record whose validation, function or serialisation raises is that record's failure (the
CLI retries it, then dead-letters it with errorType = the exception's class name); the batch goes on. A result
holding NaN or Infinity is such a failure (a ValueError): JSON has neither, and the CLI could not read the line. The
app's own prints go to stderr, so stdout carries only the protocol."""
from __future__ import annotations

import itertools
import json
import signal
import sys
import threading
from typing import Any, Callable

import _moose_ts_extract as extract
from _moose_ts_worker import _json_default, _load_app, _protocol_out, _receive, _send


def _record_parser(stream: Any) -> Callable[[Any], Any]:
    """How a stream's records reach its functions: validated into its model; a dead-letter queue's as DeadLetterModel,
    whose `as_typed()` gives the failed record in the queue's model."""
    from moose_ts.stream import DeadLetterModel, DeadLetterQueue

    if isinstance(stream, DeadLetterQueue):
        def dead_letter(record: Any) -> Any:
            letter = DeadLetterModel.model_validate(record)
            letter._t = stream._t
            return letter

        return dead_letter
    model = getattr(stream, "_t", None)
    return model.model_validate if hasattr(model, "model_validate") else (lambda record: record)


def _outcome(function: Callable[[Any], Any], parse: Callable[[Any], Any], transform: bool, record: Any, project: str) -> str:
    """One record's result as the JSON text of its entry in `results`."""
    try:
        value = function(parse(record))
        if not transform or value is None:
            return '{"ok":true,"values":[]}'
        values = [item for item in value if item is not None] if isinstance(value, list) else [value]
        try:
            return '{"ok":true,"values":' + _dumps(values) + "}"
        except ValueError as error:  # NaN or Infinity (JSON has neither), a circular reference
            raise ValueError(f"the transform's result cannot be sent as JSON: {error}") from error
    except Exception as error:  # the record's failure, not the worker's
        location = extract._user_frame(error.__traceback__, project)
        return _dumps({"ok": False, "errorType": type(error).__name__, "message": str(error),
                       **({"location": location} if location else {})})


def _dumps(value: Any) -> str:
    """JSON text the CLI can parse: NaN and Infinity (json.dumps writes them by default) raise ValueError instead;
    ASCII with escapes, so a lone surrogate in a value cannot fail the write to the pipe."""
    return json.dumps(value, default=_json_default, allow_nan=False)


_host_numbers = itertools.count(1)
#: A function's threads ask one at a time: each request's answer is the next line on stdin.
_host_lock = threading.Lock()


def _host_request(request: dict[str, Any]) -> dict[str, Any]:
    with _host_lock:
        number = next(_host_numbers)
        _send({"type": "host", "query": number, "request": request})
        reply = _receive()
    if reply is None or reply.get("type") != "host-reply" or reply.get("query") != number:
        return {"ok": False, "error": {"code": "HOST_REQUEST_FAILED", "message": "the moose CLI stopped before answering"}}
    return reply


def main() -> int:
    # Ctrl-C in moose's terminal reaches this process too: the CLI ends it (stdin closed), not the signal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    project = _load_app()
    if project is None:
        return 1
    from moose_ts import registry, runtime
    from moose_ts.processes import process_functions

    runtime.set_host_channel(_host_request)

    functions = {
        process: (function, _record_parser(stream), process.startswith("transform:"))
        for process, (function, stream) in process_functions(registry.components("streams")).items()
    }
    _send({"type": "ready", "processes": sorted(functions)})
    while True:
        message = _receive()
        if message is None:
            return 0
        if message.get("type") != "run":
            continue
        results = []
        for entry in message["records"]:
            target = functions.get(entry["process"])
            if target is None:
                results.append(_dumps({"ok": False, "errorType": "LookupError", "message": f"the app has no function for {entry['process']}"}))
            else:
                results.append(_outcome(target[0], target[1], target[2], entry["record"], project))
        _protocol_out.write('{"type":"done","results":[' + ",".join(results) + "]}\n")
        _protocol_out.flush()


if __name__ == "__main__":
    sys.exit(main())

"""`python -m _moose_ts_worker <project dir> <main file>`: serves a Python app's `Api` handlers for the
moose CLI (`moose dev`, `moose prod`) over JSON lines on stdin/stdout, up to CONCURRENT_CALLS calls at
a time (each in a thread of its own, so a handler waiting for a slow query does not hold up the others):

    ← {"type": "ready", "apis": [...]}  or  {"type": "failed", "error": {...}}   once the app is imported
    → {"type": "call", "id": 1, "path": "stats/2", "params": {...}, "jwt": {...} | null}   params already checked by the CLI
    ← {"type": "query", "id": 1, "query": 7, "sql": "...", "params": {...}}      a handler's query, run by the CLI
    → {"type": "rows", "id": 1, "query": 7, "columns": [{"name", "type"}], "rows": [[...]]}  or  {"type": "error", "id": 1, "query": 7, "message": "..."}
    ← {"type": "host", "query": 8, "request": {"op": "insert", ...}}           a handler's OlapTable.insert / MooseCache call
    → {"type": "host-reply", "query": 8, "ok": true, "value": ...}            (moose_ts/runtime.py)
    ← {"type": "result", "id": 1, "status": 200, "body": ...}
    → {"type": "web", "id": 2, "app": "shop", "method": "GET", "target": "/orders?x=1", "headers": [[name, value]],
       "body": base64, "jwt": {...} | null}                                       a request under a WebApp's mount path
    ← {"type": "web-result", "id": 2, "status": 200, "headers": [[name, value]], "body": base64}
       or {"type": "web-result", "id": 2, "failed": "..."}                        (_moose_ts_webapps.py)
    → {"type": "web-cancel", "id": 2}                                            its client went away: no result follows,
    ← {"type": "web-ended", "id": 2}                                             but this once its task has ended

The ready message also lists the app's WebApps: "webApps": [{"name": ..., "mountPath": ...}].

`python -m _moose_ts_worker <project dir> <main file> tasks` runs a workflow's tasks instead (for
src/workflows/python-tasks.ts; no APIs, no WebApps), each in a thread of its own:

    ← {"type": "ready", "workflows": [...]}
    → {"type": "task", "id": 3, "phase": "run" | "cancel", "workflow": "w", "task": "t", "input": ..., "state": {...}}
    ← {"type": "task-result", "id": 3, "output": ..., "state": {...}}
       or {"type": "task-result", "id": 3, "failed": {"type": "ValueError", "message": "..."}, "retryable": true}

A query is answered by its own number: a handler may run several at once, from threads of its own.
Stdout's pipe belongs to the protocol alone: file descriptor 1 is pointed at stderr, so the app's
prints, C extensions and subprocesses write to the log."""
from __future__ import annotations

import asyncio
import datetime as _dt
import inspect
import itertools
import json
import math
import os
import queue
import signal
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any, Optional
from uuid import UUID

import _moose_ts_extract as extract


def _protocol_pipe() -> Any:
    """Stdout's pipe, kept for the protocol; descriptor 1 then goes to stderr."""
    sys.stdout.flush()
    descriptor = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(descriptor, "w", encoding="utf-8")


_protocol_out = _protocol_pipe()
_protocol_in = sys.stdin
#: Handlers that run at the same time; more calls wait for a thread (the CLI caps how many it sends).
CONCURRENT_CALLS = 16
#: Threads write whole lines, one at a time.
_send_lock = threading.Lock()
_query_numbers = itertools.count(1)
#: Query number → where its answer goes (put there by the reading loop; None once stdin ended).
_waiting: dict[int, "queue.SimpleQueue[Optional[dict[str, Any]]]"] = {}
_stdin_ended = threading.Event()
#: Ids of the calls a thread is handling.
_in_progress: set[int] = set()
#: How long a closing worker waits for its calls to end before it exits without them.
CLOSE_WAIT_S = 1.0


_SAFE_INTEGER = 2**53 - 1


def _javascript_safe(value: Any) -> Any:
    """JSON values JavaScript reads without loss: NaN and infinities as null, as a TypeScript API's JSON.stringify
    writes them (JSON has no such numbers), and integers beyond 2^53 (a UInt64 hash, say) as their digits, as
    ClickHouse quotes 64-bit integers: as numbers the moose process would round them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _SAFE_INTEGER:
        return str(value)
    if isinstance(value, list):
        return [_javascript_safe(item) for item in value]
    if isinstance(value, dict):
        return {key: _javascript_safe(item) for key, item in value.items()}
    return value


def _send(message: dict[str, Any]) -> None:
    # ASCII with escapes: a lone surrogate in a result cannot fail the write.
    line = json.dumps(message, default=_json_default) + "\n"
    with _send_lock:
        _protocol_out.write(line)
        _protocol_out.flush()


def _receive() -> Optional[dict[str, Any]]:
    line = _protocol_in.readline()
    return json.loads(line) if line else None


def _json_default(value: Any) -> Any:
    from moose_ts.stream import RoutedMessage

    if isinstance(value, RoutedMessage):
        return value.to_json()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _ask(message: dict[str, Any]) -> Optional[dict[str, Any]]:
    """Sends `message` under a number of its own and waits for the CLI's answer to it; None once stdin ended."""
    number = next(_query_numbers)
    answers: "queue.SimpleQueue[Optional[dict[str, Any]]]" = queue.SimpleQueue()
    _waiting[number] = answers
    try:
        # Registered before this check, so the reading loop's last pass or this check sees the end of stdin.
        if _stdin_ended.is_set():
            return None
        _send({**message, "query": number})
        return answers.get()
    finally:
        _waiting.pop(number, None)


def _transport(call_id: int) -> Any:
    def run(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        # moose_ts.client's: the app's own `except QueryError` catches these.
        from moose_ts.client import QueryError, rows_from_clickhouse

        answer = _ask({"type": "query", "id": call_id, "sql": sql, "params": params})
        if answer is None:
            raise QueryError("the moose CLI stopped before the query was answered")
        if answer.get("type") == "error":
            raise QueryError(answer.get("message", "the query failed"))
        return rows_from_clickhouse(answer.get("columns", []), answer.get("rows", []))

    return run


def _host_request(request: dict[str, Any]) -> dict[str, Any]:
    """A handler's request to moose (moose_ts/runtime.py), answered by its own number like a query."""
    answer = _ask({"type": "host", "request": request})
    if answer is None:
        return {"ok": False, "error": {"code": "HOST_REQUEST_FAILED", "message": "the moose CLI stopped before answering"}}
    return answer


def _json_value(value: Any) -> Any:
    """A handler's result or a task's output or state as JSON values (pydantic models dumped, NaN as null)."""
    return _javascript_safe(json.loads(json.dumps(value, default=_json_default)))


def _where_raised(error: BaseException, project: str) -> str:
    """` at app/file.py:line` of the app's frame that raised, or nothing when the app's code is not in the traceback."""
    location = extract._user_frame(error.__traceback__, project)
    return f" at {location['file']}:{location['line']}" if location else ""


def _text_of(error: BaseException) -> Optional[str]:
    """str(error), or None for an exception whose __str__ raises."""
    try:
        return str(error)
    except BaseException:
        return None


def _jwt_argument(function: Any) -> Optional[str]:
    """How a handler takes the request's JWT claims: "keyword" (a parameter named `jwt`, given None without a token),
    "positional" (a third positional parameter of another name, given the claims when there are some, as MooseStack
    does), or None."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):  # a builtin or C function without a signature
        return None
    if any(parameter.name == "jwt" for parameter in parameters):
        return "keyword"
    positional = [p for p in parameters if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    takes_more = any(parameter.kind == inspect.Parameter.VAR_POSITIONAL for parameter in parameters)
    return "positional" if len(positional) >= 3 or takes_more else None


def _call(apis: dict[str, Any], message: dict[str, Any], project: str) -> dict[str, Any]:
    from moose_ts.client import MooseClient

    call_id = message["id"]
    api = apis.get(message["path"])
    if api is None:
        return {"type": "result", "id": call_id, "status": 404, "body": {"error": f"no API at /api/{message['path']}"}}
    try:
        params_model = api.params_model
        raw = message.get("params") or {}
        params = params_model.model_validate(raw) if params_model is not None and hasattr(params_model, "model_validate") else raw
        client = MooseClient(_transport(call_id))
        claims = message.get("jwt")
        taking = _jwt_argument(api.query_function)
        if taking == "keyword":
            result = api.query_function(client, params, jwt=claims)
        elif taking == "positional" and claims is not None:
            result = api.query_function(client, params, claims)
        else:
            result = api.query_function(client, params)
        # As MooseStack's runner: an object with `status` and `body` (ApiResult) answers with that status.
        if not isinstance(result, dict) and hasattr(result, "status") and hasattr(result, "body"):
            if isinstance(result.status, bool) or not isinstance(result.status, int) or not 200 <= result.status <= 599:
                raise ValueError(f"the handler's result status {result.status!r} is not a final HTTP status (200-599)")
            return {"type": "result", "id": call_id, "status": result.status, "body": _json_value(result.body)}
        return {"type": "result", "id": call_id, "status": 200, "body": _json_value(result)}
    except BaseException as error:  # a handler's failure (sys.exit too) is a 500 for that request, not the worker's end
        where = _where_raised(error, project)
        sys.stderr.write(f"error API_HANDLER_FAILED: /api/{message['path']}{where}: {type(error).__name__}: {error}\n")
        traceback.print_exception(error, file=sys.stderr)
        # Where it failed is for the log above, not for whoever called the API.
        return {"type": "result", "id": call_id, "status": 500, "body": {"error": f"the handler of /api/{message['path']} failed"}}


def _start_web(host: Any, message: dict[str, Any], project: str) -> None:
    """One WebApp request, started on the apps' event loop: answered whatever happens (a failure is the CLI's 500),
    not at all once cancelled (its client went away: `web-cancel`)."""
    from moose_ts.client import MooseClient, sql
    from moose_ts.web_app import ApiUtil

    call_id = message["id"]
    web_app = host.web_apps.get(message["app"])
    inject = web_app is not None and web_app.config.inject_moose_utils
    utils = ApiUtil(client=MooseClient(_transport(call_id)), sql=sql, jwt=message.get("jwt")) if inject else None

    def done(future: Any) -> None:
        _in_progress.discard(call_id)
        if future.cancelled():
            # The CLI counts a cancelled request until its task has ended.
            _send({"type": "web-ended", "id": call_id})
            return
        error = future.exception()
        if error is None:
            _send({"type": "web-result", "id": call_id, **future.result()})
            return
        text = _text_of(error)
        described = f"{type(error).__name__}: {text}" if text is not None else type(error).__name__
        try:
            where = _where_raised(error, project)
            sys.stderr.write(f"error WEB_APP_FAILED: WebApp \"{message['app']}\" {message['method']} {message['target']}{where}: {described}\n")
            traceback.print_exception(error, file=sys.stderr)
        finally:
            _send({"type": "web-result", "id": call_id, "failed": described})

    _in_progress.add(call_id)
    host.submit(message, utils, done)


def _serve(apis: dict[str, Any], message: dict[str, Any], project: str) -> None:
    """Runs in a pool thread: one call, answered whatever happens."""
    _in_progress.add(message["id"])
    try:
        try:
            _send(_call(apis, message, project))
            return
        except BaseException as error:
            sys.stderr.write(f"error API_HANDLER_FAILED: /api/{message['path']}: the result could not be sent: {type(error).__name__}: {error}\n")
        _send({"type": "result", "id": message["id"], "status": 500, "body": {"error": f"the handler of /api/{message['path']} failed"}})
    finally:
        _in_progress.discard(message["id"])


def _awaited(result: Any) -> Any:
    """An async task function's result: its coroutine run to the end on an event loop of this thread."""
    if not inspect.isawaitable(result):
        return result

    async def wait() -> Any:
        return await result

    return asyncio.run(wait())


def _task_failed(message: dict[str, Any], kind: str, text: str, retryable: bool) -> dict[str, Any]:
    return {"type": "task-result", "id": message["id"], "failed": {"type": kind, "message": text}, "retryable": retryable}


def _run_task(message: dict[str, Any], project: str) -> dict[str, Any]:
    """One task (its run, or its on_cancel), answered whatever happens."""
    from moose_ts import registry
    from moose_ts.workflow import TaskContext

    workflow = next((item for item in registry.components("workflows") if item.name == message["workflow"]), None)
    task = next((item for item in workflow.tasks() if item.name == message["task"]), None) if workflow is not None else None
    if task is None:
        return _task_failed(message, "MooseUnknownTask", f"workflow {message['workflow']} has no task named {message['task']} in the code", False)
    label = f"workflow {message['workflow']}: task {message['task']}"
    state = dict(message.get("state") or {})
    raw = message.get("input")
    input_model = task.input_model()
    if input_model is not None and raw is not None:
        try:
            raw = input_model.model_validate(raw)
        except Exception as error:  # pydantic's ValidationError: the same input fails every attempt
            return _task_failed(message, "MooseInvalidTaskInput", f"{label}: the input is not a {input_model.__name__}: {error}", False)
    context = TaskContext(state=state, input=raw)
    try:
        if message.get("phase") == "cancel":
            if task.config.on_cancel is not None:
                _awaited(task.config.on_cancel(context))
            output = None
        else:
            output = _awaited(task.config.run(context))
        return {"type": "task-result", "id": message["id"], "output": _json_value(output), "state": _json_value(state)}
    except BaseException as error:  # a task's failure (sys.exit too) fails that attempt, not the worker
        described = _text_of(error) or ""
        where = _where_raised(error, project)
        sys.stderr.write(f"error WORKFLOW_TASK_FAILED: {label}{where}: {type(error).__name__}: {described}\n")
        traceback.print_exception(error, file=sys.stderr)
        return _task_failed(message, type(error).__name__, f"{described}{where}" if described else f"{type(error).__name__}{where}", True)


def _serve_task(message: dict[str, Any], project: str) -> None:
    """Runs in a thread of its own: one task, answered whatever happens."""
    _in_progress.add(message["id"])
    try:
        try:
            _send(_run_task(message, project))
            return
        except BaseException as error:
            sys.stderr.write(f"error WORKFLOW_TASK_FAILED: the result of task {message['task']} could not be sent: {type(error).__name__}: {error}\n")
        _send(_task_failed(message, "MooseTaskResultNotSent", "the task's output or state is not JSON", False))
    finally:
        _in_progress.discard(message["id"])


def _serve_tasks(project: str) -> int:
    from moose_ts import registry, runtime

    runtime.set_host_channel(_host_request)
    _send({"type": "ready", "workflows": sorted(workflow.name for workflow in registry.components("workflows"))})
    while True:
        message = _receive()
        if message is None:
            break
        kind = message.get("type")
        if kind == "task":
            threading.Thread(target=_serve_task, args=(message, project), name=f"moose-task-{message['id']}", daemon=True).start()
        elif kind == "host-reply":
            answers = _waiting.get(message.get("query"))
            if answers is not None:
                answers.put(message)
    return _end_of_stdin(None)


def _load_app() -> Optional[str]:
    """Imports the app named by argv (project folder, main file); its project folder, or None once its failure is sent."""
    project, main_file = (os.path.abspath(arg) for arg in sys.argv[1:3])
    os.environ["MOOSE_PROJECT_DIR"] = project
    sys.stdout = sys.stderr  # the app's prints must not mix with the protocol
    loaded = extract._run(project, main_file)
    if not loaded["ok"]:
        _send({"type": "failed", "error": loaded["error"]})
        return None
    return project


def main() -> int:
    # Ctrl-C in moose's terminal reaches this process too: the CLI ends it (stdin closed), not the signal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    project = _load_app()
    if project is None:
        return 1
    if sys.argv[3:4] == ["tasks"]:
        return _serve_tasks(project)
    from moose_ts import registry, runtime

    from moose_ts.web_app import get_web_apps
    from _moose_ts_webapps import AsgiHost, WebAppError

    runtime.set_host_channel(_host_request)
    apis = {api.id: api for api in registry.components("apis")}
    web_apps = get_web_apps()
    host = AsgiHost(web_apps) if web_apps else None
    if host is not None:
        try:
            host.start()
        except WebAppError as error:
            _send({"type": "failed", "error": {"code": "WEB_APP_STARTUP_FAILED", "message": str(error),
                                                "hint": "fix the app's startup (its lifespan or on_event(\"startup\") handlers); the traceback is in the log"}})
            traceback.print_exception(error, file=sys.stderr)
            return 1
    _send({"type": "ready", "apis": sorted(apis),
           "webApps": [{"name": web_app.name, "mountPath": web_app.config.mount_path} for web_app in web_apps.values()]})
    pool = ThreadPoolExecutor(max_workers=CONCURRENT_CALLS, thread_name_prefix="moose-api")
    while True:
        message = _receive()
        if message is None:
            break
        kind = message.get("type")
        if kind == "call":
            pool.submit(_serve, apis, message, project)
        elif kind == "web" and host is not None:
            _start_web(host, message, project)
        elif kind == "web-cancel" and host is not None:
            host.cancel(message["id"])
        elif kind in ("rows", "error", "host-reply"):
            answers = _waiting.get(message.get("query"))
            if answers is not None:
                answers.put(message)
    pool.shutdown(wait=False, cancel_futures=True)
    return _end_of_stdin(host)


def _end_of_stdin(host: Any) -> int:
    """The CLI closed stdin: queries waiting for an answer fail; calls still running get a moment to end."""
    _stdin_ended.set()
    for answers in list(_waiting.values()):
        answers.put(None)
    if host is not None:
        host.stop(CLOSE_WAIT_S)
    deadline = time.monotonic() + CLOSE_WAIT_S
    while _in_progress and time.monotonic() < deadline:
        time.sleep(0.01)
    if _in_progress:
        # A handler or task that does not return would keep the process (pool threads are joined at exit).
        sys.stderr.write(f"the worker exits with {len(_in_progress)} call(s) still running\n")
        sys.stderr.flush()
        os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())

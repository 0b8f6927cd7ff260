"""The ASGI host of the Python worker (_moose_ts_worker.py): runs a Python app's WebApps (FastAPI,
Starlette, any ASGI 3 app) for the moose CLI, which owns the HTTP server and hands each request under a
WebApp's mount path to the worker whole (method, path below the mount, headers, body). The apps run on
one asyncio loop in a thread of its own, each request a task on it (no thread is held while a request
waits), cancelled when its client goes away; a reply (status, headers, body) goes back whole once the
app has sent its last body part. Each app's lifespan starts with the worker and ends with it."""
from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import sys
import threading
from typing import Any, Callable, Optional
from urllib.parse import unquote

#: How long an app's lifespan startup or shutdown may take.
LIFESPAN_TIMEOUT_S = 30.0
#: The largest reply an app may send: it crosses the worker's pipe whole, as one line of base64.
MAX_REPLY_BYTES = 64 * 1024 * 1024


class WebAppError(Exception):
    pass


class _Lifespan:
    """One app's lifespan: startup when the host starts, shutdown when it stops (an app without one is fine)."""

    def __init__(self, app: Any):
        self.app = app
        self.messages: "asyncio.Queue[dict[str, Any]]" = asyncio.Queue()
        self.replies: "asyncio.Queue[dict[str, Any]]" = asyncio.Queue()
        self.task: Optional["asyncio.Task[None]"] = None

    async def _run(self) -> None:
        try:
            await self.app({"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}, self.messages.get, self.replies.put)
        except BaseException:  # an app that supports no lifespan raises here: the ASGI spec says to go on without one
            pass
        # Or it returns at once: then too there is no lifespan (after a shutdown, nobody reads this).
        await self.replies.put({"type": "unsupported"})

    async def startup(self) -> None:
        self.task = asyncio.ensure_future(self._run())
        await self.messages.put({"type": "lifespan.startup"})
        reply = await asyncio.wait_for(self.replies.get(), LIFESPAN_TIMEOUT_S)
        if reply["type"] == "lifespan.startup.failed":
            raise WebAppError(f"its lifespan startup failed: {reply.get('message', '')}")
        if reply["type"] == "unsupported":
            self.task = None

    async def shutdown(self) -> None:
        if self.task is None:
            return
        await self.messages.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(self.replies.get(), LIFESPAN_TIMEOUT_S)
        await asyncio.wait_for(self.task, LIFESPAN_TIMEOUT_S)


class AsgiHost:
    def __init__(self, web_apps: dict[str, Any]):
        self.web_apps = web_apps
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run_loop, name="moose-webapps", daemon=True)
        self.thread.start()
        self.lifespans = [_Lifespan(web_app.app) for web_app in web_apps.values()]
        #: Request id → its task, while it runs (cancel finds it here).
        self.running: dict[int, "concurrent.futures.Future[dict[str, Any]]"] = {}

    def _run_loop(self) -> None:
        # A task of the app's own that raises SystemExit or KeyboardInterrupt ends run_forever: the loop
        # goes on serving the other requests (it returns normally only when stop() stops it).
        while True:
            try:
                self.loop.run_forever()
                return
            except BaseException as error:
                sys.stderr.write(f"error WEB_APP_FAILED: a WebApp's task raised {type(error).__name__}: {error}; its WebApps keep serving\n")

    def start(self) -> None:
        """Runs every app's lifespan startup; raises WebAppError naming the app whose startup failed."""
        for name, lifespan in zip(self.web_apps, self.lifespans):
            try:
                # Bounded here too: a startup that blocks the loop (time.sleep) would never reach its own wait_for.
                asyncio.run_coroutine_threadsafe(lifespan.startup(), self.loop).result(LIFESPAN_TIMEOUT_S + 1)
            except Exception as error:
                raise WebAppError(f'WebApp "{name}": {type(error).__name__}: {error}') from error

    def stop(self, timeout_s: float) -> None:
        for lifespan in self.lifespans:
            try:
                asyncio.run_coroutine_threadsafe(lifespan.shutdown(), self.loop).result(timeout_s)
            except Exception:
                pass  # the process ends either way
        self.loop.call_soon_threadsafe(self.loop.stop)

    def submit(self, request: dict[str, Any], utils: Any, done: Callable[["concurrent.futures.Future[dict[str, Any]]"], None]) -> None:
        """Starts one request (the CLI's "web" message) on the loop; `done` gets its future (a reply, WebAppError, or cancelled)."""
        web_app = self.web_apps.get(request["app"])
        if web_app is None:
            failed: "concurrent.futures.Future[dict[str, Any]]" = concurrent.futures.Future()
            failed.set_exception(WebAppError(f'no WebApp named "{request["app"]}"'))
            done(failed)
            return
        future = asyncio.run_coroutine_threadsafe(self._request(web_app, request, utils), self.loop)
        self.running[request["id"]] = future

        def finished(future: "concurrent.futures.Future[dict[str, Any]]") -> None:
            self.running.pop(request["id"], None)
            done(future)

        future.add_done_callback(finished)

    def cancel(self, request_id: int) -> None:
        """The client went away: its request's task is cancelled (the app sees CancelledError)."""
        future = self.running.get(request_id)
        if future is not None:
            future.cancel()

    async def _request(self, web_app: Any, request: dict[str, Any], utils: Any) -> dict[str, Any]:
        raw_path, _, query = request["target"].partition("?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": request["method"],
            "scheme": "http",
            "path": unquote(raw_path),
            "raw_path": raw_path.encode("latin-1"),
            "query_string": query.encode("latin-1"),
            "root_path": "",
            "headers": [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in request["headers"]],
            "client": (request.get("client") or "127.0.0.1", 0),
            "server": None,
            # Starlette's request.state reads this dict: get_moose_utils(request) finds `moose` there.
            "state": {"moose": utils} if utils is not None else {},
        }
        body = base64.b64decode(request.get("body") or "")
        received = False
        finished = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": body, "more_body": False}
            # Once the request is read, the next event is the client leaving, after the reply is sent.
            await finished.wait()
            return {"type": "http.disconnect"}

        status: Optional[int] = None
        headers: list[list[str]] = []
        parts: list[bytes] = []
        size = 0

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                if status is not None:
                    raise WebAppError("the app started its response twice")
                status = int(message["status"])
                if not 200 <= status <= 599:
                    # A 1xx is an interim answer: sent alone, the client would wait for a reply that never comes.
                    raise WebAppError(f"the app answered with status {status}: a WebApp's reply must be 200–599")
                headers.extend([bytes(name).decode("latin-1"), bytes(value).decode("latin-1")] for name, value in message.get("headers", []))
            elif message["type"] == "http.response.body":
                if status is None:
                    raise WebAppError("the app sent a body before starting its response")
                if finished.is_set():
                    raise WebAppError("the app sent a body part after its last one")
                part = bytes(message.get("body", b""))
                size += len(part)
                if size > MAX_REPLY_BYTES:
                    raise WebAppError(f"the reply is larger than {MAX_REPLY_BYTES} bytes, the most a WebApp may send (replies are sent whole)")
                parts.append(part)
                if not message.get("more_body", False):
                    finished.set()

        try:
            await web_app.app(scope, receive, send)
        except (SystemExit, KeyboardInterrupt) as error:
            # Not the worker's end: that request's 500 (an Api handler's sys.exit is the same).
            raise WebAppError(f"the app raised {type(error).__name__}({error})") from error
        finally:
            finished.set()
        if status is None:
            raise WebAppError("the app returned without starting a response")
        return {"status": status, "headers": headers, "body": base64.b64encode(b"".join(parts)).decode("ascii")}

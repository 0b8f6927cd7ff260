"""`python -m _moose_ts_extract <project dir> <main file> <result file>`: import the app's main file and
write what it created as a Manifest v1 ({"ok": true, "manifest": ..., "webApps": [...]}) or the error that stopped it
({"ok": false, "error": {code, message, location?, hint?}}). The moose CLI runs this. It lives beside the
moose_ts package, not in it, so that a missing pydantic (which moose_ts imports) is reported, not a crash."""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import traceback
from typing import Any, Optional

_SDK_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "moose_ts")


def _user_frame(tb: Any, project: str) -> Optional[dict[str, Any]]:
    """The innermost traceback frame in the project's own code (not the SDK, not a virtualenv)."""
    found = None
    for frame in traceback.extract_tb(tb):
        file = os.path.abspath(frame.filename)
        if not file.startswith(project + os.sep) or (file.startswith(_SDK_DIR + os.sep) or file == os.path.abspath(__file__)):
            continue
        relative = file[len(project) + 1:]
        parts = relative.split(os.sep)
        if any(part in (".venv", "venv", "site-packages", ".moose") for part in parts):
            continue
        found = {"file": relative.replace(os.sep, "/"), "line": frame.lineno,
                 **({"col": frame.colno + 1} if getattr(frame, "colno", None) is not None else {})}
    return found


def _module_name(project: str, main: str) -> Optional[str]:
    relative = os.path.relpath(main, project)
    if not relative.endswith(".py") or relative.startswith(".."):
        return None
    parts = relative[:-3].split(os.sep)
    return ".".join(parts) if all(part.isidentifier() for part in parts) else None


def _foreign_moose_lib() -> Optional[dict[str, Any]]:
    """MooseStack's own moose_lib, if the app imported it (from a path put ahead of moose's): what it defines registers
    with MooseStack, so the app would look empty, and a plan would drop everything it has."""
    module = sys.modules.get("moose_lib")
    file = os.path.abspath(getattr(module, "__file__", None) or "") if module is not None else None
    if file is None or file == os.path.join(os.path.dirname(_SDK_DIR), "moose_lib", "__init__.py"):
        return None
    return {"code": "MOOSESTACK_LIBRARY_IMPORTED",
            "message": f"the app imported MooseStack's moose_lib from {file}, not moose's; its components would not be seen",
            "hint": "moose provides moose_lib itself: remove the path that puts the installed moose-lib first "
                    "(sys.path or PYTHONPATH), or pip uninstall moose-lib"}


def _run(project: str, main: str) -> dict[str, Any]:
    try:
        from moose_ts import registry  # noqa: WPS433 (pydantic is imported here: its absence is reported below)
        from moose_ts.errors import MooseError
    except ModuleNotFoundError as error:
        return {"ok": False, "error": {
            "code": "PYTHON_DEPENDENCY_MISSING",
            "message": f"the Python that runs app/main.py ({sys.executable}) cannot import {error.name}",
            "hint": "install pydantic v2 into the project's virtualenv: .venv/bin/pip install -r requirements.txt "
                    "(or set MOOSE_PYTHON to a Python that has it)",
        }}
    registry.clear()
    sys.path.insert(0, project)
    name = _module_name(project, main)
    try:
        if name is not None:
            importlib.import_module(name)
        else:
            spec = importlib.util.spec_from_file_location("__moose_main__", main)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        foreign = _foreign_moose_lib()
        if foreign is not None:
            return {"ok": False, "error": foreign}
        from moose_ts.web_app import get_web_apps

        web_apps = [{"name": web_app.name, "mountPath": web_app.config.mount_path} for web_app in get_web_apps().values()]
        return {"ok": True, "manifest": registry.to_manifest(), "notices": registry.notices(), "webApps": web_apps}
    except MooseError as error:
        return {"ok": False, "error": error.to_json()}
    except SyntaxError as error:
        file = os.path.abspath(error.filename or main)
        location = {"file": os.path.relpath(file, project).replace(os.sep, "/"), "line": error.lineno or 1,
                    **({"col": error.offset} if error.offset else {})}
        return {"ok": False, "error": {"code": "PYTHON_SYNTAX_ERROR", "message": f"{type(error).__name__}: {error.msg}",
                                        "location": location, "hint": "fix the syntax at the location above"}}
    except BaseException as error:  # noqa: B036 (the app may raise anything, SystemExit included)
        location = _user_frame(error.__traceback__, project)
        code = "APP_ERROR"
        message = f"the app raised while loading: {type(error).__name__}: {error}"
        hint = "fix the error at the location above; moose runs app/main.py to find your components"
        if type(error).__name__ == "ValidationError":
            hint = "a config object got a value it does not accept; see the message above"
        return {"ok": False, "error": {"code": code, "message": message, **({"location": location} if location else {}),
                                        "hint": hint, "details": {"traceback": "".join(traceback.format_exception(error))}}}


def main() -> int:
    project, main_file, out = (os.path.abspath(arg) for arg in sys.argv[1:4])
    os.environ["MOOSE_PROJECT_DIR"] = project
    # As the TypeScript extraction does: moose_runtime_env.get returns markers, not the process's secrets.
    os.environ["IS_LOADING_INFRA_MAP"] = "true"
    result = _run(project, main_file)
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(result, handle, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

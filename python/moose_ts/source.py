"""Where user code created an SDK object, or declared a field: file (relative to the project), line, column."""
from __future__ import annotations

import ast
import inspect
import os
import sys
from functools import lru_cache
from typing import Optional

from .errors import SourceLocation

_SDK_DIR = os.path.dirname(os.path.abspath(__file__))


def project_root() -> str:
    return os.path.abspath(os.environ.get("MOOSE_PROJECT_DIR") or os.getcwd())


def relative_to_project(file: str) -> str:
    absolute = os.path.abspath(file)
    root = project_root()
    if absolute.startswith(root + os.sep):
        return absolute[len(root) + 1:].replace(os.sep, "/")
    return absolute.replace(os.sep, "/")


def _is_sdk_file(file: str) -> bool:
    return os.path.abspath(file).startswith(_SDK_DIR + os.sep)


def caller_location() -> SourceLocation:
    """The innermost frame outside this SDK (and outside the standard library's importlib)."""
    frame = sys._getframe(1)
    while frame is not None:
        file = frame.f_code.co_filename
        if not _is_sdk_file(file) and not file.startswith("<"):
            return SourceLocation(relative_to_project(file), frame.f_lineno, _column(frame))
        frame = frame.f_back
    return SourceLocation("<unknown>", 0)


def _column(frame) -> Optional[int]:
    try:
        positions = list(frame.f_code.co_positions())
        _, _, col, _ = positions[frame.f_lasti // 2]
        return col + 1 if col is not None else None
    except (AttributeError, IndexError, ValueError):
        return None


@lru_cache(maxsize=None)
def _parsed(file: str) -> Optional[ast.Module]:
    try:
        with open(file, encoding="utf-8") as handle:
            return ast.parse(handle.read(), filename=file)
    except (OSError, SyntaxError, ValueError):
        return None


def class_location(model: type) -> Optional[SourceLocation]:
    node = _class_node(model)
    file = _class_file(model)
    if node is None or file is None:
        return None
    return SourceLocation(relative_to_project(file), node.lineno, node.col_offset + 1)


def field_location(model: type, field: str) -> Optional[SourceLocation]:
    """The line of `field: T` in the class body (or in the base class that declares it)."""
    for klass in getattr(model, "__mro__", (model,)):
        node = _class_node(klass)
        file = _class_file(klass)
        if node is None or file is None:
            continue
        for statement in node.body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.target.id == field:
                return SourceLocation(relative_to_project(file), statement.lineno, statement.col_offset + 1)
    return class_location(model)


def _class_file(model: type) -> Optional[str]:
    try:
        return inspect.getsourcefile(model)
    except (TypeError, OSError):
        return None


def _class_node(model: type) -> Optional[ast.ClassDef]:
    file = _class_file(model)
    if file is None:
        return None
    tree = _parsed(file)
    if tree is None:
        return None
    try:
        _, start = inspect.getsourcelines(model)
    except (OSError, TypeError):
        start = 0
    best: Optional[ast.ClassDef] = None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == model.__name__:
            if best is None or abs(node.lineno - start) < abs(best.lineno - start):
                best = node
    return best

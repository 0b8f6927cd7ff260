"""Errors the moose CLI reports at a place in the user's code (file:line:col, relative to the project)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional


@dataclass(frozen=True)
class SourceLocation:
    file: str
    line: int
    col: Optional[int] = None

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, **({"col": self.col} if self.col else {})}

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" + (f":{self.col}" if self.col else "")


class MooseError(Exception):
    """An expected failure in model code: a stable code, where, and what to do (the CLI's MooseError)."""

    def __init__(self, code: str, message: str, location: Optional[SourceLocation] = None, hint: Optional[str] = None,
                 details: Optional[dict[str, Any]] = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.location = location
        self.hint = hint
        self.details = details

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            **({"location": self.location.to_json()} if self.location else {}),
            **({"hint": self.hint} if self.hint else {}),
            **({"details": self.details} if self.details else {}),
        }

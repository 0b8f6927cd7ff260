"""`cli_log`, `CliLogData` and `Logger` (MooseStack's names): a line in moose's output, `<action> <message>` with the
action right-aligned, on stderr for errors and warnings, else stdout — the line the TypeScript SDK's cliLog writes.
Under `moose dev` and `moose prod` a Python process's output reaches moose's terminal and log."""
from __future__ import annotations

import sys
from typing import Optional


class CliLogData:
    INFO = "Info"
    SUCCESS = "Success"
    WARNING = "Warning"
    ERROR = "Error"
    HIGHLIGHT = "Highlight"

    def __init__(self, action: str = "Custom", message: str = "", message_type: Optional[str] = INFO):
        self.action = action
        self.message = message
        self.message_type = message_type or CliLogData.INFO


def cli_log(log: CliLogData) -> None:
    stream = sys.stderr if log.message_type in (CliLogData.ERROR, CliLogData.WARNING) else sys.stdout
    stream.write(f"{log.action:>12} {log.message}\n")
    stream.flush()


class Logger:
    """`Logger("Transform").info("...")`: cli_log with this logger's action."""

    default_action = "Custom"

    def __init__(self, action: Optional[str] = None, is_moose_task: bool = False):
        self.action = action or Logger.default_action
        self.is_moose_task = is_moose_task

    def _log(self, message: str, message_type: str) -> None:
        cli_log(CliLogData(action=self.action, message=message, message_type=message_type))

    def info(self, message: str) -> None:
        self._log(message, CliLogData.INFO)

    def success(self, message: str) -> None:
        self._log(message, CliLogData.SUCCESS)

    def warning(self, message: str) -> None:
        self._log(message, CliLogData.WARNING)

    def error(self, message: str) -> None:
        self._log(message, CliLogData.ERROR)

    def highlight(self, message: str) -> None:
        self._log(message, CliLogData.HIGHLIGHT)

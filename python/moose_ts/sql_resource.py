"""MooseStack's SqlResource: SQL that creates what moose-ts has no class for (a dictionary, a function,
a row policy, a raw-SQL view) and the SQL that removes it. Migrations run the setup when it appears,
the teardown when it goes, and the old teardown then the new setup when either changes."""
from __future__ import annotations

from typing import Any, Optional, Sequence

from .errors import MooseError
from .registry import register
from .source import caller_location


class SqlResource:
    """`SqlResource("name", setup=["CREATE DICTIONARY …"], teardown=["DROP DICTIONARY IF EXISTS …"])`."""

    component_kind = "sqlResources"

    def __init__(self, name: str, setup: Sequence[str], teardown: Sequence[str],
                 pulls_data_from: Optional[list[Any]] = None, pushes_data_to: Optional[list[Any]] = None,
                 metadata: Optional[dict] = None):
        self.source = caller_location()
        self.name = name
        self.id = name
        self.setup = _statements(name, "setup", setup, self.source)
        self.teardown = _statements(name, "teardown", teardown, self.source)
        if not self.setup:
            raise MooseError("INVALID_SQL_RESOURCE", f'SqlResource "{name}" has no setup statements', self.source,
                             'pass the statements that create it, e.g. ["CREATE DICTIONARY …"]')
        self.pulls_data_from = list(pulls_data_from or [])
        self.pushes_data_to = list(pushes_data_to or [])
        self.metadata = metadata
        register(self)

    def to_spec(self) -> dict[str, Any]:
        return {"name": self.id, "setup": list(self.setup), "teardown": list(self.teardown),
                "pullsDataFrom": [item.id for item in self.pulls_data_from],
                "pushesDataTo": [item.id for item in self.pushes_data_to], "source": self.source.to_json()}


def _statements(name: str, part: str, given: Sequence[str], location: Any) -> list[str]:
    """Each statement trimmed, without a trailing `;` (the TypeScript SDK's rule)."""
    if isinstance(given, str) or not isinstance(given, (list, tuple)):
        raise MooseError("INVALID_SQL_RESOURCE", f'SqlResource "{name}": {part} must be a list of statements', location,
                         'e.g. ["CREATE …"]')
    statements = []
    for index, statement in enumerate(given):
        text = statement.strip().rstrip(";").strip() if isinstance(statement, str) else None
        if not text:
            what = "not a string" if text is None else "empty"
            raise MooseError("INVALID_SQL_RESOURCE", f'SqlResource "{name}": {part} statement {index + 1} is {what}', location)
        statements.append(text)
    return statements

"""SQL text written exactly as the TypeScript SDK writes it (src/infra/clickhouse/quote.ts), so a Python model and
its TypeScript twin give the same manifest: string literals, and identifiers bare when they are plain names."""
from __future__ import annotations

import re

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}

# Names that are SQL keywords stay quoted even when they look like plain identifiers (the TypeScript SDK's list).
_KEYWORDS = set((
    "add after alias all alter and any array as asc between by case cast check codec column comment create cross "
    "database default delete desc distinct drop else end engine exists false final first format from full global "
    "group having if ilike in index inner insert interval into is join key left like limit materialized modify not "
    "null offset on or order outer over partition prewhere primary rename replace right sample select set settings "
    "table then to true ttl union update using values view when where with "
    "constraint function inf infinity nan projection top"
).split())


def _escape(text: str, quote: str) -> str:
    return "".join(f"\\{quote}" if char == quote else _ESCAPES.get(char, char) for char in text)


def quote_string(text: str) -> str:
    return f"'{_escape(text, chr(39))}'"


def quote_identifier(name: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and name.lower() not in _KEYWORDS:
        return name
    return f"`{_escape(name, '`')}`"

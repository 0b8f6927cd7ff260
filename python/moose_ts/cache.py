"""`MooseCache` (MooseStack's name), backed by the ClickHouse moose serves instead of Redis: moose runs each call
with the TypeScript SDK's MooseCache (src/server/python-host.ts), so both languages share its `_moose_cache` table —
values are text, JSON for dicts, lists and pydantic models; expired and deleted keys read as None."""
from __future__ import annotations

import json
from typing import Any, Optional

from pydantic import BaseModel

from .errors import MooseError
from .runtime import host_request
from .source import caller_location


class MooseCache:
    """`cache = MooseCache()`; `cache.set(key, value, ttl_seconds=3600)`, `cache.get(key, type_hint=Model)`,
    `delete(key)`, `clear_keys(prefix)`, `clear()`."""

    @staticmethod
    def _ask(request: dict[str, Any]) -> Any:
        return host_request(request, caller_location(), "MooseCache")

    def set(self, key: str, value: Any, ttl_seconds: float = 3600) -> Optional[str]:
        """Stores `value` under `key` for ttl_seconds (default one hour); returns the text it replaced, or None."""
        if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, (int, float)) or not ttl_seconds >= 0:
            raise MooseError("CACHE_TTL", f'MooseCache.set("{key}") got ttl_seconds {ttl_seconds!r}', caller_location(),
                             "pass a non-negative number of seconds")
        if isinstance(value, BaseModel):
            text = value.model_dump_json(by_alias=True)
        elif isinstance(value, str):
            text = value
        else:
            text = json.dumps(value, default=lambda item: item.model_dump(mode="json", by_alias=True) if isinstance(item, BaseModel) else str(item))
        return self._ask({"op": "cacheSet", "key": key, "value": text, "ttlSeconds": ttl_seconds})

    def get(self, key: str, type_hint: Any = None) -> Any:
        """The value, or None when absent or expired: read as `type_hint` (a pydantic model, or str for the text), else
        parsed from JSON when it is a JSON object or array (as the TypeScript SDK's get)."""
        text = self._ask({"op": "cacheGet", "key": key})
        if text is None:
            return None
        if isinstance(type_hint, type) and issubclass(type_hint, BaseModel):
            return type_hint.model_validate_json(text)
        if type_hint is str:
            return text
        try:
            parsed = json.loads(text)
        except ValueError:
            return text
        return parsed if isinstance(parsed, (dict, list)) or type_hint is not None else text

    def delete(self, key: str) -> None:
        self._ask({"op": "cacheDelete", "keys": [key]})

    def clear_keys(self, key_prefix: str) -> None:
        keys = self._ask({"op": "cacheKeys", "prefix": key_prefix})
        if keys:
            self._ask({"op": "cacheDelete", "keys": keys})

    def clear(self) -> None:
        self.clear_keys("")

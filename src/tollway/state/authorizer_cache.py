"""The authorizer cache: authorizer results kept for their TTL, keyed by identity sources.

API Gateway caches what a Lambda authorizer (or a Cognito/JWT validation) answered for
`authorizerResultTtlInSeconds`, per stage, keyed by the values of the authorizer's identity
sources (a TOKEN authorizer's token, a REQUEST authorizer's listed headers/query/stage
variables/context values). A cached Deny denies just as a fresh one does.
FlushStageAuthorizersCache (REST) and ResetAuthorizersCache (HTTP APIs) empty one stage's
entries.

Keys are tuples `(api_id, stage, authorizer_id, *identity_values)`; values are
`CachedAnswer`s: what the authorizer answered, as JSON bytes (what a shared cache stores), and
the mode's prepared form of it (what the in-process cache keeps, so a hit costs nothing). A
shared cache (state/redis_authorizer_cache.py) returns the answer without the prepared form;
the mode rebuilds it (auth/lambda_core.ResultCache). The default keeps entries in process
memory, bounded in number.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    raw: bytes  # the authorizer's answer as JSON
    prepared: Any = None  # the mode's form of it; None: rebuild it from `raw`


class AuthorizerCache(Protocol):
    async def get(self, key: tuple[Hashable, ...]) -> CachedAnswer | None:
        """The answer stored under `key`, or None when absent or expired."""
        ...

    async def put(self, key: tuple[Hashable, ...], value: CachedAnswer, ttl: float) -> None: ...

    async def flush(self, api_id: str, stage: str) -> None:
        """Forget every entry of one stage."""
        ...


class MemoryAuthorizerCache:
    """In-process entries, least recently stored dropped first beyond `max_entries`."""

    def __init__(
        self, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries: OrderedDict[tuple[Hashable, ...], tuple[float, CachedAnswer]] = OrderedDict()
        self._max = max_entries
        self._clock = clock

    async def get(self, key: tuple[Hashable, ...]) -> CachedAnswer | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= self._clock():
            del self._entries[key]
            return None
        return value

    async def put(self, key: tuple[Hashable, ...], value: CachedAnswer, ttl: float) -> None:
        if ttl <= 0:
            return
        self._entries[key] = (self._clock() + ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    async def flush(self, api_id: str, stage: str) -> None:
        for key in [k for k in self._entries if k[:2] == (api_id, stage)]:
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)

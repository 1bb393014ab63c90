"""The authorizer cache on Redis (`--state redis://...`): one cache for every gateway process.

What is stored is what the authorizer answered (its JSON, `CachedAnswer.raw`), never a
compiled object: the process that hits rebuilds its prepared form (auth/lambda_core.py keeps
a small memo, so the same answer is rebuilt once).

Entries are per stage, under `tollway:{auth:<api>:<stage>}:...` (redis_entries.py: TTLs set by
Redis, FlushStageAuthorizersCache and ResetAuthorizersCache in O(1) by a new generation), each
named by a SHA-256 digest of the authorizer, its configuration and the identity values, so
tokens never appear in key names.

When Redis cannot be reached the authorizer is called again (a miss; nothing stored).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Hashable

import orjson

from tollway.state.authorizer_cache import CachedAnswer
from tollway.state.redis import RedisState
from tollway.state.redis_entries import StageEntries


class RedisAuthorizerCache:
    def __init__(self, state: RedisState) -> None:
        self._entries = StageEntries(state, "auth")

    async def get(self, key: tuple[Hashable, ...]) -> CachedAnswer | None:
        data = await self._entries.get(self._entries.keys(*_stage(key)), _digest(key))
        return None if data is None else CachedAnswer(data)

    async def put(self, key: tuple[Hashable, ...], value: CachedAnswer, ttl: float) -> None:
        keys = self._entries.keys(*_stage(key))
        await self._entries.put(keys, _digest(key), value.raw, math.ceil(ttl))

    async def flush(self, api_id: str, stage: str) -> None:
        await self._entries.flush(self._entries.keys(api_id, stage))


def _stage(key: tuple[Hashable, ...]) -> tuple[str, str]:
    return str(key[0]), str(key[1])


def _digest(key: tuple[Hashable, ...]) -> str:
    return hashlib.sha256(orjson.dumps(key[2:])).hexdigest()

"""The stage cache on Redis (`--state redis://...`): one cache for every gateway process.

Entries are per stage, under `tollway:{cache:<api>:<stage>}:...` (redis_entries.py: TTLs set
by Redis, FlushStageCache in O(1) by a new generation); a key longer than 200 characters is
replaced by its SHA-256. Redis bounds memory itself (its `maxmemory` and eviction policy),
not cacheClusterSize.

When Redis cannot be reached the cache is bypassed: a lookup is a miss, a store is skipped
(RedisGuard logs the outage once and lets a call through now and then to see it return).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import orjson

from tollway.state.redis import RedisState
from tollway.state.redis_entries import StageEntries, StageKeys
from tollway.state.response_cache import MAX_ENTRY_BYTES, CachedResponse

_LONG_KEY = 200


def encode(response: CachedResponse) -> bytes:
    head = orjson.dumps([response.status, response.headers])
    return len(head).to_bytes(4, "big") + head + response.body


def decode(data: bytes) -> CachedResponse:
    length = int.from_bytes(data[:4], "big")
    status, headers = orjson.loads(data[4 : 4 + length])
    return CachedResponse(status, tuple((k, v) for k, v in headers), data[4 + length :])


class RedisStageCache:
    """One stage's handle: its keys, and this process's hit and miss counts."""

    __slots__ = ("hits", "misses", "_entries", "_keys")

    def __init__(self, entries: StageEntries, keys: StageKeys) -> None:
        self._entries = entries
        self._keys = keys
        self.hits = 0
        self.misses = 0

    async def get(self, key: str) -> CachedResponse | None:
        data = await self._entries.get(self._keys, _short(key))
        if data is None:
            self.misses += 1
            return None
        self.hits += 1
        return decode(data)

    async def put(self, key: str, response: CachedResponse, ttl: int) -> None:
        if response.size <= MAX_ENTRY_BYTES:
            await self._entries.put(self._keys, _short(key), encode(response), ttl)


class RedisResponseCache:
    def __init__(self, state: RedisState) -> None:
        self._entries = StageEntries(state, "cache")
        self._stages: dict[tuple[str, str], RedisStageCache] = {}

    def stage(self, api_id: str, stage: str, capacity: int) -> RedisStageCache:
        handle = self._stages.get((api_id, stage))
        if handle is None:
            handle = RedisStageCache(self._entries, self._entries.keys(api_id, stage))
            self._stages[(api_id, stage)] = handle
        return handle

    async def flush(self, api_id: str, stage: str) -> None:
        await self._entries.flush(self._entries.keys(api_id, stage))

    def counters(self) -> Iterator[tuple[str, str, int, int]]:
        for (api_id, stage), handle in list(self._stages.items()):
            yield api_id, stage, handle.hits, handle.misses


def _short(key: str) -> str:
    if len(key) <= _LONG_KEY:
        return key
    return "h:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

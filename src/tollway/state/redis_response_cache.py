"""The stage cache on Redis (`--state redis://...`): one cache for every gateway process.

Keys, hash-tagged per stage so one stage's keys share a Redis Cluster slot:
- `tollway:{cache:<api>:<stage>}:gen` — the stage's generation; FlushStageCache increments
  it (O(1)), so every older entry is unreachable and left to expire;
- `tollway:{cache:<api>:<stage>}:r:<gen>:<key>` — one response, with its TTL set by Redis
  (`SET ... EX`). A key longer than 200 characters is replaced by its SHA-256.

A lookup or a store is one script call (it reads the generation and the entry together).
Redis bounds memory itself (its `maxmemory` and eviction policy), not cacheClusterSize.

When Redis cannot be reached the cache is bypassed: a lookup is a miss, a store is skipped
(RedisGuard logs the outage once and lets a call through now and then to see it return).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from typing import Any

import orjson
from redis.exceptions import RedisError

from tollway.state.redis import UNAVAILABLE, RedisState
from tollway.state.response_cache import MAX_ENTRY_BYTES, CachedResponse, CacheUnavailable

log = logging.getLogger("tollway.state")

_GET = """
local gen = redis.call('GET', KEYS[1]) or '0'
return redis.call('GET', KEYS[2] .. gen .. ':' .. ARGV[1])
"""
_PUT = """
local gen = redis.call('GET', KEYS[1]) or '0'
redis.call('SET', KEYS[2] .. gen .. ':' .. ARGV[1], ARGV[2], 'EX', ARGV[3])
return 1
"""
_LONG_KEY = 200


def encode(response: CachedResponse) -> bytes:
    head = orjson.dumps([response.status, response.headers])
    return len(head).to_bytes(4, "big") + head + response.body


def decode(data: bytes) -> CachedResponse:
    length = int.from_bytes(data[:4], "big")
    status, headers = orjson.loads(data[4 : 4 + length])
    return CachedResponse(status, tuple((k, v) for k, v in headers), data[4 + length :])


class RedisStageCache:
    """One stage's handle: its two key prefixes, and this process's hit and miss counts."""

    __slots__ = ("hits", "misses", "_state", "_keys", "_get", "_put")

    def __init__(self, state: RedisState, api_id: str, stage: str, get: Any, put: Any) -> None:
        tag = f"cache:{api_id}:{stage}"
        self._state = state
        self._keys = [state.key(tag, "gen"), state.key(tag, "r") + ":"]
        self._get = get
        self._put = put
        self.hits = 0
        self.misses = 0

    async def get(self, key: str) -> CachedResponse | None:
        guard = self._state.guard
        if not guard.should_try():
            self.misses += 1
            return None
        try:
            data = await self._get(keys=self._keys, args=[_short(key)])
        except UNAVAILABLE as e:
            guard.failed(e)
            data = None
        except RedisError as e:
            log.warning("stage cache lookup failed: %s", e)
            data = None
        else:
            guard.succeeded()
        if data is None:
            self.misses += 1
            return None
        self.hits += 1
        return decode(data)

    async def put(self, key: str, response: CachedResponse, ttl: int) -> None:
        guard = self._state.guard
        if ttl <= 0 or response.size > MAX_ENTRY_BYTES or not guard.should_try():
            return
        try:
            await self._put(keys=self._keys, args=[_short(key), encode(response), ttl])
        except UNAVAILABLE as e:
            guard.failed(e)
        except RedisError as e:
            log.warning("stage cache store failed: %s", e)
        else:
            guard.succeeded()

    async def flush(self) -> None:
        try:
            await self._state.client.incr(self._keys[0])
        except (*UNAVAILABLE, RedisError) as e:
            raise CacheUnavailable(f"the stage cache's Redis cannot be reached: {e}") from None


class RedisResponseCache:
    def __init__(self, state: RedisState) -> None:
        self._state = state
        self._get = state.client.register_script(_GET)
        self._put = state.client.register_script(_PUT)
        self._stages: dict[tuple[str, str], RedisStageCache] = {}

    def stage(self, api_id: str, stage: str, capacity: int) -> RedisStageCache:
        handle = self._stages.get((api_id, stage))
        if handle is None:
            handle = RedisStageCache(self._state, api_id, stage, self._get, self._put)
            self._stages[(api_id, stage)] = handle
        return handle

    async def flush(self, api_id: str, stage: str) -> None:
        await self.stage(api_id, stage, 0).flush()

    def counters(self) -> Iterator[tuple[str, str, int, int]]:
        for (api_id, stage), handle in list(self._stages.items()):
            yield api_id, stage, handle.hits, handle.misses


def _short(key: str) -> str:
    if len(key) <= _LONG_KEY:
        return key
    return "h:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

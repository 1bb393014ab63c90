"""Per-stage entries in Redis with a TTL and an O(1) flush: what the Redis stage cache and the
Redis authorizer cache share.

Keys, hash-tagged per stage (`RedisState.key`), for a kind (`cache`, `auth`):
- `tollway:{<kind>:<api>:<stage>}:gen` — the stage's generation; a flush increments it, so
  every older entry is unreachable and left to expire;
- `tollway:{<kind>:<api>:<stage>}:e:<gen>:<name>` — one entry, its TTL set by Redis.

A read or a write is one script call (the generation and the entry together). Calls go
through the RedisGuard: during an outage a read finds nothing and a write is skipped, without
waiting on Redis; a flush raises CacheUnavailable (it could not forget anything).
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from tollway.state.redis import UNAVAILABLE, RedisState
from tollway.state.response_cache import CacheUnavailable

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

StageKeys = list[str]  # [the generation's key, the entries' prefix]


class StageEntries:
    def __init__(self, state: RedisState, kind: str) -> None:
        self._state = state
        self._kind = kind
        self._get = state.client.register_script(_GET)
        self._put = state.client.register_script(_PUT)
        self._keys: dict[tuple[str, str], StageKeys] = {}

    def keys(self, api_id: str, stage: str) -> StageKeys:
        keys = self._keys.get((api_id, stage))
        if keys is None:
            tag = f"{self._kind}:{api_id}:{stage}"
            keys = [self._state.key(tag, "gen"), self._state.key(tag, "e") + ":"]
            self._keys[(api_id, stage)] = keys
        return keys

    async def get(self, keys: StageKeys, name: str) -> bytes | None:
        guard = self._state.guard
        if not guard.should_try():
            return None
        try:
            data: bytes | None = await self._get(keys=keys, args=[name])
        except UNAVAILABLE as e:
            guard.failed(e)
            return None
        except RedisError as e:
            log.warning("%s lookup failed: %s", self._kind, e)
            return None
        guard.succeeded()
        return data

    async def put(self, keys: StageKeys, name: str, data: bytes, ttl: int) -> None:
        guard = self._state.guard
        if ttl <= 0 or not guard.should_try():
            return
        try:
            await self._put(keys=keys, args=[name, data, ttl])
        except UNAVAILABLE as e:
            guard.failed(e)
        except RedisError as e:
            log.warning("%s store failed: %s", self._kind, e)
        else:
            guard.succeeded()

    async def flush(self, keys: StageKeys) -> None:
        try:
            await self._state.client.incr(keys[0])
        except (*UNAVAILABLE, RedisError) as e:
            raise CacheUnavailable(f"Redis cannot be reached: {e}") from None

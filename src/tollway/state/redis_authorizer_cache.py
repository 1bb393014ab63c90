"""The authorizer cache on Redis (`--state redis://...`): one cache for every gateway process.

What is stored is what the authorizer answered (its JSON, `CachedAnswer.raw`), never a
compiled object: the process that hits rebuilds its prepared form (auth/lambda_core.py keeps
a small memo, so the same answer is rebuilt once).

Keys, hash-tagged per stage:
- `tollway:{auth:<api>:<stage>}:gen` — the stage's generation; FlushStageAuthorizersCache and
  ResetAuthorizersCache increment it (O(1));
- `tollway:{auth:<api>:<stage>}:a:<gen>:<sha256>` — one answer, with its TTL set by Redis. The
  digest covers the authorizer, its configuration and the identity values, so tokens never
  appear in key names.

When Redis cannot be reached the authorizer is called again (a miss; nothing stored).
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Hashable

import orjson
from redis.exceptions import RedisError

from tollway.state.authorizer_cache import CachedAnswer
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


class RedisAuthorizerCache:
    def __init__(self, state: RedisState) -> None:
        self._state = state
        self._get = state.client.register_script(_GET)
        self._put = state.client.register_script(_PUT)
        self._prefixes: dict[tuple[str, str], list[str]] = {}

    def _keys(self, api_id: str, stage: str) -> list[str]:
        keys = self._prefixes.get((api_id, stage))
        if keys is None:
            tag = f"auth:{api_id}:{stage}"
            keys = [self._state.key(tag, "gen"), self._state.key(tag, "a") + ":"]
            self._prefixes[(api_id, stage)] = keys
        return keys

    async def get(self, key: tuple[Hashable, ...]) -> CachedAnswer | None:
        guard = self._state.guard
        if not guard.should_try():
            return None
        try:
            data = await self._get(keys=self._keys(*_stage(key)), args=[_digest(key)])
        except UNAVAILABLE as e:
            guard.failed(e)
            return None
        except RedisError as e:
            log.warning("authorizer cache lookup failed: %s", e)
            return None
        guard.succeeded()
        return None if data is None else CachedAnswer(data)

    async def put(self, key: tuple[Hashable, ...], value: CachedAnswer, ttl: float) -> None:
        guard = self._state.guard
        if ttl <= 0 or not guard.should_try():
            return
        try:
            await self._put(
                keys=self._keys(*_stage(key)), args=[_digest(key), value.raw, math.ceil(ttl)]
            )
        except UNAVAILABLE as e:
            guard.failed(e)
        except RedisError as e:
            log.warning("authorizer cache store failed: %s", e)
        else:
            guard.succeeded()

    async def flush(self, api_id: str, stage: str) -> None:
        try:
            await self._state.client.incr(self._keys(api_id, stage)[0])
        except (*UNAVAILABLE, RedisError) as e:
            raise CacheUnavailable(f"the authorizer cache's Redis cannot be reached: {e}") from None


def _stage(key: tuple[Hashable, ...]) -> tuple[str, str]:
    return str(key[0]), str(key[1])


def _digest(key: tuple[Hashable, ...]) -> str:
    return hashlib.sha256(orjson.dumps(key[2:])).hexdigest()

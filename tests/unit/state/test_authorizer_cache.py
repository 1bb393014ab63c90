"""The authorizer cache's backend contract on memory and Redis: answers stored and found by
key, expired by TTL, flushed per stage; Redis gives back the stored JSON (no prepared form),
never shows identity values in key names, and is bypassed during an outage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.redis_server import PrivateRedis, delete_prefix, shared_redis_url, unique_prefix

from tollway.state.authorizer_cache import AuthorizerCache, CachedAnswer, MemoryAuthorizerCache
from tollway.state.redis import RedisState
from tollway.state.redis_authorizer_cache import RedisAuthorizerCache
from tollway.state.response_cache import CacheUnavailable

ANSWER = CachedAnswer(b'{"principalId":"u1"}', prepared=object())
KEY = ("api1", "test", "auth1", "conf", "secret-token")


def shared(found: CachedAnswer | None) -> bytes | None:
    return None if found is None else found.raw


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[AuthorizerCache]:
    if request.param == "memory":
        yield MemoryAuthorizerCache()
        return
    url = shared_redis_url()
    prefix = unique_prefix()
    state = RedisState(url, prefix=prefix)
    yield RedisAuthorizerCache(state)
    await state.close()
    delete_prefix(url, prefix)


async def test_an_answer_is_found_under_its_key_only(cache: AuthorizerCache) -> None:
    assert await cache.get(KEY) is None
    await cache.put(KEY, ANSWER, 300)
    assert shared(await cache.get(KEY)) == ANSWER.raw
    assert await cache.get((*KEY[:-1], "other-token")) is None
    assert await cache.get(("api1", "prod", *KEY[2:])) is None


async def test_ttl_zero_stores_nothing_and_entries_expire(cache: AuthorizerCache) -> None:
    await cache.put(KEY, ANSWER, 0)
    assert await cache.get(KEY) is None
    await cache.put(KEY, ANSWER, 0.5)  # Redis rounds up to a second
    for _ in range(150):
        if await cache.get(KEY) is None:
            break
        await asyncio.sleep(0.1)
    assert await cache.get(KEY) is None


async def test_flush_forgets_one_stage(cache: AuthorizerCache) -> None:
    prod = ("api1", "prod", *KEY[2:])
    await cache.put(KEY, ANSWER, 300)
    await cache.put(prod, ANSWER, 300)
    await cache.flush("api1", "test")
    assert await cache.get(KEY) is None
    assert shared(await cache.get(prod)) == ANSWER.raw
    await cache.put(KEY, ANSWER, 300)
    assert shared(await cache.get(KEY)) == ANSWER.raw


async def test_memory_keeps_the_prepared_form() -> None:
    cache = MemoryAuthorizerCache()
    await cache.put(KEY, ANSWER, 300)
    assert await cache.get(KEY) is ANSWER


async def test_redis_stores_the_json_only_and_hides_identity_values() -> None:
    url = shared_redis_url()
    prefix = unique_prefix()
    state = RedisState(url, prefix=prefix)
    try:
        cache = RedisAuthorizerCache(state)
        await cache.put(KEY, ANSWER, 300)
        assert await cache.get(KEY) == CachedAnswer(ANSWER.raw)  # no prepared form
        keys = [k.decode() async for k in state.client.scan_iter(match=f"{prefix}:*")]
        assert keys and all(k.startswith(f"{prefix}:{{auth:api1:test}}:e:0:") for k in keys)
        assert not any("secret-token" in k for k in keys)
        assert 0 < await state.client.ttl(keys[0]) <= 300
    finally:
        await state.close()
        delete_prefix(url, prefix)


async def test_redis_outage_means_calling_the_authorizer_again(tmp_path: Path) -> None:
    private = PrivateRedis(tmp_path)
    private.start()
    state = RedisState(private.url, retry_after=0.2)
    try:
        cache = RedisAuthorizerCache(state)
        await cache.put(KEY, ANSWER, 300)
        private.stop()
        assert await cache.get(KEY) is None
        await cache.put(KEY, ANSWER, 300)  # skipped, no error
        with pytest.raises(CacheUnavailable):
            await cache.flush("api1", "test")
        private.start()
        for _ in range(60):
            await asyncio.sleep(0.25)
            await cache.put(KEY, ANSWER, 300)
            if not state.guard.down:
                break
        assert shared(await cache.get(KEY)) == ANSWER.raw
    finally:
        await state.close()
        private.stop()

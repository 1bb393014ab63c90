"""The stage cache's backend contract, run on every implementation (memory and Redis): hits and
misses and their counts, TTLs, the 1 MiB entry limit, flushing one stage; then what only one
backend does (memory: LRU by bytes, resizing; Redis: shared between handles, outages)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.redis_server import PrivateRedis, delete_prefix, shared_redis_url, unique_prefix

from tollway.state.redis import RedisState
from tollway.state.redis_response_cache import RedisResponseCache, decode, encode
from tollway.state.response_cache import (
    MAX_ENTRY_BYTES,
    CachedResponse,
    CacheUnavailable,
    MemoryResponseCache,
    ResponseCache,
    capacity_bytes,
)

GB = capacity_bytes("0.5")
OK = CachedResponse(200, (("Content-Type", "application/json"), ("X-A", "1")), b'{"a":1}')


@dataclass
class Backend:
    cache: ResponseCache
    now: list[float]  # the memory backend's clock

    async def expire(self, handle: Any, key: str) -> None:
        """Until the entry's TTL has passed (memory: the clock moves; Redis: Redis expires)."""
        if isinstance(self.cache, MemoryResponseCache):
            self.now[0] += 1.5
            return
        for _ in range(150):  # Redis expires keys on access or in the background
            if await handle.get(key) is None:
                return
            await asyncio.sleep(0.1)


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    now = [1000.0]
    if request.param == "memory":
        yield Backend(MemoryResponseCache(clock=lambda: now[0]), now)
        return
    url = shared_redis_url()
    prefix = unique_prefix()
    state = RedisState(url, prefix=prefix)
    yield Backend(RedisResponseCache(state), now)
    await state.close()
    delete_prefix(url, prefix)


async def test_a_miss_then_a_hit_counted(backend: Backend) -> None:
    handle = backend.cache.stage("api1", "test", GB)
    assert await handle.get("k") is None
    await handle.put("k", OK, 300)
    assert await handle.get("k") == OK
    assert await handle.get("k") == OK
    assert (handle.hits, handle.misses) == (2, 1)
    assert list(backend.cache.counters()) == [("api1", "test", 2, 1)]


async def test_the_same_stage_gets_the_same_handle_and_stages_are_apart(backend: Backend) -> None:
    handle = backend.cache.stage("api1", "test", GB)
    assert backend.cache.stage("api1", "test", GB) is handle
    await handle.put("k", OK, 300)
    assert await backend.cache.stage("api1", "prod", GB).get("k") is None
    assert await backend.cache.stage("api2", "test", GB).get("k") is None


async def test_a_store_replaces_the_entry(backend: Backend) -> None:
    handle = backend.cache.stage("api1", "test", GB)
    await handle.put("k", OK, 300)
    newer = CachedResponse(404, (), b"gone")
    await handle.put("k", newer, 300)
    assert await handle.get("k") == newer


async def test_entries_expire_after_their_ttl(backend: Backend) -> None:
    handle = backend.cache.stage("api1", "test", GB)
    await handle.put("k", OK, 1)
    await backend.expire(handle, "k")
    assert await handle.get("k") is None


async def test_ttl_zero_and_entries_over_one_mib_are_not_stored(backend: Backend) -> None:
    handle = backend.cache.stage("api1", "test", GB)
    await handle.put("zero", OK, 0)
    big = CachedResponse(200, (), b"x" * (MAX_ENTRY_BYTES + 1))
    await handle.put("big", big, 300)
    fits = CachedResponse(200, (), b"x" * MAX_ENTRY_BYTES)
    await handle.put("fits", fits, 300)
    assert await handle.get("zero") is None
    assert await handle.get("big") is None
    assert await handle.get("fits") == fits


async def test_flush_forgets_one_stage(backend: Backend) -> None:
    test = backend.cache.stage("api1", "test", GB)
    prod = backend.cache.stage("api1", "prod", GB)
    await test.put("k", OK, 300)
    await prod.put("k", OK, 300)
    await backend.cache.flush("api1", "test")
    assert await test.get("k") is None
    assert await prod.get("k") == OK
    await test.put("k", OK, 300)  # a flushed stage caches again
    assert await test.get("k") == OK


async def test_binary_bodies_and_header_text_come_back_as_stored(backend: Backend) -> None:
    handle = backend.cache.stage("api1", "test", GB)
    response = CachedResponse(
        201, (("Set-Cookie", "a=1"), ("Set-Cookie", "b=é")), bytes(range(256))
    )
    await handle.put("k", response, 300)
    assert await handle.get("k") == response


# --- memory only ----------------------------------------------------------------------------


async def test_memory_evicts_the_least_recently_used_beyond_the_stage_capacity() -> None:
    entry = CachedResponse(200, (), b"x" * 1000)
    cache = MemoryResponseCache()
    handle = cache.stage("api1", "test", 3 * entry.size)
    for key in ("a", "b", "c"):
        await handle.put(key, entry, 300)
    assert await handle.get("a") == entry  # a is now the most recently used
    await handle.put("d", entry, 300)
    assert await handle.get("b") is None
    assert [await handle.get(k) is not None for k in ("a", "c", "d")] == [True, True, True]
    assert handle.bytes_used == 3 * entry.size


async def test_memory_resizing_a_stage_cache_empties_it() -> None:
    cache = MemoryResponseCache()
    handle = cache.stage("api1", "test", GB)
    await handle.put("k", OK, 300)
    assert cache.stage("api1", "test", GB) is handle and len(handle) == 1
    cache.stage("api1", "test", capacity_bytes("1.6"))
    assert await handle.get("k") is None


def test_cache_cluster_sizes_as_bytes() -> None:
    assert capacity_bytes("0.5") == 512 * 1024 * 1024
    assert capacity_bytes("237") == 237 * 1024**3
    assert capacity_bytes(None) == capacity_bytes("0.5")


# --- Redis only -----------------------------------------------------------------------------


def test_redis_entries_round_trip_through_their_encoding() -> None:
    assert decode(encode(OK)) == OK
    assert decode(encode(CachedResponse(204, (), b""))) == CachedResponse(204, (), b"")


async def test_redis_two_caches_share_entries_and_flushes() -> None:
    url = shared_redis_url()
    prefix = unique_prefix()
    first, second = RedisState(url, prefix=prefix), RedisState(url, prefix=prefix)
    try:
        one, two = RedisResponseCache(first), RedisResponseCache(second)
        await one.stage("api1", "test", GB).put("k", OK, 300)
        assert await two.stage("api1", "test", GB).get("k") == OK
        await two.flush("api1", "test")
        assert await one.stage("api1", "test", GB).get("k") is None
        long_key = "p\n" + "v" * 500  # stored under its digest
        await one.stage("api1", "test", GB).put(long_key, OK, 300)
        assert await two.stage("api1", "test", GB).get(long_key) == OK
        keys = [k.decode() async for k in first.client.scan_iter(match=f"{prefix}:*")]
        assert all(k.startswith(f"{prefix}:{{cache:api1:test}}:") for k in keys)
        assert all(len(k) < 300 for k in keys)
    finally:
        await first.close()
        await second.close()
        delete_prefix(url, prefix)


async def test_redis_outage_bypasses_the_cache_and_recovers(tmp_path: Path) -> None:
    private = PrivateRedis(tmp_path)
    private.start()
    state = RedisState(private.url, retry_after=0.2)
    try:
        handle = RedisResponseCache(state).stage("api1", "test", GB)
        await handle.put("k", OK, 300)
        assert await handle.get("k") == OK
        private.stop()
        assert await handle.get("k") is None  # a miss, not an error
        await handle.put("k", OK, 300)  # skipped
        assert state.guard.down
        with pytest.raises(CacheUnavailable):
            await RedisResponseCache(state).flush("api1", "test")
        private.start()  # empty: nothing was persisted
        for _ in range(60):  # the guard lets a call through every 0.2 s
            if not state.guard.down:
                break
            await asyncio.sleep(0.25)
            await handle.get("k")
        assert not state.guard.down
        await handle.put("k", OK, 300)
        assert await handle.get("k") == OK
    finally:
        await state.close()
        private.stop()

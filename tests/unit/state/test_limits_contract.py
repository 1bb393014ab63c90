"""The Limits contract (state/limits.py): one suite over every implementation — process
memory and Redis (the shared Redis on 127.0.0.1:6379, under a key prefix of this run), on
resp.py's connection and on redis-py (what `rediss://` and `unix://` URLs use)."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator

import pytest
from tests.redis_server import shared_redis_url, unique_prefix

from tollway.state.limits import (
    OK,
    QUOTA_EXCEEDED,
    THROTTLED,
    Bucket,
    Limits,
    Quota,
    usage,
)
from tollway.state.limits_memory import MemoryLimits
from tollway.state.limits_redis import RedisLimits
from tollway.state.redis import RedisState

# Monday 2026-11-16 00:00:00 UTC
MONDAY = datetime.datetime(2026, 11, 16, tzinfo=datetime.UTC).timestamp()
DAY = 86_400


class Clock:
    def __init__(self, now: float = MONDAY + 3600) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis", "redis-py"])
async def limits(request: pytest.FixtureRequest) -> AsyncIterator[Limits]:
    clock = Clock()
    if request.param == "memory":
        yield MemoryLimits(clock)
        return
    state = RedisState(shared_redis_url(), prefix=unique_prefix())
    if request.param == "redis-py":
        state.resp = None
    try:
        yield RedisLimits(state, clock)
    finally:
        keys = [k async for k in state.client.scan_iter(match=f"{state.prefix}:*")]
        if keys:
            await state.client.delete(*keys)
        await state.close()


def _clock(limits: Limits) -> Clock:
    clock = limits.clock
    assert isinstance(clock, Clock)
    return clock


async def test_a_bucket_allows_its_burst_then_refills_at_its_rate(limits: Limits) -> None:
    bucket = Bucket("b", rate=2.0, burst=3)
    results = [await limits.acquire([bucket], None) for _ in range(4)]
    assert results == [OK, OK, OK, THROTTLED]
    _clock(limits).now += 0.5  # one token at 2 per second
    assert [await limits.acquire([bucket], None) for _ in range(2)] == [OK, THROTTLED]
    _clock(limits).now += 60  # never more than the burst
    results = [await limits.acquire([bucket], None) for _ in range(4)]
    assert results == [OK, OK, OK, THROTTLED]


async def test_the_most_restrictive_bucket_decides_and_a_refusal_takes_nothing(
    limits: Limits,
) -> None:
    tight, loose = Bucket("tight", 1.0, 1), Bucket("loose", 1.0, 2)
    assert await limits.acquire([tight, loose], None) == OK
    assert await limits.acquire([tight, loose], None) == THROTTLED
    # The refusal took nothing from `loose`: it still has its second token.
    assert await limits.acquire([loose], None) == OK
    assert await limits.acquire([loose], None) == THROTTLED


async def test_buckets_are_independent_by_key(limits: Limits) -> None:
    assert await limits.acquire([Bucket("x", 1.0, 1)], None) == OK
    assert await limits.acquire([Bucket("y", 1.0, 1)], None) == OK
    assert await limits.acquire([Bucket("x", 1.0, 1)], None) == THROTTLED


async def test_a_zero_burst_refuses_everything(limits: Limits) -> None:
    assert await limits.acquire([Bucket("z", 10.0, 0)], None) == THROTTLED


async def test_a_daily_quota_is_used_up_and_resets_at_midnight_utc(limits: Limits) -> None:
    quota = Quota("plan:key", 2, "DAY")
    assert [await limits.acquire([], quota) for _ in range(3)] == [OK, OK, QUOTA_EXCEEDED]
    _clock(limits).now = MONDAY + DAY - 1  # still Monday
    assert await limits.acquire([], quota) == QUOTA_EXCEEDED
    _clock(limits).now = MONDAY + DAY  # Tuesday 00:00 UTC
    assert await limits.acquire([], quota) == OK


async def test_a_weekly_quota_resets_on_monday_and_a_monthly_one_on_the_first(
    limits: Limits,
) -> None:
    week, month = Quota("p:week", 1, "WEEK"), Quota("p:month", 1, "MONTH")
    assert await limits.acquire([], week) == OK
    assert await limits.acquire([], month) == OK
    _clock(limits).now = MONDAY + 6 * DAY + 3600  # Sunday 22 November
    assert await limits.acquire([], week) == QUOTA_EXCEEDED
    assert await limits.acquire([], month) == QUOTA_EXCEEDED
    _clock(limits).now = MONDAY + 7 * DAY  # Monday 23 November
    assert await limits.acquire([], week) == OK
    assert await limits.acquire([], month) == QUOTA_EXCEEDED
    _clock(limits).now = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC).timestamp()
    assert await limits.acquire([], month) == OK


async def test_quota_and_buckets_are_taken_together_or_not_at_all(limits: Limits) -> None:
    quota, bucket = Quota("p:k", 1, "DAY"), Bucket("b", 0.0, 1)
    empty = Bucket("empty", 0.0, 0)
    assert await limits.acquire([empty], quota) == THROTTLED  # the quota was not counted
    assert await limits.acquire([bucket], quota) == OK
    assert await limits.acquire([Bucket("other", 1.0, 5)], quota) == QUOTA_EXCEEDED
    # The quota refusal took nothing from `other`: all five tokens are left.
    other = [await limits.acquire([Bucket("other", 0.0, 5)], None) for _ in range(6)]
    assert other == [OK] * 5 + [THROTTLED]


async def test_usage_reports_each_day_used_and_remaining(limits: Limits) -> None:
    quota = Quota("p:usage", 10, "WEEK")
    for day, count in ((0, 3), (2, 4)):
        _clock(limits).now = MONDAY + day * DAY + 60
        for _ in range(count):
            assert await limits.acquire([], quota) == OK
    start = datetime.date(2026, 11, 17)  # Tuesday: Monday's requests still count
    values = await usage(limits, quota, start, datetime.date(2026, 11, 18))
    assert values == [[0, 7], [4, 3]]


async def test_set_remaining_changes_the_period_and_usage_adds_up(limits: Limits) -> None:
    quota = Quota("p:grant", 5, "DAY")
    for _ in range(5):
        assert await limits.acquire([], quota) == OK
    assert await limits.acquire([], quota) == QUOTA_EXCEEDED
    await limits.set_remaining(quota, 2)
    assert [await limits.acquire([], quota) for _ in range(3)] == [OK, OK, QUOTA_EXCEEDED]
    today = datetime.date(2026, 11, 16)
    assert await usage(limits, quota, today, today) == [[7, 0]]


async def test_set_remaining_beyond_the_limit_grants_extra_requests(limits: Limits) -> None:
    quota = Quota("p:extra", 1, "DAY")
    assert await limits.acquire([], quota) == OK
    await limits.set_remaining(quota, 3)
    assert [await limits.acquire([], quota) for _ in range(4)] == [OK, OK, OK, QUOTA_EXCEEDED]


async def test_concurrent_requests_share_a_bucket_exactly(limits: Limits) -> None:
    bucket, quota = Bucket("shared", 0.0, 5), Quota("p:concurrent", 7, "DAY")
    results = await asyncio.gather(*[limits.acquire([bucket], None) for _ in range(10)])
    assert sorted(results) == [OK] * 5 + [THROTTLED] * 5
    results = await asyncio.gather(*[limits.acquire([], quota) for _ in range(10)])
    assert sorted(results) == [OK] * 7 + [QUOTA_EXCEEDED] * 3


async def test_memory_forgets_idle_buckets_and_old_counters() -> None:
    clock = Clock()
    limits = MemoryLimits(clock)
    quota = Quota("p:old", 5, "DAY")
    assert await limits.acquire([Bucket("idle", 1.0, 1)], quota) == OK
    clock.now += 200 * DAY
    limits._sweep(clock.now)
    assert (limits._buckets, limits._counters) == ({}, {})

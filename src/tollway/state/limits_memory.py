"""Rate limits and quotas in this process's memory: the default (`--state memory`), and what a
Redis-backed gateway counts with while Redis is unreachable (limits_redis.GuardedLimits).

Buckets are `[tokens, last refill]` lists, counters plain ints; nothing awaits, so a call is
atomic on the event loop. Now and then, untouched buckets (full again by then) and counters of
days older than GetUsage reports (`USAGE_DAYS`, plus a month for the period counters) are
dropped.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Sequence

from tollway.state.limits import (
    OK,
    QUOTA_EXCEEDED,
    THROTTLED,
    USAGE_DAYS,
    Bucket,
    Quota,
    QuotaKeys,
    adjust_key,
    period_key,
    utc_day,
)

_SWEEP_EVERY = 100_000  # calls between sweeps of forgotten buckets


class MemoryLimits:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._buckets: dict[str, list[float]] = {}
        self._ttl: dict[str, int] = {}
        self._counters: dict[str, int] = {}
        self._calls = 0
        self._quota_keys = QuotaKeys()

    async def acquire(self, buckets: Sequence[Bucket], quota: Quota | None) -> int:
        now = self.clock()
        counters = self._counters
        if quota is not None:
            quota_key, day_key = self._quota_keys(quota, now)
            if counters.get(quota_key, 0) >= quota.limit:
                return QUOTA_EXCEEDED
        states = self._buckets
        taken: list[tuple[list[float], float]] = []
        for bucket in buckets:
            state = states.get(bucket.key)
            if state is None:
                tokens = float(bucket.burst)
                state = states[bucket.key] = [tokens, now]
                self._ttl[bucket.key] = bucket.ttl
            else:
                elapsed = now - state[1]
                tokens = state[0] + elapsed * bucket.rate if elapsed > 0 else state[0]
                if tokens > bucket.burst:
                    tokens = float(bucket.burst)
            if tokens < 1:
                return THROTTLED
            taken.append((state, tokens))
        for state, tokens in taken:
            state[0] = tokens - 1
            state[1] = now
        if quota is not None:
            counters[quota_key] = counters.get(quota_key, 0) + 1
            counters[day_key] = counters.get(day_key, 0) + 1
        self._calls += 1
        if self._calls >= _SWEEP_EVERY:
            self._sweep(now)
        return OK

    def _sweep(self, now: float) -> None:
        self._calls = 0
        for key in [k for k, s in self._buckets.items() if now - s[1] > self._ttl[k]]:
            del self._buckets[key]
            del self._ttl[key]
        # Counter keys end with their day (limits.period_key, day_key, adjust_key).
        oldest = (utc_day(now) - datetime.timedelta(days=USAGE_DAYS + 31)).isoformat()
        for key in [k for k in self._counters if k[-10:] < oldest]:
            del self._counters[key]

    async def counters(self, keys: Sequence[str]) -> list[int]:
        return [self._counters.get(key, 0) for key in keys]

    async def set_remaining(self, quota: Quota, remaining: int) -> None:
        day = utc_day(self.clock())
        key = period_key(quota, day)
        used = self._counters.get(key, 0)
        target = quota.limit - remaining  # below 0: more than the limit is left
        self._counters[key] = target
        adjust = adjust_key(quota.key, day)
        self._counters[adjust] = self._counters.get(adjust, 0) + target - used

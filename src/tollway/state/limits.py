"""Rate limits and quotas: the runtime state behind throttling and usage plans (spec §6).

A request is checked against every level that applies to it in ONE call (`Limits.acquire`):
token buckets (`rate` tokens added per second, at most `burst` held; a request takes one) and,
for a request with an API key in a usage plan with a quota, the key's quota counter for the
current period. Either all are taken or none: a refused request consumes nothing. The quota is
checked first (the API key & usage plan step comes before throttling, DESIGN's pipeline), then
the buckets, most specific first.

Quota periods are calendar periods in UTC: DAY from midnight, WEEK from Monday midnight (ISO
weeks), MONTH from the first of the month (AWS does not document the WEEK/MONTH alignment:
UNCONFIRMED). Besides the period's counter, requests are counted per day, for GetUsage.
UpdateUsage sets the period's remaining requests (more than the limit grants extra ones); the
difference is recorded on its day (`adjust`), so the per-day figures keep adding up to the
period's counter.

Time is the implementation's `clock` (wall-clock seconds, `time.time` unless a test sets
another, e.g. a `SettableClock`); the Redis script is given `now` by the caller.

Implementations: limits_memory.MemoryLimits (this process, the default) and
limits_redis.RedisLimits (shared by gateway processes), the latter behind
limits_redis.GuardedLimits, which falls back to process memory while Redis is unreachable.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")

OK = 0
THROTTLED = 1
QUOTA_EXCEEDED = 2

DAY_SECONDS = 86_400
# How long per-day usage is kept for GetUsage (AWS keeps usage for 90 days: UNCONFIRMED).
USAGE_DAYS = 90


@dataclass(frozen=True, slots=True)
class Bucket:
    """One token bucket: `key` names it (one per level and scope), rate per second, burst."""

    key: str
    rate: float
    burst: int

    @property
    def ttl(self) -> int:
        """Seconds after which an untouched bucket is full again, and may be forgotten."""
        if self.rate <= 0:
            return DAY_SECONDS
        return int(self.burst / self.rate) + 2


@dataclass(frozen=True, slots=True)
class Quota:
    """A usage plan's quota for one API key: `key` is `{plan id}:{api key id}`."""

    key: str
    limit: int
    period: str  # DAY, WEEK, MONTH


def period_start(period: str, day: datetime.date) -> datetime.date:
    """The first day of the quota period `day` is in (UTC calendar periods)."""
    if period == "WEEK":
        return day - datetime.timedelta(days=day.weekday())
    if period == "MONTH":
        return day.replace(day=1)
    return day


def period_end(period: str, day: datetime.date) -> datetime.date:
    """The first day of the next period."""
    start = period_start(period, day)
    if period == "WEEK":
        return start + datetime.timedelta(days=7)
    if period == "MONTH":
        return (start + datetime.timedelta(days=32)).replace(day=1)
    return start + datetime.timedelta(days=1)


def utc_day(now: float) -> datetime.date:
    return datetime.datetime.fromtimestamp(now, datetime.UTC).date()


def period_key(quota: Quota, day: datetime.date) -> str:
    """The counter of the period `day` is in."""
    return f"q:{quota.key}:{period_start(quota.period, day).isoformat()}"


def day_key(quota_key: str, day: datetime.date) -> str:
    """Requests counted on one day."""
    return f"d:{quota_key}:{day.isoformat()}"


def adjust_key(quota_key: str, day: datetime.date) -> str:
    """What UpdateUsage added to (or took from) the period's count on one day."""
    return f"a:{quota_key}:{day.isoformat()}"


def period_ttl(quota: Quota, day: datetime.date) -> int:
    """Seconds a period's counter is kept: to its end, plus a day."""
    days = (period_end(quota.period, day) - day).days
    return (days + 1) * DAY_SECONDS


class PerQuotaDay(Generic[T]):
    """What `build` makes of a quota and the UTC day of a time, remembered for the day:
    formatting dates is most of a quota check's cost."""

    def __init__(self, build: Callable[[Quota, datetime.date], T]) -> None:
        self._build = build
        self._day = -1
        self._values: dict[Quota, T] = {}

    def __call__(self, quota: Quota, now: float) -> T:
        day_number = int(now // DAY_SECONDS)
        if day_number != self._day:
            self._day, self._values = day_number, {}
        value = self._values.get(quota)
        if value is None:
            value = self._values[quota] = self._build(quota, utc_day(now))
        return value


class QuotaKeys(PerQuotaDay[tuple[str, str]]):
    """`period_key` and `day_key` of a quota for a time."""

    def __init__(self) -> None:
        super().__init__(lambda quota, day: (period_key(quota, day), day_key(quota.key, day)))


class Limits(Protocol):
    clock: Callable[[], float]

    async def acquire(self, buckets: Sequence[Bucket], quota: Quota | None) -> int:
        """Takes a token of every bucket and one request of the quota, or nothing: OK,
        QUOTA_EXCEEDED (the quota is used up) or THROTTLED (a bucket is empty)."""
        ...

    async def counters(self, keys: Sequence[str]) -> list[int]:
        """The values of counters (period, day, adjust keys); 0 for absent ones."""
        ...

    async def set_remaining(self, quota: Quota, remaining: int) -> None:
        """UpdateUsage: the current period has `remaining` requests left."""
        ...


class SettableClock:
    """Wall-clock time plus an offset a test can set or advance (the `--limits-clock` aid):
    quota periods and token buckets then see the time the test chose."""

    def __init__(self, base: Callable[[], float] = time.time) -> None:
        self._base = base
        self.offset = 0.0

    def __call__(self) -> float:
        return self._base() + self.offset

    def set(self, now: float) -> None:
        self.offset = now - self._base()

    def advance(self, seconds: float) -> None:
        self.offset += seconds


async def usage(
    limits: Limits, quota: Quota, start: datetime.date, end: datetime.date
) -> list[list[int]]:
    """GetUsage's per-day `[used, remaining]` from `start` to `end` (inclusive).

    `remaining` is what was left of the period's quota at the end of that day: the limit less
    the period's requests (and UpdateUsage adjustments) from its first day to that day."""
    first = period_start(quota.period, start)
    days = [first + datetime.timedelta(days=n) for n in range((end - first).days + 1)]
    keys = [day_key(quota.key, d) for d in days] + [adjust_key(quota.key, d) for d in days]
    values = await limits.counters(keys)
    used, adjusted = values[: len(days)], values[len(days) :]
    out: list[list[int]] = []
    running = 0
    current = first
    for day, count, adjust in zip(days, used, adjusted, strict=True):
        if period_start(quota.period, day) != current:
            current, running = period_start(quota.period, day), 0
        running += count + adjust
        if day >= start:
            out.append([count, max(0, quota.limit - running)])
    return out

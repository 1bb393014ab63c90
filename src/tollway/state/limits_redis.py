"""Rate limits and quotas in Redis (`--state redis://...`), shared by every gateway process.

One request is one round trip: one Lua script checks the quota and every bucket and, only if
all allow, takes from each (atomic in Redis, so processes never race between check and take).
The time is the caller's (`now` is an argument), so a test clock works across processes.

Every key a call touches has the hash tag `{limits}`: the account-wide bucket is in every
call, so all limit keys share one Redis Cluster slot (a script may only touch one slot).

`GuardedLimits` is what the composition root wires: Redis while it answers, this process's
memory (`MemoryLimits`: local limits, local quota counts) while it does not, through the
shared `RedisGuard` (one try per `retry_after` during an outage; the first success ends it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tollway.state.limits import (
    DAY_SECONDS,
    USAGE_DAYS,
    Bucket,
    Limits,
    Quota,
    QuotaKeys,
    adjust_key,
    period_key,
    period_ttl,
    utc_day,
)
from tollway.state.redis import UNAVAILABLE, RedisState

TAG = "limits"

# KEYS: [quota period key, quota day key]? then one key per bucket.
# ARGV: now, has_quota (0/1), [limit, period ttl, day ttl]?, then rate, burst, ttl per bucket.
# Returns 0 (OK), 1 (THROTTLED) or 2 (QUOTA_EXCEEDED). Numbers are written with tostring:
# Redis would truncate a Lua number to an integer.
_ACQUIRE = """
local now = tonumber(ARGV[1])
local first_key, first_arg = 1, 3
if ARGV[2] == '1' then
  local used = tonumber(redis.call('GET', KEYS[1]) or '0')
  if used >= tonumber(ARGV[3]) then return 2 end
  first_key, first_arg = 3, 6
end
local tokens = {}
local n = 0
for i = first_key, #KEYS do
  local a = first_arg + (i - first_key) * 3
  local rate, burst = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  local state = redis.call('HMGET', KEYS[i], 't', 'ts')
  local t = tonumber(state[1])
  if t == nil then
    t = burst
  else
    local elapsed = now - tonumber(state[2])
    if elapsed > 0 then t = t + elapsed * rate end
    if t > burst then t = burst end
  end
  if t < 1 then return 1 end
  n = n + 1
  tokens[n] = t
end
for i = first_key, #KEYS do
  local a = first_arg + (i - first_key) * 3
  redis.call('HSET', KEYS[i], 't', tostring(tokens[i - first_key + 1] - 1), 'ts', ARGV[1])
  redis.call('EXPIRE', KEYS[i], ARGV[a + 2])
end
if ARGV[2] == '1' then
  redis.call('INCR', KEYS[1])
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], ARGV[5])
end
return 0
"""

# KEYS: period key, adjust key. ARGV: target count, period ttl, adjust ttl.
_SET_REMAINING = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('INCRBY', KEYS[2], tonumber(ARGV[1]) - used)
redis.call('EXPIRE', KEYS[2], ARGV[3])
return used
"""

_USAGE_TTL = USAGE_DAYS * DAY_SECONDS


class RedisLimits:
    def __init__(self, state: RedisState, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._state = state
        self._acquire = state.client.register_script(_ACQUIRE)
        self._set_remaining = state.client.register_script(_SET_REMAINING)
        self._quota_keys = QuotaKeys()

    def _key(self, name: str) -> str:
        return self._state.key(TAG, name)

    async def acquire(self, buckets: Sequence[Bucket], quota: Quota | None) -> int:
        now = self.clock()
        keys: list[str] = []
        args: list[Any] = [repr(now)]
        if quota is not None:
            period, day_key = self._quota_keys(quota, now)
            keys += [self._key(period), self._key(day_key)]
            args += ["1", quota.limit, period_ttl(quota, utc_day(now)), _USAGE_TTL]
        else:
            args.append("0")
        for bucket in buckets:
            keys.append(self._key(bucket.key))
            args += [repr(bucket.rate), bucket.burst, bucket.ttl]
        return int(await self._acquire(keys=keys, args=args))

    async def counters(self, keys: Sequence[str]) -> list[int]:
        if not keys:
            return []
        values = await self._state.client.mget([self._key(k) for k in keys])
        return [int(v) if v is not None else 0 for v in values]

    async def set_remaining(self, quota: Quota, remaining: int) -> None:
        day = utc_day(self.clock())
        keys = [self._key(period_key(quota, day)), self._key(adjust_key(quota.key, day))]
        target = quota.limit - remaining  # below 0: more than the limit is left
        await self._set_remaining(keys=keys, args=[target, period_ttl(quota, day), _USAGE_TTL])


class GuardedLimits:
    """Redis while it answers; this process's memory while it does not (RedisGuard)."""

    def __init__(self, redis: RedisLimits, local: Limits, state: RedisState) -> None:
        self.clock = redis.clock
        self._redis = redis
        self._local = local
        self._guard = state.guard

    async def acquire(self, buckets: Sequence[Bucket], quota: Quota | None) -> int:
        guard = self._guard
        if guard.should_try():
            try:
                verdict = await self._redis.acquire(buckets, quota)
            except UNAVAILABLE as e:
                guard.failed(e)
            else:
                if guard.down:
                    guard.succeeded()
                return verdict
        return await self._local.acquire(buckets, quota)

    async def counters(self, keys: Sequence[str]) -> list[int]:
        # The control plane's reads: Redis's counts when it answers (an outage's local
        # counts are this process's only, and are not merged back).
        try:
            return await self._redis.counters(keys)
        except UNAVAILABLE as e:
            self._guard.failed(e)
            return await self._local.counters(keys)

    async def set_remaining(self, quota: Quota, remaining: int) -> None:
        try:
            await self._redis.set_remaining(quota, remaining)
        except UNAVAILABLE as e:
            self._guard.failed(e)
            await self._local.set_remaining(quota, remaining)

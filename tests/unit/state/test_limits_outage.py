"""GuardedLimits through a Redis outage: a private redis-server stopped and started again."""

from __future__ import annotations

from tests.redis_server import PrivateRedis

from tollway.state.limits import OK, THROTTLED, Bucket
from tollway.state.limits_memory import MemoryLimits
from tollway.state.limits_redis import GuardedLimits, RedisLimits
from tollway.state.redis import RedisState


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_limits_are_local_during_an_outage_and_shared_again_after(
    redis_server: PrivateRedis,
) -> None:
    clock = Clock()
    state = RedisState(redis_server.url, retry_after=0.0)
    local = MemoryLimits(clock)
    limits = GuardedLimits(RedisLimits(state, clock), local, state)
    bucket = Bucket("b", 0.0, 2)  # no refill: what is taken stays taken
    try:
        assert await limits.acquire([bucket], None) == OK  # counted in Redis
        redis_server.stop()
        # Redis is gone: the local bucket (full) answers, and the guard records the outage.
        assert await limits.acquire([bucket], None) == OK
        assert state.guard.down
        assert [await limits.acquire([bucket], None) for _ in range(2)] == [OK, THROTTLED]
        redis_server.start()  # empty again (no persistence): a fresh bucket in Redis
        assert await limits.acquire([bucket], None) == OK
        assert not state.guard.down
        assert await limits.acquire([bucket], None) == OK
        assert await limits.acquire([bucket], None) == THROTTLED
        assert await state.client.exists(state.key("limits", "b")) == 1
    finally:
        await state.close()

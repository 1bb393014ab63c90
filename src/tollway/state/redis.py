"""The Redis connection behind `--state redis://...`, and how a Redis outage is survived.

Every runtime-state kind with a Redis implementation (rate-limit buckets and quota counters,
the stage cache, the authorizer cache) shares one `RedisState`: one client (one pool), one
key prefix, one `RedisGuard`.

Keys are `tollway:{<tag>}:<rest>`: the part in braces is the Redis Cluster hash tag, so the
keys one script touches (one API stage's buckets, one plan key's quota counters) land on one
cluster slot and a script may touch them all atomically.

When Redis cannot be reached the gateway keeps answering: each kind has its documented
fallback (limits counted in this process, the cache bypassed, authorizers called again). The
guard records the outage, so requests do not each wait for a timeout, logs it once, and lets
one call through every `retry_after` seconds to see whether Redis is back; the first call that
succeeds ends the outage, logged too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from tollway.state.resp import RespClient, lean_url

log = logging.getLogger("tollway.state")

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)
"""What a call raises when Redis is unreachable (as opposed to a script's own error)."""

# A request must not wait long on a Redis that went away: its fallback answers instead.
SOCKET_TIMEOUT = 0.25


class RedisGuard:
    """Whether Redis is believed reachable; short-circuits calls during an outage."""

    def __init__(self, retry_after: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.retry_after = retry_after
        self._clock = clock
        self._down_since: float | None = None
        self._next_try = 0.0

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def should_try(self) -> bool:
        """True when Redis is up, or when an outage is due for another try."""
        if self._down_since is None:
            return True
        now = self._clock()
        if now < self._next_try:
            return False
        self._next_try = now + self.retry_after
        return True

    def failed(self, error: BaseException) -> None:
        now = self._clock()
        if self._down_since is None:
            self._down_since = now
            log.warning(
                "Redis runtime state is unreachable (%s): limits are counted in this process, "
                "the stage and authorizer caches are bypassed, and WebSocket connections held "
                "by other processes cannot be reached until it returns",
                error,
            )
        self._next_try = now + self.retry_after

    def succeeded(self) -> None:
        if self._down_since is not None:
            log.warning(
                "Redis runtime state is reachable again after %.1f s",
                self._clock() - self._down_since,
            )
            self._down_since = None


class RedisState:
    """One client, one key prefix and one guard for every Redis-backed state kind."""

    def __init__(self, url: str, *, prefix: str = "tollway", retry_after: float = 1.0) -> None:
        self.url = url
        self.prefix = prefix
        self.client: Any = aioredis.from_url(
            url,
            socket_timeout=SOCKET_TIMEOUT,
            socket_connect_timeout=SOCKET_TIMEOUT,
            health_check_interval=0,
        )
        self.guard = RedisGuard(retry_after)
        # The limits script's own connection (resp.py); None for URLs only redis-py serves.
        self.resp = RespClient(url, SOCKET_TIMEOUT) if lean_url(url) is not None else None

    def key(self, tag: str, *rest: str) -> str:
        """`prefix:{tag}:rest...`: keys with one tag share a Redis Cluster slot."""
        return ":".join((self.prefix, "{" + tag + "}", *rest))

    async def close(self) -> None:
        if self.resp is not None:
            self.resp.close()
        await self.client.aclose()

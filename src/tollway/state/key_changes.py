"""API key and usage plan changes, seen by every gateway process that shares one Redis.

A process's control plane announces a change to its own data plane at once
(`ChangeFeed.keys_changed`). Other processes sharing the store learn of it through Redis: the
announcing process increments a counter (`{limits}:keys-version`), and each process reads
the counter once a `interval` and, when it moved, marks its key index stale. A change made
through one process is enforced by all within about a second. While Redis is unreachable,
changes made elsewhere are seen once it returns (the counter has moved by then), or at the
latest when the process restarts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from tollway.state.limits_redis import TAG
from tollway.state.redis import UNAVAILABLE, RedisState

log = logging.getLogger("tollway.state")


class RedisKeyChanges:
    def __init__(
        self, state: RedisState, on_change: Callable[[], None], interval: float = 1.0
    ) -> None:
        self._state = state
        self._key = state.key(TAG, "keys-version")  # beside the limits it governs
        self._on_change = on_change
        self._interval = interval
        self._seen: bytes | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def publish(self) -> None:
        """A `keys_changed` listener: tells the other processes (in the background)."""
        task = asyncio.get_running_loop().create_task(self._bump())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _bump(self) -> None:
        try:
            await self._state.client.incr(self._key)
        except UNAVAILABLE as e:
            self._state.guard.failed(e)

    async def run(self) -> None:
        """Reads the counter every `interval` until cancelled."""
        while True:
            try:
                version = await self._state.client.get(self._key)
            except UNAVAILABLE as e:
                self._state.guard.failed(e)
            else:
                if version != self._seen:
                    if self._seen is not None or version is not None:
                        self._on_change()
                    self._seen = version
            await asyncio.sleep(self._interval)

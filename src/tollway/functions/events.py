"""Asynchronous (Event) invocations: Lambda's internal queue and its retries.

Invoke with `InvocationType: Event` answers 202 at once; the event is run here in the
background. As on Lambda, a function error is retried twice by default (the qualifier's
FunctionEventInvokeConfig `MaximumRetryAttempts`, 0-2), the first retry after `retry_delay`
seconds (Lambda: about a minute), the second after twice that; a throttled event is retried
with backoff (1 s doubling, at most `retry_delay`) until it is older than
`MaximumEventAgeInSeconds` (default 6 hours). With reserved concurrency 0 the event is dropped
without retries, as Lambda sends it straight to its failure destination. Events live in memory
only: a restart loses those still queued, and the log says so.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from tollway.functions.errors import FunctionNotFound, FunctionThrottled, RemoteInvokeError

if TYPE_CHECKING:
    from tollway.functions.registry import FunctionRegistry, Target

log = logging.getLogger("tollway.functions.events")

DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE = 21600.0  # seconds


class EventInvoker:
    def __init__(self, registry: FunctionRegistry, *, retry_delay: float = 60.0) -> None:
        self._registry = registry
        self._retry_delay = retry_delay
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, target: Target, payload: bytes, request_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._run(target, payload, request_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def close(self) -> None:
        if self._tasks:
            log.warning("dropping %d queued Event invocations at shutdown", len(self._tasks))
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, target: Target, payload: bytes, request_id: str) -> None:
        config: dict[str, Any] = target.event_config or {}
        retries = int(config.get("MaximumRetryAttempts", DEFAULT_RETRIES))
        max_age = float(config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE))
        queued = time.monotonic()
        attempt = 0
        backoff = 1.0
        while True:
            try:
                result = await self._registry.run(target, payload, request_id=request_id)
            except FunctionThrottled as throttled:
                if throttled.reserved == 0:
                    log.warning(
                        "Event %s for %s dropped: reserved concurrency is 0",
                        request_id,
                        target.name,
                    )
                    return
                if time.monotonic() - queued + backoff > max_age:
                    log.warning(
                        "Event %s for %s dropped: older than %s s", request_id, target.name, max_age
                    )
                    return
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._retry_delay)
                continue
            except (FunctionNotFound, RemoteInvokeError) as e:
                log.warning("Event %s for %s failed: %s", request_id, target.name, e)
                return
            if result.function_error is None:
                return
            if attempt >= retries:
                log.warning(
                    "Event %s for %s failed after %d attempts: %s",
                    request_id,
                    target.name,
                    attempt + 1,
                    result.payload.decode(errors="replace"),
                )
                return
            delay = self._retry_delay * (2**attempt)
            if time.monotonic() - queued + delay > max_age:
                return
            attempt += 1
            await asyncio.sleep(delay)

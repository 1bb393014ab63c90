"""Event invocations: Lambda's retries of function errors and throttles."""

from __future__ import annotations

import asyncio
from typing import Any

from tollway.functions.errors import FunctionThrottled
from tollway.functions.events import EventInvoker
from tollway.functions.host import InvokeResult
from tollway.functions.registry import Target


def _target(config: dict[str, Any] | None = None) -> Target:
    return Target("fn", "$LATEST", None, "arn", None, None, None, config)


class FakeRegistry:
    def __init__(self, outcomes: list[Any]) -> None:
        self.outcomes = outcomes
        self.calls: list[float] = []

    async def run(
        self, target: Target, payload: bytes, *, request_id: str | None = None
    ) -> InvokeResult:
        self.calls.append(asyncio.get_running_loop().time())
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if isinstance(outcome, Exception):
            raise outcome
        error = "Unhandled" if outcome == "error" else None
        return InvokeResult(b"{}", error, "", "$LATEST")


async def _drain(invoker: EventInvoker) -> None:
    for _ in range(400):
        if not invoker.pending:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("events still pending")


async def test_a_failing_event_is_tried_three_times_with_growing_delays() -> None:
    registry = FakeRegistry(["error", "error", "error", "error"])
    invoker = EventInvoker(registry, retry_delay=0.05)  # type: ignore[arg-type]
    invoker.submit(_target(), b"{}", "r1")
    await _drain(invoker)
    assert len(registry.calls) == 3
    first, second = registry.calls[1] - registry.calls[0], registry.calls[2] - registry.calls[1]
    assert 0.04 <= first < second and second >= 0.09


async def test_success_stops_and_the_retry_setting_is_honoured() -> None:
    registry = FakeRegistry(["error", None])
    invoker = EventInvoker(registry, retry_delay=0.01)  # type: ignore[arg-type]
    invoker.submit(_target(), b"{}", "r1")
    await _drain(invoker)
    assert len(registry.calls) == 2
    once = FakeRegistry(["error", "error"])
    invoker = EventInvoker(once, retry_delay=0.01)  # type: ignore[arg-type]
    invoker.submit(_target({"MaximumRetryAttempts": 0}), b"{}", "r2")
    await _drain(invoker)
    assert len(once.calls) == 1


async def test_throttles_are_retried_but_reserved_zero_drops_the_event() -> None:
    registry = FakeRegistry([FunctionThrottled("fn", 1), None])
    invoker = EventInvoker(registry, retry_delay=0.01)  # type: ignore[arg-type]
    invoker.submit(_target(), b"{}", "r1")
    await _drain(invoker)
    assert len(registry.calls) == 2
    dropped = FakeRegistry([FunctionThrottled("fn", 0), None])
    invoker = EventInvoker(dropped, retry_delay=0.01)  # type: ignore[arg-type]
    invoker.submit(_target(), b"{}", "r2")
    await _drain(invoker)
    assert len(dropped.calls) == 1


async def test_close_cancels_queued_events() -> None:
    registry = FakeRegistry(["error"] * 5)
    invoker = EventInvoker(registry, retry_delay=30)  # type: ignore[arg-type]
    invoker.submit(_target(), b"{}", "r1")
    await asyncio.sleep(0.02)
    assert invoker.pending == 1
    await invoker.close()
    assert invoker.pending == 0

"""Key and plan changes announced through Redis to the other gateway processes."""

from __future__ import annotations

import asyncio

from tests.redis_server import shared_redis_url, unique_prefix

from tollway.state.key_changes import RedisKeyChanges
from tollway.state.redis import RedisState


async def test_a_change_published_by_one_process_reaches_another() -> None:
    url, prefix = shared_redis_url(), unique_prefix()
    one, other = RedisState(url, prefix=prefix), RedisState(url, prefix=prefix)
    seen: list[str] = []
    publisher = RedisKeyChanges(one, lambda: seen.append("one"), interval=0.01)
    listener = RedisKeyChanges(other, lambda: seen.append("other"), interval=0.01)
    task = asyncio.create_task(listener.run())
    try:
        await asyncio.sleep(0.05)
        assert seen == []  # nothing changed yet: no rebuild at start
        publisher.publish()
        for _ in range(500):
            if seen:
                break
            await asyncio.sleep(0.01)
        assert seen == ["other"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await one.client.delete(one.key("limits", "keys-version"))
        await one.close()
        await other.close()

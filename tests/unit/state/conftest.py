"""Fixtures of the runtime-state tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.redis_service import RedisServer


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A private redis-server that the test may stop and start again."""
    server = RedisServer()
    server.start()
    yield server
    server.stop()

"""Fixtures of the runtime-state tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.redis_server import PrivateRedis


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    """A private redis-server that the test may stop and start again."""
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()

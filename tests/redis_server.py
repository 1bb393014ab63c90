"""Redis for tests: the machine's shared Redis (never flushed: every test run uses a key prefix
of its own and deletes only its keys), and a private `redis-server` a test may stop and start
again to make an outage.

Without Redis the tests that need it are skipped, saying why; under CI (`CI=true`) a missing
Redis is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import redis

SHARED_URL = os.environ.get("TOLLWAY_TEST_REDIS", "redis://127.0.0.1:6379/0")


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"Redis is required under CI: {reason}")
    pytest.skip(reason)


def shared_redis_url() -> str:
    """The shared Redis's URL, or a skip (a failure under CI) when it does not answer."""
    try:
        redis.Redis.from_url(SHARED_URL, socket_timeout=1).ping()
    except redis.RedisError as e:
        unavailable(f"no Redis at {SHARED_URL}: {e}")
    return SHARED_URL


def unique_prefix() -> str:
    return f"tollway-test-{uuid.uuid4().hex[:12]}"


def delete_prefix(url: str, prefix: str) -> None:
    """Deletes this run's keys (and only those)."""
    client = redis.Redis.from_url(url, socket_timeout=2)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """A `redis-server` of this test's own on a free loopback port, nothing persisted."""

    def __init__(self, directory: Path | None = None, *options: str) -> None:
        self.options = options  # more redis-server options, e.g. "--requirepass", "secret"
        if shutil.which("redis-server") is None:
            unavailable("redis-server is not installed")
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", *(["--dir", str(self.directory)] if self.directory else []), *self.options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except (redis.AuthenticationError, redis.ResponseError):
                break  # it answers (a server with a password refuses the unauthenticated ping)
            except redis.RedisError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    unavailable(f"redis-server did not start on port {self.port}")
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)
        self.process = None

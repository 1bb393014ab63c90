"""Redis for tests: the machine's shared Redis (never flushed: each run uses its own key
prefix) and private `redis-server` processes that outage tests may stop and restart.

Without a reachable Redis (or redis-server binary) such tests skip with the reason, except
under CI=true, where a missing service is a failure (DESIGN: Tests).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid

import pytest

SHARED_URL = os.environ.get("TOLLWAY_TEST_REDIS", "redis://127.0.0.1:6379/0")


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (a missing service fails the suite under CI=true)")
    pytest.skip(reason)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def shared_redis() -> str:
    """The shared Redis URL, or skip."""
    if not _reachable("127.0.0.1", 6379):
        unavailable("Redis is not running on 127.0.0.1:6379")
    return SHARED_URL


def unique_prefix() -> str:
    return f"tollway-test-{uuid.uuid4().hex[:12]}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A private redis-server (no persistence) that a test may stop and start again."""

    def __init__(self, *options: str) -> None:
        self.options = options  # more redis-server options, e.g. "--requirepass", "secret"
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server is not installed")
        self.binary = str(binary)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", *self.options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while not _reachable("127.0.0.1", self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)
        self.process = None

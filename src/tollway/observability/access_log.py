"""Where access-log lines go: a file in the data directory, stdout, both, or nowhere.

Writes are buffered and flushed about once a second (and at shutdown), so logging costs a
request a string append, not a system call.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path
from typing import TextIO


class AccessLogSink:
    def __init__(self, target: str, path: Path) -> None:
        self._streams: list[TextIO] = []
        self._owned: list[TextIO] = []
        if target in ("file", "both"):
            path.parent.mkdir(parents=True, exist_ok=True)
            stream = path.open("a", encoding="utf-8", buffering=64 * 1024)
            self._streams.append(stream)
            self._owned.append(stream)
        if target in ("stdout", "both"):
            self._streams.append(sys.stdout)
        self.enabled = bool(self._streams)
        self._task: asyncio.Task[None] | None = None

    def write(self, line: str) -> None:
        for stream in self._streams:
            stream.write(line + "\n")

    def flush(self) -> None:
        for stream in self._streams:
            with contextlib.suppress(ValueError, OSError):
                stream.flush()

    def start(self) -> None:
        if self.enabled and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._flush_periodically())

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.flush()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.flush()
        for stream in self._owned:
            stream.close()
        self._owned.clear()
        self._streams.clear()
        self.enabled = False

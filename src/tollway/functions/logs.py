"""Per-function logs: Tollway's counterpart of the CloudWatch Logs group ``/aws/lambda/NAME``.

Lambda sends what a function prints, between its START, END and REPORT lines, to CloudWatch
Logs, where ``sam logs`` and ``aws logs tail --follow`` read it. Tollway keeps each function's
log in a file, ``<data dir>/logs/NAME.log``, which ``tollway logs`` reads from another process
while the server writes it.

Writing (`FunctionLogs`) is on the hot path of every invocation, on the event loop, so
``append`` only stamps and buffers. A timer, armed only while something is buffered, writes
each function's batch with one system call about every 0.2 s: the access log's trade, with a
shorter delay because people watch these files while they test. Each line gets its arrival
time, as CloudWatch stamps each event. A function that floods output cannot use up memory:
past a bound per function the oldest buffered text is dropped and a notice line says how much.
A file that passes its size limit becomes ``NAME.log.1``, one generation kept, so that the
disk use stays bounded where CloudWatch would apply a retention period. A failing disk is
logged, not raised: no invocation fails because its log could not be written, and the text
stays buffered (bounded) for the next try.

Reading (`tail`, `follow`) relies on two rules of the writer only: it writes whole lines, and
it rotates by renaming. ``follow`` polls, as ``tail -F`` does without inotify: portable, and
cheap at a few reads a second. It notices a rotation when the path names another file. It
could miss a whole generation only if a file filled up twice in one poll, which the memory
bound (about 5 MiB/s at the defaults) keeps far away from the 10 MiB limit.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 10 * 1024 * 1024  # a file passing this becomes NAME.log.1
MAX_BUFFERED_BYTES = 1024 * 1024  # per function, between two writes
FLUSH_INTERVAL = 0.2  # seconds

_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # Lambda's function names
_BLOCK = 64 * 1024  # bytes read at a time when reading a file backwards


def log_paths(logs_dir: Path, function_name: str) -> tuple[Path, Path]:
    """A function's log file and its previous generation: ``NAME.log`` and ``NAME.log.1``.

    Lambda's function names (``[A-Za-z0-9_-]{1,64}``) are safe file names; anything else
    raises ValueError before it can reach the file system.
    """
    if not _NAME.fullmatch(function_name):
        raise ValueError(f"not a function name: {function_name!r}")
    return logs_dir / f"{function_name}.log", logs_dir / f"{function_name}.log.1"


class _Log:
    """One function's buffered text and open file."""

    __slots__ = ("buffered", "chunks", "current", "dropped", "failing", "file", "previous", "size")

    def __init__(self, current: Path, previous: Path) -> None:
        self.current = current
        self.previous = previous
        self.chunks: deque[bytes] = deque()  # stamped lines, one chunk per append
        self.buffered = 0  # bytes in chunks
        self.dropped = 0  # bytes dropped from the front of chunks since the last write
        self.file: io.FileIO | None = None
        self.size = 0  # bytes in the open file
        self.failing = False  # the last write failed (so the next failure is not logged again)


class FunctionLogs:
    """Appends functions' output to ``<logs_dir>/NAME.log``, stamped, buffered and rotated.

    ``append`` is meant for the event loop's thread. Called where no event loop runs (a script,
    a thread, or after ``close``) it writes at once instead of arming a timer.
    """

    def __init__(
        self,
        logs_dir: Path,
        *,
        max_bytes: int = MAX_FILE_BYTES,
        max_buffered: int = MAX_BUFFERED_BYTES,
        flush_interval: float = FLUSH_INTERVAL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_bytes < 1 or max_buffered < 1:
            raise ValueError("max_bytes and max_buffered must be positive")
        self._dir = logs_dir
        self._max_bytes = max_bytes
        self._max_buffered = max_buffered
        self._interval = flush_interval
        self._clock = clock
        self._logs: dict[str, _Log] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False
        self._second = -1  # the second _second_text spells, so most stamps skip strftime
        self._second_text = ""

    def append(self, function_name: str, text: str) -> None:
        """Buffer `text` (whole lines, each ending in a newline) for the function's log.

        Each line is stamped with the time it arrived. Raises ValueError for a name that is not
        a function name; never raises because of the disk.
        """
        if not text:
            return
        log = self._logs.get(function_name)
        if log is None:
            log = self._logs[function_name] = _Log(*log_paths(self._dir, function_name))
        stamp = self._stamp()
        body = text[:-1] if text[-1] == "\n" else text
        # "replace": a lone surrogate in what a worker printed must not stop the log.
        chunk = (stamp + body.replace("\n", "\n" + stamp) + "\n").encode("utf-8", "replace")
        log.chunks.append(chunk)
        log.buffered += len(chunk)
        if log.buffered > self._max_buffered:
            _drop_oldest(log, self._max_buffered)
        if self._timer is None and not self._schedule():
            self._write(log)
            if self._closed:
                _close_file(log)

    def flush(self) -> None:
        """Write everything buffered now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._write_all()

    def close(self) -> None:
        """Write everything buffered and close the files. Later appends are written at once."""
        self._closed = True
        self.flush()
        for log in self._logs.values():
            _close_file(log)

    def _on_timer(self) -> None:
        self._timer = None
        self._write_all()

    def _write_all(self) -> None:
        for log in self._logs.values():
            self._write(log)
        if any(log.chunks or log.dropped for log in self._logs.values()):
            self._schedule()  # a write failed: try again later rather than on every append

    def _schedule(self) -> bool:
        if self._closed:
            return False
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        self._timer = loop.call_later(self._interval, self._on_timer)
        return True

    def _stamp(self) -> str:
        # round, not int: 1795290633.123 * 1000 is 1795290633122.9998 in binary floating point.
        second, milli = divmod(round(self._clock() * 1000), 1000)
        if second != self._second:
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second))
        return f"{self._second_text}{milli:03d}Z "

    def _write(self, log: _Log) -> None:
        if not log.chunks and not log.dropped:
            return
        notice = b""
        if log.dropped:
            notice = (
                f"{self._stamp()}[tollway] {log.dropped} bytes of output dropped: the function "
                "wrote faster than its log could be written\n"
            ).encode()
        data = notice + b"".join(log.chunks)
        log.chunks.clear()
        log.buffered = 0
        done = 0
        try:
            file = self._file(log)
            with memoryview(data) as view:
                while done < len(data):
                    written = file.write(view[done:])
                    if not written:
                        raise OSError("the write made no progress")
                    done += written
                    log.size += written
        except (OSError, ValueError) as e:
            if not log.failing:
                logger.warning("cannot write the log %s: %s", log.current, e)
                log.failing = True
            if done < len(notice):
                rest = data[len(notice) :]  # the notice is written again, with its count
            else:
                log.dropped = 0
                rest = data[done:]
            if rest:
                log.chunks.append(rest)
                log.buffered = len(rest)
                if log.buffered > self._max_buffered:
                    _drop_oldest(log, self._max_buffered)
            return
        log.dropped = 0
        if log.failing:
            logger.warning("writing the log %s again", log.current)
            log.failing = False

    def _file(self, log: _Log) -> io.FileIO:
        """The open log file, rotated first if it has passed the size limit."""
        while True:
            if log.file is None:
                self._dir.mkdir(parents=True, exist_ok=True)
                log.file = log.current.open("ab", buffering=0)
                log.size = os.fstat(log.file.fileno()).st_size  # an earlier server's text
            if log.size < self._max_bytes:
                return log.file
            # Close before renaming: a follower that sees the new file can trust the old one
            # to be complete.
            _close_file(log)
            os.replace(log.current, log.previous)


def _drop_oldest(log: _Log, limit: int) -> None:
    while log.buffered > limit and log.chunks:
        chunk = log.chunks.popleft()
        log.buffered -= len(chunk)
        log.dropped += len(chunk)


def _close_file(log: _Log) -> None:
    if log.file is not None:
        try:
            log.file.close()
        except OSError as e:
            logger.warning("cannot close the log %s: %s", log.current, e)
        log.file = None


def tail(logs_dir: Path, function_name: str, lines: int) -> list[str]:
    """The last `lines` lines of the function's log (from ``NAME.log.1`` too when ``NAME.log``
    has fewer), oldest first, without their newlines. A function with no log has none."""
    current, previous = log_paths(logs_dir, function_name)
    if lines <= 0:
        return []
    newest = _open(current)
    found: list[bytes] = []
    try:
        if newest is not None:
            found = _last_lines(newest, os.fstat(newest.fileno()).st_size, lines)[0]
        if len(found) < lines:
            found = _older_lines(previous, newest, lines - len(found)) + found
    finally:
        if newest is not None:
            newest.close()
    return [_decode(line) for line in found]


def follow(
    logs_dir: Path,
    function_name: str,
    *,
    lines: int = 0,
    poll_interval: float = 0.25,
    stop: Callable[[], bool] | None = None,
) -> Iterator[str]:
    """Yield the function's log lines as they are written, without their newlines, forever.

    First come the last `lines` lines already written (0: none), read from the same open file
    as what follows, so no line is lost or repeated between the two. A log that does not exist
    yet is waited for; a rotation is followed into the new file. `stop` is called before each
    round of reading: once it returns True, follow yields what the files hold, then returns.
    """
    current, previous = log_paths(logs_dir, function_name)
    reader = _Reader(current)
    try:
        initial: list[bytes] = []
        newest = reader.file = _open(current)
        if newest is not None:
            initial, start = _last_lines(
                newest, os.fstat(newest.fileno()).st_size, lines, complete=True
            )
            newest.seek(start)  # a line still being written is read whole, later
        if len(initial) < lines:
            initial = _older_lines(previous, newest, lines - len(initial)) + initial
        for line in initial:
            yield _decode(line)
        while True:
            stopping = stop is not None and stop()
            for line in reader.read_lines():
                yield _decode(line)
            if stopping:
                return
            time.sleep(poll_interval)
    finally:
        reader.close()


class _Reader:
    """Follows one path across rotations, returning complete lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: BinaryIO | None = None
        self.pending = b""  # the start of a line whose newline has not been read yet

    def read_lines(self) -> list[bytes]:
        found: list[bytes] = []
        while True:
            if self.file is None:
                self.file = _open(self.path)
                if self.file is None:
                    return found
            found += self._read()
            try:
                now: os.stat_result | None = os.stat(self.path)
            except FileNotFoundError:
                now = None
            mine = os.fstat(self.file.fileno())
            if now is not None and (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino):
                if now.st_size >= self.file.tell():
                    return found
                self.file.seek(0)  # truncated in place (by hand): read it from the start
                self.pending = b""
                continue
            # The path names another file, or none yet: the writer rotated. It closed this
            # file before renaming it, so one more read takes the rest of it.
            found += self._read()
            if self.pending:
                found.append(self.pending)
                self.pending = b""
            self.close()
            if now is None:
                return found

    def _read(self) -> list[bytes]:
        assert self.file is not None
        data = self.file.read()
        if not data:
            return []
        *found, self.pending = (self.pending + data).split(b"\n")
        return found

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def _open(path: Path) -> BinaryIO | None:
    try:
        return path.open("rb")
    except FileNotFoundError:
        return None


def _older_lines(previous: Path, newest: BinaryIO | None, lines: int) -> list[bytes]:
    """The last lines of ``NAME.log.1``, unless that is the file already read as ``NAME.log``
    (renamed between opening one and the other)."""
    older = _open(previous)
    if older is None:
        return []
    with older:
        mine = os.fstat(older.fileno())
        if newest is not None:
            theirs = os.fstat(newest.fileno())
            if (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino):
                return []
        return _last_lines(older, mine.st_size, lines)[0]


def _last_lines(
    file: BinaryIO, end: int, lines: int, *, complete: bool = False
) -> tuple[list[bytes], int]:
    """The last `lines` lines of ``file[:end]`` without their newlines, and where they end.

    A last line without its newline counts, unless `complete`: then it is left out and the
    offset returned is just past the last newline, where a follower goes on reading. The file
    is read backwards a block at a time, so a short tail of a big file costs one read.
    """
    start = end
    blocks: list[bytes] = []
    newlines = 0
    # One newline more than lines wanted: the text before it may be the end of a longer line.
    while start > 0 and newlines <= lines:
        size = min(_BLOCK, start)
        start -= size
        file.seek(start)
        block = file.read(size)
        blocks.append(block)
        newlines += block.count(b"\n")
    data = b"".join(reversed(blocks))
    stop = end
    if complete:
        cut = data.rfind(b"\n") + 1
        data = data[:cut]
        stop = start + cut
    if lines <= 0 or not data:
        return [], stop
    found = data.split(b"\n")
    if not found[-1]:
        found.pop()
    return found[-lines:], stop


def _decode(line: bytes) -> str:
    return line.decode("utf-8", "replace")

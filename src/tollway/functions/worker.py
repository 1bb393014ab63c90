"""One warm worker process: the host's side of ``runtime.py``.

A worker is Tollway's counterpart of a Lambda execution environment (sandbox): one process,
one invocation at a time, reused until the host ends it. It runs ``runtime.py`` in its own
process group, so that ending it (SIGKILL, as Lambda does) also ends what the function started.

Requests and responses go over a socket pair (frames in ``runtime.py``); the worker's fds 1 and
2 both go to one pipe, so output from C code and child processes is caught too, in the order it
was written. Everything is driven by ``loop.add_reader``: no threads, no blocking calls.

Output is attributed by position: the runtime flushes before it sends a response, so when the
response arrives, every byte the invocation wrote is already in the pipe, and draining the pipe
then (``take_output``) collects exactly the invocation's output. Output written during init
belongs to the first invocation; output written between invocations (a background thread)
belongs to the next one. The log sink gets each line as it arrives, under the request id of
the worker's current (or, between invocations, last) invocation.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
import signal
import socket
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path

from tollway.functions.interpreters import CURRENT_INTERPRETER, Interpreter
from tollway.functions.runtime import REQUEST, RESPONSE

RUNTIME = str(Path(__file__).resolve().with_name("runtime.py"))

LogSink = Callable[[str, str, str], None]  # (function name, request id, line)
logger = logging.getLogger(__name__)
Reply = tuple[int, bytes]  # (status, body)
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

_LOG_LIMIT = 1 << 20  # per invocation, the tail kept for InvokeResult.log (the sink sees all)
_READ_SIZE = 1 << 18


class Ending(enum.Enum):
    """How an invocation ended when the worker did not answer."""

    TIMED_OUT = "timed out"
    EXITED = "exited"
    OUT_OF_MEMORY = "out of memory"  # killed by the host for passing its memory limit


# Go's names (os.ProcessState.String()), which Lambda's "Runtime exited with error" uses.
_SIGNAL_NAMES = {
    "SIGHUP": "hangup",
    "SIGINT": "interrupt",
    "SIGQUIT": "quit",
    "SIGILL": "illegal instruction",
    "SIGTRAP": "trace/breakpoint trap",
    "SIGABRT": "aborted",
    "SIGBUS": "bus error",
    "SIGFPE": "floating point exception",
    "SIGKILL": "killed",
    "SIGUSR1": "user defined signal 1",
    "SIGSEGV": "segmentation fault",
    "SIGUSR2": "user defined signal 2",
    "SIGPIPE": "broken pipe",
    "SIGALRM": "alarm clock",
    "SIGTERM": "terminated",
    "SIGXCPU": "CPU time limit exceeded",
    "SIGXFSZ": "file size limit exceeded",
    "SIGVTALRM": "virtual timer expired",
    "SIGPROF": "profiling timer expired",
    "SIGSYS": "bad system call",
}


def describe_exit(returncode: int) -> str:
    """``exit status 3`` or ``signal: segmentation fault``, as Lambda words a runtime exit."""
    if returncode >= 0:
        return f"exit status {returncode}"
    try:
        name = _SIGNAL_NAMES.get(signal.Signals(-returncode).name, f"signal {-returncode}")
    except ValueError:
        name = f"signal {-returncode}"
    return f"signal: {name}"


class Worker:
    """A running ``runtime.py`` process. Create with ``await Worker.spawn(...)``."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        process: asyncio.subprocess.Process,
        control: socket.socket,
        output_fd: int,
        function_name: str,
        sink: LogSink,
        request_id: str,
    ) -> None:
        self.pid = process.pid
        self.alive = True  # False once it is being ended or has lost its control socket
        self.idle_since = 0.0  # loop time it last went idle (set by the pool)
        self.request_id = request_id  # the invocation printed lines are attributed to
        self.peak_kib = 0  # the process's peak resident memory, as of its last reply
        self._loop = loop
        self._process = process
        self._control = control
        self._output_fd = output_fd
        self._function_name = function_name
        self._sink = sink
        self._inbox = bytearray()
        self._outbox = memoryview(b"")
        self._pending: asyncio.Future[Reply | Ending] | None = loop.create_future()  # READY
        self._timer: asyncio.TimerHandle | None = None
        self._orphan: Reply | Ending | None = None  # an outcome whose caller was cancelled
        self._chunks: deque[bytes] = deque()
        self._chunks_size = 0
        self._partial = b""
        self._closed = False
        self._ending: asyncio.Task[int] | None = None
        control.setblocking(False)
        os.set_blocking(output_fd, False)
        loop.add_reader(control.fileno(), self._on_control)
        loop.add_reader(output_fd, self._on_output)

    @classmethod
    async def spawn(
        cls,
        *,
        function_name: str,
        env: Mapping[str, str],
        cwd: str,
        sink: LogSink,
        request_id: str,
        interpreter: Interpreter | None = None,
        source_only: bool = False,
    ) -> Worker:
        """Start the process (init runs in it from now on; ``ready`` waits for it).

        ``env["PYTHONPATH"]`` is handed to the runtime to apply after its own imports, so it
        is not in the environment the interpreter starts with.
        """
        interpreter = interpreter or CURRENT_INTERPRETER
        env = dict(env)
        pythonpath = env.pop("PYTHONPATH", "")
        parent, child = socket.socketpair()
        output_r, output_w = os.pipe()
        try:
            process = await asyncio.create_subprocess_exec(
                interpreter.path,
                interpreter.isolation_flag,
                "-u",
                RUNTIME,
                str(child.fileno()),
                pythonpath,
                "1" if source_only else "0",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output_w,
                stderr=output_w,
                pass_fds=(child.fileno(),),
                env=env,
                cwd=cwd,
                start_new_session=True,
            )
        except BaseException:
            parent.close()
            os.close(output_r)
            raise
        finally:
            child.close()
            os.close(output_w)
        return cls(
            asyncio.get_running_loop(), process, parent, output_r, function_name, sink, request_id
        )

    def rss_bytes(self) -> int:
        """The process's resident memory now (0 if it cannot be read: not Linux, or gone)."""
        try:
            with open(f"/proc/{self.pid}/statm", "rb") as statm:
                return int(statm.read().split()[1]) * _PAGE_SIZE
        except (OSError, IndexError, ValueError):
            return 0

    def _read_peak(self) -> None:
        # VmHWM: the peak resident memory, for the REPORT line of an invocation that never
        # replied (it timed out or was killed).
        try:
            with open(f"/proc/{self.pid}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"VmHWM:"):
                        self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                        return
        except (OSError, IndexError, ValueError):
            return

    def terminate(self, ending: Ending) -> None:
        """End the current invocation as ``ending`` (timeout, memory) and kill the worker."""
        self._read_peak()
        self.kill()
        self._resolve(ending)

    async def ready(self, limit: float) -> Ending | None:
        """Wait for init to finish; an Ending if the worker died or took over ``limit`` s."""
        pending = self._pending
        assert pending is not None
        if not pending.done():
            self._timer = self._loop.call_later(limit, self._on_timeout)
        outcome = await pending
        return outcome if isinstance(outcome, Ending) else None

    def call(
        self, request_id: str, invoked_arn: str, payload: bytes, timeout: float
    ) -> asyncio.Future[Reply | Ending]:
        """Send one invocation; the future resolves to the reply or to how it ended."""
        loop = self._loop
        pending: asyncio.Future[Reply | Ending] = loop.create_future()
        self.request_id = request_id
        if not self.alive:
            pending.set_result(Ending.EXITED)
            return pending
        self._pending = pending
        self._timer = loop.call_later(timeout, self._on_timeout)
        rid, arn = request_id.encode(), invoked_arn.encode()
        deadline_ms = (time.time() + timeout) * 1000
        frame = REQUEST.pack(len(payload), deadline_ms, len(rid), len(arn)) + rid + arn + payload
        try:
            sent = self._control.send(frame)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:  # the process is gone; the control reader reports it
            return pending
        if sent < len(frame):  # larger than the socket buffer: the rest as it drains
            self._outbox = memoryview(frame)[sent:]
            loop.add_writer(self._control.fileno(), self._on_writable)
        return pending

    def take_output(self) -> str:
        """Everything written since the last call, ending the last partial line."""
        self._drain()
        if self._partial:
            self._emit(self._partial)
            self._partial = b""
        if not self._chunks:
            return ""
        text = b"".join(self._chunks).decode("utf-8", "replace")
        self._chunks.clear()
        self._chunks_size = 0
        return text

    def kill(self) -> None:
        """SIGKILL the process group, as Lambda ends a sandbox."""
        self.alive = False
        if self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):  # in case it left its group
                os.kill(self.pid, signal.SIGKILL)

    def end(self, grace: float = 0.0) -> asyncio.Task[int]:
        """Kill the worker (after ``grace`` seconds, if it is exiting by itself) and reap it.

        The returned task gives the returncode; every call returns the same task, so the
        worker is reaped once whoever asks and even if they stop waiting.
        """
        if self._ending is None:
            self.alive = False
            self._ending = self._loop.create_task(self._end(grace))
        return self._ending

    async def _end(self, grace: float) -> int:
        process = self._process
        if process.returncode is None:
            timer = self._loop.call_later(grace, self.kill) if grace > 0 else None
            if timer is None:
                self.kill()
            try:
                await process.wait()
            finally:
                if timer is not None:
                    timer.cancel()
        self._close()
        returncode = process.returncode
        assert returncode is not None
        return returncode

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.alive = False
        loop = self._loop
        loop.remove_reader(self._control.fileno())
        if self._outbox:
            loop.remove_writer(self._control.fileno())
            self._outbox = memoryview(b"")
        self._control.close()
        self._drain()  # what the process wrote before it died
        loop.remove_reader(self._output_fd)
        os.close(self._output_fd)
        self._output_fd = -1
        self._resolve(Ending.EXITED)

    def rescue(self, abandoned: asyncio.Future[Reply | Ending]) -> asyncio.Future[Reply | Ending]:
        """The caller awaiting ``abandoned`` (from ``call``) was cancelled, which cancelled
        the future too; the invocation runs on. A future that gets its outcome instead.

        Cheaper than ``asyncio.shield`` around every call: the price is paid only by the
        callers that leave.
        """
        fresh: asyncio.Future[Reply | Ending] = self._loop.create_future()
        if not abandoned.cancelled():  # it completed before the cancellation reached the caller
            fresh.set_result(abandoned.result())
        elif self._pending is abandoned:
            self._pending = fresh
        else:  # it was resolved after it was cancelled
            assert self._orphan is not None
            fresh.set_result(self._orphan)
            self._orphan = None
        return fresh

    def _resolve(self, outcome: Reply | Ending) -> None:
        pending = self._pending
        if pending is None:  # a reply after a timeout: nobody is waiting
            return
        self._pending = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if pending.cancelled():
            self._orphan = outcome  # its caller left; rescue() hands it over
        elif not pending.done():
            pending.set_result(outcome)

    def _on_timeout(self) -> None:
        self._timer = None
        self.terminate(Ending.TIMED_OUT)

    def _on_control(self) -> None:
        try:
            data = self._control.recv(_READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.alive = False
            self._loop.remove_reader(self._control.fileno())
            self._resolve(Ending.EXITED)
            return
        inbox = self._inbox
        inbox += data
        while len(inbox) >= RESPONSE.size:
            size, status, self.peak_kib = RESPONSE.unpack_from(inbox)
            end = RESPONSE.size + size
            if len(inbox) < end:
                break
            body = bytes(inbox[RESPONSE.size : end])
            del inbox[:end]
            self._resolve((status, body))

    def _on_writable(self) -> None:
        try:
            sent = self._control.send(self._outbox)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # the process is gone; the control reader reports it
            sent = len(self._outbox)
        self._outbox = self._outbox[sent:]
        if not self._outbox:
            self._loop.remove_writer(self._control.fileno())

    def _on_output(self) -> None:
        try:
            data = os.read(self._output_fd, _READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            self._ingest(data)
        else:  # every writer is gone
            self._loop.remove_reader(self._output_fd)

    def _drain(self) -> None:
        # Bounded, in case a background process writes faster than this reads.
        for _ in range(64):
            if self._output_fd < 0:
                return
            try:
                data = os.read(self._output_fd, _READ_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:
                return
            self._ingest(data)

    def _ingest(self, data: bytes) -> None:
        chunks = self._chunks
        chunks.append(data)
        self._chunks_size += len(data)
        while self._chunks_size > _LOG_LIMIT and len(chunks) > 1:
            self._chunks_size -= len(chunks.popleft())
        lines = (self._partial + data).split(b"\n")
        partial = lines.pop()
        for line in lines:
            self._emit(line)
        if len(partial) > _READ_SIZE:  # a runaway line without newlines: pass it on anyway
            self._emit(partial)
            partial = b""
        self._partial = partial

    def _emit(self, line: bytes) -> None:
        try:
            self._sink(self._function_name, self.request_id, line.decode("utf-8", "replace"))
        except Exception:  # a broken sink must not cost the pool its worker
            logger.exception("log sink failed for function %s", self._function_name)

"""One warm worker process: the host's side of ``runtime.py``.

A worker is Tollway's counterpart of a Lambda execution environment (sandbox): one process,
one invocation at a time, reused until the host ends it. It runs ``runtime.py`` in its own
process group, so that ending it (SIGKILL, as Lambda does) also ends what the function started.

Requests and responses go over a socket pair (frames in ``runtime.py``); the worker's fds 1 and
2 both go to one pipe, so output from C code and child processes is caught too, in the order it
was written. Everything is driven by ``loop.add_reader``: no threads, no blocking calls.

Invocations may be queued: ``call`` sends a request at once even while another runs, and the
runtime takes them in order, one at a time (the host queues only behind short invocations; see
``host.py``). Each invocation's timeout starts when the one before it replies.

Output is attributed by marks: before each response the runtime writes ``OUTPUT_MARK`` to the
pipe, so what precedes the mark is that invocation's (init's, for the first), and what follows
belongs to the next. Output written between invocations (a background thread) belongs to the
next one. The log sink gets each line as it arrives, under the request id of the invocation it
belongs to (between invocations, the last one's). A function that closes its fd 1 loses the
marks: then an invocation's output is what arrived before its response was read.
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
from dataclasses import dataclass, field
from pathlib import Path

from tollway.functions.interpreters import CURRENT_INTERPRETER, Interpreter
from tollway.functions.runtime import FATAL, OUTPUT_MARK, REQUEST, RESPONSE

RUNTIME = str(Path(__file__).resolve().with_name("runtime.py"))

LogSink = Callable[[str, str, str], None]  # (function name, request id, line)
logger = logging.getLogger(__name__)
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

_LOG_LIMIT = 1 << 20  # per invocation, the tail kept for InvokeResult.log (the sink sees all)
_READ_SIZE = 1 << 18


class Ending(enum.Enum):
    """How an invocation ended when the worker did not answer."""

    TIMED_OUT = "timed out"
    EXITED = "exited"
    OUT_OF_MEMORY = "out of memory"  # killed by the host for passing its memory limit
    NOT_RUN = "not run"  # queued behind one that ended the worker: it never started


@dataclass(frozen=True, slots=True)
class Reply:
    """The runtime's answer to one invocation (for init: ``READY`` or ``FATAL``)."""

    status: int
    body: bytes
    output: str  # what the invocation wrote (stdout and stderr; the last MiB)
    peak_kib: int  # the process's peak resident memory so far
    duration_ms: float  # measured by the runtime, around the handler


Outcome = Reply | Ending


@dataclass(eq=False, slots=True)
class _Call:
    request_id: str
    timeout: float | None  # seconds; None for init, whose limit ready() sets
    future: asyncio.Future[Outcome]
    output: deque[bytes] = field(default_factory=deque)
    output_size: int = 0


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
        self.began = time.perf_counter()  # when the running invocation (or init) started
        self.peak_kib = 0  # the process's peak resident memory, as of its last reply
        self.init_output = ""  # what init wrote, once ready() has returned
        self._loop = loop
        self._process = process
        self._control = control
        self._output_fd = output_fd
        self._function_name = function_name
        self._sink = sink
        self._inbox = bytearray()
        self._outbox = memoryview(b"")
        # Sent and unanswered, the running one first; init is the first, answered by READY.
        self._calls: deque[_Call] = deque([_Call(request_id, None, loop.create_future())])
        self._owner = 0  # index in _calls of the call new output belongs to; past the end: spare
        self._spare: deque[bytes] = deque()  # between invocations, or after the worker died
        self._spare_size = 0
        self._last_request_id = request_id
        self._held = b""  # the end of the output read so far, if it may be part of a mark
        self._partial = b""  # the last line read, until its end arrives
        self._timer: asyncio.TimerHandle | None = None
        self._orphans: dict[asyncio.Future[Outcome], Outcome] = {}  # callers were cancelled
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
        is not in the environment the interpreter starts with. Init's output is logged under
        ``request_id``, the invocation the worker is started for.
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

    @property
    def pending(self) -> int:
        """Invocations sent and not yet answered, the running one included."""
        return len(self._calls)

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

    def terminate(self, ending: Ending, *, replied: bool = False) -> None:
        """End the running invocation as ``ending`` (timeout, memory) and kill the worker.

        ``replied``: the invocation to end has replied already (it passed its memory limit
        on the way); those after it count as never run, even the one that just started.
        """
        self._read_peak()
        self.kill()
        self._fail(Ending.NOT_RUN if replied else ending)

    async def ready(self, limit: float) -> Ending | None:
        """Wait for init to finish; an Ending if the worker died or took over ``limit`` s."""
        init = self._calls[0] if self._calls and self._calls[0].timeout is None else None
        if init is None:  # already answered, or the worker died
            return None if self.alive else Ending.EXITED
        self._timer = self._loop.call_later(limit, self._on_timeout)
        outcome = await init.future
        if isinstance(outcome, Ending):
            return outcome
        self.init_output = outcome.output
        return None

    def call(
        self, request_id: str, invoked_arn: str, payload: bytes, timeout: float
    ) -> asyncio.Future[Outcome]:
        """Send one invocation; the future resolves to the reply or to how it ended. It runs
        after those already sent."""
        loop = self._loop
        future: asyncio.Future[Outcome] = loop.create_future()
        if not self.alive:
            future.set_result(Ending.NOT_RUN)
            return future
        call = _Call(request_id, timeout, future)
        calls = self._calls
        calls.append(call)
        if self._owner == len(calls) - 1 and self._spare:  # it gets what was written meanwhile
            call.output, call.output_size = self._spare, self._spare_size
            self._spare, self._spare_size = deque(), 0
        if len(calls) == 1:
            self._begin(call)
        rid, arn = request_id.encode(), invoked_arn.encode()
        frame = REQUEST.pack(len(payload), timeout * 1000, len(rid), len(arn)) + rid + arn
        frame += payload
        if self._outbox:  # earlier frames are still waiting for the socket
            self._outbox = memoryview(bytes(self._outbox) + frame)
            return future
        try:
            sent = self._control.send(frame)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:  # the process is gone; the control reader reports it
            return future
        if sent < len(frame):  # larger than the socket buffer: the rest as it drains
            self._outbox = memoryview(frame)[sent:]
            loop.add_writer(self._control.fileno(), self._on_writable)
        return future

    def take_output(self) -> str:
        """After the worker died: what its last invocation wrote that no reply took."""
        self._drain()
        self._release_held()
        self._end_line()
        if not self._spare:
            return ""
        text = b"".join(self._spare).decode("utf-8", "replace")
        self._spare.clear()
        self._spare_size = 0
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
        self._fail(Ending.EXITED)
        self._drain()  # what the process wrote before it died
        loop.remove_reader(self._output_fd)
        os.close(self._output_fd)
        self._output_fd = -1

    def rescue(self, abandoned: asyncio.Future[Outcome]) -> asyncio.Future[Outcome]:
        """The caller awaiting ``abandoned`` (from ``call``) was cancelled, which cancelled
        the future too; the invocation runs on. A future that gets its outcome instead.

        Cheaper than ``asyncio.shield`` around every call: the price is paid only by the
        callers that leave.
        """
        fresh: asyncio.Future[Outcome] = self._loop.create_future()
        if not abandoned.cancelled():  # it completed before the cancellation reached the caller
            fresh.set_result(abandoned.result())
            return fresh
        for call in self._calls:
            if call.future is abandoned:
                call.future = fresh
                return fresh
        fresh.set_result(self._orphans.pop(abandoned))  # it was resolved after it was cancelled
        return fresh

    # -- invocations ---------------------------------------------------------------------------

    def _begin(self, call: _Call) -> None:
        """``call`` is running now: its timeout starts."""
        self.began = time.perf_counter()
        assert call.timeout is not None
        self._timer = self._loop.call_later(call.timeout, self._on_timeout)

    def _resolve(self, future: asyncio.Future[Outcome], outcome: Outcome) -> None:
        if future.cancelled():
            self._orphans[future] = outcome  # its caller left; rescue() hands it over
        elif not future.done():
            future.set_result(outcome)

    def _answer(self, status: int, body: bytes, peak_kib: int, duration_ms: float) -> None:
        """The running invocation replied: it is done, and the next one (if any) runs."""
        calls = self._calls
        if not calls:  # a reply after a timeout: nobody is waiting
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._owner == 0:  # its mark, written before the reply, is still in the pipe
            self._drain()
        if self._owner == 0:  # no mark (its fd 1 is closed): what arrived so far is its
            self._end_line()
        call = calls.popleft()
        self._owner = max(self._owner - 1, 0)
        self._last_request_id = call.request_id
        self.peak_kib = peak_kib
        output = b"".join(call.output).decode("utf-8", "replace") if call.output else ""
        self._resolve(call.future, Reply(status, body, output, peak_kib, duration_ms))
        if status == FATAL:  # init failed; the runtime exits now
            self.alive = False
            self._fail(Ending.NOT_RUN)
        elif calls:
            self._begin(calls[0])

    def _fail(self, ending: Ending) -> None:
        """The worker is ending: the running invocation ends as ``ending``, those queued behind
        it never ran. Output from now on is the running one's (``take_output``)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        calls = self._calls
        for index, call in enumerate(calls):
            if call.output:  # its output so far, or what was written for it meanwhile
                self._spare.extend(call.output)
                self._spare_size += call.output_size
            self._resolve(call.future, ending if index == 0 else Ending.NOT_RUN)
        if calls:
            self._last_request_id = calls[0].request_id
        calls.clear()
        self._owner = 0

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
            self._fail(Ending.EXITED)
            return
        inbox = self._inbox
        inbox += data
        while len(inbox) >= RESPONSE.size:
            size, status, peak_kib, duration_ms = RESPONSE.unpack_from(inbox)
            end = RESPONSE.size + size
            if len(inbox) < end:
                break
            body = bytes(inbox[RESPONSE.size : end])
            del inbox[:end]
            self._answer(status, body, peak_kib, duration_ms)

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

    # -- output --------------------------------------------------------------------------------

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
            if len(data) < _READ_SIZE:  # the pipe was empty: no second read to learn that
                return

    def _ingest(self, data: bytes) -> None:
        """Split what was read at the marks and hand each piece to the call it belongs to."""
        if data == OUTPUT_MARK and not self._held:  # the usual: an invocation that printed nothing
            self._end_line()
            self._owner += 1
            return
        if self._held:
            data, self._held = self._held + data, b""
        mark = data.find(OUTPUT_MARK)
        while mark >= 0:
            if mark:
                self._keep(data[:mark])
            self._end_line()
            self._owner += 1
            data = data[mark + len(OUTPUT_MARK) :]
            mark = data.find(OUTPUT_MARK)
        # A read may end inside a mark; its start waits for the next read (or take_output).
        tail = data.rfind(b"\x00", -len(OUTPUT_MARK) + 1)
        if tail >= 0 and OUTPUT_MARK.startswith(data[tail:]):
            data, self._held = data[:tail], data[tail:]
        if data:
            self._keep(data)

    def _release_held(self) -> None:
        if self._held:
            held, self._held = self._held, b""
            self._keep(held)

    def _owner_call(self) -> _Call | None:
        return self._calls[self._owner] if self._owner < len(self._calls) else None

    def _keep(self, data: bytes) -> None:
        call = self._owner_call()
        if call is None:
            chunks = self._spare
            self._spare_size += len(data)
            size = self._spare_size
        else:
            chunks = call.output
            call.output_size += len(data)
            size = call.output_size
        chunks.append(data)
        while size > _LOG_LIMIT and len(chunks) > 1:
            size -= len(chunks.popleft())
        if call is None:
            self._spare_size = size
        else:
            call.output_size = size
        lines = (self._partial + data).split(b"\n")
        partial = lines.pop()
        for line in lines:
            self._emit(line)
        if len(partial) > _READ_SIZE:  # a runaway line without newlines: pass it on anyway
            self._emit(partial)
            partial = b""
        self._partial = partial

    def _end_line(self) -> None:
        """The output of the call that owns it ends here: so does its last line."""
        if self._partial:
            self._emit(self._partial)
            self._partial = b""

    def _emit(self, line: bytes) -> None:
        call = self._owner_call()
        request_id = call.request_id if call is not None else self._last_request_id
        try:
            self._sink(self._function_name, request_id, line.decode("utf-8", "replace"))
        except Exception:  # a broken sink must not cost the pool its worker
            logger.exception("log sink failed for function %s", self._function_name)

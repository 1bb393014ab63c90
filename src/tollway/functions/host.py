"""FunctionHost: runs Python Lambda functions in pools of warm worker processes.

Tollway's counterpart of the Lambda service's invoke path, which places each invocation in an
execution environment: reusing an idle one of the function's current version and
configuration, or creating one (a cold start: process spawn and handler import) while the
function is under its concurrency limit. Each worker runs one invocation at a time.

Pools are per function name and revision. A new revision retires the old pool: its idle
workers end at once, its busy ones when their invocation finishes, and only the new revision's
workers are used from then on (its concurrency limit counts the new pool alone). Idle workers
are reused last-in first-out, so the warmest serves and the rest age out after
``idle_timeout`` seconds idle. At the limit, callers queue first-in first-out: in the host, or,
while the function's invocations are short (under ``QUEUE_BELOW_MS`` on average), in the socket
of the busy worker with the shortest queue, which saves a round of context switches per call
(the worker still runs them one at a time; one that never started because the worker died
before it runs on another).

Pools are per function version (``$LATEST``, ``1``, ...), as Lambda keeps execution
environments per version. A function's concurrency is counted across its versions: with
reserved concurrency (PutFunctionConcurrency) an invocation beyond it is refused at once
(``FunctionThrottled``, Lambda's TooManyRequestsException); without, the host's
``max_concurrency`` bounds each pool and further callers queue — a laptop cannot run
Lambda's 1,000 concurrent environments, and queueing is kinder than throttling there.

Errors are Lambda's: the function's own (``Unhandled``, payload from the runtime), a timeout
(``Sandbox.Timedout``; the worker is killed), a runtime exit (``Runtime.ExitError``) and
running out of memory (``Runtime.OutOfMemory``): a worker whose resident memory passes the
function's MemorySize is killed, as Lambda's cgroup kills the sandbox. Memory is checked on
every reply (the runtime reports its peak) and every 50 ms while an invocation runs.

Each invocation is logged as Lambda logs it: ``START``, the function's output, ``END`` and a
``REPORT`` line with its duration, billed duration, memory size, peak memory and, on a cold
start, the init duration. The lines go to the log sink as they happen (``tollway logs
--follow``) and, whole, into ``InvokeResult.log`` (Invoke's ``LogType: Tail``). The
init phase gets Lambda's 10 seconds or the function's timeout if that is longer, as AWS
retries a slow init within the invocation. A caller that stops waiting (cancellation) does
not stop the invocation: as on Lambda it runs to its end, then its worker returns to the pool.
Errors of the host itself (a missing code directory, a closed host) are raised.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from tollway.functions import report
from tollway.functions.environment import lambda_environment, log_stream_name
from tollway.functions.errors import FunctionThrottled
from tollway.functions.interpreters import CURRENT_INTERPRETER, Interpreter
from tollway.functions.runtime import FATAL, OK
from tollway.functions.worker import Ending, Outcome, Worker, describe_exit
from tollway.model import ids

INIT_TIMEOUT = 10.0  # seconds; Lambda's limit for the init phase
MEMORY_CHECK_INTERVAL = 0.05  # seconds between resident-memory checks of busy workers
_EXIT_GRACE = 1.0  # seconds a worker that closed its socket gets to exit by itself
# At the limit, an invocation may queue in a busy worker's socket (at most this many deep)
# rather than wait for any worker to free, while the function's invocations last under this.
QUEUE_DEPTH = 16
QUEUE_BELOW_MS = 1.0
_CLOSED = "FunctionHost is closed"

LogSink = Callable[[str, str], None]  # (function name, complete lines of log text)


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """What a worker needs to know about a function (one version of its configuration)."""

    name: str
    arn: str
    version: str
    handler: str  # "app.handler" or "pkg/mod.handler"
    code_dir: Path  # the unpacked code; LAMBDA_TASK_ROOT
    runtime: str = "python3.11"
    timeout: float = 3.0
    memory_size: int = 128
    environment: Mapping[str, str] = field(default_factory=dict)
    region: str = "us-east-1"
    revision: str = ""  # changes with code or configuration; older revisions' workers end
    reserved_concurrency: int | None = None  # PutFunctionConcurrency; None: the host's limit
    layer_dirs: tuple[Path, ...] = ()  # unpacked layers, in the function's Layers order
    interpreter: Interpreter = CURRENT_INTERPRETER
    development: bool = False  # code_dir is a directory the user edits: import from source

    @property
    def pool_key(self) -> str:
        return f"{self.name}:{self.version}"


@dataclass(frozen=True, slots=True)
class InvokeResult:
    """One invocation's outcome, as Lambda's Invoke response carries it."""

    payload: bytes  # the handler's JSON result, or Lambda's error object
    function_error: str | None  # None on success, else "Unhandled" (X-Amz-Function-Error)
    log: str  # START, what the function printed (stdout+stderr; last MiB), END, REPORT
    executed_version: str


class _ColdStartFailed(Exception):
    """The worker died or overran its init before it could take the invocation."""

    def __init__(self, result: InvokeResult) -> None:
        super().__init__(result.payload.decode())
        self.result = result


@dataclass(eq=False, slots=True)
class _Pool:
    revision: str
    idle: list[Worker] = field(default_factory=list)  # oldest first; taken from the end
    size: int = 0  # workers alive or starting
    waiters: deque[asyncio.Future[Worker | None]] = field(default_factory=deque)
    retired: bool = False
    busy: set[Worker] = field(default_factory=set)  # running (and maybe queued) invocations
    recent_ms: float = math.inf  # invocation durations, a moving average

    def queue_target(self) -> Worker | None:
        """The busy worker with the shortest queue, when invocations may queue in one."""
        if self.retired or self.recent_ms >= QUEUE_BELOW_MS or not self.busy:
            return None
        worker = min(self.busy, key=_pending)
        return worker if worker.alive and worker.pending < QUEUE_DEPTH else None


def _pending(worker: Worker) -> int:
    return worker.pending


def _log_text(function_name: str, text: str) -> None:
    logger = logging.getLogger(f"tollway.functions.{function_name}")
    for line in text.splitlines():
        logger.info(line)


def _echo_line(function_name: str, request_id: str, line: str) -> None:
    # The function's own output on the server's console too, as `sam local` shows it.
    logging.getLogger(f"tollway.functions.{function_name}").info(
        line, extra={"aws_request_id": request_id}
    )


@dataclass(eq=False, slots=True)
class _Invocation:
    """What the host tracks of one invocation in flight, for its log lines."""

    spec: FunctionSpec
    request_id: str
    init_ms: float | None  # the cold start's init duration, None when warm
    init_output: str  # what init printed (a cold start's output before START)
    start: str = field(init=False)  # its START line

    def __post_init__(self) -> None:
        self.start = report.start(self.request_id, self.spec.version)


def _whole_lines(output: str) -> str:
    # Output that did not end its last line still ends before the platform's next line.
    return output + "\n" if output and not output.endswith("\n") else output


def _error_payload(error_type: str, message: str) -> bytes:
    # Errors of the Lambda service itself, which writes compact JSON.
    body = {"errorType": error_type, "errorMessage": message}
    return json.dumps(body, separators=(",", ":")).encode()


class FunctionHost:
    """The worker pools of every hosted Python function; one per server, on its event loop."""

    def __init__(
        self,
        *,
        max_concurrency: int = 10,
        idle_timeout: float = 300.0,
        log_sink: LogSink | None = None,
        echo_output: bool = True,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._max = max_concurrency
        self._idle_timeout = idle_timeout
        self._reap_interval = min(max(idle_timeout / 4, 0.01), 30.0)
        self._log = log_sink or _log_text
        self._echo = echo_output and log_sink is not None
        self._pools: dict[str, _Pool] = {}
        self._in_flight: dict[str, int] = {}  # by function name, across its versions
        self._workers: set[Worker] = set()
        self._busy: dict[Worker, int] = {}  # worker -> its memory limit in bytes
        self._unannounced: dict[str, str] = {}  # request id -> START line not yet logged
        self._tasks: set[asyncio.Task[Any]] = set()
        self._reaper: asyncio.TimerHandle | None = None
        self._memory_check: asyncio.TimerHandle | None = None
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None

    async def invoke(
        self,
        spec: FunctionSpec,
        payload: bytes,
        *,
        request_id: str | None = None,
        invoked_arn: str | None = None,
    ) -> InvokeResult:
        """Invoke the function synchronously (RequestResponse), as Lambda's Invoke does.

        Raises FunctionThrottled when the function is at its reserved concurrency.
        """
        if self._closed:
            raise RuntimeError(_CLOSED)
        if self._loop is None:
            # Kept: asyncio.get_running_loop() makes a getpid() system call every time.
            self._loop = asyncio.get_running_loop()
        request_id = request_id or ids.request_id()
        in_flight = self._in_flight.get(spec.name, 0)
        if spec.reserved_concurrency is not None and in_flight >= spec.reserved_concurrency:
            raise FunctionThrottled(spec.name, spec.reserved_concurrency)
        self._in_flight[spec.name] = in_flight + 1
        return await self._run(self._pool_for(spec), spec, payload, request_id, invoked_arn)

    async def _run(
        self,
        pool: _Pool,
        spec: FunctionSpec,
        payload: bytes,
        request_id: str,
        invoked_arn: str | None,
    ) -> InvokeResult:
        """Run an invocation counted in ``_in_flight`` on a worker of ``pool``; again on
        another if it was queued behind one that ended its worker."""
        while True:
            if self._closed:
                self._leave(spec.name)
                raise RuntimeError(_CLOSED)
            try:
                worker, init_ms = await self._acquire(pool, spec, request_id)
            except _ColdStartFailed as failure:
                self._leave(spec.name)
                return failure.result
            except BaseException:
                self._leave(spec.name)
                raise
            invocation = _Invocation(
                spec, request_id, init_ms, worker.init_output if init_ms is not None else ""
            )
            # START is logged with the first line the function prints, or with END: one write
            # to the log for an invocation that prints nothing.
            self._unannounced[request_id] = invocation.start
            pending = worker.call(request_id, invoked_arn or spec.arn, payload, spec.timeout)
            pool.busy.add(worker)
            self._watch_memory(worker, spec)
            if pool.waiters:
                self._feed(pool)
            try:
                outcome = await pending
            except asyncio.CancelledError:
                rescued = worker.rescue(pending)
                rescued.add_done_callback(
                    partial(self._finish_abandoned, pool, worker, invocation, payload, invoked_arn)
                )
                raise
            if outcome is not Ending.NOT_RUN:
                return await self._finish(pool, worker, invocation, outcome)
            self._settle(pool, worker)

    async def retire(self, function_name: str) -> None:
        """End the function's workers (every version): idle ones now, busy ones when their
        invocation ends."""
        prefix = function_name + ":"
        pools = [key for key in self._pools if key.startswith(prefix)]
        await asyncio.gather(*(t for key in pools for t in self._retire(self._pools.pop(key))))

    async def close(self) -> None:
        """End every worker (in-flight invocations get Runtime.ExitError) and reap them."""
        self._closed = True
        for timer in (self._reaper, self._memory_check):
            if timer is not None:
                timer.cancel()
        self._reaper = self._memory_check = None
        for pool in self._pools.values():
            self._fail_waiters(pool)
        for worker in list(self._workers):
            self._end(worker)
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def in_flight(self, function_name: str) -> int:
        """Invocations of the function running or waiting for a worker now."""
        return self._in_flight.get(function_name, 0)

    # -- pool ----------------------------------------------------------------------------------

    def _pool_for(self, spec: FunctionSpec) -> _Pool:
        key = spec.pool_key
        pool = self._pools.get(key)
        if pool is None or pool.revision != spec.revision:
            if pool is not None:
                self._retire(pool)
            pool = self._pools[key] = _Pool(spec.revision)
        return pool

    def _leave(self, function_name: str) -> None:
        left = self._in_flight[function_name] - 1
        if left:
            self._in_flight[function_name] = left
        else:
            del self._in_flight[function_name]

    def _retire(self, pool: _Pool) -> list[asyncio.Task[int]]:
        pool.retired = True
        idle, pool.idle = pool.idle, []
        pool.size -= len(idle)
        return [self._end(worker) for worker in idle]

    def _limit(self, spec: FunctionSpec) -> int:
        # Reserved concurrency is the user's explicit bound (invocations beyond it are refused
        # before they get here); otherwise the host's own.
        reserved = spec.reserved_concurrency
        return reserved if reserved is not None else self._max

    async def _acquire(
        self, pool: _Pool, spec: FunctionSpec, request_id: str
    ) -> tuple[Worker, float | None]:
        """A warm worker (init None) or a new one and its init duration in ms."""
        while pool.idle:
            worker = pool.idle.pop()
            if worker.alive:
                return worker, None
            self._end(worker)  # it died while idle
            pool.size -= 1
        if pool.size < self._limit(spec):
            pool.size += 1
            return await self._start(pool, spec, request_id)
        busy = None if pool.waiters else pool.queue_target()  # first come, first served
        if busy is not None:
            return busy, None
        waiter: asyncio.Future[Worker | None] = asyncio.get_running_loop().create_future()
        pool.waiters.append(waiter)
        try:
            granted = await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed over as we were cancelled
                self._hand_back(pool, waiter.result())
            raise
        if granted is not None and granted.alive:
            return granted, None
        if granted is not None:  # it died after it was handed over; start one in its place
            self._end(granted)
        return await self._start(pool, spec, request_id)

    def _settle(self, pool: _Pool, worker: Worker) -> None:
        """An invocation on ``worker`` is over; it goes back to the pool once all are."""
        if worker.pending:
            self._feed(pool)
            return
        self._busy.pop(worker, None)
        pool.busy.discard(worker)
        if worker.alive:
            self._release(pool, worker)
        # A dead worker's slot is freed by the invocation it died in (_report).

    def _feed(self, pool: _Pool) -> None:
        """The first waiter may queue in a busy worker; once it has, it feeds the next."""
        target = pool.queue_target() if pool.waiters else None
        while target is not None and pool.waiters:
            waiter = pool.waiters.popleft()
            if not waiter.done():
                waiter.set_result(target)
                return

    def _release(self, pool: _Pool, worker: Worker) -> None:
        if worker.pending:  # handed back by a waiter that left, while it runs others
            self._feed(pool)
            return
        if not worker.alive or self._closed:
            self._discard(pool, worker)
            return
        while pool.waiters:
            waiter = pool.waiters.popleft()
            if not waiter.done():
                waiter.set_result(worker)
                return
        if pool.retired:
            self._discard(pool, worker)
            return
        loop = self._loop or asyncio.get_running_loop()
        worker.idle_since = loop.time()
        pool.idle.append(worker)
        if self._reaper is None:
            self._reaper = loop.call_later(self._reap_interval, self._reap)

    def _discard(self, pool: _Pool, worker: Worker) -> None:
        self._end(worker)
        self._free_slot(pool)

    def _free_slot(self, pool: _Pool) -> None:
        """A worker is gone: the first waiter may start one in its place."""
        if self._closed:
            self._fail_waiters(pool)
        while pool.waiters:
            waiter = pool.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        pool.size -= 1

    def _hand_back(self, pool: _Pool, granted: Worker | None) -> None:
        if granted is None:
            self._free_slot(pool)
        else:
            self._release(pool, granted)

    def _fail_waiters(self, pool: _Pool) -> None:
        while pool.waiters:
            waiter = pool.waiters.popleft()
            if not waiter.done():
                waiter.set_exception(RuntimeError(_CLOSED))

    def _reap(self) -> None:
        """End workers idle longer than idle_timeout; Lambda reclaims idle sandboxes too."""
        self._reaper = None
        loop = asyncio.get_running_loop()
        expired_before = loop.time() - self._idle_timeout
        any_idle = False
        for pool in self._pools.values():
            idle = pool.idle
            expired = 0
            while expired < len(idle) and idle[expired].idle_since <= expired_before:
                expired += 1
            for worker in idle[:expired]:
                self._end(worker)
            del idle[:expired]
            pool.size -= expired
            any_idle = any_idle or bool(idle)
        if any_idle:
            self._reaper = loop.call_later(self._reap_interval, self._reap)

    # -- memory --------------------------------------------------------------------------------

    def _watch_memory(self, worker: Worker, spec: FunctionSpec) -> None:
        self._busy[worker] = spec.memory_size * 1024 * 1024
        if self._memory_check is None:
            loop = self._loop or asyncio.get_running_loop()
            self._memory_check = loop.call_later(MEMORY_CHECK_INTERVAL, self._check_memory)

    def _check_memory(self) -> None:
        """Kill busy workers over their memory limit; runs only while invocations do."""
        self._memory_check = None
        for worker, limit in list(self._busy.items()):
            if worker.alive and worker.rss_bytes() > limit:
                worker.terminate(Ending.OUT_OF_MEMORY)
        if self._busy and not self._closed:
            self._memory_check = asyncio.get_running_loop().call_later(
                MEMORY_CHECK_INTERVAL, self._check_memory
            )

    # -- workers -------------------------------------------------------------------------------

    async def _start(
        self, pool: _Pool, spec: FunctionSpec, request_id: str
    ) -> tuple[Worker, float]:
        """Cold start in the slot already counted in ``pool.size``."""
        task = self._track(self._spawn(spec, request_id))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            # The caller left; the worker it was starting serves the next one.
            task.add_done_callback(partial(self._adopt, pool))
            raise
        except BaseException:
            self._free_slot(pool)
            raise

    def _adopt(self, pool: _Pool, task: asyncio.Task[tuple[Worker, float]]) -> None:
        if task.cancelled() or task.exception() is not None:
            self._free_slot(pool)
        else:
            self._release(pool, task.result()[0])

    async def _spawn(self, spec: FunctionSpec, request_id: str) -> tuple[Worker, float]:
        if self._closed:
            raise RuntimeError(_CLOSED)
        started = time.perf_counter()
        env = lambda_environment(spec, log_stream_name(spec.version))
        worker = await Worker.spawn(
            function_name=spec.name,
            env=env,
            cwd=env["LAMBDA_TASK_ROOT"],
            sink=self._on_output,
            request_id=request_id,
            interpreter=spec.interpreter,
            source_only=spec.development,
        )
        self._workers.add(worker)
        try:
            if self._closed:
                raise RuntimeError(_CLOSED)
            ending = await worker.ready(max(INIT_TIMEOUT, spec.timeout))
        except BaseException:
            self._end(worker)
            raise
        init_ms = (time.perf_counter() - started) * 1000
        if ending is not None:
            invocation = _Invocation(spec, request_id, init_ms, "")
            self._unannounced[request_id] = invocation.start
            raise _ColdStartFailed(await self._report(worker, invocation, ending))
        return worker, init_ms

    def _on_output(self, function_name: str, request_id: str, line: str) -> None:
        self._log(function_name, self._unannounced.pop(request_id, "") + line + "\n")
        if self._echo:
            _echo_line(function_name, request_id, line)

    async def _finish(
        self, pool: _Pool, worker: Worker, invocation: _Invocation, outcome: Outcome
    ) -> InvokeResult:
        spec = invocation.spec
        try:
            if isinstance(outcome, Ending):
                self._busy.pop(worker, None)
                pool.busy.discard(worker)
                try:
                    return await self._report(worker, invocation, outcome)
                finally:
                    self._free_slot(pool)
            if outcome.peak_kib * 1024 > spec.memory_size * 1024 * 1024:
                # It replied, but passed its limit on the way: Lambda would have killed it.
                worker.terminate(Ending.OUT_OF_MEMORY, replied=True)
                self._busy.pop(worker, None)
                pool.busy.discard(worker)
                try:
                    return await self._report(
                        worker, invocation, Ending.OUT_OF_MEMORY, outcome.output
                    )
                finally:
                    self._free_slot(pool)
            recent = pool.recent_ms
            pool.recent_ms = (
                outcome.duration_ms
                if recent == math.inf
                else recent * 0.9 + outcome.duration_ms * 0.1
            )
            if outcome.status == FATAL:  # init failed: the runtime exits, as AWS's does then
                self._busy.pop(worker, None)
                pool.busy.discard(worker)
                self._discard(pool, worker)
            else:
                self._settle(pool, worker)
            output = _whole_lines(outcome.output)
            log = self._close_log(invocation, outcome.peak_kib, output, None, outcome.duration_ms)
            error = None if outcome.status == OK else "Unhandled"
            return InvokeResult(outcome.body, error, log, spec.version)
        finally:
            self._leave(spec.name)

    def _finish_abandoned(
        self,
        pool: _Pool,
        worker: Worker,
        invocation: _Invocation,
        payload: bytes,
        invoked_arn: str | None,
        pending: asyncio.Future[Outcome],
    ) -> None:
        outcome = pending.result()
        if outcome is Ending.NOT_RUN:  # nobody waits for it, but Lambda runs it all the same
            self._settle(pool, worker)
            spec = invocation.spec
            self._track(self._run(pool, spec, payload, invocation.request_id, invoked_arn))
        else:
            self._track(self._finish(pool, worker, invocation, outcome))

    def _close_log(
        self,
        invocation: _Invocation,
        peak_kib: int,
        output: str,
        failure: str | None,
        duration_ms: float,
    ) -> str:
        """Log END and REPORT; the invocation's whole log, as Invoke's Tail returns it."""
        spec = invocation.spec
        end = report.end(invocation.request_id) + report.report(
            invocation.request_id,
            duration_ms=duration_ms,
            memory_size=spec.memory_size,
            max_memory_used_mb=peak_kib // 1024,
            init_ms=invocation.init_ms,
            failure=failure,
        )
        self._log(spec.name, self._unannounced.pop(invocation.request_id, "") + end)
        return invocation.init_output + invocation.start + output + end

    async def _report(
        self, worker: Worker, invocation: _Invocation, ending: Ending, output: str | None = None
    ) -> InvokeResult:
        """Reap a worker that timed out, exited or ran out of memory: Lambda's error for the
        invocation, and its log (``output``: what it printed, if it replied)."""
        spec, request_id = invocation.spec, invocation.request_id
        grace = _EXIT_GRACE if ending is Ending.EXITED else 0.0
        returncode = await asyncio.shield(self._end(worker, grace))
        if output is None:  # what it wrote before it died
            output = worker.take_output()
        output = _whole_lines(output)
        if ending is Ending.TIMED_OUT:
            # Lambda's REPORT says `Status: timeout`; it no longer logs a separate line.
            error_type = "Sandbox.Timedout"
            message = f"Task timed out after {spec.timeout:.2f} seconds"
        elif ending is Ending.OUT_OF_MEMORY:
            error_type = "Runtime.OutOfMemory"
            message = "Runtime exited with error: signal: killed"
        else:
            error_type = "Runtime.ExitError"
            message = "Runtime exited with error: " + describe_exit(returncode)
        if ending is not Ending.TIMED_OUT:
            output += report.exit_line(request_id, message, error_type)
        payload = _error_payload(error_type, f"RequestId: {request_id} Error: {message}")
        failure = "timeout" if ending is Ending.TIMED_OUT else error_type
        # A timed-out invocation lasted exactly its timeout, as Lambda reports it.
        if ending is Ending.TIMED_OUT:
            duration = spec.timeout * 1000
        else:
            duration = (time.perf_counter() - worker.began) * 1000
        log = self._close_log(invocation, worker.peak_kib, output, failure, duration)
        return InvokeResult(payload, "Unhandled", log, spec.version)

    def _end(self, worker: Worker, grace: float = 0.0) -> asyncio.Task[int]:
        self._busy.pop(worker, None)
        task = worker.end(grace)
        if worker in self._workers:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            task.add_done_callback(lambda _: self._workers.discard(worker))
        return task

    def _track(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

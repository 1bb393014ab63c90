"""FunctionHost: runs Python Lambda functions in pools of warm worker processes.

Tollway's counterpart of the Lambda service's invoke path, which places each invocation in an
execution environment: reusing an idle one of the function's current version and
configuration, or creating one (a cold start: process spawn and handler import) while the
function is under its concurrency limit. Each worker runs one invocation at a time.

Pools are per function name and revision. A new revision retires the old pool: its idle
workers end at once, its busy ones when their invocation finishes, and only the new revision's
workers are used from then on (its concurrency limit counts the new pool alone). Idle workers
are reused last-in first-out, so the warmest serves and the rest age out after
``idle_timeout`` seconds idle. At the limit, callers queue first-in first-out.

Errors are Lambda's: the function's own (``Unhandled``, payload from the runtime), a timeout
(``Sandbox.Timedout``; the worker is killed) and a runtime exit (``Runtime.ExitError``). The
init phase gets Lambda's 10 seconds or the function's timeout if that is longer, as AWS
retries a slow init within the invocation. A caller that stops waiting (cancellation) does
not stop the invocation: as on Lambda it runs to its end, then its worker returns to the pool.
Errors of the host itself (a missing code directory, a closed host) are raised.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import deque
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from tollway.functions.environment import lambda_environment, log_stream_name
from tollway.functions.runtime import FATAL, OK
from tollway.functions.worker import Ending, LogSink, Reply, Worker, describe_exit

INIT_TIMEOUT = 10.0  # seconds; Lambda's limit for the init phase
_EXIT_GRACE = 1.0  # seconds a worker that closed its socket gets to exit by itself
_CLOSED = "FunctionHost is closed"


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


@dataclass(frozen=True, slots=True)
class InvokeResult:
    """One invocation's outcome, as Lambda's Invoke response carries it."""

    payload: bytes  # the handler's JSON result, or Lambda's error object
    function_error: str | None  # None on success, else "Unhandled" (X-Amz-Function-Error)
    log: str  # what the function printed during the invocation (stdout+stderr; last MiB)
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


def _log_line(function_name: str, request_id: str, line: str) -> None:
    logging.getLogger(f"tollway.functions.{function_name}").info(
        line, extra={"aws_request_id": request_id}
    )


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
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._max = max_concurrency
        self._idle_timeout = idle_timeout
        self._reap_interval = min(max(idle_timeout / 4, 0.01), 30.0)
        self._sink = log_sink or _log_line
        self._pools: dict[str, _Pool] = {}
        self._workers: set[Worker] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._reaper: asyncio.TimerHandle | None = None
        self._closed = False

    async def invoke(
        self, spec: FunctionSpec, payload: bytes, *, request_id: str | None = None
    ) -> InvokeResult:
        """Invoke the function synchronously (RequestResponse), as Lambda's Invoke does."""
        if self._closed:
            raise RuntimeError(_CLOSED)
        request_id = request_id or str(uuid.uuid4())
        pool = self._pool_for(spec)
        try:
            worker = await self._acquire(pool, spec, request_id)
        except _ColdStartFailed as failure:
            return failure.result
        pending = worker.call(request_id, spec.arn, payload, spec.timeout)
        try:
            outcome = await asyncio.shield(pending)
        except asyncio.CancelledError:
            pending.add_done_callback(
                partial(self._finish_abandoned, pool, worker, spec, request_id)
            )
            raise
        return await self._finish(pool, worker, spec, request_id, outcome)

    async def retire(self, function_name: str) -> None:
        """End the function's workers: idle ones now, busy ones when their invocation ends."""
        pool = self._pools.pop(function_name, None)
        if pool is not None:
            await asyncio.gather(*self._retire(pool))

    async def close(self) -> None:
        """End every worker (in-flight invocations get Runtime.ExitError) and reap them."""
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
            self._reaper = None
        for pool in self._pools.values():
            self._fail_waiters(pool)
        for worker in list(self._workers):
            self._end(worker)
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- pool ----------------------------------------------------------------------------------

    def _pool_for(self, spec: FunctionSpec) -> _Pool:
        pool = self._pools.get(spec.name)
        if pool is None or pool.revision != spec.revision:
            if pool is not None:
                self._retire(pool)
            pool = self._pools[spec.name] = _Pool(spec.revision)
        return pool

    def _retire(self, pool: _Pool) -> list[asyncio.Task[int]]:
        pool.retired = True
        idle, pool.idle = pool.idle, []
        pool.size -= len(idle)
        return [self._end(worker) for worker in idle]

    async def _acquire(self, pool: _Pool, spec: FunctionSpec, request_id: str) -> Worker:
        while pool.idle:
            worker = pool.idle.pop()
            if worker.alive:
                return worker
            self._end(worker)  # it died while idle
            pool.size -= 1
        if pool.size < self._max:
            pool.size += 1
            return await self._start(pool, spec, request_id)
        waiter: asyncio.Future[Worker | None] = asyncio.get_running_loop().create_future()
        pool.waiters.append(waiter)
        try:
            granted = await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed over as we were cancelled
                self._hand_back(pool, waiter.result())
            raise
        if granted is not None and granted.alive:
            return granted
        if granted is not None:  # it died after it was handed over; start one in its place
            self._end(granted)
        return await self._start(pool, spec, request_id)

    def _release(self, pool: _Pool, worker: Worker) -> None:
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
        worker.idle_since = asyncio.get_running_loop().time()
        pool.idle.append(worker)
        if self._reaper is None:
            self._reaper = asyncio.get_running_loop().call_later(self._reap_interval, self._reap)

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

    # -- workers -------------------------------------------------------------------------------

    async def _start(self, pool: _Pool, spec: FunctionSpec, request_id: str) -> Worker:
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

    def _adopt(self, pool: _Pool, task: asyncio.Task[Worker]) -> None:
        if task.cancelled() or task.exception() is not None:
            self._free_slot(pool)
        else:
            self._release(pool, task.result())

    async def _spawn(self, spec: FunctionSpec, request_id: str) -> Worker:
        if self._closed:
            raise RuntimeError(_CLOSED)
        env = lambda_environment(spec, log_stream_name(spec.version))
        worker = await Worker.spawn(
            function_name=spec.name,
            env=env,
            cwd=env["LAMBDA_TASK_ROOT"],
            sink=self._sink,
            request_id=request_id,
        )
        self._workers.add(worker)
        try:
            if self._closed:
                raise RuntimeError(_CLOSED)
            ending = await worker.ready(max(INIT_TIMEOUT, spec.timeout))
        except BaseException:
            self._end(worker)
            raise
        if ending is not None:
            raise _ColdStartFailed(await self._report(worker, spec, request_id, ending))
        return worker

    async def _finish(
        self,
        pool: _Pool,
        worker: Worker,
        spec: FunctionSpec,
        request_id: str,
        outcome: Reply | Ending,
    ) -> InvokeResult:
        if isinstance(outcome, Ending):
            try:
                return await self._report(worker, spec, request_id, outcome)
            finally:
                self._free_slot(pool)
        status, body = outcome
        log = worker.take_output()
        if status == FATAL:  # init failed: the runtime exits, as AWS's does after init errors
            self._discard(pool, worker)
        else:
            self._release(pool, worker)
        return InvokeResult(body, None if status == OK else "Unhandled", log, spec.version)

    def _finish_abandoned(
        self,
        pool: _Pool,
        worker: Worker,
        spec: FunctionSpec,
        request_id: str,
        pending: asyncio.Future[Reply | Ending],
    ) -> None:
        self._track(self._finish(pool, worker, spec, request_id, pending.result()))

    async def _report(
        self, worker: Worker, spec: FunctionSpec, request_id: str, ending: Ending
    ) -> InvokeResult:
        """Reap a worker that timed out or exited; Lambda's error for the invocation."""
        grace = _EXIT_GRACE if ending is Ending.EXITED else 0.0
        returncode = await asyncio.shield(self._end(worker, grace))
        if ending is Ending.TIMED_OUT:
            payload = _error_payload(
                "Sandbox.Timedout",
                f"RequestId: {request_id} Error: Task timed out after {spec.timeout:.2f} seconds",
            )
        else:
            payload = _error_payload(
                "Runtime.ExitError",
                f"RequestId: {request_id} Error: Runtime exited with error: "
                + describe_exit(returncode),
            )
        return InvokeResult(payload, "Unhandled", worker.take_output(), spec.version)

    def _end(self, worker: Worker, grace: float = 0.0) -> asyncio.Task[int]:
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

"""How a request runs through a list of stages (pipeline.py orders them).

Each stage is `async __call__(chain, ctx)`: it reads and fills the context, raises a typed
GatewayError to fail the request, or calls `chain.stop()` once the response is final. A typed
error is rendered as the API's gateway response; anything else becomes AWS's 500 and is logged
with the request id. The finishing steps (the access log) run for every request.

When the request keeps an execution log (`ctx.execution_log`, TestInvokeMethod only), the
pipeline writes its first lines, the reason a request failed, and how it completed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar, cast

from tollway.dataplane.context import Response, RestContext
from tollway.dataplane.errors import ApiConfigurationError, GatewayError
from tollway.model.gateway_responses import DEFAULTS

if TYPE_CHECKING:
    from tollway.dataplane.execution_log import ExecutionLog

log = logging.getLogger("tollway.dataplane")
_SERVER_FAULTS = frozenset(t for t, d in DEFAULTS.items() if d.status and d.status >= 500)


class HandlerChain:
    """One request's pass through the stages."""

    __slots__ = ("stopped",)

    def __init__(self) -> None:
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


class RequestContext(Protocol):
    """What the chain needs of a request's context: REST's `RestContext`, HTTP APIs'
    `http_api.context.HttpContext`."""

    request_id: str
    response: Response | None

    @property
    def execution_log(self) -> ExecutionLog | None: ...


C = TypeVar("C", bound=RequestContext)
C_contra = TypeVar("C_contra", bound=RequestContext, contravariant=True)


class Stage(Protocol[C_contra]):
    def __call__(self, chain: HandlerChain, ctx: C_contra) -> Awaitable[None]: ...


class Pipeline(Generic[C]):
    def __init__(
        self,
        stages: Sequence[Stage[C]],
        render_error: Callable[[C, GatewayError], Response],
        finish: Sequence[Callable[[C], None]],
    ) -> None:
        self.stages = tuple(stages)
        self._render_error = render_error
        self._finish = tuple(finish)

    async def run(self, ctx: C) -> None:
        chain = HandlerChain()
        trace = ctx.execution_log
        if trace is not None:
            # Only REST requests keep one (TestInvokeMethod).
            trace.started(cast(RestContext, ctx))
        try:
            for stage in self.stages:
                await stage(chain, ctx)
                if chain.stopped:
                    break
        except GatewayError as error:
            if error.log:
                # What AWS writes to the execution log: a warning when the API is broken.
                level = logging.WARNING if error.response_type in _SERVER_FAULTS else logging.INFO
                log.log(level, "request %s: %s", ctx.request_id, error.log)
                if trace is not None:
                    trace.add(error.log)
            ctx.response = self._render_error(ctx, error)
        except Exception:
            # Never a traceback to the client: AWS's 500, and the details in our log.
            log.exception("request %s failed inside Tollway", ctx.request_id)
            ctx.response = self._render_error(ctx, ApiConfigurationError())
            if trace is not None:
                trace.add("Execution failed due to an internal error")
        if trace is not None:
            trace.completed(cast(RestContext, ctx))
        self.finish(ctx)

    def finish(self, ctx: C) -> None:
        """The steps every request ends with, failed or not (the access log)."""
        for finish in self._finish:
            try:
                finish(ctx)
            except Exception:
                log.exception("request %s: finishing step failed", ctx.request_id)

"""Access log: one line per request in the stage's `$context` format (CLF by default).

AWS counterpart: stage access logging (`accessLogSettings`, spec §11.4; HTTP APIs §11.2).
The format was compiled with the deployment; unavailable variables render as `-`. Lines go
to the sink the server was started with (a file in the data directory and/or stdout). REST
and HTTP API requests use this same step: each stage carries its own compiled format.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from tollway.observability.access_log import AccessLogSink


class _Format(Protocol):
    @property
    def render(self) -> Callable[[Any], str]: ...


class _Stage(Protocol):
    @property
    def access_log(self) -> _Format: ...


class _Logged(Protocol):
    @property
    def stage(self) -> _Stage: ...


class AccessLog:
    def __init__(self, sink: AccessLogSink) -> None:
        self._sink = sink

    def __call__(self, ctx: _Logged) -> None:
        if self._sink.enabled:
            self._sink.write(ctx.stage.access_log.render(ctx))

"""Access log: one line per request in the stage's `$context` format (CLF by default).

AWS counterpart: stage access logging (`accessLogSettings`, spec §11.4). The format was
compiled with the deployment; unavailable variables render as `-`. Lines go to the sink the
server was started with (a file in the data directory and/or stdout).
"""

from __future__ import annotations

from tollway.dataplane.context import RestContext
from tollway.observability.access_log import AccessLogSink


class AccessLog:
    def __init__(self, sink: AccessLogSink) -> None:
        self._sink = sink

    def __call__(self, ctx: RestContext) -> None:
        if self._sink.enabled:
            self._sink.write(ctx.stage.access_log.render(ctx))

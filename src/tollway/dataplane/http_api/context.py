"""The context of one HTTP API request on its way through the HTTP API pipeline.

The client's request is the REST pipeline's `Request` (parsed once, headers indexed lazily).
`HttpContext` adds what the stages work out, each field filled by the stage named beside it;
stages communicate only through this object.

HTTP APIs' request ids are not UUIDs: `$context.requestId` (= `extendedRequestId`, the
`apigw-requestid` header) is 16 URL-safe base64 characters ending in `=`, e.g.
`NIKr1jmIFiAEJmw=`, as real events and responses show them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tollway.dataplane.context import Request, Response
from tollway.model import ids

if TYPE_CHECKING:
    from tollway.dataplane.auth.outcome import AuthorizerResult, CallerIdentity
    from tollway.dataplane.errors import GatewayError
    from tollway.dataplane.execution_log import ExecutionLog
    from tollway.dataplane.http_api.compiled import CompiledHttpStage, CompiledRoute

_URL_SAFE = str.maketrans("+/", "-_")


@dataclass(slots=True)
class IntegrationRequest:
    """What request parameter mapping (spec §4.8: `append|overwrite|remove:header.*`,
    `...:querystring.*`, `overwrite:path`) changed of the request an HTTP_PROXY integration
    sends; None fields mean "as the client sent it". Filled by the request-parameters stage,
    read by the integration."""

    headers: list[tuple[str, str]] | None = None
    query_string: str | None = None  # raw, without "?"
    path: str | None = None  # replaces the whole path sent to the backend
    extra: dict[str, str] = field(default_factory=dict)  # reserved for later mappings


class HttpContext:
    """One HTTP API request on its way through the pipeline."""

    __slots__ = (
        "request",
        "stage",
        "route",
        "path_parameters",
        "authorizer",
        "identity",
        "request_id",
        "trace_id",
        "request_time",
        "started",
        "integration_request",
        "response",
        "error",
        "integration_latency",
        "integration_status",
        "integration_error",
        "gateway_ip",
    )

    # HTTP APIs keep no execution log (AWS has none for them); the chain asks.
    execution_log: ExecutionLog | None = None

    def __init__(
        self, request: Request, stage: CompiledHttpStage, *, gateway_ip: str = "127.0.0.1"
    ) -> None:
        now = time.time()
        self.request = request
        self.stage = stage  # stage selection: the stage serving this request
        self.route: CompiledRoute | None = None  # route
        self.path_parameters: dict[str, str] = {}  # route
        # authorize: what a Lambda / JWT authorizer passed on, and who an IAM caller is
        self.authorizer: AuthorizerResult | None = None
        self.identity: CallerIdentity | None = None
        _, extended, random_hex = ids.request_ids()
        self.request_id = extended.translate(_URL_SAFE)
        # The client's trace header is propagated; otherwise API Gateway starts a trace.
        self.trace_id = request.header("X-Amzn-Trace-Id") or f"Root=1-{int(now):08x}-{random_hex}"
        self.request_time = now
        self.started = time.perf_counter()
        # request parameters: what parameter mapping changed of the integration request
        self.integration_request: IntegrationRequest | None = None
        # integration / error renderer / CORS: what the client gets
        self.response: Response | None = None
        self.error: GatewayError | None = None  # any stage: why the request failed
        self.integration_latency: int | None = None  # integration, milliseconds
        self.integration_status: int | None = None  # integration
        self.integration_error: str | None = None  # integration / error renderer
        self.gateway_ip = gateway_ip  # the listener's address: `Forwarded: by=` (HTTP_PROXY)

    @property
    def request_time_epoch(self) -> int:
        return int(self.request_time * 1000)

"""The request context: everything one request accumulates on its way through the pipeline.

`Request` is what the client sent, parsed once (headers and query string are indexed lazily,
only if a stage asks). `RestContext` adds what the stages work out, each field filled by the
stage named beside it. Stages communicate only through this object.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from tollway.model import ids

if TYPE_CHECKING:
    from tollway.dataplane.auth.outcome import AuthorizerResult, CallerIdentity
    from tollway.dataplane.compiled import CompiledMethod, CompiledStage
    from tollway.dataplane.errors import GatewayError
    from tollway.dataplane.execution_log import ExecutionLog
    from tollway.dataplane.usage_plans import ApiKey, PlanLimits


def merge_headers(headers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Headers by name, names matched case-insensitively (`Authorization` and
    `authorization` are one header, under the first spelling), values in order. What an
    integration is shown of a header is then what authorization read of it: the last value
    (`Request.header`), never another spelling's (a smuggled second `authorization`)."""
    merged: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for name, value in headers:
        key = spelling.setdefault(name.lower(), name)
        merged.setdefault(key, []).append(value)
    return merged


class Request:
    """The client's request as the gateway received it."""

    __slots__ = (
        "method",
        "path",
        "stage_path",
        "query_string",
        "headers",
        "body",
        "source_ip",
        "host",
        "scheme",
        "port",
        "raw_path",
        "base_path",
        "client_cert",
        "_header_index",
        "_query",
        "_multi_query",
    )

    def __init__(
        self,
        method: str,
        path: str,
        stage_path: str,
        query_string: str,
        headers: list[tuple[str, str]],
        body: bytes,
        source_ip: str,
        host: str,
        scheme: str = "http",
        port: int = 80,
        raw_path: str | None = None,
    ) -> None:
        self.method = method
        self.path = path  # after the stage, still percent-encoded: "/pets/1"
        self.stage_path = stage_path  # `$context.path`: "/dev/pets/1"
        self.query_string = query_string  # raw, without "?"
        self.headers = headers  # (name as sent, value), in order
        self.body = body
        self.source_ip = source_ip
        self.host = host
        self.scheme = scheme
        self.port = port
        # the path exactly as the client sent it (what a SigV4 signature covers); the
        # path-based form keeps its `/_aws/execute-api/{api-id}` prefix
        self.raw_path = stage_path if raw_path is None else raw_path
        # Set by the gateway for a request to a custom domain (dataplane/domains.py): the
        # mapping key it matched ("" for `(none)`); None on the default endpoint.
        self.base_path: str | None = None
        # mutual TLS: `clientCert` as APIs pass it on (dataplane/tls.py), else None
        self.client_cert: dict[str, Any] | None = None
        self._header_index: dict[str, list[str]] | None = None
        self._query: dict[str, str] | None = None
        self._multi_query: dict[str, list[str]] | None = None

    def header_values(self, name: str) -> list[str]:
        """All values of a header, matched case-insensitively."""
        if self._header_index is None:
            index: dict[str, list[str]] = {}
            for key, value in self.headers:
                index.setdefault(key.lower(), []).append(value)
            self._header_index = index
        return self._header_index.get(name.lower(), [])

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return values[-1] if values else None

    def drop_header(self, name: str) -> None:
        """Removes a header (every value of it) before the integration sees the request."""
        lowered = name.lower()
        self.headers = [(k, v) for k, v in self.headers if k.lower() != lowered]
        self._header_index = None

    @property
    def multi_query(self) -> dict[str, list[str]]:
        """Query parameters, decoded (`+` is a space), every value in order (spec §1.4)."""
        if self._multi_query is None:
            multi: dict[str, list[str]] = {}
            for key, value in parse_qsl(self.query_string, keep_blank_values=True):
                multi.setdefault(key, []).append(value)
            self._multi_query = multi
        return self._multi_query

    @property
    def query(self) -> dict[str, str]:
        """Query parameters with the LAST value of each (spec §1.4)."""
        if self._query is None:
            self._query = {k: v[-1] for k, v in self.multi_query.items()}
        return self._query


@dataclass(slots=True)
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


_CLF_CACHE: list[Any] = [-1, ""]


def clf_time(epoch: float) -> str:
    """`$context.requestTime`: `21/Nov/2026:18:50:19 +0000`, formatted once per second."""
    second = int(epoch)
    if _CLF_CACHE[0] != second:
        _CLF_CACHE[0] = second
        _CLF_CACHE[1] = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(second))
    return str(_CLF_CACHE[1])


class RestContext:
    """One REST API request on its way through the pipeline."""

    __slots__ = (
        "request",
        "stage",
        "method",
        "path_parameters",
        "authorizer",
        "identity",
        "api_key",
        "usage_plan",
        "request_id",
        "extended_request_id",
        "trace_id",
        "request_time",
        "started",
        "integration_body",
        "endpoint_response",
        "response",
        "error",
        "integration_latency",
        "integration_status",
        "integration_error",
        "mapped",
        "template_applied",
        "selection_value",
        "variables",
        "execution_log",
        "cache_key",
        "cache_warning",
    )

    def __init__(self, request: Request, stage: CompiledStage) -> None:
        now = time.time()
        self.request = request
        self.stage = stage  # endpoint: the stage (and its compiled deployment) serving this
        self.method: CompiledMethod | None = None  # route
        self.path_parameters: dict[str, str] = {}  # route
        # authorize: what a Lambda / Cognito authorizer passed on, and who an IAM caller is
        self.authorizer: AuthorizerResult | None = None
        self.identity: CallerIdentity | None = None
        # API key & usage plan: the key the request presented, and its plan for this stage
        self.api_key: ApiKey | None = None
        self.usage_plan: PlanLimits | None = None
        self.request_id, self.extended_request_id, random_hex = ids.request_ids()
        # The client's trace header is propagated; otherwise API Gateway starts a trace, an
        # X-Ray header `Root=1-<epoch hex>-<24 hex digits>`.
        self.trace_id = request.header("X-Amzn-Trace-Id") or f"Root=1-{int(now):08x}-{random_hex}"
        self.request_time = now
        self.started = time.perf_counter()
        # integration request: the payload for a non-proxy backend, after template mapping
        self.integration_body: bytes = request.body
        # integration request: parameters mapped into the backend request
        self.mapped: MappedRequest | None = None
        # integration request: whether a mapping template produced integration_body
        self.template_applied = False
        # integration: what integration responses are selected by: the backend's status code
        # as text, Lambda's errorMessage, or None to use the default response (spec §4.3)
        self.selection_value: str | None = None
        # integration (non-proxy): what the backend answered, before response mapping
        self.endpoint_response: Response | None = None
        # integration response / proxy integration / gateway response: what the client gets
        self.response: Response | None = None
        self.error: GatewayError | None = None  # any stage: why the request failed
        self.integration_latency: int | None = None  # integration, milliseconds
        self.integration_status: int | None = None  # integration
        self.integration_error: str | None = None  # integration
        # `$context` as a nested map, built by variables.context_map when a template asks
        self.variables: dict[str, Any] | None = None
        # The execution log's recorder: None except for TestInvokeMethod (execution_log.py)
        self.execution_log: ExecutionLog | None = None
        # cache lookup: the stage-cache key to store this response under (None: not stored)
        self.cache_key: str | None = None
        # cache lookup: Cache-Control was ignored (SUCCEED_WITH_RESPONSE_HEADER): say so
        self.cache_warning = False

    @property
    def request_time_epoch(self) -> int:
        return int(self.request_time * 1000)


@dataclass(slots=True)
class MappedRequest:
    """Integration request parameters after parameter mapping (spec §4.2)."""

    path: dict[str, str] = field(default_factory=dict)
    querystring: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, list[str]] = field(default_factory=dict)

"""HTTP and HTTP_PROXY integrations: API Gateway calling an HTTP backend (spec §3.3, §12.2).

HTTP_PROXY passes the client's request through (headers, query string, body) and the
backend's response back; HTTP sends only what the integration request mapped (template body,
mapped parameters) and leaves the response to integration-response mapping. Both add the
headers API Gateway adds, drop the ones it never forwards, and remap the backend's transport
headers to `x-amzn-Remapped-*`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from urllib.parse import quote, urlencode

from tollway.dataplane.context import Response, RestContext
from tollway.dataplane.integrations.upstream import UpstreamClient

# Request headers API Gateway never forwards (and that are not available to mappings).
DROPPED_REQUEST_HEADERS = frozenset(
    {
        "connection",
        "content-length",
        "content-md5",
        "expect",
        "max-forwards",
        "proxy-authenticate",
        "server",
        "te",
        "transfer-encoding",
        "trailer",
        "upgrade",
        "www-authenticate",
        "via",
        "keep-alive",
    }
)
# HTTP_PROXY additionally drops these (a mapping may still set them).
PROXY_DROPPED_REQUEST_HEADERS = DROPPED_REQUEST_HEADERS | {"host", "content-encoding"}
# Response headers replaced by the gateway's own, passed on as x-amzn-Remapped-<name>.
# A backend's own x-amzn-RequestId would clash with the gateway's, so it is remapped too.
REMAPPED_RESPONSE_HEADERS = frozenset(
    {"connection", "content-length", "date", "server", "x-amzn-requestid"}
)
DROPPED_PROXY_RESPONSE_HEADERS = frozenset({"transfer-encoding", "content-encoding", "via"})
DROPPED_RESPONSE_HEADERS = frozenset({"transfer-encoding", "content-encoding"})
NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

PLACEHOLDER = re.compile(r"\{([^}/]+?)\+?\}")


def fill_placeholders(parts: list[str], ctx: RestContext, *, encode: bool = True) -> str:
    """A URI split by `PLACEHOLDER` (literal text, then placeholder names at odd indexes)
    with each `{name}` filled from the mapped `integration.request.path.name` parameter; an
    unmapped one falls back to the method request's path parameter of the same name (what
    proxy resources expect). Values are percent-encoded (but `/`) unless already encoded."""
    if len(parts) == 1:
        return parts[0]
    mapped = ctx.mapped.path if ctx.mapped else {}
    params = ctx.path_parameters
    return fill_parts(parts, lambda name: mapped.get(name, params.get(name, "")), encode=encode)


def fill_parts(parts: list[str], value_of: Callable[[str], str], *, encode: bool = True) -> str:
    """`parts` (split by `PLACEHOLDER`) with each placeholder name replaced by its value."""
    pieces = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            pieces.append(part)
        else:
            value = value_of(part)
            pieces.append(value if not encode or "%" in value else quote(value, safe="/"))
    return "".join(pieces)


def remap_response_headers(
    headers: list[tuple[str, str]], dropped: frozenset[str]
) -> list[tuple[str, str]]:
    out = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in dropped:
            continue
        if lowered in REMAPPED_RESPONSE_HEADERS:
            out.append(("x-amzn-Remapped-" + name, value))
        else:
            out.append((name, value))
    return out


class HttpIntegration:
    def __init__(
        self,
        *,
        proxy: bool,
        http_method: str,
        uri: str,
        timeout_ms: int,
        verify_tls: bool,
        upstream: UpstreamClient,
        api_id: str,
    ) -> None:
        self.proxy = proxy
        self._method = http_method
        # Split `https://host/pets/{id}` once into literal text and path-parameter names.
        self._uri_parts = PLACEHOLDER.split(uri)
        self._timeout = timeout_ms / 1000
        self._verify_tls = verify_tls
        self._upstream = upstream
        self._api_id = api_id
        self._user_agent = f"AmazonAPIGateway_{api_id}"

    def _url(self, ctx: RestContext) -> str:
        url = fill_placeholders(self._uri_parts, ctx)
        query = []
        if self.proxy and ctx.request.query_string:
            query.append(ctx.request.query_string)
        if ctx.mapped and ctx.mapped.querystring:
            query.append(urlencode(ctx.mapped.querystring, doseq=True))
        if query:
            url += ("&" if "?" in url else "?") + "&".join(query)
        return url

    def _headers(self, ctx: RestContext, method: str) -> list[tuple[str, str]]:
        request = ctx.request
        headers: list[tuple[str, str]] = []
        if self.proxy:
            headers = [
                (k, v) for k, v in request.headers if k.lower() not in PROXY_DROPPED_REQUEST_HEADERS
            ]
        elif method not in NO_BODY_METHODS:
            content_type = request.header("Content-Type")
            if content_type:
                headers.append(("Content-Type", content_type))
        if ctx.mapped and ctx.mapped.headers:
            mapped = ctx.mapped.headers
            lowered = {name.lower() for name in mapped}
            headers = [(k, v) for k, v in headers if k.lower() not in lowered]
            headers.extend((name, ",".join(values)) for name, values in mapped.items())
        present = {k.lower() for k, _ in headers}
        if "user-agent" not in present:
            headers.append(("User-Agent", self._user_agent))
        if "accept" not in present:
            headers.append(("Accept", "application/json"))
        forwarded = request.header("X-Forwarded-For")
        headers = [
            (k, v) for k, v in headers if k.lower() not in ("x-forwarded-for", "x-amzn-trace-id")
        ]
        headers.append(
            (
                "X-Forwarded-For",
                f"{forwarded}, {request.source_ip}" if forwarded else request.source_ip,
            )
        )
        headers.append(("X-Amzn-Trace-Id", ctx.trace_id))
        headers.append(("x-amzn-apigateway-api-id", self._api_id))
        return headers

    async def invoke(self, ctx: RestContext) -> None:
        method = ctx.request.method if self._method == "ANY" else self._method
        body: bytes | None = None
        if method not in NO_BODY_METHODS:
            body = ctx.integration_body  # the client's body (HTTP_PROXY) or the mapped one
        url = self._url(ctx)
        headers = self._headers(ctx, method)
        trace = ctx.execution_log
        if trace is not None:
            trace.endpoint_request(url, headers, body)
        started = time.perf_counter()
        try:
            response = await self._upstream.send(
                method, url, headers, body, time_limit=self._timeout, verify_tls=self._verify_tls
            )
        finally:
            ctx.integration_latency = int((time.perf_counter() - started) * 1000)
        if trace is not None:
            trace.endpoint_response(
                response.status, ctx.integration_latency, response.headers, response.body
            )
        ctx.integration_status = response.status
        ctx.selection_value = str(response.status)
        if self.proxy:
            headers = remap_response_headers(response.headers, DROPPED_PROXY_RESPONSE_HEADERS)
            ctx.response = Response(response.status, headers, response.body)
        else:
            ctx.endpoint_response = response

"""HTTP API integrations: Lambda proxy (AWS_PROXY, payload 1.0 or 2.0), HTTP_PROXY, and AWS
services (AWS_PROXY with an IntegrationSubtype, at the end of the module).

AWS counterparts: "Create AWS Lambda proxy integrations for HTTP APIs" and "Create HTTP proxy
integrations for HTTP APIs" (spec §1.5, §2.2-2.4, §3.2, §4.8, §12).

Lambda: the function is called as REST's Lambda integrations call it (LambdaIntegration: the
function host, its resource policy, the integration timeout), with the HTTP API event
(payload.py). The source ARN a permission must allow is
`arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{METHOD}{route path}`, or
`.../{stage}/$default` for the `$default` route.

HTTP_PROXY: the integration URI with the route's path variables filled (`{proxy}` by the
greedy `{proxy+}`), the client's query string appended; for the `$default` route the whole
request path (without a named stage's segment) is appended to the URI, so
`/store/checkout` goes to `https://backend/store/checkout`. The client's method (unless the
integration names one), headers (but hop-by-hop ones, `Host` and `X-Forwarded-*`) and body go
through. HTTP APIs translate `X-Forwarded-For` into a standard `Forwarded` header and append
their own element `by={gateway ip};for={client ip};host={host};proto={scheme}` (spec §4.8),
and add `X-Amzn-Trace-Id`. The backend's response comes back as it is, but for transport
headers the gateway sets itself. Errors (errors.py): past `TimeoutInMillis` (30 s at most)
503 `{"message":"Service Unavailable"}`; a backend that cannot be reached 500.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit, urlunsplit

import orjson

from tollway.dataplane.context import Response
from tollway.dataplane.errors import ApiConfigurationError
from tollway.dataplane.http_api.bindings import RequestView
from tollway.dataplane.http_api.context import HttpContext
from tollway.dataplane.http_api.parameter_values import Sources, Template
from tollway.dataplane.http_api.payload import event_v1, event_v2, response_v1, response_v2
from tollway.dataplane.integrations.aws_subtypes import SubtypeCall, SubtypeError
from tollway.dataplane.integrations.http import (
    NO_BODY_METHODS,
    PLACEHOLDER,
    PROXY_DROPPED_REQUEST_HEADERS,
    fill_parts,
)
from tollway.dataplane.integrations.lambda_proxy import FunctionInvoker, LambdaIntegration
from tollway.dataplane.integrations.upstream import UpstreamClient

_NOT_FORWARDED = PROXY_DROPPED_REQUEST_HEADERS | {
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-forwarded-port",
    "x-amzn-trace-id",
    "forwarded",
}
# The gateway's own transport headers replace the backend's (the body was decoded already).
_NOT_RETURNED = frozenset(
    {"connection", "keep-alive", "content-length", "transfer-encoding", "content-encoding", "date"}
)


class HttpLambdaProxy(LambdaIntegration):
    """AWS_PROXY with a Lambda function; `version` the integration's PayloadFormatVersion."""

    def __init__(
        self,
        *,
        version: str,
        function_ref: str,
        http_method: str,
        timeout_ms: int,
        invoker: FunctionInvoker,
        arn_prefix: str,
        endpoint_uri: str,
    ) -> None:
        super().__init__(
            function_ref=function_ref,
            http_method=http_method,
            timeout_ms=timeout_ms,
            invoker=invoker,
            arn_prefix=arn_prefix,
            endpoint_uri=endpoint_uri,
        )
        self._v2 = version == "2.0"

    async def invoke(self, ctx: HttpContext) -> None:
        if self._http_method != "POST":
            raise ApiConfigurationError(
                log=f"Lambda integrations must use IntegrationMethod POST, not {self._http_method}"
            )
        route = ctx.route
        if route is None or route.route_key == "$default":
            source_arn = f"{self._arn_prefix}$default"
        else:
            source_arn = f"{self._arn_prefix}{ctx.request.method}{route.path}"
        event = event_v2(ctx) if self._v2 else event_v1(ctx)
        result = await self._call(ctx, orjson.dumps(event), source_arn)
        payload = self._proxy_answer(ctx, result)
        ctx.response = response_v2(payload) if self._v2 else response_v1(payload)


def forwarded(ctx: HttpContext) -> str:
    """The `Forwarded` header HTTP APIs send: the client's, the `X-Forwarded-For` hops, and
    the gateway's own element."""
    request = ctx.request
    elements = list(request.header_values("Forwarded"))
    for value in request.header_values("X-Forwarded-For"):
        elements.extend(f"for={_node(hop.strip())}" for hop in value.split(",") if hop.strip())
    host = request.host
    elements.append(
        f"by={_node(ctx.gateway_ip)};for={_node(request.source_ip)};host={host};"
        f"proto={request.scheme}"
    )
    return ", ".join(elements)


def _node(address: str) -> str:
    # RFC 7239: an IPv6 address is quoted and bracketed.
    return f'"[{address}]"' if ":" in address else address


class HttpProxy:
    def __init__(
        self,
        *,
        uri: str,
        http_method: str,
        timeout_ms: int,
        verify_tls: bool,
        upstream: UpstreamClient,
        default_route: bool,
    ) -> None:
        # Split `https://backend/pets/{proxy}` once into literal text and variable names.
        self._uri_parts = PLACEHOLDER.split(uri.rstrip("/") if default_route else uri)
        self._method = http_method
        self._timeout = timeout_ms / 1000
        self._verify_tls = verify_tls
        self._upstream = upstream
        self._default_route = default_route
        # `http://host` has no path: a query string needs the "/" before it.
        self._bare = not default_route and not urlsplit(uri).path

    def url(self, ctx: HttpContext) -> str:
        params = ctx.path_parameters
        url = fill_parts(self._uri_parts, lambda name: params.get(name, ""))
        if self._default_route:
            url += ctx.request.path
        mapped = ctx.integration_request
        query = ctx.request.query_string
        if mapped is not None:
            if mapped.path is not None:
                scheme, netloc, _, own_query, _ = urlsplit(url)
                url = urlunsplit((scheme, netloc, mapped.path, own_query, ""))
            if mapped.query_string is not None:
                query = mapped.query_string
        if query:
            if self._bare and (mapped is None or mapped.path is None):
                url += "/"
            url += ("&" if "?" in url else "?") + query
        return url

    def headers(self, ctx: HttpContext) -> list[tuple[str, str]]:
        mapped = ctx.integration_request
        if mapped is not None and mapped.headers is not None:
            source = mapped.headers
        else:
            source = ctx.request.headers
        out = [(k, v) for k, v in source if k.lower() not in _NOT_FORWARDED]
        out.append(("Forwarded", forwarded(ctx)))
        out.append(("X-Amzn-Trace-Id", ctx.trace_id))
        return out

    async def invoke(self, ctx: HttpContext) -> None:
        method = ctx.request.method if self._method == "ANY" else self._method
        body = ctx.request.body
        payload = body if body or method not in NO_BODY_METHODS else None
        started = time.perf_counter()
        try:
            response = await self._upstream.send(
                method,
                self.url(ctx),
                self.headers(ctx),
                payload,
                time_limit=self._timeout,
                verify_tls=self._verify_tls,
            )
        finally:
            ctx.integration_latency = int((time.perf_counter() - started) * 1000)
        ctx.integration_status = response.status
        headers = [(k, v) for k, v in response.headers if k.lower() not in _NOT_RETURNED]
        ctx.response = Response(response.status, headers, response.body)


class HttpServiceIntegration:
    """AWS_PROXY with an `IntegrationSubtype`: a first-class AWS service integration (spec
    §3.5, integrations.aws_subtypes). Each of the integration's `RequestParameters` is a value
    template (static text or `$request.*`, `$context.*`, `$stageVariables.*` variables,
    compiled once, evaluated as parameter mappings are); the values make the service call,
    whose answer (status, body, content type) is the client's response. A value the service
    cannot take or an endpoint Tollway cannot sign for is a configuration error (500, the log
    says which); a timeout or an unreachable service fails as HTTP_PROXY does."""

    def __init__(
        self,
        *,
        call: SubtypeCall,
        parameters: dict[str, str],
        timeout_ms: int,
        upstream: UpstreamClient,
        api_id: str,
    ) -> None:
        self._call = call
        self._values = [(name, Template(value)) for name, value in parameters.items()]
        self._timeout = timeout_ms / 1000
        self._upstream = upstream
        self._user_agent = f"AmazonAPIGateway_{api_id}"

    async def invoke(self, ctx: HttpContext) -> None:
        sources = Sources(RequestView(ctx), None)
        values = {}
        for name, template in self._values:
            value = template.render(sources)
            if value is not None:
                values[name] = value
        try:
            prepared = self._call.prepare(values, user_agent=self._user_agent)
        except SubtypeError as e:
            raise ApiConfigurationError(
                log=f"Execution failed due to configuration error: {self._call.subtype}: {e}"
            ) from None
        started = time.perf_counter()
        try:
            response = await self._upstream.send(
                prepared.method,
                prepared.url,
                [*prepared.headers, ("X-Amzn-Trace-Id", ctx.trace_id)],
                prepared.body or None,
                time_limit=self._timeout,
            )
        finally:
            ctx.integration_latency = int((time.perf_counter() - started) * 1000)
        ctx.integration_status = response.status
        headers = [(k, v) for k, v in response.headers if k.lower() in _SERVICE_RETURNED]
        ctx.response = Response(response.status, headers, response.body)


# Of a service's answer, what describes the body; its own request ids and transport headers
# stay between the gateway and the service.
_SERVICE_RETURNED = frozenset({"content-type"})

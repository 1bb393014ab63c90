"""WebSocket HTTP_PROXY, HTTP and AWS (Lambda, non-proxy) integrations (spec §13.3, §3).

AWS counterpart: "Integrations for WebSocket APIs" and "Set up a WebSocket API integration
response".
- HTTP_PROXY: the message is the body of a request (IntegrationMethod) to the integration URI,
  and the backend's body is what a two-way route sends back. On `$connect` and `$disconnect`
  the request has no body and carries the handshake's headers (less hop-by-hop and
  `Sec-WebSocket-*` ones: UNCONFIRMED, AWS documents no list); the backend's status decides
  `$connect` (2xx accepts), its `Sec-WebSocket-Protocol` header is the subprotocol.
- HTTP: the same request, its body and parameters mapped (mapping.py), the backend's answer
  mapped by the integration responses.
- AWS with a Lambda function (`arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/
  {arn}/invocations`): the mapped body is the function's payload; the endpoint response is
  200 with the function's result, and an error result sets `errorMessage` for the default
  `${integration.response.body.errorMessage}` selection expression. A function error refuses
  `$connect` with 500 (UNCONFIRMED).
Request parameters map into the request on all three (`integration.request.header.
connectionId` = `context.connectionId` is the documented way to tell the backend who sent a
message). A backend that cannot be reached or times out fails the call (the error frame; a
refused `$connect` with 500 or 504).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from tollway.dataplane.errors import GatewayError, IntegrationTimeout
from tollway.dataplane.integrations.http import (
    PLACEHOLDER,
    PROXY_DROPPED_REQUEST_HEADERS,
    fill_parts,
)
from tollway.dataplane.integrations.lambda_proxy import FunctionInvoker
from tollway.dataplane.integrations.upstream import UpstreamClient
from tollway.dataplane.websocket.integrations import IntegrationFailed, LambdaProxy, Outcome
from tollway.dataplane.websocket.mapping import (
    Endpoint,
    MappedRequest,
    MappingFailed,
    RequestMapping,
    ResponseMappings,
    compile_parameters,
    compile_responses,
    compile_templates,
)
from tollway.dataplane.websocket.selection import Selector

if TYPE_CHECKING:
    from tollway.dataplane.integrations import IntegrationServices
    from tollway.model.http_api import Integration


def build_backend(
    integration: Integration,
    responses: Mapping[str, Mapping[str, Any]],
    uri: str,
    function: str | None,
    timeout_ms: int,
    arn_prefix: str,
    variables: dict[str, str],
    services: IntegrationServices,
    warnings: list[str],
) -> HttpBackend | LambdaBackend:
    """The integration (HTTP_PROXY, HTTP, or AWS with a Lambda `function`); raises
    TemplateError or ValueError for what cannot be compiled."""
    kind = integration["IntegrationType"]
    proxy = kind == "HTTP_PROXY"
    strategy = integration.get("ContentHandlingStrategy")
    if strategy == "CONVERT_TO_TEXT":
        warnings.append(f"{kind} integration {uri}: ContentHandlingStrategy CONVERT_TO_TEXT "
                        "is not applied (messages are text already)")  # fmt: skip
    expression = integration.get("TemplateSelectionExpression")
    passthrough = integration.get("PassthroughBehavior") or "WHEN_NO_MATCH"
    request = RequestMapping(
        templates={} if proxy else compile_templates(integration.get("RequestTemplates")),
        selector=Selector(expression) if expression and not proxy else None,
        passthrough=passthrough,
        parameters=compile_parameters(integration.get("RequestParameters") or {}, variables),
        to_binary=strategy == "CONVERT_TO_BINARY",
        stage_variables=variables,
    )
    if proxy:
        if responses:
            warnings.append(f"HTTP_PROXY integration {uri}: its integration responses are not "
                            "used (a proxy sends the backend's body)")  # fmt: skip
        method = integration.get("IntegrationMethod") or "POST"
        return HttpBackend(method, uri, timeout_ms, services.upstream, request, None)
    mappings = compile_responses(
        integration.get("IntegrationResponseSelectionExpression"), responses, variables, warnings
    )
    if function is not None:
        return LambdaBackend(
            function, timeout_ms, services.functions, arn_prefix, request, mappings
        )
    method = integration.get("IntegrationMethod") or "POST"
    return HttpBackend(method, uri, timeout_ms, services.upstream, request, mappings)


class HttpBackend:
    """HTTP_PROXY (`responses` None) or HTTP (with its integration responses)."""

    def __init__(
        self,
        method: str,
        uri: str,
        timeout_ms: int,
        upstream: UpstreamClient,
        request: RequestMapping,
        responses: ResponseMappings | None,
    ) -> None:
        self._method = method.upper()
        self._uri_parts = PLACEHOLDER.split(uri)
        self._timeout = timeout_ms / 1000
        self._upstream = upstream
        self._request = request
        self._responses = responses

    async def call(self, route_key: str, event: dict[str, Any]) -> Outcome:
        mapped = _mapped(self._request, event)
        headers = [] if self._responses is not None else _forwarded(event)
        names = {k.lower() for k, _ in mapped.headers.items()}
        headers = [(k, v) for k, v in headers if k.lower() not in names]
        headers.extend(mapped.headers.items())
        url = fill_parts(self._uri_parts, lambda name: mapped.path.get(name, ""))
        if mapped.querystring:
            url += ("&" if "?" in url else "?") + urlencode(mapped.querystring)
        try:
            response = await self._upstream.send(
                self._method, url, headers, mapped.body or None, time_limit=self._timeout
            )
        except IntegrationTimeout:
            raise IntegrationFailed(504, "Execution failed due to a timeout error") from None
        except GatewayError as e:
            raise IntegrationFailed(500, f"Execution failed: {e}") from None
        answer = Endpoint(response.status, {k.lower(): v for k, v in response.headers},
                          response.body)  # fmt: skip
        status_headers = dict(response.headers)
        if self._responses is None:
            return Outcome(
                response.status, status_headers, response.body.decode("utf-8", "replace")
            )
        return Outcome(response.status, status_headers, _respond(self._responses, answer, event))


class LambdaBackend(LambdaProxy):
    """AWS integration with a Lambda function (non-proxy)."""

    def __init__(
        self,
        function_ref: str,
        timeout_ms: int,
        invoker: FunctionInvoker,
        arn_prefix: str,
        request: RequestMapping,
        responses: ResponseMappings,
    ) -> None:
        super().__init__(function_ref, timeout_ms, invoker, arn_prefix)
        self._request = request
        self._responses = responses

    async def call(self, route_key: str, event: dict[str, Any]) -> Outcome:
        result = await self.invoke(route_key, _mapped(self._request, event).body)
        status = 500 if result.function_error else 200
        body = _respond(self._responses, Endpoint(200, {}, result.payload), event)
        return Outcome(status, {}, body)


def _mapped(request: RequestMapping, event: dict[str, Any]) -> MappedRequest:
    try:
        return request.apply(event)
    except MappingFailed as e:
        raise IntegrationFailed(500, f"Execution failed: {e}") from None


def _respond(responses: ResponseMappings, endpoint: Endpoint, event: dict[str, Any]) -> str:
    try:
        return responses.apply(endpoint, event["requestContext"])
    except MappingFailed as e:
        raise IntegrationFailed(500, str(e)) from None


def _forwarded(event: dict[str, Any]) -> list[tuple[str, str]]:
    """The handshake's headers an HTTP_PROXY `$connect`/`$disconnect` request carries."""
    return [
        (k, v)
        for k, v in (event.get("headers") or {}).items()
        if k.lower() not in PROXY_DROPPED_REQUEST_HEADERS
        and not k.lower().startswith("sec-websocket-")
    ]

"""HTTP API Lambda proxy payloads: the event a function gets and how its answer is read,
in payload format 2.0 (the default for HTTP APIs) and 1.0 (spec §2.1-2.4).

What HTTP APIs do differently from REST's 1.0 event (integrations/lambda_event.py):
- the request id is HTTP APIs' (`NIKr1jmIFiAEJmw=`), `extendedRequestId` the same;
- paths include a named stage's segment (`rawPath`, `requestContext.http.path`, 1.0's
  `path` and `requestContext.path` are `/dev/pets`), not the `$default` stage's;
- the headers are the client's plus `content-length` (always: the body's length),
  `x-amzn-trace-id`, `x-forwarded-for` (the client's list plus the peer), `-port`, `-proto`;
- a body is base64-encoded (`isBase64Encoded: true`) unless its Content-Type is text:
  `text/*`, `application/json`, `application/xml`, `application/javascript` (measured
  against AWS by others; no Content-Type and `application/x-www-form-urlencoded` are
  base64). HTTP APIs have no `binaryMediaTypes`;
- 1.0's `resource`/`resourcePath` are the route's path (`$default` for that route) and
  `resourceId` its route key; its identity has `cognitoAmr`; there is no `deploymentId`.

2.0 events (field by field as the Doc's example and real events show them): header names
lower-cased, repeated headers and query parameters joined with commas, `Cookie` headers
moved to `cookies` (one entry per cookie); `cookies`, `queryStringParameters`,
`pathParameters`, `stageVariables` and `body` are left out when empty.

2.0 responses: a JSON object with `statusCode` is read as `{statusCode, headers, cookies,
body, isBase64Encoded}` (each cookie a `Set-Cookie` header; other keys, such as
`multiValueHeaders`, are ignored, as AWS ignores them), without a Content-Type the client
gets `text/plain; charset=utf-8` (observed); any other valid JSON is inferred: 200,
`application/json`, the body the function's JSON as it returned it (a string: the string
itself). `isBase64Encoded: true` is always decoded (no Accept negotiation in HTTP APIs).
Anything unusable is a 500 `{"message":"Internal Server Error"}` (errors.py).
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from tollway.dataplane.context import Request, Response, clf_time, merge_headers
from tollway.dataplane.http_api.context import HttpContext
from tollway.dataplane.integrations.lambda_event import (
    header_value,
    malformed,
    proxy_headers,
    proxy_response,
    response_body,
    response_status,
)

_TEXT_TYPES = frozenset({"application/json", "application/xml", "application/javascript"})
_IDENTITY = (
    "accessKey",
    "accountId",
    "caller",
    "cognitoAmr",
    "cognitoAuthenticationProvider",
    "cognitoAuthenticationType",
    "cognitoIdentityId",
    "cognitoIdentityPoolId",
    "principalOrgId",
)
# Response headers the gateway sets itself (the body's length, the connection).
_TRANSPORT = frozenset({"connection", "content-length", "transfer-encoding", "date"})
DEFAULT_CONTENT_TYPE = "text/plain; charset=utf-8"


def is_text(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in _TEXT_TYPES


def event_body(ctx: HttpContext) -> tuple[str | None, bool]:
    body = ctx.request.body
    if not body:
        return None, False
    if is_text(ctx.request.header("Content-Type")):
        return body.decode("utf-8", "replace"), False
    return base64.b64encode(body).decode(), True


def event_request(ctx: HttpContext) -> Request:
    """The request the event describes: the client's, with the headers and query string that
    request parameter mapping (`ctx.integration_request`) changed."""
    request = ctx.request
    mapped = ctx.integration_request
    if mapped is None or (mapped.headers is None and mapped.query_string is None):
        return request
    return Request(
        request.method,
        request.path,
        request.stage_path,
        request.query_string if mapped.query_string is None else mapped.query_string,
        request.headers if mapped.headers is None else mapped.headers,
        request.body,
        request.source_ip,
        request.host,
        request.scheme,
        request.port,
    )


def event_headers(ctx: HttpContext, request: Request) -> list[tuple[str, str]]:
    """The request's headers as the function sees them (names as sent): REST's proxy
    headers, and the body's length."""
    headers = proxy_headers(request, ctx.trace_id, {})
    headers.append(("Content-Length", str(len(ctx.request.body))))
    return headers


def _domain(ctx: HttpContext) -> tuple[str, str]:
    host = ctx.request.host.split(":", 1)[0]
    return host, host.split(".", 1)[0]


def event_v2(ctx: HttpContext, *, body: bool = True) -> dict[str, Any]:
    """The 2.0 event; without `body` (a Lambda authorizer's event) no `body` and
    `isBase64Encoded`."""
    request = event_request(ctx)
    route = ctx.route
    route_key = route.route_key if route else "$default"
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in event_headers(ctx, request):
        lowered = name.lower()
        if lowered == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        previous = headers.get(lowered)
        headers[lowered] = value if previous is None else f"{previous},{value}"
    domain, prefix = _domain(ctx)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.stage_path,
        "rawQueryString": request.query_string,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if request.query_string:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in request.multi_query.items()}
    event["requestContext"] = {
        "accountId": ctx.stage.account_id,
        "apiId": ctx.stage.api_id,
        "domainName": domain,
        "domainPrefix": prefix,
        "http": {
            "method": request.method,
            "path": request.stage_path,
            "protocol": "HTTP/1.1",
            "sourceIp": request.source_ip,
            "userAgent": request.header("User-Agent") or "",
        },
        "requestId": ctx.request_id,
        "routeKey": route_key,
        "stage": ctx.stage.stage_name,
        "time": clf_time(ctx.request_time),
        "timeEpoch": ctx.request_time_epoch,
    }
    if ctx.authorizer is not None and ctx.authorizer.event_v2 is not None:
        event["requestContext"]["authorizer"] = ctx.authorizer.event_v2
    if ctx.request.client_cert is not None:  # mutual TLS (spec §2.2, §14.1)
        event["requestContext"]["authentication"] = {"clientCert": ctx.request.client_cert}
    text, is_base64 = event_body(ctx) if body else (None, False)
    if text is not None:
        event["body"] = text
    if ctx.path_parameters:
        event["pathParameters"] = ctx.path_parameters
    if body:
        event["isBase64Encoded"] = is_base64
    if ctx.stage.variables:
        event["stageVariables"] = ctx.stage.variables
    return event


def event_v1(ctx: HttpContext, *, body: bool = True) -> dict[str, Any]:
    """The 1.0 event; without `body` (a Lambda authorizer's event) `body` and
    `isBase64Encoded` are left out."""
    request = event_request(ctx)
    route = ctx.route
    resource = route.path if route else "$default"
    multi = merge_headers(event_headers(ctx, request))
    domain, prefix = _domain(ctx)
    identity: dict[str, Any] = dict.fromkeys(_IDENTITY)
    identity["sourceIp"] = request.source_ip
    identity["user"] = None
    identity["userAgent"] = request.header("User-Agent") or ""
    identity["userArn"] = None
    if ctx.identity is not None:
        identity.update((k, v) for k, v in ctx.identity.members().items() if k in identity)
    if ctx.request.client_cert is not None:
        identity["clientCert"] = ctx.request.client_cert
    text, is_base64 = event_body(ctx) if body else (None, False)
    event: dict[str, Any] = {
        "version": "1.0",
        "resource": resource,
        "path": request.stage_path,
        "httpMethod": request.method,
        "headers": {k: v[-1] for k, v in multi.items()},
        "multiValueHeaders": multi,
        "queryStringParameters": request.query or None,
        "multiValueQueryStringParameters": request.multi_query or None,
        "requestContext": {
            "accountId": ctx.stage.account_id,
            "apiId": ctx.stage.api_id,
            "domainName": domain,
            "domainPrefix": prefix,
            "extendedRequestId": ctx.request_id,
            "httpMethod": request.method,
            "identity": identity,
            "path": request.stage_path,
            "protocol": "HTTP/1.1",
            "requestId": ctx.request_id,
            "requestTime": clf_time(ctx.request_time),
            "requestTimeEpoch": ctx.request_time_epoch,
            "resourceId": route.route_key if route else "$default",
            "resourcePath": resource,
            "stage": ctx.stage.stage_name,
        },
        "pathParameters": ctx.path_parameters or None,
        "stageVariables": ctx.stage.variables or None,
    }
    if body:
        event["body"] = text
        event["isBase64Encoded"] = is_base64
    if ctx.authorizer is not None and ctx.authorizer.event is not None:
        event["requestContext"]["authorizer"] = ctx.authorizer.event
    return event


def response_v1(payload: bytes) -> Response:
    """REST's proxy response rules; a base64 body is always decoded (no binaryMediaTypes)."""
    return proxy_response(payload, binary=True)


def response_v2(payload: bytes) -> Response:
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise malformed("not JSON") from None
    if not isinstance(document, dict) or "statusCode" not in document:
        inferred = document.encode() if isinstance(document, str) else payload
        return Response(200, [("Content-Type", "application/json")], inferred)
    status = response_status(document)
    headers = document.get("headers")
    headers = {} if headers is None else headers
    if not isinstance(headers, dict):
        raise malformed("headers must be an object")
    out: list[tuple[str, str]] = []
    typed = False
    for name, value in headers.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        lowered = name.lower()
        if lowered in _TRANSPORT:
            continue
        typed = typed or lowered == "content-type"
        out.append((name, header_value(value)))
    if not typed:
        out.append(("Content-Type", DEFAULT_CONTENT_TYPE))
    cookies = document.get("cookies")
    cookies = [] if cookies is None else cookies
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise malformed("cookies must be a list of strings")
    out.extend(("Set-Cookie", header_value(cookie)) for cookie in cookies)
    return Response(status, out, response_body(document, decode=True))

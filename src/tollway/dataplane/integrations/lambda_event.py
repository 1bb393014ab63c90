"""The REST Lambda proxy event (payload format 1.0) and proxy response (spec §2.1, §2.3).

`build_event` writes the event exactly as API Gateway does: every top-level key present
(null where there is no value), client header names as sent (except `Authorization` and
`User-Agent`, which arrive capitalised), the forwarding headers API Gateway adds, query values
decoded with the last value in `queryStringParameters`, path values still percent-encoded.

`parse_response` applies API Gateway's checks to what the function returned: a JSON object
with only the allowed keys, a numeric `statusCode`, string header values, list
multi-value headers and a string body; anything else is a 502 "Internal server error".

Binary bodies (spec §2.1, §2.3, §4.7): a request body whose Content-Type is one of the API's
`binaryMediaTypes` reaches the function base64-encoded with `isBase64Encoded: true` (any other
body as UTF-8 text). A response with `isBase64Encoded: true` is decoded only when the FIRST
media type of the request's Accept is one of `binaryMediaTypes`; the response's own
Content-Type does not count (LocalStack measured this against AWS); otherwise the client gets
the base64 text. A body that is not base64 is a 500 (API_CONFIGURATION_ERROR), as any failed
base64 conversion. The integration's contentHandling plays no part in the proxy event.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

import orjson

from tollway.dataplane.binary import decode_base64
from tollway.dataplane.context import Request, Response, RestContext, clf_time, merge_headers
from tollway.dataplane.errors import MalformedProxyResponse
from tollway.dataplane.variables import identity

_OMITTED_HEADERS = frozenset({"content-length", "connection"})
_CANONICAL = {"authorization": "Authorization", "user-agent": "User-Agent"}
_RESPONSE_KEYS = frozenset(
    {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
)
_REMAPPED = frozenset({"connection", "content-length", "date", "server"})


# The headers API Gateway sets itself, replacing the client's (whatever their case).
_ADDED = frozenset({"x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id"})


def proxy_headers(
    request: Request, trace_id: str, canonical: Mapping[str, str] = _CANONICAL
) -> list[tuple[str, str]]:
    """The request's headers as a Lambda proxy event has them (REST's and HTTP APIs'): the
    client's, names as sent (but `canonical` ones), without `Content-Length` and
    `Connection`, then the forwarding and trace headers API Gateway sets itself."""
    out: list[tuple[str, str]] = []
    forwarded = None
    for name, value in request.headers:
        lowered = name.lower()
        if lowered in _OMITTED_HEADERS:
            continue
        if lowered in _ADDED:
            if lowered == "x-forwarded-for":
                forwarded = value  # the last one, as the client sent them
            continue
        out.append((canonical.get(lowered, name), value))
    source_ip = request.source_ip
    out.append(("X-Forwarded-For", f"{forwarded}, {source_ip}" if forwarded else source_ip))
    out.append(("X-Forwarded-Port", str(request.port)))
    out.append(("X-Forwarded-Proto", request.scheme))
    out.append(("X-Amzn-Trace-Id", trace_id))
    return out


def _event_headers(ctx: RestContext) -> tuple[dict[str, str], dict[str, list[str]]]:
    multi = merge_headers(proxy_headers(ctx.request, ctx.trace_id))
    return {k: v[-1] for k, v in multi.items()}, multi


def request_context(ctx: RestContext) -> dict[str, Any]:
    method = ctx.method
    stage = ctx.stage
    host = ctx.request.host.split(":", 1)[0]
    out = {
        "resourceId": method.resource_id if method else None,
        "resourcePath": method.resource_path if method else None,
        "httpMethod": ctx.request.method,
        "extendedRequestId": ctx.extended_request_id,
        "requestTime": clf_time(ctx.request_time),
        "path": ctx.request.stage_path,
        "accountId": stage.account_id,
        "protocol": "HTTP/1.1",
        "stage": stage.stage_name,
        "domainPrefix": host.split(".", 1)[0],
        "requestTimeEpoch": ctx.request_time_epoch,
        "requestId": ctx.request_id,
        "identity": identity(ctx),
        "domainName": host,
        "deploymentId": stage.deployment_id,
        "apiId": stage.api_id,
    }
    if ctx.authorizer is not None and ctx.authorizer.event is not None:
        out["authorizer"] = ctx.authorizer.event
    return out


def request_fields(ctx: RestContext) -> dict[str, Any]:
    """The event's members that describe the request, without its body: the proxy event's
    first members, and all of a REQUEST authorizer's event but `type` and `methodArn`."""
    request = ctx.request
    headers, multi_headers = _event_headers(ctx)
    return {
        "resource": ctx.method.resource_path if ctx.method else None,
        # on a custom domain the path as received, its base path included (spec §2.1)
        "path": request.path if request.base_path is None else request.stage_path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": request.query or None,
        "multiValueQueryStringParameters": request.multi_query or None,
        "pathParameters": ctx.path_parameters or None,
        "stageVariables": ctx.stage.variables or None,
        "requestContext": request_context(ctx),
    }


def build_event(ctx: RestContext) -> dict[str, Any]:
    request = ctx.request
    body: str | None = None
    is_base64 = False
    if request.body:
        media_types = ctx.stage.binary_media_types
        if media_types and media_types.matches(request.header("Content-Type")):
            body, is_base64 = base64.b64encode(request.body).decode(), True
        else:
            body = request.body.decode("utf-8", "replace")
    event = request_fields(ctx)
    event["body"] = body
    event["isBase64Encoded"] = is_base64
    return event


def malformed(reason: str) -> MalformedProxyResponse:
    return MalformedProxyResponse(
        f"Execution failed due to configuration error: Malformed Lambda proxy response ({reason})"
    )


_INVALID_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str):
        raise malformed(f"header value {value!r} is not a string")
    if _INVALID_VALUE.search(value):
        raise malformed(f"header value {value!r} contains control characters")
    return value


def parse_response(payload: bytes, ctx: RestContext) -> Response:
    return proxy_response(
        payload, binary=ctx.stage.binary_media_types.matches(ctx.request.header("Accept"))
    )


def proxy_response(payload: bytes, *, binary: bool) -> Response:
    """A payload 1.0 proxy response (REST, and HTTP APIs' payload 1.0); `binary`: whether an
    `isBase64Encoded` body is decoded for this client."""
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise malformed("not JSON") from None
    if not isinstance(document, dict):
        raise malformed("not a JSON object")
    if not _RESPONSE_KEYS.issuperset(document):
        raise malformed(f"unexpected keys {sorted(set(document) - _RESPONSE_KEYS)}")
    status = response_status(document)
    headers = document.get("headers") or {}
    multi = document.get("multiValueHeaders") or {}
    if not isinstance(headers, dict) or not isinstance(multi, dict):
        raise malformed("headers must be objects")
    singles = {k.lower(): (k, v) for k, v in headers.items()}
    pairs: list[tuple[str, Any]] = []
    for name, values in multi.items():
        if not isinstance(values, list):
            raise malformed(f"multiValueHeaders[{name!r}] is not a list")
        # A name in both maps gets the multi values first, then the single one.
        own = singles.pop(name.lower(), None)
        pairs.extend((name, v) for v in values)
        if own is not None:
            pairs.append((name, own[1]))
    pairs.extend(singles.values())
    out: list[tuple[str, str]] = []
    typed = False
    for name, value in pairs:
        value = header_value(value)
        lowered = name.lower()
        if lowered in _REMAPPED:
            out.append(("x-amzn-Remapped-" + name, value))
        elif lowered != "transfer-encoding":
            typed = typed or lowered == "content-type"
            out.append((name, value))
    if not typed:
        out.append(("Content-Type", "application/json"))
    return Response(status, out, response_body(document, decode=binary))


def response_status(document: dict[str, Any]) -> int:
    """A proxy response's `statusCode` (a number, or a numeric string; 200 if absent)."""
    status = document.get("statusCode", 200)
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise malformed(f"statusCode {status!r}")
    return status


def response_body(document: dict[str, Any], *, decode: bool) -> bytes:
    """A proxy response's `body` (a string or null), base64-decoded if it says it is
    (`isBase64Encoded`) and `decode` allows it."""
    body = document.get("body")
    if body is None:
        data = b""
    elif isinstance(body, str):
        data = body.encode()
    else:
        raise malformed("body is not a string")
    if document.get("isBase64Encoded") and data and decode:
        data = decode_base64(data, "Lambda proxy response body")
    return data

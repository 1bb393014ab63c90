"""How HTTP APIs answer a request they fail themselves (spec §1.5, §2.4, §3.2, §12.1).

AWS counterpart: HTTP APIs' built-in error responses (they have no gateway responses to
customise). Stages raise the data plane's typed errors (dataplane/errors.py), as REST stages
do; this renders each type the HTTP API way: a JSON `{"message": ...}` with HTTP APIs'
wording and capitalisation, `Content-Type: application/json` and `apigw-requestid` (and the
CORS headers, handlers/response.py), plus the error's own headers (a JWT authorizer's
`www-authenticate`). No `x-amzn-ErrorType`: HTTP APIs do not send one.

| raised | status | body |
|---|---|---|
| no route, no stage (RESOURCE_NOT_FOUND) | 404 | `{"message":"Not Found"}` |
| integration timeout (INTEGRATION_TIMEOUT) | 503 | `{"message":"Service Unavailable"}` |
| body over 10 MB (REQUEST_TOO_LARGE) | 413 | `{"message":"Request Entity Too Large"}` |
| request line + headers > 10,240 B | 431 | `{"message":"HTTP header is larger than 10240 bytes."}`|
| an authorizer refused the caller (UNAUTHORIZED) | 401 | `{"message":"Unauthorized"}` |
| a denial; AWS_IAM unsigned or not allowed (ACCESS_DENIED) | 403 | `{"message":"Forbidden"}` |
| AWS_IAM route: bad signature, expired token | 403 | SigV4's message (dataplane/auth/iam.py) |
| a token bucket is empty (THROTTLED) | 429 | `{"message":"Too Many Requests"}` |
| anything else (see below) | 500 | `{"message":"Internal Server Error"}` |

Anything else: a function error, a malformed Lambda response, a backend that cannot be
reached, a configuration error, an authorizer that fails or answers something unusable
(AUTHORIZER_CONFIGURATION_ERROR), a failure inside Tollway.

The 503 for a timeout is what users observed (the spec's best value; some report 504); the
413 wording is Tollway's choice (AWS's body is unconfirmed).
"""

from __future__ import annotations

import orjson

from tollway.dataplane.context import Response
from tollway.dataplane.errors import GatewayError, MissingSignature
from tollway.dataplane.http_api.context import HttpContext
from tollway.dataplane.http_api.handlers.response import finish_response

NOT_FOUND = (404, "Not Found")
INTERNAL = (500, "Internal Server Error")
FORBIDDEN = (403, "Forbidden")
_OWN_MESSAGE = ""  # the error's own message
_BY_TYPE = {
    "RESOURCE_NOT_FOUND": NOT_FOUND,
    "MISSING_AUTHENTICATION_TOKEN": NOT_FOUND,
    "INTEGRATION_TIMEOUT": (503, "Service Unavailable"),
    "REQUEST_TOO_LARGE": (413, "Request Entity Too Large"),
    "UNAUTHORIZED": (401, "Unauthorized"),
    "ACCESS_DENIED": FORBIDDEN,
    "INVALID_SIGNATURE": (403, _OWN_MESSAGE),
    "EXPIRED_TOKEN": (403, _OWN_MESSAGE),
    "THROTTLED": (429, "Too Many Requests"),
}


def status_and_message(error: GatewayError) -> tuple[int, str]:
    if isinstance(error, MissingSignature):
        return FORBIDDEN
    if not error.customisable:  # a fixed answer of its own (431, 414: the listener's limits)
        return getattr(error, "status", 500), error.message or ""
    status, message = _BY_TYPE.get(error.response_type, INTERNAL)
    return status, message or error.message or ""


def render_error(ctx: HttpContext, error: GatewayError) -> Response:
    ctx.error = error
    status, message = status_and_message(error)
    if status >= 500 and ctx.integration_error is None:
        # `$context.integrationErrorMessage`: why the request failed (spec §2.4)
        ctx.integration_error = error.log or message
    body = orjson.dumps({"message": message})
    headers = [("Content-Type", "application/json"), *error.headers]
    return finish_response(ctx, Response(status, headers, body))

"""Gateway responses: how a failed request is answered (spec §10).

AWS counterpart: gateway responses. Every typed error raised by a stage ends here and is
rendered with the API's configured response for its type (status, headers, body template
chosen by Accept), plus `x-amzn-RequestId`, `x-amz-apigw-id` and `x-amzn-ErrorType`. An
error with its own body key (AccessDenied: `{"Message": ...}`, as AWS answers) renders the
default template with that key. An error AWS has no gateway response type for
(`customisable` False: the 414 of an over-long method ARN) is answered as it is.
"""

from __future__ import annotations

import orjson

from tollway.dataplane.context import Response, RestContext
from tollway.dataplane.errors import GatewayError
from tollway.dataplane.handlers.integration_request import media_type
from tollway.model.gateway_responses import DEFAULTS


def render_error(ctx: RestContext, error: GatewayError) -> Response:
    ctx.error = error
    if not error.customisable:
        return _fixed(ctx, error)
    configured = ctx.stage.gateway_responses[error.response_type]
    own_status = getattr(error, "status", None)
    status = configured.status if configured.customised_status else None
    status = status or own_status or configured.status or DEFAULTS[error.response_type].status
    accept = media_type(ctx.request.header("Accept"))
    if accept in configured.templates:
        content_type = accept
    elif "application/json" in configured.templates:
        content_type = "application/json"
    else:
        content_type = configured.first_template
    if configured.default_template and error.body_key != "message":
        body = b'{"%s":%s}' % (error.body_key.encode(), orjson.dumps(error.message))
    else:
        body = configured.templates[content_type](ctx).encode()
    headers = [("Content-Type", content_type)]
    for name, get in configured.headers:
        value = get(ctx)
        if value is not None:
            headers.append((name, value))
    headers.extend(error.headers)
    headers.append(("x-amzn-RequestId", ctx.request_id))
    headers.append(("x-amz-apigw-id", ctx.extended_request_id))
    error_type = error.error_type or DEFAULTS[error.response_type].error_type
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    return Response(status or 500, headers, body)


def _fixed(ctx: RestContext, error: GatewayError) -> Response:
    """An error that is no gateway response type: its own status and JSON body, always."""
    body = b'{"message":%s}' % orjson.dumps(error.message)
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-RequestId", ctx.request_id),
        ("x-amz-apigw-id", ctx.extended_request_id),
    ]
    return Response(getattr(error, "status", 500), headers, body)

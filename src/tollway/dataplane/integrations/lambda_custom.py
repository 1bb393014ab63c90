"""AWS integration with Lambda (the "custom", non-proxy Lambda integration, spec §2.5).

The function gets the integration request body: what the request template rendered, or the
method request's body passed through. Its result is the endpoint response the integration
responses map: on success the selection value is empty, so the default integration response
applies; on a function error (unhandled exception, timeout, crash) the selection value is the
error's `errorMessage`, matched against each response's `selectionPattern`, and the error
object is the body (`$input.path('$.errorMessage')`; a JSON string there is a custom error
object, read with `$util.parseJson`). Without a matching or default response the request
fails with 500; with no mapping at all a function error comes back as 200 with the error
JSON, as on AWS.

The integration request header `X-Amz-Invocation-Type` mapped to `'Event'` invokes the
function asynchronously: Lambda queues it (retrying a failure as it does), and the
integration responses map an empty 202 endpoint response. What Lambda refuses (no function,
no permission, throttled) is a 500 and the integration timeout a 504, as for AWS_PROXY.
"""

from __future__ import annotations

import orjson

from tollway.dataplane.context import Response, RestContext
from tollway.dataplane.integrations.lambda_proxy import (
    PRINCIPAL,
    LambdaIntegration,
    lambda_refusals,
)

INVOCATION_TYPE = "x-amz-invocation-type"


class LambdaCustomIntegration(LambdaIntegration):
    proxy = False

    async def invoke(self, ctx: RestContext) -> None:
        payload = ctx.integration_body
        source_arn = self._source_arn(ctx)
        if _invocation_type(ctx) == "event":
            if ctx.execution_log is not None:
                self.trace_request(ctx, payload, source_arn, ("X-Amz-Invocation-Type", "Event"))
            with lambda_refusals():
                self._invoker.invoke_event_as_service(
                    self._function_ref, payload, principal=PRINCIPAL, source_arn=source_arn
                )
            ctx.integration_status = 202
            ctx.selection_value = None
            ctx.endpoint_response = Response(202)
            if ctx.execution_log is not None:
                ctx.execution_log.endpoint_response(202, 0, [], b"")
            return
        result = await self._call(ctx, payload, source_arn)
        ctx.integration_status = 200
        ctx.selection_value = _error_message(result.payload) if result.function_error else None
        if result.function_error:
            ctx.integration_error = result.payload.decode("utf-8", "replace")
        ctx.endpoint_response = Response(200, [], result.payload)


def _invocation_type(ctx: RestContext) -> str:
    mapped = ctx.mapped
    if mapped is None:
        return "requestresponse"
    for name, values in mapped.headers.items():
        if name.lower() == INVOCATION_TYPE and values:
            return values[-1].strip().lower()
    return "requestresponse"


def _error_message(payload: bytes) -> str:
    """The error's `errorMessage` (what selection patterns see); "" if there is none."""
    try:
        error = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return ""
    message = error.get("errorMessage") if isinstance(error, dict) else None
    return message if isinstance(message, str) else ("" if message is None else str(message))

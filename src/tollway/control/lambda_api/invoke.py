"""Invoke: RequestResponse (the result), Event (202, run in the background with Lambda's
retries) and DryRun (204, checks only). `LogType: Tail` returns the last 4 KB of the
invocation's log (START ... REPORT), base64-encoded."""

from __future__ import annotations

import base64
from typing import Any

import orjson

from tollway.control.errors import (
    InvalidRequestContentException,
    LambdaServiceException,
    NotSupportedByTollway,
    RequestEntityTooLargeException,
    ResourceNotFoundException,
    ServiceError,
    TooManyRequestsException,
)
from tollway.control.lambda_api.common import named, ops, registry
from tollway.control.operations import Call
from tollway.functions.errors import FunctionNotFound, FunctionThrottled, RemoteInvokeError

MAX_SYNC_PAYLOAD = 6 * 1024 * 1024
MAX_EVENT_PAYLOAD = 1024 * 1024  # Lambda raised it from 256 KB in October 2025
LOG_TAIL = 4096


def throttled() -> TooManyRequestsException:
    return TooManyRequestsException(
        "Rate Exceeded.", Reason="ReservedFunctionConcurrentInvocationLimitExceeded"
    )


def remote_failure(error: RemoteInvokeError) -> ServiceError:
    failure = LambdaServiceException(error.message)
    failure.code, failure.status = error.error_type, error.status
    return failure


@ops("Invoke")
async def invoke(call: Call) -> dict[str, Any]:
    p = call.params
    name, qualifier = named(call)
    payload: bytes = p.get("Payload") or b"{}"
    invocation_type = p.get("InvocationType") or "RequestResponse"
    if p.get("ClientContext"):
        raise NotSupportedByTollway(
            "Tollway does not pass ClientContext to functions yet (context.client_context)"
        )
    try:
        target = registry(call).target(name, qualifier)
    except FunctionNotFound as e:
        raise ResourceNotFoundException(str(e)) from None
    if invocation_type == "Event" and len(payload) > MAX_EVENT_PAYLOAD:
        raise RequestEntityTooLargeException(
            f"{len(payload)} byte payload is too large for the Event invocation type "
            f"(limit {MAX_EVENT_PAYLOAD} bytes)"
        )
    if len(payload) > MAX_SYNC_PAYLOAD:
        raise RequestEntityTooLargeException(
            f"Request must be smaller than {MAX_SYNC_PAYLOAD} bytes for the InvokeFunction "
            "operation"
        )
    try:
        orjson.loads(payload)
    except orjson.JSONDecodeError as e:
        raise InvalidRequestContentException(
            f"Could not parse request body into json: Could not parse payload into json: {e}"
        ) from None
    if invocation_type == "DryRun":
        return {"StatusCode": 204}
    if invocation_type == "Event":
        registry(call).events.submit(target, payload, call.request_id)
        return {"StatusCode": 202}
    try:
        result = await registry(call).run(target, payload, request_id=call.request_id)
    except FunctionThrottled:
        raise throttled() from None
    except RemoteInvokeError as e:
        raise remote_failure(e) from None
    out: dict[str, Any] = {
        "StatusCode": 200,
        "Payload": result.payload,
        "ExecutedVersion": result.executed_version,
    }
    if result.function_error:
        out["FunctionError"] = result.function_error
    if p.get("LogType") == "Tail":
        out["LogResult"] = base64.b64encode(result.log.encode()[-LOG_TAIL:]).decode()
    return out

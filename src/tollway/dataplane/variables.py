"""API Gateway's `$context` variables for REST APIs (spec §11.1), defined once.

Each variable is a getter on the request context. Access-log formats, parameter mappings
(`context.requestId`) and gateway-response templates resolve variable names to getters when a
deployment is compiled, so a request only calls functions; mapping templates get the whole
set as a nested map (`context_map`). A getter returns None where AWS has no value.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson

from tollway.dataplane.context import RestContext, clf_time

Getter = Callable[[RestContext], Any]


def _error_message(ctx: RestContext) -> str | None:
    return ctx.error.message if ctx.error is not None else None


def _error_message_string(ctx: RestContext) -> str | None:
    # The message as a JSON string literal, quotes included: `"Missing Authentication Token"`.
    if ctx.error is None:
        return None
    return orjson.dumps(ctx.error.message).decode()


def _domain_prefix(ctx: RestContext) -> str:
    return ctx.request.host.split(".", 1)[0].split(":", 1)[0]


def _resource_path(ctx: RestContext) -> str | None:
    return ctx.method.resource_path if ctx.method else None


def _resource_id(ctx: RestContext) -> str | None:
    return ctx.method.resource_id if ctx.method else None


def _status(ctx: RestContext) -> int | None:
    return ctx.response.status if ctx.response else None


def _response_length(ctx: RestContext) -> int | None:
    return len(ctx.response.body) if ctx.response else None


def _response_latency(ctx: RestContext) -> int:
    return int((time.perf_counter() - ctx.started) * 1000)


def _none(ctx: RestContext) -> None:
    return None


GETTERS: dict[str, Getter] = {
    "accountId": lambda ctx: ctx.stage.account_id,
    "apiId": lambda ctx: ctx.stage.api_id,
    "deploymentId": lambda ctx: ctx.stage.deployment_id,
    "domainName": lambda ctx: ctx.request.host.split(":", 1)[0],
    "domainPrefix": _domain_prefix,
    "extendedRequestId": lambda ctx: ctx.extended_request_id,
    "httpMethod": lambda ctx: ctx.request.method,
    "identity.sourceIp": lambda ctx: ctx.request.source_ip,
    "identity.userAgent": lambda ctx: ctx.request.header("User-Agent"),
    "path": lambda ctx: ctx.request.stage_path,
    "protocol": lambda ctx: "HTTP/1.1",
    "requestId": lambda ctx: ctx.request_id,
    "requestTime": lambda ctx: clf_time(ctx.request_time),
    "requestTimeEpoch": lambda ctx: ctx.request_time_epoch,
    "resourceId": _resource_id,
    "resourcePath": _resource_path,
    "stage": lambda ctx: ctx.stage.stage_name,
    "isCanaryRequest": lambda ctx: False,
    "error.message": _error_message,
    "error.messageString": _error_message_string,
    "error.responseType": lambda ctx: ctx.error.response_type if ctx.error else None,
    "error.validationErrorString": lambda ctx: ctx.error.validation_error if ctx.error else None,
    "xrayTraceId": lambda ctx: ctx.trace_id,
    "integrationLatency": lambda ctx: ctx.integration_latency,
    "integration.latency": lambda ctx: ctx.integration_latency,
    "integrationStatus": lambda ctx: ctx.integration_status,
    "integration.integrationStatus": lambda ctx: ctx.integration_status,
    "integration.status": lambda ctx: ctx.integration_status,
    "integrationErrorMessage": lambda ctx: ctx.integration_error,
    "integration.error": lambda ctx: ctx.integration_error,
    "responseLatency": _response_latency,
    "responseLength": _response_length,
    "status": _status,
}
# Identity members API Gateway only fills with IAM / Cognito authorization (later work).
for _name in (
    "accountId",
    "apiKey",
    "apiKeyId",
    "caller",
    "cognitoAuthenticationProvider",
    "cognitoAuthenticationType",
    "cognitoIdentityId",
    "cognitoIdentityPoolId",
    "principalOrgId",
    "user",
    "userArn",
    "accessKey",
):
    GETTERS[f"identity.{_name}"] = _none

IDENTITY_MEMBERS = (
    "accessKey",
    "accountId",
    "caller",
    "cognitoAuthenticationProvider",
    "cognitoAuthenticationType",
    "cognitoIdentityId",
    "cognitoIdentityPoolId",
    "principalOrgId",
    "sourceIp",
    "user",
    "userAgent",
    "userArn",
)
"""`requestContext.identity` of a Lambda proxy event, in AWS's order."""


def getter(name: str) -> Getter | None:
    """The getter for `$context.<name>`, or None if Tollway does not know the variable."""
    return GETTERS.get(name)


# Most members are always null until authorization fills them: copied, not computed.
_IDENTITY_NULLS = dict.fromkeys(IDENTITY_MEMBERS)
_IDENTITY_GETTERS = tuple(
    (member, GETTERS[f"identity.{member}"])
    for member in IDENTITY_MEMBERS
    if GETTERS[f"identity.{member}"] is not _none
)


def identity(ctx: RestContext) -> dict[str, Any]:
    out = _IDENTITY_NULLS.copy()
    for member, get in _IDENTITY_GETTERS:
        out[member] = get(ctx)
    return out


def context_map(ctx: RestContext) -> dict[str, Any]:
    """`$context` as the nested map mapping templates see, built once per request."""
    if ctx.variables is not None:
        return ctx.variables
    out: dict[str, Any] = {}
    for name, get in GETTERS.items():
        head, _, tail = name.partition(".")
        value = get(ctx)
        if tail:
            out.setdefault(head, {})[tail] = value
        else:
            out[head] = value
    ctx.variables = out
    return out

"""HTTP APIs' `$context` variables for access logs (spec §11.2), defined once.

Each variable is a getter on the request context; access-log formats resolve names to
getters when a deployment is compiled (substitution.compile_variables), so a request only
calls functions. A getter returns None where AWS has no value (the log shows `-`): the
identity members no authentication filled, the AWS endpoint request ids, the
custom-domain variables, `authorizer.*` when no authorizer ran.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson

from tollway.dataplane.context import clf_time
from tollway.dataplane.http_api.context import HttpContext
from tollway.dataplane.http_api.errors import status_and_message
from tollway.dataplane.variables import CLIENT_CERT_MEMBERS, authorizer_getter, client_cert_getter

Getter = Callable[[HttpContext], Any]


def _error_message(ctx: HttpContext) -> str | None:
    return status_and_message(ctx.error)[1] if ctx.error is not None else None


def _error_message_string(ctx: HttpContext) -> str | None:
    message = _error_message(ctx)
    return orjson.dumps(message).decode() if message is not None else None


def _none(ctx: HttpContext) -> None:
    return None


def _route_key(ctx: HttpContext) -> str | None:
    return ctx.route.route_key if ctx.route else None


def _length(ctx: HttpContext) -> int | None:
    return len(ctx.response.body) if ctx.response else None


GETTERS: dict[str, Getter] = {
    "accountId": lambda ctx: ctx.stage.account_id,
    "apiId": lambda ctx: ctx.stage.api_id,
    "dataProcessed": lambda ctx: len(ctx.request.body) + (_length(ctx) or 0),
    "domainName": lambda ctx: ctx.request.host.split(":", 1)[0],
    "domainPrefix": lambda ctx: ctx.request.host.split(".", 1)[0].split(":", 1)[0],
    "error.message": _error_message,
    "error.messageString": _error_message_string,
    "error.responseType": lambda ctx: ctx.error.response_type if ctx.error else None,
    "extendedRequestId": lambda ctx: ctx.request_id,
    "httpMethod": lambda ctx: ctx.request.method,
    "identity.sourceIp": lambda ctx: ctx.request.source_ip,
    "identity.userAgent": lambda ctx: ctx.request.header("User-Agent"),
    "integration.error": lambda ctx: ctx.integration_error,
    "integration.integrationStatus": lambda ctx: ctx.integration_status,
    "integration.latency": lambda ctx: ctx.integration_latency,
    "integration.status": lambda ctx: ctx.integration_status,
    "integrationErrorMessage": lambda ctx: ctx.integration_error,
    "integrationLatency": lambda ctx: ctx.integration_latency,
    "integrationStatus": lambda ctx: ctx.integration_status,
    "path": lambda ctx: ctx.request.stage_path,
    "protocol": lambda ctx: "HTTP/1.1",
    "requestId": lambda ctx: ctx.request_id,
    "requestTime": lambda ctx: clf_time(ctx.request_time),
    "requestTimeEpoch": lambda ctx: ctx.request_time_epoch,
    "responseLatency": lambda ctx: int((time.perf_counter() - ctx.started) * 1000),
    "responseLength": _length,
    "routeKey": _route_key,
    "stage": lambda ctx: ctx.stage.stage_name,
    "status": lambda ctx: ctx.response.status if ctx.response else None,
    "authorizer.principalId": lambda ctx: ctx.authorizer.principal_id if ctx.authorizer else None,
}
# Filled by authorization, custom domains and AWS service integrations (later work).
for _name in (
    "authorizer.error",
    "awsEndpointRequestId",
    "awsEndpointRequestId2",
    "identity.cognitoAuthenticationProvider",
    "identity.cognitoAuthenticationType",
    "identity.cognitoIdentityId",
    "identity.cognitoIdentityPoolId",
    "identity.principalOrgId",
    "integration.requestId",
):
    GETTERS[_name] = _none


def _identity(attribute: str) -> Getter:
    """An identity member IAM authentication fills (`ctx.identity`), else None."""
    return lambda ctx: getattr(ctx.identity, attribute) if ctx.identity is not None else None


for _member, _attribute in (
    ("accountId", "account_id"),
    ("caller", "caller"),
    ("user", "user"),
    ("userArn", "user_arn"),
):
    GETTERS[f"identity.{_member}"] = _identity(_attribute)


GETTERS["customDomain.basePathMatched"] = lambda ctx: ctx.request.base_path or None
for _members in CLIENT_CERT_MEMBERS:
    GETTERS["identity.clientCert." + ".".join(_members)] = client_cert_getter(*_members)


def getter(name: str) -> Getter | None:
    """The getter for `$context.<name>`, or None if HTTP APIs have no such variable.
    `authorizer.<key>` and `authorizer.claims.<claim>` are whatever the route's authorizer
    passed on (`AuthorizerResult.variables`), so any such name has a getter."""
    found = GETTERS.get(name)
    if found is None and name.startswith("authorizer.") and len(name) > len("authorizer."):
        found = authorizer_getter(tuple(name.split(".")[1:]))
    return found

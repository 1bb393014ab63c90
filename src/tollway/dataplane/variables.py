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

from tollway.dataplane.auth.outcome import authorizer_value
from tollway.dataplane.context import RestContext, clf_time

Getter = Callable[[RestContext], Any]


def _error_message(ctx: RestContext) -> str | None:
    return ctx.error.message if ctx.error is not None else None


CLIENT_CERT_MEMBERS = (
    ("clientCertPem",),
    ("subjectDN",),
    ("issuerDN",),
    ("serialNumber",),
    ("validity", "notBefore"),
    ("validity", "notAfter"),
)


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
    "isCanaryRequest": lambda ctx: ctx.stage.is_canary,
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
_IDENTITY_ATTRIBUTES = {
    "accessKey": "access_key",
    "accountId": "account_id",
    "caller": "caller",
    "cognitoAuthenticationProvider": "cognito_authentication_provider",
    "cognitoAuthenticationType": "cognito_authentication_type",
    "cognitoIdentityId": "cognito_identity_id",
    "cognitoIdentityPoolId": "cognito_identity_pool_id",
    "principalOrgId": "principal_org_id",
    "user": "user",
    "userArn": "user_arn",
}
"""Identity members authentication fills (`ctx.identity`: IAM, Cognito identity pools)."""


def _identity_getter(attribute: str) -> Getter:
    def get(ctx: RestContext) -> Any:
        return getattr(ctx.identity, attribute) if ctx.identity is not None else None

    return get


for _member, _attribute in _IDENTITY_ATTRIBUTES.items():
    GETTERS[f"identity.{_member}"] = _identity_getter(_attribute)


def client_cert_getter(*members: str) -> Callable[[Any], Any]:
    """`$context.identity.clientCert.*` (mutual TLS on a custom domain, spec §14.1), for REST
    and HTTP APIs alike."""

    def get(ctx: Any) -> Any:
        value: Any = ctx.request.client_cert
        for member in members:
            value = value.get(member) if value is not None else None
        return value

    return get


for _members in CLIENT_CERT_MEMBERS:
    GETTERS["identity.clientCert." + ".".join(_members)] = client_cert_getter(*_members)
# The API key of a method with apiKeyRequired (handlers/api_key.py).
GETTERS["identity.apiKey"] = lambda ctx: ctx.api_key.value if ctx.api_key else None
GETTERS["identity.apiKeyId"] = lambda ctx: ctx.api_key.id if ctx.api_key else None

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


def _authorizer_attribute(attribute: str) -> Getter:
    def get(ctx: RestContext) -> Any:
        return getattr(ctx.authorizer, attribute) if ctx.authorizer is not None else None

    return get


# Access-log variables of the authorizer's call (spec §11.1). In access logs and parameter
# mappings these names are the call's figures; mapping templates see `$context.authorizer`
# as the authorizer's own map (principalId and context keys), as on AWS.
# `authenticate.*` is the authorizer's authentication of the caller (its call's outcome);
# `authorize.*` the decision on the method (200, or 403 and why).
for _name, _attribute in {
    "authorizer.latency": "latency",
    "authorizer.status": "status",
    "authorizer.integrationLatency": "integration_latency",
    "authorizer.integrationStatus": "integration_status",
    "authorizer.error": "error",
    "authenticate.latency": "latency",
    "authenticate.status": "status",
    "authenticate.error": "error",
    "authorize.latency": "latency",
    "authorize.status": "authorize_status",
    "authorize.error": "authorize_error",
}.items():
    GETTERS[_name] = _authorizer_attribute(_attribute)
GETTERS["authorizer.requestId"] = _none  # Lambda's request id of the call: not reported


def authorizer_getter(path: tuple[str, ...]) -> Callable[[Any], Any]:
    """The getter of `$context.authorizer.<path>` for any request context with an
    `authorizer` (REST's and HTTP APIs')."""

    def get(ctx: Any) -> Any:
        return authorizer_value(ctx.authorizer, path)

    return get


def getter(name: str) -> Getter | None:
    """The getter for `$context.<name>`, or None if Tollway does not know the variable.
    `authorizer.<key>` (and `authorizer.claims.<claim>`) are whatever the authorizer
    passes on, so any such name has a getter."""
    found = GETTERS.get(name)
    if found is None and name.startswith("authorizer.") and len(name) > len("authorizer."):
        found = authorizer_getter(tuple(name.split(".")[1:]))
    return found


# The members only authentication fills are null unless it ran: copied, not computed.
_IDENTITY_NULLS = dict.fromkeys(IDENTITY_MEMBERS)
_SOURCE_IP = GETTERS["identity.sourceIp"]
_USER_AGENT = GETTERS["identity.userAgent"]


def identity(ctx: RestContext) -> dict[str, Any]:
    out = _IDENTITY_NULLS.copy()
    out["sourceIp"] = _SOURCE_IP(ctx)
    out["userAgent"] = _USER_AGENT(ctx)
    if ctx.identity is not None:
        members = ctx.identity.members()
        for member in _IDENTITY_ATTRIBUTES:
            out[member] = members[member]
    if ctx.request.client_cert is not None:  # mutual TLS (spec §14.1)
        out["clientCert"] = ctx.request.client_cert
    if ctx.api_key is not None:
        # present when the method took an API key (spec §2.1)
        out["apiKey"] = ctx.api_key.value
        out["apiKeyId"] = ctx.api_key.id
    return out


def context_map(ctx: RestContext) -> dict[str, Any]:
    """`$context` as the nested map mapping templates see, built once per request."""
    if ctx.variables is not None:
        return ctx.variables
    out: dict[str, Any] = {}
    for name, get in GETTERS.items():
        *heads, last = name.split(".")
        target = out
        for head in heads:  # `identity.clientCert.validity.notAfter` nests three deep
            target = target.setdefault(head, {})
        target[last] = get(ctx)
    if ctx.authorizer is not None:
        out["authorizer"] = ctx.authorizer.variables
    ctx.variables = out
    return out

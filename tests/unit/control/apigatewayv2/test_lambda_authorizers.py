"""HTTP API Lambda authorizers as CreateAuthorizer checks them (control/apigatewayv2/
lambda_authorizers.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tollway.control.apigatewayv2.lambda_authorizers import check_http_lambda_authorizer
from tollway.control.apigatewayv2.parts import check_authorizer
from tollway.control.errors import BadRequestException

URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:000000000000:function:auth/invocations"
)


def _authorizer(**fields: Any) -> dict[str, Any]:
    return {
        "AuthorizerType": "REQUEST",
        "AuthorizerUri": URI,
        "AuthorizerPayloadFormatVersion": "2.0",
        "IdentitySource": ["$request.header.Authorization"],
        **fields,
    }


def _refusal(authorizer: dict[str, Any]) -> str:
    with pytest.raises(BadRequestException) as info:
        check_authorizer(True, authorizer)
    return info.value.message


def test_a_valid_authorizer_gets_no_caching_when_no_ttl_is_given() -> None:
    authorizer = _authorizer()
    check_http_lambda_authorizer(authorizer)
    assert authorizer["AuthorizerResultTtlInSeconds"] == 0
    cached = _authorizer(AuthorizerResultTtlInSeconds=300)
    check_http_lambda_authorizer(cached)
    assert cached["AuthorizerResultTtlInSeconds"] == 300


def test_the_payload_format_version_is_required_and_known() -> None:
    no_version = _authorizer()
    del no_version["AuthorizerPayloadFormatVersion"]
    assert _refusal(no_version) == (
        "AuthorizerPayloadFormatVersion is a required parameter for REQUEST authorizer"
    )
    assert _refusal(_authorizer(AuthorizerPayloadFormatVersion="3.0")) == (
        "Invalid AuthorizerPayloadFormatVersion specified: 3.0. Supported values are 1.0 and 2.0"
    )


def test_simple_responses_need_payload_2() -> None:
    assert _refusal(_authorizer(AuthorizerPayloadFormatVersion="1.0", EnableSimpleResponses=True))
    check_authorizer(True, _authorizer(EnableSimpleResponses=True))
    check_authorizer(True, _authorizer(AuthorizerPayloadFormatVersion="1.0"))


@pytest.mark.parametrize(
    "source",
    [
        "$request.header.X-Token",
        "$request.querystring.token",
        "$context.routeKey",
        "$context.identity.sourceIp",
        "$stageVariables.tenant",
    ],
)
def test_identity_source_kinds(source: str) -> None:
    check_authorizer(True, _authorizer(IdentitySource=[source]))


@pytest.mark.parametrize(
    "source",
    [
        "method.request.header.Authorization",  # REST's syntax
        "route.request.header.Auth",  # WebSocket's
        "$request.header.",
        "$request.path.id",
        "$request.body.token",
        "$context.",
        "$request.header.a b",
    ],
)
def test_invalid_identity_sources(source: str) -> None:
    assert _refusal(_authorizer(IdentitySource=[source])) == (
        f"Invalid identity source specified: {source}. An identity source must be "
        "$request.header.<name>, $request.querystring.<name>, $context.<name> or "
        "$stageVariables.<name>"
    )


def test_caching_needs_an_identity_source() -> None:
    message = "Identity source must be set if authorizer caching is enabled (TTL is greater than 0)"
    assert _refusal(_authorizer(IdentitySource=[], AuthorizerResultTtlInSeconds=1)) == message
    check_authorizer(True, _authorizer(IdentitySource=[], AuthorizerResultTtlInSeconds=0))
    check_authorizer(True, _authorizer(IdentitySource=[]))


def test_websocket_request_authorizers_keep_their_own_rules() -> None:
    websocket = {
        "AuthorizerType": "REQUEST",
        "AuthorizerUri": URI,
        "IdentitySource": ["route.request.header.Auth"],
    }
    check_authorizer(False, websocket)
    assert "AuthorizerResultTtlInSeconds" not in websocket

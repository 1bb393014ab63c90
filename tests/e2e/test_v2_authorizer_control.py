"""HTTP API Lambda authorizers in the control plane, end to end with boto3 (spec §5.7, §16.2):
CreateAuthorizer's and UpdateAuthorizer's checks with AWS's errors, the 10-authorizer limit,
route authorization types needing an authorizer of the right type, ResetAuthorizersCache on
a stage that exists and on one that does not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Server, aws_error, lambda_uri, shape, status_of

URI = lambda_uri("authorizer")


@pytest.fixture(scope="module")
def v2(server: Server) -> Any:
    return server.client("apigatewayv2")


@pytest.fixture
def api_id(v2: Any) -> str:
    return str(v2.create_api(Name="authorizers", ProtocolType="HTTP")["ApiId"])


def _lambda_authorizer(v2: Any, api_id: str, **fields: Any) -> dict[str, Any]:
    given = {
        "Name": "lambda",
        "AuthorizerType": "REQUEST",
        "AuthorizerUri": URI,
        "AuthorizerPayloadFormatVersion": "2.0",
        "IdentitySource": ["$request.header.Authorization"],
        **fields,
    }
    return shape(v2.create_authorizer(ApiId=api_id, **given))


def test_create_get_update(v2: Any, api_id: str) -> None:
    created = _lambda_authorizer(v2, api_id, EnableSimpleResponses=True)
    authorizer_id = created["AuthorizerId"]
    assert created == {
        "AuthorizerId": authorizer_id,
        "AuthorizerPayloadFormatVersion": "2.0",
        "AuthorizerResultTtlInSeconds": 0,
        "AuthorizerType": "REQUEST",
        "AuthorizerUri": URI,
        "EnableSimpleResponses": True,
        "IdentitySource": ["$request.header.Authorization"],
        "Name": "lambda",
    }
    assert shape(v2.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)) == created
    updated = v2.update_authorizer(
        ApiId=api_id,
        AuthorizerId=authorizer_id,
        AuthorizerResultTtlInSeconds=300,
        IdentitySource=["$request.header.Authorization", "$context.routeKey"],
    )
    assert updated["AuthorizerResultTtlInSeconds"] == 300
    assert updated["IdentitySource"] == ["$request.header.Authorization", "$context.routeKey"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"AuthorizerPayloadFormatVersion": None},
            "AuthorizerPayloadFormatVersion is a required parameter for REQUEST authorizer",
        ),
        (
            {"AuthorizerPayloadFormatVersion": "1.1"},
            "Invalid AuthorizerPayloadFormatVersion specified: 1.1. Supported values are 1.0 "
            "and 2.0",
        ),
        (
            {"AuthorizerPayloadFormatVersion": "1.0", "EnableSimpleResponses": True},
            "EnableSimpleResponses is supported only for AuthorizerPayloadFormatVersion 2.0",
        ),
        (
            {"IdentitySource": [], "AuthorizerResultTtlInSeconds": 60},
            "Identity source must be set if authorizer caching is enabled (TTL is greater than 0)",
        ),
        (
            {"IdentitySource": ["method.request.header.Authorization"]},
            "Invalid identity source specified: method.request.header.Authorization. An "
            "identity source must be $request.header.<name>, $request.querystring.<name>, "
            "$context.<name> or $stageVariables.<name>",
        ),
        (
            {"AuthorizerResultTtlInSeconds": 3601},
            "1 validation error detected: Value '3601' at 'createAuthorizerInput."
            "authorizerResultTtlInSeconds' failed to satisfy constraint: Member must have value "
            "less than or equal to 3600",
        ),
    ],
)
def test_create_refusals(v2: Any, api_id: str, fields: dict[str, Any], message: str) -> None:
    given = {
        "ApiId": api_id,
        "Name": "lambda",
        "AuthorizerType": "REQUEST",
        "AuthorizerUri": URI,
        "AuthorizerPayloadFormatVersion": "2.0",
        "IdentitySource": ["$request.header.Authorization"],
    }
    given.update(fields)
    given = {k: v for k, v in given.items() if v is not None}
    assert aws_error(v2.create_authorizer, **given) == (400, "BadRequestException", message)
    assert v2.get_authorizers(ApiId=api_id)["Items"] == []


def test_update_is_checked_too(v2: Any, api_id: str) -> None:
    authorizer_id = _lambda_authorizer(v2, api_id)["AuthorizerId"]
    assert aws_error(
        v2.update_authorizer, ApiId=api_id, AuthorizerId=authorizer_id, IdentitySource=[],
        AuthorizerResultTtlInSeconds=5,
    )[:2] == (400, "BadRequestException")  # fmt: skip
    assert v2.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)["IdentitySource"] == [
        "$request.header.Authorization"
    ]


def test_ten_authorizers_per_api(v2: Any, api_id: str) -> None:
    for n in range(10):
        _lambda_authorizer(v2, api_id, Name=f"a{n}")
    assert aws_error(v2.create_authorizer, ApiId=api_id, Name="eleventh",
                     AuthorizerType="REQUEST", AuthorizerUri=URI,
                     AuthorizerPayloadFormatVersion="2.0", IdentitySource=[]) == (
        429,
        "TooManyRequestsException",
        "Maximum number of Authorizers for this API has been reached. Please contact AWS if "
        "you need additional Authorizers.",
    )  # fmt: skip
    assert len(v2.get_authorizers(ApiId=api_id)["Items"]) == 10


def test_routes_need_an_authorizer_of_their_type(v2: Any, api_id: str) -> None:
    lambda_id = _lambda_authorizer(v2, api_id)["AuthorizerId"]
    jwt_id = v2.create_authorizer(
        ApiId=api_id, Name="jwt", AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": "https://issuer.example", "Audience": ["a"]},
    )["AuthorizerId"]  # fmt: skip
    custom = (
        400,
        "BadRequestException",
        "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
        "COGNITO_USER_POOLS requires a valid authorizer.",
    )
    jwt = (
        400,
        "BadRequestException",
        "Invalid authorizer ID specified. Setting the authorization type to JWT requires a "
        "valid JWT authorizer.",
    )
    create = v2.create_route
    assert aws_error(create, ApiId=api_id, RouteKey="GET /a", AuthorizationType="CUSTOM") == custom
    assert aws_error(create, ApiId=api_id, RouteKey="GET /a", AuthorizationType="CUSTOM",
                     AuthorizerId="nope123") == custom  # fmt: skip
    assert aws_error(create, ApiId=api_id, RouteKey="GET /a", AuthorizationType="CUSTOM",
                     AuthorizerId=jwt_id) == custom  # fmt: skip
    assert aws_error(create, ApiId=api_id, RouteKey="GET /a", AuthorizationType="JWT",
                     AuthorizerId=lambda_id) == jwt  # fmt: skip
    assert aws_error(create, ApiId=api_id, RouteKey="GET /a", AuthorizationType="CUSTOM",
                     AuthorizerId=lambda_id, AuthorizationScopes=["read"]) == (
        400,
        "BadRequestException",
        "Invalid Route authorization type specified. Authorization Scopes are only valid for "
        "COGNITO_USER_POOLS and JWT authorization types",
    )  # fmt: skip
    route = v2.create_route(
        ApiId=api_id, RouteKey="GET /a", AuthorizationType="CUSTOM", AuthorizerId=lambda_id
    )
    assert (route["AuthorizationType"], route["AuthorizerId"]) == ("CUSTOM", lambda_id)
    assert aws_error(v2.delete_authorizer, ApiId=api_id, AuthorizerId=lambda_id)[:2] == (
        409,
        "ConflictException",
    )


def test_reset_authorizers_cache(v2: Any, api_id: str) -> None:
    v2.create_stage(ApiId=api_id, StageName="dev")
    response = v2.reset_authorizers_cache(ApiId=api_id, StageName="dev")
    assert status_of(response) == 204
    assert aws_error(v2.reset_authorizers_cache, ApiId=api_id, StageName="nope") == (
        404,
        "NotFoundException",
        "Invalid stage identifier specified",
    )
    assert aws_error(v2.reset_authorizers_cache, ApiId="nope123", StageName="dev")[:2] == (
        404,
        "NotFoundException",
    )

"""REST Cognito user pool authorizers through the REST pipeline (auth/cognito.py): the pool's
issuer and JWKS (or the configured Cognito endpoint), ID vs access tokens by the method's
scopes, identityValidationExpression on `aud`, 401 UNAUTHORIZED for every failure, claims
rendered as REST APIs render them in `$context.authorizer.claims.*` and the proxy event."""

from __future__ import annotations

import time
from typing import Any

import pytest
from tests.jwt_issuer import claims, jwks, token
from tests.unit.dataplane.conftest import NoFunctions, add, context, definition

from tollway.dataplane.auth.cognito import java_date, pool_issuer, rest_string
from tollway.dataplane.auth.jwks import JwksCache
from tollway.dataplane.auth.services import AuthServices
from tollway.dataplane.compile import compile_stage
from tollway.dataplane.compiled import CompiledStage
from tollway.dataplane.context import Response
from tollway.dataplane.integrations import IntegrationServices
from tollway.dataplane.integrations.aws_service import AwsServices
from tollway.dataplane.integrations.lambda_event import request_context
from tollway.dataplane.pipeline import rest_pipeline
from tollway.model.rest import RestApiDefinition, plain_stage

from .fake_issuer import IssuerUpstream

POOL = "us-east-1_AbC123"
ARN = f"arn:aws:cognito-idp:us-east-1:000000000000:userpool/{POOL}"
ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL}"
KEYS = f"{ISSUER}/.well-known/jwks.json"
TEMPLATE = '{"sub": "$context.authorizer.claims.sub", "exp": "$context.authorizer.claims.exp"}'


def api(scopes: list[str] | None = None, **authorizer: Any) -> RestApiDefinition:
    built = definition()
    resource = add(built, "/pets", "GET", responses={"200": {"statusCode": "200",
                   "responseTemplates": {"application/json": TEMPLATE}}})  # fmt: skip
    method = built["resources"][resource]["resourceMethods"]["GET"]
    method["authorizationType"] = "COGNITO_USER_POOLS"
    method["authorizerId"] = "cog123"
    if scopes:
        method["authorizationScopes"] = scopes
    built["authorizers"] = {
        "cog123": {"id": "cog123", "name": "pool", "type": "COGNITO_USER_POOLS",
                   "authorizerResultTtlInSeconds": 300, "providerARNs": [ARN],
                   "identitySource": "method.request.header.Authorization", **authorizer}
    }  # fmt: skip
    return built


def compiled(built: RestApiDefinition, upstream: IssuerUpstream | None = None,
             endpoint: str | None = None) -> CompiledStage:  # fmt: skip
    auth = AuthServices(jwks=JwksCache(upstream or IssuerUpstream({KEYS: jwks("k1")})),
                        cognito_endpoint=endpoint)  # fmt: skip
    services = IntegrationServices(upstream or IssuerUpstream({}), NoFunctions(), "us-east-1",
                                   "000000000000", AwsServices(), auth)  # fmt: skip
    return compile_stage(built, "dep123", plain_stage("test", "dep123", None), services)


def id_token(**more: Any) -> str:
    return token(claims(ISSUER, audience="client-1", token_use="id", **more))


def access_token(**more: Any) -> str:
    payload = claims(ISSUER, audience=None, client_id="client-1", token_use="access", **more)
    return token(payload)


async def call(stage_: CompiledStage, value: str | None) -> tuple[Response, Any]:
    headers = [("Host", "h")] + ([("Authorization", value)] if value is not None else [])
    ctx = context(stage_, "GET", "/pets", headers=headers)
    await rest_pipeline(()).run(ctx)
    assert ctx.response is not None
    return ctx.response, ctx


async def test_an_id_token_is_allowed_and_its_claims_are_rendered() -> None:
    payload = claims(ISSUER, audience="client-1", token_use="id", email_verified=True,
                     **{"cognito:groups": ["a", "b"]})  # fmt: skip
    response, ctx = await call(compiled(api()), token(payload))
    assert response.status == 200
    rendered = ctx.authorizer.event["claims"]
    assert rendered == {
        "iss": ISSUER, "sub": "user-1", "aud": "client-1", "token_use": "id",
        "email_verified": "true", "cognito:groups": "a,b",
        "iat": java_date(payload["iat"]), "exp": java_date(payload["exp"]),
    }  # fmt: skip
    assert response.body.decode() == f'{{"sub": "user-1", "exp": "{rendered["exp"]}"}}'
    assert request_context(ctx)["authorizer"] == {"claims": rendered}


async def test_bearer_prefix_is_tolerated() -> None:
    response, _ = await call(compiled(api()), f"Bearer {id_token()}")
    assert response.status == 200


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "garbage",
        token(claims("https://cognito-idp.us-east-1.amazonaws.com/other", token_use="id")),
        token(claims(ISSUER, token_use="id", exp=int(time.time()) - 10)),
        token(claims(ISSUER, token_use="id"), kid="k2"),
    ],
)
async def test_refusals_are_401_unauthorized(value: str | None) -> None:
    response, ctx = await call(compiled(api()), value)
    assert (response.status, response.body) == (401, b'{"message":"Unauthorized"}')
    assert dict(response.headers)["x-amzn-ErrorType"] == "UnauthorizedException"
    assert ctx.authorizer is None


async def test_without_scopes_an_access_token_is_refused() -> None:
    response, _ = await call(compiled(api()), access_token(scope="aws.cognito.signin.user.admin"))
    assert response.status == 401


async def test_with_scopes_an_access_token_holding_one_is_needed() -> None:
    stage_ = compiled(api(["pets/read", "aws.cognito.signin.user.admin"]))
    response, ctx = await call(stage_, access_token(scope="openid aws.cognito.signin.user.admin"))
    assert response.status == 200
    assert ctx.authorizer.variables["claims"]["client_id"] == "client-1"
    for refused in (id_token(scope="pets/read"), access_token(scope="openid")):
        assert (await call(stage_, refused))[0].status == 401


async def test_identity_validation_expression_matches_aud() -> None:
    stage_ = compiled(api(identityValidationExpression="client-[0-9]"))
    assert (await call(stage_, id_token()))[0].status == 200
    stage_ = compiled(api(identityValidationExpression="client"))  # the whole aud must match
    assert (await call(stage_, id_token()))[0].status == 401


async def test_keys_come_from_the_cognito_endpoint_when_configured() -> None:
    upstream = IssuerUpstream({f"http://moto:5000/{POOL}/.well-known/jwks.json": jwks("k1")})
    response, _ = await call(compiled(api(), upstream, "http://moto:5000/"), id_token())
    assert response.status == 200
    assert upstream.gets == [f"http://moto:5000/{POOL}/.well-known/jwks.json"]


async def test_unreachable_keys_are_401() -> None:
    response, _ = await call(compiled(api(), IssuerUpstream({})), id_token())
    assert response.status == 401


@pytest.mark.parametrize(
    ("authorizer", "warning"),
    [
        (
            {"providerARNs": ["arn:aws:iam::1:role/x"]},
            "Invalid ARN. ARN is not well formed arn:aws:iam::1:role/x",
        ),
        ({"providerARNs": []}, "Cognito authorizer pool has no providerARNs"),
        ({"type": "TOKEN"}, "COGNITO_USER_POOLS needs a Cognito user pool authorizer, not cog123"),
    ],
)
async def test_unusable_authorizers_refuse_with_500(
    authorizer: dict[str, Any], warning: str
) -> None:
    stage_ = compiled(api(**authorizer))
    assert f"{warning} (its requests are refused with 500) on GET /pets" in stage_.warnings
    response, _ = await call(stage_, id_token())
    assert response.status == 500


def test_pool_issuer() -> None:
    assert pool_issuer(ARN) == (ISSUER, POOL)
    assert pool_issuer("arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_x") == (
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x", "eu-west-1_x",
    )  # fmt: skip
    assert pool_issuer("nope") is None


def test_rest_rendering() -> None:
    assert java_date(1680633579) == "Tue Apr 04 18:39:39 UTC 2023"
    assert rest_string("iat", 1680629979) == "Tue Apr 04 17:39:39 UTC 2023"
    assert rest_string("auth_time", 1680629979) == "1680629979"
    assert rest_string("groups", ["team_manager"]) == "team_manager"
    assert rest_string("x", {"a": 1}) == '{"a":1}'
    assert rest_string("f", 1.5) == "1.5"

"""HTTP API JWT authorizers through the HTTP API pipeline (auth/jwt.py): where the token is
read, AWS's 401/403 bodies and `www-authenticate` headers, route scopes, what the integration
receives (payload 2.0 and 1.0) and `$context.authorizer.claims.*`; compile-time refusals."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from tests.jwt_issuer import claims, token
from tests.unit.dataplane.http_api.conftest import (
    FakeFunctions,
    add_route,
    context,
    definition,
    stage,
)

from tollway.dataplane.auth.jwks import JwksCache
from tollway.dataplane.auth.jwt import go_string, read_token
from tollway.dataplane.auth.services import AuthServices
from tollway.dataplane.context import Response
from tollway.dataplane.http_api.pipeline import http_pipeline
from tollway.model.http_api import ApiDefinition

from .fake_issuer import ISSUER, IssuerUpstream, issuer

AUTHORIZER = {
    "AuthorizerId": "au00001",
    "AuthorizerType": "JWT",
    "Name": "oidc",
    "IdentitySource": ["$request.header.Authorization"],
    "JwtConfiguration": {"Issuer": ISSUER, "Audience": ["api"]},
}


def api(authorizer: dict[str, Any] | None = None, **route: Any) -> ApiDefinition:
    definition_ = definition()
    found = {**AUTHORIZER, **(authorizer or {})}
    definition_["Authorizers"][found["AuthorizerId"]] = found
    add_route(definition_, "GET /secure", AuthorizationType="JWT", AuthorizerId="au00001", **route)
    add_route(definition_, "GET /open")
    return definition_


async def call(
    definition_: ApiDefinition,
    headers: list[tuple[str, str]] | None = None,
    *,
    path: str = "/secure",
    query: str = "",
    upstream: IssuerUpstream | None = None,
    access_format: str | None = None,
) -> tuple[Response, FakeFunctions, list[str]]:
    functions = FakeFunctions(answer=b'{"statusCode": 200, "body": "ok"}')
    settings: dict[str, Any] = {}
    if access_format:
        settings["AccessLogSettings"] = {"Format": access_format}
    compiled = stage(
        definition_,
        functions=functions,
        auth=AuthServices(jwks=JwksCache(upstream or issuer("k1"))),
        **settings,
    )
    ctx = context(compiled, "GET", path, headers=[("Host", "h"), *(headers or [])], query=query)
    lines: list[str] = []
    await http_pipeline([lambda c: lines.append(c.stage.access_log.render(c))]).run(ctx)
    assert ctx.response is not None
    return ctx.response, functions, lines


def bearer(text: str) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {text}")]


def event(functions: FakeFunctions) -> dict[str, Any]:
    (invocation,) = functions.calls
    return dict(orjson.loads(invocation["payload"]))


def www_authenticate(response: Response) -> str | None:
    return dict(response.headers).get("www-authenticate")


async def test_a_valid_token_passes_its_claims_to_payload_2_0() -> None:
    payload = claims(ISSUER, email_verified=True, groups=["a", "b"], n=1.5, o={"y": 1, "x": "z"})
    response, functions, _ = await call(api(), bearer(token(payload)))
    assert response.status == 200
    authorizer = event(functions)["requestContext"]["authorizer"]
    assert authorizer == {
        "jwt": {
            "claims": {
                "iss": ISSUER,
                "sub": "user-1",
                "aud": "api",
                "iat": str(payload["iat"]),
                "exp": str(payload["exp"]),
                "email_verified": "true",
                "groups": "[a b]",
                "n": "1.5",
                "o": "map[x:z y:1]",
            },
            "scopes": None,
        }
    }


async def test_payload_1_0_gets_claims_and_scopes() -> None:
    definition_ = api(AuthorizationScopes=["read"])
    next(iter(definition_["Integrations"].values()))["PayloadFormatVersion"] = "1.0"
    text = token(claims(ISSUER, scope="read write"))
    response, functions, _ = await call(definition_, bearer(text))
    assert response.status == 200
    authorizer = event(functions)["requestContext"]["authorizer"]
    assert authorizer["scopes"] == ["read", "write"]
    assert authorizer["claims"]["scope"] == "read write"


async def test_the_access_log_reads_claims() -> None:
    text = token(claims(ISSUER))
    fmt = "$context.authorizer.claims.sub $context.authorizer.claims.nope $context.routeKey"
    _, _, lines = await call(api(), bearer(text), access_format=fmt)
    assert lines == ["user-1 - GET /secure"]


async def test_no_token_is_401_without_a_challenge() -> None:
    response, functions, _ = await call(api())
    assert (response.status, response.body) == (401, b'{"message":"Unauthorized"}')
    assert www_authenticate(response) is None
    assert functions.calls == []
    response, _, _ = await call(api(), [("Authorization", "Bearer ")])
    assert response.status == 401


async def test_a_wrong_audience_gets_aws_challenge() -> None:
    response, functions, _ = await call(api(), bearer(token(claims(ISSUER, audience="other"))))
    assert (response.status, response.body) == (401, b'{"message":"Unauthorized"}')
    assert www_authenticate(response) == (
        'Bearer scope="" error="invalid_token" '
        'error_description="the token does not have a valid audience"'
    )
    assert functions.calls == []
    assert response.headers[0] == ("Content-Type", "application/json")


async def test_missing_scope_is_403_insufficient_scope() -> None:
    definition_ = api(AuthorizationScopes=["admin", "write"])
    response, functions, _ = await call(definition_, bearer(token(claims(ISSUER, scope="read"))))
    assert (response.status, response.body) == (403, b'{"message":"Forbidden"}')
    assert www_authenticate(response) == (
        'Bearer scope="admin write" error="insufficient_scope" '
        'error_description="the token does not have the required scope"'
    )
    assert functions.calls == []
    response, _, _ = await call(definition_, bearer(token(claims(ISSUER))))
    assert response.status == 403  # no scope claim at all


async def test_one_matching_scope_is_enough_scp_too() -> None:
    definition_ = api(AuthorizationScopes=["admin", "write"])
    response, functions, _ = await call(definition_, bearer(token(claims(ISSUER, scp=["write"]))))
    assert response.status == 200
    assert event(functions)["requestContext"]["authorizer"]["jwt"]["scopes"] == ["write"]


async def test_an_invalid_token_names_the_route_scopes() -> None:
    definition_ = api(AuthorizationScopes=["read"])
    response, _, _ = await call(definition_, bearer("garbage"))
    assert www_authenticate(response) == (
        'Bearer scope="read" error="invalid_token" error_description="the token is not a valid JWT"'
    )


async def test_token_in_the_query_string_and_raw_header() -> None:
    query_api = api({"IdentitySource": ["$request.querystring.token"]})
    text = token(claims(ISSUER))
    response, _, _ = await call(query_api, query=f"token={text}")
    assert response.status == 200
    response, _, _ = await call(query_api, bearer(text))
    assert response.status == 401
    response, _, _ = await call(api(), [("authorization", text)])
    assert response.status == 200


async def test_two_authorization_headers_are_refused() -> None:
    text = token(claims(ISSUER))
    response, _, _ = await call(api(), [*bearer(text), *bearer(text)])
    assert response.status == 401


async def test_routes_without_jwt_are_not_checked() -> None:
    response, functions, _ = await call(api(), path="/open")
    assert response.status == 200
    assert "authorizer" not in event(functions)["requestContext"]


@pytest.mark.parametrize(
    ("authorizer", "warning"),
    [
        ({"JwtConfiguration": {}}, "JWT authorizer oidc has no issuer"),
        (
            {"IdentitySource": ["$context.x"]},
            "Invalid identity source $context.x for a JWT authorizer: use "
            "$request.header.<name> or $request.querystring.<name>",
        ),
        (
            {"AuthorizerType": "REQUEST"},
            "route authorization JWT needs a JWT authorizer, not au00001",
        ),
    ],
)
async def test_unusable_authorizers_refuse_with_500(
    authorizer: dict[str, Any], warning: str
) -> None:
    definition_ = api(authorizer)
    compiled = stage(definition_, auth=AuthServices(jwks=JwksCache(issuer("k1"))))
    assert compiled.warnings == [
        f"{warning} (its requests are refused with 500) on route GET /secure"
    ]
    response, functions, _ = await call(definition_, bearer(token(claims(ISSUER))))
    assert (response.status, response.body) == (500, b'{"message":"Internal Server Error"}')
    assert functions.calls == []


async def test_no_audience_warns_and_refuses_every_token() -> None:
    definition_ = api({"JwtConfiguration": {"Issuer": ISSUER}})
    compiled = stage(definition_, auth=AuthServices(jwks=JwksCache(issuer("k1"))))
    assert compiled.warnings == [
        "JWT authorizer oidc has no audience: every token is refused (AWS requires the token's "
        "aud or client_id to be one of the authorizer's audiences) on route GET /secure"
    ]
    response, _, _ = await call(definition_, bearer(token(claims(ISSUER))))
    assert response.status == 401


def test_read_token() -> None:
    assert read_token("Bearer abc") == "abc"
    assert read_token("bearer  abc ") == "abc"
    assert read_token("abc") == "abc"
    assert read_token("Bearer") == "Bearer"  # no space: the whole value is the token
    assert read_token("") is None
    assert read_token(None) is None


def test_go_string() -> None:
    assert go_string([1, True, None, [2.0]]) == "[1 true <nil> [2]]"
    assert go_string({"b": [], "a": "x"}) == "map[a:x b:[]]"


async def test_a_repeated_token_reuses_its_rendered_claims_but_its_times_are_checked() -> None:
    """What a token passes on is rendered once; an expired token is still refused."""
    definition_ = api()
    compiled = stage(
        definition_,
        functions=FakeFunctions(answer=b'{"statusCode": 200, "body": "ok"}'),
        auth=AuthServices(jwks=JwksCache(issuer("k1"))),
    )
    route = compiled.routes.match("GET", "/secure")
    assert route is not None
    authorization: Any = route[0].authorization
    now = [1_000_000.0]
    authorization.verifier._clock = lambda: now[0]
    payload = claims(ISSUER, iat=999_000, exp=1_000_100)
    headers = [("Host", "h"), *bearer(token(payload))]
    results = []
    for _ in range(2):
        ctx = context(compiled, "GET", "/secure", headers=headers)
        await http_pipeline([]).run(ctx)
        assert ctx.response is not None and ctx.response.status == 200
        results.append(ctx.authorizer)
    assert results[0] is results[1]
    now[0] = 1_000_200.0  # past exp
    ctx = context(compiled, "GET", "/secure", headers=headers)
    await http_pipeline([]).run(ctx)
    assert ctx.response is not None and ctx.response.status == 401

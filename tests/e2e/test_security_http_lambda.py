"""Trying to get around an HTTP API Lambda authorizer (docs/security.md, "HTTP API Lambda
authorizers"): path tricks against a policy that allows only `GET/public/*`, method override
headers, repeated identity headers, an authorizer cache key collision, and the cache across
stages, principals and redeployments. Requests go out exactly as written
(tests/e2e/raw_http.py); the authorizer is tests/e2e/security_authorizer.py (payload 2.0,
IAM policy answers).

The API: `GET /public/{proxy+}`, `GET /admin/{proxy+}`, `ANY /{proxy+}` and `GET /req` call a
function returning its event (so a test sees the route and what the integration got);
`ANY /public` is an HTTP_PROXY to the echo server. Every route uses the authorizer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e import raw_http
from tests.e2e.conftest import ACCOUNT, REGION, Server, create_function, function_arn, lambda_uri
from tests.e2e.security_authorizer import (
    Authorizers,
    bearer,
    check_method_override,
    create_authorizers,
    user,
)
from tests.e2e.test_http_api import RETURN_EVENT

FORBIDDEN = {"message": "Forbidden"}


@dataclass
class HttpApi:
    server: Server
    v2: Any
    api_id: str
    authorizer_id: str

    def call(self, path: str, headers: Sequence[tuple[str, str]] = (), method: str = "GET",
             stage: str = "") -> raw_http.RawResponse:  # fmt: skip
        target = f"/_aws/execute-api/{self.api_id}{stage and '/' + stage}{path}"
        return raw_http.send(self.server.gateway, method, target, headers)

    def arn(self, rest: str, stage: str = "$default") -> str:
        return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{self.api_id}/{stage}/{rest}"


@pytest.fixture(scope="module")
def authorizers(lam: Any, tmp_path_factory: pytest.TempPathFactory) -> Authorizers:
    return create_authorizers(lam, tmp_path_factory)


@pytest.fixture(scope="module")
def echo(lam: Any) -> str:
    name = f"sec-http-echo-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, RETURN_EVENT, source_arn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*")
    return function_arn(name)


def http_api(server: Server, function: str, echo: str, routes: Sequence[str], *,
             ttl: int = 0, sources: Sequence[str] = ("$request.header.Authorization",),
             stages: Sequence[str] = ("$default",), upstream: str | None = None) -> HttpApi:  # fmt: skip
    """An HTTP API whose `routes` call `echo` (and `ANY /public` the upstream, if given),
    all behind a Lambda authorizer calling `function`; auto-deployed to `stages`."""
    v2 = server.client("apigatewayv2")
    api_id = v2.create_api(Name=f"security-http-{uuid.uuid4().hex[:8]}", ProtocolType="HTTP")[
        "ApiId"
    ]
    authorizer = v2.create_authorizer(
        ApiId=api_id, Name="lambda", AuthorizerType="REQUEST", AuthorizerUri=lambda_uri(function),
        AuthorizerPayloadFormatVersion="2.0", IdentitySource=list(sources),
        AuthorizerResultTtlInSeconds=ttl,
    )["AuthorizerId"]  # fmt: skip
    targets = {key: v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                                          IntegrationUri=echo, PayloadFormatVersion="2.0")
               for key in routes}  # fmt: skip
    if upstream is not None:
        targets["ANY /public"] = v2.create_integration(
            ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
            IntegrationUri=f"{upstream}/public", PayloadFormatVersion="1.0",
        )  # fmt: skip
    for key, integration in targets.items():
        v2.create_route(ApiId=api_id, RouteKey=key, AuthorizationType="CUSTOM",
                        AuthorizerId=authorizer, Target=f"integrations/{integration['IntegrationId']}")  # fmt: skip
    for stage in stages:
        v2.create_stage(ApiId=api_id, StageName=stage, AutoDeploy=True)
    return HttpApi(server, v2, str(api_id), str(authorizer))


@pytest.fixture(scope="module")
def api(server: Server, authorizers: Authorizers, echo: str, upstream: str) -> HttpApi:
    routes = ("GET /public/{proxy+}", "GET /admin/{proxy+}", "ANY /{proxy+}")
    return http_api(server, authorizers.allow, echo, routes, upstream=upstream)


# --- path tricks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "arn_path", "proxy"),
    [
        ("/public/x", "public/x", "x"),
        ("/public/x/", "public/x/", "x/"),
        ("/public//x", "public//x", "/x"),  # HTTP APIs keep the empty segment
        ("//public/x", "public/x", "x"),
        ("/public/./x", "public/./x", "./x"),  # read as /public/x: allowed too
        ("/public/%41", "public/%41", "%41"),
    ],
)
def test_paths_under_the_allowed_routes_are_served(
    api: HttpApi, authorizers: Authorizers, path: str, arn_path: str, proxy: str
) -> None:
    token = user()
    response = api.call(path, bearer(token))
    assert response.status == 200, response.body
    event = response.json()
    assert (event["routeKey"], event["pathParameters"]) == (
        "GET /public/{proxy+}",
        {"proxy": proxy},
    )
    assert authorizers.arns(token) == [api.arn(f"GET/{arn_path}")]


@pytest.mark.parametrize(
    ("path", "arn_path"),
    [
        ("/admin/x", "admin/x"),
        ("//admin/x", "admin/x"),  # routed to GET /admin/{proxy+}
        ("/admin%2Fx", "admin%2Fx"),  # one segment: ANY /{proxy+}
        ("/public%2Fx", "public%2Fx"),
        ("/PUBLIC/x", "PUBLIC/x"),  # routes are case-sensitive: ANY /{proxy+}
        # routed to GET /public/{proxy+} and allowed as written, but read as /admin by a
        # backend that decodes or resolves dot segments: refused (stricter than AWS)
        ("/public/../admin/x", "public/../admin/x"),
        ("/public/..%2Fadmin", "public/..%2Fadmin"),
        ("/public/%2e%2e/admin/x", "public/%2e%2e/admin/x"),
    ],
)
def test_paths_outside_the_allowed_routes_are_refused(
    api: HttpApi, authorizers: Authorizers, path: str, arn_path: str
) -> None:
    token = user()
    response = api.call(path, bearer(token))
    assert (response.status, response.json()) == (403, FORBIDDEN)
    assert authorizers.arns(token) == [api.arn(f"GET/{arn_path}")]


# --- method override headers ----------------------------------------------------------------


@pytest.mark.parametrize("header", ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"])
def test_method_override_headers_change_neither_the_decision_nor_the_method(
    api: HttpApi, authorizers: Authorizers, header: str
) -> None:
    check_method_override(api, authorizers, header, FORBIDDEN)


# --- repeated identity headers --------------------------------------------------------------


@pytest.mark.parametrize("second", ["Authorization", "authorization"])
def test_a_repeated_identity_header_is_one_comma_joined_value_for_both(
    api: HttpApi, authorizers: Authorizers, second: str
) -> None:
    """HTTP APIs join a repeated header's values with commas: the authorizer's identity and
    the integration's `authorization` header are the same text."""
    first, last = user(), user()
    response = api.call("/public/x", [("Authorization", first), (second, last)])
    assert response.status == 200
    event = response.json()
    joined = f"{first},{last}"
    assert event["headers"]["authorization"] == joined
    assert event["requestContext"]["authorizer"]["lambda"] == {"token": joined}
    assert authorizers.arns(joined) == [api.arn("GET/public/x")]


# --- the authorizer cache -------------------------------------------------------------------


def test_an_identity_source_collision_does_not_share_a_cached_answer(
    server: Server, authorizers: Authorizers, echo: str
) -> None:
    """Header `user-x,b` + query `c` and header `user-x` + query `b,c` join to the same text:
    two identities, two entries (REST's counterpart: test_lambda_authorizers.py::
    test_cache_key_collision_is_not_shared)."""
    cached = http_api(server, authorizers.allow, echo, ("GET /req",), ttl=300,
                      sources=("$request.header.X-A", "$request.querystring.b"))  # fmt: skip
    token = user()
    for _ in range(2):
        for header, query in ((f"{token},b", "c"), (token, "b,c")):
            response = cached.call(f"/req?b={query}", [("X-A", header)])
            assert response.json()["requestContext"]["authorizer"]["lambda"] == {"token": header}
    calls = [e["identitySource"] for e in authorizers.events() if token in e["identitySource"][0]]
    assert calls == [[f"{token},b", "c"], [token, "b,c"]]


def test_a_cached_allow_is_not_reused_on_another_stage(
    server: Server, authorizers: Authorizers, echo: str
) -> None:
    cached = http_api(server, authorizers.allow, echo, ("GET /public/{proxy+}",), ttl=300,
                      stages=("$default", "prod"))  # fmt: skip
    token = f"user-noprod-{uuid.uuid4().hex[:8]}"
    for _ in range(2):
        assert cached.call("/public/x", bearer(token)).status == 200
        refused = cached.call("/public/x", bearer(token), stage="prod")
        assert (refused.status, refused.json()) == (403, FORBIDDEN)
    assert [arn.split("/")[1] for arn in authorizers.arns(token)] == ["$default", "prod"]


def test_a_cached_principal_never_answers_another_token(
    server: Server, authorizers: Authorizers, echo: str
) -> None:
    cached = http_api(server, authorizers.allow, echo, ("GET /public/{proxy+}",), ttl=300)
    first, second = user(), user()
    for _ in range(2):
        for token in (first, second):
            event = cached.call("/public/x", bearer(token)).json()
            assert event["requestContext"]["authorizer"]["lambda"] == {"token": token}
        assert cached.call("/public/x", bearer("intruder")).status == 401
    assert [t for t in authorizers.tokens() if t in (first, second)] == [first, second]


def test_a_changed_authorizer_does_not_use_the_answers_cached_before(
    server: Server, authorizers: Authorizers, echo: str
) -> None:
    cached = http_api(server, authorizers.allow, echo, ("GET /public/{proxy+}",), ttl=300)
    token = user()
    assert cached.call("/public/x", bearer(token)).status == 200
    assert cached.call("/public/x", bearer(token)).status == 200
    assert authorizers.tokens().count(token) == 1
    cached.v2.update_authorizer(
        ApiId=cached.api_id,
        AuthorizerId=cached.authorizer_id,
        AuthorizerUri=lambda_uri(authorizers.deny),
    )  # auto-deployed
    response = cached.call("/public/x", bearer(token))
    assert (response.status, response.json()) == (403, FORBIDDEN)
    assert authorizers.tokens("deny") == [token]

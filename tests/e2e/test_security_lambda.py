"""Trying to get around a REST Lambda authorizer (docs/security.md, "REST Lambda
authorizers"): path tricks against a policy that allows only `GET/public/*`, method override
headers, header smuggling, an over-long method ARN, and the authorizer cache (stages,
redeployments, principals). Requests go out exactly as written (tests/e2e/raw_http.py).

The authorizer function (tests/e2e/security_authorizer.py) answers a token `user-...` with
a policy on the method ARN's API and stage: Allow `GET/public/*`, `POST/public`, `GET/echo`;
Deny `DELETE/*`. It records every event, so a test shows which ARN and token it was given
and whether it was called.

The API: `/public/{item}`, `/admin/{item}` and `/{proxy+}` are MOCK methods answering which
resource ran and what they were told (principal, `Authorization`, `X-User`); `/public` (ANY)
is an HTTP_PROXY to the echo server; `/echo` an AWS_PROXY to a function returning its event;
`/req` a MOCK behind a REQUEST authorizer reading `X-User`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e import raw_http
from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    add_path,
    add_response,
    create_function,
    deploy,
    lambda_uri,
    new_api,
)
from tests.e2e.security_authorizer import (
    Authorizers,
    bearer,
    check_method_override,
    create_authorizers,
    user,
)
from tests.e2e.test_http_api import RETURN_EVENT_V1

ECHO = (
    '{"resource": "$context.resourcePath", "principal": "$context.authorizer.principalId", '
    '"auth": "$input.params(\'Authorization\')", "user": "$input.params(\'X-User\')"}'
)
NOT_AUTHORIZED = {"Message": "User is not authorized to access this resource"}
EXPLICIT_DENY = {"Message": "User is not authorized to access this resource with an explicit deny"}


@dataclass
class Api:
    server: Server
    api_id: str

    def target(self, path: str, stage: str = "test") -> str:
        return f"/_aws/execute-api/{self.api_id}/{stage}{path}"

    def call(self, path: str, headers: Sequence[tuple[str, str]] = (), method: str = "GET",
             stage: str = "test") -> raw_http.RawResponse:  # fmt: skip
        return raw_http.send(self.server.gateway, method, self.target(path, stage), headers)

    def arn(self, rest: str, stage: str = "test") -> str:
        return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{self.api_id}/{stage}/{rest}"


def _method(apigw: Any, api_id: str, resource: str, verb: str, authorizer: str,
            integration: dict[str, Any]) -> None:  # fmt: skip
    apigw.put_method(restApiId=api_id, resourceId=resource, httpMethod=verb,
                     authorizationType="CUSTOM", authorizerId=authorizer)  # fmt: skip
    apigw.put_integration(restApiId=api_id, resourceId=resource, httpMethod=verb, **integration)


def _mock(apigw: Any, api_id: str, resource: str, verb: str, authorizer: str) -> None:
    _method(apigw, api_id, resource, verb, authorizer,
            {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}})  # fmt: skip
    add_response(apigw, api_id, resource, verb, "200", templates={"application/json": ECHO})


def _token_authorizer(apigw: Any, api_id: str, function: str, ttl: int) -> str:
    return str(apigw.create_authorizer(
        restApiId=api_id, name=f"tok-{ttl}", type="TOKEN", authorizerUri=lambda_uri(function),
        identitySource="method.request.header.Authorization", authorizerResultTtlInSeconds=ttl,
    )["id"])  # fmt: skip


@pytest.fixture(scope="module")
def authorizers(lam: Any, tmp_path_factory: pytest.TempPathFactory) -> Authorizers:
    return create_authorizers(lam, tmp_path_factory)


@pytest.fixture(scope="module")
def api(server: Server, apigw: Any, lam: Any, authorizers: Authorizers, upstream: str) -> Api:
    api_id, root = new_api(apigw, f"security-lambda-{uuid.uuid4().hex[:8]}")
    # not cached: every request's event is recorded with the ARN it was authorized for
    token = _token_authorizer(apigw, api_id, authorizers.allow, 0)
    request = str(apigw.create_authorizer(
        restApiId=api_id, name="req", type="REQUEST", authorizerUri=lambda_uri(authorizers.allow),
        identitySource="method.request.header.X-User", authorizerResultTtlInSeconds=0,
    )["id"])  # fmt: skip
    for path in ("/public/{item}", "/admin/{item}", "/{proxy+}"):
        verb = "ANY" if path == "/{proxy+}" else "GET"
        _mock(apigw, api_id, add_path(apigw, api_id, root, path), verb, token)
    _mock(apigw, api_id, add_path(apigw, api_id, root, "/req"), "GET", request)
    _method(apigw, api_id, add_path(apigw, api_id, root, "/public"), "ANY", token,
            {"type": "HTTP_PROXY", "integrationHttpMethod": "ANY", "uri": f"{upstream}/public"})  # fmt: skip
    echo = f"sec-echo-{uuid.uuid4().hex[:8]}"
    create_function(lam, echo, RETURN_EVENT_V1)
    _method(apigw, api_id, add_path(apigw, api_id, root, "/echo"), "GET", token,
            {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(echo)})  # fmt: skip
    deploy(apigw, api_id, "test")
    return Api(server, api_id)


# --- path tricks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "arn_path", "resource"),
    [
        ("/public/x", "public/x", "/public/{item}"),
        ("/public//x", "public/x", "/public/{item}"),  # routing drops the empty segment
        ("/public/x/", "public/x", "/public/{item}"),
        ("/public/%41", "public/%41", "/public/{item}"),  # every reading is under public/
        ("/public/./x", "public/./x", "/{proxy+}"),  # read as /public/x: allowed too
    ],
)
def test_paths_under_the_allowed_resource_are_served(
    api: Api, authorizers: Authorizers, path: str, arn_path: str, resource: str
) -> None:
    token = user()
    response = api.call(path, bearer(token))
    assert (response.status, response.json()["resource"]) == (200, resource)
    assert authorizers.arns(token) == [api.arn(f"GET/{arn_path}")]


@pytest.mark.parametrize(
    ("path", "arn_path"),
    [
        ("/admin/x", "admin/x"),
        ("//admin/x", "admin/x"),  # extra slashes: the ARN has the routed segments
        ("/admin//x", "admin/x"),
        ("/admin/x/", "admin/x"),
        ("/admin%2Fx", "admin%2Fx"),  # one segment: /{proxy+}
        ("/public%2Fx", "public%2Fx"),  # not under public/ as routed: no Allow
        ("/Admin/x", "Admin/x"),  # paths are case-sensitive: /{proxy+}, not allowed
        ("/PUBLIC/x", "PUBLIC/x"),
        # allowed as written (GET/public/* matches), but read as /admin by a backend that
        # decodes or resolves dot segments: refused (Tollway is stricter than AWS here)
        ("/public/../admin/x", "public/../admin/x"),
        ("/public/..%2Fadmin", "public/..%2Fadmin"),
        ("/public/%2e%2e/admin/x", "public/%2e%2e/admin/x"),
        ("/public/%252e%252e/admin/x", "public/%252e%252e/admin/x"),
    ],
)
def test_paths_outside_the_allowed_resource_are_refused(
    api: Api, authorizers: Authorizers, path: str, arn_path: str
) -> None:
    token = user()
    response = api.call(path, bearer(token))
    assert (response.status, response.json()) == (403, NOT_AUTHORIZED)
    assert response.header("x-amzn-ErrorType") == "AccessDeniedException"
    assert authorizers.arns(token) == [api.arn(f"GET/{arn_path}")]


# --- method override headers ----------------------------------------------------------------


@pytest.mark.parametrize("header", ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"])
def test_method_override_headers_change_neither_the_decision_nor_the_method(
    api: Api, authorizers: Authorizers, header: str
) -> None:
    upstream = check_method_override(api, authorizers, header, EXPLICIT_DENY)
    assert [header, "DELETE"] in upstream["headers"]  # forwarded, like any header


# --- header smuggling -----------------------------------------------------------------------


@pytest.mark.parametrize("second", ["Authorization", "authorization", "AUTHORIZATION"])
def test_two_authorization_headers_one_token_everywhere(
    api: Api, authorizers: Authorizers, second: str
) -> None:
    """The authorizer is given the last value; the integration is shown that same token
    (`headers`, the principal; `multiValueHeaders` lists both, as sent)."""
    first, last = user(), user()
    response = api.call("/echo", [("Authorization", first), (second, last)])
    assert response.status == 200, response.body
    event = response.json()
    assert event["headers"]["Authorization"] == last
    assert event["multiValueHeaders"]["Authorization"] == [first, last]
    assert event["requestContext"]["authorizer"]["principalId"] == last
    assert authorizers.tokens().count(last) == 1 and first not in authorizers.tokens()
    mock = api.call("/public/x", [("Authorization", first), (second, last)]).json()
    assert (mock["principal"], mock["auth"]) == (last, last)


def test_a_valid_token_then_an_invalid_one_is_unauthorized(api: Api) -> None:
    response = api.call("/public/x", [("Authorization", user()), ("authorization", "forged")])
    assert (response.status, response.json()) == (401, {"message": "Unauthorized"})


def test_an_identity_header_in_two_spellings_for_a_request_authorizer(
    api: Api, authorizers: Authorizers
) -> None:
    first, last = user(), user()
    response = api.call("/req", [("X-User", first), ("x-user", last)])
    assert response.status == 200
    assert response.json() == {"resource": "/req", "principal": last, "auth": "", "user": last}
    assert last in authorizers.tokens() and first not in authorizers.tokens()


@pytest.mark.parametrize(
    ("sent", "seen"),
    [
        ("   {t}", "{t}"),  # leading whitespace is not part of the value
        ("{t}  ", "{t}  "),  # trailing whitespace is kept (by the HTTP parser), by both
        ("{t}, user-b", "{t}, user-b"),  # a comma is part of the token: not a list
    ],
)
def test_whitespace_and_commas_reach_authorizer_and_integration_alike(
    api: Api, authorizers: Authorizers, sent: str, seen: str
) -> None:
    token = user()
    response = api.call("/public/x", [("Authorization", sent.format(t=token))])
    assert response.status == 200
    assert response.json()["principal"] == response.json()["auth"] == seen.format(t=token)
    assert seen.format(t=token) in authorizers.tokens()


def test_an_obs_fold_header_is_refused_before_anything_runs(
    api: Api, authorizers: Authorizers
) -> None:
    token = user()
    host = api.server.gateway.split("//", 1)[1]
    data = (f"GET {api.target('/public/x')} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: user-x\r\n {token}\r\nConnection: close\r\n\r\n").encode()  # fmt: skip
    response = raw_http.send_raw(api.server.gateway, data)
    assert (response.status, response.body) == (400, b"Invalid HTTP request received.")
    assert not [t for t in authorizers.tokens() if token in t]


# --- the method ARN's length ----------------------------------------------------------------


def test_a_method_arn_over_1600_bytes_is_414_without_calling_the_authorizer(
    api: Api, authorizers: Authorizers
) -> None:
    room = 1600 - len(api.arn("GET/public/"))
    token = user()
    assert api.call("/public/" + "x" * room, bearer(token)).status == 200
    response = api.call("/public/" + "x" * (room + 1), bearer(token))
    assert (response.status, response.body) == (414, b'{"message":"Request URI too long"}')
    assert response.header("Content-Type") == "application/json"
    assert response.header("x-amzn-RequestId")
    assert response.header("x-amzn-ErrorType") is None
    assert authorizers.tokens().count(token) == 1


# --- the authorizer cache -------------------------------------------------------------------


def _cached_api(server: Server, apigw: Any, function: str, *stages: str) -> tuple[Api, str]:
    """An API whose `/public/{item}` GET is behind a cached (300 s) TOKEN authorizer calling
    `function`, deployed to `stages`: the API and the authorizer id."""
    api_id, root = new_api(apigw, f"security-cache-{uuid.uuid4().hex[:8]}")
    authorizer = _token_authorizer(apigw, api_id, function, 300)
    _mock(apigw, api_id, add_path(apigw, api_id, root, "/public/{item}"), "GET", authorizer)
    for stage in stages:
        deploy(apigw, api_id, stage)
    return Api(server, api_id), authorizer


def test_a_cached_allow_is_not_reused_on_another_stage(
    server: Server, apigw: Any, authorizers: Authorizers
) -> None:
    cached, _ = _cached_api(server, apigw, authorizers.allow, "test", "prod")
    token = f"user-noprod-{uuid.uuid4().hex[:8]}"
    for _ in range(2):
        assert cached.call("/public/x", bearer(token)).status == 200
        refused = cached.call("/public/x", bearer(token), stage="prod")
        # prod's own answer (its explicit deny), not test's cached Allow
        assert (refused.status, refused.json()) == (403, EXPLICIT_DENY)
    stages = [arn.split("/")[1] for arn in authorizers.arns(token)]
    assert stages == ["test", "prod"]  # each stage called once, then served from its entry


def test_a_cached_principal_never_answers_another_token(
    server: Server, apigw: Any, authorizers: Authorizers
) -> None:
    cached, _ = _cached_api(server, apigw, authorizers.allow, "test")
    first, second = user(), user()
    for _ in range(2):
        for token in (first, second):
            assert cached.call("/public/x", bearer(token)).json()["principal"] == token
        assert cached.call("/public/x", bearer("intruder")).status == 401
    assert [t for t in authorizers.tokens() if t in (first, second)] == [first, second]


def test_a_redeployment_keeps_the_cache_but_a_changed_authorizer_does_not_use_it(
    server: Server, apigw: Any, authorizers: Authorizers
) -> None:
    """The cache outlives a redeployment (FlushStageAuthorizersCache exists for that), but an
    answer is reused only by the authorizer configuration that produced it: redeployed with
    another function, the authorizer asks that function."""
    cached, authorizer = _cached_api(server, apigw, authorizers.allow, "test")
    token = user()
    assert cached.call("/public/x", bearer(token)).status == 200
    deploy(apigw, cached.api_id, "test")
    assert cached.call("/public/x", bearer(token)).status == 200
    assert authorizers.tokens().count(token) == 1  # answered from the cache
    apigw.update_authorizer(restApiId=cached.api_id, authorizerId=authorizer, patchOperations=[
        {"op": "replace", "path": "/authorizerUri", "value": lambda_uri(authorizers.deny)},
    ])  # fmt: skip
    assert cached.call("/public/x", bearer(token)).status == 200  # not deployed yet
    deploy(apigw, cached.api_id, "test")
    response = cached.call("/public/x", bearer(token))
    assert (response.status, response.json()) == (403, EXPLICIT_DENY)
    assert authorizers.tokens("deny") == [token]

"""HTTP API Lambda authorizers end to end (spec §5.7): APIs made with boto3 `apigatewayv2`,
authorizer and backend functions created through the Lambda API, requests sent with httpx.

The authorizer function writes every event it gets to a file (one JSON line each), so a test
can prove what it was sent and that it was not called. It answers after the first identity
value's first word: `allow`, `deny`, `unauthorized` (raises `Unauthorized`), `error` (raises
another error), `invalid` (an answer API Gateway cannot use); in `simple` mode with
`isAuthorized`, in `policy` mode with an IAM policy on the ARN it was sent.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    access_log_entries,
    create_function,
    function_arn,
    lambda_uri,
)

AUTHORIZER = """
import json, os

def handler(event, context):
    with open(os.environ["CALLS"], "a") as calls:
        calls.write(json.dumps(event) + "\\n")
    sources = event.get("identitySource")
    if isinstance(sources, str):
        sources = sources.split(",")
    first = (sources or ["allow"])[0]
    verb = first.split("-")[0]
    if verb == "unauthorized":
        raise Exception("Unauthorized")
    if verb == "error":
        raise ValueError("boom")
    if verb == "invalid":
        return {"isAuthorized": "yes", "principalId": 7}
    allowed = verb != "deny"
    if os.environ["MODE"] == "simple":
        return {"isAuthorized": allowed,
                "context": {"user": first, "roles": ["reader"], "level": 2}}
    arn = event.get("routeArn") or event["methodArn"]
    return {"principalId": "user-" + first, "context": {"user": first, "level": 2},
            "policyDocument": {"Version": "2012-10-17", "Statement": [{
                "Action": "execute-api:Invoke", "Effect": "Allow" if allowed else "Deny",
                "Resource": arn}]}}
"""

BACKEND = """
import json

def handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(event)}
"""

UNAUTHORIZED = b'{"message":"Unauthorized"}'
FORBIDDEN = b'{"message":"Forbidden"}'
INTERNAL = b'{"message":"Internal Server Error"}'


class Authorizer:
    """An authorizer function and the events it was sent."""

    def __init__(self, lam: Any, calls: Path, mode: str, *, permit: bool = True) -> None:
        """`permit`: API Gateway may call it from any API (its authorizers' source ARNs)."""
        self.name = f"authz-{mode}-{uuid.uuid4().hex[:8]}"
        self.calls = calls
        create_function(
            lam, self.name, AUTHORIZER, environment={"CALLS": str(calls), "MODE": mode},
            source_arn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*", permit=permit,
        )  # fmt: skip

    def events(self, marker: str) -> list[dict[str, Any]]:
        """The events it was sent that mention `marker`."""
        return [json.loads(line) for line in self.lines() if marker in line]

    def lines(self) -> list[str]:
        return self.calls.read_text().splitlines() if self.calls.exists() else []


@pytest.fixture(scope="module")
def v2(server: Server) -> Any:
    return server.client("apigatewayv2")


@pytest.fixture(scope="module")
def simple(lam: Any, tmp_path_factory: pytest.TempPathFactory) -> Authorizer:
    return Authorizer(lam, tmp_path_factory.mktemp("simple") / "calls.jsonl", "simple")


@pytest.fixture(scope="module")
def policy(lam: Any, tmp_path_factory: pytest.TempPathFactory) -> Authorizer:
    return Authorizer(lam, tmp_path_factory.mktemp("policy") / "calls.jsonl", "policy")


@pytest.fixture(scope="module")
def backend(lam: Any) -> str:
    name = f"backend-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, BACKEND, source_arn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*")
    return function_arn(name)


def _api(v2: Any, authorizer: Authorizer, backend: str, *, routes: tuple[str, ...] = ("GET /pets",),
         version: str = "2.0", stage: str = "$default", stage_fields: dict[str, Any] | None = None,
         **fields: Any) -> str:  # fmt: skip
    """An API whose routes all use one Lambda authorizer and the backend function, deployed
    to `stage`; its id."""
    api_id = v2.create_api(Name="lambda-authorizers", ProtocolType="HTTP")["ApiId"]
    given = {
        "Name": "lambda",
        "AuthorizerType": "REQUEST",
        "AuthorizerUri": lambda_uri(authorizer.name),
        "AuthorizerPayloadFormatVersion": "2.0",
        "IdentitySource": ["$request.header.Authorization"],
        **fields,
    }
    authorizer_id = v2.create_authorizer(ApiId=api_id, **given)["AuthorizerId"]
    integration_id = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=backend,
        PayloadFormatVersion=version,
    )["IntegrationId"]  # fmt: skip
    for key in routes:
        v2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration_id}",
                        AuthorizationType="CUSTOM", AuthorizerId=authorizer_id)  # fmt: skip
    v2.create_stage(ApiId=api_id, StageName=stage, **(stage_fields or {}))
    v2.create_deployment(ApiId=api_id, StageName=stage)
    return str(api_id)


def _url(server: Server, api_id: str, path: str, stage: str = "$default") -> str:
    segment = "" if stage == "$default" else f"/{stage}"
    return f"{server.gateway}/_aws/execute-api/{api_id}{segment}{path}"


def _token(verb: str) -> str:
    return f"{verb}-{uuid.uuid4().hex[:12]}"


def _expect(response: httpx.Response, status: int, body: bytes) -> None:
    assert (response.status_code, response.content) == (status, body)
    assert response.headers["content-type"] == "application/json"
    assert response.headers["apigw-requestid"]
    assert "x-amzn-errortype" not in response.headers


# --- payload 2.0 ----------------------------------------------------------------------------


def test_2_0_simple_allow_and_what_the_function_and_backend_got(
    v2: Any, simple: Authorizer, backend: str, server: Server, http: httpx.Client
) -> None:
    api_id = _api(v2, simple, backend, stage="dev", EnableSimpleResponses=True)
    token = _token("allow")
    response = http.get(_url(server, api_id, "/pets", "dev"), params={"q": "1"},
                        headers={"Authorization": token})  # fmt: skip
    assert response.status_code == 200
    received = response.json()
    assert received["requestContext"]["authorizer"] == {
        "lambda": {"user": token, "roles": ["reader"], "level": 2}
    }
    (event,) = simple.events(token)
    assert event["version"] == "2.0"
    assert event["type"] == "REQUEST"
    assert event["routeArn"] == f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/dev/GET/pets"
    assert event["identitySource"] == [token]
    assert event["routeKey"] == "GET /pets"
    assert event["rawPath"] == "/dev/pets"
    assert event["rawQueryString"] == "q=1"
    assert event["headers"]["authorization"] == token
    assert event["queryStringParameters"] == {"q": "1"}
    assert event["requestContext"]["apiId"] == api_id
    assert event["requestContext"]["stage"] == "dev"
    assert "body" not in event and "isBase64Encoded" not in event
    # what the backend got otherwise is the event it gets without an authorizer
    assert received["routeKey"] == "GET /pets"
    assert received["requestContext"]["requestId"] == response.headers["apigw-requestid"]


def test_2_0_simple_deny(
    v2: Any, simple: Authorizer, backend: str, server: Server, http: httpx.Client
) -> None:
    api_id = _api(v2, simple, backend, EnableSimpleResponses=True)
    token = _token("deny")
    _expect(http.get(_url(server, api_id, "/pets"), headers={"Authorization": token}),
            403, FORBIDDEN)  # fmt: skip
    assert len(simple.events(token)) == 1


def test_2_0_policy_allow_and_deny(
    v2: Any, policy: Authorizer, backend: str, server: Server, http: httpx.Client
) -> None:
    api_id = _api(v2, policy, backend)
    allowed = _token("allow")
    response = http.get(_url(server, api_id, "/pets"), headers={"Authorization": allowed})
    assert response.status_code == 200
    # the 2.0 event gets the context only; principalId is `$context.authorizer.principalId`
    assert response.json()["requestContext"]["authorizer"] == {
        "lambda": {"user": allowed, "level": 2}
    }
    (event,) = policy.events(allowed)
    assert event["routeArn"] == f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/$default/GET/pets"
    denied = _token("deny")
    _expect(http.get(_url(server, api_id, "/pets"), headers={"Authorization": denied}),
            403, FORBIDDEN)  # fmt: skip


def test_1_0_policy_and_a_1_0_integration(
    v2: Any, policy: Authorizer, backend: str, server: Server, http: httpx.Client
) -> None:
    api_id = _api(v2, policy, backend, version="1.0", AuthorizerPayloadFormatVersion="1.0",
                     IdentitySource=["$request.header.Authorization", "$request.querystring.t"])  # fmt: skip
    token = _token("allow")
    response = http.get(_url(server, api_id, "/pets"), params={"t": "x"},
                        headers={"Authorization": token})  # fmt: skip
    assert response.status_code == 200
    assert response.json()["requestContext"]["authorizer"] == {
        "user": token,
        "level": 2,
        "principalId": f"user-{token}",
    }
    (event,) = policy.events(token)
    assert event["version"] == "1.0"
    assert event["type"] == "REQUEST"
    assert (
        event["methodArn"] == f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/$default/GET/pets"
    )
    assert event["identitySource"] == event["authorizationToken"] == f"{token},x"
    assert event["resource"] == "/pets"
    assert event["httpMethod"] == "GET"
    assert event["queryStringParameters"] == {"t": "x"}
    denied = _token("deny")
    _expect(http.get(_url(server, api_id, "/pets"), params={"t": "x"},
                     headers={"Authorization": denied}), 403, FORBIDDEN)  # fmt: skip


# --- errors ---------------------------------------------------------------------------------


def test_unauthorized_error_invalid_answer_and_missing_identity(
    v2: Any, simple: Authorizer, backend: str, server: Server, http: httpx.Client
) -> None:
    api_id = _api(v2, simple, backend, EnableSimpleResponses=True)
    url = _url(server, api_id, "/pets")
    unauthorized = _token("unauthorized")
    _expect(http.get(url, headers={"Authorization": unauthorized}), 401, UNAUTHORIZED)
    error = _token("error")
    _expect(http.get(url, headers={"Authorization": error}), 500, INTERNAL)
    invalid = _token("invalid")
    _expect(http.get(url, headers={"Authorization": invalid}), 500, INTERNAL)
    assert [len(simple.events(t)) for t in (unauthorized, error, invalid)] == [1, 1, 1]
    # no identity: 401 and the function is not called (the marker is in the URL)
    before = len(simple.lines())
    marker = _token("missing")
    _expect(http.get(url, params={"m": marker}), 401, UNAUTHORIZED)
    _expect(http.get(url, params={"m": marker}, headers={"Authorization": ""}), 401, UNAUTHORIZED)
    assert simple.events(marker) == []
    assert len(simple.lines()) == before


def test_a_function_api_gateway_may_not_call_is_500(
    v2: Any, lam: Any, backend: str, server: Server, http: httpx.Client, tmp_path: Path
) -> None:
    unpermitted = Authorizer(lam, tmp_path / "calls.jsonl", "simple", permit=False)
    api_id = _api(v2, unpermitted, backend, EnableSimpleResponses=True)
    _expect(http.get(_url(server, api_id, "/pets"), headers={"Authorization": "allow"}),
            500, INTERNAL)  # fmt: skip
    assert unpermitted.lines() == []


# --- identity sources -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "where"),
    [
        ("$request.header.X-Key", "header"),
        ("$request.querystring.key", "query"),
        ("$stageVariables.tenant", "stage"),
        ("$context.identity.sourceIp", "context"),
    ],
)
def test_identity_source_kinds(
    v2: Any, simple: Authorizer, backend: str, server: Server, http: httpx.Client,
    source: str, where: str,
) -> None:  # fmt: skip
    token = _token("allow")
    stage_fields = {"StageVariables": {"tenant": token}}
    api_id = _api(v2, simple, backend, EnableSimpleResponses=True, IdentitySource=[source],
                     stage_fields=stage_fields)  # fmt: skip
    url = _url(server, api_id, "/pets")
    sent: dict[str, Any] = {"params": {"marker": token}}
    if where == "header":
        sent["headers"] = {"X-Key": token}
    if where == "query":
        sent["params"]["key"] = token
    assert http.get(url, **sent).status_code == 200
    expected = "127.0.0.1" if where == "context" else token
    assert simple.events(token)[-1]["identitySource"] == [expected]
    if where in ("header", "query"):
        marker = _token("absent")
        _expect(http.get(url, params={"marker": marker, "key": ""}), 401, UNAUTHORIZED)
        assert simple.events(marker) == []


# --- caching --------------------------------------------------------------------------------


def test_cached_allow_cached_deny_and_reset(
    v2: Any, simple: Authorizer, backend: str, server: Server, http: httpx.Client
) -> None:
    api_id = _api(v2, simple, backend, EnableSimpleResponses=True,
                     AuthorizerResultTtlInSeconds=300)  # fmt: skip
    url = _url(server, api_id, "/pets")
    allowed, denied = _token("allow"), _token("deny")
    for _ in range(3):
        response = http.get(url, headers={"Authorization": allowed})
        assert response.status_code == 200
        # a cached answer passes its context on as the fresh one did
        assert response.json()["requestContext"]["authorizer"]["lambda"]["user"] == allowed
        _expect(http.get(url, headers={"Authorization": denied}), 403, FORBIDDEN)
    assert (len(simple.events(allowed)), len(simple.events(denied))) == (1, 1)
    v2.reset_authorizers_cache(ApiId=api_id, StageName="$default")
    assert http.get(url, headers={"Authorization": allowed}).status_code == 200
    _expect(http.get(url, headers={"Authorization": denied}), 403, FORBIDDEN)
    assert (len(simple.events(allowed)), len(simple.events(denied))) == (2, 2)


def test_ttl_0_calls_the_function_every_time(
    v2: Any, simple: Authorizer, backend: str, server: Server, http: httpx.Client
) -> None:
    api_id = _api(v2, simple, backend, EnableSimpleResponses=True,
                     AuthorizerResultTtlInSeconds=0)  # fmt: skip
    token = _token("allow")
    for _ in range(3):
        assert http.get(_url(server, api_id, "/pets"), headers={"Authorization": token}).is_success
    assert len(simple.events(token)) == 3


def test_route_key_as_identity_source_caches_per_route(
    v2: Any, policy: Authorizer, backend: str, server: Server, http: httpx.Client
) -> None:
    # The policy names the ARN it was sent: cached for one route, it would deny the other.
    api_id = _api(v2, policy, backend, routes=("GET /pets", "POST /pets"),
                     AuthorizerResultTtlInSeconds=300,
                     IdentitySource=["$request.header.Authorization", "$context.routeKey"])  # fmt: skip
    token = _token("allow")
    url = _url(server, api_id, "/pets")
    for _ in range(2):
        assert http.get(url, headers={"Authorization": token}).status_code == 200
        assert http.post(url, headers={"Authorization": token}).status_code == 200
    assert [e["identitySource"] for e in policy.events(token)] == [
        [token, "GET /pets"],
        [token, "POST /pets"],
    ]


def test_without_the_route_in_the_key_a_cached_policy_is_evaluated_per_route(
    v2: Any, policy: Authorizer, backend: str, server: Server, http: httpx.Client
) -> None:
    api_id = _api(v2, policy, backend, routes=("GET /pets", "POST /pets"),
                     AuthorizerResultTtlInSeconds=300)  # fmt: skip
    token = _token("allow")
    url = _url(server, api_id, "/pets")
    assert http.get(url, headers={"Authorization": token}).status_code == 200
    # the cached policy allows GET /pets only
    _expect(http.post(url, headers={"Authorization": token}), 403, FORBIDDEN)
    assert len(policy.events(token)) == 1


# --- $context.authorizer.* ------------------------------------------------------------------


def test_context_in_parameter_mapping_and_access_log(
    v2: Any, policy: Authorizer, server: Server, http: httpx.Client, upstream: str
) -> None:
    api_id = v2.create_api(Name="mapped", ProtocolType="HTTP")["ApiId"]
    authorizer_id = v2.create_authorizer(
        ApiId=api_id, Name="lambda", AuthorizerType="REQUEST",
        AuthorizerUri=lambda_uri(policy.name), AuthorizerPayloadFormatVersion="2.0",
        IdentitySource=["$request.header.Authorization"],
    )["AuthorizerId"]  # fmt: skip
    integration_id = v2.create_integration(
        ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
        IntegrationUri=f"{upstream}/whoami",
        RequestParameters={"append:header.x-user": "$context.authorizer.user",
                           "append:header.x-principal": "$context.authorizer.principalId"},
    )["IntegrationId"]  # fmt: skip
    v2.create_route(ApiId=api_id, RouteKey="GET /whoami", Target=f"integrations/{integration_id}",
                    AuthorizationType="CUSTOM", AuthorizerId=authorizer_id)  # fmt: skip
    v2.create_stage(ApiId=api_id, StageName="$default", AccessLogSettings={
        "DestinationArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:authorizers",
        "Format": '{"api":"$context.apiId","principal":"$context.authorizer.principalId",'
                  '"user":"$context.authorizer.user","status":"$context.status"}',
    })  # fmt: skip
    v2.create_deployment(ApiId=api_id, StageName="$default")
    token = _token("allow")
    response = http.get(_url(server, api_id, "/whoami"), headers={"Authorization": token})
    assert response.status_code == 200
    headers = {k.lower(): v for k, v in response.json()["headers"]}
    assert (headers["x-user"], headers["x-principal"]) == (token, f"user-{token}")
    denied = _token("deny")
    assert (
        http.get(_url(server, api_id, "/whoami"), headers={"Authorization": denied}).status_code
        == 403
    )
    assert access_log_entries(server, api_id, 2) == [
        {"api": api_id, "principal": f"user-{token}", "user": token, "status": "200"},
        {"api": api_id, "principal": f"user-{denied}", "user": denied, "status": "403"},
    ]


# --- OpenAPI --------------------------------------------------------------------------------


def test_an_imported_lambda_authorizer_is_enforced(
    v2: Any, simple: Authorizer, backend: str, server: Server, http: httpx.Client
) -> None:
    document = {
        "openapi": "3.0.1",
        "info": {"title": "imported-authorizer", "version": "1"},
        "paths": {
            "/secure": {
                "get": {
                    "security": [{"lambda": []}],
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy", "httpMethod": "POST", "uri": backend,
                        "payloadFormatVersion": "2.0",
                    },
                }
            },
            "/open": {
                "get": {
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy", "httpMethod": "POST", "uri": backend,
                        "payloadFormatVersion": "2.0",
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "lambda": {
                    "type": "apiKey", "name": "X-Token", "in": "header",
                    "x-amazon-apigateway-authorizer": {
                        "type": "request",
                        "identitySource": "$request.header.X-Token, $request.querystring.t",
                        "authorizerUri": lambda_uri(simple.name),
                        "authorizerPayloadFormatVersion": "2.0",
                        "enableSimpleResponses": True,
                        "authorizerResultTtlInSeconds": 300,
                    },
                }
            }
        },
    }  # fmt: skip
    api_id = v2.import_api(Body=json.dumps(document))["ApiId"]
    (authorizer,) = v2.get_authorizers(ApiId=api_id)["Items"]
    assert authorizer["IdentitySource"] == ["$request.header.X-Token", "$request.querystring.t"]
    assert authorizer["AuthorizerResultTtlInSeconds"] == 300
    v2.create_stage(ApiId=api_id, StageName="$default")
    v2.create_deployment(ApiId=api_id, StageName="$default")
    url = _url(server, api_id, "/secure")
    allowed, denied = _token("allow"), _token("deny")
    assert http.get(url, params={"t": "1"}, headers={"X-Token": allowed}).status_code == 200
    _expect(http.get(url, params={"t": "1"}, headers={"X-Token": denied}), 403, FORBIDDEN)
    _expect(http.get(url, headers={"X-Token": allowed}), 401, UNAUTHORIZED)  # no `t`
    assert http.get(_url(server, api_id, "/open")).status_code == 200
    assert [e["identitySource"] for e in simple.events(allowed)] == [[allowed, "1"]]
    exported = json.loads(v2.export_api(ApiId=api_id, Specification="OAS30",
                                        OutputType="JSON")["body"].read())  # fmt: skip
    extension = exported["components"]["securitySchemes"]["lambda"][
        "x-amazon-apigateway-authorizer"
    ]
    assert extension == {
        "identitySource": "$request.header.X-Token,$request.querystring.t",
        "authorizerUri": lambda_uri(simple.name),
        "authorizerPayloadFormatVersion": "2.0",
        "enableSimpleResponses": True,
        "authorizerResultTtlInSeconds": 300,
        "type": "request",
    }

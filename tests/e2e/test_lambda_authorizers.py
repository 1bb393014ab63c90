"""REST Lambda authorizers end to end (spec §5.5): real authorizer functions created through
the Lambda API, methods secured by TOKEN and REQUEST authorizers, and every outcome as the
client sees it (status, body, x-amzn-ErrorType) and as the integration sees it
(`$context.authorizer.*` in templates, `requestContext.authorizer` in the proxy event).

The authorizer function records every event it gets in a file, so each test proves whether
the function was called (a missing or invalid identity, a cached answer) or not."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    add_path,
    add_response,
    aws_error,
    create_function,
    deploy,
    lambda_uri,
    new_api,
)
from tests.e2e.test_gateway_limits import _access_line

AUTHORIZER_SOURCE = """\
import json
import os


def handler(event, context):
    with open(os.environ["RECORD"], "a") as f:
        f.write(json.dumps(event) + "\\n")
    if event["type"] == "TOKEN":
        token = event["authorizationToken"]
    else:
        token = (event.get("headers") or {}).get("X-User") or ""
    arn = event["methodArn"]
    api, stage = arn.split("/")[:2]
    kind = token.split("-", 1)[0]
    if kind == "unauthorized":
        raise Exception("Unauthorized")
    if kind == "boom":
        raise ValueError("boom")
    if kind == "invalid":
        return {"principalId": "nobody"}
    if kind == "nested":
        return {"principalId": "p", "context": {"a": {"b": 1}}, "policyDocument": {
            "Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": arn}]}}
    resource = arn
    if kind == "wild":
        resource = api + "/" + stage + "/GET/*"
    if kind == "elsewhere":
        resource = api + "/" + stage + "/GET/nowhere"
    return {
        "principalId": "user-" + token,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Deny" if kind == "deny" else "Allow",
                    "Resource": resource,
                }
            ],
        },
        "context": {"plan": "gold", "count": 3, "admin": True},
        "usageIdentifierKey": "key-" + token,
    }
"""

ECHO_AUTHORIZER_SOURCE = """\
import json


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}
"""

ECHO_EVENT_SOURCE = """\
def handler(event, context):
    return event
"""

MOCK_TEMPLATE = (
    '{"principal":"$context.authorizer.principalId","plan":"$context.authorizer.plan",'
    '"count":"$context.authorizer.count","admin":"$context.authorizer.admin"}'
)
UNAUTHORIZED = (401, {"message": "Unauthorized"}, "UnauthorizedException")
CONFIGURATION_ERROR = (500, {"message": None}, "AuthorizerConfigurationException")
NOT_AUTHORIZED = (
    403,
    {"Message": "User is not authorized to access this resource"},
    "AccessDeniedException",
)
EXPLICIT_DENY = (
    403,
    {"Message": "User is not authorized to access this resource with an explicit deny"},
    "AccessDeniedException",
)


@dataclass
class Secured:
    """The API under test and the authorizer function's record."""

    server: Server
    apigw: Any
    api_id: str
    record: Path
    authorizers: dict[str, str]  # name -> id

    def url(self, path: str, stage: str = "test") -> str:
        return self.server.url(self.api_id, stage, path)

    def events(self, identity: str) -> list[dict[str, Any]]:
        """The events the authorizer function got whose token (TOKEN) or X-User (REQUEST)
        is `identity`."""
        if not self.record.exists():
            return []
        out = []
        for line in self.record.read_text().splitlines():
            event = json.loads(line)
            token = event.get("authorizationToken")
            if token is None:
                token = (event.get("headers") or {}).get("X-User")
            if token == identity:
                out.append(event)
        return out


def _method(apigw: Any, api_id: str, resource: str, verb: str, authorizer: str,
            integration: dict[str, Any]) -> None:  # fmt: skip
    apigw.put_method(
        restApiId=api_id,
        resourceId=resource,
        httpMethod=verb,
        authorizationType="CUSTOM",
        authorizerId=authorizer,
    )
    apigw.put_integration(restApiId=api_id, resourceId=resource, httpMethod=verb, **integration)


def _mock(apigw: Any, api_id: str, resource: str, verb: str, authorizer: str) -> None:
    _method(apigw, api_id, resource, verb, authorizer,
            {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}})  # fmt: skip
    add_response(apigw, api_id, resource, verb, "200",
                 templates={"application/json": MOCK_TEMPLATE})  # fmt: skip


def _authorizer(apigw: Any, api_id: str, name: str, function: str, **fields: Any) -> str:
    return str(
        apigw.create_authorizer(
            restApiId=api_id, name=name, authorizerUri=lambda_uri(function), **fields
        )["id"]
    )


@pytest.fixture(scope="module")
def secured(
    server: Server, apigw: Any, lam: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Secured]:
    suffix = uuid.uuid4().hex[:8]
    record = tmp_path_factory.mktemp("authorizer") / "events.jsonl"
    authorizer_fn = f"authorizer-{suffix}"
    any_authorizer = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*/authorizers/*"
    create_function(lam, authorizer_fn, AUTHORIZER_SOURCE, source_arn=any_authorizer,
                    environment={"RECORD": str(record)})  # fmt: skip
    unpermitted = f"authorizer-unpermitted-{suffix}"
    create_function(lam, unpermitted, AUTHORIZER_SOURCE, permit=False,
                    environment={"RECORD": str(record)})  # fmt: skip
    echo = f"echo-authorizer-{suffix}"
    create_function(lam, echo, ECHO_AUTHORIZER_SOURCE)
    echo_event = f"echo-event-{suffix}"
    create_function(lam, echo_event, ECHO_EVENT_SOURCE)

    api_id, root = new_api(apigw, f"authorizers-{suffix}")
    token = {"type": "TOKEN", "identitySource": "method.request.header.Authorization"}
    ids = {
        "tok": _authorizer(apigw, api_id, "tok", authorizer_fn, **token,
                           identityValidationExpression="[a-z]+(-[a-z0-9,]+)*"),
        "zero": _authorizer(apigw, api_id, "zero", authorizer_fn, **token,
                            authorizerResultTtlInSeconds=0),
        "req": _authorizer(
            apigw, api_id, "req", authorizer_fn, type="REQUEST",
            identitySource="method.request.header.X-User, method.request.querystring.q, "
            "stageVariables.sv, context.identity.userAgent",
        ),
        "nofn": _authorizer(apigw, api_id, "nofn", f"missing-{suffix}", **token),
        "noperm": _authorizer(apigw, api_id, "noperm", unpermitted, **token),
    }  # fmt: skip
    _mock(apigw, api_id, add_path(apigw, api_id, root, "/mock"), "GET", ids["tok"])
    proxy = add_path(apigw, api_id, root, "/proxy")
    for verb in ("GET", "POST"):
        _method(apigw, api_id, proxy, verb, ids["tok"],
                {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(echo)})  # fmt: skip
    custom = add_path(apigw, api_id, root, "/custom")
    _method(apigw, api_id, custom, "GET", ids["tok"], {
        "type": "AWS", "integrationHttpMethod": "POST", "uri": lambda_uri(echo_event),
        "requestTemplates": {"application/json": (
            '{"principal":"$context.authorizer.principalId","plan":"$context.authorizer.plan"}'
        )},
    })  # fmt: skip
    add_response(apigw, api_id, custom, "GET", "200")
    _mock(apigw, api_id, add_path(apigw, api_id, root, "/zero"), "GET", ids["zero"])
    _mock(apigw, api_id, add_path(apigw, api_id, root, "/req/{id}"), "GET", ids["req"])
    _mock(apigw, api_id, add_path(apigw, api_id, root, "/nofn"), "GET", ids["nofn"])
    _mock(apigw, api_id, add_path(apigw, api_id, root, "/noperm"), "GET", ids["noperm"])
    deploy(apigw, api_id, "test", variables={"sv": "stage-value"})
    deploy(apigw, api_id, "bare")  # no stage variable `sv`
    yield Secured(server, apigw, api_id, record, ids)


def fresh(kind: str) -> str:
    """A token no other test uses (the cache is keyed by it)."""
    return f"{kind}-{uuid.uuid4().hex[:12]}"


def outcome(response: httpx.Response) -> tuple[int, Any, str | None]:
    return response.status_code, response.json(), response.headers.get("x-amzn-ErrorType")


# --- TOKEN authorizers ----------------------------------------------------------------------


def test_allow_reaches_the_mapping_template(secured: Secured, http: httpx.Client) -> None:
    token = fresh("allow")
    response = http.get(secured.url("/mock"), headers={"Authorization": token})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "principal": f"user-{token}",
        "plan": "gold",
        "count": "3",
        "admin": "true",
    }
    [event] = secured.events(token)
    assert event == {
        "type": "TOKEN",
        "authorizationToken": token,
        "methodArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{secured.api_id}/test/GET/mock",
    }


def test_proxy_event_carries_the_authorizer(secured: Secured, http: httpx.Client) -> None:
    token = fresh("allow")
    first = http.get(secured.url("/proxy"), headers={"Authorization": token})
    assert first.status_code == 200, first.text
    received = first.json()
    assert isinstance(received.pop("integrationLatency"), int)
    assert received == {
        "principalId": f"user-{token}",
        "plan": "gold",
        "count": "3",
        "admin": "true",
    }
    cached = http.get(secured.url("/proxy"), headers={"Authorization": token}).json()
    assert cached["integrationLatency"] == 0  # answered from the cache
    assert len(secured.events(token)) == 1


def test_lambda_custom_integration_sees_the_authorizer(
    secured: Secured, http: httpx.Client
) -> None:
    token = fresh("allow")
    response = http.get(secured.url("/custom"), headers={"Authorization": token})
    assert response.status_code == 200, response.text
    assert response.json() == {"principal": f"user-{token}", "plan": "gold"}


def test_explicit_deny(secured: Secured, http: httpx.Client) -> None:
    token = fresh("deny")
    assert outcome(http.get(secured.url("/mock"), headers={"Authorization": token})) == (
        EXPLICIT_DENY
    )


def test_allow_not_covering_the_method_is_refused(secured: Secured, http: httpx.Client) -> None:
    token = fresh("elsewhere")
    assert outcome(http.get(secured.url("/mock"), headers={"Authorization": token})) == (
        NOT_AUTHORIZED
    )


def test_unauthorized_error_is_a_401(secured: Secured, http: httpx.Client) -> None:
    token = fresh("unauthorized")
    assert outcome(http.get(secured.url("/mock"), headers={"Authorization": token})) == (
        UNAUTHORIZED
    )
    assert len(secured.events(token)) == 1


@pytest.mark.parametrize("kind", ["boom", "invalid", "nested"])
def test_function_errors_and_unusable_answers_are_500(
    secured: Secured, http: httpx.Client, kind: str
) -> None:
    token = fresh(kind)
    assert outcome(http.get(secured.url("/mock"), headers={"Authorization": token})) == (
        CONFIGURATION_ERROR
    )
    # Failures are not cached: the next request calls the function again.
    http.get(secured.url("/mock"), headers={"Authorization": token})
    assert len(secured.events(token)) == 2


@pytest.mark.parametrize("path", ["/nofn", "/noperm"])
def test_missing_function_or_permission_is_500(
    secured: Secured, http: httpx.Client, path: str
) -> None:
    token = fresh("allow")
    assert outcome(http.get(secured.url(path), headers={"Authorization": token})) == (
        CONFIGURATION_ERROR
    )
    assert secured.events(token) == []  # Lambda refused: the function never ran


@pytest.mark.parametrize("headers", [{}, {"Authorization": ""}, {"Authorization": "Bearer x"}])
def test_missing_or_invalid_token_is_401_without_a_call(
    secured: Secured, http: httpx.Client, headers: dict[str, str]
) -> None:
    before = secured.record.read_text() if secured.record.exists() else ""
    assert outcome(http.get(secured.url("/mock"), headers=headers)) == UNAUTHORIZED
    after = secured.record.read_text() if secured.record.exists() else ""
    assert after == before


def test_cached_allow_is_not_called_again(secured: Secured, http: httpx.Client) -> None:
    token = fresh("allow")
    for _ in range(3):
        response = http.get(secured.url("/mock"), headers={"Authorization": token})
        assert response.status_code == 200
    assert len(secured.events(token)) == 1


def test_cached_deny_denies(secured: Secured, http: httpx.Client) -> None:
    token = fresh("deny")
    for _ in range(2):
        assert outcome(http.get(secured.url("/mock"), headers={"Authorization": token})) == (
            EXPLICIT_DENY
        )
    assert len(secured.events(token)) == 1


def test_ttl_zero_calls_every_time(secured: Secured, http: httpx.Client) -> None:
    token = fresh("allow")
    for _ in range(3):
        assert http.get(secured.url("/zero"), headers={"Authorization": token}).status_code == 200
    assert len(secured.events(token)) == 3


def test_cached_wildcard_policy_covers_other_methods_only(
    secured: Secured, http: httpx.Client
) -> None:
    token = fresh("wild")
    headers = {"Authorization": token}
    assert http.get(secured.url("/mock"), headers=headers).status_code == 200
    # The answer cached for GET /mock allows GET /proxy (GET/*) without a call ...
    assert http.get(secured.url("/proxy"), headers=headers).status_code == 200
    # ... and refuses POST /proxy, which its policy does not cover.
    assert outcome(http.post(secured.url("/proxy"), headers=headers)) == NOT_AUTHORIZED
    assert len(secured.events(token)) == 1


# --- REQUEST authorizers --------------------------------------------------------------------


def _request(secured: Secured, http: httpx.Client, user: str | None, q: str | None,
             stage: str = "test", agent: str = "e2e") -> httpx.Response:  # fmt: skip
    headers = {"User-Agent": agent}
    if user is not None:
        headers["X-User"] = user
    params = {"q": q} if q is not None else {}
    return http.get(secured.url("/req/7", stage), headers=headers, params=params)


def test_request_event_and_every_identity_source_kind(secured: Secured, http: httpx.Client) -> None:
    user = fresh("allow")
    response = _request(secured, http, user, "v")
    assert response.status_code == 200, response.text
    [event] = secured.events(user)
    arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{secured.api_id}/test/GET/req/7"
    assert (event["type"], event["methodArn"]) == ("REQUEST", arn)
    assert event["resource"] == "/req/{id}"
    assert event["path"] == "/req/7"
    assert event["httpMethod"] == "GET"
    assert event["headers"]["X-User"] == user
    assert event["multiValueHeaders"]["X-User"] == [user]
    assert event["queryStringParameters"] == {"q": "v"}
    assert event["multiValueQueryStringParameters"] == {"q": ["v"]}
    assert event["pathParameters"] == {"id": "7"}
    assert event["stageVariables"] == {"sv": "stage-value"}
    assert event["requestContext"]["resourcePath"] == "/req/{id}"
    assert event["requestContext"]["identity"]["userAgent"] == "e2e"
    assert "body" not in event
    # Same values: cached. A different context value (the user agent): a call of its own.
    assert _request(secured, http, user, "v").status_code == 200
    assert len(secured.events(user)) == 1
    assert _request(secured, http, user, "v", agent="other").status_code == 200
    assert len(secured.events(user)) == 2
    # A different query value: another call too.
    assert _request(secured, http, user, "w").status_code == 200
    assert len(secured.events(user)) == 3


@pytest.mark.parametrize("missing", ["header", "query", "empty query", "stage variable"])
def test_request_missing_identity_source_is_401_without_a_call(
    secured: Secured, http: httpx.Client, missing: str
) -> None:
    user = fresh("allow")
    if missing == "header":
        response = _request(secured, http, None, "v")
    elif missing == "query":
        response = _request(secured, http, user, None)
    elif missing == "empty query":
        response = _request(secured, http, user, "")
    else:
        response = _request(secured, http, user, "v", stage="bare")
    assert outcome(response) == UNAUTHORIZED
    assert secured.events(user) == []


def test_cache_key_collision_is_not_shared(secured: Secured, http: httpx.Client) -> None:
    """Header "x,b" + query "c" and header "x" + query "b,c" join to the same text; they are
    different identities and must not share a cached answer."""
    user = fresh("allow")
    assert _request(secured, http, f"{user},b", "c").status_code == 200
    assert len(secured.events(f"{user},b")) == 1
    assert _request(secured, http, user, "b,c").status_code == 200
    [event] = secured.events(user)  # called for itself, not answered from the other entry
    assert event["queryStringParameters"] == {"q": "b,c"}
    # Each is cached under its own values.
    assert _request(secured, http, user, "b,c").status_code == 200
    assert _request(secured, http, f"{user},b", "c").status_code == 200
    assert len(secured.events(user)) == len(secured.events(f"{user},b")) == 1


# --- gateway responses, access logs, deployments --------------------------------------------


def _small_api(secured: Secured, authorizer_fn: str, **authorizer: Any) -> tuple[str, str, str]:
    """Another API whose root GET is secured by a TOKEN authorizer calling `authorizer_fn`:
    (api id, root id, authorizer id), not deployed yet."""
    apigw = secured.apigw
    api_id, root = new_api(apigw, f"authorizers-small-{uuid.uuid4().hex[:8]}")
    fields = {"type": "TOKEN", "identitySource": "method.request.header.Authorization",
              **authorizer}  # fmt: skip
    authorizer_id = _authorizer(apigw, api_id, "tok", authorizer_fn, **fields)
    _mock(apigw, api_id, root, "GET", authorizer_id)
    return api_id, root, authorizer_id


def _function_of(secured: Secured) -> str:
    [name] = {
        f["FunctionName"]
        for f in secured.server.client("lambda").list_functions()["Functions"]
        if f["FunctionName"].startswith("authorizer-")
        and not f["FunctionName"].startswith("authorizer-unpermitted-")
        and f["Environment"]["Variables"].get("RECORD") == str(secured.record)
    }
    return str(name)


def test_customised_access_denied_still_applies(secured: Secured, http: httpx.Client) -> None:
    api_id, _, _ = _small_api(secured, _function_of(secured))
    secured.apigw.put_gateway_response(
        restApiId=api_id,
        responseType="ACCESS_DENIED",
        statusCode="451",
        responseParameters={"gatewayresponse.header.X-Why": "'denied'"},
        responseTemplates={"application/json": '{"why":$context.error.messageString}'},
    )
    deploy(secured.apigw, api_id, "test")
    response = http.get(
        secured.server.url(api_id, "test", "/"), headers={"Authorization": fresh("deny")}
    )
    assert response.status_code == 451
    assert response.json() == {
        "why": "User is not authorized to access this resource with an explicit deny"
    }
    assert response.headers["X-Why"] == "denied"


ACCESS_FORMAT = (
    "$context.requestId principal=$context.authorizer.principalId "
    "plan=$context.authorizer.plan status=$context.authorizer.status "
    "latency=$context.authorizer.latency integration=$context.authorizer.integrationLatency "
    "authorize=$context.authorize.status authenticate=$context.authenticate.status "
    "error=$context.authorize.error"
)


def test_access_log_has_the_authorizer_variables(secured: Secured, http: httpx.Client) -> None:
    api_id, _, _ = _small_api(secured, _function_of(secured))
    deploy(secured.apigw, api_id, "test")
    secured.apigw.update_stage(
        restApiId=api_id,
        stageName="test",
        patchOperations=[
            {
                "op": "replace",
                "path": "/accessLogSettings/destinationArn",
                "value": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:authorizers",
            },
            {"op": "replace", "path": "/accessLogSettings/format", "value": ACCESS_FORMAT},
        ],
    )
    url = secured.server.url(api_id, "test", "/")

    def line(headers: dict[str, str]) -> dict[str, str]:
        response = http.get(url, headers=headers)
        request_id = response.headers["x-amzn-RequestId"]
        text = _access_line(secured.server, request_id)
        assert text.startswith(request_id + " ")
        head, error = text.split(" error=")  # the last variable, which may hold spaces
        return {**dict(part.split("=", 1) for part in head.split(" ")[1:]), "error": error}

    token = fresh("allow")
    allowed = line({"Authorization": token})
    assert int(allowed.pop("latency")) >= int(allowed.pop("integration")) >= 0
    assert allowed == {
        "principal": f"user-{token}",
        "plan": "gold",
        "status": "200",
        "authorize": "200",
        "authenticate": "200",
        "error": "-",
    }
    denied = line({"Authorization": fresh("deny")})
    assert (denied["status"], denied["authorize"]) == ("200", "403")
    assert denied["error"] == "User is not authorized to access this resource with an explicit deny"
    unauthorized = line({})
    assert (unauthorized["status"], unauthorized["authorize"]) == ("401", "-")
    assert unauthorized["principal"] == "-"


def test_deployments_freeze_the_authorizer(secured: Secured, http: httpx.Client) -> None:
    """Changing an authorizer changes nothing at run time until the next deployment."""
    api_id, _, authorizer_id = _small_api(
        secured, _function_of(secured), identityValidationExpression="allow-.*"
    )
    deploy(secured.apigw, api_id, "test")
    url = secured.server.url(api_id, "test", "/")
    token = fresh("wild")
    assert outcome(http.get(url, headers={"Authorization": token})) == UNAUTHORIZED
    secured.apigw.update_authorizer(
        restApiId=api_id,
        authorizerId=authorizer_id,
        patchOperations=[{"op": "remove", "path": "/identityValidationExpression"}],
    )
    assert outcome(http.get(url, headers={"Authorization": token})) == UNAUTHORIZED
    assert secured.events(token) == []
    deploy(secured.apigw, api_id, "test")
    assert http.get(url, headers={"Authorization": token}).status_code == 200
    assert len(secured.events(token)) == 1


# --- FlushStageAuthorizersCache, TestInvokeAuthorizer ---------------------------------------


def test_flush_stage_authorizers_cache(secured: Secured, http: httpx.Client) -> None:
    token = fresh("allow")
    headers = {"Authorization": token}
    assert http.get(secured.url("/mock"), headers=headers).status_code == 200
    assert http.get(secured.url("/mock", "bare"), headers=headers).status_code == 200
    assert len(secured.events(token)) == 2  # one entry per stage
    flushed = secured.apigw.flush_stage_authorizers_cache(
        restApiId=secured.api_id, stageName="test"
    )
    assert flushed["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert http.get(secured.url("/mock"), headers=headers).status_code == 200
    assert len(secured.events(token)) == 3  # called again on the flushed stage
    assert http.get(secured.url("/mock", "bare"), headers=headers).status_code == 200
    assert len(secured.events(token)) == 3  # the other stage kept its entry


def test_flush_needs_an_existing_stage(secured: Secured) -> None:
    assert aws_error(
        secured.apigw.flush_stage_authorizers_cache, restApiId=secured.api_id, stageName="nope"
    ) == (404, "NotFoundException", "Invalid Stage identifier specified")


def test_invoke_token_authorizer(secured: Secured, http: httpx.Client) -> None:
    token = fresh("allow")
    result = secured.apigw.test_invoke_authorizer(
        restApiId=secured.api_id,
        authorizerId=secured.authorizers["tok"],
        headers={"Authorization": token},
        pathWithQueryString="/pets?x=1",
    )
    arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{secured.api_id}/ESTestInvoke-stage/GET/pets"
    assert result["clientStatus"] == 200
    assert result["principalId"] == f"user-{token}"
    assert json.loads(result["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": arn}],
    }
    assert result["authorization"] == {"plan": ["gold"], "count": ["3"], "admin": ["true"]}
    assert isinstance(result["latency"], int)
    log = result["log"]
    assert log.startswith("Execution log for request ")
    assert f"Incoming identity: {token}" in log
    assert "Successfully completed authorizer execution" in log
    [event] = secured.events(token)
    assert event == {"type": "TOKEN", "authorizationToken": token, "methodArn": arn}
    # A test invocation does not fill the stage's cache.
    assert http.get(secured.url("/mock"), headers={"Authorization": token}).status_code == 200
    assert len(secured.events(token)) == 2


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer x"}, 401),  # fails identityValidationExpression
        ({"Authorization": "unauthorized-1"}, 401),
        ({"Authorization": "boom-1"}, 500),
        ({"Authorization": "invalid-1"}, 500),
    ],
)
def test_invoke_token_authorizer_failures(
    secured: Secured, headers: dict[str, str], status: int
) -> None:
    result = secured.apigw.test_invoke_authorizer(
        restApiId=secured.api_id, authorizerId=secured.authorizers["tok"], headers=headers
    )
    assert result["clientStatus"] == status
    assert "principalId" not in result and "policy" not in result
    assert "Execution failed" in result["log"]


def test_invoke_request_authorizer(secured: Secured) -> None:
    user = fresh("allow")
    result = secured.apigw.test_invoke_authorizer(
        restApiId=secured.api_id,
        authorizerId=secured.authorizers["req"],
        headers={"X-User": user, "User-Agent": "tester"},
        pathWithQueryString="/req/1?q=v",
        stageVariables={"sv": "given"},
    )
    assert result["clientStatus"] == 200, result["log"]
    [event] = secured.events(user)
    assert event["type"] == "REQUEST"
    assert event["queryStringParameters"] == {"q": "v"}
    assert event["stageVariables"] == {"sv": "given"}
    missing = secured.apigw.test_invoke_authorizer(
        restApiId=secured.api_id,
        authorizerId=secured.authorizers["req"],
        headers={"X-User": user, "User-Agent": "tester"},
        pathWithQueryString="/req/1?q=v",
    )
    assert missing["clientStatus"] == 401  # no stage variable `sv`
    assert len(secured.events(user)) == 1


def test_invoke_authorizer_not_found(secured: Secured) -> None:
    assert aws_error(
        secured.apigw.test_invoke_authorizer, restApiId=secured.api_id, authorizerId="nope"
    ) == (404, "NotFoundException", "Invalid Authorizer identifier specified")

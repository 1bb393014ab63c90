"""HTTP API Lambda authorizers (auth/lambda_http.py, spec §5.7) through the HTTP API pipeline
in process: the events the function gets, simple and IAM-policy answers, identity sources,
the cache, what the integration and `$context.authorizer.*` get, the errors."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from tests.unit.dataplane.http_api.conftest import (
    API_ID,
    HOST,
    Upstream,
    add_route,
    context,
    definition,
    stage,
)

from tollway.dataplane.auth.lambda_http import Verdict
from tollway.dataplane.auth.services import AuthServices
from tollway.dataplane.context import Response
from tollway.dataplane.http_api.context import HttpContext
from tollway.dataplane.http_api.pipeline import http_pipeline
from tollway.model.http_api import ApiDefinition
from tollway.state.authorizer_cache import MemoryAuthorizerCache

from .conftest import ScriptedFunctions, allow

AUTHORIZER_URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:000000000000:function:auth/invocations"
)
FORBIDDEN = b'{"message":"Forbidden"}'
UNAUTHORIZED = b'{"message":"Unauthorized"}'
INTERNAL = b'{"message":"Internal Server Error"}'
ARN = f"arn:aws:execute-api:us-east-1:000000000000:{API_ID}"


def functions(answer: Any = None, **kwargs: Any) -> ScriptedFunctions:
    """The authorizer answers `answer` (a value, or a function of the event); the integration
    function answers with the event it got."""

    def script(event: dict[str, Any]) -> Any:
        if event.get("type") != "REQUEST":
            return {"statusCode": 200, "body": orjson.dumps(event).decode()}
        return answer(event) if callable(answer) else answer

    return ScriptedFunctions(script=script, **kwargs)


def api(*routes: str, version: str = "2.0", **authorizer: Any) -> ApiDefinition:
    """An API whose routes use one Lambda authorizer `au1` (an Authorization header by
    default), with Lambda integrations of payload `version`."""
    built = definition()
    built["Authorizers"]["au1"] = {
        "AuthorizerId": "au1",
        "Name": "lambda",
        "AuthorizerType": "REQUEST",
        "AuthorizerUri": AUTHORIZER_URI,
        "AuthorizerPayloadFormatVersion": "2.0",
        "IdentitySource": ["$request.header.Authorization"],
        "AuthorizerResultTtlInSeconds": 0,
        **authorizer,
    }
    integration = {
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": "arn:aws:lambda:us-east-1:000000000000:function:backend",
        "PayloadFormatVersion": version,
    }
    for key in routes or ("GET /pets/{id}",):
        add_route(built, key, integration, AuthorizationType="CUSTOM", AuthorizerId="au1")
    return built


def request(compiled: Any, path: str = "/pets/1", method: str = "GET", *,
            token: str | None = "secret", query: str = "",
            headers: list[tuple[str, str]] | None = None) -> HttpContext:  # fmt: skip
    sent = [("Host", HOST), ("User-Agent", "unit/1.0"), *(headers or [])]
    if token is not None:
        sent.append(("Authorization", token))
    return context(compiled, method, path, headers=sent, query=query)


async def run(ctx: HttpContext, lines: list[str] | None = None) -> Response:
    finish = [lambda c: lines.append(c.stage.access_log.render(c))] if lines is not None else []
    await http_pipeline(finish).run(ctx)
    assert ctx.response is not None
    return ctx.response


def authorizer_calls(scripted: ScriptedFunctions) -> list[dict[str, Any]]:
    """The authorizer's calls, each with the event it was sent (`event`)."""
    calls = [dict(call, event=orjson.loads(call["payload"])) for call in scripted.calls]
    return [call for call in calls if call["event"].get("type") == "REQUEST"]


def backend_event(response: Response) -> dict[str, Any]:
    event: dict[str, Any] = orjson.loads(response.body)
    return event


# --- payload 2.0 ----------------------------------------------------------------------------


async def test_2_0_simple_allow_the_event_and_what_the_integration_gets() -> None:
    scripted = functions({"isAuthorized": True, "context": {"user": "ann", "n": 1,
                                                            "roles": ["a"], "ok": True}})  # fmt: skip
    compiled = stage(api(EnableSimpleResponses=True), "dev", functions=scripted)
    ctx = request(compiled, query="q=1&q=2")
    ctx.request.stage_path = "/dev/pets/1"
    response = await run(ctx)
    assert response.status == 200
    (call,) = authorizer_calls(scripted)
    assert call["function"] == "arn:aws:lambda:us-east-1:000000000000:function:auth"
    assert call["principal"] == "apigateway.amazonaws.com"
    assert call["source_arn"] == f"{ARN}/authorizers/au1"
    assert call["time_limit"] == 10.0
    event = call["event"]
    context = event["requestContext"]
    assert list(event) == [
        "version", "type", "routeArn", "identitySource", "routeKey", "rawPath",
        "rawQueryString", "headers", "queryStringParameters", "requestContext",
        "pathParameters",
    ]  # fmt: skip
    assert event["version"] == "2.0"
    assert event["type"] == "REQUEST"
    assert event["routeArn"] == f"{ARN}/dev/GET/pets/1"
    assert event["identitySource"] == ["secret"]
    assert event["routeKey"] == "GET /pets/{id}"
    assert event["rawPath"] == "/dev/pets/1"
    assert event["rawQueryString"] == "q=1&q=2"
    assert event["headers"]["authorization"] == "secret"
    assert event["queryStringParameters"] == {"q": "1,2"}
    assert event["pathParameters"] == {"id": "1"}
    assert context["routeKey"] == "GET /pets/{id}"
    assert context["stage"] == "dev"
    assert "authorizer" not in context
    backend = backend_event(response)
    assert backend["requestContext"]["authorizer"] == {
        "lambda": {"user": "ann", "n": 1, "roles": ["a"], "ok": True}
    }
    assert ctx.authorizer is not None
    assert ctx.authorizer.variables == {"user": "ann", "n": "1", "roles": '["a"]', "ok": "true"}


async def test_2_0_simple_deny_is_403_forbidden_without_calling_the_integration() -> None:
    scripted = functions({"isAuthorized": False})
    compiled = stage(api(EnableSimpleResponses=True), functions=scripted)
    ctx = request(compiled)
    response = await run(ctx)
    assert (response.status, response.body) == (403, FORBIDDEN)
    assert response.headers == [
        ("Content-Type", "application/json"),
        ("apigw-requestid", ctx.request_id),
    ]
    assert len(scripted.calls) == 1  # the authorizer only


@pytest.mark.parametrize(
    "answer",
    [
        {"isAuthorized": "true"},
        {"isAuthorized": 1},
        {},
        [],
        "yes",
        {"isAuthorized": True, "context": ["not", "an", "object"]},
    ],
)
async def test_2_0_unusable_simple_answers_are_500(answer: Any) -> None:
    scripted = functions(answer)
    response = await run(request(stage(api(EnableSimpleResponses=True), functions=scripted)))
    assert (response.status, response.body) == (500, INTERNAL)
    assert len(scripted.calls) == 1


async def test_2_0_policy_answers_are_evaluated_against_the_route_arn() -> None:
    def answer(event: dict[str, Any]) -> dict[str, Any]:
        return allow(f"{ARN}/$default/GET/pets/*", context={"tier": {"level": 2}})

    scripted = functions(answer)
    compiled = stage(api("GET /pets/{id}", "DELETE /pets/{id}"), functions=scripted)
    allowed = await run(request(compiled))
    assert allowed.status == 200
    assert backend_event(allowed)["requestContext"]["authorizer"] == {
        "lambda": {"tier": {"level": 2}}
    }
    not_covered = await run(request(compiled, method="DELETE"))
    assert (not_covered.status, not_covered.body) == (403, FORBIDDEN)


async def test_2_0_explicit_deny_wins() -> None:
    policy = allow("*")
    policy["policyDocument"]["Statement"].append(
        {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": f"{ARN}/*/GET/pets/1"}
    )
    compiled = stage(api(), functions=functions(policy))
    assert (await run(request(compiled))).status == 403
    assert (await run(request(compiled, "/pets/2"))).status == 200


async def test_2_0_with_simple_responses_a_policy_answer_is_read_as_a_policy() -> None:
    compiled = stage(api(EnableSimpleResponses=True), functions=functions(allow("*", "Deny")))
    assert (await run(request(compiled))).body == FORBIDDEN


@pytest.mark.parametrize(
    "answer",
    [
        {"isAuthorized": True},  # a simple answer where a policy is expected
        {"principalId": "u", "policyDocument": {"Statement": []}},
        {"policyDocument": allow()["policyDocument"]},  # no principalId
        allow(context="flat"),
    ],
)
async def test_2_0_unusable_policy_answers_are_500(answer: Any) -> None:
    response = await run(request(stage(api(), functions=functions(answer))))
    assert (response.status, response.body) == (500, INTERNAL)


# --- payload 1.0 ----------------------------------------------------------------------------


async def test_1_0_event_and_policy_answer() -> None:
    scripted = functions(allow(context={"user": "ann", "n": 2, "admin": False}))
    built = api(version="1.0", AuthorizerPayloadFormatVersion="1.0",
                IdentitySource=["$request.header.Authorization", "$request.querystring.t"])  # fmt: skip
    compiled = stage(built, functions=scripted)
    response = await run(request(compiled, query="t=x&t=y"))
    assert response.status == 200
    event = authorizer_calls(scripted)[0]["event"]
    assert list(event)[:8] == [
        "version", "type", "methodArn", "identitySource", "authorizationToken", "resource",
        "path", "httpMethod",
    ]  # fmt: skip
    assert event["methodArn"] == f"{ARN}/$default/GET/pets/1"
    assert event["identitySource"] == event["authorizationToken"] == "secret,x,y"
    assert event["resource"] == "/pets/{id}"
    assert event["headers"]["Authorization"] == "secret"
    assert event["multiValueQueryStringParameters"] == {"t": ["x", "y"]}
    assert event["requestContext"]["resourceId"] == "GET /pets/{id}"
    assert "body" not in event and "isBase64Encoded" not in event
    assert backend_event(response)["requestContext"]["authorizer"] == {
        "user": "ann",
        "n": 2,
        "admin": False,
        "principalId": "user-1",
    }


@pytest.mark.parametrize(
    "answer",
    [
        {"isAuthorized": True},  # 1.0 must answer with a policy
        allow(context={"claims": "x"}),  # reserved
        allow(context={"nested": {"a": 1}}),  # 1.0 context values are primitives
    ],
)
async def test_1_0_unusable_answers_are_500(answer: Any) -> None:
    built = api(AuthorizerPayloadFormatVersion="1.0")
    response = await run(request(stage(built, functions=functions(answer))))
    assert (response.status, response.body) == (500, INTERNAL)


# --- errors ---------------------------------------------------------------------------------


async def test_missing_identity_source_is_401_without_calling_the_function() -> None:
    scripted = functions({"isAuthorized": True})
    compiled = stage(api(EnableSimpleResponses=True), functions=scripted)
    for ctx in (request(compiled, token=None), request(compiled, token="")):
        response = await run(ctx)
        assert (response.status, response.body) == (401, UNAUTHORIZED)
    assert scripted.calls == []


async def test_function_error_unauthorized_is_401_and_others_500() -> None:
    compiled = stage(api(), functions=functions(error="Unauthorized"))
    assert (await run(request(compiled))).body == UNAUTHORIZED
    compiled = stage(api(), functions=functions(error="boom"))
    response = await run(request(compiled))
    assert (response.status, response.body) == (500, INTERNAL)
    compiled = stage(api(), functions=functions(raw=b"not json"))
    assert (await run(request(compiled))).status == 500


async def test_an_authorizer_that_does_not_exist_refuses_with_500() -> None:
    built = api()
    del built["Authorizers"]["au1"]
    compiled = stage(built, functions=functions({"isAuthorized": True}))
    assert any("au1 does not exist" in w for w in compiled.warnings)
    assert (await run(request(compiled))).body == INTERNAL


# --- identity sources -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "present", "absent"),
    [
        ("$request.header.X-Key", {"headers": [("x-key", "k")]}, {}),
        ("$request.querystring.key", {"query": "key=k"}, {"query": "key="}),
        ("$context.routeKey", {}, None),
        ("$stageVariables.tenant", {}, None),
    ],
)
async def test_identity_source_kinds(source: str, present: dict[str, Any],
                                     absent: dict[str, Any] | None) -> None:  # fmt: skip
    scripted = functions({"isAuthorized": True})
    built = api(EnableSimpleResponses=True, IdentitySource=[source])
    compiled = stage(built, functions=scripted, StageVariables={"tenant": "t1"})
    assert (await run(request(compiled, token=None, **present))).status == 200
    expected = {"$context.routeKey": "GET /pets/{id}", "$stageVariables.tenant": "t1"}
    assert authorizer_calls(scripted)[0]["event"]["identitySource"] == [expected.get(source, "k")]
    if absent is not None:
        assert (await run(request(compiled, token=None, **absent))).status == 401
        assert len(authorizer_calls(scripted)) == 1


async def test_a_stage_variable_the_stage_lacks_refuses_every_request() -> None:
    scripted = functions({"isAuthorized": True})
    built = api(EnableSimpleResponses=True, IdentitySource=["$stageVariables.nope"])
    assert (await run(request(stage(built, functions=scripted)))).status == 401
    assert scripted.calls == []


async def test_an_unknown_context_variable_is_said_and_refused() -> None:
    built = api(EnableSimpleResponses=True, IdentitySource=["$context.nope"])
    compiled = stage(built, functions=functions({"isAuthorized": True}))
    assert compiled.warnings == [
        "authorizer lambda: identity source $context.nope has no value on HTTP APIs (requests "
        "are refused with 401) on route GET /pets/{id}"
    ]
    assert (await run(request(compiled))).status == 401


async def test_no_identity_sources_always_calls_the_function() -> None:
    scripted = functions({"isAuthorized": True})
    compiled = stage(api(EnableSimpleResponses=True, IdentitySource=[]), functions=scripted)
    assert (await run(request(compiled, token=None))).status == 200
    assert "identitySource" not in authorizer_calls(scripted)[0]["event"]
    built = api(AuthorizerPayloadFormatVersion="1.0", IdentitySource=[])
    scripted = functions(allow())
    assert (await run(request(stage(built, functions=scripted), token=None))).status == 200
    event = authorizer_calls(scripted)[0]["event"]
    assert (event["identitySource"], event["authorizationToken"]) == (None, None)


# --- caching --------------------------------------------------------------------------------


async def test_cached_allow_and_cached_deny() -> None:
    scripted = functions(lambda event: {"isAuthorized": event["identitySource"] == ["good"]})
    auth = AuthServices(MemoryAuthorizerCache())
    compiled = stage(api(EnableSimpleResponses=True, AuthorizerResultTtlInSeconds=300),
                     functions=scripted, auth=auth)  # fmt: skip
    for _ in range(2):
        assert (await run(request(compiled, token="good"))).status == 200
        assert (await run(request(compiled, token="bad"))).status == 403
    assert len(authorizer_calls(scripted)) == 2
    # keyed by stage, authorizer, its configuration's fingerprint, the identity values
    [key] = [k for k in auth.cache._entries if k[-1] == "good"]
    assert (key[:3], len(key)) == ((API_ID, "$default", "au1"), 5)
    cached = await auth.cache.get(key)
    assert cached is not None and orjson.loads(cached.raw) == {"isAuthorized": True}
    assert isinstance(cached.prepared, Verdict) and cached.prepared.allowed is True
    await auth.cache.flush(API_ID, "$default")  # ResetAuthorizersCache
    assert (await run(request(compiled, token="good"))).status == 200
    assert len(authorizer_calls(scripted)) == 3


async def test_ttl_0_calls_every_time() -> None:
    scripted = functions({"isAuthorized": True})
    compiled = stage(api(EnableSimpleResponses=True), functions=scripted)
    for _ in range(3):
        assert (await run(request(compiled))).status == 200
    assert len(authorizer_calls(scripted)) == 3


async def test_a_cached_policy_is_evaluated_for_each_route() -> None:
    scripted = functions(allow(f"{ARN}/*/GET/*"))
    compiled = stage(api("GET /pets/{id}", "DELETE /pets/{id}", AuthorizerResultTtlInSeconds=60),
                     functions=scripted)  # fmt: skip
    assert (await run(request(compiled))).status == 200
    assert (await run(request(compiled, method="DELETE"))).status == 403
    assert len(authorizer_calls(scripted)) == 1


async def test_route_key_as_identity_source_caches_per_route() -> None:
    scripted = functions({"isAuthorized": True})
    built = api("GET /pets/{id}", "DELETE /pets/{id}", EnableSimpleResponses=True,
                AuthorizerResultTtlInSeconds=60,
                IdentitySource=["$request.header.Authorization", "$context.routeKey"])  # fmt: skip
    compiled = stage(built, functions=scripted)
    for method in ("GET", "DELETE", "GET", "DELETE"):
        assert (await run(request(compiled, method=method))).status == 200
    sources = [c["event"]["identitySource"] for c in authorizer_calls(scripted)]
    assert sources == [["secret", "GET /pets/{id}"], ["secret", "DELETE /pets/{id}"]]


async def test_errors_and_401_are_not_cached() -> None:
    scripted = functions(error="Unauthorized")
    compiled = stage(api(AuthorizerResultTtlInSeconds=60), functions=scripted)
    for _ in range(2):
        assert (await run(request(compiled))).status == 401
    assert len(scripted.calls) == 2


# --- $context.authorizer.* ------------------------------------------------------------------


async def test_context_variables_in_access_logs_and_parameter_mapping() -> None:
    built = api(IdentitySource=["$request.header.Authorization"])
    built["Integrations"]["i000001"] = {
        "IntegrationId": "i000001",
        "IntegrationType": "HTTP_PROXY",
        "IntegrationUri": "http://backend.example/pets",
        "IntegrationMethod": "GET",
        "RequestParameters": {
            "append:header.x-user": "$context.authorizer.user",
            "append:header.x-principal": "$context.authorizer.principalId",
        },
    }
    upstream = Upstream()
    lines: list[str] = []
    compiled = stage(built, functions=functions(allow(context={"user": "ann"})),
                     upstream=upstream, AccessLogSettings={
                         "Format": "$context.authorizer.principalId $context.authorizer.user "
                                   "$context.authorizer.nope $context.status"})  # fmt: skip
    assert (await run(request(compiled), lines)).status == 200
    headers = dict(upstream.sent[0]["headers"])
    assert (headers["x-user"], headers["x-principal"]) == ("ann", "user-1")
    assert lines == ["user-1 ann - 200"]

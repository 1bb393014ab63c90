"""REST Lambda authorizers compiled per method (spec §5.5): identity sources, the TOKEN and
REQUEST events, the policy against the method ARN, what the integration gets, the cache."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.unit.dataplane.conftest import RecordingUpstream, add, context, definition

from tollway.dataplane.auth.build import Misconfigured
from tollway.dataplane.auth.lambda_rest import LambdaRestAuthorization
from tollway.dataplane.auth.outcome import Decision
from tollway.dataplane.auth.services import AuthServices
from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.compile import compile_stage
from tollway.dataplane.compiled import CompiledStage
from tollway.dataplane.context import RestContext
from tollway.dataplane.errors import (
    AccessDenied,
    AuthorizerConfigurationError,
    GatewayError,
    Unauthorized,
)
from tollway.dataplane.handlers.route import ResourceRouter
from tollway.dataplane.integrations import IntegrationServices
from tollway.dataplane.variables import getter
from tollway.model.rest import RestApiDefinition, plain_stage
from tollway.state.authorizer_cache import MemoryAuthorizerCache

from .conftest import ScriptedFunctions, allow

URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:000000000000:function:${stageVariables.fn}/invocations"
)
ARN = "arn:aws:execute-api:us-east-1:000000000000:abc1234567/test"


def secured(**authorizer: Any) -> RestApiDefinition:
    d = definition()
    for path, verb in (("/pets/{id}", "GET"), ("/pets/{id}", "DELETE"), ("/", "GET")):
        resource = add(d, path, verb)
        method = d["resources"][resource]["resourceMethods"][verb]
        method["authorizationType"] = "CUSTOM"
        method["authorizerId"] = "auth01"
    d["authorizers"] = {
        "auth01": {
            "id": "auth01",
            "name": "a",
            "type": "TOKEN",
            "authorizerUri": URI,
            "identitySource": "method.request.header.Authorization",
            "authorizerResultTtlInSeconds": 300,
            **authorizer,
        }
    }
    return d


def compiled(
    d: RestApiDefinition, functions: ScriptedFunctions, cache: MemoryAuthorizerCache | None = None
) -> CompiledStage:
    services = IntegrationServices(
        RecordingUpstream(),
        functions,
        "us-east-1",
        "000000000000",
        auth=AuthServices(cache if cache is not None else MemoryAuthorizerCache()),
    )
    record = plain_stage("test", "dep123", {"fn": "auth-fn", "sv": "fixed"})
    return compile_stage(d, "dep123", record, services)


def routed(stage: CompiledStage, verb: str, path: str, **request: Any) -> RestContext:
    ctx = context(stage, verb, path, **request)
    asyncio.run(ResourceRouter()(HandlerChain(), ctx))
    return ctx


def authorize(ctx: RestContext) -> Decision | GatewayError:
    assert ctx.method is not None and ctx.method.authorization is not None
    try:
        return asyncio.run(ctx.method.authorization.authorize(ctx))
    except GatewayError as e:
        return e


def token(value: str) -> list[tuple[str, str]]:
    return [("Host", "abc1234567.execute-api.x"), ("Authorization", value)]


def test_token_event_names_the_function_and_the_method_arn() -> None:
    functions = ScriptedFunctions(
        script=lambda event: allow(event["methodArn"], context={"n": 1}, usageIdentifierKey="key-1")
    )
    stage = compiled(secured(), functions)
    ctx = routed(stage, "GET", "/pets/7", headers=token("t1"))
    assert authorize(ctx) is Decision.ALLOW
    [call] = functions.calls
    assert call["function"] == "arn:aws:lambda:us-east-1:000000000000:function:auth-fn"
    assert call["source_arn"] == (
        "arn:aws:execute-api:us-east-1:000000000000:abc1234567/authorizers/auth01"
    )
    assert functions.events()[0] == {
        "type": "TOKEN",
        "authorizationToken": "t1",
        "methodArn": f"{ARN}/GET/pets/7",
    }
    result = ctx.authorizer
    assert result is not None
    assert result.principal_id == "user-1"
    assert result.variables == {"principalId": "user-1", "n": "1"}
    assert result.event == {
        "principalId": "user-1",
        "integrationLatency": result.integration_latency,
        "n": "1",
    }
    assert (result.status, result.authorize_status) == (200, 200)
    assert result.usage_identifier_key == "key-1"  # the API key when apiKeySource=AUTHORIZER
    assert getter("authorizer.n")(ctx) == "1"  # type: ignore[misc]
    assert getter("authorizer.status")(ctx) == 200  # type: ignore[misc]


def test_the_cached_policy_is_evaluated_per_method() -> None:
    functions = ScriptedFunctions(script=lambda event: allow(f"{ARN}/GET/*"))
    stage = compiled(secured(), functions)
    assert authorize(routed(stage, "GET", "/pets/7", headers=token("t"))) is Decision.ALLOW
    again = routed(stage, "GET", "/", headers=token("t"))
    assert authorize(again) is Decision.ALLOW
    assert again.authorizer is not None and again.authorizer.event is not None
    assert again.authorizer.event["integrationLatency"] == 0
    delete = routed(stage, "DELETE", "/pets/7", headers=token("t"))
    assert authorize(delete) is Decision.IMPLICIT
    assert len(functions.calls) == 1
    assert delete.method is not None and delete.method.authorization is not None
    error = delete.method.authorization.denied(delete, Decision.IMPLICIT)
    assert isinstance(error, AccessDenied)
    assert error.message == "User is not authorized to access this resource"
    assert delete.authorizer is not None and delete.authorizer.authorize_status == 403


def test_explicit_deny_message() -> None:
    functions = ScriptedFunctions(script=lambda event: allow("*", effect="Deny"))
    ctx = routed(compiled(secured(), functions), "GET", "/", headers=token("t"))
    assert authorize(ctx) is Decision.DENY
    assert ctx.method is not None and ctx.method.authorization is not None
    assert ctx.method.authorization.denied(ctx, Decision.DENY).message == (
        "User is not authorized to access this resource with an explicit deny"
    )


@pytest.mark.parametrize("headers", [[], token(""), token("Bearer x")])
def test_missing_or_invalid_token_is_401_without_a_call(headers: list[tuple[str, str]]) -> None:
    functions = ScriptedFunctions(script=lambda event: allow())
    stage = compiled(secured(identityValidationExpression="[a-z]+"), functions)
    ctx = routed(stage, "GET", "/", headers=headers)
    assert isinstance(authorize(ctx), Unauthorized)
    assert functions.calls == []
    assert ctx.authorizer is not None and ctx.authorizer.status == 401


def test_validation_expression_must_match_the_whole_token() -> None:
    functions = ScriptedFunctions(script=lambda event: allow())
    stage = compiled(secured(identityValidationExpression="[a-z]+"), functions)
    assert isinstance(authorize(routed(stage, "GET", "/", headers=token("abc1"))), Unauthorized)
    assert authorize(routed(stage, "GET", "/", headers=token("abc"))) is Decision.ALLOW


def test_errors_are_not_cached_and_recorded_for_the_access_log() -> None:
    functions = ScriptedFunctions(error="boom")
    stage = compiled(secured(), functions)
    for _ in range(2):
        ctx = routed(stage, "GET", "/", headers=token("t"))
        assert isinstance(authorize(ctx), AuthorizerConfigurationError)
    assert len(functions.calls) == 2
    assert ctx.authorizer is not None and ctx.authorizer.status == 500


def test_ttl_zero_calls_every_time() -> None:
    functions = ScriptedFunctions(script=lambda event: allow())
    stage = compiled(secured(authorizerResultTtlInSeconds=0), functions)
    for _ in range(3):
        assert authorize(routed(stage, "GET", "/", headers=token("t"))) is Decision.ALLOW
    assert len(functions.calls) == 3


def request_authorizer(sources: str, ttl: int = 300) -> RestApiDefinition:
    return secured(type="REQUEST", identitySource=sources, authorizerResultTtlInSeconds=ttl)


def test_request_identity_sources_and_event() -> None:
    functions = ScriptedFunctions(script=lambda event: allow())
    d = request_authorizer(
        "method.request.header.X-A,method.request.querystring.q,stageVariables.sv,"
        "context.httpMethod"
    )
    cache = MemoryAuthorizerCache()
    stage = compiled(d, functions, cache)
    headers = [("Host", "h"), ("X-A", "a")]
    ctx = routed(stage, "GET", "/pets/7", headers=headers, query="q=1&q=2")
    assert authorize(ctx) is Decision.ALLOW
    event = functions.events()[0]
    assert (event["type"], event["methodArn"]) == ("REQUEST", f"{ARN}/GET/pets/7")
    assert event["pathParameters"] == {"id": "7"}
    assert event["queryStringParameters"] == {"q": "2"}
    assert "body" not in event and "isBase64Encoded" not in event
    # Keyed by the values in the order listed: header, query (last value), stage, context.
    assert len(cache) == 1
    assert ctx.method is not None and isinstance(ctx.method.authorization, LambdaRestAuthorization)
    key = ctx.method.authorization.cache.key(("a", "2", "fixed", "GET"))
    assert key[:3] == ("abc1234567", "test", "auth01")  # then the configuration's fingerprint
    assert asyncio.run(cache.get(key)) is not None
    for missing in ([("Host", "h")], [("Host", "h"), ("X-A", "")]):
        assert isinstance(authorize(routed(stage, "GET", "/", headers=missing, query="q=1")),
                          Unauthorized)  # fmt: skip
    assert isinstance(authorize(routed(stage, "GET", "/", headers=headers)), Unauthorized)
    assert len(functions.calls) == 1


def test_request_without_identity_sources_is_called_every_time() -> None:
    functions = ScriptedFunctions(script=lambda event: allow())
    stage = compiled(request_authorizer("", ttl=0), functions)
    for _ in range(2):
        assert authorize(routed(stage, "GET", "/")) is Decision.ALLOW
    assert len(functions.calls) == 2


def test_methods_whose_authorizer_cannot_run_refuse_with_500() -> None:
    d = secured()
    d["authorizers"]["auth01"]["authorizerUri"] = "arn:aws:apigateway:us-east-1:s3:path/x"
    stage = compiled(d, ScriptedFunctions())
    ctx = routed(stage, "GET", "/")
    assert isinstance(ctx.method and ctx.method.authorization, Misconfigured)
    assert any("has no Lambda function URI" in w for w in stage.warnings)
    d = secured()
    d["authorizers"] = {}
    stage = compiled(d, ScriptedFunctions())
    assert isinstance(routed(stage, "GET", "/").method.authorization, Misconfigured)  # type: ignore[union-attr]
    assert any("is not a Lambda authorizer of this API" in w for w in stage.warnings)


def test_authorizer_credentials_are_not_used_and_say_so() -> None:
    d = secured(authorizerCredentials="arn:aws:iam::000000000000:role/r")
    stage = compiled(d, ScriptedFunctions())
    assert isinstance(routed(stage, "GET", "/").method.authorization, LambdaRestAuthorization)  # type: ignore[union-attr]
    assert any("authorizerCredentials (an IAM role) is not used" in w for w in stage.warnings)

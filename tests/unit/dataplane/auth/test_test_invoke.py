"""TestInvokeAuthorizer's data-plane half and FlushStageAuthorizersCache (spec §5.5)."""

from __future__ import annotations

from typing import Any

import orjson
from tests.unit.dataplane.conftest import RecordingUpstream, definition

from tollway.dataplane.auth.services import AuthServices
from tollway.dataplane.auth.test_invoke import AuthorizerTester
from tollway.dataplane.integrations import IntegrationServices
from tollway.model.rest import Authorizer
from tollway.state.authorizer_cache import CachedAnswer, MemoryAuthorizerCache

from .conftest import ScriptedFunctions, allow

AUTHORIZER: Authorizer = {
    "id": "auth01",
    "name": "a",
    "type": "TOKEN",
    "authorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:000000000000:function:fn/invocations",
    "identitySource": "method.request.header.Authorization",
    "authorizerResultTtlInSeconds": 300,
}


def make_tester(functions: ScriptedFunctions, cache: MemoryAuthorizerCache) -> AuthorizerTester:
    return AuthorizerTester(
        IntegrationServices(
            RecordingUpstream(), functions, "us-east-1", "000000000000", auth=AuthServices(cache)
        )
    )


async def run(functions: ScriptedFunctions, **request: Any) -> dict[str, Any]:
    cache = MemoryAuthorizerCache()
    result = await make_tester(functions, cache).test_invoke(
        definition(),
        AUTHORIZER,
        path_with_query=request.get("path"),
        headers=request.get("headers", []),
        body=b"",
        stage_variables={},
        additional_context=request.get("additional"),
    )
    assert len(cache) == 0  # never the stage's cache
    return result.output()


async def test_allowing_answer() -> None:
    functions = ScriptedFunctions(
        script=lambda event: allow(event["methodArn"], context={"b": True})
    )
    out = await run(functions, headers=[("Authorization", "t")], path="pets/1?x=2")
    arn = "arn:aws:execute-api:us-east-1:000000000000:abc1234567/ESTestInvoke-stage/GET/pets/1"
    assert functions.events()[0]["methodArn"] == arn
    assert out["clientStatus"] == 200
    assert out["principalId"] == "user-1"
    assert orjson.loads(out["policy"])["Statement"][0]["Resource"] == arn
    assert out["authorization"] == {"b": ["true"]}
    assert "Using valid authorizer policy for principal: user-1" in out["log"]


async def test_failures_are_client_statuses() -> None:
    assert (await run(ScriptedFunctions()))["clientStatus"] == 401
    unauthorized = ScriptedFunctions(error="Unauthorized")
    assert (await run(unauthorized, headers=[("Authorization", "t")]))["clientStatus"] == 401
    broken = ScriptedFunctions(script=lambda event: {"principalId": "x"})
    out = await run(broken, headers=[("Authorization", "t")])
    assert out["clientStatus"] == 500 and "policyDocument" in out["log"]


async def test_additional_context_is_said_to_be_unused() -> None:
    out = await run(ScriptedFunctions(), additional={"k": "v"})
    assert "additionalContext is not used by Tollway" in out["log"]


async def test_flush_empties_one_stage() -> None:
    cache = MemoryAuthorizerCache()
    await cache.put(("api", "test", "a", "t"), CachedAnswer(b"{}"), 60)
    await cache.put(("api", "prod", "a", "t"), CachedAnswer(b"{}"), 60)
    await make_tester(ScriptedFunctions(), cache).flush("api", "test")
    assert await cache.get(("api", "test", "a", "t")) is None
    assert await cache.get(("api", "prod", "a", "t")) == CachedAnswer(b"{}")

"""The Lambda authorizer core (spec §5.5): calling the function and Lambda's outcomes, the
IAM-policy answer's checks, identity values and the cache keys."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.dataplane.http_api.conftest import FakeFunctions

from tollway.dataplane.auth.lambda_core import (
    AUTHORIZER_TIMEOUT,
    AuthorizerFunction,
    ResultCache,
    authorizer_source_arn,
    fingerprint,
    identity_values,
    parse_policy_answer,
)
from tollway.dataplane.auth.outcome import Decision
from tollway.dataplane.errors import AuthorizerConfigurationError, Unauthorized
from tollway.functions.errors import (
    FunctionNotFound,
    FunctionThrottled,
    InvocationDenied,
    RemoteInvokeError,
)
from tollway.state.authorizer_cache import AuthorizerCache, CachedAnswer, MemoryAuthorizerCache

from .conftest import ScriptedFunctions, allow

SOURCE = authorizer_source_arn("us-east-1", "000000000000", "api1", "auth1")


def test_source_arn() -> None:
    assert SOURCE == "arn:aws:execute-api:us-east-1:000000000000:api1/authorizers/auth1"


async def test_call_as_the_service_principal_within_the_authorizer_timeout() -> None:
    functions = ScriptedFunctions(script=lambda event: {"seen": event["type"]})
    called = await AuthorizerFunction("fn", functions, SOURCE).call({"type": "TOKEN"})
    assert called.answer == {"seen": "TOKEN"}
    assert called.latency_ms >= 0
    assert functions.calls == [
        {
            "function": "fn",
            "payload": b'{"type":"TOKEN"}',
            "principal": "apigateway.amazonaws.com",
            "source_arn": SOURCE,
            "time_limit": AUTHORIZER_TIMEOUT,
        }
    ]
    assert AUTHORIZER_TIMEOUT == 10.0


async def test_unauthorized_error_message_is_a_401() -> None:
    with pytest.raises(Unauthorized) as info:
        await AuthorizerFunction("fn", ScriptedFunctions(error="Unauthorized"), SOURCE).call({})
    assert info.value.message == "Unauthorized"


@pytest.mark.parametrize("message", ["unauthorized", "Unauthorized ", "Denied", "Forbidden"])
async def test_other_function_errors_are_configuration_errors(message: str) -> None:
    with pytest.raises(AuthorizerConfigurationError) as info:
        await AuthorizerFunction("fn", ScriptedFunctions(error=message), SOURCE).call({})
    assert info.value.message is None  # the body is {"message":null}
    assert info.value.log is not None and message in info.value.log


async def test_answer_that_is_not_json_is_a_configuration_error() -> None:
    with pytest.raises(AuthorizerConfigurationError, match="Invalid JSON"):
        await AuthorizerFunction("fn", ScriptedFunctions(raw=b"not json"), SOURCE).call({})


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (FunctionNotFound("fn"), "Invalid function"),
        (InvocationDenied("no"), "Invalid permissions on Lambda function"),
        (FunctionThrottled("fn", 0), "429"),
        (RemoteInvokeError(502, "ServiceException", "down"), "502"),
        (TimeoutError(), "did not answer within 10 seconds"),
    ],
)
async def test_lambda_refusals_are_configuration_errors(error: BaseException, says: str) -> None:
    with pytest.raises(AuthorizerConfigurationError) as info:
        await AuthorizerFunction("fn", FakeFunctions(raises=error), SOURCE).call({})
    assert info.value.log is not None and says in info.value.log


def test_policy_answer_parsed_and_evaluated_against_arns() -> None:
    answer = parse_policy_answer(
        allow(
            "arn:aws:execute-api:us-east-1:*:api1/test/GET/*",
            context={"s": "x", "n": 1, "f": 1.5, "b": True, "no": False},
            usageIdentifierKey="key-123",
        )
    )
    assert answer.principal_id == "user-1"
    assert answer.usage_identifier_key == "key-123"
    assert answer.decide("arn:aws:execute-api:us-east-1:1:api1/test/GET/pets") is Decision.ALLOW
    assert answer.decide("arn:aws:execute-api:us-east-1:1:api1/test/POST/pets") is (
        Decision.IMPLICIT
    )
    assert answer.context_strings() == {"s": "x", "n": "1", "f": "1.5", "b": "true", "no": "false"}


def test_explicit_deny_wins() -> None:
    answer = allow("*")
    answer["policyDocument"]["Statement"].append(
        {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": "*/DELETE/*"}
    )
    parsed = parse_policy_answer(answer)
    assert parsed.decide("arn:aws:execute-api:r:1:a/s/GET/x") is Decision.ALLOW
    assert parsed.decide("arn:aws:execute-api:r:1:a/s/DELETE/x") is Decision.DENY


@pytest.mark.parametrize(
    "answer",
    [
        [],
        "Allow",
        {"policyDocument": allow()["policyDocument"]},  # no principalId
        {"principalId": 7, "policyDocument": allow()["policyDocument"]},
        {"principalId": "u"},  # no policyDocument
        {"principalId": "u", "policyDocument": {"Statement": []}},
        {"principalId": "u", "policyDocument": {"Statement": [{"Effect": "Maybe"}]}},
        allow(context={"nested": {"a": 1}}),
        allow(context={"list": [1]}),
        allow(context={"null": None}),
        allow(context=["x"]),
        allow(usageIdentifierKey=5),
    ],
)
def test_unusable_answers_are_configuration_errors(answer: Any) -> None:
    with pytest.raises(AuthorizerConfigurationError):
        parse_policy_answer(answer)


def test_reserved_context_keys() -> None:
    with pytest.raises(AuthorizerConfigurationError, match="claims"):
        parse_policy_answer(allow(context={"claims": "x"}), reserved=("claims",))


def test_identity_values_all_present_and_non_empty() -> None:
    headers = {"a": "1", "b": "", "c": "3"}
    get_a, get_b, get_c, get_d = (lambda h, k=k: h.get(k) for k in "abcd")
    assert identity_values([get_a, get_c], headers) == ("1", "3")
    assert identity_values([get_a, get_b], headers) is None  # empty counts as missing
    assert identity_values([get_d], headers) is None
    assert identity_values([], headers) == ()


def slot_of(cache: AuthorizerCache, *args: Any) -> ResultCache[str]:
    """A result cache whose prepared form is the answer's `name` member."""
    return ResultCache(cache, *args, build=lambda answer: str(answer["name"]))


async def test_cache_keys_are_tuples_per_stage_and_authorizer() -> None:
    cache = MemoryAuthorizerCache()
    slot = slot_of(cache, "api1", "test", "auth1", 300)
    await slot.put(("a,b", "c"), {"name": "first"}, "first")
    assert await slot.get(("a,b", "c")) == "first"
    assert await slot.get(("a", "b,c")) is None  # joined, these would be equal
    assert await slot_of(cache, "api1", "prod", "auth1", 300).get(("a,b", "c")) is None
    assert await slot_of(cache, "api1", "test", "auth2", 300).get(("a,b", "c")) is None
    assert slot.key(("x",)) == ("api1", "test", "auth1", "", "x")


async def test_an_answer_from_a_shared_cache_is_rebuilt_once_from_its_json() -> None:
    built: list[str] = []
    cache = MemoryAuthorizerCache()

    def build(answer: Any) -> str:
        built.append(answer["name"])
        return str(answer["name"]).upper()

    slot = ResultCache(cache, "api1", "test", "auth1", 300, build=build)
    # what a shared cache (Redis) answers: the JSON only, no prepared form
    await cache.put(slot.key(("t",)), CachedAnswer(b'{"name":"shared"}'), 300)
    assert await slot.get(("t",)) == "SHARED"
    assert await slot.get(("t",)) == "SHARED"
    assert built == ["shared"]


async def test_an_answer_is_only_reused_by_the_configuration_that_obtained_it() -> None:
    cache = MemoryAuthorizerCache()
    before = fingerprint("fn-allow", "TOKEN", "method.request.header.Authorization", None)
    after = fingerprint("fn-deny", "TOKEN", "method.request.header.Authorization", None)
    assert before != after
    assert before == fingerprint("fn-allow", "TOKEN", "method.request.header.Authorization", None)
    await slot_of(cache, "api1", "test", "auth1", 300, before).put(("t",), {}, "allow")
    assert await slot_of(cache, "api1", "test", "auth1", 300, before).get(("t",)) == "allow"
    assert await slot_of(cache, "api1", "test", "auth1", 300, after).get(("t",)) is None
    await cache.flush("api1", "test")  # flushing a stage forgets every configuration's
    assert await slot_of(cache, "api1", "test", "auth1", 300, before).get(("t",)) is None


async def test_ttl_zero_caches_nothing() -> None:
    cache = MemoryAuthorizerCache()
    slot = slot_of(cache, "api1", "test", "auth1", 0)
    assert not slot.enabled
    await slot.put(("t",), {"name": "x"}, "x")
    assert await slot.get(("t",)) is None
    assert len(cache) == 0


def test_an_answer_remembers_its_decisions_by_arn_unless_its_policy_has_conditions() -> None:
    api = "arn:aws:execute-api:us-east-1:000000000000:api/dev"
    answer = parse_policy_answer(allow(f"{api}/GET/pets/*"))
    assert answer.decide(f"{api}/GET/pets/1") is Decision.ALLOW
    assert answer.decide(f"{api}/DELETE/pets/1") is Decision.IMPLICIT
    assert answer.decisions == {
        f"{api}/GET/pets/1": Decision.ALLOW,
        f"{api}/DELETE/pets/1": Decision.IMPLICIT,
    }
    conditional = allow(f"{api}/*")
    conditional["policyDocument"]["Statement"][0]["Condition"] = {
        "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}
    }
    answer = parse_policy_answer(conditional)
    assert answer.decide(f"{api}/GET/pets/1") is Decision.IMPLICIT  # no source address known
    assert answer.decisions == {}

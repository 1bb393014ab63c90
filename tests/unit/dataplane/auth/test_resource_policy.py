"""REST resource policies compiled for a stage and evaluated per request (spec §5.4): the
`execute-api:/` shorthand, principals, condition keys, paths read another way, the caller's
account and AWS's refusal messages."""

from __future__ import annotations

import asyncio
import calendar
import time
from typing import Any

import orjson
import pytest
from tests.unit.dataplane.conftest import add, context, definition, services, stage

from tollway.dataplane.auth import build
from tollway.dataplane.auth.arns import path_readings
from tollway.dataplane.auth.outcome import CallerIdentity, Decision
from tollway.dataplane.auth.resource_policy import (
    CompiledResourcePolicy,
    RequestFacts,
    UnreadablePolicy,
)
from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.compiled import CompiledStage
from tollway.dataplane.context import RestContext
from tollway.dataplane.errors import AccessDenied, ApiConfigurationError
from tollway.dataplane.handlers.authorize import MethodAuthorization
from tollway.dataplane.handlers.route import ResourceRouter
from tollway.model import rest_policy
from tollway.model.rest import RestApiDefinition

A, D, N = Decision.ALLOW, Decision.DENY, Decision.IMPLICIT
ACCOUNT = "000000000000"  # the unit builders' account and region
ARN = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:abc1234567"
USER_ARN = "arn:aws:iam::111122223333:user/team/alice"


def statement(effect: str, resource: Any = "execute-api:/*", **more: Any) -> dict[str, Any]:
    return {
        "Effect": effect,
        "Principal": more.pop("Principal", "*"),
        "Action": "execute-api:Invoke",
        "Resource": resource,
        **more,
    }


def api_with(*statements: dict[str, Any], stored: bool = True) -> RestApiDefinition:
    api = definition()
    for path, verb in [("/", "GET"), ("/pets/{id}", "GET"), ("/pets/{id}", "DELETE"),
                       ("/admin", "GET"), ("/{proxy+}", "ANY")]:  # fmt: skip
        add(api, path, verb)
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    api["api"]["policy"] = (
        rest_policy.stored_form(document) if stored else orjson.dumps(document).decode()
    )
    return api


def request(
    compiled: CompiledStage,
    method: str = "GET",
    path: str = "/pets/7",
    headers: list[tuple[str, str]] | None = None,
    *,
    source_ip: str = "10.0.0.1",
    identity: CallerIdentity | None = None,
) -> RestContext:
    ctx = context(compiled, method, path, headers)
    ctx.request.source_ip = source_ip
    ctx.identity = identity
    asyncio.run(ResourceRouter()(HandlerChain(), ctx))
    return ctx


def decide(api: RestApiDefinition, *args: Any, **kwargs: Any) -> Decision:
    compiled = stage(api)
    assert compiled.resource_policy is not None
    return compiled.resource_policy.evaluate(request(compiled, *args, **kwargs))


# --- resources and principals ---------------------------------------------------------------


def test_no_policy_compiles_to_nothing() -> None:
    api = definition()
    add(api, "/", "GET")
    assert stage(api).resource_policy is None


@pytest.mark.parametrize("stored", [True, False])  # AWS's escaped form, or plain JSON
def test_shorthand_resources_name_this_api(stored: bool) -> None:
    api = api_with(statement("Allow", "execute-api:/test/GET/pets/*"), stored=stored)
    assert decide(api, "GET", "/pets/7") is A
    assert decide(api, "DELETE", "/pets/7") is N
    assert decide(api, "GET", "/admin") is N


def test_full_arns_with_wildcards() -> None:
    api = api_with(
        statement("Allow", f"{ARN}/*"),
        statement("Deny", [f"{ARN}/*/*/admin", f"{ARN}/*/DELETE/*"]),
    )
    assert decide(api, "GET", "/pets/7") is A
    assert decide(api, "GET", "/admin") is D
    assert decide(api, "DELETE", "/pets/7") is D
    assert decide(api, "GET", "/") is A  # the root's ARN ends in `GET/`


def test_another_apis_arn_does_not_match() -> None:
    api = api_with(statement("Allow", f"arn:aws:execute-api:us-east-1:{ACCOUNT}:other/*"))
    assert decide(api) is N


def test_aws_principals_never_match_anonymous_callers() -> None:
    api = api_with(statement("Allow", Principal={"AWS": ["111122223333"]}))
    assert decide(api) is N
    assert decide(api, identity=CallerIdentity(account_id="111122223333", user_arn=USER_ARN)) is A


@pytest.mark.parametrize(
    ("principal", "caller_arn", "expected"),
    [
        ({"AWS": "*"}, None, A),
        ({"AWS": "arn:aws:iam::111122223333:root"}, USER_ARN, A),
        ({"AWS": USER_ARN}, USER_ARN, A),
        ({"AWS": "arn:aws:iam::111122223333:user/team/bob"}, USER_ARN, N),
        ({"AWS": "arn:aws:iam::111122223333:role/Dev"},
         "arn:aws:sts::111122223333:assumed-role/Dev/session-1", A),
        ({"AWS": "arn:aws:sts::111122223333:assumed-role/Dev/session-1"},
         "arn:aws:sts::111122223333:assumed-role/Dev/session-1", A),
        ({"AWS": "arn:aws:iam::111122223333:role/Ops"},
         "arn:aws:sts::111122223333:assumed-role/Dev/session-1", N),
    ],
)  # fmt: skip
def test_principals(principal: Any, caller_arn: str | None, expected: Decision) -> None:
    api = api_with(statement("Allow", Principal=principal))
    identity = (
        CallerIdentity(account_id="111122223333", user_arn=caller_arn) if caller_arn else None
    )
    assert decide(api, identity=identity) is expected


def test_a_role_with_a_path_matches_its_sessions() -> None:
    """The session ARN (`assumed-role/Dev/s1`) has no path; IAM authentication's
    aws:PrincipalArn has the role's (`role/team/Dev`), which a Principal names."""
    api = api_with(statement("Allow", Principal={"AWS": "arn:aws:iam::111122223333:role/team/Dev"}))
    session = CallerIdentity(
        account_id="111122223333",
        user_arn="arn:aws:sts::111122223333:assumed-role/Dev/s1",
        condition_keys={"aws:PrincipalArn": "arn:aws:iam::111122223333:role/team/Dev"},
    )
    assert decide(api, identity=session) is A
    facts = RequestFacts(request(stage(api), identity=session))
    assert facts.value("aws:PrincipalArn") == "arn:aws:iam::111122223333:role/team/Dev"


# --- condition keys -------------------------------------------------------------------------


def test_source_ip_is_the_tcp_peer_never_x_forwarded_for() -> None:
    api = api_with(
        statement("Allow"),
        statement("Deny", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
    )
    assert decide(api, source_ip="203.0.113.9") is D
    spoofed = [("X-Forwarded-For", "10.0.0.1"), ("Forwarded", "for=10.0.0.1")]
    assert decide(api, headers=spoofed, source_ip="203.0.113.9") is D
    assert decide(api, headers=[("X-Forwarded-For", "203.0.113.9")], source_ip="10.0.0.1") is A


def test_not_ip_address_and_ipv6() -> None:
    api = api_with(
        statement("Allow", Condition={"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "::1"]}})
    )
    assert decide(api, source_ip="10.1.2.3") is N
    assert decide(api, source_ip="::1") is N
    assert decide(api, source_ip="192.0.2.1") is A


def test_time_conditions() -> None:
    now = time.time()
    past = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 3600))
    future = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3600))
    open_now = statement("Allow", Condition={
        "DateGreaterThan": {"aws:CurrentTime": past}, "DateLessThan": {"aws:CurrentTime": future}
    })  # fmt: skip
    assert decide(api_with(open_now)) is A
    expired = statement("Allow", Condition={"DateLessThan": {"aws:CurrentTime": past}})
    assert decide(api_with(expired)) is N
    epoch = statement("Allow", Condition={"NumericGreaterThan": {"aws:EpochTime": int(now) + 60}})
    assert decide(api_with(epoch)) is N


def test_facts_of_a_request() -> None:
    api = api_with(statement("Allow"))
    compiled = stage(api)
    ctx = request(compiled, headers=[("User-Agent", "curl/8"), ("Referer", "https://a.example/")])
    ctx.request_time = calendar.timegm((2026, 11, 22, 2, 23, 50))
    facts = RequestFacts(ctx)
    assert facts.value("aws:SourceIp") == "10.0.0.1"
    assert facts.value("AWS:CURRENTTIME") == "2026-11-22T02:23:50Z"
    assert facts.value("aws:EpochTime") == str(calendar.timegm((2026, 11, 22, 2, 23, 50)))
    assert facts.value("aws:SecureTransport") == "false"
    assert facts.value("aws:UserAgent") == "curl/8"
    assert facts.value("aws:Referer") == "https://a.example/"
    for key in ("aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalType", "aws:userid",
                "aws:username", "aws:SourceVpc", "aws:SourceVpce", "aws:TokenIssueTime"):  # fmt: skip
        assert facts.value(key) is None, key


def test_facts_of_iam_callers() -> None:
    compiled = stage(api_with(statement("Allow")))
    user = CallerIdentity(account_id="111122223333", caller="AIDAEXAMPLE", user_arn=USER_ARN)
    facts = RequestFacts(request(compiled, identity=user))
    assert facts.value("aws:PrincipalArn") == USER_ARN
    assert facts.value("aws:PrincipalAccount") == "111122223333"
    assert facts.value("aws:PrincipalType") == "User"
    assert facts.value("aws:username") == "alice"
    assert facts.value("aws:userid") == "AIDAEXAMPLE"
    session = CallerIdentity(
        account_id="111122223333",
        caller="AROAEXAMPLE:s1",
        user_arn="arn:aws:sts::111122223333:assumed-role/Dev/s1",
    )
    facts = RequestFacts(request(compiled, identity=session))
    assert facts.value("aws:PrincipalArn") == "arn:aws:iam::111122223333:role/Dev"
    assert facts.value("aws:PrincipalType") == "AssumedRole"
    assert facts.value("aws:username") is None
    assert facts.value("aws:userid") == "AROAEXAMPLE:s1"


def test_user_agent_condition_and_iam_only_keys() -> None:
    api = api_with(
        statement("Allow"),
        statement("Deny", Condition={"StringLike": {"aws:UserAgent": "*BadBot*"}}),
        statement("Deny", Condition={"StringEquals": {"aws:PrincipalAccount": "999988887777"}}),
    )
    assert decide(api, headers=[("User-Agent", "Mozilla/5.0 BadBot/1")]) is D
    assert decide(api, headers=[("User-Agent", "Mozilla/5.0")]) is A
    intruder = CallerIdentity(
        account_id="999988887777", user_arn="arn:aws:iam::999988887777:user/x"
    )
    assert decide(api, identity=intruder) is D


def test_vpc_keys_are_absent_so_a_vpce_only_api_refuses_everyone() -> None:
    api = api_with(
        statement("Allow"),
        statement("Deny", Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}),
    )
    assert decide(api) is D


# --- paths a backend may read differently ---------------------------------------------------


@pytest.mark.parametrize(
    ("path", "readings"),
    [
        ("/x%2Fadmin", {"/x/admin"}),
        ("/a%252Fb", {"/a%2Fb", "/a/b"}),
        ("/public/../admin", {"/admin"}),
        ("/public/./admin/", {"/public/admin", "/public/./admin"}),
        ("/a//b", {"/a/b"}),
        ("/admin/", {"/admin"}),
        ("/%2e%2e/admin", {"/../admin", "/admin"}),
    ],
)
def test_readings(path: str, readings: set[str]) -> None:
    assert path_readings(path) == readings


@pytest.mark.parametrize(
    "path", ["/admin%2Fusers", "/public/../admin", "/public/%2e%2e/admin", "/%2E%2E/admin"]
)
def test_a_deny_covers_the_other_readings_of_a_path(path: str) -> None:
    api = api_with(
        statement("Allow"),
        statement("Deny", ["execute-api:/*/GET/admin", "execute-api:/*/GET/admin/*"]),
    )
    assert decide(api, "GET", path) is D


def test_a_trailing_slash_does_not_escape_an_exact_deny() -> None:
    api = api_with(statement("Allow"), statement("Deny", "execute-api:/*/GET/admin"))
    assert decide(api, "GET", "/admin/") is D
    assert decide(api, "GET", "/admin") is D


def test_other_readings_never_widen_an_allow() -> None:
    api = api_with(statement("Allow", "execute-api:/*/GET/x/admin"))
    assert decide(api, "GET", "/x/admin") is A
    assert decide(api, "GET", "/x%2Fadmin") is N  # the raw path is what an Allow must cover


# --- the caller's account, refusals ---------------------------------------------------------


def test_same_account() -> None:
    api = api_with(statement("Allow"))
    add(api, "/cognito", "GET")
    cognito = api["resources"]
    for resource in cognito.values():
        if resource.get("pathPart") == "cognito":
            resource["resourceMethods"]["GET"]["authorizationType"] = "COGNITO_USER_POOLS"
    compiled = stage(api)
    policy = compiled.resource_policy
    assert policy is not None
    assert policy.same_account(request(compiled)) is True  # a Lambda authorizer's caller
    own = CallerIdentity(account_id=ACCOUNT, user_arn=f"arn:aws:iam::{ACCOUNT}:user/me")
    other = CallerIdentity(account_id="111122223333", user_arn=USER_ARN)
    assert policy.same_account(request(compiled, identity=own)) is True
    assert policy.same_account(request(compiled, identity=other)) is False
    assert policy.same_account(request(compiled, "GET", "/cognito")) is False


def test_denied_messages() -> None:
    api = api_with(statement("Allow", "execute-api:/*/GET/pets/*"))
    compiled = stage(api)
    policy = compiled.resource_policy
    assert policy is not None
    anonymous = request(compiled, "GET", "/admin")
    error = policy.denied(anonymous, D)
    assert isinstance(error, AccessDenied)
    assert error.message == (
        "User: anonymous is not authorized to perform: execute-api:Invoke on resource: "
        "arn:aws:execute-api:us-east-1:********0000:abc1234567/test/GET/admin "
        "with an explicit deny in a resource-based policy"
    )
    assert policy.denied(anonymous, N).message == (
        "User: anonymous is not authorized to perform: execute-api:Invoke on resource: "
        "arn:aws:execute-api:us-east-1:********0000:abc1234567/test/GET/admin "
        "because no resource-based policy allows the execute-api:Invoke action"
    )
    user = request(compiled, identity=CallerIdentity(account_id="111122223333", user_arn=USER_ARN))
    assert policy.denied(user, N).message == (
        f"User: {USER_ARN} is not authorized to perform: execute-api:Invoke on resource: "
        "arn:aws:execute-api:us-east-1:********0000:abc1234567/test/GET/pets/7 "
        "because no resource-based policy allows the execute-api:Invoke action"
    )


# --- compiling ------------------------------------------------------------------------------


def compiled_warnings(api: RestApiDefinition) -> list[str]:
    warnings: list[str] = []
    record: Any = {"stageName": "test"}
    build.resource_policy(api, record, services(), warnings)
    return warnings


def test_load_warnings_name_what_tollway_cannot_know() -> None:
    api = api_with(
        statement("Allow", "execute-api:/*/*/users/${aws:username}"),
        statement("Deny", Condition={
            "StringNotEquals": {"aws:SourceVpce": "vpce-1", "aws:sourceVpc": "vpc-1"},
            "Bool": {"aws:MultiFactorAuthPresent": "false"},
            "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
        }),
    )  # fmt: skip
    assert compiled_warnings(api) == [
        "resource policy: policy variable ${aws:username} is not substituted",
        "resource policy: condition key aws:MultiFactorAuthPresent has no value in Tollway",
        "resource policy: condition key aws:SourceVpce never has a value in Tollway "
        "(there are no VPC endpoints)",
        "resource policy: condition key aws:sourceVpc never has a value in Tollway "
        "(there are no VPC endpoints)",
    ]


def test_a_clean_policy_has_no_warnings() -> None:
    api = api_with(statement("Allow", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    assert compiled_warnings(api) == []


@pytest.mark.parametrize("text", ["not json", "{}", '{"Statement": [{"Effect": "Allow"}]}'])
def test_an_unreadable_policy_refuses_every_request(text: str) -> None:
    api = api_with(statement("Allow"))
    api["api"]["policy"] = text
    warnings = compiled_warnings(api)
    assert len(warnings) == 1
    assert warnings[0].startswith("the resource policy cannot be read (")
    assert warnings[0].endswith("): every request gets 500")
    compiled = stage(api)
    assert isinstance(compiled.resource_policy, UnreadablePolicy)
    with pytest.raises(ApiConfigurationError):
        compiled.resource_policy.evaluate(request(compiled))


def test_test_invoke_compiles_past_the_policy() -> None:
    from tollway.dataplane.compile import compile_stage
    from tollway.model.rest import plain_stage

    api = api_with(statement("Deny"))
    resource_id = next(iter(api["resources"]))
    only = compile_stage(
        api, "dep", plain_stage("test", "dep", None), services(), only=(resource_id, "GET")
    )
    assert only.resource_policy is None
    assert isinstance(stage(api).resource_policy, CompiledResourcePolicy)


# --- with the REST authorization stage ------------------------------------------------------


class SigV4Caller:
    """An AWS_IAM-like mode: sets `ctx.identity` and answers a fixed decision."""

    policy_first = False

    def __init__(self, account_id: str, decision: Decision) -> None:
        self.identity = CallerIdentity(
            account_id=account_id, user_arn=f"arn:aws:iam::{account_id}:user/u"
        )
        self.decision = decision

    async def authorize(self, ctx: RestContext) -> Decision:
        ctx.identity = self.identity
        return self.decision

    def denied(self, ctx: RestContext, decision: Decision) -> AccessDenied:
        return AccessDenied(f"identity policy ({decision.value})")


def authorize(api: RestApiDefinition, mode: Any = None, path: str = "/pets/7") -> str:
    compiled = stage(api)
    ctx = request(compiled, "GET", path)
    assert ctx.method is not None
    ctx.method.authorization = mode
    try:
        asyncio.run(MethodAuthorization()(HandlerChain(), ctx))
    except AccessDenied as error:
        return str(error.message)
    return "pass"


def test_the_stage_with_an_iam_caller_of_the_apis_account() -> None:
    # Table A: the resource policy's Allow is enough for a caller of the API's account
    allow_me = api_with(statement("Allow", Principal={"AWS": ACCOUNT}))
    assert authorize(allow_me, SigV4Caller(ACCOUNT, N)) == "pass"
    assert authorize(api_with(statement("Allow", "execute-api:/*/POST/*")),
                     SigV4Caller(ACCOUNT, A)) == "pass"  # fmt: skip


def test_the_stage_with_an_iam_caller_of_another_account() -> None:
    # Table B: both must allow; the refusal names the caller
    other = "111122223333"
    allow_other = api_with(statement("Allow", Principal={"AWS": other}))
    assert authorize(allow_other, SigV4Caller(other, A)) == "pass"
    assert authorize(allow_other, SigV4Caller(other, N)) == "identity policy (implicit)"
    silent = api_with(statement("Allow", Principal={"AWS": ACCOUNT}))
    assert authorize(silent, SigV4Caller(other, A)) == (
        f"User: arn:aws:iam::{other}:user/u is not authorized to perform: execute-api:Invoke "
        "on resource: arn:aws:execute-api:us-east-1:********0000:abc1234567/test/GET/pets/7 "
        "because no resource-based policy allows the execute-api:Invoke action"
    )


def test_the_stage_with_a_cognito_method_needs_the_policys_allow() -> None:
    api = api_with(statement("Allow", "execute-api:/*/GET/admin"))
    for resource in api["resources"].values():
        for method in (resource.get("resourceMethods") or {}).values():
            method["authorizationType"] = "COGNITO_USER_POOLS"

    class ValidToken(SigV4Caller):
        async def authorize(self, ctx: RestContext) -> Decision:
            return Decision.ALLOW  # no IAM identity: a user pool's token was valid

    # the policy allows /admin only; in Table A a valid token alone would pass /pets/7
    assert authorize(api, ValidToken(ACCOUNT, A), "/admin") == "pass"
    assert authorize(api, ValidToken(ACCOUNT, A), "/pets/7").endswith(
        "because no resource-based policy allows the execute-api:Invoke action"
    )

"""IAM policy evaluation (auth/policy.py): wildcards, Deny over Allow, principals, conditions."""

from __future__ import annotations

import pytest

from tollway.dataplane.auth.outcome import Decision
from tollway.dataplane.auth.policy import Caller, Facts, Policy, PolicyError, combine

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/1"
INVOKE = "execute-api:Invoke"


def policy(*statements: dict[str, object], resource_policy: bool = False) -> Policy:
    return Policy.parse(
        {"Version": "2012-10-17", "Statement": list(statements)}, resource_policy=resource_policy
    )


def allow(resource: object, **extra: object) -> dict[str, object]:
    return {"Effect": "Allow", "Action": INVOKE, "Resource": resource, **extra}


def deny(resource: object, **extra: object) -> dict[str, object]:
    return {"Effect": "Deny", "Action": INVOKE, "Resource": resource, **extra}


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (ARN, Decision.ALLOW),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/*", Decision.ALLOW),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/*/*/pets/?", Decision.ALLOW),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/*", Decision.IMPLICIT),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/get/pets/1", Decision.IMPLICIT),
        ("arn:aws:execute-api:*", Decision.ALLOW),
        (["arn:aws:execute-api:*:*:other/*", ARN], Decision.ALLOW),
    ],
)
def test_resources_match_with_wildcards_and_case(resource: object, expected: Decision) -> None:
    assert policy(allow(resource)).evaluate(INVOKE, ARN) is expected


def test_an_explicit_deny_wins_over_any_allow() -> None:
    found = policy(allow("*"), deny("arn:aws:execute-api:*:*:abc123/prod/GET/pets/*"))
    assert found.evaluate(INVOKE, ARN) is Decision.DENY
    assert found.evaluate(INVOKE, ARN.replace("GET", "PUT")) is Decision.ALLOW


def test_actions_match_case_insensitively_and_not_action_inverts() -> None:
    assert policy(allow("*", Action="Execute-Api:*")).evaluate(INVOKE, ARN) is Decision.ALLOW
    other = {"Effect": "Allow", "NotAction": "execute-api:Invoke", "Resource": "*"}
    assert policy(other).evaluate(INVOKE, ARN) is Decision.IMPLICIT


def test_principals_of_a_resource_policy() -> None:
    user = Caller("arn:aws:iam::123456789012:user/alice", "123456789012")
    stranger = Caller("arn:aws:iam::999999999999:user/bob", "999999999999")
    by_account = policy(allow("*", Principal={"AWS": "123456789012"}), resource_policy=True)
    assert by_account.evaluate(INVOKE, ARN, user) is Decision.ALLOW
    assert by_account.evaluate(INVOKE, ARN, stranger) is Decision.IMPLICIT
    assert by_account.evaluate(INVOKE, ARN) is Decision.IMPLICIT  # anonymous
    root = policy(
        allow("*", Principal={"AWS": ["arn:aws:iam::999999999999:root"]}), resource_policy=True
    )
    assert root.evaluate(INVOKE, ARN, stranger) is Decision.ALLOW
    anyone = policy(allow("*", Principal="*"), resource_policy=True)
    assert anyone.evaluate(INVOKE, ARN) is Decision.ALLOW


@pytest.mark.parametrize(
    ("condition", "source_ip", "expected"),
    [
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, "10.1.2.3", Decision.ALLOW),
        (
            {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "10.0.0.0/8"]}},
            "192.0.2.9",
            Decision.ALLOW,
        ),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, "127.0.0.1", Decision.IMPLICIT),
        ({"NotIpAddress": {"aws:sourceip": "10.0.0.0/8"}}, "127.0.0.1", Decision.ALLOW),
        ({"NotIpAddress": {"aws:SourceIp": "127.0.0.1/32"}}, "127.0.0.1", Decision.IMPLICIT),
        ({"IpAddress": {"aws:SourceIp": "::1/128"}}, "::1", Decision.ALLOW),
    ],
)
def test_ip_conditions(condition: object, source_ip: str, expected: Decision) -> None:
    found = policy(allow("*", Condition=condition))
    assert found.evaluate(INVOKE, ARN, facts=Facts({"aws:SourceIp": source_ip})) is expected


def test_missing_keys_fail_positive_operators_and_pass_negated_ones() -> None:
    facts = Facts()
    assert (
        policy(allow("*", Condition={"StringEquals": {"aws:UserAgent": "x"}})).evaluate(
            INVOKE, ARN, facts=facts
        )
        is Decision.IMPLICIT
    )
    assert (
        policy(allow("*", Condition={"StringNotEquals": {"aws:UserAgent": "x"}})).evaluate(
            INVOKE, ARN, facts=facts
        )
        is Decision.ALLOW
    )
    assert (
        policy(allow("*", Condition={"StringEqualsIfExists": {"aws:UserAgent": "x"}})).evaluate(
            INVOKE, ARN, facts=facts
        )
        is Decision.ALLOW
    )
    assert (
        policy(allow("*", Condition={"Null": {"aws:UserAgent": "true"}})).evaluate(
            INVOKE, ARN, facts=facts
        )
        is Decision.ALLOW
    )


@pytest.mark.parametrize(
    ("operator", "policy_value", "request_value", "holds"),
    [
        ("StringLike", "curl/*", "curl/8.1", True),
        ("StringNotLike", "curl/*", "curl/8.1", False),
        ("StringEqualsIgnoreCase", "CURL", "curl", True),
        ("NumericLessThan", "10", "9.5", True),
        ("NumericGreaterThanEquals", "10", "9", False),
        ("DateGreaterThan", "2026-01-01T00:00:00Z", "2026-11-22T00:00:00Z", True),
        ("DateLessThan", "2026-01-01T00:00:00Z", "1800000000", False),
        ("Bool", "true", "true", True),
        ("Bool", True, "false", False),
        ("ArnLike", "arn:aws:iam::*:user/*", "arn:aws:iam::1:user/x", True),
    ],
)
def test_condition_operators(
    operator: str, policy_value: object, request_value: str, holds: bool
) -> None:
    found = policy(allow("*", Condition={operator: {"k": policy_value}}))
    decision = found.evaluate(INVOKE, ARN, facts=Facts({"k": request_value}))
    assert decision is (Decision.ALLOW if holds else Decision.IMPLICIT)


def test_set_qualifiers() -> None:
    facts = Facts({"tags": ["a", "b"]})
    any_value = policy(allow("*", Condition={"ForAnyValue:StringEquals": {"tags": "b"}}))
    all_values = policy(allow("*", Condition={"ForAllValues:StringEquals": {"tags": ["a"]}}))
    assert any_value.evaluate(INVOKE, ARN, facts=facts) is Decision.ALLOW
    assert all_values.evaluate(INVOKE, ARN, facts=facts) is Decision.IMPLICIT


def test_facts_may_be_computed_on_first_use() -> None:
    calls: list[int] = []
    facts = Facts({"aws:UserAgent": lambda: calls.append(1) or "ua"})
    found = policy(allow("*", Condition={"StringEquals": {"aws:useragent": "ua"}}))
    assert found.evaluate(INVOKE, ARN, facts=facts) is Decision.ALLOW
    assert found.evaluate(INVOKE, ARN, facts=facts) is Decision.ALLOW
    assert calls == [1]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "the policy document is not valid JSON"),
        ({"Version": "2012-10-17"}, "the policy document has no Statement"),
        (
            {"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]},
            "Effect must be Allow or Deny, not 'Maybe'",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Resource": "*"}]},
            "each statement needs exactly one of Action and NotAction",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}]},
            "Principal is only allowed in a resource policy",
        ),
        (
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "*",
                        "Resource": "*",
                        "Condition": {"StringSorta": {"k": "v"}},
                    }
                ]
            },
            "Condition operator StringSorta is not supported",
        ),
    ],
)
def test_malformed_documents_are_refused_with_a_reason(document: object, message: str) -> None:
    with pytest.raises(PolicyError) as raised:
        Policy.parse(document)  # type: ignore[arg-type]
    assert str(raised.value) == message


def test_policy_variables_are_named_in_a_warning() -> None:
    found = policy(allow("arn:aws:execute-api:*:*:*/${aws:username}/*"))
    assert found.warnings == ["policy variable ${aws:username} is not substituted"]


def test_combine() -> None:
    assert combine(Decision.ALLOW, Decision.DENY) is Decision.DENY
    assert combine(Decision.IMPLICIT, Decision.ALLOW) is Decision.ALLOW
    assert combine(Decision.IMPLICIT) is Decision.IMPLICIT

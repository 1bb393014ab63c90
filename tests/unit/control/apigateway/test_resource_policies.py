"""`RestApi.policy` checked and normalised on save as AWS does (spec §5.4): AWS's refusal,
the `execute-api:/` shorthand expanded, the escaped compact form, the length quota."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tollway.control.apigateway import resource_policies
from tollway.control.errors import BadRequestException
from tollway.model import rest_policy

WHERE = {"region": "eu-west-1", "account_id": "123456789012", "api_id": "a1b2c3d4e5"}
INVALID = (
    "Invalid policy document. Please check the policy syntax and ensure that Principals are valid."
)


def statement(**fields: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "execute-api:Invoke",
        "Resource": "execute-api:/*",
        **fields,
    }


def policy(*statements: dict[str, Any], **root: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements or [statement()]), **root}


def test_stored_as_aws_returns_it() -> None:
    text = json.dumps(
        policy(statement(Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})), indent=2
    )
    assert resource_policies.normalize(text, **WHERE) == (
        '{\\"Version\\":\\"2012-10-17\\",\\"Statement\\":[{\\"Effect\\":\\"Allow\\",'
        '\\"Principal\\":\\"*\\",\\"Action\\":\\"execute-api:Invoke\\",\\"Resource\\":'
        '\\"arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5\\/*\\",\\"Condition\\":'
        '{\\"IpAddress\\":{\\"aws:SourceIp\\":\\"10.0.0.0\\/8\\"}}}]}'
    )


def test_the_stored_form_is_accepted_back_unchanged() -> None:
    stored = resource_policies.normalize(json.dumps(policy()), **WHERE)
    assert stored is not None
    assert resource_policies.normalize(stored, **WHERE) == stored


def test_shorthand_in_lists_and_not_resource() -> None:
    text = json.dumps(
        policy(
            statement(Resource=["execute-api:/prod/GET/pets", "arn:aws:execute-api:*:*:x/*"]),
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "execute-api:Invoke",
                "NotResource": "execute-api:/*/GET/*",
            },
        )
    )
    stored = resource_policies.normalize(text, **WHERE)
    assert stored is not None
    first, second = rest_policy.document(stored)["Statement"]
    arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
    assert first["Resource"] == [f"{arn}/prod/GET/pets", "arn:aws:execute-api:*:*:x/*"]
    assert second["NotResource"] == f"{arn}/*/GET/*"


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_policy_clears_it(value: str) -> None:
    assert resource_policies.normalize(value, **WHERE) is None


@pytest.mark.parametrize(
    "document",
    [
        "not json",
        "[]",
        "{}",
        json.dumps(policy(statement(Effect="Maybe"))),
        json.dumps(
            {"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]}
        ),
        json.dumps(policy(statement(Principal="arn:aws:iam::123456789012:root"))),
        json.dumps(policy(statement(Principal={"AWS": "bob"}))),
        json.dumps(policy(statement(Principal={"AWS": "arn:aws:iam::123:user/short-account"}))),
        json.dumps(policy(statement(Principal={"Robot": "*"}))),
        json.dumps(policy(statement(Condition={"IpAddres": {"aws:SourceIp": "10.0.0.1"}}))),
        json.dumps(policy(statement(Condition={"IpAddress": {"aws:SourceIp": "not-an-ip"}}))),
        json.dumps(policy(Version="2020-01-01")),
        json.dumps({"Version": "2012-10-17", "Statement": []}),
    ],
)
def test_what_is_not_a_resource_policy_gets_awss_refusal(document: str) -> None:
    with pytest.raises(BadRequestException) as error:
        resource_policies.normalize(document, **WHERE)
    assert error.value.message == INVALID


@pytest.mark.parametrize(
    "principal",
    [
        "*",
        {"AWS": "*"},
        {"AWS": ["123456789012", "arn:aws:iam::123456789012:root"]},
        {"AWS": "arn:aws:iam::123456789012:user/path/alice"},
        {"AWS": "arn:aws:iam::123456789012:role/Dev"},
        {"AWS": "arn:aws:sts::123456789012:assumed-role/Dev/session"},
        {"Service": "lambda.amazonaws.com"},
    ],
)
def test_valid_principals(principal: Any) -> None:
    assert resource_policies.normalize(json.dumps(policy(statement(Principal=principal))), **WHERE)


def test_the_length_quota_counts_the_compact_document() -> None:
    def sized(n: int) -> dict[str, Any]:
        return policy(statement(Resource="*", Sid="x" * n))

    base = len(json.dumps(sized(0), separators=(",", ":")))
    fits = json.dumps(sized(rest_policy.MAX_LENGTH - base), indent=4)  # whitespace not counted
    assert resource_policies.normalize(fits, **WHERE)
    with pytest.raises(BadRequestException) as error:
        resource_policies.normalize(json.dumps(sized(rest_policy.MAX_LENGTH - base + 1)), **WHERE)
    assert error.value.message == (
        "Invalid policy document. The policy exceeds the maximum length of 8192 characters."
    )


def test_none_is_no_policy() -> None:
    assert resource_policies.normalize(None, **WHERE) is None

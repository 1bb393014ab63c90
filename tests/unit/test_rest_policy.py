"""A REST API's policy text: AWS's escaped compact form, read back in either form, and the
`execute-api:/` shorthand (model/rest_policy.py)."""

from __future__ import annotations

import json

import pytest

from tollway.model import rest_policy

DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [{"Resource": "arn:x/*", "Sid": 'say "hi" \\ é', "Condition": {"n": 1}}],
}


def test_stored_form_is_compact_and_escaped() -> None:
    assert rest_policy.stored_form(DOCUMENT) == (
        '{\\"Version\\":\\"2012-10-17\\",\\"Statement\\":[{\\"Resource\\":\\"arn:x\\/*\\",'
        '\\"Sid\\":\\"say \\\\\\"hi\\\\\\" \\\\\\\\ é\\",\\"Condition\\":{\\"n\\":1}}]}'
    )


def test_terraform_reads_it_by_unquoting() -> None:
    # what the Terraform provider does with GetRestApi's `policy`
    unquoted = json.loads('"' + rest_policy.stored_form(DOCUMENT) + '"')
    assert json.loads(unquoted) == DOCUMENT


@pytest.mark.parametrize("text", [rest_policy.stored_form(DOCUMENT), json.dumps(DOCUMENT)])
def test_document_reads_both_forms(text: str) -> None:
    assert rest_policy.document(text) == DOCUMENT


@pytest.mark.parametrize("text", ["", "nope", '{"a"', '\\"a'])
def test_document_refuses_what_is_neither(text: str) -> None:
    with pytest.raises(ValueError):
        rest_policy.document(text)


def test_expand_resources() -> None:
    document = {
        "Statement": {
            "Resource": ["execute-api:/*", "arn:aws:execute-api:*:*:other/*", 5],
            "NotResource": "execute-api:/prod/GET/",
        }
    }
    expanded = rest_policy.expand_resources(document, "eu-west-1", "123456789012", "abc")
    assert expanded == {
        "Statement": {
            "Resource": [
                "arn:aws:execute-api:eu-west-1:123456789012:abc/*",
                "arn:aws:execute-api:*:*:other/*",
                5,
            ],
            "NotResource": "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/",
        }
    }
    assert rest_policy.expand_resources([1], "r", "a", "i") == [1]

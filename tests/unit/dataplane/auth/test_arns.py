"""The ARN's path: what routing runs, however many slashes the client wrote; and a policy's
decision narrowed by the other readings of a non-canonical path."""

from __future__ import annotations

import pytest

from tollway.dataplane.auth.arns import decide, routed_path
from tollway.dataplane.auth.outcome import Decision
from tollway.dataplane.auth.policy import Policy


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", ""),
        ("/pets/1", "pets/1"),
        ("/secret/", "secret"),
        ("/secret//", "secret"),
        ("/pets//1", "pets/1"),
        ("/files/a//b/", "files/a/b"),
        ("/a%2Fb", "a%2Fb"),
    ],
)
def test_routed_path(path: str, expected: str) -> None:
    assert routed_path(path) == expected


PREFIX = "arn:aws:execute-api:us-east-1:000000000000:abc/test/GET/"
POLICY = Policy.parse(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": PREFIX + "public/*"},
            {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": PREFIX + "secret/*"},
        ],
    }
)


def evaluate(arn: str) -> Decision:
    return POLICY.evaluate("execute-api:Invoke", arn)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/public/x", Decision.ALLOW),
        ("/public/caf%C3%A9", Decision.ALLOW),  # every reading is under public/
        ("/public/a%2Fb", Decision.ALLOW),
        ("/public/./x", Decision.ALLOW),
        ("/admin/x", Decision.IMPLICIT),
        # allowed as written, but a backend would read /admin/x: not allowed
        ("/public/../admin/x", Decision.IMPLICIT),
        ("/public/..%2Fadmin%2Fx", Decision.IMPLICIT),
        ("/public/%2e%2e/admin/x", Decision.IMPLICIT),
        ("/public/%252e%252e/admin/x", Decision.IMPLICIT),
        # a reading denied denies
        ("/public/../secret/x", Decision.DENY),
        ("/public/x%2F..%2F..%2Fsecret%2Fx", Decision.DENY),
    ],
)
def test_a_decision_holds_for_every_reading_of_the_path(path: str, expected: Decision) -> None:
    assert decide(evaluate, PREFIX + path[1:], path) is expected


def test_a_canonical_path_is_evaluated_once() -> None:
    seen: list[str] = []

    def counting(arn: str) -> Decision:
        seen.append(arn)
        return evaluate(arn)

    assert decide(counting, PREFIX + "public/x", "/public/x") is Decision.ALLOW
    assert seen == [PREFIX + "public/x"]

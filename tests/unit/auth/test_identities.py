"""The identities file: users and roles, their keys and sessions, their policies, and the
errors a malformed file gets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tollway.auth.identities import IdentitiesError, load_identities, parse_identities
from tollway.dataplane.auth.outcome import Decision

INVOKE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}],
}

YAML = """
accountId: "123456789012"
users:
  - name: alice
    path: /engineering/
    admin: true
    tags: {team: payments}
    accessKeys:
      - {accessKeyId: AKIAALICE, secretAccessKey: alice-secret}
    sessions:
      - accessKeyId: ASIAALICE
        secretAccessKey: session-secret
        sessionToken: alice-token
        expiration: 2030-01-01T00:00:00Z
    policies:
      invoke:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:*:*:*/*/GET/*"}
          - {Effect: Deny, Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:*:*:*/*/GET/admin"}
roles:
  - name: deployer
    id: AROAEXAMPLEROLEID
    sessions:
      - sessionName: ci
        accessKeyId: ASIADEPLOYER
        secretAccessKey: deployer-secret
        sessionToken: deployer-token
        expiration: "2030-01-01T00:00:00+00:00"
"""


def test_a_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "identities.yaml"
    path.write_text(YAML)
    store, warnings = load_identities(path, "000000000000")
    assert warnings == []
    assert len(store) == 3
    assert store.has_admin()

    alice = store.credential("AKIAALICE")
    assert alice is not None
    assert alice.secret_access_key == "alice-secret"
    assert alice.session_token is None
    assert alice.arn == "arn:aws:iam::123456789012:user/engineering/alice"
    assert alice.caller_id.startswith("AIDA") and len(alice.caller_id) == 21
    assert alice.principal_type == "User"
    assert alice.principal.tags == {"team": "payments"}
    policy = alice.principal.policy
    assert policy is not None
    arn = "arn:aws:execute-api:us-east-1:123456789012:api/dev/GET/"
    assert policy.evaluate("execute-api:Invoke", arn + "pets") is Decision.ALLOW
    assert policy.evaluate("execute-api:Invoke", arn + "admin") is Decision.DENY
    assert policy.evaluate("execute-api:Invoke", arn.replace("GET", "POST") + "x") is (
        Decision.IMPLICIT
    )

    session = store.credential("ASIAALICE")
    assert session is not None
    assert session.session_token == "alice-token"
    assert session.expiration == datetime(2030, 1, 1, tzinfo=UTC)
    assert session.arn == alice.arn  # a user's session acts as the user

    role = store.credential("ASIADEPLOYER")
    assert role is not None
    assert role.arn == "arn:aws:sts::123456789012:assumed-role/deployer/ci"
    assert role.principal.arn == "arn:aws:iam::123456789012:role/deployer"
    assert role.caller_id == "AROAEXAMPLEROLEID:ci"
    assert role.principal_type == "AssumedRole"
    assert role.principal.policy is None
    assert not role.principal.admin

    assert store.credential("NOBODY") is None


def test_a_json_file_and_the_default_account(tmp_path: Path) -> None:
    path = tmp_path / "identities.json"
    path.write_text(
        '{"users": [{"name": "bob", "accessKeys": [{"accessKeyId": "AKIABOB", '
        '"secretAccessKey": "s"}], "policies": [' + str(INVOKE).replace("'", '"') + "]}]}"
    )
    store, _ = load_identities(path, "000000000000")
    bob = store.credential("AKIABOB")
    assert bob is not None
    assert bob.arn == "arn:aws:iam::000000000000:user/bob"
    assert not store.has_admin()


def test_an_identity_of_another_account() -> None:
    """`accountId` on an identity: a caller of another account (cross-account callers of a
    REST API with a resource policy, spec §5.4 Table B)."""
    store, _ = parse_identities(
        {
            "accountId": "123456789012",
            "users": [
                {"name": "here", "accessKeys": [{"accessKeyId": "K1", "secretAccessKey": "s"}]},
                {"name": "there", "accountId": "111122223333",
                 "accessKeys": [{"accessKeyId": "K2", "secretAccessKey": "s"}]},
            ],
            "roles": [
                {"name": "r", "accountId": "111122223333",
                 "sessions": [{"accessKeyId": "K3", "secretAccessKey": "s", "sessionToken": "t",
                               "expiration": "2100-01-01T00:00:00Z", "sessionName": "job"}]},
            ],
        },
        "000000000000",
    )  # fmt: skip
    here, there, role = (store.credential(k) for k in ("K1", "K2", "K3"))
    assert here is not None and there is not None and role is not None
    assert here.arn == "arn:aws:iam::123456789012:user/here"
    assert there.arn == "arn:aws:iam::111122223333:user/there"
    assert there.condition_keys()["aws:PrincipalAccount"] == "111122223333"
    assert role.arn == "arn:aws:sts::111122223333:assumed-role/r/job"
    assert role.condition_keys()["aws:PrincipalArn"] == "arn:aws:iam::111122223333:role/r"


def test_policy_variables_are_warned_about() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*/${aws:username}"}
        ],
    }
    _, warnings = parse_identities(
        {"users": [{"name": "v", "policies": {"own": document}}]}, "000000000000"
    )
    assert warnings == [
        "identities: users[0]: policies 'own': policy variable ${aws:username} is not substituted"
    ]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "identities must be a mapping"),
        (
            {"user": []},
            "identities: unknown field 'user' (expected one of accountId, roles, users)",
        ),
        ({"accountId": "12"}, "identities: accountId must be 12 digits, not '12'"),
        (
            {"users": [{"name": "u", "accountId": "x"}]},
            "identities: users[0]: accountId must be 12 digits, not 'x'",
        ),
        ({"users": [{}]}, "identities: users[0]: name is required (a string)"),
        (
            {"users": [{"name": "a b"}]},
            "identities: users[0]: name 'a b' is not a valid IAM user name",
        ),
        (
            {"users": [{"name": "a", "accessKeys": [{"accessKeyId": "K"}]}]},
            "identities: users[0]: accessKeys[0]: secretAccessKey is required (a string)",
        ),
        (
            {"roles": [{"name": "r", "accessKeys": []}]},
            "identities: roles[0]: unknown field 'accessKeys' (expected one of accountId, admin, "
            "id, name, path, policies, sessions, tags)",
        ),
        (
            {
                "roles": [
                    {
                        "name": "r",
                        "sessions": [
                            {
                                "accessKeyId": "K",
                                "secretAccessKey": "s",
                                "sessionToken": "t",
                                "expiration": "2030-01-01",
                            }
                        ],
                    }
                ]
            },
            "identities: roles[0]: sessions[0]: sessionName is required for a role's session",
        ),
        (
            {
                "users": [
                    {
                        "name": "u",
                        "sessions": [
                            {"accessKeyId": "K", "secretAccessKey": "s", "sessionToken": "t"}
                        ],
                    }
                ]
            },
            "identities: users[0]: sessions[0]: expiration is required (ISO 8601, e.g. "
            "2030-01-01T00:00:00Z)",
        ),
        (
            {"users": [{"name": "u", "policies": {"p": {"Statement": []}}}]},
            "identities: users[0]: policies 'p': the policy document has no Statement",
        ),
        (
            {
                "users": [
                    {"name": "u", "accessKeys": [{"accessKeyId": "K", "secretAccessKey": "s"}]},
                    {"name": "v", "accessKeys": [{"accessKeyId": "K", "secretAccessKey": "t"}]},
                ]
            },
            "identities: users[1]: access key K is declared twice",
        ),
    ],
)
def test_malformed_documents_are_refused(document: Any, message: str) -> None:
    with pytest.raises(IdentitiesError) as info:
        parse_identities(document, "000000000000")
    assert str(info.value) == message


def test_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(IdentitiesError, match="cannot read the identities file"):
        load_identities(tmp_path / "missing.yaml", "000000000000")
    bad = tmp_path / "bad.yaml"
    bad.write_text("users: [")
    with pytest.raises(IdentitiesError, match="is not valid"):
        load_identities(bad, "000000000000")

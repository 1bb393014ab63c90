"""AWS_IAM methods with a resource policy end to end (spec §5.4, Tables A and B): a server
started with an identities file holding callers of the API's account and of another one,
requests signed by botocore's signer and sent with httpx, the exact ACCESS_DENIED bodies.

The API (`/both`, `/identity`, `/resource`, `/neither`, `/rp-deny`, `/id-deny`) is named after
what allows or denies each path: the callers' identity policy, the resource policy, both or
neither. `/user`, `/role`, `/path-role`, `/account`, `/account-id` are allowed by the resource
policy to one principal each; `/cond-arn`, `/cond-account`, `/cond-username` to whoever meets
a condition on `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:username`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    add_path,
    deploy,
    mock_method,
    serve_with_identities,
)
from tests.e2e.test_iam import send

OTHER = "111111111111"
# The identity policy of `local` and `remote`: what it allows and denies.
INVOKE = """
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: execute-api:Invoke
            Resource: ["arn:aws:execute-api:*:*:*/test/GET/both", "arn:aws:execute-api:*:*:*/test/GET/identity",
                       "arn:aws:execute-api:*:*:*/test/GET/rp-deny", "arn:aws:execute-api:*:*:*/test/GET/account*",
                       "arn:aws:execute-api:*:*:*/test/GET/cond-account"]
          - {Effect: Deny, Action: execute-api:Invoke, Resource: "arn:aws:execute-api:*:*:*/test/GET/id-deny"}
"""
IDENTITIES = f"""
users:
  - name: local
    accessKeys: [{{accessKeyId: AKIALOCAL, secretAccessKey: local-secret}}]
    policies:
      - {INVOKE.strip()}
  - name: remote
    accountId: "{OTHER}"
    accessKeys: [{{accessKeyId: AKIAREMOTE, secretAccessKey: remote-secret}}]
    policies:
      - {INVOKE.strip()}
  - name: named
    accessKeys: [{{accessKeyId: AKIANAMED, secretAccessKey: named-secret}}]
roles:
  - name: reader
    sessions:
      - {{sessionName: job, accessKeyId: ASIAREADER, secretAccessKey: reader-secret,
         sessionToken: reader-token, expiration: "2100-01-01T00:00:00Z"}}
  - name: writer
    sessions:
      - {{sessionName: job, accessKeyId: ASIAWRITER, secretAccessKey: writer-secret,
         sessionToken: writer-token, expiration: "2100-01-01T00:00:00Z"}}
  - name: pathed
    path: /service/
    sessions:
      - {{sessionName: job, accessKeyId: ASIAPATHED, secretAccessKey: pathed-secret,
         sessionToken: pathed-token, expiration: "2100-01-01T00:00:00Z"}}
"""
LOCAL = {"key": "AKIALOCAL", "secret": "local-secret"}
REMOTE = {"key": "AKIAREMOTE", "secret": "remote-secret"}
NAMED = {"key": "AKIANAMED", "secret": "named-secret"}
READER = {"key": "ASIAREADER", "secret": "reader-secret", "token": "reader-token"}
WRITER = {"key": "ASIAWRITER", "secret": "writer-secret", "token": "writer-token"}
PATHED = {"key": "ASIAPATHED", "secret": "pathed-secret", "token": "pathed-token"}
ARNS = {
    "local": f"arn:aws:iam::{ACCOUNT}:user/local",
    "remote": f"arn:aws:iam::{OTHER}:user/remote",
    "named": f"arn:aws:iam::{ACCOUNT}:user/named",
    "reader": f"arn:aws:sts::{ACCOUNT}:assumed-role/reader/job",
    "writer": f"arn:aws:sts::{ACCOUNT}:assumed-role/writer/job",
    "pathed": f"arn:aws:sts::{ACCOUNT}:assumed-role/pathed/job",
}
CALLERS = {"local": LOCAL, "remote": REMOTE, "named": NAMED, "reader": READER,
           "writer": WRITER, "pathed": PATHED}  # fmt: skip


def allow(resource: str, principal: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": "execute-api:Invoke",
            "Resource": f"execute-api:/*/GET/{resource}", **more}  # fmt: skip


POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        allow("both"),
        allow("resource"),
        allow("id-deny"),
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
         "Resource": "execute-api:/*/GET/rp-deny"},
        allow("user", {"AWS": f"arn:aws:iam::{ACCOUNT}:user/named"}),
        allow("role", {"AWS": f"arn:aws:iam::{ACCOUNT}:role/reader"}),
        allow("path-role", {"AWS": f"arn:aws:iam::{ACCOUNT}:role/service/pathed"}),
        allow("account", {"AWS": f"arn:aws:iam::{OTHER}:root"}),
        allow("account-id", {"AWS": OTHER}),
        allow("cond-arn", Condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/read*"}}),
        allow("cond-account", Condition={"StringEquals": {"aws:PrincipalAccount": OTHER}}),
        allow("cond-username", Condition={"StringEquals": {"aws:username": "named"}}),
    ],
}  # fmt: skip
PATHS = ("both", "identity", "resource", "neither", "rp-deny", "id-deny", "user", "role",
         "path-role", "account", "account-id", "cond-arn", "cond-account", "cond-username")  # fmt: skip
ECHO = '{"resource": "$context.resourcePath", "caller": "$context.identity.userArn"}'


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve_with_identities(tmp_path_factory, "iam-policies", IDENTITIES)


@pytest.fixture(scope="module")
def api_id(gateway: Server) -> str:
    apigw = gateway.client("apigateway")
    api = apigw.create_rest_api(name=f"iam-rp-{uuid.uuid4().hex[:8]}", policy=json.dumps(POLICY))
    for path in PATHS:
        resource = add_path(apigw, api["id"], api["rootResourceId"], f"/{path}")
        mock_method(apigw, api["id"], resource, "GET", ECHO)
        apigw.update_method(restApiId=api["id"], resourceId=resource, httpMethod="GET",
                            patchOperations=[{"op": "replace", "path": "/authorizationType",
                                              "value": "AWS_IAM"}])  # fmt: skip
    deploy(apigw, api["id"])
    return str(api["id"])


def get(gateway: Server, api_id: str, path: str, caller: str) -> httpx.Response:
    with httpx.Client(timeout=30) as http:
        return send(http, "GET", gateway.url(api_id, "test", f"/{path}"), **CALLERS[caller])


def arn(api_id: str, path: str, *, masked: bool = False) -> str:
    account = f"********{ACCOUNT[-4:]}" if masked else ACCOUNT
    return f"arn:aws:execute-api:{REGION}:{account}:{api_id}/test/GET/{path}"


def identity_denied(api_id: str, caller: str, path: str, *, explicit: bool = False) -> str:
    """The IAM mode's refusal (the caller's identity policy did not allow)."""
    end = " with an explicit deny" if explicit else ""
    return (f"User: {ARNS[caller]} is not authorized to perform: execute-api:Invoke on "
            f"resource: {arn(api_id, path)}{end}")  # fmt: skip


def policy_denied(api_id: str, caller: str, path: str, *, explicit: bool = False) -> str:
    """The resource policy's refusal: the resource's account masked, the reason stated."""
    why = (" with an explicit deny in a resource-based policy" if explicit
           else " because no resource-based policy allows the execute-api:Invoke action")  # fmt: skip
    return (f"User: {ARNS[caller]} is not authorized to perform: execute-api:Invoke on "
            f"resource: {arn(api_id, path, masked=True)}{why}")  # fmt: skip


def served(response: httpx.Response, api_id: str, path: str, caller: str) -> None:
    assert response.status_code == 200, response.text
    assert response.json() == {"resource": f"/{path}", "caller": ARNS[caller]}


def refused(response: httpx.Response, message: str) -> None:
    assert response.status_code == 403, response.text
    assert response.json() == {"Message": message}
    assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-RequestId"]


# --- Table A: a caller of the API's account --------------------------------------------------


@pytest.mark.parametrize("path", ["both", "identity", "resource"])
def test_same_account_either_allow_is_enough(gateway: Server, api_id: str, path: str) -> None:
    served(get(gateway, api_id, path, "local"), api_id, path, "local")


def test_same_account_neither_is_an_implicit_deny(gateway: Server, api_id: str) -> None:
    # the caller's mode refused first: IAM's message
    refused(get(gateway, api_id, "neither", "local"), identity_denied(api_id, "local", "neither"))


# --- Table B: a caller of another account ---------------------------------------------------


def test_cross_account_needs_both(gateway: Server, api_id: str) -> None:
    served(get(gateway, api_id, "both", "remote"), api_id, "both", "remote")
    # the identity policy allows, the resource policy is silent: refused by the policy
    refused(get(gateway, api_id, "identity", "remote"),
            policy_denied(api_id, "remote", "identity"))  # fmt: skip
    # the resource policy allows, the identity policy is silent: refused by IAM
    refused(get(gateway, api_id, "resource", "remote"),
            identity_denied(api_id, "remote", "resource"))  # fmt: skip
    refused(get(gateway, api_id, "neither", "remote"),
            identity_denied(api_id, "remote", "neither"))  # fmt: skip


@pytest.mark.parametrize("caller", ["local", "remote"])
def test_an_explicit_deny_in_either_refuses_whatever_the_account(
    gateway: Server, api_id: str, caller: str
) -> None:
    refused(get(gateway, api_id, "rp-deny", caller),
            policy_denied(api_id, caller, "rp-deny", explicit=True))  # fmt: skip
    refused(get(gateway, api_id, "id-deny", caller),
            identity_denied(api_id, caller, "id-deny", explicit=True))  # fmt: skip


# --- principals -----------------------------------------------------------------------------


def test_a_principal_naming_a_user(gateway: Server, api_id: str) -> None:
    served(get(gateway, api_id, "user", "named"), api_id, "user", "named")
    refused(get(gateway, api_id, "user", "reader"), identity_denied(api_id, "reader", "user"))


def test_a_principal_naming_a_role_matches_its_sessions(gateway: Server, api_id: str) -> None:
    served(get(gateway, api_id, "role", "reader"), api_id, "role", "reader")
    refused(get(gateway, api_id, "role", "writer"), identity_denied(api_id, "writer", "role"))


def test_a_role_with_a_path(gateway: Server, api_id: str) -> None:
    """A role's ARN carries its path (`role/service/pathed`); its sessions' ARNs do not
    (`assumed-role/pathed/job`). The Principal names the role as IAM does."""
    served(get(gateway, api_id, "path-role", "pathed"), api_id, "path-role", "pathed")


@pytest.mark.parametrize("path", ["account", "account-id"])
def test_a_principal_naming_an_account(gateway: Server, api_id: str, path: str) -> None:
    # `arn:aws:iam::<account>:root` and the bare account id: every identity of that account
    # (here of another one, so its identity policy must allow too: it does)
    served(get(gateway, api_id, path, "remote"), api_id, path, "remote")
    # the local user's identity policy allows, but it is not of that account: the policy
    # is silent, and Table A lets the identity policy alone allow
    served(get(gateway, api_id, path, "local"), api_id, path, "local")
    refused(get(gateway, api_id, path, "named"), identity_denied(api_id, "named", path))


# --- conditions on the caller ---------------------------------------------------------------


def test_a_condition_on_the_principal_arn(gateway: Server, api_id: str) -> None:
    # a role session's aws:PrincipalArn is its role's ARN
    served(get(gateway, api_id, "cond-arn", "reader"), api_id, "cond-arn", "reader")
    refused(get(gateway, api_id, "cond-arn", "writer"),
            identity_denied(api_id, "writer", "cond-arn"))  # fmt: skip


def test_a_condition_on_the_principal_account(gateway: Server, api_id: str) -> None:
    served(get(gateway, api_id, "cond-account", "remote"), api_id, "cond-account", "remote")
    refused(get(gateway, api_id, "cond-account", "named"),
            identity_denied(api_id, "named", "cond-account"))  # fmt: skip


def test_a_condition_on_the_username(gateway: Server, api_id: str) -> None:
    served(get(gateway, api_id, "cond-username", "named"), api_id, "cond-username", "named")
    # a role session has no aws:username
    refused(get(gateway, api_id, "cond-username", "reader"),
            identity_denied(api_id, "reader", "cond-username"))  # fmt: skip

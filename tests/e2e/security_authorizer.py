"""The Lambda authorizer of the security tests (REST TOKEN/REQUEST, HTTP API 1.0/2.0): a
policy on the ARN's API and stage that allows only `GET/public/*`, `POST/public`, `GET/echo`
and `GET/req`, and denies `DELETE/*` (everything, with `MODE=deny` or, on stage `prod`, for a
token containing `noprod`). The token is the TOKEN event's, the first identity value of an
HTTP API event, or a REQUEST event's `X-User` header; one not starting with `user-` is
`Unauthorized`. Every event is recorded, so a test shows which ARN and identity the function
was given and whether it was called at all."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest

from tests.e2e import raw_http
from tests.e2e.conftest import ACCOUNT, REGION, create_function

AUTHORIZER = """
import json, os

def handler(event, context):
    with open(os.environ["RECORD"], "a") as f:
        f.write(json.dumps(event) + "\\n")
    sources = event.get("identitySource")
    token = (event.get("authorizationToken") or (sources[0] if isinstance(sources, list) else "")
             or (event.get("headers") or {}).get("X-User") or "")
    if not token.startswith("user-"):
        raise Exception("Unauthorized")
    api, stage = (event.get("methodArn") or event["routeArn"]).split("/")[:2]
    base = api + "/" + stage
    allow = [base + "/GET/public/*", base + "/POST/public", base + "/GET/echo", base + "/GET/req"]
    deny = [base + "/DELETE/*"]
    if os.environ.get("MODE") == "deny" or ("noprod" in token and stage == "prod"):
        deny.append(base + "/*")
    return {"principalId": token, "context": {"token": token},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": allow},
                {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": deny}]}}
"""


def _token(event: dict[str, Any]) -> str | None:
    sources = event.get("identitySource")
    if isinstance(sources, list):
        return str(sources[0]) if sources else None
    return event.get("authorizationToken") or (event.get("headers") or {}).get("X-User")


@dataclass
class Authorizers:
    """The authorizer functions (`allow`: the policy above; `deny`: denies everything) and
    what they were called with."""

    allow: str
    deny: str
    records: dict[str, Path]

    def events(self, function: str = "allow") -> list[dict[str, Any]]:
        record = self.records[function]
        lines = record.read_text().splitlines() if record.exists() else []
        return [json.loads(line) for line in lines]

    def tokens(self, function: str = "allow") -> list[str | None]:
        """The token of each call, in order."""
        return [_token(event) for event in self.events(function)]

    def arns(self, token: str) -> list[str]:
        """The ARNs the allowing function was called for with `token`."""
        return [e.get("methodArn") or e["routeArn"] for e in self.events() if _token(e) == token]


def create_authorizers(lam: Any, tmp_path_factory: pytest.TempPathFactory) -> Authorizers:
    """Both functions, with API Gateway allowed to call them as any API's authorizer."""
    root = tmp_path_factory.mktemp("security-authorizer")
    suffix = uuid.uuid4().hex[:8]
    names = {"allow": f"sec-authz-{suffix}", "deny": f"sec-authz-deny-{suffix}"}
    records = {kind: root / f"{kind}.jsonl" for kind in names}
    for kind, name in names.items():
        create_function(lam, name, AUTHORIZER,
                        source_arn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*/authorizers/*",
                        environment={"RECORD": str(records[kind]), "MODE": kind})  # fmt: skip
    return Authorizers(names["allow"], names["deny"], records)


def user() -> str:
    """A token no other test uses (the cache is keyed by it)."""
    return f"user-{uuid.uuid4().hex[:12]}"


def bearer(token: str) -> list[tuple[str, str]]:
    return [("Authorization", token)]


class SecuredApi(Protocol):
    """A REST or HTTP API of the security tests (its `call` sends exactly as written)."""

    def call(self, path: str, headers: Sequence[tuple[str, str]] = (), method: str = "GET",
             stage: str = "") -> raw_http.RawResponse: ...  # fmt: skip

    def arn(self, rest: str) -> str: ...


def check_method_override(api: SecuredApi, authorizers: Authorizers, header: str,
                          refusal: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """`DELETE /public` is refused with `refusal`; `POST /public` with `header: DELETE` is
    authorized as the POST it is and reaches the backend (the echo server) as a POST. What
    the backend received."""
    token = user()
    denied = api.call("/public", bearer(token), "DELETE")
    assert (denied.status, denied.json()) == (403, refusal)
    response = api.call("/public", [*bearer(token), (header, "DELETE")], "POST")
    assert response.status == 200
    upstream: dict[str, Any] = response.json()
    assert upstream["method"] == "POST"
    assert authorizers.arns(token) == [api.arn("DELETE/public"), api.arn("POST/public")]
    return upstream

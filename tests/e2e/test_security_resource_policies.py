"""Trying to get around a REST resource policy (docs/security.md, "Resource policies"): path
tricks against a policy that denies `/admin/*`, method override headers, a spoofed
`X-Forwarded-For`. Requests go out as written (http.client sends the path verbatim; httpx
would resolve `..` itself) from real loopback sources.

The API: `/admin` and `/admin/{item}` (GET denied: `.../GET/admin`, `.../GET/admin/*`, so a
`*` cannot stand for a prefix such as `public/..`), `/public` (GET, POST, DELETE), `/reports`
(GET denied exactly), `/{proxy+}` (ANY); the policy allows everything else, denies DELETE
everywhere and everything from 127.0.0.2. Every MOCK method answers which resource and
method ran, so a refusal is a 403 from the gateway and an answer says where it went.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.e2e import raw_http
from tests.e2e.conftest import ACCOUNT, REGION, Server, add_path, deploy, mock_method

ALLOWED_IP, DENIED_IP = "127.0.0.1", "127.0.0.2"
ECHO = (
    '{"resource": "$context.resourcePath", "method": "$context.httpMethod", '
    '"proxy": "$input.params(\'proxy\')"}'
)
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
         "Resource": "execute-api:/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
         "Resource": ["execute-api:/*/GET/admin", "execute-api:/*/GET/admin/*"]},
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
         "Resource": "execute-api:/*/GET/reports"},
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
         "Resource": "execute-api:/*/DELETE/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
         "Resource": "execute-api:/*",
         "Condition": {"IpAddress": {"aws:SourceIp": f"{DENIED_IP}/32"}}},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def api_id(apigw: Any) -> str:
    api = apigw.create_rest_api(name=f"security-{uuid.uuid4().hex[:8]}", policy=json.dumps(POLICY))
    methods = {
        "/admin": ["GET"],
        "/admin/{item}": ["GET", "DELETE"],
        "/public": ["GET", "POST", "DELETE"],
        "/reports": ["GET"],
        "/{proxy+}": ["ANY"],
    }
    for path, verbs in methods.items():
        resource = add_path(apigw, api["id"], api["rootResourceId"], path)
        for verb in verbs:
            mock_method(apigw, api["id"], resource, verb, ECHO)
    deploy(apigw, api["id"])
    return str(api["id"])


def send(server: Server, api_id: str, path: str, method: str = "GET",
         headers: dict[str, str] | None = None,
         source: str = ALLOWED_IP) -> tuple[int, dict[str, Any]]:  # fmt: skip
    """The request with `path` exactly as written, from `source`: (status, JSON body)."""
    target = f"/_aws/execute-api/{api_id}/test{path}"
    response = raw_http.send(server.gateway, method, target, list((headers or {}).items()),
                             source=source)  # fmt: skip
    return response.status, response.json()


def explicit_deny(api_id: str, method_and_path: str) -> dict[str, str]:
    arn = f"arn:aws:execute-api:{REGION}:********{ACCOUNT[-4:]}:{api_id}/test/{method_and_path}"
    return {
        "Message": "User: anonymous is not authorized to perform: execute-api:Invoke on "
        f"resource: {arn} with an explicit deny in a resource-based policy"
    }


def test_the_denied_path_itself(server: Server, api_id: str) -> None:
    assert send(server, api_id, "/admin/x") == (403, explicit_deny(api_id, "GET/admin/x"))
    assert send(server, api_id, "/admin") == (403, explicit_deny(api_id, "GET/admin"))
    assert send(server, api_id, "/public") == (
        200, {"resource": "/public", "method": "GET", "proxy": ""}
    )  # fmt: skip


@pytest.mark.parametrize(
    ("path", "arn_path"),
    [
        ("/admin%2Fx", "admin%2Fx"),  # an encoded slash: one segment, so `/{proxy+}` routes it
        ("/admin%2fx", "admin%2fx"),
        ("/admin%252Fx", "admin%252Fx"),  # encoded twice
        ("/%61dmin/x", "%61dmin/x"),  # an encoded letter
        ("/public/../admin/x", "public/../admin/x"),  # a dot segment
        ("/public/%2e%2e/admin/x", "public/%2e%2e/admin/x"),
        ("/public/./../admin/x", "public/./../admin/x"),
    ],
)
def test_encoded_and_dot_segment_paths_are_denied(server: Server, api_id: str, path: str,
                                                  arn_path: str) -> None:  # fmt: skip
    # Routed to `/{proxy+}`, which the policy allows; a backend that decodes or resolves the
    # path would read `/admin/x`, so the Deny applies (the message names the routed ARN).
    assert send(server, api_id, path) == (403, explicit_deny(api_id, f"GET/{arn_path}"))


@pytest.mark.parametrize("path", ["//admin/x", "/admin//x", "///admin/x/"])
def test_extra_slashes_reach_the_admin_method_and_are_denied(server: Server, api_id: str,
                                                             path: str) -> None:  # fmt: skip
    assert send(server, api_id, path) == (403, explicit_deny(api_id, "GET/admin/x"))


def test_a_trailing_slash_is_the_same_resource_and_denied(server: Server, api_id: str) -> None:
    assert send(server, api_id, "/reports/") == (403, explicit_deny(api_id, "GET/reports"))
    assert send(server, api_id, "/reports") == (403, explicit_deny(api_id, "GET/reports"))


def test_case_is_another_resource(server: Server, api_id: str) -> None:
    # REST paths are case-sensitive: `/ADMIN/x` is not `/admin/{item}` but `/{proxy+}`, and
    # the policy sees `GET/ADMIN/x` (as on AWS). The admin method is never reached.
    assert send(server, api_id, "/ADMIN/x") == (
        200, {"resource": "/{proxy+}", "method": "GET", "proxy": "ADMIN/x"}
    )  # fmt: skip


@pytest.mark.parametrize("header", ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"])
def test_method_override_headers_change_nothing(server: Server, api_id: str,
                                                header: str) -> None:  # fmt: skip
    assert send(server, api_id, "/public", "DELETE") == (
        403, explicit_deny(api_id, "DELETE/public")
    )  # fmt: skip
    # The policy sees the POST the client sent, and the POST method runs.
    assert send(server, api_id, "/public", "POST", {header: "DELETE"}) == (
        200, {"resource": "/public", "method": "POST", "proxy": ""}
    )  # fmt: skip


@pytest.mark.parametrize(
    "spoof",
    [
        {"X-Forwarded-For": ALLOWED_IP},
        {"X-Forwarded-For": f"{ALLOWED_IP}, {ALLOWED_IP}"},
        {"Forwarded": f"for={ALLOWED_IP}"},
        {"X-Real-IP": ALLOWED_IP},
        {"X-Client-IP": ALLOWED_IP},
    ],
)
def test_a_spoofed_source_address_is_ignored(server: Server, api_id: str,
                                             spoof: dict[str, str]) -> None:  # fmt: skip
    assert send(server, api_id, "/public", headers=spoof, source=DENIED_IP) == (
        403, explicit_deny(api_id, "GET/public")
    )  # fmt: skip
    # and the other way round: naming a denied address does not get an allowed client denied
    named = {k: v.replace(ALLOWED_IP, DENIED_IP) for k, v in spoof.items()}
    assert send(server, api_id, "/public", headers=named)[0] == 200

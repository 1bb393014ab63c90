"""Trying to get around the admin API's protection (docs/security.md, "Admin API"): a control
plane started with `--admin-auth on`, called unsigned, signed for the data plane's service
(`execute-api`), signed by an identity that may only invoke APIs, signed requests replayed to
other operations, a path that policies and routing could read differently, and a repeated
`Authorization` header. Requests are signed by botocore's signer and sent with httpx or
exactly as written (tests/e2e/raw_http.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from botocore import UNSIGNED

from tests.e2e import raw_http
from tests.e2e.conftest import ACCOUNT, REGION, Server, aws_error, serve_with_identities
from tests.e2e.test_admin_auth import client
from tests.signing import MISMATCH, signed_request

IDENTITIES = """
users:
  - name: root-admin
    admin: true
    accessKeys: [{accessKeyId: AKIAADMIN, secretAccessKey: admin-secret}]
  - name: invoker
    accessKeys: [{accessKeyId: AKIAINVOKER, secretAccessKey: invoker-secret}]
    policies:
      - {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "execute-api:*", Resource: "*"}]}
  - name: auditor
    accessKeys: [{accessKeyId: AKIAAUDITOR, secretAccessKey: auditor-secret}]
    policies:
      - Version: "2012-10-17"
        Statement: [{Effect: Allow, Action: "apigateway:GET", Resource: "arn:aws:apigateway:*::/restapis*"}]
"""
ADMIN = {"key": "AKIAADMIN", "secret": "admin-secret", "service": "apigateway"}
AUDITOR = {"key": "AKIAAUDITOR", "secret": "auditor-secret", "service": "apigateway"}


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve_with_identities(tmp_path_factory, "security-admin", IDENTITIES,
                                     "--admin-auth", "on")  # fmt: skip


def refused(response: httpx.Response | raw_http.RawResponse, error_type: str, start: str) -> None:
    status = response.status_code if isinstance(response, httpx.Response) else response.status
    body = response.json()
    headers = response.headers if isinstance(response, httpx.Response) else dict(response.headers)
    assert status == 403
    assert {k.lower(): v for k, v in headers.items()}["x-amzn-errortype"] == error_type
    assert body["message"].startswith(start), body


# --- unsigned ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/restapis"), ("POST", "/restapis"), ("GET", "/v2/apis"), ("DELETE", "/apikeys/k"),
     ("GET", "/2015-03-31/functions/"), ("GET", "/no/such/operation"), ("PUT", "/")],
)  # fmt: skip
def test_unsigned_calls_are_refused_and_learn_nothing(
    admin_server: Server, method: str, path: str
) -> None:
    """Even a path no operation has answers Missing Authentication Token, not which
    operations exist."""
    response = raw_http.send(
        admin_server.admin, method, path, body=b"{}" if method != "GET" else b""
    )
    assert (response.status, response.json()) == (403, {"message": "Missing Authentication Token"})
    assert response.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException"


def test_unsigned_boto3_clients_are_refused(admin_server: Server) -> None:
    unsigned = client(admin_server, "apigateway", "x", "x", signature_version=UNSIGNED)
    assert aws_error(unsigned.create_rest_api, name="mine") == (
        403, "MissingAuthenticationTokenException", "Missing Authentication Token",
    )  # fmt: skip


# --- the wrong service, the wrong identity --------------------------------------------------


def test_a_call_signed_for_execute_api_is_refused(admin_server: Server, http: httpx.Client) -> None:
    url = f"{admin_server.admin}/restapis"
    request = signed_request(url, **{**ADMIN, "service": "execute-api"})
    refused(http.get(url, headers=dict(request.headers.items())), "InvalidSignatureException",
            "Credential should be scoped to correct service: 'apigateway'.")  # fmt: skip


def test_an_identity_that_may_only_invoke_apis_is_refused(admin_server: Server) -> None:
    invoker = client(admin_server, "apigateway", "AKIAINVOKER", "invoker-secret")
    assert aws_error(invoker.get_rest_apis) == (
        403, "AccessDeniedException",
        f"User: arn:aws:iam::{ACCOUNT}:user/invoker is not authorized to perform: "
        f"apigateway:GET on resource: arn:aws:apigateway:{REGION}::/restapis because no "
        "identity-based policy allows the apigateway:GET action",
    )  # fmt: skip
    lam = client(admin_server, "lambda", "AKIAINVOKER", "invoker-secret")
    status, code, _ = aws_error(lam.list_functions)
    assert (status, code) == (403, "AccessDeniedException")


# --- replaying signed requests --------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("DELETE", "/restapis/abc", b""), ("GET", "/apikeys", b""), ("POST", "/restapis", b"{}"),
     ("GET", "/restapis?limit=1", b""), ("GET", "/v2/apis", b"")],
)  # fmt: skip
def test_a_signed_call_replayed_as_another_operation_does_not_verify(
    admin_server: Server, method: str, path: str, body: bytes
) -> None:
    signed = signed_request(f"{admin_server.admin}/restapis", **ADMIN)
    headers = list(signed.headers.items())
    assert raw_http.send(admin_server.admin, "GET", "/restapis", headers).status == 200
    response = raw_http.send(admin_server.admin, method, path, headers, body)
    refused(response, "InvalidSignatureException", MISMATCH)


def test_a_signed_body_cannot_be_swapped(admin_server: Server) -> None:
    body = b'{"name": "mine"}'
    signed = signed_request(f"{admin_server.admin}/restapis", "POST", body,
                            {"Content-Type": "application/json"}, **ADMIN)  # fmt: skip
    swapped = b'{"name": "theirs", "policy": "{}"}'
    response = raw_http.send(admin_server.admin, "POST", "/restapis", list(signed.headers.items()),
                             swapped)  # fmt: skip
    refused(response, "InvalidSignatureException", MISMATCH)


# --- a path read two ways -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/restapis/../apikeys", "/restapis/%2e%2e/apikeys",
                                  "/restapis/x/../../apikeys"])  # fmt: skip
def test_dot_segments_do_not_lead_out_of_what_a_policy_allows(
    admin_server: Server, path: str
) -> None:
    """The auditor may GET `/restapis*`. SigV4 signs `/restapis/../apikeys` as `/apikeys`,
    and the policy sees `/restapis/../apikeys`: routing takes the path as written, so no
    operation outside /restapis is reached (here: none at all, 404)."""
    signed = signed_request(f"{admin_server.admin}{path}", **AUDITOR)
    response = raw_http.send(admin_server.admin, "GET", path, list(signed.headers.items()))
    assert (response.status, response.json()) == (
        404,
        {"message": f"No operation matches GET {path}"},
    )
    assert response.header("x-amzn-ErrorType") == "UnknownOperationException"


# --- the Authorization header ---------------------------------------------------------------


def test_two_authorization_headers_are_refused(admin_server: Server) -> None:
    signed = signed_request(f"{admin_server.admin}/restapis", **ADMIN)
    headers = list(signed.headers.items())
    [valid] = [v for k, v in headers if k == "Authorization"]
    response = raw_http.send(admin_server.admin, "GET", "/restapis",
                             [*headers, ("authorization", valid)])  # fmt: skip
    refused(response, "IncompleteSignatureException",
            "Authorization header must be sent once, not 2 times. ")  # fmt: skip

"""Trying to get around AWS_IAM authorization (docs/security.md, "IAM (SigV4)"): path tricks
against an identity policy that allows only `GET/public/*`, method override headers, signed
requests replayed elsewhere or altered (path, method, stage, query, Host, body), an unsigned
`Host`, clocks far off, presigned URLs living too long, the `Authorization` header's case and
repetition, `Transfer-Encoding` beside `Content-Length`.

Requests are signed by botocore's signer (tests/signing.py) and sent exactly as written
(tests/e2e/raw_http.py). The caller `alice` may GET `public/*` and POST `public`; DELETE is
denied. The API's `/public/{item}`, `/admin/{item}` and `/{proxy+}` are MOCK methods answering
which resource ran; `/public` (ANY) is an HTTP_PROXY to the echo server. All are AWS_IAM.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e import raw_http
from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    add_path,
    add_response,
    deploy,
    serve_with_identities,
)
from tests.signing import MISMATCH, signed_request

IDENTITIES = """
users:
  - name: alice
    accessKeys: [{accessKeyId: AKIAALICE, secretAccessKey: alice-secret}]
    policies:
      - Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: execute-api:Invoke
            Resource: ["arn:aws:execute-api:*:*:*/*/GET/public/*", "arn:aws:execute-api:*:*:*/*/POST/public"]
          - {Effect: Deny, Action: execute-api:Invoke, Resource: "arn:aws:execute-api:*:*:*/*/DELETE/*"}
"""
ALICE = {"key": "AKIAALICE", "secret": "alice-secret"}
ALICE_ARN = f"arn:aws:iam::{ACCOUNT}:user/alice"
ECHO = '{"resource": "$context.resourcePath", "caller": "$context.identity.userArn"}'


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve_with_identities(tmp_path_factory, "security-iam", IDENTITIES)


@pytest.fixture(scope="module")
def api_id(gateway: Server, upstream: str) -> str:
    apigw = gateway.client("apigateway")
    api = apigw.create_rest_api(name=f"security-iam-{uuid.uuid4().hex[:8]}")
    api_id, root = api["id"], api["rootResourceId"]

    def method(path: str, verb: str, integration: dict[str, Any]) -> str:
        resource = add_path(apigw, api_id, root, path)
        apigw.put_method(restApiId=api_id, resourceId=resource, httpMethod=verb,
                         authorizationType="AWS_IAM")  # fmt: skip
        apigw.put_integration(restApiId=api_id, resourceId=resource, httpMethod=verb, **integration)
        return resource

    mock = {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}}
    for path, verb in (("/public/{item}", "GET"), ("/admin/{item}", "GET"), ("/{proxy+}", "ANY")):
        add_response(apigw, api_id, method(path, verb, mock), verb, "200",
                     templates={"application/json": ECHO})  # fmt: skip
    method("/public", "ANY", {"type": "HTTP_PROXY", "integrationHttpMethod": "ANY",
                              "uri": f"{upstream}/public"})  # fmt: skip
    for stage in ("test", "prod"):
        deploy(apigw, api_id, stage)
    return str(api_id)


def target(api_id: str, path: str, stage: str = "test") -> str:
    return f"/_aws/execute-api/{api_id}/{stage}{path}"


def signed(gateway: Server, api_id: str, path: str, method: str = "GET", body: bytes = b"",
           headers: dict[str, str] | None = None, **signing: Any) -> list[tuple[str, str]]:  # fmt: skip
    """The headers botocore signs a request for `path` with (Host included)."""
    url = gateway.gateway + target(api_id, path, signing.pop("stage", "test"))
    request = signed_request(url, method, body, headers, **{**ALICE, **signing})
    return [("Host", urlsplit(url).netloc), *request.headers.items()]


def send(gateway: Server, api_id: str, path: str, headers: Sequence[tuple[str, str]],
         method: str = "GET", body: bytes = b"", stage: str = "test") -> raw_http.RawResponse:  # fmt: skip
    """`headers` (the Host among them) and `body` as they are, to `path` as written."""
    own_host = [(k, v) for k, v in headers if k.lower() != "host"]
    host = next((v for k, v in headers if k.lower() == "host"), urlsplit(gateway.gateway).netloc)
    data = raw_http.request_bytes(method, target(api_id, path, stage), host, own_host, body)
    return raw_http.send_raw(gateway.gateway, data)


def call(gateway: Server, api_id: str, path: str, method: str = "GET", body: bytes = b"",
         **signing: Any) -> raw_http.RawResponse:  # fmt: skip
    """A request signed for exactly what is sent."""
    return send(gateway, api_id, path, signed(gateway, api_id, path, method, body, **signing),
                method, body)  # fmt: skip


def denied(api_id: str, arn_path: str, *, explicit: bool = False) -> dict[str, str]:
    arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/test/{arn_path}"
    end = " with an explicit deny" if explicit else ""
    return {"Message": f"User: {ALICE_ARN} is not authorized to perform: execute-api:Invoke "
                       f"on resource: {arn}{end}"}  # fmt: skip


def refused_signature(response: raw_http.RawResponse, error_type: str, start: str) -> None:
    assert response.status == 403
    assert response.header("x-amzn-ErrorType") == error_type
    assert response.json()["message"].startswith(start)


# --- path tricks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "resource"),
    [("/public/x", "/public/{item}"), ("/public//x", "/public/{item}"),
     ("/public/x/", "/public/{item}"), ("/public/./x", "/{proxy+}")],
)  # fmt: skip
def test_paths_under_the_allowed_resource_are_served(
    gateway: Server, api_id: str, path: str, resource: str
) -> None:
    response = call(gateway, api_id, path)
    assert response.status == 200, response.body
    assert response.json() == {"resource": resource, "caller": ALICE_ARN}


@pytest.mark.parametrize(
    ("path", "arn_path"),
    [
        ("/admin/x", "admin/x"),
        ("//admin/x", "admin/x"),
        ("/admin%2Fx", "admin%2Fx"),
        ("/PUBLIC/x", "PUBLIC/x"),
        ("/public%2Fx", "public%2Fx"),
        # allowed as written, read as /admin by a backend that decodes or resolves it
        ("/public/../admin/x", "public/../admin/x"),
        ("/public/..%2Fadmin", "public/..%2Fadmin"),
        ("/public/%2e%2e/admin/x", "public/%2e%2e/admin/x"),
    ],
)
def test_paths_outside_the_allowed_resource_are_refused(
    gateway: Server, api_id: str, path: str, arn_path: str
) -> None:
    response = call(gateway, api_id, path)
    assert (response.status, response.json()) == (403, denied(api_id, f"GET/{arn_path}"))
    assert response.header("x-amzn-ErrorType") == "AccessDeniedException"


# --- method override headers ----------------------------------------------------------------


@pytest.mark.parametrize("header", ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"])
def test_method_override_headers_change_neither_the_decision_nor_the_method(
    gateway: Server, api_id: str, header: str
) -> None:
    refused = call(gateway, api_id, "/public", "DELETE")
    assert (refused.status, refused.json()) == (403, denied(api_id, "DELETE/public", explicit=True))
    response = call(gateway, api_id, "/public", "POST", headers={header: "DELETE"})
    assert response.status == 200
    assert response.json()["method"] == "POST"  # what the backend received


# --- replaying and altering signed requests -------------------------------------------------


@pytest.mark.parametrize(
    ("path", "method", "stage"),
    [("/public/y", "GET", "test"), ("/public/x", "POST", "test"), ("/public/x", "GET", "prod"),
     ("/public/x?admin=1", "GET", "test"), ("/public/X", "GET", "test")],
)  # fmt: skip
def test_a_signed_request_replayed_elsewhere_does_not_verify(
    gateway: Server, api_id: str, path: str, method: str, stage: str
) -> None:
    headers = signed(gateway, api_id, "/public/x")
    assert send(gateway, api_id, "/public/x", headers).status == 200
    replayed = send(gateway, api_id, path, headers, method, stage=stage)
    refused_signature(replayed, "InvalidSignatureException", MISMATCH)


def test_dot_segments_are_canonicalized_before_signing(gateway: Server, api_id: str) -> None:
    """SigV4 (botocore, AWS) signs the path with dot segments resolved, so a signature for
    `/admin/x` also verifies for `/public/../admin/x`: the caller is the same, and its
    policies are evaluated for where the request goes (refused here, as /admin/x is)."""
    headers = signed(gateway, api_id, "/admin/x")
    response = send(gateway, api_id, "/public/../admin/x", headers)
    assert (response.status, response.json()) == (403, denied(api_id, "GET/public/../admin/x"))


def test_another_host_does_not_verify(gateway: Server, api_id: str) -> None:
    headers = [(k, "attacker.example" if k.lower() == "host" else v)
               for k, v in signed(gateway, api_id, "/public/x")]  # fmt: skip
    refused_signature(send(gateway, api_id, "/public/x", headers), "InvalidSignatureException",
                      MISMATCH)  # fmt: skip


def test_a_signature_without_host_is_refused(gateway: Server, api_id: str) -> None:
    headers = []
    for name, value in signed(gateway, api_id, "/public/x"):
        if name == "Authorization":
            value = value.replace("SignedHeaders=host;", "SignedHeaders=")
        headers.append((name, value))
    refused_signature(send(gateway, api_id, "/public/x", headers), "InvalidSignatureException",
                      "'Host' must be a 'SignedHeader' in the AWS Authorization.")  # fmt: skip


def test_a_body_is_verified_as_delivered(gateway: Server, api_id: str) -> None:
    body = b'{"amount": 1}'
    headers = signed(gateway, api_id, "/public", "POST", body)
    chunked = [*headers, ("Transfer-Encoding", "chunked")]
    framed = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    delivered = send(gateway, api_id, "/public", chunked, "POST", framed)
    assert delivered.status == 200
    assert delivered.json()["body"] == body.decode()
    other = body.replace(b"1", b"9")
    altered = send(
        gateway, api_id, "/public", chunked, "POST", b"%x\r\n%s\r\n0\r\n\r\n" % (len(other), other)
    )
    refused_signature(altered, "InvalidSignatureException", MISMATCH)


def test_transfer_encoding_beside_content_length_is_refused_before_anything(
    gateway: Server, api_id: str
) -> None:
    """A body framed two ways could be read one way when verified and another when
    delivered: the HTTP parser refuses the request outright."""
    body = b'{"amount": 1}'
    headers = [*signed(gateway, api_id, "/public", "POST", body),
               ("Content-Length", str(len(body))), ("Transfer-Encoding", "chunked")]  # fmt: skip
    smuggled = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    response = send(gateway, api_id, "/public", headers, "POST", smuggled)
    assert (response.status, response.body) == (400, b"Invalid HTTP request received.")


# --- time -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "start"),
    [(timedelta(days=-1), "Signature expired: "), (timedelta(minutes=-6), "Signature expired: "),
     (timedelta(days=1), "Signature not yet current: "),
     (timedelta(minutes=6), "Signature not yet current: ")],
)  # fmt: skip
def test_a_clock_far_off_is_refused(
    gateway: Server, api_id: str, offset: timedelta, start: str
) -> None:
    response = call(gateway, api_id, "/public/x", at=datetime.now(UTC) + offset)
    refused_signature(response, "InvalidSignatureException", start)


def test_a_presigned_url_may_live_a_week_at_most(gateway: Server, api_id: str) -> None:
    url = gateway.gateway + target(api_id, "/public/x")
    week = signed_request(url, presign=604800, **ALICE).url
    assert raw_http.send(gateway.gateway, "GET", week[len(gateway.gateway) :]).status == 200
    longer = signed_request(url, presign=604801, **ALICE).url
    response = raw_http.send(gateway.gateway, "GET", longer[len(gateway.gateway) :])
    refused_signature(response, "IncompleteSignatureException",
                      "X-Amz-Expires must be less than a week (in seconds) that is 604800")  # fmt: skip
    # signed eight days ago for a week: expired, whatever else
    old = signed_request(url, presign=604800, at=datetime.now(UTC) - timedelta(days=8), **ALICE)
    response = raw_http.send(gateway.gateway, "GET", old.url[len(gateway.gateway) :])
    refused_signature(response, "InvalidSignatureException", "Signature expired: ")


# --- the Authorization header ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["authorization", "AUTHORIZATION", "aUtHoRiZaTiOn"])
def test_the_header_names_case_does_not_matter(gateway: Server, api_id: str, name: str) -> None:
    headers = [
        (name if k == "Authorization" else k, v) for k, v in signed(gateway, api_id, "/public/x")
    ]
    assert send(gateway, api_id, "/public/x", headers).status == 200
    refused = [
        (name if k == "Authorization" else k, v) for k, v in signed(gateway, api_id, "/admin/x")
    ]
    assert send(gateway, api_id, "/admin/x", refused).json() == denied(api_id, "GET/admin/x")


@pytest.mark.parametrize("second", ["Authorization", "authorization"])
def test_two_authorization_headers_are_refused(gateway: Server, api_id: str, second: str) -> None:
    headers = signed(gateway, api_id, "/public/x")
    [valid] = [v for k, v in headers if k == "Authorization"]
    for extra in ("Basic dXNlcjpwYXNz", valid):
        for doubled in ([*headers, (second, extra)], [(second, extra), *headers]):
            response = send(gateway, api_id, "/public/x", doubled)
            refused_signature(response, "IncompleteSignatureException",
                              "Authorization header must be sent once, not 2 times. ")  # fmt: skip

"""Admin API protection end to end: a control plane that requires SigV4 calls from admin
keys, driven by boto3 (right keys, wrong secret, unknown key, unsigned, a key whose policies
allow only some calls) and by httpx (a tampered body, presigned downloads); and a server that
refuses to listen beyond loopback with no admin key."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from tests.e2e.conftest import ACCOUNT, REGION, Server, aws_error, serve_with_identities, zip_code
from tests.signing import MISMATCH, signed_request

IDENTITIES = """
users:
  - name: root-admin
    admin: true
    accessKeys: [{accessKeyId: AKIAADMIN, secretAccessKey: admin-secret}]
  - name: auditor
    accessKeys: [{accessKeyId: AKIAAUDITOR, secretAccessKey: auditor-secret}]
    policies:
      read-only:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: "apigateway:GET", Resource: "arn:aws:apigateway:*::/restapis*"}
          - {Effect: Allow, Action: "lambda:List*", Resource: "*"}
"""


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve_with_identities(tmp_path_factory, "admin", IDENTITIES, "--admin-auth", "on")


def client(server: Server, service: str, key: str = "AKIAADMIN", secret: str = "admin-secret",
           **config: Any) -> Any:  # fmt: skip
    return boto3.client(
        service,
        endpoint_url=server.admin,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, **config),
    )


def test_admin_keys_work(admin_server: Server) -> None:
    assert any("calls must be SigV4-signed by admin keys" in line for line in admin_server.lines)
    apigw = client(admin_server, "apigateway")
    api_id = apigw.create_rest_api(name="signed")["id"]
    assert api_id in [api["id"] for api in apigw.get_rest_apis()["items"]]
    v2 = client(admin_server, "apigatewayv2")
    assert v2.create_api(Name="signed-v2", ProtocolType="HTTP")["ApiId"]


def test_wrong_secret_unknown_key_and_unsigned(admin_server: Server) -> None:
    wrong = client(admin_server, "apigateway", secret="guess")
    status, code, message = aws_error(wrong.get_rest_apis)
    assert (status, code) == (403, "InvalidSignatureException")
    assert message.startswith(MISMATCH + "\n\nThe Canonical String for this request should")
    unknown = client(admin_server, "lambda", key="AKIANOBODY")
    assert aws_error(unknown.list_functions) == (
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
    for service, call in (("apigateway", "get_rest_apis"), ("lambda", "list_functions"),
                          ("apigatewayv2", "get_apis")):  # fmt: skip
        unsigned = client(admin_server, service, signature_version=UNSIGNED)
        assert aws_error(getattr(unsigned, call)) == (
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )


def test_a_tampered_body_and_another_service_scope(
    admin_server: Server, http: httpx.Client
) -> None:
    url = f"{admin_server.admin}/restapis"
    body = b'{"name": "mine"}'
    request = signed_request(url, "POST", body, {"Content-Type": "application/json"},
                             key="AKIAADMIN", secret="admin-secret", service="apigateway")  # fmt: skip
    headers = dict(request.headers.items())
    response = http.post(url, headers=headers, content=b'{"name": "theirs"}')
    assert response.status_code == 403
    assert response.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert response.json()["message"].startswith(MISMATCH)
    assert http.post(url, headers=headers, content=body).status_code == 201
    lambda_scoped = signed_request(url, "GET", key="AKIAADMIN", secret="admin-secret",
                                   service="lambda")  # fmt: skip
    response = http.get(url, headers=dict(lambda_scoped.headers.items()))
    assert response.status_code == 403
    assert response.json() == {
        "message": "Credential should be scoped to correct service: 'apigateway'."
    }


def test_a_key_allowed_some_calls_by_its_policies(admin_server: Server) -> None:
    apigw = client(admin_server, "apigateway", "AKIAAUDITOR", "auditor-secret")
    assert "items" in apigw.get_rest_apis()
    assert aws_error(apigw.create_rest_api, name="nope") == (
        403,
        "AccessDeniedException",
        f"User: arn:aws:iam::{ACCOUNT}:user/auditor is not authorized to perform: "
        f"apigateway:POST on resource: arn:aws:apigateway:{REGION}::/restapis because no "
        "identity-based policy allows the apigateway:POST action",
    )
    lam = client(admin_server, "lambda", "AKIAAUDITOR", "auditor-secret")
    assert "Functions" in lam.list_functions()
    assert aws_error(lam.get_function, FunctionName="f") == (
        403,
        "AccessDeniedException",
        f"User: arn:aws:iam::{ACCOUNT}:user/auditor is not authorized to perform: "
        f"lambda:GetFunction on resource: arn:aws:lambda:{REGION}:{ACCOUNT}:function:f because "
        "no identity-based policy allows the lambda:GetFunction action",
    )


def test_function_code_downloads_are_presigned(admin_server: Server, http: httpx.Client) -> None:
    lam = client(admin_server, "lambda")
    name = f"admin-{uuid.uuid4().hex[:8]}"
    code = zip_code({"app.py": "def handler(event, context):\n    return 1\n"})
    lam.create_function(FunctionName=name, Runtime="python3.11", Handler="app.handler",
                        Role=f"arn:aws:iam::{ACCOUNT}:role/r", Code={"ZipFile": code})  # fmt: skip
    location = lam.get_function(FunctionName=name)["Code"]["Location"]
    assert "X-Amz-Signature=" in location
    assert http.get(location).content == code
    unsigned = http.get(location.split("?", 1)[0])
    assert unsigned.status_code == 403
    assert unsigned.json() == {"message": "Missing Authentication Token"}


def test_cache_metrics_must_be_signed(admin_server: Server, http: httpx.Client) -> None:
    url = f"{admin_server.admin}/_tollway/metrics"
    unsigned = http.get(url)
    assert (unsigned.status_code, unsigned.json()) == (
        403,
        {"message": "Missing Authentication Token"},
    )
    signed = signed_request(url, service="apigateway", key="AKIAADMIN", secret="admin-secret")
    answer = http.get(url, headers=dict(signed.headers.items()))
    assert answer.status_code == 200
    assert "# TYPE tollway_cache_hit_count_total counter" in answer.text


def test_the_health_check_stays_open(admin_server: Server, http: httpx.Client) -> None:
    assert http.get(f"{admin_server.admin}/_tollway/health").json() == {"status": "ok"}


def _serve(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tollway", "serve", "--port", "0", "--admin-port", "0",
               "--data-dir", str(tmp_path / "data"), *args]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_beyond_loopback_without_admin_keys_tollway_refuses_to_start(tmp_path: Path) -> None:
    done = _serve(tmp_path, "--admin-host", "0.0.0.0")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "tollway: the control plane listens on 0.0.0.0, beyond loopback, so it requires calls "
        "SigV4-signed by admin keys, and none are configured: give an identities file "
        "(--identities FILE) with an identity marked `admin: true`, or --admin-auth off to "
        "accept unsigned calls from anyone who can reach it"
    )
    assert not (tmp_path / "data").exists()  # refused before anything was created
    forced = _serve(tmp_path, "--admin-auth", "on")
    assert forced.returncode == 1
    assert "was asked to (--admin-auth on)" in forced.stderr


def test_a_malformed_identities_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "identities.yaml"
    path.write_text("users:\n  - name: x\n    accessKeys: [{accessKeyId: K}]\n")
    done = _serve(tmp_path, "--identities", str(path))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"tollway: {path}: users[0]: accessKeys[0]: secretAccessKey is required (a string)"
    )

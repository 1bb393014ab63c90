"""AWS_IAM on a WebSocket API's `$connect` (spec §5.10): the handshake signed by botocore's
own signer (a presigned URL, or SigV4 headers), on a server started with an identities file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.e2e.conftest import ACCOUNT, Server, serve_with_identities
from tests.e2e.ws_helpers import deploy_ws, lambda_route, new_ws_api, ws_url
from tests.signing import signed_request

IDENTITIES = """
users:
  - name: alice
    accessKeys: [{accessKeyId: AKIAALICE, secretAccessKey: alice-secret}]
    policies:
      api:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:*:*:*/dev/$connect"}
  - name: bob
    accessKeys: [{accessKeyId: AKIABOB, secretAccessKey: bob-secret}]
"""

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"]["identity"])}
"""


@pytest.fixture(scope="module")
def iam_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve_with_identities(tmp_path_factory, "ws-iam", IDENTITIES)


@pytest.fixture(scope="module")
def api(iam_server: Server) -> str:
    v2 = iam_server.client("apigatewayv2")
    api_id = new_ws_api(v2, "iam")
    integration = v2.create_integration(ApiId=api_id, IntegrationType="MOCK")
    v2.create_route(
        ApiId=api_id,
        RouteKey="$connect",
        AuthorizationType="AWS_IAM",
        Target=f"integrations/{integration['IntegrationId']}",
    )
    lambda_route(
        v2, iam_server.client("lambda"), api_id, "$default", "ws-iam-echo", ECHO, two_way=True
    )
    deploy_ws(v2, api_id)
    return api_id


def presigned(server: Server, api_id: str, key: str, secret: str) -> str:
    http_url = ws_url(server, api_id, "dev").replace("ws://", "http://")
    url: str = signed_request(http_url, key=key, secret=secret, presign=300).url
    return url.replace("http://", "ws://")


def test_a_presigned_caller_connects_as_itself(iam_server: Server, api: str) -> None:
    with connect(presigned(iam_server, api, "AKIAALICE", "alice-secret"), open_timeout=30) as ws:
        ws.send("who")
        identity: dict[str, Any] = json.loads(ws.recv(timeout=30))
    assert identity["userArn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert identity["accessKey"] == "AKIAALICE"
    assert identity["accountId"] == ACCOUNT
    assert identity["sourceIp"] == "127.0.0.1"


def test_signed_headers_work_too(iam_server: Server, api: str) -> None:
    http_url = ws_url(iam_server, api, "dev").replace("ws://", "http://")
    headers = dict(signed_request(http_url, key="AKIAALICE", secret="alice-secret").headers)
    headers.pop("Host", None)
    with connect(ws_url(iam_server, api, "dev"), additional_headers=headers, open_timeout=30) as ws:
        ws.send("who")
        assert json.loads(ws.recv(timeout=30))["accessKey"] == "AKIAALICE"


@pytest.mark.parametrize(
    "credentials", [None, ("AKIABOB", "bob-secret"), ("AKIAALICE", "wrong-secret")]
)
def test_refusals_are_403(
    iam_server: Server, api: str, credentials: tuple[str, str] | None
) -> None:
    url = (
        ws_url(iam_server, api, "dev")
        if credentials is None
        else presigned(iam_server, api, *credentials)
    )
    with pytest.raises(InvalidStatus) as refused:
        connect(url, open_timeout=30)
    assert refused.value.response.status_code == 403
    assert json.loads(refused.value.response.body) == {"message": "Forbidden"}

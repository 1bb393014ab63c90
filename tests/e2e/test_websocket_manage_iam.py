"""IAM on the `@connections` API (spec §13.5): with identities configured, calls must be
SigV4-signed by a caller allowed `execute-api:ManageConnections` on
`arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{METHOD}/@connections/{id}`;
without identities, unsigned calls are accepted (test_websocket.py signs with unknown keys)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import ACCOUNT, REGION, Server, aws_error, serve_with_identities
from tests.e2e.ws_helpers import deploy_ws, mock_route, new_ws_api, stage_url, ws_url

IDENTITIES = """
users:
  - name: manager
    accessKeys: [{accessKeyId: AKIAMANAGER, secretAccessKey: manager-secret}]
    policies:
      manage:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: "execute-api:ManageConnections"
            Resource: "arn:aws:execute-api:*:*:*/dev/POST/@connections/*"
          - Effect: Deny
            Action: "execute-api:ManageConnections"
            Resource: "arn:aws:execute-api:*:*:*/dev/DELETE/@connections/*"
  - name: bob
    accessKeys: [{accessKeyId: AKIABOB, secretAccessKey: bob-secret}]
"""


@pytest.fixture(scope="module")
def iam_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve_with_identities(tmp_path_factory, "ws-manage-iam", IDENTITIES)


def whoami_api(server: Server) -> str:
    v2 = server.client("apigatewayv2")
    api_id = new_ws_api(v2, "manage")
    mock_route(v2, api_id, "$default", "$context.connectionId")
    deploy_ws(v2, api_id)
    return api_id


@pytest.fixture(scope="module")
def api(iam_server: Server) -> str:
    return whoami_api(iam_server)


@pytest.fixture
def ws(iam_server: Server, api: str) -> Iterator[ClientConnection]:
    with connect(ws_url(iam_server, api, "dev"), open_timeout=30) as connection:
        yield connection


def connection_id(ws: ClientConnection) -> str:
    ws.send("who")
    return str(ws.recv(timeout=30))


def management(server: Server, api_id: str, key: str, secret: str) -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=stage_url(server, api_id, "dev"),
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def test_an_allowed_caller_posts(iam_server: Server, api: str, ws: ClientConnection) -> None:
    client = management(iam_server, api, "AKIAMANAGER", "manager-secret")
    client.post_to_connection(ConnectionId=connection_id(ws), Data=b"hello")
    assert ws.recv(timeout=30) == "hello"


def test_a_caller_without_the_permission_is_forbidden(
    iam_server: Server, api: str, ws: ClientConnection
) -> None:
    target = connection_id(ws)
    client = management(iam_server, api, "AKIABOB", "bob-secret")
    arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api}/dev/POST/@connections/{target}"
    assert aws_error(client.post_to_connection, ConnectionId=target, Data=b"x") == (
        403,
        "ForbiddenException",
        f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: "
        f"execute-api:ManageConnections on resource: {arn}",
    )


def test_the_arn_names_the_method(iam_server: Server, api: str, ws: ClientConnection) -> None:
    target = connection_id(ws)
    client = management(iam_server, api, "AKIAMANAGER", "manager-secret")
    arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api}/dev/DELETE/@connections/{target}"
    assert aws_error(client.delete_connection, ConnectionId=target) == (
        403,
        "ForbiddenException",
        f"User: arn:aws:iam::{ACCOUNT}:user/manager is not authorized to perform: "
        f"execute-api:ManageConnections on resource: {arn} with an explicit deny",
    )
    status, code, _ = aws_error(client.get_connection, ConnectionId=target)  # no Allow
    assert (status, code) == (403, "ForbiddenException")


def test_unsigned_and_badly_signed_calls_are_refused(
    iam_server: Server, api: str, ws: ClientConnection
) -> None:
    target = connection_id(ws).replace("=", "%3D")
    unsigned = httpx.post(
        f"{stage_url(iam_server, api, 'dev')}/@connections/{target}", content=b"x"
    )
    assert unsigned.status_code == 403
    assert unsigned.json() == {"message": "Missing Authentication Token"}
    assert unsigned.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    client = management(iam_server, api, "AKIAMANAGER", "wrong-secret")
    status, code, message = aws_error(client.post_to_connection, ConnectionId=target, Data=b"x")
    assert (status, code) == (403, "InvalidSignatureException")
    assert message.startswith("The request signature we calculated does not match")


def test_without_identities_unsigned_calls_are_accepted(server: Server) -> None:
    api_id = whoami_api(server)
    with connect(ws_url(server, api_id, "dev"), open_timeout=30) as ws:
        target = connection_id(ws).replace("=", "%3D")
        url = f"{stage_url(server, api_id, 'dev')}/@connections/{target}"
        assert httpx.post(url, content=b"unsigned").status_code == 200
        assert ws.recv(timeout=30) == "unsigned"

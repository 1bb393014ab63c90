"""WebSocket APIs end to end (spec §13): connections, route selection, Lambda proxy and MOCK
routes, two-way responses, the `$connect` authorizer, `@connections` through boto3's
`apigatewaymanagementapi` (also from inside a Lambda handler, the chat-room tutorial's
pattern), `$disconnect`, subprotocols and the error frames. Limits: test_websocket_limits.py."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
from botocore.config import Config
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import ACCOUNT, REGION, Server
from tests.e2e.ws_helpers import (
    deploy_ws,
    lambda_route,
    mock_route,
    new_ws_api,
    stage_url,
    ws_url,
)

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"event": event})}
"""

CONNECT = """
def handler(event, context):
    query = event.get("queryStringParameters") or {}
    if query.get("refuse"):
        return {"statusCode": 400, "body": "refused"}
    headers = {}
    offered = (event.get("headers") or {}).get("Sec-WebSocket-Protocol")
    if offered:
        headers["Sec-WebSocket-Protocol"] = offered.split(",")[0].strip()
    return {"statusCode": 200, "headers": headers}
"""

# The AWS chat-room tutorial's sendmessage handler: post to every connection named in the
# message, with the management endpoint built from the event's domainName and stage.
SEND = """
import json
import boto3
from botocore import UNSIGNED
from botocore.config import Config

def handler(event, context):
    ctx = event["requestContext"]
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"http://{ctx['domainName']}/{ctx['stage']}",
        config=Config(signature_version=UNSIGNED),
    )
    message = json.loads(event["body"])
    gone = []
    for target in message["to"]:
        try:
            client.post_to_connection(ConnectionId=target, Data=message["data"].encode())
        except client.exceptions.GoneException:
            gone.append(target)
    return {"statusCode": 200, "body": json.dumps({"gone": gone})}
"""

WHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": event["requestContext"]["connectionId"]}
"""

AUTHORIZER = """
def handler(event, context):
    token = (event.get("queryStringParameters") or {}).get("token")
    if token == "bad":
        raise Exception("Unauthorized")
    effect = "Allow" if token == "good" else "Deny"
    return {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect,
                           "Resource": event["methodArn"]}],
        },
        "context": {"plan": "gold", "level": 3},
    }
"""


def marker_source(directory: Path) -> str:
    return f"""
import json, os
def handler(event, context):
    ctx = event["requestContext"]
    path = os.path.join({str(directory)!r}, ctx["connectionId"].replace("/", "_"))
    with open(path + ".tmp", "w") as f:
        json.dump(event, f)
    os.replace(path + ".tmp", path)  # whole or absent: the test reads it as soon as it exists
    return {{"statusCode": 200}}
"""


@pytest.fixture(scope="module")
def v2(server: Server) -> Any:
    return server.client("apigatewayv2")


@pytest.fixture(scope="module")
def markers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("disconnects")


@pytest.fixture(scope="module")
def chat(server: Server, v2: Any, lam: Any, markers: Path) -> str:
    """One API: `$connect` (subprotocols, refusals), `echo` and `send` (Lambda, two-way),
    `mock` (MOCK, two-way), `oneway` (no route response), `whoami`, `$disconnect`."""
    api_id = new_ws_api(v2, "chat")
    lambda_route(v2, lam, api_id, "$connect", "ws-connect", CONNECT)
    lambda_route(v2, lam, api_id, "echo", "ws-echo", ECHO, two_way=True)
    lambda_route(v2, lam, api_id, "oneway", "ws-echo", None)
    lambda_route(v2, lam, api_id, "send", "ws-send", SEND, two_way=True)
    lambda_route(v2, lam, api_id, "whoami", "ws-who", WHO, two_way=True)
    lambda_route(v2, lam, api_id, "$disconnect", "ws-disconnect", marker_source(markers))
    mock_route(v2, api_id, "mock", '{"mocked": "$context.routeKey", "said": $input.body}')
    deploy_ws(v2, api_id)
    return api_id


def receive_json(ws: ClientConnection) -> Any:
    return json.loads(ws.recv(timeout=30))


def whoami(ws: ClientConnection) -> str:
    ws.send(json.dumps({"action": "whoami"}))
    return str(ws.recv(timeout=30))


def assert_pushed_by_host(
    server: Server, ws: ClientConnection, host: str, prefix: str, data: bytes
) -> None:
    """PostToConnection at `{prefix}/@connections/{id}` of `host` reaches the client."""
    connection_id = whoami(ws)
    answer = httpx.post(
        f"{server.gateway}{prefix}/@connections/{connection_id}",
        headers={"Host": host},
        content=data,
    )
    assert answer.status_code == 200
    assert ws.recv(timeout=30) == data.decode()


def management(server: Server, api_id: str) -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=stage_url(server, api_id, "dev"),
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def ws(server: Server, chat: str) -> Iterator[ClientConnection]:
    with connect(ws_url(server, chat, "dev"), open_timeout=30) as connection:
        yield connection


def test_route_by_action_sends_the_lambda_proxy_event(
    ws: ClientConnection, chat: str, server: Server
) -> None:
    ws.send(json.dumps({"action": "echo", "text": "hi"}))
    event = receive_json(ws)["event"]
    assert set(event) == {"requestContext", "body", "isBase64Encoded"}
    assert event["body"] == '{"action": "echo", "text": "hi"}'
    assert event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["routeKey"] == "echo"
    assert ctx["eventType"] == "MESSAGE"
    assert ctx["messageDirection"] == "IN"
    assert ctx["stage"] == "dev"
    assert ctx["apiId"] == chat
    assert ctx["requestId"] == ctx["extendedRequestId"]
    assert len(ctx["messageId"]) == 16 and len(ctx["connectionId"]) == 16
    assert ctx["identity"] == {
        "sourceIp": "127.0.0.1",
        "userAgent": ws.request.headers["User-Agent"],
    }
    assert ctx["connectedAt"] <= ctx["requestTimeEpoch"]
    assert ctx["domainName"] == server.gateway.removeprefix("http://") + f"/_aws/execute-api/{chat}"
    assert "authorizer" not in ctx


def test_two_way_mock_route_renders_its_integration_response(ws: ClientConnection) -> None:
    ws.send('{"action": "mock", "n": 1}')
    assert receive_json(ws) == {"mocked": "mock", "said": {"action": "mock", "n": 1}}


def test_unknown_action_without_default_gets_the_forbidden_frame(ws: ClientConnection) -> None:
    connection_id = whoami(ws)
    ws.send(json.dumps({"action": "nothing-here"}))
    frame = receive_json(ws)
    assert frame["message"] == "Forbidden"
    assert frame["connectionId"] == connection_id
    assert len(frame["requestId"]) == 16
    ws.send("not json")  # non-JSON goes to $default, which this API lacks
    assert receive_json(ws)["message"] == "Forbidden"


def test_one_way_route_sends_nothing_back(ws: ClientConnection) -> None:
    ws.send(json.dumps({"action": "oneway"}))
    ws.send(json.dumps({"action": "mock"}))
    # the one-way route's answer is discarded: the next frame is the MOCK route's
    assert receive_json(ws)["mocked"] == "mock"


def test_post_get_delete_connection_through_boto3(
    server: Server, chat: str, ws: ClientConnection
) -> None:
    client = management(server, chat)
    connection_id = whoami(ws)
    client.post_to_connection(ConnectionId=connection_id, Data=b"pushed")
    assert ws.recv(timeout=30) == "pushed"
    info = client.get_connection(ConnectionId=connection_id)
    assert info["Identity"] == {
        "SourceIp": "127.0.0.1",
        "UserAgent": ws.request.headers["User-Agent"],
    }
    assert info["ConnectedAt"] <= info["LastActiveAt"]
    client.delete_connection(ConnectionId=connection_id)
    with pytest.raises(ConnectionClosed):
        ws.recv(timeout=30)
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId=connection_id, Data=b"late")


def test_gone_and_payload_too_large_on_the_wire(
    server: Server, chat: str, ws: ClientConnection
) -> None:
    url = stage_url(server, chat, "dev") + "/@connections/"
    gone = httpx.post(url + "Tm9TdWNoQ29ubmVjdA%3D%3D", content=b"x")
    assert gone.status_code == 410
    assert gone.headers["x-amzn-ErrorType"] == "GoneException"
    assert gone.content == b""
    connection_id = whoami(ws)
    big = httpx.post(url + connection_id.replace("=", "%3D"), content=b"x" * (128 * 1024 + 1))
    assert big.status_code == 413
    assert big.headers["x-amzn-ErrorType"] == "PayloadTooLargeException"
    assert big.json() == {"message": "Message too long"}


def test_other_methods_and_paths_of_the_connections_api(
    server: Server, chat: str, ws: ClientConnection
) -> None:
    url = stage_url(server, chat, "dev") + "/@connections/"
    connection_id = whoami(ws).replace("=", "%3D")
    put = httpx.put(url + connection_id, content=b"x")
    assert put.status_code == 405
    assert put.headers["x-amzn-ErrorType"] == "MethodNotAllowedException"
    assert put.json() == {"message": "Method Not Allowed"}
    nested = httpx.get(url + connection_id + "/more")
    assert nested.status_code == 404
    assert nested.headers["x-amzn-ErrorType"] == "NotFoundException"
    assert nested.json() == {"message": "Not Found"}


def test_host_based_connection_and_management(server: Server, chat: str) -> None:
    port = urlsplit(server.gateway).port
    assert port is not None
    host = f"{server.host(chat)}:{port}"
    sock = socket.create_connection(("127.0.0.1", port))
    with connect(f"ws://{host}/dev", sock=sock, open_timeout=30) as ws:
        ws.send(json.dumps({"action": "echo"}))
        assert receive_json(ws)["event"]["requestContext"]["domainName"] == host
        assert_pushed_by_host(server, ws, host, "/dev", b"by host")


def test_post_to_connection_from_inside_a_lambda_handler(server: Server, chat: str) -> None:
    with (
        connect(ws_url(server, chat, "dev"), open_timeout=30) as alice,
        connect(ws_url(server, chat, "dev"), open_timeout=30) as bob,
    ):
        bob_id = whoami(bob)
        alice.send(
            json.dumps({"action": "send", "to": [bob_id, "R29uZUdvbmVHb25l"], "data": "hello bob"})
        )
        assert bob.recv(timeout=30) == "hello bob"
        assert receive_json(alice) == {"gone": ["R29uZUdvbmVHb25l"]}


def test_disconnect_is_delivered_with_the_close_code(
    server: Server, chat: str, markers: Path
) -> None:
    with connect(ws_url(server, chat, "dev"), open_timeout=30) as ws:
        connection_id = whoami(ws)
        ws.close(code=4000, reason="bye now")
    marker = markers / connection_id.replace("/", "_")
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    event = json.loads(marker.read_text())
    ctx = event["requestContext"]
    assert ctx["eventType"] == "DISCONNECT"
    assert ctx["routeKey"] == "$disconnect"
    assert ctx["disconnectStatusCode"] == 4000
    assert ctx["disconnectReason"] == "bye now"
    assert "User-Agent" in event["headers"]
    with pytest.raises(management(server, chat).exceptions.GoneException):
        management(server, chat).get_connection(ConnectionId=connection_id)


def test_subprotocol_chosen_by_the_connect_function(server: Server, chat: str) -> None:
    with connect(
        ws_url(server, chat, "dev"), subprotocols=["chat.v2", "chat.v1"], open_timeout=30
    ) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "chat.v2"


def test_connect_function_refusal_is_the_upgrade_status(server: Server, chat: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(server, chat, "dev", "refuse=1"), open_timeout=30)
    assert refused.value.response.status_code == 400
    assert refused.value.response.body == b"refused"


def test_binary_frame_closes_with_1003(ws: ClientConnection) -> None:
    ws.send(b"\x00\x01")
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=30)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1003


def test_default_route_takes_non_json_and_unmatched(server: Server, v2: Any, lam: Any) -> None:
    api_id = new_ws_api(v2, "defaults", "${request.body.service}/${request.body.action}")
    lambda_route(v2, lam, api_id, "$default", "ws-echo", None, two_way=True)
    lambda_route(v2, lam, api_id, "chat/join", "ws-echo", None, two_way=True)
    deploy_ws(v2, api_id)
    with connect(ws_url(server, api_id, "dev"), open_timeout=30) as ws:
        ws.send('{"service": "chat", "action": "join"}')
        assert receive_json(ws)["event"]["requestContext"]["routeKey"] == "chat/join"
        ws.send("plain text")
        event = receive_json(ws)["event"]
        assert (event["requestContext"]["routeKey"], event["body"]) == ("$default", "plain text")
        ws.send('{"service": "chat"}')
        assert receive_json(ws)["event"]["requestContext"]["routeKey"] == "$default"


def test_failing_integration_sends_the_internal_server_error_frame(
    server: Server, v2: Any, lam: Any
) -> None:
    api_id = new_ws_api(v2, "failing")
    lambda_route(
        v2, lam, api_id, "boom", "ws-boom", "def handler(e, c):\n    raise ValueError('x')\n"
    )
    deploy_ws(v2, api_id)
    with connect(ws_url(server, api_id, "dev"), open_timeout=30) as ws:
        ws.send('{"action": "boom"}')
        frame = receive_json(ws)
        assert frame["message"] == "Internal server error"
        assert set(frame) == {"message", "connectionId", "requestId"}


@pytest.fixture(scope="module")
def guarded(server: Server, v2: Any, lam: Any) -> str:
    api_id = new_ws_api(v2, "guarded")
    from tests.e2e.conftest import ACCOUNT, create_function, lambda_uri

    create_function(
        lam,
        "ws-authorizer",
        AUTHORIZER,
        source_arn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*",
    )
    authorizer = v2.create_authorizer(
        ApiId=api_id,
        AuthorizerType="REQUEST",
        Name="token",
        AuthorizerUri=lambda_uri("ws-authorizer"),
        IdentitySource=["route.request.querystring.token"],
    )
    lambda_route(
        v2, lam, api_id, "$connect", "ws-echo", None,
        AuthorizationType="CUSTOM", AuthorizerId=authorizer["AuthorizerId"],
    )  # fmt: skip
    lambda_route(v2, lam, api_id, "echo", "ws-echo", None, two_way=True)
    deploy_ws(v2, api_id)
    return api_id


@pytest.mark.parametrize(("query", "status"), [("", 401), ("token=bad", 401), ("token=no", 403)])
def test_authorizer_refusals(server: Server, guarded: str, query: str, status: int) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(server, guarded, "dev", query), open_timeout=30)
    assert refused.value.response.status_code == status
    message = "Unauthorized" if status == 401 else "Forbidden"
    assert json.loads(refused.value.response.body) == {"message": message}


def test_authorizer_allows_and_its_context_reaches_the_routes(server: Server, guarded: str) -> None:
    with connect(ws_url(server, guarded, "dev", "token=good"), open_timeout=30) as ws:
        ws.send('{"action": "echo"}')
        ctx = receive_json(ws)["event"]["requestContext"]
    assert ctx["authorizer"] == {"principalId": "user-1", "plan": "gold", "level": "3"}


def test_plain_http_to_the_stage_is_forbidden(server: Server, chat: str) -> None:
    answer = httpx.get(stage_url(server, chat, "dev"))
    assert answer.status_code == 403
    assert answer.json() == {"message": "Forbidden"}


def test_reachable_through_a_custom_domain_mapping(server: Server, v2: Any, chat: str) -> None:
    domain = f"ws-{uuid.uuid4().hex[:8]}.example.com"
    v2.create_domain_name(
        DomainName=domain,
        DomainNameConfigurations=[
            {
                "CertificateArn": f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/placeholder",
                "EndpointType": "REGIONAL",
            }
        ],
    )
    v2.create_api_mapping(DomainName=domain, ApiId=chat, Stage="dev", ApiMappingKey="chat")
    port = urlsplit(server.gateway).port
    assert port is not None
    sock = socket.create_connection(("127.0.0.1", port))
    with connect(f"ws://{domain}:{port}/chat", sock=sock, open_timeout=30) as ws:
        assert_pushed_by_host(server, ws, domain, "/chat", b"via the domain")

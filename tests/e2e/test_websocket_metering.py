"""WebSocket API keys on `$connect`, route throttling and the new-connection rate (spec §5.9,
§6.3, §13.6), end to end: keys and usage plans through boto3's `apigateway`, the API and its
stage settings through `apigatewayv2`, the `websockets` client against the gateway."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.e2e.conftest import Server, aws_error, start_server
from tests.e2e.ws_helpers import lambda_route, mock_route, new_ws_api, ws_url

IDENTITY = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"]["identity"])}
"""


def refusal(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """The status and JSON body of a refused upgrade."""
    with pytest.raises(InvalidStatus) as refused:
        connect(url, additional_headers=headers, open_timeout=30)
    response = refused.value.response
    return response.status_code, json.loads(response.body)


def mock_connect(v2: Any, api_id: str, **route: Any) -> None:
    integration = v2.create_integration(ApiId=api_id, IntegrationType="MOCK")
    v2.create_route(
        ApiId=api_id,
        RouteKey="$connect",
        Target=f"integrations/{integration['IntegrationId']}",
        **route,
    )


def deploy(v2: Any, api_id: str, **stage: Any) -> None:
    v2.create_stage(ApiId=api_id, StageName="dev", **stage)
    v2.create_deployment(ApiId=api_id, StageName="dev")


def new_key(apigw: Any, api_id: str, **plan: Any) -> str:
    """A new enabled key in a new usage plan for the API's `dev` stage: its value."""
    value = uuid.uuid4().hex + uuid.uuid4().hex
    key = apigw.create_api_key(name=f"k-{value[:8]}", enabled=True, value=value)
    usage_plan = apigw.create_usage_plan(
        name=f"p-{value[:8]}", apiStages=[{"apiId": api_id, "stage": "dev"}], **plan
    )
    apigw.create_usage_plan_key(usagePlanId=usage_plan["id"], keyId=key["id"], keyType="API_KEY")
    return value


@pytest.fixture(scope="module")
def keyed(server: Server) -> str:
    v2 = server.client("apigatewayv2")
    api_id = new_ws_api(v2, "keyed")
    mock_connect(v2, api_id, ApiKeyRequired=True)
    lambda_route(
        v2, server.client("lambda"), api_id, "$default", "ws-key-identity", IDENTITY, two_way=True
    )
    deploy(v2, api_id)
    return api_id


def test_connect_without_a_valid_key_is_refused_403(server: Server, keyed: str) -> None:
    url = ws_url(server, keyed, "dev")
    assert refusal(url) == (403, {"message": "Forbidden"})
    assert refusal(url, {"x-api-key": "not-a-key-of-anyone-here"}) == (
        403,
        {"message": "Forbidden"},
    )


def test_a_key_in_a_plan_connects_and_reaches_the_events(
    server: Server, apigw: Any, keyed: str
) -> None:
    value = new_key(apigw, keyed)
    with connect(
        ws_url(server, keyed, "dev"), additional_headers={"X-API-Key": value}, open_timeout=30
    ) as ws:
        ws.send("who")
        identity = json.loads(ws.recv(timeout=30))
    assert identity["apiKey"] == value
    assert identity["apiKeyId"] == apigw.get_api_keys(nameQuery=f"k-{value[:8]}")["items"][0]["id"]


def test_the_quota_counts_connections_not_messages(server: Server, apigw: Any, keyed: str) -> None:
    value = new_key(apigw, keyed, quota={"limit": 2, "period": "DAY"})
    url, headers = ws_url(server, keyed, "dev"), {"x-api-key": value}
    with connect(url, additional_headers=headers, open_timeout=30) as ws:
        for _ in range(3):
            ws.send("who")
            assert json.loads(ws.recv(timeout=30))["apiKey"] == value
    with connect(url, additional_headers=headers, open_timeout=30):
        pass
    assert refusal(url, headers) == (429, {"message": "Limit Exceeded"})


def test_route_settings_throttle_messages_with_the_error_frame(server: Server) -> None:
    v2 = server.client("apigatewayv2")
    api_id = new_ws_api(v2, "throttled")
    mock_route(v2, api_id, "send", "sent")
    mock_route(v2, api_id, "$default", "other")
    # a rate so low that no token comes back during the test: the burst is the budget
    deploy(v2, api_id, RouteSettings={"send": {"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 0.001}})  # fmt: skip
    with connect(ws_url(server, api_id, "dev"), open_timeout=30) as ws:
        for _ in range(3):
            ws.send('{"action": "send"}')
        frames = [ws.recv(timeout=30) for _ in range(3)]
        ws.send('{"action": "else"}')
        assert ws.recv(timeout=30) == "other"  # another route: its own budget
    assert sorted(f for f in frames if f == "sent") == ["sent", "sent"]
    (throttled,) = [json.loads(f) for f in frames if f != "sent"]
    assert list(throttled) == ["message", "connectionId", "requestId"]
    assert throttled["message"] == "Too Many Requests"


def test_connect_route_settings_throttle_the_upgrade_429(server: Server) -> None:
    v2 = server.client("apigatewayv2")
    api_id = new_ws_api(v2, "throttled-connect")
    mock_connect(v2, api_id)
    deploy(v2, api_id, DefaultRouteSettings={"ThrottlingBurstLimit": 1, "ThrottlingRateLimit": 0.001})  # fmt: skip
    url = ws_url(server, api_id, "dev")
    with connect(url, open_timeout=30):
        pass
    assert refusal(url) == (429, {"message": "Too Many Requests"})


@pytest.fixture(scope="module")
def slow_connections(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("ws-rate") / "data",
        args=("--websocket-connection-rate", "0.001"),  # a burst of 1, no refill in the test
    )
    yield running
    running.stop()


def test_the_new_connection_rate_refuses_with_429(slow_connections: Server) -> None:
    v2 = slow_connections.client("apigatewayv2")
    api_id = new_ws_api(v2, "rate")
    mock_route(v2, api_id, "$default", "hi")
    deploy(v2, api_id)
    url = ws_url(slow_connections, api_id, "dev")
    with connect(url, open_timeout=30) as ws:
        ws.send("x")
        assert ws.recv(timeout=30) == "hi"
    assert refusal(url) == (429, {"message": "Too Many Requests"})


def test_usage_plans_take_websocket_stages_not_http_api_ones(server: Server, apigw: Any) -> None:
    v2 = server.client("apigatewayv2")
    http_api = v2.create_api(Name="http", ProtocolType="HTTP")["ApiId"]
    v2.create_stage(ApiId=http_api, StageName="dev")
    status, code, message = aws_error(
        apigw.create_usage_plan, name="http", apiStages=[{"apiId": http_api, "stage": "dev"}]
    )
    assert (status, code) == (404, "NotFoundException")
    # the plan's id, generated before the check, ends the message
    assert message.startswith(
        f"Invalid API Stage {{api: {http_api}, stage: dev}} specified for usageplan "
    )

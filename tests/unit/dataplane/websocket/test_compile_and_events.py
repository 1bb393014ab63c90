"""Compiling a WebSocket stage (routes, two-way, refusals and warnings) and the Lambda
events it sends (spec §13.3, §13.4, §5.10), with a scripted function host."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from tests.unit.dataplane.conftest import RecordingUpstream
from tests.unit.dataplane.http_api.conftest import FUNCTION_URI, FakeFunctions

from tollway.dataplane.integrations import IntegrationServices
from tollway.dataplane.websocket.compile import compile_stage
from tollway.dataplane.websocket.events import (
    Connection,
    authorizer_event,
    connect_event,
    disconnect_event,
    message_event,
    request_context,
)
from tollway.dataplane.websocket.integrations import IntegrationFailed, LambdaProxy, parse_answer
from tollway.dataplane.websocket.session import error_frame
from tollway.model.http_api import ApiDefinition, empty_definition

API_ID = "w1s2o3c4k5"


def definition(expression: str = "$request.body.action") -> ApiDefinition:
    return empty_definition(
        {
            "ApiId": API_ID,
            "Name": "ws",
            "ProtocolType": "WEBSOCKET",
            "RouteSelectionExpression": expression,
        }
    )


def add_route(
    d: ApiDefinition, key: str, kind: str = "AWS_PROXY", two_way: bool = False, **route: Any
) -> None:
    n = str(len(d["Routes"]))
    d["Integrations"]["i" + n] = {
        "IntegrationId": "i" + n,
        "IntegrationType": kind,
        "IntegrationUri": FUNCTION_URI if kind == "AWS_PROXY" else "https://example.com",
    }
    d["Routes"]["r" + n] = {
        "RouteId": "r" + n,
        "RouteKey": key,
        "Target": "integrations/i" + n,
        **route,
    }  # type: ignore[typeddict-item]
    if two_way:
        d["Routes"]["r" + n]["RouteResponseSelectionExpression"] = "$default"  # type: ignore[typeddict-unknown-key]
        d["RouteResponses"]["r" + n] = {"x": {"RouteResponseKey": "$default"}}


def services(functions: FakeFunctions | None = None) -> IntegrationServices:
    return IntegrationServices(
        RecordingUpstream(), functions or FakeFunctions(), "us-east-1", "000000000000"
    )


def connection(**changes: Any) -> Connection:
    values: dict[str, Any] = {
        "connection_id": "R1kmxc2VNjMCFIA=",
        "api_id": API_ID,
        "stage": "dev",
        "domain_name": f"{API_ID}.execute-api.localhost:8080",
        "source_ip": "127.0.0.1",
        "user_agent": "test-agent",
        "connected_at": 1_700_000_000.5,
        "headers": [("Host", "h"), ("X-Multi", "a"), ("X-Multi", "b")],
        "query_string": "token=t&x=1&x=2",
        "stage_variables": {"v": "1"},
    }
    values.update(changes)
    return Connection(**values)


def test_routes_two_way_and_default() -> None:
    d = definition()
    add_route(d, "$connect")
    add_route(d, "echo", two_way=True)
    add_route(d, "$default")
    stage = compile_stage(d, "dep1", {"StageName": "dev"}, services())
    assert stage.connect is not None and stage.disconnect is None
    assert stage.warnings == []
    echo = stage.route_for({"action": "echo"}, True)
    assert echo is not None and echo.key == "echo" and echo.two_way
    fallback = stage.route_for({"action": "other"}, True)
    assert fallback is not None and fallback.key == "$default" and not fallback.two_way
    assert stage.route_for(None, False) is fallback


def test_no_default_means_no_route() -> None:
    d = definition()
    add_route(d, "echo")
    stage = compile_stage(d, "dep1", {"StageName": "dev"}, services())
    assert stage.route_for({"action": "nope"}, True) is None
    assert stage.route_for(None, False) is None


def test_unsupported_features_are_named_in_warnings() -> None:
    d = definition()
    add_route(d, "$connect", AuthorizationType="AWS_IAM")
    add_route(d, "templated", kind="AWS", ApiKeyRequired=True)
    stage_settings = {
        "StageName": "dev",
        "DefaultRouteSettings": {"ThrottlingRateLimit": 5.0, "LoggingLevel": "INFO"},
    }
    stage = compile_stage(d, "dep1", stage_settings, services())  # type: ignore[arg-type]
    assert stage.iam is not None and stage.refusal is None
    assert stage.warnings == [
        "route templated: ApiKeyRequired is applied on $connect only (the key is checked when "
        "the connection is made)",
        "AWS_IAM authorization: no identities are configured (--identities FILE), so every "
        "request is refused",
        "route templated: AWS integrations with services other than Lambda on WebSocket APIs "
        "are not supported by Tollway yet",
        "the stage's logging settings (LoggingLevel, DetailedMetricsEnabled, AccessLogSettings) "
        "are not applied to WebSocket APIs yet",
    ]


async def test_unsupported_integration_fails_at_run_time() -> None:
    d = definition()
    add_route(d, "sqs", kind="AWS")
    stage = compile_stage(d, "dep1", {"StageName": "dev"}, services())
    route = stage.routes["sqs"]
    assert route.integration is not None
    with pytest.raises(IntegrationFailed, match="services other than Lambda"):
        await route.integration.call("sqs", {})


async def test_lambda_route_calls_with_the_route_source_arn() -> None:
    functions = FakeFunctions(answer=b'{"statusCode": 200, "body": "hi"}')
    d = definition()
    add_route(d, "echo", two_way=True)
    stage = compile_stage(d, "dep1", {"StageName": "dev"}, services(functions))
    integration = stage.routes["echo"].integration
    assert isinstance(integration, LambdaProxy)
    outcome = await integration.call("echo", {"body": "x"})
    assert outcome.body == "hi" and outcome.status == 200
    call = functions.calls[0]
    assert call["source_arn"] == f"arn:aws:execute-api:us-east-1:000000000000:{API_ID}/dev/echo"
    assert call["principal"] == "apigateway.amazonaws.com"
    assert orjson.loads(call["payload"]) == {"body": "x"}


async def test_function_error_fails_with_502() -> None:
    functions = FakeFunctions(answer=b'{"errorMessage": "boom"}', function_error="Unhandled")
    d = definition()
    add_route(d, "echo")
    stage = compile_stage(d, "dep1", {"StageName": "dev"}, services(functions))
    integration = stage.routes["echo"].integration
    assert integration is not None
    with pytest.raises(IntegrationFailed) as failed:
        await integration.call("echo", {})
    assert failed.value.status == 502


@pytest.mark.parametrize(
    ("payload", "status", "headers", "body"),
    [
        ('{"statusCode": 401}', 401, {}, None),
        ('{"statusCode": "201", "body": "b"}', 201, {}, "b"),
        (
            '{"headers": {"Sec-WebSocket-Protocol": "p"}}',
            200,
            {"Sec-WebSocket-Protocol": "p"},
            None,
        ),
        ('{"body": {"a": 1}}', 200, {}, '{"a":1}'),
        ("null", 200, {}, None),
        ('"text"', 200, {}, '"text"'),
    ],
)
def test_parse_answer(payload: str, status: int, headers: dict[str, str], body: str | None) -> None:
    outcome = parse_answer(payload)
    assert (outcome.status, outcome.headers, outcome.body) == (status, headers, body)


@pytest.mark.parametrize("payload", ["not json", '{"statusCode": "abc"}', '{"headers": []}'])
def test_malformed_answers_fail_with_502(payload: str) -> None:
    with pytest.raises(IntegrationFailed) as failed:
        parse_answer(payload)
    assert failed.value.status == 502


def test_message_event_has_no_headers() -> None:
    conn = connection(authorizer={"principalId": "me", "k": "v"})
    context = request_context(conn, "echo", "MESSAGE", now=1_700_000_001.25)
    event = message_event(context, '{"action":"echo"}')
    assert set(event) == {"requestContext", "body", "isBase64Encoded"}
    ctx = event["requestContext"]
    assert {
        k: v for k, v in ctx.items() if k not in ("requestId", "extendedRequestId", "messageId")
    } == {
        "routeKey": "echo",
        "eventType": "MESSAGE",
        "requestTime": "14/Nov/2023:22:13:21 +0000",
        "messageDirection": "IN",
        "stage": "dev",
        "connectedAt": 1_700_000_000_500,
        "requestTimeEpoch": 1_700_000_001_250,
        "identity": {"sourceIp": "127.0.0.1", "userAgent": "test-agent"},
        "domainName": f"{API_ID}.execute-api.localhost:8080",
        "connectionId": "R1kmxc2VNjMCFIA=",
        "apiId": API_ID,
        "authorizer": {"principalId": "me", "k": "v"},
    }
    assert ctx["requestId"] == ctx["extendedRequestId"]
    assert len(ctx["messageId"]) == 16 and ctx["messageId"] != ctx["requestId"]


def test_connect_event_headers_and_query() -> None:
    conn = connection()
    event = connect_event(conn, request_context(conn, "$connect", "CONNECT"))
    assert event["headers"] == {"Host": "h", "X-Multi": "b"}
    assert event["multiValueHeaders"] == {"Host": ["h"], "X-Multi": ["a", "b"]}
    assert event["queryStringParameters"] == {"token": "t", "x": "2"}
    assert event["multiValueQueryStringParameters"] == {"token": ["t"], "x": ["1", "2"]}
    assert event["isBase64Encoded"] is False
    assert "messageId" not in event["requestContext"]
    assert "body" not in event


def test_connect_event_without_query() -> None:
    conn = connection(query_string="")
    event = connect_event(conn, request_context(conn, "$connect", "CONNECT"))
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None


def test_disconnect_event_carries_the_close() -> None:
    conn = connection()
    context = request_context(conn, "$disconnect", "DISCONNECT")
    event = disconnect_event(conn, context, 1001, "Going away")
    assert event["requestContext"]["disconnectStatusCode"] == 1001
    assert event["requestContext"]["disconnectReason"] == "Going away"
    assert event["requestContext"]["eventType"] == "DISCONNECT"
    assert "queryStringParameters" not in event and "headers" in event


def test_authorizer_event() -> None:
    conn = connection()
    arn = f"arn:aws:execute-api:us-east-1:000000000000:{API_ID}/dev/$connect"
    event = authorizer_event(conn, request_context(conn, "$connect", "CONNECT"), arn)
    assert event["type"] == "REQUEST"
    assert event["methodArn"] == arn
    assert event["stageVariables"] == {"v": "1"}
    assert event["queryStringParameters"] == {"token": "t", "x": "2"}
    assert "pathParameters" not in event


def test_error_frame_is_awss_shape() -> None:
    assert error_frame("Forbidden", "abc=", "req=") == (
        '{"message": "Forbidden", "connectionId":"abc=", "requestId":"req="}'
    )

"""WebSocket HTTP_PROXY, HTTP and AWS (Lambda, non-proxy) integrations end to end (spec §13.3,
§4.4): real HTTP backends on loopback (the `upstream` echo server), functions created through
the Lambda API, request templates chosen by the template selection expression, passthrough
behaviours, request parameters, and integration responses chosen by status code or a Lambda
error's message."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import ACCOUNT, REGION, Server, create_function, lambda_uri, serve_http
from tests.e2e.ws_helpers import _route, deploy_ws, new_ws_api, ws_url

FUNCTION = """
import json
def handler(event, context):
    fail = event["said"].get("fail")
    if fail:
        raise Exception("boom: " + fail)
    return {"got": event}
"""

CONNECT_FUNCTION = """
def handler(event, context):
    if event.get("token") != "open":
        raise Exception("closed")
    return {"ok": True}
"""


@pytest.fixture(scope="module")
def v2(server: Server) -> Any:
    return server.client("apigatewayv2")


def integration(v2: Any, api_id: str, **fields: Any) -> str:
    return str(v2.create_integration(ApiId=api_id, **fields)["IntegrationId"])


def response(v2: Any, api_id: str, integration_id: str, key: str, **fields: Any) -> None:
    v2.create_integration_response(
        ApiId=api_id, IntegrationId=integration_id, IntegrationResponseKey=key, **fields
    )


def http_route(
    v2: Any, api_id: str, key: str, uri: str, responses: dict[str, dict[str, Any]], **fields: Any
) -> None:
    """A two-way route to an HTTP (non-proxy) integration with `responses` by key."""
    fields.setdefault("IntegrationMethod", "POST")
    integration_id = integration(v2, api_id, IntegrationType="HTTP", IntegrationUri=uri, **fields)
    for response_key, members in responses.items():
        response(v2, api_id, integration_id, response_key, **members)
    _route(v2, api_id, key, integration_id, True)


@pytest.fixture(scope="module")
def http_api(server: Server, v2: Any, upstream: str) -> str:
    """`$connect` through HTTP_PROXY to `/status/{code}` (the code from the query string);
    `proxy` (HTTP_PROXY, two-way), `http` (HTTP with templates), `missing` (HTTP, a 404 the
    `$default` response maps), `never` (NEVER passthrough), `nomatch` (no `$default`), `validated` (HTTP_PROXY with
    request models by `kind`: only `a`)."""
    api_id = new_ws_api(v2, "ws-http")
    connect_id = integration(
        v2, api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
        IntegrationUri=f"{upstream}/status/{{code}}",
        RequestParameters={"integration.request.path.code": "route.request.querystring.code"},
    )  # fmt: skip
    _route(v2, api_id, "$connect", connect_id, False)
    proxy_id = integration(
        v2, api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="PUT",
        IntegrationUri=f"{upstream}/proxied",
        RequestParameters={
            "integration.request.header.connectionId": "context.connectionId",
            "integration.request.header.X-Fixed": "'fixed'",
            "integration.request.querystring.route": "context.routeKey",
        },
    )  # fmt: skip
    _route(v2, api_id, "proxy", proxy_id, True)
    http_route(
        v2, api_id, "http", f"{upstream}/mapped",
        {
            "/2\\d\\d/": {"ResponseTemplates": {"$default": '{"sent": $input.json(\'$.body\'), '
                          '"path": "$input.path(\'$.path\')", "route": "$context.routeKey"}'}},
            "$default": {"ResponseTemplates": {"$default": '"unexpected"'}},
        },
        TemplateSelectionExpression="${request.body.kind}",
        RequestTemplates={
            "a": '{"kindA": "$input.path(\'$.v\')", "conn": "$context.connectionId"}',
            "$default": '{"other": $input.json(\'$.v\'), "event": "$context.eventType"}',
        },
    )  # fmt: skip
    http_route(
        v2, api_id, "missing", f"{upstream}/status/404",
        {
            "/2\\d\\d/": {"ResponseTemplates": {"$default": "fine"}},
            "$default": {
                "TemplateSelectionExpression": "${integration.response.statuscode}",
                "ResponseTemplates": {"404": '{"status": "$input.path(\'$.path\')"}',
                                      "$default": "other"},
            },
        },
        IntegrationMethod="GET",
    )  # fmt: skip
    http_route(
        v2, api_id, "never", f"{upstream}/never", {"$default": {}}, PassthroughBehavior="NEVER",
        TemplateSelectionExpression="${request.body.kind}",
        RequestTemplates={"known": '{"known": true}'},
    )  # fmt: skip
    http_route(
        v2, api_id, "nomatch", f"{upstream}/status/500",
        {"/2\\d\\d/": {"ResponseTemplates": {"$default": "fine"}}},
    )  # fmt: skip
    schema = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
    v2.create_model(ApiId=api_id, Name="Message", Schema=json.dumps(schema))
    _route(v2, api_id, "validated", proxy_id, True, ModelSelectionExpression="${request.body.kind}",
           RequestModels={"a": "Message"})  # fmt: skip
    deploy_ws(v2, api_id)
    return api_id


@pytest.fixture
def ws(server: Server, http_api: str) -> Iterator[ClientConnection]:
    with connect(ws_url(server, http_api, "dev", "code=200"), open_timeout=30) as connection:
        yield connection


def exchange(ws: ClientConnection, message: dict[str, Any]) -> Any:
    ws.send(json.dumps(message))
    return json.loads(ws.recv(timeout=30))


def headers_of(echoed: dict[str, Any]) -> dict[str, str]:
    return {k.lower(): v for k, v in echoed["headers"]}


def test_http_proxy_sends_the_message_and_returns_the_backend_body(ws: ClientConnection) -> None:
    message = {"action": "proxy", "text": "hi"}
    echoed = exchange(ws, message)
    assert echoed["method"] == "PUT"
    assert echoed["path"] == "/proxied"
    assert echoed["query"] == "route=proxy"
    assert echoed["body"] == json.dumps(message)
    headers = headers_of(echoed)
    assert headers["x-fixed"] == "fixed"
    assert len(headers["connectionid"]) == 16


def test_http_proxy_connect_status_decides_the_handshake(server: Server, http_api: str) -> None:
    with connect(ws_url(server, http_api, "dev", "code=201"), open_timeout=30) as accepted:
        accepted.send(json.dumps({"action": "proxy"}))
        assert json.loads(accepted.recv(timeout=30))["method"] == "PUT"
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(server, http_api, "dev", "code=401"), open_timeout=30)
    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body)["path"] == "/status/401"


def test_http_request_template_chosen_by_the_message(ws: ClientConnection) -> None:
    first = exchange(ws, {"action": "http", "kind": "a", "v": "x"})
    assert first["path"] == "/mapped"
    assert first["route"] == "http"
    sent = json.loads(first["sent"])
    assert sent["kindA"] == "x"
    assert len(sent["conn"]) == 16
    other = exchange(ws, {"action": "http", "kind": "zzz", "v": [1, 2]})
    assert json.loads(other["sent"]) == {"other": [1, 2], "event": "MESSAGE"}


def test_http_integration_response_selected_by_status(ws: ClientConnection) -> None:
    assert exchange(ws, {"action": "missing"}) == {"status": "/status/404"}


def test_never_passthrough_without_a_template_fails(ws: ClientConnection) -> None:
    ws.send(json.dumps({"action": "never", "kind": "known"}))
    assert json.loads(ws.recv(timeout=30))["body"] == '{"known": true}'
    frame = exchange(ws, {"action": "never", "kind": "unknown"})
    assert frame["message"] == "Internal server error"
    assert set(frame) == {"message", "connectionId", "requestId"}


def test_no_matching_integration_response_fails(ws: ClientConnection) -> None:
    assert exchange(ws, {"action": "nomatch"})["message"] == "Internal server error"


def test_request_models_validate_messages_before_the_backend(ws: ClientConnection) -> None:
    valid = {"action": "validated", "kind": "a", "text": "hi"}
    assert exchange(ws, valid)["body"] == json.dumps(valid)
    for invalid in (
        {"action": "validated", "kind": "a", "text": 3},  # breaks the schema
        {"action": "validated", "kind": "a"},  # misses a required member
        {"action": "validated", "kind": "b", "text": "hi"},  # no model and no $default
    ):
        frame = exchange(ws, invalid)
        assert frame["message"] == "Invalid request body"
        assert set(frame) == {"message", "connectionId", "requestId"}


class _Recorder(BaseHTTPRequestHandler):
    """Records each request's method, path and headers; answers 200."""

    seen: ClassVar[list[tuple[str, str, dict[str, str]]]] = []

    def do_DELETE(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.seen.append((self.command, self.path, headers))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def recorder() -> Iterator[str]:
    yield from serve_http(_Recorder)


def test_http_proxy_disconnect_carries_the_handshake_headers(
    server: Server, v2: Any, recorder: str
) -> None:
    api_id = new_ws_api(v2, "ws-disconnect")
    disconnect_id = integration(
        v2, api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="DELETE",
        IntegrationUri=f"{recorder}/gone",
        RequestParameters={"integration.request.header.connectionId": "context.connectionId"},
    )  # fmt: skip
    _route(v2, api_id, "$disconnect", disconnect_id, False)
    deploy_ws(v2, api_id)
    with connect(ws_url(server, api_id, "dev"), additional_headers={"X-Client": "c1"}):
        pass
    deadline = time.monotonic() + 30
    while not _Recorder.seen and time.monotonic() < deadline:
        time.sleep(0.05)
    method, path, headers = _Recorder.seen[0]
    assert (method, path) == ("DELETE", "/gone")
    assert headers["x-client"] == "c1"
    assert len(headers["connectionid"]) == 16
    assert not [name for name in headers if name.startswith("sec-websocket-")]
    assert "upgrade" not in headers


# --- AWS (Lambda, non-proxy) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def lambda_api(server: Server, v2: Any, lam: Any) -> str:
    """`$connect` (AWS, a template from the query string), `work` (AWS, two-way) whose errors
    `/boom.*/` maps."""
    api_id = new_ws_api(v2, "ws-lambda")
    source_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*"
    create_function(lam, "ws-custom", FUNCTION, source_arn=source_arn)
    create_function(lam, "ws-custom-connect", CONNECT_FUNCTION, source_arn=source_arn)
    connect_id = integration(
        v2, api_id, IntegrationType="AWS", IntegrationUri=lambda_uri("ws-custom-connect"),
        RequestTemplates={"$default": '{"token": "$input.params(\'token\')"}'},
    )  # fmt: skip
    response(v2, api_id, connect_id, "$default")
    _route(v2, api_id, "$connect", connect_id, False)
    work_id = integration(
        v2, api_id, IntegrationType="AWS", IntegrationUri=lambda_uri("ws-custom"),
        TemplateSelectionExpression="\\$default",
        RequestTemplates={"$default": '{"said": $input.body, "route": "$context.routeKey", '
                          '"stage": "$stageVariables.color"}'},
    )  # fmt: skip
    response(v2, api_id, work_id, "$default")
    response(
        v2, api_id, work_id, "/boom.*/",
        ResponseTemplates={"$default": '{"failed": "$input.path(\'$.errorMessage\')"}'},
    )  # fmt: skip
    _route(v2, api_id, "work", work_id, True)
    v2.create_stage(ApiId=api_id, StageName="dev", StageVariables={"color": "blue"})
    v2.create_deployment(ApiId=api_id, StageName="dev")
    return api_id


def test_lambda_non_proxy_gets_the_template_and_answers(server: Server, lambda_api: str) -> None:
    with connect(ws_url(server, lambda_api, "dev", "token=open"), open_timeout=30) as ws:
        message = {"action": "work", "n": 1}
        answer = exchange(ws, message)
        assert answer == {"got": {"said": message, "route": "work", "stage": "blue"}}
        assert exchange(ws, {"action": "work", "fail": "x"}) == {"failed": "boom: x"}


def test_lambda_non_proxy_connect_error_refuses(server: Server, lambda_api: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(server, lambda_api, "dev", "token=shut"), open_timeout=30)
    assert refused.value.response.status_code == 500

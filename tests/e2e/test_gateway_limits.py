"""Limits, transport and the headers every answer carries, end to end (spec §11.4, §12):
the 10 MB payload limit, malformed HTTP, `x-amzn-RequestId`/`x-amz-apigw-id`/`X-Amzn-Trace-Id`,
Content-Length framing, the access log (CLF by default, a stage's own format otherwise) and
the gateway's health endpoint."""

from __future__ import annotations

import json
import re
import socket
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import (
    Server,
    add_method,
    add_path,
    create_function,
    deploy,
    lambda_uri,
    mock_method,
    new_api,
)

TEN_MB = 10 * 1024 * 1024
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
EXTENDED_ID = re.compile(r"[A-Za-z0-9+/]{15}=")
TRACE_ID = re.compile(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}")
JSON_PRESET = (
    '{ "requestId":"$context.requestId", "extendedRequestId":"$context.extendedRequestId", '
    '"ip": "$context.identity.sourceIp", "caller":"$context.identity.caller", '
    '"user":"$context.identity.user", "requestTime":"$context.requestTime", '
    '"httpMethod":"$context.httpMethod", "resourcePath":"$context.resourcePath", '
    '"status":"$context.status", "protocol":"$context.protocol", '
    '"responseLength":"$context.responseLength" }'
)
REQUEST_TIME = r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000"


@pytest.fixture(scope="module")
def api(apigw: Any, lam: Any, upstream: str) -> str:
    """MOCK, HTTP_PROXY, HTTP and AWS_PROXY methods side by side."""
    api_id, root = new_api(apigw, f"limits-{uuid.uuid4().hex[:8]}")
    mock_method(apigw, api_id, add_path(apigw, api_id, root, "/mock"), "POST", "accepted")
    mock_method(apigw, api_id, add_path(apigw, api_id, root, "/mock"), "GET", "mocked")
    mock_method(apigw, api_id, add_path(apigw, api_id, root, "/logged/{id}"), "GET", "logged")
    add_method(
        apigw,
        api_id,
        add_path(apigw, api_id, root, "/proxy"),
        "ANY",
        {"type": "HTTP_PROXY", "integrationHttpMethod": "ANY", "uri": f"{upstream}/proxied"},
    )
    http_resource = add_path(apigw, api_id, root, "/http")
    add_method(
        apigw,
        api_id,
        http_resource,
        "GET",
        {"type": "HTTP", "integrationHttpMethod": "GET", "uri": f"{upstream}/plain"},
    )
    apigw.put_method_response(
        restApiId=api_id, resourceId=http_resource, httpMethod="GET", statusCode="200"
    )
    apigw.put_integration_response(
        restApiId=api_id, resourceId=http_resource, httpMethod="GET", statusCode="200"
    )
    function = f"fn-{uuid.uuid4().hex[:8]}"
    create_function(lam, function, "def handler(e, c):\n    return {'body': 'from-lambda'}\n")
    add_method(
        apigw,
        api_id,
        add_path(apigw, api_id, root, "/lambda"),
        "GET",
        {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(function)},
    )
    deploy(apigw, api_id, "test")
    return api_id


# --- payload size ---------------------------------------------------------------------------


def test_request_body_over_10_mb_is_413(server: Server, api: str, http: httpx.Client) -> None:
    response = http.post(
        server.url(api, "test", "/mock"),
        content=b"a" * (TEN_MB + 1),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}
    assert UUID.fullmatch(response.headers["x-amzn-RequestId"])


def test_request_body_of_10_mb_passes(server: Server, api: str, http: httpx.Client) -> None:
    response = http.post(
        server.url(api, "test", "/mock"),
        content=b"a" * TEN_MB,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert response.text == "accepted"


def test_request_body_just_under_10_mb_reaches_the_upstream(
    server: Server, api: str, http: httpx.Client
) -> None:
    size = TEN_MB - 1024
    response = http.post(
        server.url(api, "test", "/proxy"),
        content=b"b" * size,
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 200
    assert len(response.json()["body"]) == size


def test_request_too_large_cannot_be_customised(
    server: Server, apigw: Any, http: httpx.Client
) -> None:
    """Doc known issues: customising REQUEST_TOO_LARGE is not supported (spec §10.1)."""
    api_id, root = new_api(apigw, f"limits-{uuid.uuid4().hex[:8]}")
    mock_method(apigw, api_id, add_path(apigw, api_id, root, "/mock"), "POST", "accepted")
    apigw.put_gateway_response(
        restApiId=api_id,
        responseType="REQUEST_TOO_LARGE",
        statusCode="418",
        responseParameters={"gatewayresponse.header.X-Custom": "'yes'"},
        responseTemplates={"application/json": '{"custom": true}'},
    )
    deploy(apigw, api_id, "test")
    response = http.post(
        server.url(api_id, "test", "/mock"),
        content=b"a" * (TEN_MB + 1),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}
    assert "X-Custom" not in response.headers


def test_the_connection_serves_again_after_a_413(
    server: Server, api: str, http: httpx.Client
) -> None:
    assert (
        http.post(
            server.url(api, "test", "/mock"),
            content=b"a" * (TEN_MB + 1),
            headers={"Content-Type": "application/json"},
        ).status_code
        == 413
    )
    response = http.get(server.url(api, "test", "/mock"))
    assert response.status_code == 200
    assert response.text == "mocked"


# --- malformed HTTP -------------------------------------------------------------------------


def _raw_exchange(server: Server, payload: bytes) -> bytes:
    """Sends raw bytes to the gateway; returns what it answers until it closes the
    connection (it does after a 400, and when the request says `Connection: close`)."""
    parts = urlsplit(server.gateway)
    with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=5) as sock:
        sock.sendall(payload)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize(
    "payload",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /_tollway/health HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
        b"GET /_tollway/health HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
    ],
)
def test_malformed_http_is_400_and_the_server_keeps_serving(
    server: Server, api: str, http: httpx.Client, payload: bytes
) -> None:
    answer = _raw_exchange(server, payload)
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert http.get(f"{server.gateway}/_tollway/health").status_code == 200
    assert http.get(server.url(api, "test", "/mock")).text == "mocked"


def test_raw_http_request_is_answered_with_content_length(server: Server, api: str) -> None:
    parts = urlsplit(server.url(api, "test", "/mock"))
    request = f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n"
    answer = _raw_exchange(server, request.encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    headers = {k.lower(): v for k, _, v in (line.partition(": ") for line in lines[1:])}
    assert "transfer-encoding" not in headers
    assert headers["content-length"] == str(len(body)) == "6"
    assert body == b"mocked"


# --- response headers -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/mock", "/proxy", "/http", "/lambda"])
def test_success_responses_carry_request_ids_and_content_length(
    server: Server, api: str, http: httpx.Client, path: str
) -> None:
    response = http.get(server.url(api, "test", path))
    assert response.status_code == 200
    assert UUID.fullmatch(response.headers["x-amzn-RequestId"])
    assert EXTENDED_ID.fullmatch(response.headers["x-amz-apigw-id"])
    assert response.headers["Content-Length"] == str(len(response.content))
    assert "Transfer-Encoding" not in response.headers
    assert len(response.headers.get_list("x-amzn-RequestId")) == 1


@pytest.mark.parametrize(
    ("path", "traced"), [("/lambda", True), ("/http", True), ("/mock", False), ("/proxy", False)]
)
def test_trace_header_only_on_lambda_aws_and_http_responses(
    server: Server, api: str, http: httpx.Client, path: str, traced: bool
) -> None:
    response = http.get(server.url(api, "test", path))
    assert response.status_code == 200
    if traced:
        assert TRACE_ID.fullmatch(response.headers["X-Amzn-Trace-Id"])
    else:
        assert "X-Amzn-Trace-Id" not in response.headers


def test_lambda_response_trace_id_is_the_one_forwarded(
    server: Server, api: str, http: httpx.Client
) -> None:
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793"
    response = http.get(server.url(api, "test", "/lambda"), headers={"X-Amzn-Trace-Id": trace})
    assert response.headers["X-Amzn-Trace-Id"].startswith(trace)


def test_health_endpoint(server: Server, http: httpx.Client) -> None:
    response = http.get(f"{server.gateway}/_tollway/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# --- access log -----------------------------------------------------------------------------


def _access_line(server: Server, request_id: str) -> str:
    """The access-log line that names `request_id` (lines are flushed about once a second)."""
    path = server.data_dir / "access.log"
    deadline = time.monotonic() + 5
    while True:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if request_id in line:
                    return line
        if time.monotonic() > deadline:
            raise AssertionError(f"no access-log line for request {request_id} in {path}")
        time.sleep(0.1)


def test_access_log_has_a_clf_line_per_request(
    server: Server, api: str, http: httpx.Client
) -> None:
    response = http.get(server.url(api, "test", "/logged/42"))
    assert response.status_code == 200
    request_id = response.headers["x-amzn-RequestId"]
    line = _access_line(server, request_id)
    extended = re.escape(response.headers["x-amz-apigw-id"])
    assert re.fullmatch(
        rf'127\.0\.0\.1 - - \[{REQUEST_TIME}\] "GET /logged/\{{id\}} HTTP/1\.1" 200 6 '
        rf"{request_id} {extended}",
        line,
    ), line


def test_access_log_records_gateway_errors(server: Server, api: str, http: httpx.Client) -> None:
    response = http.get(server.url(api, "test", "/not-a-route"))
    assert response.status_code == 403
    line = _access_line(server, response.headers["x-amzn-RequestId"])
    assert re.fullmatch(
        rf'127\.0\.0\.1 - - \[{REQUEST_TIME}\] "GET - HTTP/1\.1" 403 '
        rf"{len(response.content)} {response.headers['x-amzn-RequestId']} "
        rf"{re.escape(response.headers['x-amz-apigw-id'])}",
        line,
    ), line


def test_access_log_uses_the_stage_format(server: Server, apigw: Any, http: httpx.Client) -> None:
    api_id, root = new_api(apigw, f"limits-{uuid.uuid4().hex[:8]}")
    mock_method(apigw, api_id, add_path(apigw, api_id, root, "/json"), "GET", "json-logged")
    deploy(apigw, api_id, "test")
    apigw.update_stage(
        restApiId=api_id,
        stageName="test",
        patchOperations=[
            {
                "op": "replace",
                "path": "/accessLogSettings/destinationArn",
                "value": "arn:aws:logs:us-east-1:000000000000:log-group:tollway-e2e",
            },
            {"op": "replace", "path": "/accessLogSettings/format", "value": JSON_PRESET},
        ],
    )
    response = http.get(server.url(api_id, "test", "/json"))
    assert response.status_code == 200
    request_id = response.headers["x-amzn-RequestId"]
    entry = json.loads(_access_line(server, request_id))
    assert re.fullmatch(REQUEST_TIME, entry.pop("requestTime"))
    assert entry == {
        "requestId": request_id,
        "extendedRequestId": response.headers["x-amz-apigw-id"],
        "ip": "127.0.0.1",
        "caller": "-",
        "user": "-",
        "httpMethod": "GET",
        "resourcePath": "/json",
        "status": "200",
        "protocol": "HTTP/1.1",
        "responseLength": str(len("json-logged")),
    }


def test_head_and_expect_continue_round_trips(server: Server, api: str) -> None:
    """Responses go out in one write; HEAD (no body write) and `Expect: 100-continue` (an
    interim response) must still complete."""
    host, port = urlsplit(server.gateway).hostname, urlsplit(server.gateway).port
    assert host is not None and port is not None
    with socket.create_connection((host, port), timeout=10) as sock:
        path = f"/_aws/execute-api/{api}/test/mock"
        sock.sendall(f"HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        head = sock.recv(65536)
        assert head.startswith(b"HTTP/1.1 403 ") and head.endswith(b"\r\n\r\n")
        body = b"payload"
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        answer = b""
        while not answer.endswith(b"accepted"):
            answer += sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n")

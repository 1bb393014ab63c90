"""AWS_PROXY integrations end to end: functions created through the Lambda API, invoked
through the gateway with the payload 1.0 event, and their responses validated as AWS does
(spec §2.1, §2.3)."""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    ACCOUNT,
    Server,
    add_method,
    add_path,
    create_function,
    deploy,
    function_api,
    lambda_uri,
    new_api,
)

ECHO_EVENT = """
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"event": event, "request_id": context.aws_request_id})}
"""

# Returns whatever the request body says to return, to try proxy responses.
RETURN_BODY = """
import json
def handler(event, context):
    return json.loads(event["body"])
"""


def _proxy_api(
    apigw: Any,
    lam: Any,
    source: str,
    paths: list[str],
    stage_variables: dict[str, str] | None = None,
) -> tuple[str, str]:
    name = f"fn-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, source)
    api_id, root = new_api(apigw)
    for path in paths:
        resource = add_path(apigw, api_id, root, path) if path != "/" else root
        add_method(
            apigw,
            api_id,
            resource,
            "ANY",
            {
                "type": "AWS_PROXY",
                "integrationHttpMethod": "POST",
                "uri": lambda_uri(name),
            },
            requestParameters={},
        )
    deploy(apigw, api_id, "test", variables=stage_variables or {})
    return api_id, name


@pytest.fixture(scope="module")
def echo_api(apigw: Any, lam: Any) -> str:
    api_id, _ = _proxy_api(
        apigw, lam, ECHO_EVENT, ["/items/{id}", "/{proxy+}"], stage_variables={"color": "blue"}
    )
    return api_id


@pytest.fixture(scope="module")
def return_api(apigw: Any, lam: Any) -> str:
    api_id, _ = _proxy_api(apigw, lam, RETURN_BODY, ["/r"])
    return api_id


def test_event_has_every_field_aws_sends(server: Server, echo_api: str, http: httpx.Client) -> None:
    response = http.post(
        server.url(echo_api, "test", "/items/42?tag=a&tag=b&plus=x+y&enc=%2B"),
        headers={"tEsT-HEADeR": "v1", "Content-Type": "text/plain", "X-Multi": "one"},
        content=b"hello",
    )
    assert response.status_code == 200
    event = response.json()["event"]
    assert list(event) == [
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
        "body",
        "isBase64Encoded",
    ]
    assert event["resource"] == "/items/{id}"
    assert event["path"] == "/items/42"
    assert event["httpMethod"] == "POST"
    assert event["headers"]["tEsT-HEADeR"] == "v1"
    assert event["headers"]["Content-Type"] == "text/plain"
    assert event["multiValueHeaders"]["X-Multi"] == ["one"]
    assert "Content-Length" not in event["headers"] and "content-length" not in event["headers"]
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["headers"]["X-Forwarded-Proto"] == "http"
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", event["headers"]["X-Amzn-Trace-Id"])
    assert event["queryStringParameters"] == {"tag": "b", "plus": "x y", "enc": "+"}
    assert event["multiValueQueryStringParameters"] == {
        "tag": ["a", "b"],
        "plus": ["x y"],
        "enc": ["+"],
    }
    assert event["pathParameters"] == {"id": "42"}
    assert event["stageVariables"] == {"color": "blue"}
    assert event["body"] == "hello"
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["resourcePath"] == "/items/{id}"
    assert context["httpMethod"] == "POST"
    assert context["path"] == "/test/items/42"
    assert context["stage"] == "test"
    assert context["accountId"] == ACCOUNT
    assert context["apiId"] == echo_api
    assert context["protocol"] == "HTTP/1.1"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == response.request.headers["User-Agent"]
    assert context["identity"]["caller"] is None
    assert context["requestId"] == response.headers["x-amzn-RequestId"]
    assert context["extendedRequestId"] == response.headers["x-amz-apigw-id"]
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", context["requestTime"])
    assert isinstance(context["requestTimeEpoch"], int)
    assert re.fullmatch(r"[0-9a-f-]{36}", context["requestId"])


def test_absent_values_are_null(server: Server, echo_api: str, http: httpx.Client) -> None:
    event = http.get(server.url(echo_api, "test", "/items/7")).json()["event"]
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["body"] is None


def test_greedy_path_keeps_trailing_and_double_slashes(
    server: Server, echo_api: str, http: httpx.Client
) -> None:
    event = http.get(server.url(echo_api, "test", "/a//b/")).json()["event"]
    assert event["path"] == "/a//b/"
    assert event["pathParameters"] == {"proxy": "a//b"}
    assert event["resource"] == "/{proxy+}"
    assert event["requestContext"]["path"] == "/test/a//b/"


def test_path_values_stay_percent_encoded(
    server: Server, echo_api: str, http: httpx.Client
) -> None:
    event = http.get(server.url(echo_api, "test", "/items/test%2Balias@x.com")).json()["event"]
    assert event["pathParameters"] == {"id": "test%2Balias@x.com"}


def test_host_based_invocation(server: Server, echo_api: str, http: httpx.Client) -> None:
    response = http.get(f"{server.gateway}/test/items/5", headers={"Host": server.host(echo_api)})
    assert response.status_code == 200
    context = response.json()["event"]["requestContext"]
    assert context["domainName"] == f"{echo_api}.execute-api.localhost"
    assert context["domainPrefix"] == echo_api


@pytest.mark.parametrize(
    ("returned", "status", "body", "headers"),
    [
        ({"statusCode": 201, "body": "made"}, 201, b"made", {}),
        ({"statusCode": "202", "body": "text"}, 202, b"text", {}),
        ({"headers": {"X-A": "1"}}, 200, b"", {"X-A": "1"}),
        (
            {"statusCode": 200, "headers": {"X-Flag": True}, "body": ""},
            200,
            b"",
            {"X-Flag": "true"},
        ),
        ({"statusCode": 200, "headers": None, "body": "ok"}, 200, b"ok", {}),
        (
            {
                "statusCode": 200,
                "headers": {"test-multi": "value-solo"},
                "multiValueHeaders": {"test-multi": ["value-multi"]},
            },
            200,
            b"",
            {"test-multi": "value-multi, value-solo"},
        ),
        (
            {"statusCode": 200, "body": "dGVzdC1kYXRh", "isBase64Encoded": True},
            200,
            b"dGVzdC1kYXRh",
            {},
        ),
    ],
)
def test_valid_proxy_responses(
    server: Server,
    return_api: str,
    http: httpx.Client,
    returned: dict[str, Any],
    status: int,
    body: bytes,
    headers: dict[str, str],
) -> None:
    response = http.post(server.url(return_api, "test", "/r"), content=json.dumps(returned))
    assert response.status_code == status
    assert response.content == body
    for name, value in headers.items():
        assert response.headers[name] == value
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-RequestId"]


@pytest.mark.parametrize(
    "returned",
    [
        {"statusCode": 200, "wrongValue": "value"},
        {"statusCode": "abc"},
        "just a string",
        None,
        {"statusCode": 200, "multiValueHeaders": {"x": "not-a-list"}},
        {"statusCode": 200, "body": {"an": "object"}},
        {"statusCode": 200, "headers": {"X-Number": 5}},
    ],
)
def test_malformed_proxy_responses_are_502(
    server: Server, return_api: str, http: httpx.Client, returned: Any
) -> None:
    response = http.post(server.url(return_api, "test", "/r"), content=json.dumps(returned))
    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"


def test_base64_body_is_decoded_when_accept_is_a_binary_type(
    server: Server, apigw: Any, lam: Any, http: httpx.Client
) -> None:
    api_id, _ = _proxy_api(apigw, lam, RETURN_BODY, ["/bin"])
    apigw.update_rest_api(
        restApiId=api_id, patchOperations=[{"op": "add", "path": "/binaryMediaTypes/image~1png"}]
    )
    deploy(apigw, api_id, "test")
    returned = {
        "statusCode": 200,
        "headers": {"Content-Type": "image/png"},
        "body": base64.b64encode(b"\x89PNG").decode(),
        "isBase64Encoded": True,
    }
    response = http.post(
        server.url(api_id, "test", "/bin"),
        content=json.dumps(returned),
        headers={"Accept": "image/png"},
    )
    assert response.content == b"\x89PNG"
    binary = http.post(
        server.url(api_id, "test", "/bin"),
        content=b"\x00\x01",
        headers={"Content-Type": "image/png", "Accept": "image/png"},
    )
    assert binary.status_code == 502  # the event body was base64: not a JSON proxy response


def test_function_errors_are_502(server: Server, apigw: Any, lam: Any, http: httpx.Client) -> None:
    source = "def handler(event, context):\n    raise ValueError('boom')\n"
    api_id, _ = _proxy_api(apigw, lam, source, ["/fail"])
    response = http.get(server.url(api_id, "test", "/fail"))
    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}


def test_a_crash_or_timeout_costs_only_that_request(
    server: Server, apigw: Any, lam: Any, http: httpx.Client
) -> None:
    source = """
import os, time
def handler(event, context):
    what = (event.get("queryStringParameters") or {}).get("do")
    if what == "exit":
        os._exit(3)
    if what == "hang":
        time.sleep(60)
    return {"statusCode": 200, "body": "fine"}
"""
    name = f"fn-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, source, timeout=1)
    api_id = function_api(apigw, name)
    url = server.url(api_id, "test", "/")
    assert http.get(url, params={"do": "exit"}).status_code == 502
    assert http.get(url).text == "fine"
    assert http.get(url, params={"do": "hang"}).status_code == 502
    assert http.get(url).text == "fine"


def test_integration_timeout_is_504(
    server: Server, apigw: Any, lam: Any, http: httpx.Client
) -> None:
    source = "import time\ndef handler(e, c):\n    time.sleep(2)\n    return {'statusCode': 200}\n"
    name = f"fn-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, source, timeout=10)
    api_id = function_api(apigw, name, timeoutInMillis=200)
    response = http.get(server.url(api_id, "test", "/"))
    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}


def test_missing_permission_is_500(
    server: Server, apigw: Any, lam: Any, http: httpx.Client
) -> None:
    name = f"fn-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, ECHO_EVENT, permit=False)
    api_id = function_api(apigw, name)
    url = server.url(api_id, "test", "/")
    response = http.get(url)
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error"}
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    lam.add_permission(
        FunctionName=name,
        StatementId="s1",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*/GET/",
    )
    assert http.get(url).status_code == 200


def test_missing_function_is_500(server: Server, apigw: Any, http: httpx.Client) -> None:
    api_id = function_api(apigw, "no-such-function")
    response = http.get(server.url(api_id, "test", "/"))
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error"}


def test_non_post_integration_method_is_500(
    server: Server, apigw: Any, lam: Any, http: httpx.Client
) -> None:
    name = f"fn-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, ECHO_EVENT)
    api_id = function_api(apigw, name, integrationHttpMethod="GET")
    assert http.get(server.url(api_id, "test", "/")).status_code == 500


def test_stage_variables_choose_the_function(
    server: Server, apigw: Any, lam: Any, http: httpx.Client
) -> None:
    first, second = (f"fn-{uuid.uuid4().hex[:8]}" for _ in range(2))
    for name in (first, second):
        create_function(lam, name, f"def handler(e, c):\n    return {{'body': '{name}'}}\n")
    api_id, root = new_api(apigw)
    add_method(
        apigw,
        api_id,
        root,
        "GET",
        {
            "type": "AWS_PROXY",
            "integrationHttpMethod": "POST",
            "uri": lambda_uri("${stageVariables.fn}"),
        },
    )
    deploy(apigw, api_id, "one", variables={"fn": first})
    deploy(apigw, api_id, "two", variables={"fn": second})
    assert http.get(server.url(api_id, "one", "/")).text == first
    assert http.get(server.url(api_id, "two", "/")).text == second


def test_get_function_code_location_serves_the_package(lam: Any, http: httpx.Client) -> None:
    name = f"fn-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, ECHO_EVENT)
    location = lam.get_function(FunctionName=name)["Code"]["Location"]
    package = http.get(location)
    assert package.headers["Content-Type"] == "application/zip"
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        assert archive.read("app.py").decode() == ECHO_EVENT

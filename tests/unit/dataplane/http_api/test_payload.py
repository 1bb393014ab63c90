"""HTTP API Lambda payloads (spec §2.1-2.4): the 2.0 and 1.0 events field by field, and how
2.0 and 1.0 responses are read."""

from __future__ import annotations

import base64
import re

import orjson
import pytest
from tests.unit.dataplane.http_api.conftest import (
    API_ID,
    HOST,
    add_route,
    context,
    definition,
    stage,
)

from tollway.dataplane.errors import GatewayError, MalformedProxyResponse
from tollway.dataplane.http_api.payload import (
    event_v1,
    event_v2,
    is_text,
    response_v1,
    response_v2,
)

REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{15}=$")
CLF = re.compile(r"^\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000$")


def _named_stage_context(body: bytes = b"", content_type: str | None = None):  # type: ignore[no-untyped-def]
    api = definition()
    add_route(api, "POST /pets/{id}")
    compiled = stage(api, "dev", StageVariables={"color": "blue"})
    headers = [
        ("Host", HOST),
        ("User-Agent", "unit/1.0"),
        ("X-Multi", "a"),
        ("x-multi", "b"),
        ("Cookie", "c1=v1; c2=v2"),
        ("Cookie", "c3=v3"),
        ("X-Forwarded-For", "1.2.3.4"),
        ("Connection", "keep-alive"),
        ("Content-Length", "999"),
    ]
    if content_type:
        headers.append(("Content-Type", content_type))
    ctx = context(
        compiled,
        "POST",
        "/pets/7",
        raw_path="/dev/pets/7",
        headers=headers,
        body=body,
        query="a=1&a=2&b=x+y&c=%2B",
    )
    found = compiled.routes.match("POST", "/pets/7")
    assert found is not None
    ctx.route, ctx.path_parameters = found
    return ctx


def test_event_v2_field_by_field() -> None:
    ctx = _named_stage_context(b'{"a": 1}', "application/json")
    event = event_v2(ctx)
    context_ = event["requestContext"]
    assert REQUEST_ID.match(context_["requestId"])
    assert CLF.match(context_["time"])
    assert isinstance(context_["timeEpoch"], int)
    trace = event["headers"]["x-amzn-trace-id"]
    assert trace.startswith("Root=1-")
    assert event == {
        "version": "2.0",
        "routeKey": "POST /pets/{id}",
        "rawPath": "/dev/pets/7",
        "rawQueryString": "a=1&a=2&b=x+y&c=%2B",
        "cookies": ["c1=v1", "c2=v2", "c3=v3"],
        "headers": {
            "host": HOST,
            "user-agent": "unit/1.0",
            "x-multi": "a,b",
            "content-type": "application/json",
            "content-length": "8",
            "x-amzn-trace-id": trace,
            "x-forwarded-for": "1.2.3.4, 10.0.0.1",
            "x-forwarded-port": "8080",
            "x-forwarded-proto": "http",
        },
        "queryStringParameters": {"a": "1,2", "b": "x y", "c": "+"},
        "requestContext": {
            "accountId": "000000000000",
            "apiId": API_ID,
            "domainName": f"{API_ID}.execute-api.localhost",
            "domainPrefix": API_ID,
            "http": {
                "method": "POST",
                "path": "/dev/pets/7",
                "protocol": "HTTP/1.1",
                "sourceIp": "10.0.0.1",
                "userAgent": "unit/1.0",
            },
            "requestId": context_["requestId"],
            "routeKey": "POST /pets/{id}",
            "stage": "dev",
            "time": context_["time"],
            "timeEpoch": context_["timeEpoch"],
        },
        "body": '{"a": 1}',
        "pathParameters": {"id": "7"},
        "isBase64Encoded": False,
        "stageVariables": {"color": "blue"},
    }
    # The event's key order is the Doc's.
    assert list(event) == [
        "version", "routeKey", "rawPath", "rawQueryString", "cookies", "headers",
        "queryStringParameters", "requestContext", "body", "pathParameters",
        "isBase64Encoded", "stageVariables",
    ]  # fmt: skip


def test_event_v2_leaves_out_what_is_empty() -> None:
    api = definition()
    add_route(api, "$default")
    compiled = stage(api)
    ctx = context(compiled, "GET", "/")
    ctx.route = compiled.routes.default
    event = event_v2(ctx)
    assert set(event) == {
        "version", "routeKey", "rawPath", "rawQueryString", "headers", "requestContext",
        "isBase64Encoded",
    }  # fmt: skip
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "$default"
    assert event["rawPath"] == "/"
    assert event["rawQueryString"] == ""
    assert event["requestContext"]["stage"] == "$default"
    assert event["headers"]["content-length"] == "0"


@pytest.mark.parametrize(
    ("content_type", "text"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("text/html", True),
        ("TEXT/PLAIN", True),
        ("application/xml", True),
        ("application/javascript", True),
        ("application/x-www-form-urlencoded", False),
        ("application/octet-stream", False),
        ("image/png", False),
        (None, False),
    ],
)
def test_bodies_are_base64_unless_text(content_type: str | None, text: bool) -> None:
    assert is_text(content_type) is text
    ctx = _named_stage_context(b"a=1\xff", content_type)
    for event in (event_v2(ctx), event_v1(ctx)):
        if text:
            assert event["body"] == "a=1\ufffd"
            assert event["isBase64Encoded"] is False
        else:
            assert event["body"] == base64.b64encode(b"a=1\xff").decode()
            assert event["isBase64Encoded"] is True


def test_event_v1_field_by_field() -> None:
    ctx = _named_stage_context(b"hi", "text/plain")
    event = event_v1(ctx)
    context_ = event["requestContext"]
    trace = event["headers"]["X-Amzn-Trace-Id"]
    assert event == {
        "version": "1.0",
        "resource": "/pets/{id}",
        "path": "/dev/pets/7",
        "httpMethod": "POST",
        "headers": {
            "Host": HOST,
            "User-Agent": "unit/1.0",
            "X-Multi": "b",  # one header whatever the case: the last value
            "Cookie": "c3=v3",
            "Content-Type": "text/plain",
            "Content-Length": "2",
            "X-Amzn-Trace-Id": trace,
            "X-Forwarded-For": "1.2.3.4, 10.0.0.1",
            "X-Forwarded-Port": "8080",
            "X-Forwarded-Proto": "http",
        },
        "multiValueHeaders": {
            "Host": [HOST],
            "User-Agent": ["unit/1.0"],
            "X-Multi": ["a", "b"],
            "Cookie": ["c1=v1; c2=v2", "c3=v3"],
            "Content-Type": ["text/plain"],
            "Content-Length": ["2"],
            "X-Amzn-Trace-Id": [trace],
            "X-Forwarded-For": ["1.2.3.4, 10.0.0.1"],
            "X-Forwarded-Port": ["8080"],
            "X-Forwarded-Proto": ["http"],
        },
        "queryStringParameters": {"a": "2", "b": "x y", "c": "+"},
        "multiValueQueryStringParameters": {"a": ["1", "2"], "b": ["x y"], "c": ["+"]},
        "requestContext": {
            "accountId": "000000000000",
            "apiId": API_ID,
            "domainName": f"{API_ID}.execute-api.localhost",
            "domainPrefix": API_ID,
            "extendedRequestId": context_["requestId"],
            "httpMethod": "POST",
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoAmr": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": "10.0.0.1",
                "user": None,
                "userAgent": "unit/1.0",
                "userArn": None,
            },
            "path": "/dev/pets/7",
            "protocol": "HTTP/1.1",
            "requestId": context_["requestId"],
            "requestTime": context_["requestTime"],
            "requestTimeEpoch": context_["requestTimeEpoch"],
            "resourceId": "POST /pets/{id}",
            "resourcePath": "/pets/{id}",
            "stage": "dev",
        },
        "pathParameters": {"id": "7"},
        "stageVariables": {"color": "blue"},
        "body": "hi",
        "isBase64Encoded": False,
    }


def test_event_v1_for_the_default_route_and_no_values() -> None:
    api = definition()
    add_route(api, "$default")
    compiled = stage(api)
    ctx = context(compiled, "GET", "/x")
    ctx.route = compiled.routes.default
    event = event_v1(ctx)
    assert event["resource"] == "$default"
    assert event["requestContext"]["resourceId"] == "$default"
    assert event["requestContext"]["resourcePath"] == "$default"
    assert event["path"] == "/x"
    for key in ("queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
                "stageVariables", "body"):  # fmt: skip
        assert event[key] is None


@pytest.mark.parametrize(
    ("returned", "body"),
    [
        (b'{"message": "Hello from Lambda!"}', b'{"message": "Hello from Lambda!"}'),
        (b'"Hello from Lambda!"', b"Hello from Lambda!"),
        (b"[1, 2]", b"[1, 2]"),
        (b"42", b"42"),
        (b"null", b"null"),
    ],
)
def test_v2_infers_a_response_without_status_code(returned: bytes, body: bytes) -> None:
    response = response_v2(returned)
    assert (response.status, response.headers, response.body) == (
        200,
        [("Content-Type", "application/json")],
        body,
    )


def test_v2_explicit_response_with_cookies_and_headers() -> None:
    response = response_v2(
        orjson.dumps(
            {
                "statusCode": 201,
                "headers": {"X-Answer": "yes", "Content-Length": "1", "X-Number": 5},
                "cookies": ["a=1; Path=/", "b=2"],
                "body": "made",
                "multiValueHeaders": {"X-Ignored": ["1"]},
            }
        )
    )
    assert response.status == 201
    assert response.headers == [
        ("X-Answer", "yes"),
        ("X-Number", "5"),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Set-Cookie", "a=1; Path=/"),
        ("Set-Cookie", "b=2"),
    ]
    assert response.body == b"made"


def test_v2_base64_bodies_are_always_decoded() -> None:
    response = response_v2(
        orjson.dumps(
            {
                "statusCode": "200",
                "headers": {"content-type": "image/png"},
                "body": base64.b64encode(b"\x89PNG").decode(),
                "isBase64Encoded": True,
            }
        )
    )
    assert (response.status, response.body) == (200, b"\x89PNG")
    assert response.headers == [("content-type", "image/png")]


@pytest.mark.parametrize(
    "document",
    [
        {"statusCode": "abc"},
        {"statusCode": 99},
        {"statusCode": True},
        {"statusCode": 200, "headers": []},
        {"statusCode": 200, "headers": {"a": ["x"]}},
        {"statusCode": 200, "cookies": "a=1"},
        {"statusCode": 200, "cookies": [1]},
        {"statusCode": 200, "body": {"a": 1}},
        {"statusCode": 200, "body": "!!", "isBase64Encoded": True},
    ],
)
def test_v2_malformed_responses(document: dict[str, object]) -> None:
    # Each is a typed error the HTTP API renders as 500 Internal Server Error.
    with pytest.raises(GatewayError):
        response_v2(orjson.dumps(document))


def test_v2_not_json_is_malformed() -> None:
    with pytest.raises(MalformedProxyResponse):
        response_v2(b"not json")


def test_v1_is_rests_proxy_response_with_base64_always_decoded() -> None:
    response = response_v1(
        orjson.dumps({"statusCode": 202, "body": base64.b64encode(b"bin").decode(),
                      "isBase64Encoded": True, "multiValueHeaders": {"X-A": ["1", "2"]}})
    )  # fmt: skip
    assert response.status == 202
    assert response.body == b"bin"
    assert response.headers == [("X-A", "1"), ("X-A", "2"), ("Content-Type", "application/json")]
    with pytest.raises(MalformedProxyResponse):
        response_v1(b'{"statusCode": 200, "unknown": 1}')
    with pytest.raises(MalformedProxyResponse):
        response_v1(b'"just a string"')

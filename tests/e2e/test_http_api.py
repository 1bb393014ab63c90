"""HTTP APIs end to end: APIs made with boto3 `apigatewayv2` against the real server, invoked
with httpx (spec §1.1, §1.5, §2.2-2.4, §3.2, §11.2, §12.1): quick create against a Lambda
function and against a loopback HTTP server, AWS's route priority, the payload 2.0 and 1.0
events field by field (the function returns its event), Lambda responses, named and
`$default` stages, HTTP_PROXY forwarding and timeout, 404s, `apigw-requestid`, the access
log."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    access_log_entries,
    create_function,
    function_arn,
)

RETURN_EVENT = """
def handler(event, context):
    return event
"""

RETURN_EVENT_V1 = """
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(event)}
"""

# Answers with what the request body says (a JSON document); /raise raises.
RESPOND = """
import json
def handler(event, context):
    if event["rawPath"].endswith("/raise"):
        raise ValueError("boom")
    return json.loads(event["body"])
"""

REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{15}=$")
CLF = re.compile(r"^\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000$")
NOT_FOUND = b'{"message":"Not Found"}'
INTERNAL = b'{"message":"Internal Server Error"}'


@pytest.fixture(scope="module")
def v2(server: Server) -> Any:
    return server.client("apigatewayv2")


def _function(lam: Any, source: str) -> str:
    """A function API Gateway may call from any API, stage and route; its ARN."""
    name = f"http-{uuid.uuid4().hex[:8]}"
    # Any API, stage and route: the $default route's ARN (`{api}/{stage}/$default`) has one
    # segment fewer than the `*/*/*/*` REST tests allow.
    create_function(lam, name, source, source_arn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*")
    return function_arn(name)


def _url(server: Server, api_id: str, path: str) -> str:
    """Path-based invocation: the path includes a named stage's segment, or not."""
    return f"{server.gateway}/_aws/execute-api/{api_id}{path}"


def _routes_api(v2: Any, integration: dict[str, Any], routes: list[str],
                stage: str | None = "dev", **stage_fields: Any) -> str:  # fmt: skip
    """An API whose routes all target one integration, deployed to `stage`."""
    api_id = str(v2.create_api(Name="http-e2e", ProtocolType="HTTP")["ApiId"])
    integration_id = v2.create_integration(ApiId=api_id, **integration)["IntegrationId"]
    for key in routes:
        v2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration_id}")
    if stage is not None:
        v2.create_stage(ApiId=api_id, StageName=stage, **stage_fields)
        v2.create_deployment(ApiId=api_id, StageName=stage)
    return api_id


def _lambda(arn: str, version: str = "2.0") -> dict[str, Any]:
    return {"IntegrationType": "AWS_PROXY", "IntegrationUri": arn, "PayloadFormatVersion": version}


@pytest.fixture(scope="module")
def echo(lam: Any) -> str:
    return _function(lam, RETURN_EVENT)


@pytest.fixture(scope="module")
def respond(lam: Any) -> str:
    return _function(lam, RESPOND)


def test_quick_create_with_a_lambda_function(
    v2: Any, echo: str, server: Server, http: httpx.Client
) -> None:
    api_id = v2.create_api(Name="quick", ProtocolType="HTTP", Target=echo)["ApiId"]
    response = http.post(
        f"{server.gateway}/any/path?b=2&a=1&a=3",
        headers={"Host": server.host(api_id), "Content-Type": "application/json",
                 "Cookie": "c1=v1; c2=v2", "X-Multi": "x", "User-Agent": "e2e/1"},
        content=b'{"k": "v"}',
    )  # fmt: skip
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    request_id = response.headers["apigw-requestid"]
    assert REQUEST_ID.match(request_id)
    event = response.json()
    context = event["requestContext"]
    assert CLF.match(context["time"])
    assert abs(context["timeEpoch"] / 1000 - time.time()) < 60
    headers = event["headers"]
    assert headers["x-amzn-trace-id"].startswith("Root=1-")
    assert event == {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/any/path",
        "rawQueryString": "b=2&a=1&a=3",
        "cookies": ["c1=v1", "c2=v2"],
        "headers": {
            "host": server.host(api_id),
            "accept": "*/*",
            "accept-encoding": headers["accept-encoding"],
            "content-type": "application/json",
            "x-multi": "x",
            "user-agent": "e2e/1",
            "content-length": "10",
            "x-amzn-trace-id": headers["x-amzn-trace-id"],
            "x-forwarded-for": "127.0.0.1",
            "x-forwarded-port": server.gateway.rsplit(":", 1)[1],
            "x-forwarded-proto": "http",
        },
        "queryStringParameters": {"b": "2", "a": "1,3"},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": api_id,
            "domainName": server.host(api_id),
            "domainPrefix": api_id,
            "http": {
                "method": "POST",
                "path": "/any/path",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "e2e/1",
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": context["time"],
            "timeEpoch": context["timeEpoch"],
        },
        "body": '{"k": "v"}',
        "isBase64Encoded": False,
    }
    # Path-based invocation of the $default stage: no stage segment either.
    again = http.get(_url(server, api_id, "/other"))
    assert again.json()["rawPath"] == "/other"


def test_quick_create_with_an_http_backend(
    v2: Any, upstream: str, server: Server, http: httpx.Client
) -> None:
    api_id = v2.create_api(Name="quick-http", ProtocolType="HTTP", Target=upstream)["ApiId"]
    response = http.put(
        _url(server, api_id, "/store/checkout?q=1&q=2"),
        headers={"X-Forwarded-For": "203.0.113.9", "X-Custom": "c"},
        content=b"order",
    )
    assert response.status_code == 200
    assert REQUEST_ID.match(response.headers["apigw-requestid"])
    assert response.headers["x-upstream"] == "echo"
    echoed = response.json()
    assert (echoed["method"], echoed["path"], echoed["query"], echoed["body"]) == (
        "PUT", "/store/checkout", "q=1&q=2", "order",
    )  # fmt: skip
    sent = {k.lower(): v for k, v in echoed["headers"]}
    host = server.gateway.removeprefix("http://")
    assert (
        sent["forwarded"] == f"for=203.0.113.9, by=127.0.0.1;for=127.0.0.1;host={host};proto=http"
    )
    assert sent["x-custom"] == "c"
    assert sent["x-amzn-trace-id"].startswith("Root=1-")
    assert "x-forwarded-for" not in sent


ROUTES = ["GET /pets/dog/1", "GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /{proxy+}",
          "$default", "GET /", "GET /items/{id}"]  # fmt: skip


@pytest.fixture(scope="module")
def routed(v2: Any, echo: str) -> str:
    return _routes_api(v2, _lambda(echo), ROUTES, StageVariables={"color": "blue"})


@pytest.mark.parametrize(
    ("method", "path", "route_key", "parameters"),
    [
        ("GET", "/pets/dog/1", "GET /pets/dog/1", None),
        ("GET", "/pets/dog/2", "GET /pets/dog/{id}", {"id": "2"}),
        ("GET", "/pets/cat/1", "GET /pets/{proxy+}", {"proxy": "cat/1"}),
        ("POST", "/test/5", "ANY /{proxy+}", {"proxy": "test/5"}),
        ("POST", "/pets/dog/1", "ANY /{proxy+}", {"proxy": "pets/dog/1"}),
        ("GET", "/", "GET /", None),
        ("DELETE", "/", "$default", None),
        ("GET", "/items/7", "GET /items/{id}", {"id": "7"}),
    ],
)
def test_route_priority(server: Server, http: httpx.Client, routed: str, method: str,
                        path: str, route_key: str, parameters: dict[str, str] | None) -> None:  # fmt: skip
    response = http.request(method, _url(server, routed, "/dev" + path))
    assert response.status_code == 200
    event = response.json()
    assert event["routeKey"] == event["requestContext"]["routeKey"] == route_key
    assert event.get("pathParameters") == parameters
    assert event["rawPath"] == event["requestContext"]["http"]["path"] == "/dev" + path
    assert event["requestContext"]["stage"] == "dev"
    assert event["stageVariables"] == {"color": "blue"}


def test_no_route_and_no_stage_are_404(
    v2: Any, echo: str, server: Server, http: httpx.Client
) -> None:
    api_id = _routes_api(v2, _lambda(echo), ["GET /pets"])
    for path in ("/dev/cats", "/dev/pets/", "/pets"):  # no route; no $default stage
        response = http.get(_url(server, api_id, path))
        assert response.status_code == 404, path
        assert response.content == NOT_FOUND
        assert response.headers["content-type"] == "application/json"
        assert REQUEST_ID.match(response.headers["apigw-requestid"])
        assert "x-amzn-errortype" not in response.headers
        assert "x-amzn-requestid" not in response.headers
    host_based = http.post(f"{server.gateway}/dev/pets", headers={"Host": server.host(api_id)})
    assert (host_based.status_code, host_based.content) == (404, NOT_FOUND)


def test_named_and_default_stages(v2: Any, echo: str, server: Server, http: httpx.Client) -> None:
    api_id = _routes_api(v2, _lambda(echo), ["GET /a"], stage="$default")
    first = v2.get_stages(ApiId=api_id)["Items"][0]["DeploymentId"]
    integration = v2.get_integrations(ApiId=api_id)["Items"][0]["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey="GET /b", Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api_id, StageName="dev", DeploymentId=first)  # only GET /a
    v2.create_stage(ApiId=api_id, StageName="empty")  # no deployment: serves nothing
    v2.create_deployment(ApiId=api_id, StageName="$default")  # GET /a and GET /b

    def route_of(path: str) -> tuple[int, str | None]:
        response = http.get(_url(server, api_id, path))
        if response.status_code != 200:
            return response.status_code, None
        event = response.json()
        return 200, f"{event['requestContext']['stage']} {event['routeKey']} {event['rawPath']}"

    assert route_of("/a") == (200, "$default GET /a /a")
    assert route_of("/b") == (200, "$default GET /b /b")
    assert route_of("/dev/a") == (200, "dev GET /a /dev/a")
    assert route_of("/dev/b") == (404, None)  # dev serves the first deployment
    assert route_of("/empty/a") == (404, None)  # falls to $default, which has no /empty/a
    v2.delete_stage(ApiId=api_id, StageName="$default")
    assert route_of("/a") == (404, None)
    assert route_of("/dev/a") == (200, "dev GET /a /dev/a")


def test_payload_1_0_event_field_by_field(
    v2: Any, lam: Any, server: Server, http: httpx.Client
) -> None:
    arn = _function(lam, RETURN_EVENT_V1)
    api_id = _routes_api(v2, _lambda(arn, "1.0"), ["POST /pets/{id}"])
    response = http.post(
        _url(server, api_id, "/dev/pets/9?a=1&a=2"),
        headers={"User-Agent": "e2e/1", "X-Multi": "x"},
        content=b"\x00\x01",  # no Content-Type: base64
    )
    assert response.status_code == 200
    request_id = response.headers["apigw-requestid"]
    event = response.json()
    context = event["requestContext"]
    headers = event["multiValueHeaders"]
    trace = headers["X-Amzn-Trace-Id"]
    assert event == {
        "version": "1.0",
        "resource": "/pets/{id}",
        "path": "/dev/pets/9",
        "httpMethod": "POST",
        "headers": {k: v[-1] for k, v in headers.items()},
        "multiValueHeaders": {
            "Host": [server.gateway.removeprefix("http://")],
            "Accept": ["*/*"],
            "Accept-Encoding": headers["Accept-Encoding"],
            "User-Agent": ["e2e/1"],
            "X-Multi": ["x"],
            "Content-Length": ["2"],
            "X-Amzn-Trace-Id": trace,
            "X-Forwarded-For": ["127.0.0.1"],
            "X-Forwarded-Port": [server.gateway.rsplit(":", 1)[1]],
            "X-Forwarded-Proto": ["http"],
        },
        "queryStringParameters": {"a": "2"},
        "multiValueQueryStringParameters": {"a": ["1", "2"]},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": api_id,
            "domainName": "127.0.0.1",
            "domainPrefix": "127",
            "extendedRequestId": request_id,
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
                "sourceIp": "127.0.0.1",
                "user": None,
                "userAgent": "e2e/1",
                "userArn": None,
            },
            "path": "/dev/pets/9",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": context["requestTime"],
            "requestTimeEpoch": context["requestTimeEpoch"],
            "resourceId": "POST /pets/{id}",
            "resourcePath": "/pets/{id}",
            "stage": "dev",
        },
        "pathParameters": {"id": "9"},
        "stageVariables": None,
        "body": "AAE=",
        "isBase64Encoded": True,
    }


@pytest.fixture(scope="module")
def responding(v2: Any, respond: str) -> str:
    return _routes_api(v2, _lambda(respond), ["POST /{proxy+}"])


def _respond(server: Server, http: httpx.Client, api_id: str, answer: Any,
             path: str = "/dev/r") -> httpx.Response:  # fmt: skip
    return http.post(_url(server, api_id, path), json=answer)


def test_v2_responses_inferred(server: Server, http: httpx.Client, responding: str) -> None:
    response = _respond(server, http, responding, {"message": "Hello from Lambda!"})
    assert (response.status_code, response.headers["content-type"]) == (200, "application/json")
    # The body is the function's JSON as the Lambda host serialised it.
    assert json.loads(response.content) == {"message": "Hello from Lambda!"}
    response = _respond(server, http, responding, "Hello from Lambda!")
    assert (response.status_code, response.headers["content-type"]) == (200, "application/json")
    assert response.content == b"Hello from Lambda!"


def test_v2_responses_explicit(server: Server, http: httpx.Client, responding: str) -> None:
    response = _respond(server, http, responding, {
        "statusCode": 201, "headers": {"X-Answer": "yes"}, "cookies": ["a=1; Path=/", "b=2"],
        "body": "made",
    })  # fmt: skip
    assert response.status_code == 201
    assert response.content == b"made"
    assert response.headers["x-answer"] == "yes"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2"]
    assert REQUEST_ID.match(response.headers["apigw-requestid"])
    binary = _respond(server, http, responding, {
        "statusCode": 200, "headers": {"Content-Type": "image/png"},
        "body": base64.b64encode(b"\x89PNG\x00").decode(), "isBase64Encoded": True,
    })  # fmt: skip
    assert (binary.status_code, binary.content) == (200, b"\x89PNG\x00")


def test_v2_function_errors_and_malformed_responses_are_500(
    server: Server, http: httpx.Client, responding: str
) -> None:
    for answer, path in (({"statusCode": "teapot"}, "/dev/r"), ({}, "/dev/raise")):
        response = _respond(server, http, responding, answer, path)
        assert (response.status_code, response.content) == (500, INTERNAL)
        assert response.headers["content-type"] == "application/json"
        assert REQUEST_ID.match(response.headers["apigw-requestid"])


def test_http_proxy_path_query_and_errors(
    v2: Any, upstream: str, server: Server, http: httpx.Client
) -> None:
    api_id = str(v2.create_api(Name="proxy", ProtocolType="HTTP")["ApiId"])

    def route(key: str, uri: str, **fields: Any) -> None:
        integration = v2.create_integration(
            ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationUri=uri,
            IntegrationMethod="ANY", PayloadFormatVersion="1.0", **fields,
        )  # fmt: skip
        v2.create_route(
            ApiId=api_id, RouteKey=key, Target=f"integrations/{integration['IntegrationId']}"
        )

    route("ANY /api/{proxy+}", upstream + "/base/{proxy}")
    route("GET /slow", upstream + "/slow", TimeoutInMillis=300)
    route("GET /down", "http://127.0.0.1:9/nothing")
    route("GET /status", upstream + "/status/418")
    v2.create_stage(ApiId=api_id, StageName="live")
    v2.create_deployment(ApiId=api_id, StageName="live")

    response = http.delete(_url(server, api_id, "/live/api/a/b%20c?x=1&y=%2F"))
    echoed = response.json()
    assert (response.status_code, echoed["method"]) == (200, "DELETE")
    assert (echoed["path"], echoed["query"]) == ("/base/a/b%20c", "x=1&y=%2F")

    response = http.get(_url(server, api_id, "/live/status"))
    assert response.status_code == 418  # the backend's status passes through

    response = http.get(_url(server, api_id, "/live/slow?s=3"))
    assert (response.status_code, response.content) == (503, b'{"message":"Service Unavailable"}')
    assert REQUEST_ID.match(response.headers["apigw-requestid"])

    response = http.get(_url(server, api_id, "/live/down"))
    assert (response.status_code, response.content) == (500, INTERNAL)
    assert REQUEST_ID.match(response.headers["apigw-requestid"])


def test_access_log_uses_the_stage_format(
    v2: Any, echo: str, server: Server, http: httpx.Client
) -> None:
    api_id = _routes_api(
        v2, _lambda(echo), ["GET /logged"], stage="logs",
        AccessLogSettings={
            "DestinationArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:http-e2e",
            "Format": '{"requestId":"$context.requestId","routeKey":"$context.routeKey",'
                      '"status":"$context.status","path":"$context.path","api":"$context.apiId"}',
        },
    )  # fmt: skip
    response = http.get(_url(server, api_id, "/logs/logged"))
    request_id = response.headers["apigw-requestid"]
    missing = http.get(_url(server, api_id, "/logs/missing"))
    expected = [
        {"requestId": request_id, "routeKey": "GET /logged", "status": "200",
         "path": "/logs/logged", "api": api_id},
        {"requestId": missing.headers["apigw-requestid"], "routeKey": "-", "status": "404",
         "path": "/logs/missing", "api": api_id},
    ]  # fmt: skip
    assert access_log_entries(server, api_id, 2) == expected

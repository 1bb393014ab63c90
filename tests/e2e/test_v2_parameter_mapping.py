"""HTTP API parameter mapping end to end (spec §4.8): boto3 `apigatewayv2` configures an
HTTP_PROXY integration's RequestParameters/ResponseParameters, httpx calls the gateway, and a
real loopback upstream echoes what it received."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ACCOUNT, REGION, Server, create_function, function_arn

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def v2(server: Server) -> Any:
    return server.client("apigatewayv2")


def http_api(
    v2: Any,
    upstream: str,
    route_key: str,
    *,
    request: dict[str, str] | None = None,
    response: dict[str, dict[str, str]] | None = None,
    stage_variables: dict[str, str] | None = None,
) -> str:
    """An HTTP API whose route calls the echo upstream through HTTP_PROXY with the given
    mappings, served by an auto-deployed stage `dev`; returns the API id."""
    api_id = str(v2.create_api(Name="mapping", ProtocolType="HTTP")["ApiId"])
    fields: dict[str, Any] = {
        "ApiId": api_id,
        "IntegrationType": "HTTP_PROXY",
        "IntegrationMethod": "ANY",
        "IntegrationUri": upstream,
        "PayloadFormatVersion": "1.0",
    }
    if request:
        fields["RequestParameters"] = request
    if response:
        fields["ResponseParameters"] = response
    integration_id = v2.create_integration(**fields)["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey=route_key, Target=f"integrations/{integration_id}")
    v2.create_stage(
        ApiId=api_id, StageName="dev", AutoDeploy=True, StageVariables=stage_variables or {}
    )
    return api_id


def received(response: httpx.Response) -> dict[str, Any]:
    """What the echo upstream received, headers as a dict of lower-cased names to all values."""
    assert response.status_code == 200, response.text
    echoed: dict[str, Any] = response.json()
    headers: dict[str, list[str]] = {}
    for name, value in echoed["headers"]:
        headers.setdefault(name.lower(), []).append(value)
    echoed["headers"] = headers
    return echoed


def test_every_request_operator_and_source(
    v2: Any, server: Server, upstream: str, http: httpx.Client
) -> None:
    api_id = http_api(
        v2,
        upstream,
        "POST /items/{id}",
        request={
            "append:header.X-Request-Id": "$context.requestId",
            "append:header.X-Stage": "${context.stage}",
            "append:header.X-Joined": "$request.header.x-in",
            "append:header.X-Appended": "more",
            "overwrite:header.X-Over": "static value",
            "remove:header.X-Remove": "''",
            "append:header.X-Body-Name": "$request.body.user.name",
            "append:header.X-Body-Tags": "$request.body.user.tags",
            "append:header.X-Path": "$request.path",
            "append:header.X-Missing": "$request.header.absent",
            "append:header.X-Several": "${request.path.id}:${stageVariables.env}:${request.querystring.q}",
            "append:querystring.added": "$stageVariables.env",
            "append:querystring.q": "third",
            "overwrite:querystring.page": "$request.body.page",
            "remove:querystring.secret": "''",
            "overwrite:path": "/mapped/${request.path.id}",
        },
        stage_variables={"env": "test"},
    )
    response = http.post(
        server.url(api_id, "dev", "/items/42?q=one&q=two&secret=s&page=1"),
        headers=[
            ("X-In", "a"),
            ("X-In", "b"),
            ("X-Appended", "first"),
            ("X-Over", "client value"),
            ("X-Remove", "gone"),
            ("Content-Type", "application/json"),
        ],
        content=json.dumps({"user": {"name": "ann", "tags": ["x", "y"]}, "page": 5}),
    )
    echoed = received(response)
    headers = echoed["headers"]
    assert echoed["method"] == "POST"
    assert echoed["path"] == "/mapped/42"
    assert sorted(echoed["query"].split("&")) == sorted(
        ["q=one", "q=two", "q=third", "page=5", "added=test"]
    )
    assert headers["x-request-id"] == [response.headers["apigw-requestid"]]
    assert headers["x-stage"] == ["dev"]
    assert headers["x-joined"] == ["a,b"]
    assert ",".join(headers["x-appended"]).replace(" ", "") == "first,more"
    assert headers["x-over"] == ["static value"]
    assert "x-remove" not in headers
    assert headers["x-body-name"] == ["ann"]
    assert headers["x-body-tags"] == ['["x","y"]']
    assert headers["x-path"] == ["/items/42"]  # without the stage
    assert "x-missing" not in headers
    assert headers["x-several"] == ["42:test:one,two"]


def test_response_mapping_for_the_status_returned(
    v2: Any, server: Server, upstream: str, http: httpx.Client
) -> None:
    api_id = http_api(
        v2,
        upstream,
        "GET /status/{code}",
        request={"overwrite:path": "/status/${request.path.code}"},
        response={
            "500": {
                "overwrite:statuscode": "503",
                "append:header.X-Error-Path": "$response.body.path",
                "overwrite:header.X-Upstream": "${response.header.X-Upstream}-mapped",
                "append:header.X-Request-Id": "$context.requestId",
                "append:header.X-Env": "$stageVariables.env",
            },
            "404": {"overwrite:statuscode": "$response.header.X-Status"},
            "200": {
                "remove:header.X-Upstream": "''",
                "append:header.X-From": "${request.path.code}",
            },
        },
        stage_variables={"env": "prod"},
    )
    failed = http.get(server.url(api_id, "dev", "/status/500"))
    assert failed.status_code == 503
    assert failed.headers["X-Error-Path"] == "/status/500"
    assert failed.headers.get_list("X-Upstream") == ["echo-mapped"]
    assert failed.headers["X-Request-Id"] == failed.headers["apigw-requestid"]
    assert failed.headers["X-Env"] == "prod"
    assert failed.json()["path"] == "/status/500"  # the body is the integration's

    fine = http.get(server.url(api_id, "dev", "/status/200"))
    assert fine.status_code == 200
    assert "X-Upstream" not in fine.headers
    assert fine.headers["X-From"] == "200"

    # a variable without a value (no X-Status header): the mapping is skipped
    missing = http.get(server.url(api_id, "dev", "/status/404"))
    assert missing.status_code == 404

    # no mapping for 201: unchanged
    other = http.get(server.url(api_id, "dev", "/status/201"))
    assert other.status_code == 201
    assert other.headers["X-Upstream"] == "echo"


def test_update_integration_changes_the_mappings_served(
    v2: Any, server: Server, upstream: str, http: httpx.Client
) -> None:
    api_id = http_api(v2, upstream, "GET /x", request={"append:header.X-A": "one"})
    url = server.url(api_id, "dev", "/x")
    assert received(http.get(url))["headers"]["x-a"] == ["one"]
    integration_id = v2.get_integrations(ApiId=api_id)["Items"][0]["IntegrationId"]
    v2.update_integration(
        ApiId=api_id,
        IntegrationId=integration_id,
        RequestParameters={"append:header.X-A": "two"},
    )
    assert received(http.get(url))["headers"]["x-a"] == ["two"]


def test_query_mappings_to_an_integration_uri_without_path(
    v2: Any, server: Server, upstream: str, http: httpx.Client
) -> None:
    api_id = http_api(
        v2, upstream, "GET /search", request={"append:querystring.source": "$request.path"}
    )
    echoed = received(http.get(server.url(api_id, "dev", "/search?q=a%20b")))
    assert echoed["path"] == "/"
    assert echoed["query"] == "q=a%20b&source=%2Fsearch"


RETURN_EVENT = """
def handler(event, context):
    return event
"""


def test_lambda_event_gets_the_mapped_headers_and_query(
    v2: Any, lam: Any, server: Server, http: httpx.Client
) -> None:
    name = f"mapping-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, RETURN_EVENT, source_arn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*")
    api_id = str(v2.create_api(Name="mapping-lambda", ProtocolType="HTTP")["ApiId"])
    integration_id = v2.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=function_arn(name),
        PayloadFormatVersion="2.0",
        RequestParameters={
            "append:header.X-Request-Id": "$context.requestId",
            "overwrite:header.X-Tenant": "${stageVariables.tenant}-${request.path.id}",
            "remove:header.X-Secret": "''",
            "append:querystring.source": "gateway",
            "remove:querystring.debug": "''",
        },
        ResponseParameters={"200": {"append:header.X-Mapped": "yes"}},
    )["IntegrationId"]
    v2.create_route(
        ApiId=api_id, RouteKey="GET /users/{id}", Target=f"integrations/{integration_id}"
    )
    v2.create_stage(
        ApiId=api_id, StageName="dev", AutoDeploy=True, StageVariables={"tenant": "acme"}
    )
    response = http.get(
        server.url(api_id, "dev", "/users/9?debug=1&q=x"),
        headers={"X-Secret": "s", "X-Tenant": "client"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["X-Mapped"] == "yes"
    event = response.json()
    assert event["headers"]["x-request-id"] == response.headers["apigw-requestid"]
    assert event["headers"]["x-tenant"] == "acme-9"
    assert "x-secret" not in event["headers"]
    assert event["rawQueryString"] == "q=x&source=gateway"
    assert event["queryStringParameters"] == {"q": "x", "source": "gateway"}
    assert event["rawPath"] == "/dev/users/9"

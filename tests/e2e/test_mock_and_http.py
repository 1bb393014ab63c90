"""MOCK, HTTP_PROXY and HTTP integrations end to end (spec §3.1-3.4, §4.3-4.4, §12.2):
MOCK status selection and response templates, passthrough behaviours, and a real echo
server on loopback behind HTTP_PROXY (passed through) and HTTP (mapped both ways)."""

from __future__ import annotations

import json
import re
import socket
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import Server, add_method, add_path, add_response, deploy, new_api

INTERNAL_ERROR = {"message": "Internal server error"}
UNSUPPORTED = {"message": "Unsupported Media Type"}
# Integration headers a mapping may not set, for every integration type (spec §3.3).
FORBIDDEN_MAPPED_HEADERS = ("X-Amzn-Trace-Id", "X-Amzn-Apigateway-Api-Id", "Content-Length",
                            "Transfer-Encoding")  # fmt: skip


def _name() -> str:
    return f"integrations-{uuid.uuid4().hex[:8]}"


def _mock(apigw: Any, api_id: str, resource: str, verb: str,
          request_templates: dict[str, str] | None, **integration: Any) -> None:  # fmt: skip
    spec: dict[str, Any] = {"type": "MOCK", **integration}
    if request_templates is not None:
        spec["requestTemplates"] = request_templates
    add_method(apigw, api_id, resource, verb, spec)


def _headers(echoed: dict[str, Any]) -> dict[str, str]:
    """The echo server's view of the request headers, by lowercased name."""
    return {name.lower(): value for name, value in echoed["headers"]}


# --- MOCK -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mock_api(apigw: Any) -> str:
    api_id, root = new_api(apigw, _name())
    status_json = {"application/json": '{"statusCode": 200}'}

    select = add_path(apigw, api_id, root, "/select")
    _mock(apigw, api_id, select, "GET",
          {"application/json": "{\"statusCode\": $input.params('code')}"})  # fmt: skip
    add_response(apigw, api_id, select, "GET", "200", templates={"application/json": "default"})
    add_response(apigw, api_id, select, "GET", "404", pattern="404",
             templates={"application/json": "not found"})  # fmt: skip

    variables = add_path(apigw, api_id, root, "/variables")
    _mock(apigw, api_id, variables, "GET", status_json)
    add_response(apigw, api_id, variables, "GET", "200", templates={"application/json": (
        '{"requestId": "$context.requestId", "stage": "$context.stage", '
        '"x": "$stageVariables.x", "q": "$input.params(\'q\')", '
        '"resourcePath": "$context.resourcePath", "httpMethod": "$context.httpMethod"}'
    )})  # fmt: skip

    cdk = add_path(apigw, api_id, root, "/cdk")
    _mock(apigw, api_id, cdk, "OPTIONS", {"application/json": "{statusCode: 200}"})
    add_response(apigw, api_id, cdk, "OPTIONS", "200", templates={"application/json": "preflight"})

    bare = add_path(apigw, api_id, root, "/no-response")
    _mock(apigw, api_id, bare, "GET", status_json)

    for path, template in [("/unparsable", '{"statusCode": "abc"}'),
                           ("/no-status", '{"other": 1}')]:  # fmt: skip
        resource = add_path(apigw, api_id, root, path)
        _mock(apigw, api_id, resource, "GET", {"application/json": template})
        add_response(apigw, api_id, resource, "GET", "200", templates={"application/json": "never"})

    accept = add_path(apigw, api_id, root, "/accept")
    _mock(apigw, api_id, accept, "GET", status_json)
    add_response(apigw, api_id, accept, "GET", "200", templates={
        "application/xml": "<kind>xml</kind>", "application/json": '{"kind": "json"}'})  # fmt: skip

    static = add_path(apigw, api_id, root, "/static-header")
    _mock(apigw, api_id, static, "GET", status_json)
    add_response(apigw, api_id, static, "GET", "200", templates={"application/json": "{}"},
             parameters={"method.response.header.X-Static": "'fixed'"})  # fmt: skip

    no_template = add_path(apigw, api_id, root, "/no-template")
    _mock(apigw, api_id, no_template, "GET", None)
    add_response(apigw, api_id, no_template, "GET", "200", templates={"application/json": "chosen"})
    add_response(apigw, api_id, no_template, "GET", "500", pattern="5\\d{2}",
             templates={"application/json": "patterned"})  # fmt: skip

    for path, behaviour, templates in [
        ("/never", "NEVER", status_json),
        ("/never-no-templates", "NEVER", None),
        ("/when-no-templates", "WHEN_NO_TEMPLATES", status_json),
        ("/when-no-templates-none", "WHEN_NO_TEMPLATES", None),
        ("/when-no-match", "WHEN_NO_MATCH", status_json),
    ]:
        resource = add_path(apigw, api_id, root, path)
        _mock(apigw, api_id, resource, "POST", templates, passthroughBehavior=behaviour)
        add_response(
            apigw, api_id, resource, "POST", "200", templates={"application/json": "passed"}
        )

    deploy(apigw, api_id, "test", variables={"x": "hello"})
    return api_id


@pytest.mark.parametrize(
    ("code", "status", "body"),
    [("404", 404, "not found"), ("200", 200, "default"), ("500", 200, "default")],
)
def test_mock_status_selects_the_integration_response(server: Server, mock_api: str,
                                                      http: httpx.Client, code: str,
                                                      status: int, body: str) -> None:  # fmt: skip
    response = http.get(server.url(mock_api, "test", "/select"), params={"code": code})
    assert response.status_code == status
    assert response.text == body
    assert response.headers["Content-Type"] == "application/json"


def test_mock_response_template_sees_context_stage_variables_and_params(
    server: Server, mock_api: str, http: httpx.Client
) -> None:
    response = http.get(server.url(mock_api, "test", "/variables"), params={"q": "search"})
    assert response.status_code == 200
    assert response.json() == {
        "requestId": response.headers["x-amzn-RequestId"],
        "stage": "test",
        "x": "hello",
        "q": "search",
        "resourcePath": "/variables",
        "httpMethod": "GET",
    }


def test_mock_accepts_cdk_style_status_template(server: Server, mock_api: str,
                                                http: httpx.Client) -> None:  # fmt: skip
    response = http.options(server.url(mock_api, "test", "/cdk"))
    assert response.status_code == 200
    assert response.text == "preflight"


def test_mock_without_integration_responses_is_500(server: Server, mock_api: str,
                                                   http: httpx.Client) -> None:  # fmt: skip
    response = http.get(server.url(mock_api, "test", "/no-response"))
    assert response.status_code == 500
    assert response.json() == INTERNAL_ERROR
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"


@pytest.mark.parametrize("path", ["/unparsable", "/no-status"])
def test_mock_without_a_parsable_status_code_is_500(
    server: Server, mock_api: str, http: httpx.Client, path: str
) -> None:
    response = http.get(server.url(mock_api, "test", path))
    assert response.status_code == 500
    assert response.json() == INTERNAL_ERROR


def test_mock_without_request_template_uses_the_default_response(
    server: Server, mock_api: str, http: httpx.Client
) -> None:
    response = http.get(server.url(mock_api, "test", "/no-template"))
    assert response.status_code == 200
    assert response.text == "chosen"


@pytest.mark.parametrize(
    ("accept", "content_type", "body"),
    [
        ("application/xml", "application/xml", "<kind>xml</kind>"),
        ("application/json", "application/json", '{"kind": "json"}'),
        ("application/xml;q=0.9", "application/xml", "<kind>xml</kind>"),
        ("application/xml, application/json", "application/xml", "<kind>xml</kind>"),
        ("application/json, application/xml", "application/json", '{"kind": "json"}'),
        ("text/html", "application/json", '{"kind": "json"}'),
        (None, "application/json", '{"kind": "json"}'),
    ],
)
def test_response_template_is_chosen_by_accept(server: Server, mock_api: str,
                                               http: httpx.Client, accept: str | None,
                                               content_type: str, body: str) -> None:  # fmt: skip
    request = http.build_request("GET", server.url(mock_api, "test", "/accept"))
    if accept is None:
        del request.headers["Accept"]
    else:
        request.headers["Accept"] = accept
    response = http.send(request)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.text == body


def test_static_response_header_mapping(server: Server, mock_api: str,
                                        http: httpx.Client) -> None:  # fmt: skip
    response = http.get(server.url(mock_api, "test", "/static-header"))
    assert response.status_code == 200
    assert response.headers["X-Static"] == "fixed"


@pytest.mark.parametrize(
    ("path", "content_type", "status"),
    [
        ("/never", "text/plain", 415),
        ("/never", "application/json", 200),
        ("/never", "application/json; charset=UTF-8", 200),
        ("/never-no-templates", "application/json", 415),
        ("/when-no-templates", "text/plain", 415),
        ("/when-no-templates", "application/json", 200),
        ("/when-no-templates-none", "text/plain", 200),
        ("/when-no-match", "text/plain", 200),
        ("/when-no-match", "application/json", 200),
    ],
)
def test_passthrough_behaviour(server: Server, mock_api: str, http: httpx.Client, path: str,
                               content_type: str, status: int) -> None:  # fmt: skip
    response = http.post(server.url(mock_api, "test", path), content=b"data",
                         headers={"Content-Type": content_type})  # fmt: skip
    assert response.status_code == status
    if status == 415:
        assert response.json() == UNSUPPORTED
    else:
        assert response.text == "passed"


def test_missing_content_type_is_taken_as_json(server: Server, mock_api: str,
                                               http: httpx.Client) -> None:  # fmt: skip
    request = http.build_request("POST", server.url(mock_api, "test", "/never"), content=b"{}")
    request.headers.pop("Content-Type", None)
    response = http.send(request)
    assert response.status_code == 200
    assert response.text == "passed"


# --- HTTP_PROXY -----------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def proxy_api(apigw: Any, upstream: str) -> str:
    api_id, root = new_api(apigw, _name())
    greedy = add_path(apigw, api_id, root, "/{proxy+}")
    add_method(apigw, api_id, greedy, "ANY", {
        "type": "HTTP_PROXY", "integrationHttpMethod": "ANY", "uri": f"{upstream}/{{proxy}}",
        "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"},
    }, requestParameters={"method.request.path.proxy": True})  # fmt: skip

    mapped = add_path(apigw, api_id, root, "/mapped")
    add_method(apigw, api_id, mapped, "GET", {
        "type": "HTTP_PROXY", "integrationHttpMethod": "GET", "uri": f"{upstream}/mapped",
        "requestParameters": {
            "integration.request.header.X-Mapped": "'static'",
            "integration.request.querystring.q2": "method.request.querystring.q",
        },
    }, requestParameters={"method.request.querystring.q": False})  # fmt: skip

    stage_variable = add_path(apigw, api_id, root, "/stage-variable")
    add_method(apigw, api_id, stage_variable, "GET", {
        "type": "HTTP_PROXY", "integrationHttpMethod": "GET",
        "uri": "http://127.0.0.1:${stageVariables.port}/from-stage-variable",
    })  # fmt: skip

    slow = add_path(apigw, api_id, root, "/slow")
    add_method(apigw, api_id, slow, "GET", {
        "type": "HTTP_PROXY", "integrationHttpMethod": "GET", "uri": f"{upstream}/slow?s=2",
        "timeoutInMillis": 200,
    })  # fmt: skip

    unreachable = add_path(apigw, api_id, root, "/unreachable")
    add_method(apigw, api_id, unreachable, "GET", {
        "type": "HTTP_PROXY", "integrationHttpMethod": "GET",
        "uri": f"http://127.0.0.1:{_closed_port()}/",
    })  # fmt: skip

    host = add_path(apigw, api_id, root, "/mapped-host")
    add_method(apigw, api_id, host, "GET", {
        "type": "HTTP_PROXY", "integrationHttpMethod": "GET", "uri": f"{upstream}/host",
        "requestParameters": {"integration.request.header.Host": "'backend.example'"},
    })  # fmt: skip

    for header in FORBIDDEN_MAPPED_HEADERS:
        resource = add_path(apigw, api_id, root, f"/forbidden/{header}")
        add_method(apigw, api_id, resource, "GET", {
            "type": "HTTP_PROXY", "integrationHttpMethod": "GET", "uri": f"{upstream}/forbidden",
            "requestParameters": {f"integration.request.header.{header}": "'custom'"},
        })  # fmt: skip

    port = str(urlsplit(upstream).port)
    deploy(apigw, api_id, "test", variables={"port": port})
    return api_id


def test_proxy_forwards_method_path_query_and_body(server: Server, proxy_api: str,
                                                   http: httpx.Client) -> None:  # fmt: skip
    response = http.post(server.url(proxy_api, "test", "/deep/path/here?a=1&b=two&a=3"),
                         content=b'{"hello": "world"}',
                         headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 200
    echoed = response.json()
    assert echoed["method"] == "POST"
    assert echoed["path"] == "/deep/path/here"
    assert echoed["query"] == "a=1&b=two&a=3"
    assert echoed["body"] == '{"hello": "world"}'
    assert _headers(echoed)["content-type"] == "application/json"


@pytest.mark.parametrize("verb", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_proxy_uses_the_client_verb(server: Server, proxy_api: str, http: httpx.Client,
                                    verb: str) -> None:  # fmt: skip
    response = http.request(verb, server.url(proxy_api, "test", "/verb"))
    assert response.status_code == 200
    assert response.json()["method"] == verb


def test_proxy_forwards_client_headers_and_adds_gateway_headers(
    server: Server, proxy_api: str, upstream: str, http: httpx.Client
) -> None:
    response = http.get(server.url(proxy_api, "test", "/headers-check"),
                        headers={"X-Client": "yes", "User-Agent": "my-agent/1.0",
                                 "Accept": "text/plain"})  # fmt: skip
    assert response.status_code == 200
    headers = _headers(response.json())
    assert headers["x-client"] == "yes"
    assert headers["accept"] == "text/plain"
    assert headers["user-agent"] == "my-agent/1.0"
    assert headers["host"] == urlsplit(upstream).netloc
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", headers["x-amzn-trace-id"])
    assert headers["x-amzn-apigateway-api-id"] == proxy_api


def test_proxy_drops_headers_api_gateway_never_forwards(server: Server, proxy_api: str,
                                                        http: httpx.Client) -> None:  # fmt: skip
    dropped = {
        "Via": "1.1 someproxy",
        "Max-Forwards": "5",
        "Content-MD5": "Q2hlY2sgSW50ZWdyaXR5IQ==",
        "TE": "trailers",
        "Trailer": "X-Later",
        "Content-Encoding": "identity",
    }
    response = http.post(server.url(proxy_api, "test", "/dropped"), content=b"body",
                         headers={**dropped, "X-Kept": "1"})  # fmt: skip
    assert response.status_code == 200
    headers = _headers(response.json())
    assert headers["x-kept"] == "1"
    for name in dropped:
        assert name.lower() not in headers, name


def test_proxy_appends_the_client_to_x_forwarded_for(server: Server, proxy_api: str,
                                                     http: httpx.Client) -> None:  # fmt: skip
    response = http.get(server.url(proxy_api, "test", "/xff"),
                        headers={"X-Forwarded-For": "203.0.113.7"})  # fmt: skip
    assert _headers(response.json())["x-forwarded-for"] == "203.0.113.7, 127.0.0.1"


def test_proxy_passes_the_client_trace_id_on(server: Server, proxy_api: str,
                                             http: httpx.Client) -> None:  # fmt: skip
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793"
    response = http.get(server.url(proxy_api, "test", "/trace"),
                        headers={"X-Amzn-Trace-Id": trace})  # fmt: skip
    assert _headers(response.json())["x-amzn-trace-id"].startswith(trace)


def test_proxy_default_user_agent_and_accept(server: Server, proxy_api: str,
                                             http: httpx.Client) -> None:  # fmt: skip
    request = http.build_request("GET", server.url(proxy_api, "test", "/no-agent"))
    del request.headers["User-Agent"]
    del request.headers["Accept"]
    headers = _headers(http.send(request).json())
    assert headers["user-agent"] == f"AmazonAPIGateway_{proxy_api}"
    assert headers["accept"] == "application/json"


def test_proxy_returns_the_upstream_status_and_body(server: Server, proxy_api: str,
                                                    http: httpx.Client) -> None:  # fmt: skip
    response = http.get(server.url(proxy_api, "test", "/status/418"))
    assert response.status_code == 418
    assert response.json()["path"] == "/status/418"
    assert response.headers["Content-Type"] == "application/json"
    response = http.post(server.url(proxy_api, "test", "/status/503"), content=b"x")
    assert response.status_code == 503
    assert response.json()["body"] == "x"


def test_proxy_remaps_upstream_transport_headers(server: Server, proxy_api: str,
                                                 http: httpx.Client) -> None:  # fmt: skip
    response = http.get(server.url(proxy_api, "test", "/remap"))
    assert response.status_code == 200
    assert response.headers["x-amzn-Remapped-Server"].startswith("BaseHTTP/")
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT",
                        response.headers["x-amzn-Remapped-Date"])  # fmt: skip
    assert response.headers["x-amzn-Remapped-Content-Length"] == str(len(response.content))
    assert not response.headers.get("Server", "").startswith("BaseHTTP/")
    assert response.headers["Content-Length"] == str(len(response.content))
    assert response.headers["X-Upstream"] == "echo"


def test_proxy_merges_mapped_headers_and_query(server: Server, proxy_api: str,
                                               http: httpx.Client) -> None:  # fmt: skip
    response = http.get(server.url(proxy_api, "test", "/mapped"), params={"q": "hello"})
    assert response.status_code == 200
    echoed = response.json()
    assert echoed["path"] == "/mapped"
    assert echoed["query"] == "q=hello&q2=hello"
    assert _headers(echoed)["x-mapped"] == "static"


def test_proxy_host_can_be_set_by_a_mapping(server: Server, proxy_api: str,
                                           http: httpx.Client) -> None:  # fmt: skip
    response = http.get(server.url(proxy_api, "test", "/mapped-host"))
    assert response.status_code == 200
    assert _headers(response.json())["host"] == "backend.example"


@pytest.mark.parametrize("header", FORBIDDEN_MAPPED_HEADERS)
def test_mapping_a_header_the_gateway_owns_is_500(
    server: Server, proxy_api: str, http: httpx.Client, header: str
) -> None:
    response = http.get(server.url(proxy_api, "test", f"/forbidden/{header}"))
    assert response.status_code == 500
    assert response.json() == INTERNAL_ERROR


def test_proxy_uri_uses_stage_variables(server: Server, proxy_api: str,
                                        http: httpx.Client) -> None:  # fmt: skip
    response = http.get(server.url(proxy_api, "test", "/stage-variable"))
    assert response.status_code == 200
    assert response.json()["path"] == "/from-stage-variable"


def test_proxy_timeout_is_504(server: Server, proxy_api: str, http: httpx.Client) -> None:
    response = http.get(server.url(proxy_api, "test", "/slow"))
    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}


def test_unreachable_backend_is_504_network_error(server: Server, proxy_api: str,
                                                  http: httpx.Client) -> None:  # fmt: skip
    response = http.get(server.url(proxy_api, "test", "/unreachable"))
    assert response.status_code == 504
    assert response.json() == {"message": "Network error communicating with endpoint"}
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"


# --- HTTP (non-proxy) -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def http_api(apigw: Any, upstream: str) -> str:
    api_id, root = new_api(apigw, _name())
    greet = add_path(apigw, api_id, root, "/greet")
    add_method(apigw, api_id, greet, "POST", {
        "type": "HTTP", "integrationHttpMethod": "POST", "uri": f"{upstream}/greet",
        "requestTemplates": {"application/json": "{\"from\": \"$input.path('$.name')\"}"},
    })  # fmt: skip
    add_response(apigw, api_id, greet, "POST", "200")

    status = add_path(apigw, api_id, root, "/status/{code}")
    add_method(apigw, api_id, status, "GET", {
        "type": "HTTP", "integrationHttpMethod": "GET", "uri": f"{upstream}/status/{{code}}",
        "requestParameters": {"integration.request.path.code": "method.request.path.code"},
    }, requestParameters={"method.request.path.code": True})  # fmt: skip
    add_response(apigw, api_id, status, "GET", "200")
    add_response(apigw, api_id, status, "GET", "400", pattern="4\\d{2}", templates={
        "application/json": "{\"error\": \"client\", \"upstream\": \"$input.path('$.path')\"}",
    })  # fmt: skip

    header = add_path(apigw, api_id, root, "/mapped-header")
    add_method(apigw, api_id, header, "GET", {
        "type": "HTTP", "integrationHttpMethod": "GET", "uri": f"{upstream}/mapped-header",
        "requestParameters": {
            "integration.request.header.X-Mapped": "'static'",
            "integration.request.querystring.q2": "method.request.querystring.q",
        },
    }, requestParameters={"method.request.querystring.q": False})  # fmt: skip
    add_response(apigw, api_id, header, "GET", "200", parameters={
        "method.response.header.X-Upstream": "integration.response.header.X-Upstream",
        "method.response.header.X-Path": "integration.response.body.path",
    })  # fmt: skip

    pattern_only = add_path(apigw, api_id, root, "/pattern-only")
    add_method(
        apigw,
        api_id,
        pattern_only,
        "GET",
        {"type": "HTTP", "integrationHttpMethod": "GET", "uri": f"{upstream}/pattern-only"},
    )
    add_response(apigw, api_id, pattern_only, "GET", "400", pattern="4\\d{2}")

    deploy(apigw, api_id, "test")
    return api_id


def test_http_without_a_matching_or_default_response_is_500(
    server: Server, http_api: str, http: httpx.Client
) -> None:
    response = http.get(server.url(http_api, "test", "/pattern-only"))
    assert response.status_code == 500
    assert response.json() == INTERNAL_ERROR


def test_http_request_template_builds_the_upstream_body(server: Server, http_api: str,
                                                        http: httpx.Client) -> None:  # fmt: skip
    response = http.post(server.url(http_api, "test", "/greet"), json={"name": "ada"})
    assert response.status_code == 200
    echoed = response.json()
    assert echoed["method"] == "POST"
    assert echoed["path"] == "/greet"
    assert json.loads(echoed["body"]) == {"from": "ada"}
    headers = _headers(echoed)
    assert headers["x-amzn-apigateway-api-id"] == http_api
    assert headers["content-type"] == "application/json"
    # the client's own User-Agent is not a mapped header: API Gateway's default is sent
    assert headers["user-agent"] == f"AmazonAPIGateway_{http_api}"
    assert headers["accept"] == "application/json"
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", headers["x-amzn-trace-id"])


def test_http_passes_only_mapped_headers_to_the_client(server: Server, http_api: str,
                                                       http: httpx.Client) -> None:  # fmt: skip
    response = http.post(server.url(http_api, "test", "/greet"), json={"name": "ada"})
    assert response.status_code == 200
    assert "X-Upstream" not in response.headers
    assert "x-amzn-Remapped-Server" not in response.headers
    assert "x-amzn-Remapped-Date" not in response.headers
    assert response.headers["Content-Type"] == "application/json"


def test_http_does_not_forward_unmapped_client_headers_or_query(
    server: Server, http_api: str, http: httpx.Client
) -> None:
    response = http.get(server.url(http_api, "test", "/mapped-header"),
                        params={"q": "v", "other": "x"}, headers={"X-Client": "yes"})  # fmt: skip
    assert response.status_code == 200
    echoed = json.loads(response.content)
    assert echoed["query"] == "q2=v"
    headers = _headers(echoed)
    assert "x-client" not in headers
    assert headers["x-mapped"] == "static"


@pytest.mark.parametrize(
    ("code", "status", "body"),
    [
        ("404", 400, {"error": "client", "upstream": "/status/404"}),
        ("418", 400, {"error": "client", "upstream": "/status/418"}),
        ("201", 200, None),
        ("500", 200, None),
    ],
)
def test_http_integration_response_is_selected_by_upstream_status(
    server: Server, http_api: str, http: httpx.Client, code: str, status: int,
    body: dict[str, str] | None,
) -> None:  # fmt: skip
    response = http.get(server.url(http_api, "test", f"/status/{code}"))
    assert response.status_code == status
    if body is not None:
        assert response.json() == body
    else:  # the default response passes the upstream body through
        assert response.json()["path"] == f"/status/{code}"


def test_http_response_header_mapping(server: Server, http_api: str, http: httpx.Client) -> None:
    response = http.get(server.url(http_api, "test", "/mapped-header"))
    assert response.status_code == 200
    assert response.headers["X-Upstream"] == "echo"
    assert response.headers["X-Path"] == "/mapped-header"

"""Gateway responses end to end (spec §10.1-10.2, §12.1): the default error bodies and
headers, and customised responses (status, header mappings, templates chosen by Accept,
DEFAULT_4XX/DEFAULT_5XX fallbacks) served once the API is deployed."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, add_method, add_path, deploy, mock_method, new_api

MISSING_TOKEN_BODY = b'{"message":"Missing Authentication Token"}'
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
EXTENDED_ID = re.compile(r"[A-Za-z0-9+/]{15}=")


def _api(apigw: Any) -> tuple[str, str]:
    """An API with GET /known (MOCK); (api id, root resource id). Not deployed."""
    api_id, root = new_api(apigw, f"gateway-responses-{uuid.uuid4().hex[:8]}")
    mock_method(apigw, api_id, add_path(apigw, api_id, root, "/known"), "GET", "known")
    return api_id, root


@pytest.fixture(scope="module")
def default_api(apigw: Any) -> str:
    api_id, _ = _api(apigw)
    deploy(apigw, api_id, "test")
    return api_id


def test_default_missing_token_response(server: Server, default_api: str,
                                        http: httpx.Client) -> None:  # fmt: skip
    response = http.get(server.url(default_api, "test", "/unknown"))
    assert response.status_code == 403
    assert response.content == MISSING_TOKEN_BODY
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert UUID.fullmatch(response.headers["x-amzn-RequestId"])
    assert EXTENDED_ID.fullmatch(response.headers["x-amz-apigw-id"])
    assert response.headers["Content-Length"] == str(len(MISSING_TOKEN_BODY))
    assert "X-Amzn-Trace-Id" not in response.headers


def test_each_error_has_its_own_request_ids(server: Server, default_api: str,
                                            http: httpx.Client) -> None:  # fmt: skip
    first = http.get(server.url(default_api, "test", "/unknown"))
    second = http.get(server.url(default_api, "test", "/unknown"))
    assert first.headers["x-amzn-RequestId"] != second.headers["x-amzn-RequestId"]
    assert first.headers["x-amz-apigw-id"] != second.headers["x-amz-apigw-id"]


def test_default_response_ignores_accept(server: Server, default_api: str,
                                         http: httpx.Client) -> None:  # fmt: skip
    response = http.get(server.url(default_api, "test", "/unknown"),
                        headers={"Accept": "application/xml"})  # fmt: skip
    assert response.status_code == 403
    assert response.content == MISSING_TOKEN_BODY
    assert response.headers["Content-Type"] == "application/json"


def test_customised_response_is_served_after_deployment_only(
    server: Server, apigw: Any, http: httpx.Client
) -> None:
    api_id, _ = _api(apigw)
    deploy(apigw, api_id, "test", variables={"color": "blue"})
    apigw.put_gateway_response(
        restApiId=api_id,
        responseType="MISSING_AUTHENTICATION_TOKEN",
        statusCode="404",
        responseParameters={
            "gatewayresponse.header.X-Custom": "'yes'",
            "gatewayresponse.header.X-Req": "method.request.header.X-In",
        },
        responseTemplates={"application/json": (
            '{"msg": "$context.error.message", "quoted": $context.error.messageString, '
            '"type": "$context.error.responseType", "id": "$context.requestId", '
            '"color": "$stageVariables.color"}'
        )},
    )  # fmt: skip
    url = server.url(api_id, "test", "/unknown")
    before = http.get(url, headers={"X-In": "from-client"})
    assert before.status_code == 403
    assert before.content == MISSING_TOKEN_BODY
    assert "X-Custom" not in before.headers

    deploy(apigw, api_id, "test")
    response = http.get(url, headers={"X-In": "from-client"})
    assert response.status_code == 404
    assert response.headers["X-Custom"] == "yes"
    assert response.headers["X-Req"] == "from-client"
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert response.json() == {
        "msg": "Missing Authentication Token",
        "quoted": "Missing Authentication Token",
        "type": "MISSING_AUTHENTICATION_TOKEN",
        "id": response.headers["x-amzn-RequestId"],
        "color": "blue",
    }
    without_header = http.get(url)
    assert without_header.status_code == 404
    assert without_header.headers["X-Custom"] == "yes"
    assert "X-Req" not in without_header.headers
    # the API's methods are not affected
    assert http.get(server.url(api_id, "test", "/known")).text == "known"


def test_customised_status_only_keeps_the_default_body(server: Server, apigw: Any,
                                                       http: httpx.Client) -> None:  # fmt: skip
    api_id, _ = _api(apigw)
    apigw.put_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN",
                               statusCode="404")  # fmt: skip
    deploy(apigw, api_id, "test")
    response = http.get(server.url(api_id, "test", "/unknown"))
    assert response.status_code == 404
    assert response.content == MISSING_TOKEN_BODY


def test_deleting_a_customisation_restores_the_default_after_deployment(
    server: Server, apigw: Any, http: httpx.Client
) -> None:
    api_id, _ = _api(apigw)
    apigw.put_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN",
                               statusCode="404")  # fmt: skip
    deploy(apigw, api_id, "test")
    url = server.url(api_id, "test", "/unknown")
    assert http.get(url).status_code == 404
    apigw.delete_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN")
    assert http.get(url).status_code == 404
    deploy(apigw, api_id, "test")
    assert http.get(url).status_code == 403


@pytest.fixture(scope="module")
def default_4xx_api(apigw: Any) -> str:
    api_id, root = _api(apigw)
    never = add_path(apigw, api_id, root, "/never")
    add_method(apigw, api_id, never, "POST", {
        "type": "MOCK", "passthroughBehavior": "NEVER",
        "requestTemplates": {"application/json": '{"statusCode": 200}'},
    })  # fmt: skip
    apigw.put_gateway_response(
        restApiId=api_id, responseType="DEFAULT_4XX", statusCode="418",
        responseParameters={"gatewayresponse.header.X-Family": "'4xx'"},
    )  # fmt: skip
    deploy(apigw, api_id, "test")
    return api_id


def test_default_4xx_customisation_applies_to_missing_token(
    server: Server, default_4xx_api: str, http: httpx.Client
) -> None:
    response = http.get(server.url(default_4xx_api, "test", "/unknown"))
    assert response.status_code == 418
    assert response.content == MISSING_TOKEN_BODY
    assert response.headers["X-Family"] == "4xx"
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_default_4xx_customisation_applies_to_other_4xx_types(
    server: Server, default_4xx_api: str, http: httpx.Client
) -> None:
    response = http.post(server.url(default_4xx_api, "test", "/never"), content=b"x",
                         headers={"Content-Type": "text/plain"})  # fmt: skip
    assert response.status_code == 418
    assert response.json() == {"message": "Unsupported Media Type"}
    assert response.headers["X-Family"] == "4xx"


def test_a_customised_type_beats_default_4xx(server: Server, apigw: Any,
                                             http: httpx.Client) -> None:  # fmt: skip
    api_id, _ = _api(apigw)
    apigw.put_gateway_response(restApiId=api_id, responseType="DEFAULT_4XX", statusCode="418")
    apigw.put_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN",
                               statusCode="404")  # fmt: skip
    deploy(apigw, api_id, "test")
    assert http.get(server.url(api_id, "test", "/unknown")).status_code == 404


def test_default_4xx_does_not_touch_5xx(server: Server, apigw: Any, http: httpx.Client) -> None:
    api_id, root = _api(apigw)
    bare = add_path(apigw, api_id, root, "/bare")
    add_method(apigw, api_id, bare, "GET", {"type": "MOCK"})  # no integration response: 500
    apigw.put_gateway_response(restApiId=api_id, responseType="DEFAULT_4XX", statusCode="418")
    deploy(apigw, api_id, "test")
    response = http.get(server.url(api_id, "test", "/bare"))
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error"}


@pytest.fixture(scope="module")
def default_5xx_api(apigw: Any, upstream: str) -> str:
    api_id, root = _api(apigw)
    slow = add_path(apigw, api_id, root, "/slow")
    add_method(apigw, api_id, slow, "GET", {
        "type": "HTTP_PROXY", "integrationHttpMethod": "GET", "uri": f"{upstream}/slow?s=1",
        "timeoutInMillis": 200,
    })  # fmt: skip
    bare = add_path(apigw, api_id, root, "/bare")
    add_method(apigw, api_id, bare, "GET", {"type": "MOCK"})  # no integration response: 500
    apigw.put_gateway_response(
        restApiId=api_id, responseType="DEFAULT_5XX", statusCode="599",
        responseParameters={"gatewayresponse.header.X-Family": "'5xx'"},
        responseTemplates={"application/json": (
            '{"fault": "$context.error.responseType", "detail": "$context.error.message"}'
        )},
    )  # fmt: skip
    deploy(apigw, api_id, "test")
    return api_id


def test_default_5xx_customisation_applies_to_integration_timeout(
    server: Server, default_5xx_api: str, http: httpx.Client
) -> None:
    response = http.get(server.url(default_5xx_api, "test", "/slow"))
    assert response.status_code == 599
    assert response.json() == {"fault": "INTEGRATION_TIMEOUT",
                               "detail": "Endpoint request timed out"}  # fmt: skip
    assert response.headers["X-Family"] == "5xx"


def test_default_5xx_customisation_applies_to_configuration_errors(
    server: Server, default_5xx_api: str, http: httpx.Client
) -> None:
    response = http.get(server.url(default_5xx_api, "test", "/bare"))
    assert response.status_code == 599
    assert response.json() == {"fault": "API_CONFIGURATION_ERROR",
                               "detail": "Internal server error"}  # fmt: skip
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"


def test_default_5xx_does_not_touch_4xx(server: Server, default_5xx_api: str,
                                        http: httpx.Client) -> None:  # fmt: skip
    response = http.get(server.url(default_5xx_api, "test", "/unknown"))
    assert response.status_code == 403
    assert response.content == MISSING_TOKEN_BODY
    assert "X-Family" not in response.headers


@pytest.fixture(scope="module")
def accept_api(apigw: Any) -> str:
    api_id, _ = _api(apigw)
    apigw.put_gateway_response(
        restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN",
        responseTemplates={
            "application/json": '{"error": "$context.error.message"}',
            "application/xml": "<error>$context.error.message</error>",
        },
    )  # fmt: skip
    deploy(apigw, api_id, "test")
    return api_id


@pytest.mark.parametrize(
    ("accept", "content_type", "body"),
    [
        ("application/xml", "application/xml", b"<error>Missing Authentication Token</error>"),
        ("application/json", "application/json", b'{"error": "Missing Authentication Token"}'),
        ("application/xml, application/json", "application/xml",
         b"<error>Missing Authentication Token</error>"),
        ("text/html", "application/json", b'{"error": "Missing Authentication Token"}'),
        (None, "application/json", b'{"error": "Missing Authentication Token"}'),
    ],
)  # fmt: skip
def test_gateway_response_template_is_chosen_by_accept(server: Server, accept_api: str,
                                                       http: httpx.Client, accept: str | None,
                                                       content_type: str,
                                                       body: bytes) -> None:  # fmt: skip
    request = http.build_request("GET", server.url(accept_api, "test", "/unknown"))
    if accept is None:
        del request.headers["Accept"]
    else:
        request.headers["Accept"] = accept
    response = http.send(request)
    assert response.status_code == 403
    assert response.headers["Content-Type"] == content_type
    assert response.content == body

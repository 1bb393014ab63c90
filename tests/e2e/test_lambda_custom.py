"""Lambda custom (non-proxy, `AWS`) integrations end to end: request and response templates
around a real function, errorMessage selection, custom error objects, asynchronous calls
(spec §2.5)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    Server,
    add_path,
    create_function,
    deploy,
    lambda_uri,
    new_api,
)

SOURCE = """\
import json
import os


def handler(event, context):
    kind = event.get("kind")
    if kind == "missing":
        raise LookupError("Not found: " + str(event.get("id")))
    if kind == "custom":
        raise Exception(json.dumps({"code": 418, "reason": "teapot"}))
    if kind == "record":  # written whole, then renamed: the test never reads half a file
        with open(event["path"] + ".part", "w") as f:
            f.write(json.dumps(event))
        os.replace(event["path"] + ".part", event["path"])
    return {"id": event.get("id"), "greeting": "hello " + str(event.get("name"))}
"""

REQUEST_TEMPLATE = (
    '{"id": "$input.params(\'id\')", "name": $input.json(\'$.name\'), '
    '"kind": "$util.escapeJavaScript($input.params(\'kind\'))", '
    '"path": "$util.escapeJavaScript($input.params(\'path\'))"}'
)


def method(
    apigw: Any,
    api_id: str,
    root: str,
    path: str,
    function: str,
    *,
    responses: list[dict[str, Any]],
    templates: bool = True,
    **integration: Any,
) -> None:
    resource = add_path(apigw, api_id, root, path)
    apigw.put_method(
        restApiId=api_id, resourceId=resource, httpMethod="POST", authorizationType="NONE"
    )
    fields: dict[str, Any] = {
        "type": "AWS",
        "integrationHttpMethod": "POST",
        "uri": lambda_uri(function),
        **integration,
    }
    if templates:
        fields["requestTemplates"] = {"application/json": REQUEST_TEMPLATE}
    apigw.put_integration(restApiId=api_id, resourceId=resource, httpMethod="POST", **fields)
    for response in responses:
        status = response["statusCode"]
        apigw.put_method_response(
            restApiId=api_id, resourceId=resource, httpMethod="POST", statusCode=status
        )
        apigw.put_integration_response(
            restApiId=api_id, resourceId=resource, httpMethod="POST", **response
        )


@pytest.fixture(scope="module")
def api(apigw: Any, lam: Any) -> str:
    create_function(lam, "custom-integration", SOURCE)
    api_id, root = new_api(apigw, "lambda-custom")
    method(
        apigw,
        api_id,
        root,
        "/greet",
        "custom-integration",
        responses=[
            {
                "statusCode": "200",
                "responseTemplates": {
                    "application/json": '{"message": "$input.path(\'$.greeting\')", '
                    '"for": "$input.path(\'$.id\')"}'
                },
            },
            {
                "statusCode": "404",
                "selectionPattern": "Not found: .*",
                "responseTemplates": {
                    "application/json": '{"error": "$input.path(\'$.errorMessage\')"}'
                },
            },
            {
                "statusCode": "418",
                "selectionPattern": '.*"code":\\s*418.*',
                "responseTemplates": {
                    "application/json": "#set($e = $util.parseJson($input.path('$.errorMessage')))"
                    '{"reason": "$e.reason", "code": $e.code}'
                },
            },
        ],
    )
    # No integration response but the default: errors come back as 200 with their JSON.
    method(
        apigw,
        api_id,
        root,
        "/plain",
        "custom-integration",
        templates=False,
        responses=[{"statusCode": "200"}],
    )
    # Only a patterned response: anything else is a configuration error.
    method(
        apigw,
        api_id,
        root,
        "/strict",
        "custom-integration",
        responses=[{"statusCode": "404", "selectionPattern": "Not found: .*"}],
    )
    method(
        apigw,
        api_id,
        root,
        "/async",
        "custom-integration",
        requestParameters={"integration.request.header.X-Amz-Invocation-Type": "'Event'"},
        responses=[
            {"statusCode": "200", "responseTemplates": {"application/json": '{"queued": true}'}}
        ],
    )
    method(
        apigw,
        api_id,
        root,
        "/get-method",
        "custom-integration",
        integrationHttpMethod="GET",
        responses=[{"statusCode": "200"}],
    )
    deploy(apigw, api_id)
    return api_id


def test_templates_around_a_successful_call(server: Server, api: str, http: httpx.Client) -> None:
    response = http.post(
        server.url(api, "test", "/greet"), params={"id": "7"}, json={"name": "Ada"}
    )
    assert response.status_code == 200
    assert response.json() == {"message": "hello Ada", "for": "7"}
    assert response.headers["content-type"] == "application/json"


def test_an_error_message_selects_its_response(
    server: Server, api: str, http: httpx.Client
) -> None:
    response = http.post(
        server.url(api, "test", "/greet"), params={"id": "9", "kind": "missing"}, json={"name": "x"}
    )
    assert (response.status_code, response.json()) == (404, {"error": "Not found: 9"})


def test_a_custom_error_object(server: Server, api: str, http: httpx.Client) -> None:
    response = http.post(
        server.url(api, "test", "/greet"), params={"kind": "custom"}, json={"name": "x"}
    )
    assert (response.status_code, response.json()) == (418, {"reason": "teapot", "code": 418})


def test_without_mapping_the_request_body_passes_and_errors_are_200(
    server: Server, api: str, http: httpx.Client
) -> None:
    ok = http.post(server.url(api, "test", "/plain"), json={"id": 1, "name": "Bo"})
    assert (ok.status_code, ok.json()) == (200, {"id": 1, "greeting": "hello Bo"})
    failed = http.post(server.url(api, "test", "/plain"), json={"kind": "missing", "id": 3})
    assert failed.status_code == 200
    error = failed.json()
    assert (error["errorType"], error["errorMessage"]) == ("LookupError", "Not found: 3")
    assert error["stackTrace"]


def test_no_matching_response_is_a_500(server: Server, api: str, http: httpx.Client) -> None:
    response = http.post(server.url(api, "test", "/strict"), json={"name": "x"})
    assert (response.status_code, response.json()) == (500, {"message": "Internal server error"})
    assert response.headers["x-amzn-errortype"] == "InternalServerErrorException"
    # The error matches: its JSON passes through (no template) under the pattern's status.
    matched = http.post(
        server.url(api, "test", "/strict"), params={"kind": "missing"}, json={"name": "x"}
    )
    assert matched.status_code == 404
    assert matched.json()["errorMessage"] == "Not found: "  # the template sent "id": ""


def test_an_event_invocation_answers_at_once_and_runs(
    server: Server, api: str, http: httpx.Client, tmp_path: Path
) -> None:
    marker = tmp_path / "ran.json"
    response = http.post(
        server.url(api, "test", "/async"),
        params={"kind": "record", "path": str(marker), "id": "5"},
        json={"name": "later"},
    )
    assert (response.status_code, response.json()) == (200, {"queued": True})
    deadline = time.monotonic() + 20
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert json.loads(marker.read_text())["name"] == "later"


def test_the_integration_method_must_be_post(server: Server, api: str, http: httpx.Client) -> None:
    response = http.post(server.url(api, "test", "/get-method"), json={})
    assert (response.status_code, response.json()) == (500, {"message": "Internal server error"})

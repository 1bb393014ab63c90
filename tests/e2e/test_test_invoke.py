"""TestInvokeMethod end to end: boto3's `test_invoke_method` against the real server, running
the current (undeployed) definition of MOCK, HTTP and Lambda proxy methods through the
pipeline, with AWS's execution log (spec §11.5, §16.1, §16.4)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    add_method,
    add_path,
    aws_error,
    create_function,
    deploy,
    lambda_uri,
    mock_method,
    new_api,
)

LINE = re.compile(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d UTC \d{4} : (.*)$")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def messages(log: str) -> list[str]:
    """The log's messages, after checking its header line and every line's timestamp."""
    head, *lines = log.rstrip("\n").split("\n")
    assert re.fullmatch(f"Execution log for request {UUID}", head), head
    out = []
    for line in lines:
        match = LINE.match(line)
        assert match, line
        out.append(match.group(1))
    request_id = head.rsplit(" ", 1)[1]
    assert out[0] == f"Starting execution for request: {request_id}"
    return out


def invoke(apigw: Any, api_id: str, resource_id: str, verb: str, **kwargs: Any) -> Any:
    response = apigw.test_invoke_method(
        restApiId=api_id, resourceId=resource_id, httpMethod=verb, **kwargs
    )
    assert isinstance(response["latency"], int) and response["latency"] >= 0
    return response


def mock_resource(apigw: Any, path: str, verb: str, body: str) -> tuple[str, str]:
    """A new API with a MOCK method at `path`: (api id, resource id)."""
    api_id, root = new_api(apigw, "test-invoke")
    resource = add_path(apigw, api_id, root, path)
    mock_method(apigw, api_id, resource, verb, body)
    return api_id, resource


def replace(
    update: Any, api_id: str, resource: str, verb: str, path: str, value: str, **ids: str
) -> None:
    """One `replace` patch operation through an Update* call of the method's parts (`ids`:
    the call's other identifiers, such as statusCode)."""
    update(
        restApiId=api_id,
        resourceId=resource,
        httpMethod=verb,
        patchOperations=[{"op": "replace", "path": path, "value": value}],
        **ids,
    )


def assert_failed(
    response: Any, status: int, message: str, error_type: str, reason: str | None
) -> None:
    """A gateway error as TestInvokeMethod returns it: status, body and error type, and a log
    that ends with the reason (if the error has one) and the status, never a success."""
    assert response["status"] == status
    assert json.loads(response["body"]) == {"message": message}
    assert response["headers"]["x-amzn-ErrorType"] == error_type
    lines = messages(response["log"])
    ending = [reason] if reason else []
    assert lines[-len(ending) - 1 :] == [*ending, f"Method completed with status: {status}"]
    assert "Successfully completed execution" not in lines


# --- MOCK -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pets(apigw: Any) -> tuple[str, str]:
    """GET /pets/{id}: MOCK with request and response templates and a header mapping."""
    api_id, root = new_api(apigw, "test-invoke")
    resource = add_path(apigw, api_id, root, "/pets/{id}")
    add_method(
        apigw,
        api_id,
        resource,
        "GET",
        {
            "type": "MOCK",
            "requestTemplates": {"application/json": '{"statusCode": 200}'},
        },
    )
    apigw.put_method_response(
        restApiId=api_id,
        resourceId=resource,
        httpMethod="GET",
        statusCode="200",
        responseParameters={"method.response.header.X-Pet": False},
    )
    apigw.put_integration_response(
        restApiId=api_id,
        resourceId=resource,
        httpMethod="GET",
        statusCode="200",
        responseTemplates={
            "application/json": '{"id": "$input.params(\'id\')", "x": "$input.params(\'x\')", '
            '"color": "$stageVariables.color", "stage": "$context.stage"}'
        },
        responseParameters={"method.response.header.X-Pet": "'cat'"},
    )
    return api_id, resource


def get_pet(apigw: Any, pets: tuple[str, str], **kwargs: Any) -> Any:
    return invoke(apigw, *pets, "GET", **kwargs)


def test_mock_method_returns_status_body_headers_and_log(apigw: Any, pets: tuple[str, str]) -> None:
    response = get_pet(
        apigw, pets, pathWithQueryString="/pets/7?x=1", headers={"Accept": "application/json"}
    )
    body = '{"id": "7", "x": "1", "color": "", "stage": "test-invoke-stage"}'
    assert response["status"] == 200
    assert response["body"] == body
    assert response["headers"] == {"Content-Type": "application/json", "X-Pet": "cat"}
    assert response["multiValueHeaders"] == {
        "Content-Type": ["application/json"],
        "X-Pet": ["cat"],
    }
    assert messages(response["log"])[1:] == [
        "HTTP Method: GET, Resource Path: /pets/7",
        "Method request path: {id=7}",
        "Method request query string: {x=1}",
        "Method request headers: {Accept=application/json}",
        "Method request body before transformations: ",
        f"Method response body after transformations: {body}",
        "Method response headers: {Content-Type=application/json, X-Pet=cat}",
        "Successfully completed execution",
        "Method completed with status: 200",
    ]


def test_stage_variables_of_the_request_reach_templates(apigw: Any, pets: tuple[str, str]) -> None:
    response = get_pet(apigw, pets, pathWithQueryString="/pets/3", stageVariables={"color": "blue"})
    assert json.loads(response["body"])["color"] == "blue"


def test_without_a_path_the_resource_path_is_used(apigw: Any, pets: tuple[str, str]) -> None:
    response = get_pet(apigw, pets)
    assert json.loads(response["body"])["id"] == "{id}"
    assert "HTTP Method: GET, Resource Path: /pets/{id}" in messages(response["log"])


def test_sees_the_current_definition_while_the_stage_serves_the_deployed_one(
    apigw: Any, server: Server, http: httpx.Client
) -> None:
    api_id, resource = mock_resource(apigw, "/v", "GET", '{"version": "old"}')
    deploy(apigw, api_id, "live")
    replace(
        apigw.update_integration_response,
        api_id,
        resource,
        "GET",
        "/responseTemplates/application~1json",
        '{"version": "new"}',
        statusCode="200",
    )
    assert invoke(apigw, api_id, resource, "GET")["body"] == '{"version": "new"}'
    assert http.get(server.url(api_id, "live", "/v")).json() == {"version": "old"}


def test_a_broken_mapping_is_the_gateway_500(apigw: Any) -> None:
    api_id, resource = mock_resource(apigw, "/broken", "GET", "{}")
    replace(
        apigw.update_integration,
        api_id,
        resource,
        "GET",
        "/requestTemplates/application~1json",
        '{"statusCode": "two hundred"}',
    )
    assert_failed(
        invoke(apigw, api_id, resource, "GET"),
        500,
        "Internal server error",
        "InternalServerErrorException",
        "Execution failed due to configuration error: Unable to parse statusCode. It should "
        "be an integer that is defined in the request template.",
    )


def test_an_unsupported_media_type_is_415(apigw: Any) -> None:
    api_id, resource = mock_resource(apigw, "/strict", "POST", "{}")
    replace(apigw.update_integration, api_id, resource, "POST", "/passthroughBehavior", "NEVER")
    response = invoke(
        apigw, api_id, resource, "POST", body="<a/>", headers={"Content-Type": "text/xml"}
    )
    assert_failed(response, 415, "Unsupported Media Type", "BadRequestException", None)


# --- request validation ---------------------------------------------------------------------


def test_a_request_validation_failure_is_400_with_the_validator_message(apigw: Any) -> None:
    api_id, root = new_api(apigw, "test-invoke-validation")
    apigw.create_model(
        restApiId=api_id,
        name="Pet",
        contentType="application/json",
        schema=json.dumps(
            {
                "$schema": "http://json-schema.org/draft-04/schema#",
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}},
            }
        ),
    )
    validator = apigw.create_request_validator(
        restApiId=api_id, name="body", validateRequestBody=True
    )["id"]
    resource = add_path(apigw, api_id, root, "/pets")
    mock_method(apigw, api_id, resource, "POST", '{"ok": true}')
    apigw.update_method(
        restApiId=api_id,
        resourceId=resource,
        httpMethod="POST",
        patchOperations=[
            {"op": "replace", "path": "/requestValidatorId", "value": validator},
            {"op": "add", "path": "/requestModels/application~1json", "value": "Pet"},
        ],
    )
    headers = {"Content-Type": "application/json"}
    assert_failed(
        invoke(apigw, api_id, resource, "POST", body='{"age": 3}', headers=headers),
        400,
        "Invalid request body",
        "BadRequestException",
        "Request body does not match model schema for content type application/json: "
        '[object has missing required properties (["name"])]',
    )
    valid = invoke(apigw, api_id, resource, "POST", body='{"name": "Rex"}', headers=headers)
    assert (valid["status"], valid["body"]) == (200, '{"ok": true}')


# --- HTTP -----------------------------------------------------------------------------------


def test_http_integration_calls_the_upstream_and_logs_the_endpoint_request(
    apigw: Any, upstream: str
) -> None:
    api_id, root = new_api(apigw, "test-invoke-http")
    resource = add_path(apigw, api_id, root, "/echo/{id}")
    add_method(
        apigw,
        api_id,
        resource,
        "POST",
        {
            "type": "HTTP",
            "integrationHttpMethod": "POST",
            "uri": f"{upstream}/things/{{id}}",
            "requestParameters": {"integration.request.path.id": "method.request.path.id"},
            "requestTemplates": {
                "application/json": '{"thing": "$input.params(\'id\')", '
                '"tier": "$stageVariables.tier"}'
            },
        },
        requestParameters={"method.request.path.id": True},
    )
    apigw.put_method_response(
        restApiId=api_id, resourceId=resource, httpMethod="POST", statusCode="200"
    )
    apigw.put_integration_response(
        restApiId=api_id, resourceId=resource, httpMethod="POST", statusCode="200"
    )
    response = invoke(
        apigw,
        api_id,
        resource,
        "POST",
        pathWithQueryString="/echo/42",
        body='{"ignored": true}',
        headers={"Content-Type": "application/json"},
        stageVariables={"tier": "gold"},
    )
    assert response["status"] == 200
    echoed = json.loads(response["body"])
    sent = '{"thing": "42", "tier": "gold"}'
    assert (echoed["method"], echoed["path"], echoed["body"]) == ("POST", "/things/42", sent)
    lines = messages(response["log"])
    uri = f"{upstream}/things/42"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/things/42", uri)
    start = lines.index(f"Endpoint request URI: {uri}")
    assert lines[start - 1] == 'Method request body before transformations: {"ignored": true}'
    headers = lines[start + 1]
    assert headers.startswith("Endpoint request headers: {Content-Type=application/json, ")
    assert f"x-amzn-apigateway-api-id={api_id}" in headers
    assert f"User-Agent=AmazonAPIGateway_{api_id}" in headers
    assert lines[start + 2] == f"Endpoint request body after transformations: {sent}"
    assert lines[start + 3] == f"Sending request to {uri}"
    assert re.fullmatch(
        r"Received response\. Status: 200, Integration latency: \d+ ms", lines[start + 4]
    )
    assert "X-Upstream=echo" in lines[start + 5]
    assert lines[start + 6] == (
        f"Endpoint response body before transformations: {response['body']}"
    )
    assert lines[start + 7] == f"Method response body after transformations: {response['body']}"
    assert lines[-2:] == ["Successfully completed execution", "Method completed with status: 200"]


# --- Lambda proxy ---------------------------------------------------------------------------

ECHO_EVENT = """
import json
def handler(event, context):
    return {"statusCode": 201, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(event)}
"""


def test_lambda_proxy_integration_runs_the_function(apigw: Any, lam: Any) -> None:
    name = f"fn-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, ECHO_EVENT)
    api_id, root = new_api(apigw, "test-invoke-lambda")
    resource = add_path(apigw, api_id, root, "/items/{id}")
    add_method(
        apigw,
        api_id,
        resource,
        "GET",
        {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(name)},
    )
    response = invoke(
        apigw,
        api_id,
        resource,
        "GET",
        pathWithQueryString="/items/5?q=a&q=b",
        headers={"X-Client": "test"},
        stageVariables={"color": "green"},
    )
    assert response["status"] == 201
    event = json.loads(response["body"])
    assert event["resource"] == "/items/{id}"
    assert event["path"] == "/items/5"
    assert event["pathParameters"] == {"id": "5"}
    assert event["queryStringParameters"] == {"q": "b"}
    assert event["multiValueQueryStringParameters"] == {"q": ["a", "b"]}
    assert event["stageVariables"] == {"color": "green"}
    assert event["headers"]["X-Client"] == "test"
    assert event["requestContext"]["stage"] == "test-invoke-stage"
    assert event["requestContext"]["resourceId"] == resource
    trace = response["headers"]["X-Amzn-Trace-Id"]
    assert response["headers"] == {"Content-Type": "application/json", "X-Amzn-Trace-Id": trace}

    lines = messages(response["log"])
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    uri = f"https://lambda.{REGION}.amazonaws.com/2015-03-31/functions/{function}/invocations"
    assert lines[1:5] == [
        "HTTP Method: GET, Resource Path: /items/5",
        "Method request path: {id=5}",
        "Method request query string: {q=a,b}",
        "Method request headers: {X-Client=test}",
    ]
    start = lines.index(f"Endpoint request URI: {uri}")
    source_arn = (
        f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/test-invoke-stage/GET/items/{{id}}"
    )
    assert f"X-Amz-Source-Arn={source_arn}" in lines[start + 1]
    assert lines[start + 2].startswith('Endpoint request body after transformations: {"resource"')
    assert lines[start + 3] == f"Sending request to {uri}"
    assert lines[start + 4].startswith("Received response. Status: 200, Integration latency: ")
    assert lines[start + 6].startswith(
        'Endpoint response body before transformations: {"statusCode":201'
    )
    assert lines[-3:] == [
        f"Method response headers: {{Content-Type=application/json, X-Amzn-Trace-Id={trace}}}",
        "Successfully completed execution",
        "Method completed with status: 201",
    ]


# --- errors ---------------------------------------------------------------------------------


def test_unknown_api_resource_and_method_are_not_found(apigw: Any, pets: tuple[str, str]) -> None:
    api_id, resource = pets
    call = apigw.test_invoke_method
    assert aws_error(call, restApiId="nope", resourceId=resource, httpMethod="GET") == (
        404,
        "NotFoundException",
        f"Invalid API identifier specified {ACCOUNT}:nope",
    )
    assert aws_error(call, restApiId=api_id, resourceId="nope", httpMethod="GET") == (
        404,
        "NotFoundException",
        "Invalid Resource identifier specified",
    )
    assert aws_error(call, restApiId=api_id, resourceId=resource, httpMethod="POST") == (
        404,
        "NotFoundException",
        "Invalid Method identifier specified",
    )

"""AWS's defaults and checks for REST API definitions (spec §1.2, §3.1, §16.5)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tollway.control.apigateway import rules
from tollway.control.errors import BadRequestException, ConflictException, ServiceError


def test_new_definition_defaults() -> None:
    d = rules.new_definition(name="n", created=5)
    api = d["api"]
    assert re.fullmatch(r"[a-z0-9]{10}", api["id"])
    assert api["apiKeySource"] == "HEADER"
    assert api["endpointConfiguration"] == {"types": ["EDGE"], "ipAddressType": "ipv4"}
    assert d["resources"] == {
        api["rootResourceId"]: {"id": api["rootResourceId"], "resourceMethods": {}}
    }


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"types": ["EDGE", "REGIONAL"]}, "Cannot create an api with multiple Endpoint Types."),
        (
            {"types": ["PRIVATE"], "ipAddressType": "ipv4"},
            "Only dualstack ipAddressType is supported for Private APIs.",
        ),
        (
            {"types": ["REGIONAL"], "ipAddressType": "v6"},
            "ipAddressType must be either ipv4 or dualstack.",
        ),
    ],
)
def test_endpoint_configuration_checks(config: dict[str, Any], message: str) -> None:
    with pytest.raises(BadRequestException) as error:
        rules.check_endpoint_configuration(config)
    assert error.value.message == message


def _tree() -> Any:
    d = rules.new_definition(name="n", created=0)
    root = d["api"]["rootResourceId"]
    proxy = rules.new_resource(d["resources"], root, "{proxy+}")
    d["resources"][proxy["id"]] = proxy
    pets = rules.new_resource(d["resources"], root, "pets")
    d["resources"][pets["id"]] = pets
    return d["resources"], root, proxy["id"], pets["id"]


@pytest.mark.parametrize(
    ("where", "part", "error", "message"),
    [
        (
            "proxy",
            "child",
            BadRequestException,
            "Cannot create a child of a resource with a greedy path variable: {proxy+}",
        ),
        (
            "root",
            "pets",
            ConflictException,
            "Another resource with the same parent already has this name: pets",
        ),
        (
            "root",
            "{id}",
            BadRequestException,
            "A sibling ({proxy+}) of this resource already has a variable path part -- only one is "
            "allowed",
        ),
        (
            "pets",
            "a{b}",
            BadRequestException,
            "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the "
            "end and an optional plus sign before the closing brace.",
        ),
    ],
)
def test_path_part_rules(where: str, part: str, error: type[ServiceError], message: str) -> None:
    resources, root, proxy, pets = _tree()
    parent = {"proxy": proxy, "root": root, "pets": pets}[where]
    with pytest.raises(error) as raised:
        rules.check_path_part(resources, parent, part)
    assert raised.value.message == message


def test_integration_defaults() -> None:
    integration = rules.new_integration(
        "r1", {"type": "HTTP", "httpMethod": "GET", "uri": "http://x/{a}"}
    )
    assert integration == {
        "type": "HTTP",
        "httpMethod": "GET",
        "uri": "http://x/{a}",
        "connectionType": "INTERNET",
        "passthroughBehavior": "WHEN_NO_MATCH",
        "timeoutInMillis": 29000,
        "cacheNamespace": "r1",
        "cacheKeyParameters": [],
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"type": "HTTP", "httpMethod": "GET", "uri": "ftp://x"},
            "Invalid HTTP endpoint specified for URI",
        ),
        ({"type": "HTTP", "uri": "http://x"}, "Enumeration value for HttpMethod must be non-empty"),
        (
            {"type": "AWS", "httpMethod": "POST", "uri": "arn:aws:apigateway:us-east-1:s3:bucket"},
            "AWS ARN for integration must contain path or action",
        ),
        (
            {
                "type": "AWS_PROXY",
                "httpMethod": "POST",
                "uri": "arn:aws:apigateway:us-east-1:s3:path/b",
            },
            "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose "
            "stream invocations.",
        ),
        (
            {"type": "MOCK", "timeoutInMillis": 30000},
            "Timeout should be between 50 ms and 29000 ms",
        ),
        (
            {"type": "HTTP", "httpMethod": "GETS", "uri": "http://x"},
            "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY",
        ),
    ],
)
def test_integration_checks(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ServiceError) as error:
        rules.new_integration("r1", fields)
    assert error.value.message == message


def test_stage_variables_may_stand_for_parts_of_an_http_uri() -> None:
    integration = rules.new_integration(
        "r", {"type": "HTTP_PROXY", "httpMethod": "ANY", "uri": "http://${stageVariables.host}/x"}
    )
    assert integration["uri"] == "http://${stageVariables.host}/x"
    with pytest.raises(BadRequestException):
        rules.new_integration(
            "r", {"type": "HTTP_PROXY", "httpMethod": "ANY", "uri": "${stageVariables.url}"}
        )


def test_gateway_response_checks() -> None:
    with pytest.raises(ServiceError) as error:
        rules.new_gateway_response("DEFAULT_4XX", response_templates={"application/json": ""})
    assert error.value.message == "Invalid null or empty value in responseTemplates"
    with pytest.raises(ServiceError):
        rules.new_gateway_response("NOT_A_TYPE")
    assert rules.new_gateway_response("THROTTLED", status_code="499") == {
        "responseType": "THROTTLED",
        "statusCode": "499",
    }

"""HTTP API parameter mapping in the control plane (spec §4.8): CreateIntegration and
UpdateIntegration refuse what API Gateway refuses, with its messages, and UpdateIntegration
merges the mapping maps as AWS documents."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Server, aws_error

pytestmark = pytest.mark.e2e

PREFIX = "Invalid mapping expression specified: Validation Result: warnings : [], errors : ["


@pytest.fixture(scope="module")
def v2(server: Server) -> Any:
    return server.client("apigatewayv2")


@pytest.mark.parametrize(
    ("parameters", "error"),
    [
        (
            {"append:header.Authorization": "x"},
            "Operations on header Authorization are restricted",
        ),
        ({"overwrite:header.x-amz-date": "x"}, "Operations on header x-amz-date are restricted"),
        (
            {"append:path": "/x"},
            "Invalid Request Actioned Parameter destination specified: append:path",
        ),
        (
            {"append:header.x": "$request.body..name"},
            "Invalid mapping expression specified: $request.body..name",
        ),
        (
            {"append:header.x": "$response.header.y"},
            "Invalid mapping expression specified: $response.header.y",
        ),
    ],
)
def test_create_integration_refuses_invalid_request_parameters(
    v2: Any, upstream: str, parameters: dict[str, str], error: str
) -> None:
    api_id = v2.create_api(Name="invalid", ProtocolType="HTTP")["ApiId"]
    assert aws_error(
        v2.create_integration,
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="ANY",
        IntegrationUri=upstream,
        PayloadFormatVersion="1.0",
        RequestParameters=parameters,
    ) == (400, "BadRequestException", f"{PREFIX}{error}]")


@pytest.mark.parametrize(
    ("parameters", "error"),
    [
        (
            {"200": {"append:overwrite.static": "x"}},
            "Invalid Response Actioned Parameter destination specified: append:overwrite.static",
        ),
        (
            {"200": {"remove:header.Content-Length": "''"}},
            "Operations on header Content-Length are restricted",
        ),
        ({"600": {"append:header.x": "y"}}, "Invalid status code specified: 600"),
        ({"500": {"overwrite:statuscode": "abc"}}, "Invalid status code specified: abc"),
    ],
)
def test_create_and_update_integration_refuse_invalid_response_parameters(
    v2: Any, upstream: str, parameters: dict[str, dict[str, str]], error: str
) -> None:
    api_id = v2.create_api(Name="invalid", ProtocolType="HTTP")["ApiId"]
    fields = {
        "ApiId": api_id,
        "IntegrationType": "HTTP_PROXY",
        "IntegrationMethod": "ANY",
        "IntegrationUri": upstream,
        "PayloadFormatVersion": "1.0",
    }
    expected = (400, "BadRequestException", f"{PREFIX}{error}]")
    assert aws_error(v2.create_integration, **fields, ResponseParameters=parameters) == expected
    integration_id = v2.create_integration(**fields)["IntegrationId"]
    assert (
        aws_error(
            v2.update_integration,
            ApiId=api_id,
            IntegrationId=integration_id,
            ResponseParameters=parameters,
        )
        == expected
    )


def test_update_integration_merges_parameter_mappings(v2: Any, upstream: str) -> None:
    # AWS: UpdateIntegration merges the maps; a key given "" is removed, and a status code
    # given {} loses its response mappings.
    api_id = v2.create_api(Name="merge", ProtocolType="HTTP")["ApiId"]
    integration_id = v2.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="ANY",
        IntegrationUri=upstream,
        PayloadFormatVersion="1.0",
        RequestParameters={
            "append:header.header1": "$context.requestId",
            "remove:querystring.qs1": "''",
        },
        ResponseParameters={
            "200": {"append:header.a": "1"},
            "500": {"overwrite:statuscode": "403"},
        },
    )["IntegrationId"]
    updated = v2.update_integration(
        ApiId=api_id,
        IntegrationId=integration_id,
        RequestParameters={"append:header.header1": "", "append:header.header2": "static"},
        ResponseParameters={"200": {}, "500": {"append:header.b": "2"}},
    )
    expected_request = {"remove:querystring.qs1": "''", "append:header.header2": "static"}
    expected_response = {"500": {"overwrite:statuscode": "403", "append:header.b": "2"}}
    assert updated["RequestParameters"] == expected_request
    assert updated["ResponseParameters"] == expected_response
    stored = v2.get_integration(ApiId=api_id, IntegrationId=integration_id)
    assert stored["RequestParameters"] == expected_request
    assert stored["ResponseParameters"] == expected_response

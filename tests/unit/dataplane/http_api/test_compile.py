"""Compiling HTTP API stages: what is served, and the warnings naming what is not."""

from __future__ import annotations

from tests.unit.dataplane.http_api.conftest import add_route, definition, stage

from tollway.dataplane.http_api.integrations import (
    HttpLambdaProxy,
    HttpProxy,
    HttpServiceIntegration,
)
from tollway.dataplane.integrations.unsupported import UnsupportedIntegration


def test_routes_integrations_and_stage_settings() -> None:
    api = definition()
    add_route(api, "GET /pets")
    add_route(api, "ANY /{proxy+}", {"IntegrationType": "HTTP_PROXY",
                                     "IntegrationUri": "http://${stageVariables.h}/{proxy}"})  # fmt: skip
    add_route(api, "$default")
    compiled = stage(api, "dev", StageVariables={"h": "example"})
    assert compiled.routes.keys == ["GET /pets", "ANY /{proxy+}", "$default"]
    assert compiled.stage_name == "dev"
    assert compiled.variables == {"h": "example"}
    assert compiled.warnings == []
    found = compiled.routes.match("GET", "/pets")
    assert found is not None and isinstance(found[0].integration, HttpLambdaProxy)
    found = compiled.routes.match("GET", "/a")
    assert found is not None and isinstance(found[0].integration, HttpProxy)


def test_warnings_name_every_feature_not_acted_on() -> None:
    api = definition(CorsConfiguration={"AllowOrigins": ["*"]}, DisableExecuteApiEndpoint=True)
    add_route(api, "GET /a", AuthorizationType="JWT", AuthorizerId="au12345")
    add_route(api, "GET /b", ApiKeyRequired=True)
    add_route(api, "GET /c", {"IntegrationType": "HTTP_PROXY", "IntegrationUri": "http://x",
                              "ConnectionType": "VPC_LINK"})  # fmt: skip
    add_route(api, "GET /d", {"IntegrationType": "AWS_PROXY", "IntegrationSubtype": "SNS-Publish"})
    add_route(api, "GET /e", {"IntegrationType": "HTTP_PROXY", "IntegrationUri": "http://x",
                              "RequestParameters": {"overwrite:path": "/p"},
                              "TimeoutInMillis": 60000})  # fmt: skip
    add_route(api, "GET /f", {"IntegrationType": "MOCK"})
    compiled = stage(
        api,
        DefaultRouteSettings={"ThrottlingBurstLimit": 5},
        RouteSettings={"GET /a": {"ThrottlingRateLimit": 1.0}},
    )
    assert compiled.warnings == [
        "route authorization JWT needs a JWT authorizer, not au12345 (its requests are refused "
        "with 500) on route GET /a",
        "ApiKeyRequired is for WebSocket routes only (HTTP APIs have no API keys on AWS): "
        "requests are let through without a key on route GET /b",
        "private integrations (ConnectionType VPC_LINK) are not supported yet on route GET /c",
        "integration subtype SNS-Publish is not one Tollway supports on route GET /d",
        "TimeoutInMillis 60000 is outside 50-30000 (clamped) on route GET /e",
        "integration type MOCK is not one HTTP APIs support on route GET /f",
    ]
    assert compiled.disable_execute_api_endpoint
    for key in ("GET /c", "GET /d", "GET /f"):
        found = compiled.routes.match("GET", "/" + key[-1])
        assert found is not None and isinstance(found[0].integration, UnsupportedIntegration)


def test_a_subtype_integration_compiles_to_a_service_call() -> None:
    api = definition()
    add_route(api, "POST /send", {
        "IntegrationType": "AWS_PROXY", "IntegrationSubtype": "SQS-SendMessage",
        "RequestParameters": {"QueueUrl": "https://q", "MessageBody": "$request.body"},
    })  # fmt: skip
    compiled = stage(api)
    assert compiled.warnings == []
    found = compiled.routes.match("POST", "/send")
    assert found is not None and isinstance(found[0].integration, HttpServiceIntegration)


def test_a_route_without_integration_and_a_bad_route_key_are_reported() -> None:
    api = definition()
    route_id = add_route(api, "GET /x")
    del api["Routes"][route_id]["Target"]
    add_route(api, "GET /{proxy+}/child")
    compiled = stage(api)
    assert compiled.warnings == [
        "route GET /x has no integration (its requests will fail with 500)",
        "route GET /{proxy+}/child is not served: greedy variable not last in "
        "'GET /{proxy+}/child'",
    ]

"""The apigatewayv2 control plane end to end: boto3 against the real server (shapes, AWS's
errors, quick create's managed resources, auto-deploy, deployments, paging, tags, domain
names) and the store left consistent by refused requests."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    aws_error,
    create_function,
    function_arn,
    shape,
    status_of,
)

HTTP_URL = "https://example.com/backend"


@pytest.fixture(scope="module")
def v2(server: Server) -> Any:
    return server.client("apigatewayv2")


def _api(v2: Any, name: str = "v2-e2e", **kwargs: Any) -> str:
    return str(v2.create_api(Name=name, ProtocolType="HTTP", **kwargs)["ApiId"])


def _routed_api(v2: Any) -> tuple[str, str]:
    """An API with one HTTP_PROXY integration; (api id, integration id)."""
    api_id = _api(v2)
    integration = v2.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationUri=HTTP_URL,
        IntegrationMethod="GET",
        PayloadFormatVersion="1.0",
    )
    return api_id, integration["IntegrationId"]


def test_create_api_shape(v2: Any) -> None:
    created = v2.create_api(Name="shape", ProtocolType="HTTP", Description="d", Tags={"a": "b"})
    assert status_of(created) == 201
    api = shape(created)
    api_id = api.pop("ApiId")
    assert isinstance(api.pop("CreatedDate"), datetime.datetime)
    assert api == {
        "ApiEndpoint": f"https://{api_id}.execute-api.{REGION}.amazonaws.com",
        "ApiKeySelectionExpression": "$request.header.x-api-key",
        "Description": "d",
        "DisableExecuteApiEndpoint": False,
        "IpAddressType": "ipv4",
        "Name": "shape",
        "ProtocolType": "HTTP",
        "RouteSelectionExpression": "${request.method} ${request.path}",
        "Tags": {"a": "b"},
    }
    assert shape(v2.get_api(ApiId=api_id))["Name"] == "shape"


def test_missing_api_is_awss_not_found(v2: Any) -> None:
    assert aws_error(v2.get_api, ApiId="nope123456") == (
        404,
        "NotFoundException",
        f"Invalid API identifier specified {ACCOUNT}:nope123456",
    )
    assert aws_error(v2.get_routes, ApiId="nope123456")[0] == 404


def test_websocket_apis_are_stored(v2: Any) -> None:
    api = v2.create_api(
        Name="ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )
    assert api["ApiEndpoint"] == f"wss://{api['ApiId']}.execute-api.{REGION}.amazonaws.com"
    route = v2.create_route(ApiId=api["ApiId"], RouteKey="$connect")
    assert route["RouteKey"] == "$connect"
    assert aws_error(v2.create_api, Name="ws", ProtocolType="WEBSOCKET", Target=HTTP_URL) == (
        400,
        "BadRequestException",
        "Target is supported only for HTTP APIs (quick create)",
    )


def test_quick_create_with_a_url(v2: Any) -> None:
    api_id = v2.create_api(Name="quick", ProtocolType="HTTP", Target=HTTP_URL)["ApiId"]
    [integration] = v2.get_integrations(ApiId=api_id)["Items"]
    integration_id = integration.pop("IntegrationId")
    assert integration == {
        "ApiGatewayManaged": True,
        "ConnectionType": "INTERNET",
        "IntegrationMethod": "ANY",
        "IntegrationType": "HTTP_PROXY",
        "IntegrationUri": HTTP_URL,
        "PayloadFormatVersion": "1.0",
        "TimeoutInMillis": 30000,
    }
    [route] = v2.get_routes(ApiId=api_id)["Items"]
    route.pop("RouteId")
    assert route == {
        "ApiGatewayManaged": True,
        "ApiKeyRequired": False,
        "AuthorizationType": "NONE",
        "RouteKey": "$default",
        "Target": f"integrations/{integration_id}",
    }
    [stage] = v2.get_stages(ApiId=api_id)["Items"]
    [deployment] = v2.get_deployments(ApiId=api_id)["Items"]
    assert stage["StageName"] == "$default"
    assert stage["ApiGatewayManaged"] is True
    assert stage["AutoDeploy"] is True
    assert stage["DeploymentId"] == deployment["DeploymentId"]
    assert stage["LastDeploymentStatusMessage"] == (
        f"Successfully deployed stage with deployment ID '{deployment['DeploymentId']}'"
    )
    assert stage["DefaultRouteSettings"] == {"DetailedMetricsEnabled": False}
    assert (stage["RouteSettings"], stage["StageVariables"], stage["Tags"]) == ({}, {}, {})
    assert deployment["AutoDeployed"] is True
    assert deployment["DeploymentStatus"] == "DEPLOYED"
    assert deployment["Description"] == (
        "Automatic deployment triggered by changes to the Api configuration"
    )


def test_quick_create_with_a_lambda_function(v2: Any, lam: Any) -> None:
    create_function(lam, "v2-quick", "def handler(event, context):\n    return 'ok'\n")
    arn = function_arn("v2-quick")
    api_id = v2.create_api(
        Name="quick-fn",
        ProtocolType="HTTP",
        Target=arn,
        RouteKey="GET /hello",
        CredentialsArn=f"arn:aws:iam::{ACCOUNT}:role/invoke",
    )["ApiId"]
    [integration] = v2.get_integrations(ApiId=api_id)["Items"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["PayloadFormatVersion"] == "2.0"
    assert integration["IntegrationUri"] == arn
    assert integration["CredentialsArn"] == f"arn:aws:iam::{ACCOUNT}:role/invoke"
    [route] = v2.get_routes(ApiId=api_id)["Items"]
    assert route["RouteKey"] == "GET /hello"
    # The managed route key cannot change, the managed integration cannot be deleted.
    assert aws_error(
        v2.update_route, ApiId=api_id, RouteId=route["RouteId"], RouteKey="GET /other"
    )[:2] == (400, "BadRequestException")
    assert aws_error(
        v2.delete_integration, ApiId=api_id, IntegrationId=integration["IntegrationId"]
    )[:2] == (400, "BadRequestException")
    updated = v2.update_integration(
        ApiId=api_id, IntegrationId=integration["IntegrationId"], TimeoutInMillis=1000
    )
    assert updated["TimeoutInMillis"] == 1000


def test_routes_are_checked(v2: Any) -> None:
    api_id, integration_id = _routed_api(v2)
    target = f"integrations/{integration_id}"
    created = v2.create_route(ApiId=api_id, RouteKey="GET /pets/{id}", Target=target)
    assert status_of(created) == 201
    assert aws_error(v2.create_route, ApiId=api_id, RouteKey="GET /pets/{id}") == (
        409,
        "ConflictException",
        "Route with key GET /pets/{id} already exists for this API",
    )
    assert aws_error(v2.create_route, ApiId=api_id, RouteKey="POST /pets/{petId}") == (
        409,
        "ConflictException",
        'The provided route key "POST /pets/{petId}" has a conflicting variable on the same '
        'hierarchical level as "GET /pets/{id}"',
    )
    status, code, _ = aws_error(v2.create_route, ApiId=api_id, RouteKey="GET /{proxy+}/x")
    assert (status, code) == (400, "BadRequestException")
    assert aws_error(
        v2.create_route, ApiId=api_id, RouteKey="GET /b", Target="integrations/nope123"
    ) == (404, "NotFoundException", "Invalid Integration identifier specified nope123")
    assert aws_error(v2.get_route, ApiId=api_id, RouteId="nope123") == (
        404,
        "NotFoundException",
        "Invalid Route identifier specified nope123",
    )
    # The refused requests left the API as it was.
    assert [r["RouteKey"] for r in v2.get_routes(ApiId=api_id)["Items"]] == ["GET /pets/{id}"]
    route_id = created["RouteId"]
    moved = v2.update_route(ApiId=api_id, RouteId=route_id, RouteKey="ANY /{proxy+}")
    assert (moved["RouteKey"], moved["Target"]) == ("ANY /{proxy+}", target)
    v2.update_route(ApiId=api_id, RouteId=route_id, RequestParameters={"x": {"Required": True}})
    v2.delete_route_request_parameter(ApiId=api_id, RouteId=route_id, RequestParameterKey="x")
    assert v2.get_route(ApiId=api_id, RouteId=route_id)["RequestParameters"] == {}
    assert aws_error(v2.delete_integration, ApiId=api_id, IntegrationId=integration_id)[:2] == (
        409,
        "ConflictException",
    )
    assert status_of(v2.delete_route(ApiId=api_id, RouteId=route_id)) == 204
    assert status_of(v2.delete_integration(ApiId=api_id, IntegrationId=integration_id)) == 204
    assert v2.get_integrations(ApiId=api_id)["Items"] == []


def test_route_responses_are_stored(v2: Any) -> None:
    api_id = v2.create_api(
        Name="ws-rr", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    route_id = v2.create_route(ApiId=api_id, RouteKey="$default")["RouteId"]
    response = v2.create_route_response(ApiId=api_id, RouteId=route_id, RouteResponseKey="$default")
    key = {"ApiId": api_id, "RouteId": route_id, "RouteResponseId": response["RouteResponseId"]}
    got = shape(v2.get_route_response(**key))
    assert got == {
        "RouteResponseId": response["RouteResponseId"],
        "RouteResponseKey": "$default",
    }
    v2.delete_route_response(**key)
    assert v2.get_route_responses(ApiId=api_id, RouteId=route_id)["Items"] == []


def test_integrations_are_checked(v2: Any) -> None:
    api_id = _api(v2)
    lambda_arn = function_arn("anything")
    created = shape(
        v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=lambda_arn)
    )
    created.pop("IntegrationId")
    assert created == {
        "ConnectionType": "INTERNET",
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": lambda_arn,
        "PayloadFormatVersion": "1.0",
        "TimeoutInMillis": 30000,
    }
    assert aws_error(
        v2.create_integration,
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=lambda_arn,
        TimeoutInMillis=30001,
    ) == (
        400,
        "BadRequestException",
        "1 validation error detected: Value '30001' at 'createIntegrationInput.timeoutInMillis' "
        "failed to satisfy constraint: Member must have value less than or equal to 30000",
    )
    assert aws_error(
        v2.create_integration,
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationUri=HTTP_URL,
        IntegrationMethod="GET",
        RequestParameters={"overwrite:header.Authorization": "x"},
    ) == (
        400,
        "BadRequestException",
        "Invalid mapping expression specified: Validation Result: warnings : [], errors : "
        "[Operations on header Authorization are restricted]",
    )
    status, _, message = aws_error(
        v2.create_integration,
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationSubtype="SQS-SendMessage",
        CredentialsArn=f"arn:aws:iam::{ACCOUNT}:role/sqs",
        RequestParameters={"QueueUrl": "https://sqs/q"},
    )
    assert (status, message) == (400, "Parameter MessageBody is required for SQS-SendMessage")
    assert aws_error(
        v2.create_integration,
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationUri="arn:aws:elasticloadbalancing:us-east-1:1:listener/x",
        IntegrationMethod="GET",
        ConnectionType="VPC_LINK",
        ConnectionId="abc",
    ) == (
        501,
        "NotImplementedException",
        "Tollway does not support private integrations (ConnectionType VPC_LINK) yet",
    )
    assert len(v2.get_integrations(ApiId=api_id)["Items"]) == 1


def test_integration_responses_are_stored(v2: Any) -> None:
    api_id = v2.create_api(
        Name="ws-ir", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    integration_id = v2.create_integration(ApiId=api_id, IntegrationType="MOCK")["IntegrationId"]
    created = v2.create_integration_response(
        ApiId=api_id, IntegrationId=integration_id, IntegrationResponseKey="$default"
    )
    assert status_of(created) == 201
    listed = v2.get_integration_responses(ApiId=api_id, IntegrationId=integration_id)["Items"]
    assert [r["IntegrationResponseKey"] for r in listed] == ["$default"]
    v2.delete_integration_response(
        ApiId=api_id,
        IntegrationId=integration_id,
        IntegrationResponseId=created["IntegrationResponseId"],
    )
    assert v2.get_integration_responses(ApiId=api_id, IntegrationId=integration_id)["Items"] == []


def test_auto_deploy(v2: Any) -> None:
    api_id, integration_id = _routed_api(v2)
    stage = v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    # Nothing to deploy yet: AWS refuses to deploy an API without routes.
    assert "DeploymentId" not in stage
    assert stage["LastDeploymentStatusMessage"] == (
        "Unable to deploy API because no routes exist in this API"
    )
    v2.create_stage(ApiId=api_id, StageName="manual")
    v2.create_route(ApiId=api_id, RouteKey="GET /a", Target=f"integrations/{integration_id}")
    first = v2.get_stage(ApiId=api_id, StageName="$default")["DeploymentId"]
    v2.create_route(ApiId=api_id, RouteKey="GET /b", Target=f"integrations/{integration_id}")
    second = v2.get_stage(ApiId=api_id, StageName="$default")["DeploymentId"]
    assert first != second
    deployments = v2.get_deployments(ApiId=api_id)["Items"]
    assert [d["DeploymentId"] for d in deployments] == [first, second]
    assert all(d["AutoDeployed"] for d in deployments)
    assert "DeploymentId" not in v2.get_stage(ApiId=api_id, StageName="manual")
    # A refused change deploys nothing.
    aws_error(v2.create_route, ApiId=api_id, RouteKey="GET /b")
    assert len(v2.get_deployments(ApiId=api_id)["Items"]) == 2
    # Turning auto-deploy on deploys at once; setting a deployment by hand is then refused.
    turned_on = v2.update_stage(ApiId=api_id, StageName="manual", AutoDeploy=True)
    assert turned_on["DeploymentId"] not in (first, second)
    assert aws_error(v2.update_stage, ApiId=api_id, StageName="manual", DeploymentId=first) == (
        400,
        "BadRequestException",
        "DeploymentId cannot be updated on a stage with AutoDeploy enabled",
    )


def test_deployments(v2: Any) -> None:
    api_id, integration_id = _routed_api(v2)
    assert aws_error(v2.create_deployment, ApiId=api_id) == (
        400,
        "BadRequestException",
        "Unable to deploy API because no routes exist in this API",
    )
    v2.create_route(ApiId=api_id, RouteKey="$default", Target=f"integrations/{integration_id}")
    v2.create_stage(ApiId=api_id, StageName="prod", StageVariables={"v": "1"})
    created = v2.create_deployment(ApiId=api_id, Description="first", StageName="prod")
    assert status_of(created) == 201
    deployment = shape(created)
    deployment_id = deployment.pop("DeploymentId")
    assert isinstance(deployment.pop("CreatedDate"), datetime.datetime)
    assert deployment == {
        "AutoDeployed": False,
        "DeploymentStatus": "DEPLOYED",
        "Description": "first",
    }
    stage = v2.get_stage(ApiId=api_id, StageName="prod")
    assert (stage["DeploymentId"], stage["StageVariables"]) == (deployment_id, {"v": "1"})
    assert aws_error(v2.delete_deployment, ApiId=api_id, DeploymentId=deployment_id) == (
        400,
        "BadRequestException",
        "Active stages pointing to this deployment must be moved or deleted",
    )
    other = v2.create_deployment(ApiId=api_id)["DeploymentId"]
    v2.update_stage(ApiId=api_id, StageName="prod", DeploymentId=other)
    v2.update_deployment(ApiId=api_id, DeploymentId=deployment_id, Description="old")
    assert v2.get_deployment(ApiId=api_id, DeploymentId=deployment_id)["Description"] == "old"
    assert status_of(v2.delete_deployment(ApiId=api_id, DeploymentId=deployment_id)) == 204
    assert aws_error(v2.get_deployment, ApiId=api_id, DeploymentId=deployment_id) == (
        404,
        "NotFoundException",
        f"Invalid Deployment identifier specified {deployment_id}",
    )


def test_stage_settings(v2: Any) -> None:
    api_id, integration_id = _routed_api(v2)
    v2.create_route(ApiId=api_id, RouteKey="GET /a", Target=f"integrations/{integration_id}")
    settings = {"ThrottlingBurstLimit": 5, "ThrottlingRateLimit": 2.5}
    stage = v2.create_stage(
        ApiId=api_id,
        StageName="dev",
        RouteSettings={"GET /a": settings},
        DefaultRouteSettings={"LoggingLevel": "INFO"},
        AccessLogSettings={"DestinationArn": "arn:aws:logs:x", "Format": "$context.requestId"},
    )
    assert stage["RouteSettings"] == {"GET /a": settings}
    assert stage["DefaultRouteSettings"] == {
        "DetailedMetricsEnabled": False,
        "LoggingLevel": "INFO",
    }
    assert aws_error(
        v2.update_stage, ApiId=api_id, StageName="dev", RouteSettings={"GET /some-route": {}}
    ) == (
        404,
        "NotFoundException",
        "Unable to find Route by key GET /some-route within the provided RouteSettings",
    )
    v2.delete_route_settings(ApiId=api_id, StageName="dev", RouteKey="GET /a")
    v2.delete_access_log_settings(ApiId=api_id, StageName="dev")
    stage = v2.get_stage(ApiId=api_id, StageName="dev")
    assert stage["RouteSettings"] == {}
    assert "AccessLogSettings" not in stage
    assert aws_error(v2.create_stage, ApiId=api_id, StageName="bad name")[:2] == (
        400,
        "BadRequestException",
    )
    assert aws_error(v2.get_stage, ApiId=api_id, StageName="nope") == (
        404,
        "NotFoundException",
        "Invalid stage identifier specified",
    )
    assert status_of(v2.delete_stage(ApiId=api_id, StageName="dev")) == 204
    assert v2.get_stages(ApiId=api_id)["Items"] == []


def test_cors_configuration(v2: Any) -> None:
    cors = {"AllowOrigins": ["https://a.example"], "AllowMethods": ["GET"], "MaxAge": 300}
    api_id = _api(v2, CorsConfiguration=cors)
    assert v2.get_api(ApiId=api_id)["CorsConfiguration"] == cors
    v2.update_api(ApiId=api_id, DisableExecuteApiEndpoint=True)
    assert v2.get_api(ApiId=api_id)["DisableExecuteApiEndpoint"] is True
    status, code, _ = aws_error(
        v2.update_api,
        ApiId=api_id,
        CorsConfiguration={"AllowOrigins": ["*"], "AllowCredentials": True},
    )
    assert (status, code) == (400, "BadRequestException")
    assert v2.get_api(ApiId=api_id)["CorsConfiguration"] == cors
    assert status_of(v2.delete_cors_configuration(ApiId=api_id)) == 204
    assert "CorsConfiguration" not in v2.get_api(ApiId=api_id)


def test_paging(v2: Any) -> None:
    api_id, integration_id = _routed_api(v2)
    for i in range(5):
        v2.create_route(
            ApiId=api_id, RouteKey=f"GET /r{i}", Target=f"integrations/{integration_id}"
        )
    first = v2.get_routes(ApiId=api_id, MaxResults="2")
    assert len(first["Items"]) == 2
    second = v2.get_routes(ApiId=api_id, MaxResults="2", NextToken=first["NextToken"])
    assert second["Items"][0]["RouteKey"] == "GET /r2"
    pages = v2.get_paginator("get_routes").paginate(ApiId=api_id, PaginationConfig={"PageSize": 2})
    keys = [r["RouteKey"] for page in pages for r in page["Items"]]
    assert keys == [f"GET /r{i}" for i in range(5)]
    listed = [a["ApiId"] for page in v2.get_paginator("get_apis").paginate() for a in page["Items"]]
    assert api_id in listed


def test_models_and_authorizers(v2: Any) -> None:
    api_id = _api(v2)
    schema = (
        '{"type": "object", "properties": {"name": {"type": "string"}, "n": {"type": "integer"}}}'
    )
    model = v2.create_model(ApiId=api_id, Name="Pet", Schema=schema, ContentType="application/json")
    assert aws_error(v2.create_model, ApiId=api_id, Name="Pet", Schema=schema)[:2] == (
        409,
        "ConflictException",
    )
    template = v2.get_model_template(ApiId=api_id, ModelId=model["ModelId"])["Value"]
    assert template == (
        "#set($inputRoot = $input.path('$'))\n{\n"
        '  "name" : "$inputRoot.name",\n  "n" : $inputRoot.n\n}'
    )
    authorizer = v2.create_authorizer(
        ApiId=api_id,
        Name="jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": "https://issuer.example", "Audience": ["a"]},
    )
    route = v2.create_route(
        ApiId=api_id,
        RouteKey="GET /secure",
        AuthorizationType="JWT",
        AuthorizerId=authorizer["AuthorizerId"],
        AuthorizationScopes=["read"],
    )
    assert route["AuthorizerId"] == authorizer["AuthorizerId"]
    assert aws_error(v2.delete_authorizer, ApiId=api_id, AuthorizerId=authorizer["AuthorizerId"])[
        :2
    ] == (409, "ConflictException")
    assert aws_error(v2.get_model, ApiId=api_id, ModelId="nope123") == (
        404,
        "NotFoundException",
        "Invalid Model identifier specified nope123",
    )


def test_tags(v2: Any) -> None:
    api_id, _ = _routed_api(v2)
    v2.create_stage(ApiId=api_id, StageName="prod")
    api_arn = f"arn:aws:apigateway:{REGION}::/apis/{api_id}"
    stage_arn = f"{api_arn}/stages/prod"
    assert status_of(v2.tag_resource(ResourceArn=api_arn, Tags={"team": "a", "x": "1"})) == 201
    v2.tag_resource(ResourceArn=stage_arn, Tags={"env": "prod"})
    assert v2.untag_resource(ResourceArn=api_arn, TagKeys=["x"])
    assert v2.get_tags(ResourceArn=api_arn)["Tags"] == {"team": "a"}
    assert v2.get_tags(ResourceArn=stage_arn)["Tags"] == {"env": "prod"}
    assert v2.get_api(ApiId=api_id)["Tags"] == {"team": "a"}
    assert v2.get_deployments(ApiId=api_id)["Items"] == []  # tags do not deploy
    assert aws_error(v2.get_tags, ResourceArn=f"arn:aws:apigateway:{REGION}::/apis/nope")[:2] == (
        404,
        "NotFoundException",
    )


def test_domain_names_and_api_mappings(v2: Any) -> None:
    api_id, _ = _routed_api(v2)
    v2.create_stage(ApiId=api_id, StageName="prod")
    name = f"{api_id}.example.com"
    domain = v2.create_domain_name(
        DomainName=name, DomainNameConfigurations=[{"CertificateArn": "arn:aws:acm:x"}]
    )
    assert domain["ApiMappingSelectionExpression"] == "$request.basepath"
    [config] = domain["DomainNameConfigurations"]
    assert config["EndpointType"] == "REGIONAL"
    assert config["ApiGatewayDomainName"].endswith(f".execute-api.{REGION}.amazonaws.com")
    assert aws_error(v2.create_domain_name, DomainName=name) == (
        409,
        "ConflictException",
        "The domain name resource already exists.",
    )
    mapping = v2.create_api_mapping(DomainName=name, ApiId=api_id, Stage="prod", ApiMappingKey="v1")
    assert aws_error(
        v2.create_api_mapping, DomainName=name, ApiId=api_id, Stage="prod", ApiMappingKey="v1"
    )[:2] == (409, "ConflictException")
    assert aws_error(
        v2.create_api_mapping, DomainName=name, ApiId=api_id, Stage="nope", ApiMappingKey="v2"
    ) == (404, "NotFoundException", "Invalid stage identifier specified")
    assert aws_error(
        v2.create_api_mapping, DomainName=name, ApiId=api_id, Stage="prod", ApiMappingKey="v2/"
    ) == (400, "BadRequestException", "API mapping key should not end with a '/'.")
    got = shape(v2.get_api_mapping(DomainName=name, ApiMappingId=mapping["ApiMappingId"]))
    assert got == {
        "ApiId": api_id,
        "ApiMappingId": mapping["ApiMappingId"],
        "ApiMappingKey": "v1",
        "Stage": "prod",
    }
    v2.delete_domain_name(DomainName=name)
    assert aws_error(v2.get_api_mappings, DomainName=name) == (
        404,
        "NotFoundException",
        "The domain name resource specified in the request was not found.",
    )


def test_vpc_links_are_not_supported(v2: Any) -> None:
    assert aws_error(v2.get_vpc_links) == (
        501,
        "NotImplementedException",
        "Tollway does not support the apigatewayv2 operation GetVpcLinks yet",
    )


def test_delete_api_removes_everything(v2: Any) -> None:
    api_id = v2.create_api(Name="gone", ProtocolType="HTTP", Target=HTTP_URL)["ApiId"]
    assert status_of(v2.delete_api(ApiId=api_id)) == 204
    assert aws_error(v2.get_stages, ApiId=api_id)[0] == 404
    listed = [a["ApiId"] for page in v2.get_paginator("get_apis").paginate() for a in page["Items"]]
    assert api_id not in listed

"""WebSocket APIs in the apigatewayv2 control plane end to end (spec §13, §5.10): boto3 against
the real server, each resource's shape as AWS returns it and AWS's refusals, with the store
left as it was by a refused request."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from tests.e2e.conftest import REGION, Server, aws_error, function_arn, shape, status_of

BODY_ONLY = "Supported: $request.body.<path>, ${request.body.<path>} and static text"
LAMBDA = function_arn("ws-handler")
INVOKE_URI = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{LAMBDA}/invocations"
SCHEMA = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {"action": {"type": "string"}},
        "required": ["action"],
    }
)


@pytest.fixture(scope="module")
def v2(server: Server) -> Any:
    return server.client("apigatewayv2")


def _ws(v2: Any, **kwargs: Any) -> str:
    fields = {"Name": "ws", "RouteSelectionExpression": "$request.body.action", **kwargs}
    return str(v2.create_api(ProtocolType="WEBSOCKET", **fields)["ApiId"])


def _bad(call: Any, /, **kwargs: Any) -> str:
    """The message of a call AWS answers 400 BadRequestException."""
    status, code, message = aws_error(call, **kwargs)
    assert (status, code) == (400, "BadRequestException")
    return message


# --- APIs -----------------------------------------------------------------------------------


def test_create_api_shape(v2: Any) -> None:
    created = v2.create_api(
        Name="chat",
        ProtocolType="WEBSOCKET",
        RouteSelectionExpression="${request.body.action}",
        DisableSchemaValidation=True,
        Description="d",
    )
    assert status_of(created) == 201
    api = shape(created)
    api_id = api.pop("ApiId")
    assert isinstance(api.pop("CreatedDate"), datetime.datetime)
    assert api == {
        "ApiEndpoint": f"wss://{api_id}.execute-api.{REGION}.amazonaws.com",
        "ApiKeySelectionExpression": "$request.header.x-api-key",
        "Description": "d",
        "DisableExecuteApiEndpoint": False,
        "DisableSchemaValidation": True,
        "IpAddressType": "ipv4",
        "Name": "chat",
        "ProtocolType": "WEBSOCKET",
        "RouteSelectionExpression": "${request.body.action}",
        "Tags": {},
    }
    listed = [a for a in v2.get_apis(MaxResults="500")["Items"] if a["ApiId"] == api_id]
    assert [a["RouteSelectionExpression"] for a in listed] == ["${request.body.action}"]
    updated = v2.update_api(
        ApiId=api_id,
        ApiKeySelectionExpression="$context.authorizer.usageIdentifierKey",
        RouteSelectionExpression="$request.body.service",
    )
    assert updated["ApiKeySelectionExpression"] == "$context.authorizer.usageIdentifierKey"
    assert v2.get_api(ApiId=api_id)["RouteSelectionExpression"] == "$request.body.service"


def test_api_refusals(v2: Any) -> None:
    def refused(**fields: Any) -> str:
        base = {"Name": "ws", "ProtocolType": "WEBSOCKET"}
        return _bad(v2.create_api, **base, **fields)

    assert refused() == "RouteSelectionExpression is required for WEBSOCKET APIs"
    expression = "$request.header.action"
    assert refused(RouteSelectionExpression=expression) == (
        f"Invalid route selection expression specified: {expression}. {BODY_ONLY}"
    )
    selection = {"RouteSelectionExpression": "$request.body.action"}
    assert refused(**selection, ApiKeySelectionExpression="$request.header.key") == (
        "Invalid API key selection expression specified: $request.header.key. Supported "
        "values are $request.header.x-api-key and $context.authorizer.usageIdentifierKey"
    )
    assert refused(**selection, CorsConfiguration={"AllowOrigins": ["*"]}) == (
        "CorsConfiguration is supported only for HTTP APIs"
    )
    for member, value in (("RouteKey", "$default"), ("CredentialsArn", "arn:aws:iam::1:role/r")):
        assert refused(**selection, **{member: value}) == (
            f"{member} is supported only for HTTP APIs (quick create)"
        )
    api_id = _ws(v2)
    broken = "${request.body.action"
    assert _bad(v2.update_api, ApiId=api_id, RouteSelectionExpression=broken) == (
        f"Invalid route selection expression specified: {broken}. {BODY_ONLY}"
    )
    assert v2.get_api(ApiId=api_id)["RouteSelectionExpression"] == "$request.body.action"


# --- routes ---------------------------------------------------------------------------------


def test_routes(v2: Any) -> None:
    api_id = _ws(v2)
    keys = ["$connect", "$disconnect", "$default", "sendMessage"]
    for key in keys:
        route = shape(v2.create_route(ApiId=api_id, RouteKey=key))
        route.pop("RouteId")
        assert route == {"ApiKeyRequired": False, "AuthorizationType": "NONE", "RouteKey": key}
    assert sorted(r["RouteKey"] for r in v2.get_routes(ApiId=api_id)["Items"]) == sorted(keys)
    # AWS's words (serverless/serverless#9530).
    assert _bad(v2.create_route, ApiId=api_id, RouteKey="$getauthorized") == (
        "The provided route key is not formatted properly"
    )
    assert aws_error(v2.create_route, ApiId=api_id, RouteKey="sendMessage") == (
        409,
        "ConflictException",
        "Route with key sendMessage already exists for this API",
    )
    assert len(v2.get_routes(ApiId=api_id)["Items"]) == 4


def test_route_members(v2: Any) -> None:
    api_id = _ws(v2)
    v2.create_model(ApiId=api_id, Name="Message", Schema=SCHEMA, ContentType="application/json")
    connect = shape(
        v2.create_route(
            ApiId=api_id,
            RouteKey="$connect",
            ApiKeyRequired=True,
            OperationName="Connect",
            RequestParameters={
                "route.request.header.Authorization": {"Required": True},
                "route.request.querystring.token": {"Required": False},
            },
        )
    )
    connect.pop("RouteId")
    assert connect == {
        "ApiKeyRequired": True,
        "AuthorizationType": "NONE",
        "OperationName": "Connect",
        "RequestParameters": {
            "route.request.header.Authorization": {"Required": True},
            "route.request.querystring.token": {"Required": False},
        },
        "RouteKey": "$connect",
    }
    message = v2.create_route(
        ApiId=api_id,
        RouteKey="sendMessage",
        ModelSelectionExpression="$request.body.kind",
        RequestModels={"$default": "Message"},
        RouteResponseSelectionExpression="$default",
    )
    assert message["RequestModels"] == {"$default": "Message"}
    assert message["RouteResponseSelectionExpression"] == "$default"
    assert _bad(
        v2.create_route,
        ApiId=api_id,
        RouteKey="other",
        RouteResponseSelectionExpression="$request.body.x",
    ) == (
        "Invalid route response selection expression specified: $request.body.x. "
        "Only $default is supported"
    )
    assert (
        _bad(v2.create_route, ApiId=api_id, RouteKey="other", RequestModels={"$default": "Nope"})
        == "Invalid model specified: Nope. No model of the API has it"
    )
    assert _bad(
        v2.create_route,
        ApiId=api_id,
        RouteKey="$disconnect",
        RequestParameters={"route.request.path.id": {"Required": True}},
    ).startswith("Invalid request parameter key specified: route.request.path.id.")
    routes = {r["RouteKey"]: r["RouteId"] for r in v2.get_routes(ApiId=api_id)["Items"]}
    parameter = {"ApiId": api_id, "RouteId": routes["$connect"]}
    v2.delete_route_request_parameter(
        **parameter, RequestParameterKey="route.request.querystring.token"
    )
    assert v2.get_route(**parameter)["RequestParameters"] == {
        "route.request.header.Authorization": {"Required": True}
    }
    # A model a route uses stays.
    [model] = v2.get_models(ApiId=api_id)["Items"]
    assert aws_error(v2.delete_model, ApiId=api_id, ModelId=model["ModelId"]) == (
        409,
        "ConflictException",
        "Cannot delete model Message: route sendMessage uses it",
    )


def test_route_authorization(v2: Any) -> None:
    api_id = _ws(v2)
    authorizer = v2.create_authorizer(
        ApiId=api_id,
        Name="auth",
        AuthorizerType="REQUEST",
        AuthorizerUri=INVOKE_URI,
        IdentitySource=["route.request.header.Auth", "route.request.querystring.token"],
    )
    connect = v2.create_route(
        ApiId=api_id,
        RouteKey="$connect",
        AuthorizationType="CUSTOM",
        AuthorizerId=authorizer["AuthorizerId"],
    )
    assert connect["AuthorizerId"] == authorizer["AuthorizerId"]
    iam = v2.update_route(
        ApiId=api_id, RouteId=connect["RouteId"], AuthorizationType="AWS_IAM", AuthorizerId=""
    )
    assert (iam["AuthorizationType"], "AuthorizerId" in iam) == ("AWS_IAM", False)
    assert _bad(
        v2.create_route, ApiId=api_id, RouteKey="$default", AuthorizationType="AWS_IAM"
    ) == (
        "Invalid authorization type AWS_IAM for route $default: a WebSocket API authorizes "
        "only its $connect route"
    )
    assert _bad(
        v2.update_route, ApiId=api_id, RouteId=connect["RouteId"], RouteKey="join"
    ).startswith("Invalid authorization type AWS_IAM for route join:")
    assert _bad(
        v2.create_route, ApiId=api_id, RouteKey="$disconnect", AuthorizationType="JWT"
    ).startswith("Invalid authorization type JWT: JWT authorizers are supported only for HTTP")
    # AWS's words when CUSTOM has no REQUEST authorizer (spec §5.1).
    assert _bad(
        v2.create_route, ApiId=_ws(v2), RouteKey="$connect", AuthorizationType="CUSTOM"
    ) == (
        "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
        "COGNITO_USER_POOLS requires a valid authorizer."
    )
    assert [r["RouteKey"] for r in v2.get_routes(ApiId=api_id)["Items"]] == ["$connect"]


# --- route responses ------------------------------------------------------------------------


def test_route_responses(v2: Any) -> None:
    api_id = _ws(v2)
    v2.create_model(ApiId=api_id, Name="Reply", Schema=SCHEMA)
    route_id = v2.create_route(
        ApiId=api_id, RouteKey="echo", RouteResponseSelectionExpression="$default"
    )["RouteId"]
    created = v2.create_route_response(
        ApiId=api_id,
        RouteId=route_id,
        RouteResponseKey="$default",
        ResponseModels={"$default": "Reply"},
    )
    assert status_of(created) == 201
    response = shape(created)
    response_id = response.pop("RouteResponseId")
    assert response == {"ResponseModels": {"$default": "Reply"}, "RouteResponseKey": "$default"}
    assert _bad(
        v2.create_route_response, ApiId=api_id, RouteId=route_id, RouteResponseKey="ok"
    ) == (
        "Invalid route response key specified: ok. WebSocket routes support only the $default "
        "route response"
    )
    assert aws_error(
        v2.create_route_response, ApiId=api_id, RouteId=route_id, RouteResponseKey="$default"
    ) == (
        409,
        "ConflictException",
        "Route response with key $default already exists for this route",
    )
    key = {"ApiId": api_id, "RouteId": route_id, "RouteResponseId": response_id}
    assert _bad(v2.update_route_response, **key, ModelSelectionExpression="$request.body.m") == (
        "ModelSelectionExpression is not supported for route responses: a route response has "
        "one model, for its $default key"
    )
    assert _bad(v2.update_route_response, **key, ResponseModels={"$default": "Gone"}) == (
        "Invalid model specified: Gone. No model of the API has it"
    )
    assert shape(v2.get_route_response(**key)) == {
        "ResponseModels": {"$default": "Reply"},
        "RouteResponseId": response_id,
        "RouteResponseKey": "$default",
    }


# --- integrations ---------------------------------------------------------------------------


def _integration(v2: Any, api_id: str, **fields: Any) -> dict[str, Any]:
    created = shape(v2.create_integration(ApiId=api_id, **fields))
    assert created.pop("IntegrationId")
    return created


def test_integration_shapes(v2: Any) -> None:
    api_id = _ws(v2)
    assert _integration(
        v2,
        api_id,
        IntegrationType="MOCK",
        RequestTemplates={"application/json": '{"statusCode": 200}'},
        TemplateSelectionExpression="\\$default",
    ) == {
        "ConnectionType": "INTERNET",
        "IntegrationResponseSelectionExpression": "${integration.response.statuscode}",
        "IntegrationType": "MOCK",
        "PassthroughBehavior": "WHEN_NO_MATCH",
        "PayloadFormatVersion": "1.0",
        "RequestTemplates": {"application/json": '{"statusCode": 200}'},
        "TemplateSelectionExpression": "\\$default",
        "TimeoutInMillis": 29000,
    }
    assert _integration(
        v2,
        api_id,
        IntegrationType="AWS",
        IntegrationUri=INVOKE_URI,
        ContentHandlingStrategy="CONVERT_TO_TEXT",
    ) == {
        "ConnectionType": "INTERNET",
        "ContentHandlingStrategy": "CONVERT_TO_TEXT",
        "IntegrationMethod": "POST",
        "IntegrationResponseSelectionExpression": "${integration.response.body.errorMessage}",
        "IntegrationType": "AWS",
        "IntegrationUri": INVOKE_URI,
        "PassthroughBehavior": "WHEN_NO_MATCH",
        "PayloadFormatVersion": "1.0",
        "TimeoutInMillis": 29000,
    }
    assert _integration(v2, api_id, IntegrationType="AWS_PROXY", IntegrationUri=LAMBDA) == {
        "ConnectionType": "INTERNET",
        "IntegrationMethod": "POST",
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": LAMBDA,
        "PayloadFormatVersion": "1.0",
        "TimeoutInMillis": 29000,
    }
    assert _integration(
        v2,
        api_id,
        IntegrationType="HTTP",
        IntegrationUri="http://www.example.com",
        IntegrationMethod="GET",
        PassthroughBehavior="WHEN_NO_TEMPLATES",
        TemplateSelectionExpression="$request.body.name",
        TimeoutInMillis=28999,
        RequestParameters={"integration.request.querystring.stage": "'value1'"},
        RequestTemplates={"application/json": ""},
    ) == {
        "ConnectionType": "INTERNET",
        "IntegrationMethod": "GET",
        "IntegrationResponseSelectionExpression": "${integration.response.statuscode}",
        "IntegrationType": "HTTP",
        "IntegrationUri": "http://www.example.com",
        "PassthroughBehavior": "WHEN_NO_TEMPLATES",
        "PayloadFormatVersion": "1.0",
        "RequestParameters": {"integration.request.querystring.stage": "'value1'"},
        "RequestTemplates": {"application/json": ""},
        "TemplateSelectionExpression": "$request.body.name",
        "TimeoutInMillis": 28999,
    }
    assert _integration(
        v2,
        api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationUri="https://example.com/ws",
        IntegrationMethod="POST",
    ) == {
        "ConnectionType": "INTERNET",
        "IntegrationMethod": "POST",
        "IntegrationType": "HTTP_PROXY",
        "IntegrationUri": "https://example.com/ws",
        "PayloadFormatVersion": "1.0",
        "TimeoutInMillis": 29000,
    }
    assert len(v2.get_integrations(ApiId=api_id)["Items"]) == 5


def test_integration_refusals(v2: Any) -> None:
    api_id = _ws(v2)
    create = v2.create_integration
    assert _bad(create, ApiId=api_id, IntegrationType="MOCK", PayloadFormatVersion="2.0") == (
        "Invalid payload format version 2.0. WebSocket APIs support only 1.0"
    )
    assert _bad(create, ApiId=api_id, IntegrationType="MOCK", TimeoutInMillis=29001) == (
        "Timeout should be between 50 ms and 29000 ms"
    )
    assert (
        _bad(create, ApiId=api_id, IntegrationType="HTTP", IntegrationUri="http://x.example")
        == "IntegrationMethod is required for HTTP integrations"
    )
    assert (
        _bad(
            create,
            ApiId=api_id,
            IntegrationType="HTTP_PROXY",
            IntegrationUri="not a url",
            IntegrationMethod="GET",
        )
        == "Invalid HTTP endpoint specified for URI: not a url"
    )
    assert (
        _bad(
            create,
            ApiId=api_id,
            IntegrationType="AWS",
            IntegrationUri=f"arn:aws:apigateway:{REGION}:sqs:SendMessage",
        )
        == "AWS ARN for integration must contain path or action"
    )
    assert _bad(
        create, ApiId=api_id, IntegrationType="MOCK", TemplateSelectionExpression="$context.x"
    ) == (f"Invalid template selection expression specified: $context.x. {BODY_ONLY}")
    assert (
        _bad(
            create,
            ApiId=api_id,
            IntegrationType="MOCK",
            ResponseParameters={"200": {"overwrite:statuscode": "204"}},
        )
        == "ResponseParameters is supported only for HTTP APIs"
    )
    assert v2.get_integrations(ApiId=api_id)["Items"] == []


def test_integration_update(v2: Any) -> None:
    api_id = _ws(v2)
    integration_id = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS", IntegrationUri=LAMBDA
    )["IntegrationId"]
    s3 = f"arn:aws:apigateway:{REGION}:s3:path/bucket/key"
    updated = v2.update_integration(
        ApiId=api_id, IntegrationId=integration_id, IntegrationUri=s3, IntegrationMethod="GET"
    )
    # The response selection follows the new backend: status codes, not Lambda errors.
    assert updated["IntegrationResponseSelectionExpression"] == (
        "${integration.response.statuscode}"
    )
    assert (updated["IntegrationUri"], updated["IntegrationMethod"]) == (s3, "GET")
    assert (
        _bad(
            v2.update_integration,
            ApiId=api_id,
            IntegrationId=integration_id,
            PayloadFormatVersion="2.0",
        )
        == "Invalid payload format version 2.0. WebSocket APIs support only 1.0"
    )


def test_integration_responses(v2: Any) -> None:
    api_id = _ws(v2)
    integration_id = v2.create_integration(ApiId=api_id, IntegrationType="MOCK")["IntegrationId"]
    ids = {"ApiId": api_id, "IntegrationId": integration_id}
    default = shape(
        v2.create_integration_response(
            **ids,
            IntegrationResponseKey="$default",
            TemplateSelectionExpression="${integration.response.statuscode}",
            ResponseTemplates={"200": '{"ok": true}'},
            ContentHandlingStrategy="CONVERT_TO_TEXT",
        )
    )
    response_id = default.pop("IntegrationResponseId")
    assert default == {
        "ContentHandlingStrategy": "CONVERT_TO_TEXT",
        "IntegrationResponseKey": "$default",
        "ResponseTemplates": {"200": '{"ok": true}'},
        "TemplateSelectionExpression": "${integration.response.statuscode}",
    }
    v2.create_integration_response(**ids, IntegrationResponseKey="/4\\d\\d/")
    assert _bad(v2.create_integration_response, **ids, IntegrationResponseKey="404") == (
        "Invalid integration response key specified: 404. A key is $default or a /regular "
        "expression/, such as /4\\d\\d/"
    )
    assert aws_error(v2.create_integration_response, **ids, IntegrationResponseKey="$default") == (
        409,
        "ConflictException",
        "Integration response with key $default already exists for this integration",
    )
    assert aws_error(
        v2.update_integration_response,
        **ids,
        IntegrationResponseId=response_id,
        IntegrationResponseKey="/4\\d\\d/",
    ) == (
        409,
        "ConflictException",
        "Integration response with key /4\\d\\d/ already exists for this integration",
    )
    listed = v2.get_integration_responses(**ids)["Items"]
    assert sorted(r["IntegrationResponseKey"] for r in listed) == ["$default", "/4\\d\\d/"]


# --- models, authorizers --------------------------------------------------------------------


def test_models(v2: Any) -> None:
    api_id = _ws(v2)
    model = shape(
        v2.create_model(ApiId=api_id, Name="Message", Schema=SCHEMA, ContentType="application/json")
    )
    model_id = model.pop("ModelId")
    assert model == {"ContentType": "application/json", "Name": "Message", "Schema": SCHEMA}
    assert _bad(v2.create_model, ApiId=api_id, Name="my-model", Schema=SCHEMA) == (
        "Invalid model name specified: my-model. It must be alphanumeric"
    )
    assert _bad(
        v2.create_model, ApiId=api_id, Name="Bad", Schema='{"type": "no-such-type"}'
    ).startswith("Invalid model schema specified: ")
    assert status_of(v2.delete_model(ApiId=api_id, ModelId=model_id)) == 204


def test_authorizers(v2: Any) -> None:
    api_id = _ws(v2)
    sources = ["route.request.header.Auth", "route.request.querystring.token", "stageVariables.v"]
    created = shape(
        v2.create_authorizer(
            ApiId=api_id,
            Name="connect",
            AuthorizerType="REQUEST",
            AuthorizerUri=INVOKE_URI,
            IdentitySource=sources,
        )
    )
    created.pop("AuthorizerId")
    assert created == {
        "AuthorizerType": "REQUEST",
        "AuthorizerUri": INVOKE_URI,
        "IdentitySource": sources,
        "Name": "connect",
    }
    base = {"ApiId": api_id, "Name": "a", "AuthorizerType": "REQUEST", "AuthorizerUri": INVOKE_URI}
    assert _bad(v2.create_authorizer, **base, IdentitySource=["$request.header.Auth"]).startswith(
        "Invalid identity source specified: $request.header.Auth. A WebSocket API's identity"
    )
    assert (
        _bad(
            v2.create_authorizer,
            **base,
            IdentitySource=["route.request.header.Auth"],
            AuthorizerPayloadFormatVersion="2.0",
        )
        == "AuthorizerPayloadFormatVersion is supported only for HTTP API Lambda authorizers"
    )
    assert (
        _bad(
            v2.create_authorizer,
            ApiId=api_id,
            Name="jwt",
            AuthorizerType="JWT",
            IdentitySource=["$request.header.Authorization"],
            JwtConfiguration={"Issuer": "https://issuer.example"},
        )
        == "JWT authorizers are supported only for HTTP APIs"
    )
    assert len(v2.get_authorizers(ApiId=api_id)["Items"]) == 1


# --- stages and deployments -----------------------------------------------------------------


def test_stages_and_deployments(v2: Any) -> None:
    api_id = _ws(v2)
    assert _bad(v2.create_deployment, ApiId=api_id) == (
        "Unable to deploy API because no routes exist in this API"
    )
    integration_id = v2.create_integration(ApiId=api_id, IntegrationType="MOCK")["IntegrationId"]
    target = f"integrations/{integration_id}"
    v2.create_route(ApiId=api_id, RouteKey="$connect", Target=target)
    stage = v2.create_stage(
        ApiId=api_id,
        StageName="production",
        RouteSettings={"$connect": {"ThrottlingBurstLimit": 10, "LoggingLevel": "INFO"}},
        DefaultRouteSettings={"DataTraceEnabled": True},
    )
    assert stage["RouteSettings"] == {
        "$connect": {"ThrottlingBurstLimit": 10, "LoggingLevel": "INFO"}
    }
    assert aws_error(
        v2.update_stage,
        ApiId=api_id,
        StageName="production",
        RouteSettings={"sendMessage": {"ThrottlingRateLimit": 1.0}},
    ) == (
        404,
        "NotFoundException",
        "Unable to find Route by key sendMessage within the provided RouteSettings",
    )
    deployment = v2.create_deployment(ApiId=api_id, StageName="production", Description="v1")
    assert deployment["DeploymentStatus"] == "DEPLOYED"
    assert deployment["AutoDeployed"] is False
    assert (
        v2.get_stage(ApiId=api_id, StageName="production")["DeploymentId"]
        == (deployment["DeploymentId"])
    )
    # AutoDeploy works for WebSocket APIs as for HTTP APIs (CDK's WebSocketStage sets it).
    auto = v2.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True)
    first = auto["DeploymentId"]
    v2.create_route(ApiId=api_id, RouteKey="$default", Target=target)
    second = v2.get_stage(ApiId=api_id, StageName="dev")["DeploymentId"]
    assert second != first
    assert v2.get_deployment(ApiId=api_id, DeploymentId=second)["AutoDeployed"] is True


def test_openapi_is_for_http_apis(v2: Any) -> None:
    api_id = _ws(v2)
    assert (
        _bad(v2.export_api, ApiId=api_id, Specification="OAS30", OutputType="JSON")
        == "ExportApi is supported only for HTTP APIs"
    )
    body = json.dumps({"openapi": "3.0.1", "info": {"title": "t", "version": "1"}, "paths": {}})
    assert _bad(v2.reimport_api, ApiId=api_id, Body=body) == (
        "ReimportApi is supported only for HTTP APIs"
    )
    assert v2.get_api(ApiId=api_id)["ProtocolType"] == "WEBSOCKET"

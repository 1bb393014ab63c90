"""AWS's checks on WebSocket API definitions (control/apigatewayv2/websocket.py, spec §13):
selection-expression syntax, route keys and authorization, route responses, integrations with
AWS's defaults, integration response keys, REQUEST authorizers."""

from __future__ import annotations

from typing import Any

import pytest

from tollway.control.apigatewayv2 import websocket
from tollway.control.errors import BadRequestException, ConflictException

LAMBDA_ARN = "arn:aws:lambda:us-east-1:000000000000:function:f"
INVOKE_URI = (
    f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{LAMBDA_ARN}/invocations"
)
BODY_ONLY = "Supported: $request.body.<path>, ${request.body.<path>} and static text"


def _refusal(check: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(BadRequestException) as refused:
        check(*args, **kwargs)
    return refused.value.message


@pytest.mark.parametrize(
    ("expression", "variables"),
    [
        ("$request.body.action", ["request.body.action"]),
        (
            "${request.body.service}/${request.body.action}",
            ["request.body.service", "request.body.action"],
        ),
        (
            "${request.body.action}-${request.body.invalidPath}",
            ["request.body.action", "request.body.invalidPath"],
        ),
        ("$request.body.detail-type", ["request.body.detail-type"]),
        ("$request.body[2]", ["request.body[2]"]),
        ("action", []),
        ("\\$default", []),
        ("/2\\d\\d/", []),
    ],
)
def test_variables_of_aws_examples(expression: str, variables: list[str]) -> None:
    assert websocket.variables_of(expression) == variables


@pytest.mark.parametrize("expression", ["${request.body.action", "$", "${}", "a $ b", "/[/"])
def test_broken_expressions_have_no_variables(expression: str) -> None:
    assert websocket.variables_of(expression) is None


@pytest.mark.parametrize(
    "expression",
    ["$request.body.action", "${request.body.action}", "$request.body", "static", "\\$default"],
)
def test_route_selection_expressions_read_the_body(expression: str) -> None:
    websocket.check_selection_expression(expression, "route selection expression")


@pytest.mark.parametrize(
    "expression", ["$request.header.x", "${context.routeKey}", "${request.body.a", "", "$"]
)
def test_other_route_selection_expressions_are_refused(expression: str) -> None:
    assert _refusal(
        websocket.check_selection_expression, expression, "route selection expression"
    ) == (f"Invalid route selection expression specified: {expression}. {BODY_ONLY}")


def test_integration_response_templates_may_read_the_response() -> None:
    for expression in (
        "${integration.response.statuscode}",
        "$integration.response.header.Content-Type",
        "${integration.response.multivalueheader.X}",
        "$request.body.kind",
    ):
        websocket.check_selection_expression(expression, "t", response=True)
    assert _refusal(
        websocket.check_selection_expression, "${integration.response.statuscode}", "t"
    ).startswith("Invalid t specified: ${integration.response.statuscode}.")


def _api(**fields: Any) -> dict[str, Any]:
    return {
        "RouteSelectionExpression": "$request.body.action",
        "ApiKeySelectionExpression": "$request.header.x-api-key",
        **fields,
    }


def test_api_key_selection_has_two_values() -> None:
    websocket.check_api(_api())
    websocket.check_api(_api(ApiKeySelectionExpression="$context.authorizer.usageIdentifierKey"))
    assert _refusal(websocket.check_api, _api(ApiKeySelectionExpression="$request.header.k")) == (
        "Invalid API key selection expression specified: $request.header.k. Supported values "
        "are $request.header.x-api-key and $context.authorizer.usageIdentifierKey"
    )


@pytest.mark.parametrize("key", ["$connect", "$disconnect", "$default", "sendMessage", "a b"])
def test_route_keys(key: str) -> None:
    websocket.check_route_key(key)


def test_custom_route_keys_must_not_start_with_a_dollar() -> None:
    # AWS's words (serverless/serverless#9530).
    assert _refusal(websocket.check_route_key, "$getauthorized") == (
        "The provided route key is not formatted properly"
    )


def _route(key: str = "$connect", **fields: Any) -> dict[str, Any]:
    return {"RouteKey": key, "AuthorizationType": "NONE", "ApiKeyRequired": False, **fields}


def test_authorization_is_for_connect_only() -> None:
    websocket.check_route(_route(AuthorizationType="AWS_IAM"), [])
    websocket.check_route(_route(AuthorizationType="CUSTOM"), [])
    assert _refusal(websocket.check_route, _route("chat", AuthorizationType="AWS_IAM"), []) == (
        "Invalid authorization type AWS_IAM for route chat: a WebSocket API authorizes only "
        "its $connect route"
    )
    assert _refusal(websocket.check_route, _route(AuthorizationType="JWT"), []).startswith(
        "Invalid authorization type JWT: JWT authorizers are supported only for HTTP APIs."
    )


def test_route_response_selection_is_default_only() -> None:
    websocket.check_route(_route("chat", RouteResponseSelectionExpression="$default"), [])
    assert _refusal(
        websocket.check_route,
        _route("chat", RouteResponseSelectionExpression="$request.body.x"),
        [],
    ) == (
        "Invalid route response selection expression specified: $request.body.x. "
        "Only $default is supported"
    )


def test_request_parameters_and_models() -> None:
    parameters = {
        "route.request.header.Authorization": {"Required": True},
        "route.request.querystring.token": {"Required": False},
    }
    websocket.check_route(_route(RequestParameters=parameters), [])
    assert _refusal(
        websocket.check_route, _route(RequestParameters={"route.request.path.p": {}}), []
    ).startswith("Invalid request parameter key specified: route.request.path.p.")
    models = {"RequestModels": {"$default": "Message"}, "ModelSelectionExpression": "action"}
    websocket.check_route(_route("chat", **models), ["Message"])
    assert _refusal(websocket.check_route, _route("chat", **models), ["Other"]) == (
        "Invalid model specified: Message. No model of the API has it"
    )


def test_route_responses() -> None:
    first = {"RouteResponseKey": "$default"}
    websocket.check_route_response(first, [first], [])
    assert _refusal(websocket.check_route_response, {"RouteResponseKey": "ok"}, [], []) == (
        "Invalid route response key specified: ok. WebSocket routes support only the $default "
        "route response"
    )
    with_selection = {"RouteResponseKey": "$default", "ModelSelectionExpression": "x"}
    assert _refusal(websocket.check_route_response, with_selection, [], []).startswith(
        "ModelSelectionExpression is not supported for route responses"
    )
    with pytest.raises(ConflictException) as refused:
        websocket.check_route_response({"RouteResponseKey": "$default"}, [first], [])
    assert refused.value.message == "Route response with key $default already exists for this route"


@pytest.mark.parametrize(
    ("fields", "defaults"),
    [
        (
            {"IntegrationType": "MOCK"},
            {
                "PayloadFormatVersion": "1.0",
                "PassthroughBehavior": "WHEN_NO_MATCH",
                "IntegrationResponseSelectionExpression": "${integration.response.statuscode}",
            },
        ),
        (
            {"IntegrationType": "AWS", "IntegrationUri": INVOKE_URI},
            {
                "PayloadFormatVersion": "1.0",
                "IntegrationMethod": "POST",
                "PassthroughBehavior": "WHEN_NO_MATCH",
                "IntegrationResponseSelectionExpression": "${integration.response.body.errorMessage}",
            },
        ),
        (
            {"IntegrationType": "AWS_PROXY", "IntegrationUri": INVOKE_URI},
            {"PayloadFormatVersion": "1.0", "IntegrationMethod": "POST"},
        ),
        ({"IntegrationType": "HTTP_PROXY"}, {"PayloadFormatVersion": "1.0"}),
    ],
)
def test_integration_defaults(fields: dict[str, Any], defaults: dict[str, Any]) -> None:
    assert websocket.integration_defaults(fields) == defaults


def _integration(**fields: Any) -> dict[str, Any]:
    return {**websocket.integration_defaults(fields), **fields}


def test_integrations() -> None:
    websocket.check_integration(_integration(IntegrationType="MOCK"))
    websocket.check_integration(
        _integration(IntegrationType="AWS_PROXY", IntegrationUri=LAMBDA_ARN)
    )
    websocket.check_integration(
        _integration(
            IntegrationType="HTTP",
            IntegrationUri="http://example.com",
            IntegrationMethod="GET",
            TemplateSelectionExpression="$request.body.name",
            RequestParameters={"integration.request.querystring.stage": "'value1'"},
        )
    )
    s3 = "arn:aws:apigateway:us-east-1:s3:path/bucket/key"
    websocket.check_integration(_integration(IntegrationType="AWS", IntegrationUri=s3))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"IntegrationType": "MOCK", "PayloadFormatVersion": "2.0"},
            "Invalid payload format version 2.0. WebSocket APIs support only 1.0",
        ),
        (
            {"IntegrationType": "HTTP", "IntegrationUri": "ftp://x", "IntegrationMethod": "GET"},
            "Invalid HTTP endpoint specified for URI: ftp://x",
        ),
        (
            {"IntegrationType": "HTTP_PROXY", "IntegrationUri": "http://x"},
            "IntegrationMethod is required for HTTP_PROXY integrations",
        ),
        (
            {"IntegrationType": "AWS", "IntegrationUri": "arn:aws:apigateway:us-east-1:s3:x"},
            "AWS ARN for integration must contain path or action",
        ),
        (
            {"IntegrationType": "MOCK", "TlsConfig": {"ServerNameToVerify": "x"}},
            "TlsConfig is supported only for HTTP APIs",
        ),
        (
            {"IntegrationType": "AWS_PROXY", "IntegrationSubtype": "SQS-SendMessage"},
            "IntegrationSubtype is supported only for HTTP APIs",
        ),
    ],
)
def test_refused_integrations(fields: dict[str, Any], message: str) -> None:
    assert _refusal(websocket.check_integration, _integration(**fields)) == message


def test_integration_parameter_mapping_keys() -> None:
    bad = _integration(IntegrationType="MOCK", RequestParameters={"append:header.h": "'x'"})
    assert _refusal(websocket.check_integration, bad).startswith(
        "Invalid mapping expression specified: append:header.h='x'."
    )


def test_integration_response_keys() -> None:
    for key in ("$default", "/4\\d\\d/", "/.*Error.*/"):
        response = {"IntegrationResponseKey": key}
        websocket.check_integration_response(response, [response])
    assert _refusal(
        websocket.check_integration_response, {"IntegrationResponseKey": "200"}, []
    ) == (
        "Invalid integration response key specified: 200. A key is $default or a /regular "
        "expression/, such as /4\\d\\d/"
    )
    with pytest.raises(ConflictException):
        websocket.check_integration_response(
            {"IntegrationResponseKey": "$default"}, [{"IntegrationResponseKey": "$default"}]
        )


def test_request_authorizers() -> None:
    sources = [
        "route.request.header.Auth",
        "route.request.querystring.token",
        "stageVariables.s",
        "context.c",
    ]
    websocket.check_authorizer({"AuthorizerType": "REQUEST", "IdentitySource": sources})
    assert _refusal(
        websocket.check_authorizer, {"IdentitySource": ["$request.header.Auth"]}
    ).startswith("Invalid identity source specified: $request.header.Auth.")
    assert _refusal(websocket.check_authorizer, {"AuthorizerPayloadFormatVersion": "2.0"}) == (
        "AuthorizerPayloadFormatVersion is supported only for HTTP API Lambda authorizers"
    )

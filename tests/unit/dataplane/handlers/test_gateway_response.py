"""Rendering typed errors as the API's gateway responses (spec §10)."""

from __future__ import annotations

import orjson
from tests.unit.dataplane.conftest import context, definition, stage

from tollway.dataplane.errors import (
    AccessDenied,
    AuthorizerConfigurationError,
    IntegrationTimeout,
    MalformedProxyResponse,
    MethodArnTooLong,
    MissingAuthenticationToken,
    RequestTooLarge,
    UnsupportedMediaType,
)
from tollway.dataplane.handlers.gateway_response import render_error


def test_default_response_body_and_headers() -> None:
    ctx = context(stage(definition()))
    response = render_error(ctx, MissingAuthenticationToken())
    assert response.status == 403
    assert orjson.loads(response.body) == {"message": "Missing Authentication Token"}
    assert response.headers == [
        ("Content-Type", "application/json"),
        ("x-amzn-RequestId", ctx.request_id),
        ("x-amz-apigw-id", ctx.extended_request_id),
        ("x-amzn-ErrorType", "MissingAuthenticationTokenException"),
    ]


def test_customised_type_and_inherited_default_4xx() -> None:
    d = definition()
    d["gatewayResponses"]["MISSING_AUTHENTICATION_TOKEN"] = {
        "responseType": "MISSING_AUTHENTICATION_TOKEN",
        "statusCode": "404",
        "responseParameters": {
            "gatewayresponse.header.X-Where": "method.request.header.X-In",
            "gatewayresponse.header.X-Fixed": "'f'",
        },
        "responseTemplates": {
            "application/json": '{"m": "$context.error.message", '
            '"t": "$context.error.responseType", "s": "$stageVariables.s"}'
        },
    }
    d["gatewayResponses"]["DEFAULT_4XX"] = {"responseType": "DEFAULT_4XX", "statusCode": "418"}
    compiled = stage(d, variables={"s": "v"})
    ctx = context(compiled, headers=[("X-In", "here")])
    response = render_error(ctx, MissingAuthenticationToken())
    assert response.status == 404
    assert orjson.loads(response.body) == {
        "m": "Missing Authentication Token",
        "t": "MISSING_AUTHENTICATION_TOKEN",
        "s": "v",
    }
    assert ("X-Where", "here") in response.headers and ("X-Fixed", "f") in response.headers
    assert render_error(context(compiled), UnsupportedMediaType()).status == 418
    # AWS does not let REQUEST_TOO_LARGE be customised, not even through DEFAULT_4XX.
    assert render_error(context(compiled), RequestTooLarge()).status == 413


def test_default_5xx_status_overrides_an_error_own_status_only_when_customised() -> None:
    error = MalformedProxyResponse("bad")
    assert render_error(context(stage(definition())), error).status == 502
    d = definition()
    d["gatewayResponses"]["DEFAULT_5XX"] = {"responseType": "DEFAULT_5XX", "statusCode": "599"}
    compiled = stage(d)
    assert render_error(context(compiled), error).status == 599
    assert render_error(context(compiled), IntegrationTimeout()).status == 599


def test_template_chosen_by_accept() -> None:
    d = definition()
    d["gatewayResponses"]["DEFAULT_4XX"] = {
        "responseType": "DEFAULT_4XX",
        "responseTemplates": {
            "application/json": '{"j": 1}',
            "application/xml": "<x>$context.error.message</x>",
        },
    }
    ctx = context(stage(d), headers=[("Accept", "application/xml")])
    response = render_error(ctx, MissingAuthenticationToken())
    assert (response.body, response.headers[0]) == (
        b"<x>Missing Authentication Token</x>",
        ("Content-Type", "application/xml"),
    )


def test_access_denied_default_body_has_a_capital_m() -> None:
    """AWS's ACCESS_DENIED body is `{"Message": ...}` (spec §5.5, §10.1) unless a template
    was customised, for the type itself or through DEFAULT_4XX."""
    response = render_error(context(stage(definition())), AccessDenied("Not you"))
    assert (response.status, response.body) == (403, b'{"Message":"Not you"}')
    assert ("x-amzn-ErrorType", "AccessDeniedException") in response.headers
    d = definition()
    d["gatewayResponses"]["DEFAULT_4XX"] = {"responseType": "DEFAULT_4XX", "statusCode": "418"}
    response = render_error(context(stage(d)), AccessDenied("Not you"))
    assert (response.status, response.body) == (418, b'{"Message":"Not you"}')
    for customised in ("ACCESS_DENIED", "DEFAULT_4XX"):
        d = definition()
        d["gatewayResponses"][customised] = {
            "responseType": customised,
            "responseTemplates": {"application/json": '{"why":$context.error.messageString}'},
        }
        response = render_error(context(stage(d)), AccessDenied("Not you"))
        assert response.body == b'{"why":"Not you"}'


def test_authorizer_configuration_error_body_is_a_null_message() -> None:
    response = render_error(context(stage(definition())), AuthorizerConfigurationError())
    assert (response.status, response.body) == (500, b'{"message":null}')
    assert ("x-amzn-ErrorType", "AuthorizerConfigurationException") in response.headers


def test_an_over_long_method_arn_is_414_whatever_is_customised() -> None:
    """Not a gateway response type: DEFAULT_4XX's status, template and headers do not apply."""
    d = definition()
    d["gatewayResponses"]["DEFAULT_4XX"] = {
        "responseType": "DEFAULT_4XX",
        "statusCode": "418",
        "responseParameters": {"gatewayresponse.header.X-Fixed": "'f'"},
        "responseTemplates": {"application/json": '{"custom": true}'},
    }
    ctx = context(stage(d))
    response = render_error(ctx, MethodArnTooLong(1601))
    assert response.status == 414
    assert response.body == b'{"message":"Request URI too long"}'
    assert response.headers == [
        ("Content-Type", "application/json"),
        ("x-amzn-RequestId", ctx.request_id),
        ("x-amz-apigw-id", ctx.extended_request_id),
    ]

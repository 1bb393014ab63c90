"""The mapping between OpenAPI documents and HTTP API definitions (openapi_import,
openapi_integrations, openapi_auth, openapi_export), without a store or a server."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from tollway.control.apigatewayv2.openapi_export import export_document
from tollway.control.apigatewayv2.openapi_import import ImportOptions, build, read
from tollway.control.errors import BadRequestException
from tollway.model.http_api import Api, ApiDefinition, empty_definition

OPTIONS = ImportOptions(region="eu-west-1", account_id="123456789012")
LAMBDA = "arn:aws:lambda:eu-west-1:123456789012:function:f"


def _definition() -> ApiDefinition:
    api = {
        "ApiId": "abcdefghij",
        "Name": "",
        "ProtocolType": "HTTP",
        "CreatedDate": 0,
        "RouteSelectionExpression": "${request.method} ${request.path}",
    }
    return empty_definition(cast(Api, api))


def _import(document: dict[str, Any], **options: Any) -> tuple[ApiDefinition, list[str], list[str]]:
    definition = _definition()
    opts = ImportOptions(region="eu-west-1", account_id="123456789012", **options)
    doc = read(json.dumps(document), opts)
    warnings, info = build(definition, doc, fail_on_warnings=False)
    return definition, warnings, info


def _doc(paths: dict[str, Any], **root: Any) -> dict[str, Any]:
    return {"openapi": "3.0.1", "info": {"title": "t"}, "paths": paths, **root}


def _lambda(**more: Any) -> dict[str, Any]:
    return {
        "x-amazon-apigateway-integration": {
            "type": "AWS_PROXY",
            "uri": LAMBDA,
            "payloadFormatVersion": "2.0",
            **more,
        }
    }


def _keys(definition: ApiDefinition) -> list[str]:
    return sorted(r["RouteKey"] for r in definition["Routes"].values())


def _refusal(document: dict[str, Any]) -> str:
    with pytest.raises(BadRequestException) as info:
        _import(document)
    return info.value.message


@pytest.mark.parametrize("path", ["/$default", "$default"])
def test_the_default_route_in_both_spellings(path: str) -> None:
    definition, warnings, _ = _import(_doc({path: {"x-amazon-apigateway-any-method": _lambda()}}))
    assert _keys(definition) == ["$default"]
    assert warnings == []


def test_the_default_route_must_be_any() -> None:
    assert _refusal(_doc({"/$default": {"get": _lambda()}})) == (
        "Errors found during import:\n\tUnable to create route $default: the $default route is "
        "written as x-amazon-apigateway-any-method of the path /$default, not as get"
    )


def test_any_method_and_aws_variables() -> None:
    uri = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:f"
    definition, _, _ = _import(
        _doc({"/{proxy+}": {"x-amazon-apigateway-any-method": _lambda(uri=uri)}})
    )
    assert _keys(definition) == ["ANY /{proxy+}"]
    (integration,) = definition["Integrations"].values()
    assert integration["IntegrationUri"] == LAMBDA


def test_identical_integrations_are_shared_and_others_are_not() -> None:
    definition, _, _ = _import(
        _doc(
            {
                "/a": {"get": _lambda(), "post": _lambda()},
                "/b": {"get": _lambda(timeoutInMillis=100)},
            }
        )
    )
    targets = {r["RouteKey"]: r["Target"] for r in definition["Routes"].values()}
    assert targets["GET /a"] == targets["POST /a"] != targets["GET /b"]
    assert len(definition["Integrations"]) == 2


def test_payload_format_version_written_as_a_number() -> None:
    integration = {
        "type": "http_proxy",
        "httpMethod": "ANY",
        "uri": "http://x",
        "payloadFormatVersion": 1.0,
    }
    definition, _, _ = _import(
        _doc({"/": {"get": {"x-amazon-apigateway-integration": integration}}})
    )
    assert next(iter(definition["Integrations"].values()))["PayloadFormatVersion"] == "1.0"


def test_iam_by_extension_or_scheme_and_only_one_requirement() -> None:
    schemes = {
        "sigv4": {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "awsSigv4",
        }
    }
    definition, _, _ = _import(
        _doc(
            {
                "/a": {"get": {"x-amazon-apigateway-auth": {"type": "aws_iam"}}},
                "/b": {"get": {"security": [{"sigv4": []}]}},
            },
            components={"securitySchemes": schemes},
        )
    )
    kinds = {r["RouteKey"]: r.get("AuthorizationType") for r in definition["Routes"].values()}
    assert kinds == {"GET /a": "AWS_IAM", "GET /b": "AWS_IAM"}
    both = _doc(
        {
            "/a": {
                "get": {
                    "security": [{"sigv4": []}],
                    "x-amazon-apigateway-auth": {"type": "AWS_IAM"},
                }
            }
        },
        components={"securitySchemes": schemes},
    )
    assert "multiple security requirements are not supported" in _refusal(both)


def test_a_lambda_authorizer_and_its_export() -> None:
    authorizer = {
        "type": "request",
        "authorizerUri": LAMBDA,
        "identitySource": "$request.header.X-Token, $request.querystring.t",
        "authorizerPayloadFormatVersion": "2.0",
        "enableSimpleResponses": True,
    }
    document = _doc(
        {"/a": {"get": {"security": [{"lambda": []}]}}},
        security=[],
        components={
            "securitySchemes": {
                "lambda": {
                    "type": "apiKey",
                    "name": "X-Token",
                    "in": "header",
                    "x-amazon-apigateway-authorizer": authorizer,
                }
            }
        },
    )
    definition, _, _ = _import(document)
    (stored,) = definition["Authorizers"].values()
    assert stored["IdentitySource"] == ["$request.header.X-Token", "$request.querystring.t"]
    assert stored["AuthorizerType"] == "REQUEST"
    assert stored["AuthorizerResultTtlInSeconds"] == 0  # left out: no caching
    (route,) = definition["Routes"].values()
    assert (route.get("AuthorizationType"), route.get("AuthorizerId")) == (
        "CUSTOM",
        stored["AuthorizerId"],
    )
    exported = export_document(definition, region="eu-west-1", stage_name=None, extensions=True)
    assert exported["components"]["securitySchemes"]["lambda"] == {
        "type": "apiKey",
        "name": "X-Token",
        "in": "header",
        "x-amazon-apigateway-authorizer": {
            "identitySource": "$request.header.X-Token,$request.querystring.t",
            "authorizerUri": LAMBDA,
            "authorizerPayloadFormatVersion": "2.0",
            "enableSimpleResponses": True,
            "authorizerResultTtlInSeconds": 0,
            "type": "request",
        },
    }
    assert exported["paths"]["/a"]["get"]["security"] == [{"lambda": []}]


def test_a_lambda_authorizer_is_checked_as_create_authorizer_checks_it() -> None:
    scheme = {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "x-amazon-apigateway-authorizer": {
            "type": "request",
            "authorizerUri": LAMBDA,
            "identitySource": "",
            "authorizerResultTtlInSeconds": 300,
        },
    }
    document = _doc({}, components={"securitySchemes": {"lambda": scheme}})
    assert _refusal(document) == (
        "Errors found during import:\n\tUnable to create authorizer 'lambda': "
        "AuthorizerPayloadFormatVersion is a required parameter for REQUEST authorizer"
    )
    scheme["x-amazon-apigateway-authorizer"]["authorizerPayloadFormatVersion"] = "2.0"
    assert _refusal(document) == (
        "Errors found during import:\n\tUnable to create authorizer 'lambda': Identity source "
        "must be set if authorizer caching is enabled (TTL is greater than 0)"
    )


def test_cors_fields_are_checked() -> None:
    document = _doc({}, **{"x-amazon-apigateway-cors": {"maxAge": "60", "allowOrigin": ["*"]}})
    assert _refusal(document) == (
        "Errors found during import:\n\tUnable to set x-amazon-apigateway-cors: maxAge must be "
        "a number, found a string\nWarnings found during import:\n\tUnknown field "
        "'allowOrigin' in x-amazon-apigateway-cors is ignored."
    )
    cors = {"allowOrigins": ["*"], "allowCredentials": True}
    assert _refusal(_doc({}, **{"x-amazon-apigateway-cors": cors})) == (
        "Errors found during import:\n\tUnable to create the API: allowCredentials cannot be "
        "true when allowOrigins contains the wildcard '*'"
    )


def test_rest_only_extensions_are_import_info_and_unknown_ones_warnings() -> None:
    document = _doc(
        {
            "/a": {
                "get": {
                    "x-amazon-apigateway-request-validator": "all",
                    **_lambda(passthroughBehavior="when_no_match"),
                }
            }
        },
        **{
            "x-amazon-apigateway-binary-media-types": ["*/*"],
            "x-amazon-apigateway-foo": 1,
            "x-amazon-apigateway-importexport-version": 1.0,
        },
    )
    _, warnings, info = _import(document)
    assert info == [
        "x-amazon-apigateway-binary-media-types is ignored: HTTP APIs do not support it (REST "
        "APIs only).",
        "passthroughBehavior in x-amazon-apigateway-integration of GET /a is ignored: HTTP APIs "
        "do not support it.",
    ]
    assert warnings == [
        "Unknown extension x-amazon-apigateway-foo at the document root is ignored.",
        "Unknown extension x-amazon-apigateway-request-validator of GET /a is ignored.",
    ]


def test_a_disabled_default_endpoint_round_trips() -> None:
    server = {
        "url": "https://x/{basePath}",
        "variables": {"basePath": {"default": ""}},
        "x-amazon-apigateway-endpoint-configuration": {"disableExecuteApiEndpoint": True},
    }
    definition, _, _ = _import(_doc({}, servers=[server]))
    assert definition["Api"].get("DisableExecuteApiEndpoint") is True
    exported = export_document(
        definition, region="eu-west-1", stage_name="$default", extensions=True
    )
    assert exported["servers"] == [
        {
            "url": "https://abcdefghij.execute-api.eu-west-1.amazonaws.com/{basePath}",
            "variables": {"basePath": {"default": ""}},
            "x-amazon-apigateway-endpoint-configuration": {"disableExecuteApiEndpoint": True},
        }
    ]
    # Without a Version, AWS writes the API's creation time.
    assert exported["info"] == {"title": "t", "version": "1970-01-01 00:00:00UTC"}


def test_unreadable_and_basepath_refusals() -> None:
    with pytest.raises(BadRequestException) as info:
        read("{not json", OPTIONS)
    assert info.value.message.startswith("Invalid OpenAPI input. The document is not valid JSON")
    with pytest.raises(BadRequestException) as info:
        read(json.dumps(_doc({})), ImportOptions("eu-west-1", "1", basepath="drop"))
    assert info.value.message == (
        "Invalid basepath parameter value: drop. Valid options are ignore,prepend,split"
    )

"""ImportRestApi / PutRestApi refusals: unreadable documents and documents that break AWS's
rules, with every problem listed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tollway.control.apigateway.openapi_import import ImportOptions, import_into, import_new
from tollway.control.errors import BadRequestException

FIXTURES = Path(__file__).parent / "openapi_fixtures"
OPTIONS = ImportOptions(region="us-east-1", account_id="123456789012")
MOCK = {"type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'}}


def refusal(body: str | bytes) -> str:
    data = body.encode() if isinstance(body, str) else body
    with pytest.raises(BadRequestException) as e:
        import_new(data, OPTIONS, created=0)
    return e.value.message


def oas3(paths: dict[str, Any], **root: Any) -> str:
    return json.dumps(
        {"openapi": "3.0.1", "info": {"title": "T", "version": "1"}, "paths": paths, **root}
    )


def errors(*lines: str) -> str:
    return "Errors found during import:\n\t" + "\n\t".join(lines)


# --- unreadable documents ------------------------------------------------------------------------


def test_yaml_syntax_error_names_line_and_column() -> None:
    body = "openapi: 3.0.1\ninfo:\n  title: T\npaths:\n  /a:\n    get: {\n  /b: x\n"
    assert refusal(body) == (
        "Invalid OpenAPI input. The document is not valid YAML: expected ',' or '}', but got "
        "'<stream end>' (while parsing a flow mapping) at line 8, column 1."
    )


def test_yaml_indentation_error() -> None:
    body = "openapi: 3.0.1\ninfo:\n  title: T\n paths: {}\n"
    assert refusal(body) == (
        "Invalid OpenAPI input. The document is not valid YAML: expected <block end>, but found "
        "'<block mapping start>' (while parsing a block mapping) at line 4, column 2."
    )


def test_json_syntax_error_names_line_and_column() -> None:
    body = '{\n  "openapi": "3.0.1",\n  "paths": {\n    "/a": {}\n    "/b": {}\n  }\n}'
    assert refusal(body) == (
        "Invalid OpenAPI input. The document is not valid JSON: Expecting ',' delimiter at line 5, "
        "column 5."
    )


def test_not_utf8() -> None:
    assert refusal(b"openapi: 3.0.1\ninfo: {title: \xff}\n") == (
        "Invalid OpenAPI input. The document is not UTF-8 text: byte 29 cannot be decoded."
    )


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ("", "The request body is empty."),
        ("- a\n- b\n", "The document's root must be an object, found a list."),
        ("just text", "The document's root must be an object, found a string."),
        (
            '{"openapi": "3.1.0", "paths": {}}',
            "The document declares openapi: 3.1.0; API Gateway imports OpenAPI 2.0 (swagger: "
            '"2.0") and OpenAPI 3.0 (openapi: 3.0.x) documents.',
        ),
        (
            "swagger: 1.2\npaths: {}\n",
            'The document declares swagger: 1.2; API Gateway imports OpenAPI 2.0 (swagger: "2.0") '
            "and OpenAPI 3.0 (openapi: 3.0.x) documents.",
        ),
        (
            "info: {title: T}\npaths: {}\n",
            "The document declares neither a swagger nor an openapi field; API Gateway imports "
            'OpenAPI 2.0 (swagger: "2.0") and OpenAPI 3.0 (openapi: 3.0.x) documents.',
        ),
    ],
)
def test_no_importer_for_the_input(body: str, detail: str) -> None:
    assert refusal(body) == f"Unable to build importer with provided input. {detail}"


def test_openapi_version_written_as_a_yaml_number_is_accepted() -> None:
    definition, _ = import_new(b"openapi: 3.0\ninfo: {title: T}\npaths: {}\n", OPTIONS, created=0)
    assert definition["api"]["name"] == "T"


def test_missing_paths() -> None:
    assert refusal('{"swagger": "2.0", "info": {"title": "T"}}') == (
        "Invalid OpenAPI input. The document has no 'paths' object (found null); OpenAPI "
        "requires one, even if empty (paths: {})."
    )


def test_missing_title() -> None:
    assert refusal('{"openapi": "3.0.0", "info": {"version": "1"}, "paths": {}}') == errors(
        "Invalid OpenAPI input. The document has no info.title; API Gateway names the API after it."
    )


def test_structurally_broken_parts_are_listed_with_where() -> None:
    body = oas3(
        {
            "/a": {
                "get": "not an operation",
                "post": {
                    "parameters": [{"$ref": "#/components/parameters/Nope"}, "x", {"in": "query"}]
                },
            },
            "b": {},
        }
    )
    assert refusal(body) == errors(
        "Invalid OpenAPI input. Expected an object at paths./a.get, found a string.",
        "Invalid OpenAPI input. The $ref '#/components/parameters/Nope' at "
        "paths./a.post.parameters[0] does not resolve: Tollway follows references to places "
        "inside the document ('#/...').",
        "Invalid OpenAPI input. Expected an object at paths./a.post.parameters[1], found a string.",
        "Invalid OpenAPI input. The parameter at paths./a.post.parameters[2] needs a name and an "
        "'in'.",
        "Invalid OpenAPI input. The path 'b' at paths does not begin with '/'.",
    )


# --- documents that break AWS's rules ------------------------------------------------------------


def test_invalid_path_part() -> None:
    assert refusal(oas3({"/a/{b}x": {"get": {}}, "/a/{b}x/c": {"get": {}}})) == errors(
        "Unable to create resource at path '/a/{b}x': Resource's path part only allow "
        "a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign "
        "before the closing brace."
    )


def test_greedy_resource_cannot_have_children_nor_variable_siblings() -> None:
    assert refusal(oas3({"/{proxy+}": {}, "/{proxy+}/child": {}, "/{id}": {}})) == errors(
        "Unable to create resource at path '/{proxy+}/child': Cannot create a child of a resource "
        "with a greedy path variable: {proxy+}",
        "Unable to create resource at path '/{id}': A sibling ({proxy+}) of this resource already "
        "has a variable path part -- only one is allowed",
    )


def test_invalid_integration_uri() -> None:
    integration = {"type": "http", "httpMethod": "GET", "uri": "petstore/pets"}
    assert refusal(oas3({"/pets": {"get": {"x-amazon-apigateway-integration": integration}}})) == (
        errors(
            "Unable to put integration on 'GET' for resource at path '/pets': Invalid HTTP "
            "endpoint specified for URI"
        )
    )


def test_two_problems_are_both_listed() -> None:
    body = oas3(
        {
            "/a/{b}x": {"get": {}},
            "/pets": {
                "get": {
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy",
                        "httpMethod": "POST",
                        "uri": "arn:aws:apigateway:us-east-1:s3:path/bucket/key",
                    }
                }
            },
        }
    )
    assert refusal(body) == errors(
        "Unable to create resource at path '/a/{b}x': Resource's path part only allow "
        "a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign "
        "before the closing brace.",
        "Unable to put integration on 'GET' for resource at path '/pets': Integrations of type "
        "'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations.",
    )


def test_integration_type_and_field_problems() -> None:
    body = oas3(
        {
            "/a": {"get": {"x-amazon-apigateway-integration": {"type": "https_proxy"}}},
            "/b": {
                "get": {
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "timeoutInMillis": "soon",
                        "uri": {"Fn::Sub": "x"},
                    }
                }
            },
            "/c": {"get": {"x-amazon-apigateway-integration": {**MOCK, "timeoutInMillis": 30000}}},
            "/d": {
                "get": {
                    "x-amazon-apigateway-integration": {
                        "type": "http",
                        "uri": "https://example.com",
                    }
                }
            },
        }
    )
    assert refusal(body) == errors(
        "Unable to put integration on 'GET' for resource at path '/a': 1 validation error "
        "detected: Value 'HTTPS_PROXY' at 'putIntegrationInput.type' failed to satisfy constraint: "
        "Member must satisfy enum value set: [HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]",
        "Unable to put integration on 'GET' for resource at path '/b': timeoutInMillis must be a "
        "number, found a string",
        "Unable to put integration on 'GET' for resource at path '/b': uri must be a string, found "
        "an object",
        "Unable to put integration on 'GET' for resource at path '/c': Timeout should be between "
        "50 ms and 29000 ms",
        "Unable to put integration on 'GET' for resource at path '/d': Enumeration value for "
        "HttpMethod must be non-empty",
    )


def test_integration_response_problems() -> None:
    body = oas3(
        {
            "/a": {
                "get": {
                    "x-amazon-apigateway-integration": {
                        **MOCK,
                        "responses": {
                            "default": {"responseTemplates": {}},
                            "4\\d{2}": {"statusCode": "4xx"},
                            "5\\d{2}": {"statusCode": 500, "contentHandling": "convert_to_json"},
                        },
                    }
                }
            }
        }
    )
    assert refusal(body) == errors(
        "Unable to put integration response on 'GET' for resource at path '/a': the response "
        "'default' has no statusCode",
        "Unable to put integration response on 'GET' for resource at path '/a': 1 validation "
        "error detected: Value '4xx' at 'statusCode' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: [1-5]\\d\\d",
        "Unable to put integration response on 'GET' for resource at path '/a': Invalid content "
        "handling specified. Valid options are CONVERT_TO_BINARY,CONVERT_TO_TEXT",
    )


def test_method_problems() -> None:
    body = oas3(
        {
            "/a/{id}": {"trace": {}, "get": {"parameters": [{"name": "id", "in": "header"}]}},
            "/b": {"get": {"responses": {"299x": {"description": ""}}}},
            "/c": {"get": {"x-amazon-apigateway-auth": {"type": "cognito_user_pools"}}},
        }
    )
    assert refusal(body) == errors(
        "Unable to put method 'TRACE' on resource at path '/a/{id}': Invalid HttpMethod "
        "specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY",
        "Unable to put method 'GET' on resource at path '/a/{id}': Parameter names must be unique "
        "across querystring, header and path",
        "Unable to put method response '299x' on 'GET' for resource at path '/b': 1 validation "
        "error detected: Value '299x' at 'statusCode' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: [1-5]\\d\\d",
        "Unable to put method 'GET' on resource at path '/c': Invalid authorizer ID specified. "
        "Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid "
        "authorizer.",
    )


def test_invalid_model_names_and_schemas() -> None:
    body = oas3(
        {
            "/a": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/New_Pet"}}
                        }
                    }
                }
            }
        },
        components={
            "schemas": {
                "New_Pet": {"type": "object"},
                "Listed": ["not", "a schema"],
                "Fine": {"type": "object"},
            }
        },
    )
    assert refusal(body) == errors(
        "Unable to create model 'New_Pet': Invalid model name specified: New_Pet. Model names "
        "must be alphanumeric",
        "Unable to create model 'Listed': its schema must be an object, found a list",
    )


def test_gateway_response_problems() -> None:
    body = oas3(
        {},
        **{
            "x-amazon-apigateway-gateway-responses": {
                "NOT_A_TYPE": {"statusCode": "400"},
                "THROTTLED": {"statusCode": "4290"},
                "DEFAULT_5XX": {"responseTemplates": {"application/json": ""}},
            }
        },
    )
    assert refusal(body) == errors(
        "Unable to put gateway response 'NOT_A_TYPE': 1 validation error detected: Value "
        "'NOT_A_TYPE' at 'responseType' failed to satisfy constraint: Member must satisfy enum "
        "value set: [REQUEST_TOO_LARGE, RESOURCE_NOT_FOUND, AUTHORIZER_CONFIGURATION_ERROR, "
        "MISSING_AUTHENTICATION_TOKEN, BAD_REQUEST_BODY, INVALID_SIGNATURE, INVALID_API_KEY, "
        "BAD_REQUEST_PARAMETERS, AUTHORIZER_FAILURE, UNAUTHORIZED, INTEGRATION_TIMEOUT, "
        "ACCESS_DENIED, DEFAULT_4XX, DEFAULT_5XX, WAF_FILTERED, QUOTA_EXCEEDED, THROTTLED, "
        "API_CONFIGURATION_ERROR, UNSUPPORTED_MEDIA_TYPE, INTEGRATION_FAILURE, EXPIRED_TOKEN]",
        "Unable to put gateway response 'THROTTLED': 1 validation error detected: Value '4290' at "
        "'statusCode' failed to satisfy constraint: Member must satisfy regular expression "
        "pattern: [1-5]\\d\\d",
        "Unable to put gateway response 'DEFAULT_5XX': Invalid null or empty value in "
        "responseTemplates",
    )


def test_api_setting_problems() -> None:
    body = oas3(
        {},
        **{
            "x-amazon-apigateway-binary-media-types": "image/png",
            "x-amazon-apigateway-api-key-source": "QUERY",
            "x-amazon-apigateway-minimum-compression-size": 10485761,
            "x-amazon-apigateway-policy": 42,
            "x-amazon-apigateway-request-validators": {
                "": {"validateRequestBody": True},
                "odd": {"validateRequestBody": "yes"},
            },
            "x-amazon-apigateway-endpoint-configuration": {"types": ["EDGE", "REGIONAL"]},
        },
    )
    assert refusal(body) == errors(
        "Unable to set x-amazon-apigateway-binary-media-types: expected a list of media types, "
        "found a string",
        "Unable to set x-amazon-apigateway-api-key-source: 1 validation error detected: Value "
        "'QUERY' at 'apiKeySource' failed to satisfy constraint: Member must satisfy enum value "
        "set: [HEADER, AUTHORIZER]",
        "Unable to set x-amazon-apigateway-minimum-compression-size: Invalid minimum compression "
        "size, must be between 0 and 10485760",
        "Unable to set x-amazon-apigateway-policy: expected a policy document (an object), found a "
        "number",
        "Unable to set the endpoint configuration: Cannot create an api with multiple Endpoint "
        "Types.",
        "Unable to create request validator '': Request Validator name cannot be blank",
        "Unable to create request validator 'odd': expected an object with boolean "
        "validateRequestBody and validateRequestParameters",
    )


def test_invalid_endpoint_type_parameter() -> None:
    options = ImportOptions(
        region="us-east-1", account_id="1", parameters={"endpointConfigurationTypes": "EDGY"}
    )
    with pytest.raises(BadRequestException) as e:
        import_new(oas3({}).encode(), options, created=0)
    assert e.value.message == errors(
        "Unable to set the endpoint configuration: Invalid EndpointTypes specified. Valid options "
        "are REGIONAL,EDGE,PRIVATE"
    )


def test_errors_are_followed_by_the_warnings() -> None:
    body = oas3({"/a{": {}, "/b": {"get": {"responses": {"default": {"description": ""}}}}})
    assert refusal(body) == (
        errors(
            "Unable to create resource at path '/a{': Resource's path part only allow "
            "a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus "
            "sign before the closing brace."
        )
        + "\nWarnings found during import:\n\tResponse 'default' of GET /b is ignored: a method "
        "response needs a three-digit status code."
    )


def test_a_refused_put_leaves_the_api_untouched() -> None:
    existing, _ = import_new((FIXTURES / "petstore.oas30.yaml").read_bytes(), OPTIONS, created=0)
    before = copy.deepcopy(existing)
    for mode in ("merge", "overwrite"):
        with pytest.raises(BadRequestException):
            import_into(existing, oas3({"/x y": {}}).encode(), OPTIONS, mode=mode)
    assert existing == before


def test_put_with_an_unknown_mode() -> None:
    existing, _ = import_new(oas3({}).encode(), OPTIONS, created=0)
    with pytest.raises(BadRequestException) as e:
        import_into(existing, oas3({}).encode(), OPTIONS, mode="replace")
    assert e.value.message == "Invalid mode specified: replace. Valid options are merge,overwrite"


def test_a_policy_that_is_not_a_resource_policy_is_refused_with_the_reason() -> None:
    no_principal = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}],
    }
    assert refusal(oas3({}, **{"x-amazon-apigateway-policy": no_principal})) == errors(
        "Unable to set x-amazon-apigateway-policy: Invalid policy document. Please check the "
        "policy syntax and ensure that Principals are valid. (each statement of a resource "
        "policy needs a Principal)"
    )

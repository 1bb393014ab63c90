"""ImportRestApi from OpenAPI documents: the stored definition, warnings and kept extensions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tollway.control.apigateway.openapi_import import ImportOptions, import_into, import_new
from tollway.control.errors import BadRequestException
from tollway.model import rest_policy
from tollway.model.rest import Method, Resource, RestApiDefinition, resource_path

FIXTURES = Path(__file__).parent / "openapi_fixtures"
REGION = "eu-west-1"
ACCOUNT = "123456789012"
CREATED = 1_700_000_000


def options(**parameters: str) -> ImportOptions:
    return ImportOptions(region=REGION, account_id=ACCOUNT, parameters=parameters)


def imported(name: str, **parameters: str) -> tuple[RestApiDefinition, list[str]]:
    return import_new((FIXTURES / name).read_bytes(), options(**parameters), created=CREATED)


def import_text(text: str, **parameters: str) -> tuple[RestApiDefinition, list[str]]:
    return import_new(text.encode(), options(**parameters), created=CREATED)


def import_json(document: dict[str, Any], **parameters: str) -> tuple[RestApiDefinition, list[str]]:
    return import_text(json.dumps(document), **parameters)


def paths(definition: RestApiDefinition) -> set[str]:
    return {resource_path(definition["resources"], rid) for rid in definition["resources"]}


def resource_at(definition: RestApiDefinition, path: str) -> Resource:
    resources = definition["resources"]
    return next(r for rid, r in resources.items() if resource_path(resources, rid) == path)


def method_at(definition: RestApiDefinition, path: str, verb: str) -> Method:
    return resource_at(definition, path)["resourceMethods"][verb]  # type: ignore[typeddict-item]


def oas3(paths_object: dict[str, Any], **root: Any) -> dict[str, Any]:
    return {
        "openapi": "3.0.1",
        "info": {"title": "T", "version": "1"},
        "paths": paths_object,
        **root,
    }


MOCK = {"type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'}}
LAMBDA_URI = (
    "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:eu-west-1:123456789012:function:auth/invocations"
)


# --- the pet store (OpenAPI 3.0, YAML) --------------------------------------------------------


def test_petstore_api_fields() -> None:
    definition, warnings = imported("petstore.oas30.yaml")
    api = definition["api"]
    assert warnings == []
    assert api["name"] == "PetStore"
    assert api["description"] == "Your first API with Amazon API Gateway."
    assert api["version"] == "1.0"
    assert api["createdDate"] == CREATED
    assert api["endpointConfiguration"] == {"types": ["EDGE"], "ipAddressType": "ipv4"}
    assert api["apiKeySource"] == "HEADER"
    assert api["disableExecuteApiEndpoint"] is False
    assert paths(definition) == {"/", "/pets", "/pets/{petId}"}


def test_petstore_mock_root_method() -> None:
    definition, _ = imported("petstore.oas30.yaml")
    root_id = definition["api"]["rootResourceId"]
    assert method_at(definition, "/", "GET") == {
        "httpMethod": "GET",
        "authorizationType": "NONE",
        "apiKeyRequired": False,
        "operationName": "Welcome",
        "methodResponses": {
            "200": {
                "statusCode": "200",
                "responseParameters": {"method.response.header.Content-Type": False},
            }
        },
        "methodIntegration": {
            "type": "MOCK",
            "passthroughBehavior": "WHEN_NO_MATCH",
            "timeoutInMillis": 29000,
            "cacheNamespace": root_id,
            "cacheKeyParameters": [],
            "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "integrationResponses": {
                "200": {
                    "statusCode": "200",
                    "responseParameters": {"method.response.header.Content-Type": "'text/html'"},
                    "responseTemplates": {"text/html": "<html><body>Welcome</body></html>"},
                }
            },
        },
    }


def test_petstore_http_proxy_and_aws_proxy_methods() -> None:
    definition, _ = imported("petstore.oas30.yaml")
    pets_id = resource_at(definition, "/pets")["id"]
    assert method_at(definition, "/pets", "GET") == {
        "httpMethod": "GET",
        "authorizationType": "NONE",
        "apiKeyRequired": False,
        "operationName": "ListPets",
        "requestParameters": {
            "method.request.querystring.type": False,
            "method.request.querystring.page": True,
        },
        "methodResponses": {
            "200": {
                "statusCode": "200",
                "responseParameters": {"method.response.header.Access-Control-Allow-Origin": False},
                "responseModels": {"application/json": "Pets"},
            }
        },
        "methodIntegration": {
            "type": "HTTP_PROXY",
            "httpMethod": "GET",
            "uri": "http://petstore.execute-api.eu-west-1.amazonaws.com/petstore/pets",
            "connectionType": "INTERNET",
            "passthroughBehavior": "WHEN_NO_MATCH",
            "timeoutInMillis": 29000,
            "cacheNamespace": pets_id,
            "cacheKeyParameters": [],
        },
    }
    assert method_at(definition, "/pets", "POST") == {
        "httpMethod": "POST",
        "authorizationType": "NONE",
        "apiKeyRequired": False,
        "operationName": "CreatePet",
        "requestModels": {"application/json": "NewPet"},
        "methodResponses": {
            "200": {"statusCode": "200", "responseModels": {"application/json": "NewPetResponse"}}
        },
        "methodIntegration": {
            "type": "AWS_PROXY",
            "httpMethod": "POST",
            "uri": "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
            "arn:aws:lambda:eu-west-1:123456789012:function:pets/invocations",
            "connectionType": "INTERNET",
            "passthroughBehavior": "WHEN_NO_MATCH",
            "timeoutInMillis": 29000,
            "cacheNamespace": pets_id,
            "cacheKeyParameters": [],
            "contentHandling": "CONVERT_TO_TEXT",
        },
    }


def test_petstore_http_method_with_selection_patterns_and_path_parameter() -> None:
    definition, _ = imported("petstore.oas30.yaml")
    pet_id = resource_at(definition, "/pets/{petId}")["id"]
    assert resource_at(definition, "/pets/{petId}")["pathPart"] == "{petId}"
    assert method_at(definition, "/pets/{petId}", "GET") == {
        "httpMethod": "GET",
        "authorizationType": "NONE",
        "apiKeyRequired": False,
        "operationName": "GetPet",
        "requestParameters": {"method.request.path.petId": True},
        "methodResponses": {
            "200": {"statusCode": "200", "responseModels": {"application/json": "Pet"}}
        },
        "methodIntegration": {
            "type": "HTTP",
            "httpMethod": "GET",
            "uri": "http://petstore.execute-api.eu-west-1.amazonaws.com/petstore/pets/{petId}",
            "connectionType": "INTERNET",
            "passthroughBehavior": "WHEN_NO_MATCH",
            "timeoutInMillis": 5000,
            "cacheNamespace": pet_id,
            "cacheKeyParameters": [],
            "requestParameters": {"integration.request.path.petId": "method.request.path.petId"},
            "integrationResponses": {
                "200": {"statusCode": "200"},
                "404": {
                    "statusCode": "404",
                    "selectionPattern": "4\\d{2}",
                    "responseTemplates": {"application/json": '{"message": "not found"}'},
                },
            },
        },
    }


def test_petstore_models_reference_each_other_by_model_url() -> None:
    definition, _ = imported("petstore.oas30.yaml")
    api_id = definition["api"]["id"]
    url = f"https://apigateway.amazonaws.com/restapis/{api_id}/models"
    models = {
        name: {k: v for k, v in m.items() if k != "id"} for name, m in definition["models"].items()
    }
    assert {name: json.loads(m.pop("schema")) for name, m in models.items()} == {
        "PetType": {"type": "string", "enum": ["dog", "cat", "fish", "bird", "gecko"]},
        "Pet": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "type": {"type": "string"},
                "price": {"type": "number"},
            },
        },
        "Pets": {"type": "array", "items": {"$ref": f"{url}/Pet"}},
        "NewPet": {
            "type": "object",
            "description": "A pet to add",
            "properties": {"type": {"$ref": f"{url}/PetType"}, "price": {"type": "number"}},
        },
        "NewPetResponse": {
            "type": "object",
            "properties": {"pet": {"$ref": f"{url}/Pet"}, "message": {"type": "string"}},
        },
    }
    assert models == {
        "PetType": {"name": "PetType", "contentType": "application/json"},
        "Pet": {"name": "Pet", "contentType": "application/json"},
        "Pets": {"name": "Pets", "contentType": "application/json"},
        "NewPet": {
            "name": "NewPet",
            "contentType": "application/json",
            "description": "A pet to add",
        },
        "NewPetResponse": {"name": "NewPetResponse", "contentType": "application/json"},
    }
    assert len({m["id"] for m in definition["models"].values()}) == 5


def test_every_import_makes_new_ids() -> None:
    first, _ = imported("petstore.oas30.yaml")
    second, _ = imported("petstore.oas30.yaml")
    assert first["api"]["id"] != second["api"]["id"]
    assert set(first["resources"]).isdisjoint(second["resources"])


# --- OpenAPI 2.0 (JSON) ----------------------------------------------------------------------


def test_swagger_body_parameter_and_produces_become_models() -> None:
    definition, warnings = imported("petstore.swagger.json")
    assert warnings == []
    assert definition["api"]["name"] == "PetStore Swagger"
    assert definition["api"]["version"] == "2016-03-31T18:25:32Z"
    post = method_at(definition, "/pets", "POST")
    assert post["requestModels"] == {"application/json": "NewPet"}
    assert post["methodResponses"] == {
        "200": {"statusCode": "200", "responseModels": {"application/json": "Pet"}}
    }


def test_swagger_parameters_refs_and_responses() -> None:
    definition, _ = imported("petstore.swagger.json")
    get = method_at(definition, "/pets", "GET")
    assert get["requestParameters"] == {
        "method.request.querystring.type": False,
        "method.request.querystring.page": False,
        "method.request.header.X-Trace": True,
    }
    assert get["methodResponses"] == {
        "200": {
            "statusCode": "200",
            "responseParameters": {"method.response.header.Access-Control-Allow-Origin": False},
            "responseModels": {"application/json": "Pets"},
        },
        "500": {"statusCode": "500", "responseModels": {"application/json": "Error"}},
    }
    assert get["methodIntegration"]["integrationResponses"] == {
        "200": {
            "statusCode": "200",
            "responseParameters": {"method.response.header.Access-Control-Allow-Origin": "'*'"},
        },
        "500": {"statusCode": "500", "selectionPattern": "5\\d{2}"},
    }


def test_swagger_api_key_and_sigv4_security() -> None:
    definition, _ = imported("petstore.swagger.json")
    post = method_at(definition, "/pets", "POST")
    delete = method_at(definition, "/pets/{petId}", "DELETE")
    assert (post["authorizationType"], post["apiKeyRequired"]) == ("NONE", True)
    assert (delete["authorizationType"], delete["apiKeyRequired"]) == ("AWS_IAM", False)
    assert delete["requestParameters"] == {"method.request.path.petId": True}
    assert definition["extensions"] == {}


def test_swagger_aws_integration() -> None:
    definition, _ = imported("petstore.swagger.json")
    integration = method_at(definition, "/pets", "POST")["methodIntegration"]
    assert integration == {
        "type": "AWS",
        "httpMethod": "POST",
        "uri": "arn:aws:apigateway:us-east-1:dynamodb:action/PutItem",
        "connectionType": "INTERNET",
        "passthroughBehavior": "NEVER",
        "timeoutInMillis": 29000,
        "cacheNamespace": resource_at(definition, "/pets")["id"],
        "cacheKeyParameters": [],
        "credentials": "arn:aws:iam::123456789012:role/apigateway-dynamodb",
        "requestTemplates": {"application/json": '{"TableName": "pets"}'},
        "integrationResponses": {"200": {"statusCode": "200"}},
    }


def test_swagger_is_not_substituted_for_aws_variables() -> None:
    document = {"swagger": "2.0", "info": {"title": "${AWS::Region}", "version": "1"}, "paths": {}}
    definition, _ = import_json(document)
    assert definition["api"]["name"] == "${AWS::Region}"


# --- validators, settings, proxies ---------------------------------------------------------------


def test_request_validators_default_and_override() -> None:
    definition, warnings = imported("validators.oas30.json")
    assert warnings == []
    by_name = {v["name"]: v for v in definition["requestValidators"].values()}
    assert {
        name: {k: v for k, v in validator.items() if k != "id"}
        for name, validator in by_name.items()
    } == {
        "all": {"name": "all", "validateRequestBody": True, "validateRequestParameters": True},
        "params-only": {
            "name": "params-only",
            "validateRequestBody": False,
            "validateRequestParameters": True,
        },
    }
    assert all(vid == v["id"] for vid, v in definition["requestValidators"].items())
    post = method_at(definition, "/orders", "POST")
    get = method_at(definition, "/orders", "GET")
    assert post["requestValidatorId"] == by_name["all"]["id"]
    assert post["requestModels"] == {"application/json": "Order"}
    assert get["requestValidatorId"] == by_name["params-only"]["id"]
    assert get["requestParameters"] == {"method.request.querystring.status": True}


def test_unknown_request_validator_is_a_warning() -> None:
    document = oas3(
        {
            "/x": {
                "get": {
                    "x-amazon-apigateway-request-validator": "strict",
                    "x-amazon-apigateway-integration": MOCK,
                }
            }
        }
    )
    definition, warnings = import_json(document)
    assert "requestValidatorId" not in method_at(definition, "/x", "GET")
    assert warnings == [
        "x-amazon-apigateway-request-validator of GET /x names 'strict', which "
        "x-amazon-apigateway-request-validators does not define; the method's requests are not "
        "validated."
    ]


def test_api_wide_settings() -> None:
    definition, warnings = imported("settings.oas30.yaml")
    api = definition["api"]
    assert api["binaryMediaTypes"] == ["image/png", "*/*"]
    assert api["apiKeySource"] == "AUTHORIZER"
    assert api["minimumCompressionSize"] == 1024
    assert api["disableExecuteApiEndpoint"] is True
    # stored as AWS returns it: compact, escaped, `execute-api:/` expanded to the API's ARN
    assert api["policy"] == (
        '{\\"Version\\":\\"2012-10-17\\",\\"Statement\\":[{\\"Effect\\":\\"Allow\\",'
        '\\"Principal\\":\\"*\\",\\"Action\\":\\"execute-api:Invoke\\",\\"Resource\\":'
        f'\\"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api["id"]}\\/*\\"}}]}}'
    )
    assert rest_policy.document(api["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api['id']}/*",
            }
        ],
    }
    assert definition["gatewayResponses"] == {
        "DEFAULT_4XX": {
            "responseType": "DEFAULT_4XX",
            "responseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
        },
        "MISSING_AUTHENTICATION_TOKEN": {
            "responseType": "MISSING_AUTHENTICATION_TOKEN",
            "statusCode": "404",
            "responseTemplates": {
                "application/json": '{"message": "no such route: $context.path"}'
            },
        },
    }
    assert definition["extensions"] == {
        "x-amazon-apigateway-documentation": {
            "version": "1",
            "documentationParts": [
                {"location": {"type": "API"}, "properties": {"description": "The settings API"}}
            ],
        }
    }
    assert warnings == [
        "x-amazon-apigateway-documentation at the document root is kept but not acted on: "
        "Tollway does not support documentation parts yet"
    ]


def test_ignore_documentation_drops_it_silently() -> None:
    definition, warnings = imported("settings.oas30.yaml", ignore="documentation")
    assert definition["extensions"] == {}
    assert warnings == []


def test_greedy_proxy_and_any_methods() -> None:
    definition, warnings = imported("proxy.swagger.yaml")
    assert warnings == []
    assert definition["api"]["version"] == "2024-01-15"  # a YAML date stays the text written
    assert paths(definition) == {"/", "/health", "/{proxy+}"}
    root = method_at(definition, "/", "ANY")
    assert root["httpMethod"] == "ANY"
    assert root["methodIntegration"]["uri"] == "https://backend.example.com/"
    proxy = method_at(definition, "/{proxy+}", "ANY")
    assert proxy["requestParameters"] == {"method.request.path.proxy": True}
    assert proxy["methodIntegration"] == {
        "type": "HTTP_PROXY",
        "httpMethod": "ANY",
        "uri": "https://backend.example.com/{proxy}",
        "connectionType": "INTERNET",
        "passthroughBehavior": "WHEN_NO_MATCH",
        "timeoutInMillis": 29000,
        "cacheNamespace": "proxyns",
        "cacheKeyParameters": ["method.request.path.proxy"],
        "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"},
    }
    health = method_at(definition, "/health", "GET")
    assert health["methodResponses"] == {"200": {"statusCode": "200"}}
    assert health["methodIntegration"]["integrationResponses"] == {"200": {"statusCode": "200"}}


def test_every_path_variable_is_declared() -> None:
    document = oas3(
        {
            "/users/{userId}/items/{itemId}": {
                "get": {
                    "parameters": [{"name": "verbose", "in": "query"}],
                    "x-amazon-apigateway-integration": MOCK,
                }
            }
        }
    )
    definition, _ = import_json(document)
    assert method_at(definition, "/users/{userId}/items/{itemId}", "GET")["requestParameters"] == {
        "method.request.querystring.verbose": False,
        "method.request.path.userId": True,
        "method.request.path.itemId": True,
    }
    assert not resource_at(definition, "/users").get("resourceMethods")


def test_openapi_3_request_bodies_and_responses_by_reference() -> None:
    document = oas3(
        {"/a": {"post": {
            "requestBody": {"$ref": "#/components/requestBodies/Thing"},
            "responses": {"201": {"$ref": "#/components/responses/Created"}},
        }}},
        components={
            "schemas": {"Thing": {"type": "object"}},
            "requestBodies": {"Thing": {"content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}},
                "application/xml": {"schema": {"$ref": "#/components/schemas/Thing"}},
            }}},
            "responses": {"Created": {"description": "", "headers": {"Location": {}}}},
        },
    )  # fmt: skip
    definition, warnings = import_json(document)
    method = method_at(definition, "/a", "POST")
    assert warnings == []
    assert method["requestModels"] == {"application/json": "Thing", "application/xml": "Thing"}
    assert method["methodResponses"] == {
        "201": {
            "statusCode": "201",
            "responseParameters": {"method.response.header.Location": False},
        }
    }


def test_path_items_without_operations_create_resources() -> None:
    definition, _ = import_json(oas3({"/a/b": {}, "/c/": {"summary": "trailing slash"}}))
    assert paths(definition) == {"/", "/a", "/a/b", "/c"}


def test_method_without_integration() -> None:
    definition, _ = import_json(
        oas3({"/x": {"delete": {"responses": {"204": {"description": ""}}}}})
    )
    assert method_at(definition, "/x", "DELETE") == {
        "httpMethod": "DELETE",
        "authorizationType": "NONE",
        "apiKeyRequired": False,
        "methodResponses": {"204": {"statusCode": "204"}},
    }


def test_x_amazon_apigateway_auth_and_api_key_extensions() -> None:
    document = oas3(
        {
            "/x": {
                "get": {
                    "x-amazon-apigateway-auth": {"type": "aws_iam"},
                    "x-amazon-apigateway-api-key": True,
                    "x-amazon-apigateway-integration": MOCK,
                }
            }
        }
    )
    definition, warnings = import_json(document)
    method = method_at(definition, "/x", "GET")
    assert (method["authorizationType"], method["apiKeyRequired"]) == ("AWS_IAM", True)
    assert warnings == []


# --- schemas -------------------------------------------------------------------------------------


def test_inline_schemas_become_models_named_by_their_content() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}}
    content = {"application/json": {"schema": schema}}
    document = oas3(
        {
            "/a": {
                "post": {
                    "requestBody": {"content": content},
                    "responses": {"200": {"description": "", "content": content}},
                }
            },
            "/b": {"put": {"requestBody": {"content": content}}},
        }
    )
    definition, warnings = import_json(document)
    name = method_at(definition, "/a", "POST")["requestModels"]["application/json"]
    assert warnings == []
    assert name.startswith("MODEL") and len(name) == 11
    assert method_at(definition, "/b", "PUT")["requestModels"] == {"application/json": name}
    assert method_at(definition, "/a", "POST")["methodResponses"]["200"]["responseModels"] == {
        "application/json": name
    }
    assert list(definition["models"]) == [name]
    assert json.loads(definition["models"][name]["schema"]) == schema


def test_missing_model_reference_is_ignored_with_a_warning() -> None:
    document = oas3(
        {
            "/a": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Nope"}}
                        }
                    },
                    "responses": {
                        "200": {
                            "description": "",
                            "content": {
                                "application/xml": {"schema": {"$ref": "#/components/schemas/Gone"}}
                            },
                        }
                    },
                }
            }
        }
    )
    definition, warnings = import_json(document)
    method = method_at(definition, "/a", "POST")
    assert "requestModels" not in method
    assert method["methodResponses"] == {"200": {"statusCode": "200"}}
    assert warnings == [
        "Reference to model 'Nope' (request body of POST /a) not found. Ignoring.",
        "Reference to model 'Gone' (response 200 of POST /a) not found. Ignoring.",
    ]


def test_default_response_and_ranges_are_ignored_with_a_warning() -> None:
    document = oas3(
        {
            "/a": {
                "get": {
                    "responses": {
                        "200": {"description": "ok"},
                        "default": {"description": "error"},
                        "5XX": {"description": "server"},
                        "x-note": "extensions are skipped",
                    }
                }
            }
        }
    )
    definition, warnings = import_json(document)
    assert method_at(definition, "/a", "GET")["methodResponses"] == {"200": {"statusCode": "200"}}
    assert warnings == [
        "Response 'default' of GET /a is ignored: a method response needs a three-digit status "
        "code.",
        "Response '5XX' of GET /a is ignored: a method response needs a three-digit status code.",
    ]


# --- warnings about integrations -----------------------------------------------------------------


def test_non_string_integration_parameters_are_dropped_as_aws_warns() -> None:
    integration = {
        **MOCK,
        "requestParameters": {
            "integration.request.header.nothing": True,
            "integration.request.header.double-single": "'True'",
        },
    }
    definition, warnings = import_json(
        oas3({"/test": {"get": {"x-amazon-apigateway-integration": integration}}})
    )
    assert method_at(definition, "/test", "GET")["methodIntegration"]["requestParameters"] == {
        "integration.request.header.double-single": "'True'"
    }
    assert warnings == [
        "Invalid format for 'requestParameters'. Expected type string for property "
        "'integration.request.header.nothing' of resource '/test' and method 'GET' but got 'true'"
    ]


def test_unknown_integration_fields_and_http_api_fields() -> None:
    integration = {**MOCK, "payloadFormatVersion": "1.0", "passthroughBehaviour": "never"}
    _, warnings = import_json(
        oas3({"/a": {"get": {"x-amazon-apigateway-integration": integration}}})
    )
    assert warnings == [
        "Unknown field 'passthroughBehaviour' in x-amazon-apigateway-integration of GET /a is "
        "ignored."
    ]


def test_two_integration_responses_with_one_status_code() -> None:
    integration = {
        **MOCK,
        "responses": {"default": {"statusCode": "200"}, "ok.*": {"statusCode": 200}},
    }
    definition, warnings = import_json(
        oas3({"/a": {"get": {"x-amazon-apigateway-integration": integration}}})
    )
    responses = method_at(definition, "/a", "GET")["methodIntegration"]["integrationResponses"]
    assert responses == {"200": {"statusCode": "200", "selectionPattern": "ok.*"}}
    assert warnings == [
        "Integration responses 'default' and 'ok.*' of GET /a both map to status code 200; API "
        "Gateway keeps one integration response per status code, so 'ok.*' replaces 'default'."
    ]


def test_ignored_parameter_locations() -> None:
    document = oas3(
        {
            "/a": {
                "get": {
                    "parameters": [
                        {"name": "session", "in": "cookie"},
                        {"name": "q", "in": "query"},
                    ]
                }
            }
        }
    )
    definition, warnings = import_json(document)
    assert method_at(definition, "/a", "GET")["requestParameters"] == {
        "method.request.querystring.q": False
    }
    assert warnings == [
        "Parameter 'session' (in: cookie) of GET /a is ignored: API Gateway maps only path, query "
        "and header parameters."
    ]


# --- kept extensions -----------------------------------------------------------------------------


def test_authorizers_become_authorizers_and_secure_methods() -> None:
    definition, warnings = imported("authorizers.swagger.json")
    assert warnings == []
    assert definition["extensions"] == {}
    by_name = {a["name"]: a for a in definition["authorizers"].values()}
    token, pool = by_name["TokenAuth"], by_name["UserPool"]
    assert {k: v for k, v in token.items() if k != "id"} == {
        "name": "TokenAuth",
        "type": "TOKEN",
        "authType": "custom",
        "authorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:auth/invocations",
        "identitySource": "method.request.header.Authorization",  # the scheme's header
        "authorizerResultTtlInSeconds": 300,
    }
    assert {k: v for k, v in pool.items() if k != "id"} == {
        "name": "UserPool",
        "type": "COGNITO_USER_POOLS",
        "authType": "cognito_user_pools",
        "providerARNs": ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_ABC123"],
        "identitySource": "method.request.header.Authorization",
        "authorizerResultTtlInSeconds": 300,
    }
    get, post = method_at(definition, "/orders", "GET"), method_at(definition, "/orders", "POST")
    public = method_at(definition, "/public", "GET")
    assert (get["authorizationType"], get["authorizerId"]) == ("CUSTOM", token["id"])
    assert "authorizationScopes" not in get
    assert (post["authorizationType"], post["authorizerId"]) == ("COGNITO_USER_POOLS", pool["id"])
    assert (post["authorizationScopes"], post["apiKeyRequired"]) == (["orders/write"], True)
    assert (public["authorizationType"], public["apiKeyRequired"]) == ("NONE", False)
    assert "authorizerId" not in public


def test_reimport_keeps_authorizer_ids_by_name() -> None:
    definition, _ = imported("authorizers.swagger.json")
    ids = {a["name"]: a["id"] for a in definition["authorizers"].values()}
    body = (FIXTURES / "authorizers.swagger.json").read_bytes()
    for mode in ("merge", "overwrite"):
        again, _ = import_into(definition, body, options(), mode=mode)
        assert {a["name"]: a["id"] for a in again["authorizers"].values()} == ids
        assert method_at(again, "/orders", "GET")["authorizerId"] == ids["TokenAuth"]


def scheme(**authorizer: Any) -> dict[str, Any]:
    return {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "x-amazon-apigateway-authorizer": authorizer,
    }


def test_request_authorizer_and_ignored_schemes() -> None:
    document = oas3(
        {"/a": {"get": {"security": [{"oauth": [], "missing": [], "MyAuth": []}]}}},
        components={
            "securitySchemes": {
                "MyAuth": scheme(
                    type="request",
                    authorizerUri=LAMBDA_URI,
                    identitySource="method.request.querystring.t",
                    authorizerResultTtlInSeconds=0,
                ),
                "oauth": {"type": "oauth2", "flows": {}},
            }
        },
    )
    definition, warnings = import_json(document)
    [authorizer] = definition["authorizers"].values()
    assert (authorizer["type"], authorizer["identitySource"]) == (
        "REQUEST",
        "method.request.querystring.t",
    )
    method = method_at(definition, "/a", "GET")
    assert (method["authorizationType"], method["authorizerId"]) == ("CUSTOM", authorizer["id"])
    assert warnings == [
        "Security scheme 'oauth' (type oauth2) is ignored: API Gateway acts on API keys (apiKey "
        "x-api-key in header), IAM (x-amazon-apigateway-authtype awsSigv4) and authorizers "
        "(x-amazon-apigateway-authorizer).",
        "The security requirement of GET /a names 'missing', which is not a security scheme of the "
        "document; it is ignored.",
    ]


@pytest.mark.parametrize(
    ("authorizer", "message"),
    [
        (
            {"type": "jwt", "jwtConfiguration": {"issuer": "x"}},
            "type jwt is not supported for REST API authorizers (types: token, request, "
            "cognito_user_pools)",
        ),
        (
            {"type": "request", "authorizerPayloadFormatVersion": "2.0"},
            "authorizerPayloadFormatVersion is not supported for REST API authorizers (types: "
            "token, request, cognito_user_pools)",
        ),
        (
            {"type": "other"},
            "type other is not supported for REST API authorizers (types: token, request, "
            "cognito_user_pools)",
        ),
        ({"type": "token"}, "authorizerUri must be specified for TOKEN authorizers"),
        (
            {"type": "request", "authorizerUri": LAMBDA_URI},
            "Identity source must be set if authorizer caching is enabled (TTL is greater than 0)",
        ),
    ],
)
def test_refused_authorizers(authorizer: dict[str, Any], message: str) -> None:
    document = oas3({}, components={"securitySchemes": {"Bad": scheme(**authorizer)}})
    with pytest.raises(BadRequestException) as info:
        import_json(document)
    assert info.value.message == (
        f"Errors found during import:\n\tUnable to create authorizer 'Bad': {message}"
    )


def test_the_auth_extension_wins_over_an_authorizer() -> None:
    document = oas3(
        {"/a": {"get": {"security": [{"T": []}], "x-amazon-apigateway-auth": {"type": "NONE"}}}},
        components={"securitySchemes": {"T": scheme(type="token", authorizerUri=LAMBDA_URI)}},
    )
    definition, _ = import_json(document)
    method = method_at(definition, "/a", "GET")
    assert method["authorizationType"] == "NONE" and "authorizerId" not in method


def test_unknown_extensions_are_kept_and_reported() -> None:
    document = oas3(
        {
            "/a": {
                "get": {
                    "x-amazon-apigateway-cors": {"allowOrigins": ["*"]},
                    "x-other": 1,
                    "x-amazon-apigateway-integration": MOCK,
                }
            }
        },
        **{"x-amazon-apigateway-importexport-version": "1.0", "x-tool": "ignored"},
    )
    definition, warnings = import_json(document)
    a_id = resource_at(definition, "/a")["id"]
    assert definition["extensions"] == {
        "x-amazon-apigateway-importexport-version": "1.0",
        "methods": {a_id: {"GET": {"x-amazon-apigateway-cors": {"allowOrigins": ["*"]}}}},
    }
    assert warnings == [
        "x-amazon-apigateway-importexport-version at the document root is kept but not acted on: "
        "Tollway does not support it for REST APIs",
        "x-amazon-apigateway-cors on GET /a is kept but not acted on: Tollway does not know this "
        "operation extension.",
    ]


# --- AWS variables, endpoint types ---------------------------------------------------------------


def test_aws_variables_are_substituted_in_openapi_3() -> None:
    definition, _ = imported("aws-variables.oas30.yaml")
    integration = method_at(definition, "/hello", "POST")["methodIntegration"]
    assert definition["api"]["name"] == "Variables in eu-west-1"
    assert integration["uri"] == (
        "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:eu-west-1:123456789012:function:hello/invocations"
    )
    assert integration["credentials"] == "arn:aws:iam::123456789012:role/invoker"
    assert integration["requestParameters"] == {
        "integration.request.header.X-Unknown": "'${AWS::Unknown}'"
    }


def test_partition_follows_the_region() -> None:
    body = (FIXTURES / "aws-variables.oas30.yaml").read_bytes()
    china = ImportOptions(region="cn-north-1", account_id=ACCOUNT)
    definition, _ = import_new(body, china, created=CREATED)
    uri = method_at(definition, "/hello", "POST")["methodIntegration"]["uri"]
    assert uri.startswith("arn:aws-cn:apigateway:cn-north-1:lambda:")


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({}, {"types": ["EDGE"], "ipAddressType": "ipv4"}),
        (
            {"endpointConfigurationTypes": "REGIONAL"},
            {"types": ["REGIONAL"], "ipAddressType": "ipv4"},
        ),
        (
            {"endpointconfigurationtypes": "PRIVATE"},
            {"types": ["PRIVATE"], "ipAddressType": "dualstack"},
        ),
    ],
)
def test_endpoint_configuration_types_parameter(
    parameters: dict[str, str], expected: dict[str, Any]
) -> None:
    definition, _ = import_json(oas3({}), **parameters)
    assert definition["api"]["endpointConfiguration"] == expected


def test_document_endpoint_configuration_wins_over_the_parameter() -> None:
    extension = {"types": ["PRIVATE"], "vpcEndpointIds": ["vpce-1"]}
    document = oas3({}, **{"x-amazon-apigateway-endpoint-configuration": extension})
    definition, _ = import_json(document, endpointConfigurationTypes="REGIONAL")
    assert definition["api"]["endpointConfiguration"] == {
        "types": ["PRIVATE"],
        "vpcEndpointIds": ["vpce-1"],
        "ipAddressType": "dualstack",
    }


# --- basePath ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("ignore", {"/", "/pets", "/pets/{petId}"}),
        ("prepend", {"/", "/api", "/api/v1", "/api/v1/pets", "/api/v1/pets/{petId}"}),
        ("split", {"/", "/v1", "/v1/pets", "/v1/pets/{petId}"}),
    ],
)
def test_swagger_base_path_modes(mode: str, expected: set[str]) -> None:
    definition, _ = imported("petstore.swagger.json", basepath=mode)
    assert paths(definition) == expected
    assert not resource_at(definition, "/api" if mode == "prepend" else "/").get("resourceMethods")


@pytest.mark.parametrize(
    ("servers", "mode", "expected"),
    [
        (
            [
                {
                    "url": "https://x.example.com/{basePath}",
                    "variables": {"basePath": {"default": "v2"}},
                }
            ],
            "prepend",
            {"/", "/v2", "/v2/a"},
        ),
        (
            [{"url": "https://x.example.com/base-url/part/"}],
            "prepend",
            {"/", "/base-url", "/base-url/part", "/base-url/part/a"},
        ),
        ([{"url": "https://x.example.com/base-url/part/"}], "split", {"/", "/part", "/part/a"}),
        ([{"url": "https://x.example.com/base-url/part/"}], "ignore", {"/", "/a"}),
        (
            [{"url": "https://{host}/{stage}/api", "variables": {"stage": {"default": "prod"}}}],
            "prepend",
            {"/", "/prod", "/prod/api", "/prod/api/a"},
        ),
        (
            [{"url": "/"}, {"url": "https://x.example.com/second"}],
            "prepend",
            {"/", "/second", "/second/a"},
        ),
    ],
)
def test_openapi_3_base_path_from_servers(
    servers: list[dict[str, Any]], mode: str, expected: set[str]
) -> None:
    definition, _ = import_json(oas3({"/a": {"get": {}}}, servers=servers), basepath=mode)
    assert paths(definition) == expected


def test_prepended_root_path_gets_the_root_methods() -> None:
    definition, _ = imported("petstore.oas30.yaml", basepath="prepend")
    assert paths(definition) == {"/", "/v1", "/v1/pets", "/v1/pets/{petId}"}
    assert set(resource_at(definition, "/v1")["resourceMethods"]) == {"GET"}
    assert not resource_at(definition, "/").get("resourceMethods")


def test_invalid_basepath_parameter() -> None:
    with pytest.raises(BadRequestException) as e:
        import_json(oas3({}), basepath="drop")
    assert e.value.message == (
        "Invalid basepath parameter value: drop. Valid options are ignore,prepend,split"
    )


# --- fail on warnings ----------------------------------------------------------------------------


def test_fail_on_warnings_refuses_with_the_warnings() -> None:
    document = oas3(
        {"/a": {"get": {"x-amazon-apigateway-integration": MOCK, "x-amazon-apigateway-cors": {}}}},
        components={"securitySchemes": {"oauth": {"type": "oauth2", "flows": {}}}},
    )
    strict = ImportOptions(region=REGION, account_id=ACCOUNT, fail_on_warnings=True)
    with pytest.raises(BadRequestException) as e:
        import_new(json.dumps(document).encode(), strict, created=CREATED)
    assert e.value.message == (
        "Warnings found during import:\n"
        "\tSecurity scheme 'oauth' (type oauth2) is ignored: API Gateway acts on API keys (apiKey "
        "x-api-key in header), IAM (x-amazon-apigateway-authtype awsSigv4) and authorizers "
        "(x-amazon-apigateway-authorizer).\n"
        "\tx-amazon-apigateway-cors on GET /a is kept but not acted on: Tollway does not know "
        "this operation extension."
    )


def test_fail_on_warnings_without_warnings_imports() -> None:
    body = (FIXTURES / "petstore.oas30.yaml").read_bytes()
    strict = ImportOptions(region=REGION, account_id=ACCOUNT, fail_on_warnings=True)
    definition, warnings = import_new(body, strict, created=CREATED)
    assert warnings == []
    assert definition["api"]["name"] == "PetStore"


def test_tollway_functions_extension_is_reported_outside_serve() -> None:
    document = {
        "openapi": "3.0.1",
        "info": {"title": "t"},
        "paths": {},
        "x-tollway-functions": {"f": {"handler": "app.handler", "code": "."}},
    }
    _, warnings = import_new(json.dumps(document).encode(), options(), created=0)
    assert warnings == [
        "x-tollway-functions is read by `tollway serve` only: the functions it declares were "
        "not created here (create them with the Lambda API)"
    ]

"""GetExport: REST API definitions written as OpenAPI 3.0 / Swagger 2.0, and the round trip
export -> import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tollway.control.apigateway.openapi_export import export_document
from tollway.control.apigateway.openapi_import import ImportOptions, import_new
from tollway.control.errors import BadRequestException
from tollway.model import rest_policy
from tollway.model.rest import RestApiDefinition, resource_path

FIXTURES = Path(__file__).parent / "openapi_fixtures"
REGION = "eu-west-1"
OPTIONS = ImportOptions(region=REGION, account_id="123456789012")
CREATED = 1_464_368_824  # 2016-05-27T17:07:04Z


def imported(name: str) -> RestApiDefinition:
    definition, _ = import_new((FIXTURES / name).read_bytes(), OPTIONS, created=CREATED)
    return definition


def export(
    definition: RestApiDefinition, export_type: str, *extensions: str, stage: str = "dev"
) -> dict[str, Any]:
    return export_document(
        definition, stage_name=stage, export_type=export_type, extensions=extensions, region=REGION
    )


def api_keys(tree: Any) -> set[str]:
    """Every key beginning with x-amazon-apigateway- anywhere in the document."""
    if isinstance(tree, dict):
        found = {k for k in tree if k.startswith("x-amazon-apigateway-")}
        return found.union(*(api_keys(v) for v in tree.values()))
    if isinstance(tree, list):
        return set().union(*(api_keys(v) for v in tree))
    return set()


# --- document heads ------------------------------------------------------------------------------


def test_swagger_head() -> None:
    definition = imported("proxy.swagger.yaml")
    del definition["api"]["version"]
    document = export(definition, "swagger", stage="prod")
    api_id = definition["api"]["id"]
    assert list(document)[:6] == ["swagger", "info", "host", "basePath", "schemes", "paths"]
    assert document["swagger"] == "2.0"
    assert document["info"] == {"version": "2016-05-27T17:07:04Z", "title": "Proxy"}
    assert document["host"] == f"{api_id}.execute-api.eu-west-1.amazonaws.com"
    assert document["basePath"] == "/prod"
    assert document["schemes"] == ["https"]


def test_openapi_3_head() -> None:
    definition = imported("petstore.oas30.yaml")
    document = export(definition, "oas30")
    api_id = definition["api"]["id"]
    assert list(document) == ["openapi", "info", "servers", "paths", "components"]
    assert document["openapi"] == "3.0.1"
    assert document["info"] == {
        "title": "PetStore",
        "description": "Your first API with Amazon API Gateway.",
        "version": "1.0",
    }
    assert document["servers"] == [
        {
            "url": f"https://{api_id}.execute-api.eu-west-1.amazonaws.com/{{basePath}}",
            "variables": {"basePath": {"default": "dev"}},
        }
    ]


def test_unknown_export_type() -> None:
    with pytest.raises(BadRequestException) as e:
        export(imported("proxy.swagger.yaml"), "raml")
    assert e.value.message == "Invalid export type specified: raml. Valid types are oas30, swagger"


# --- paths ---------------------------------------------------------------------------------------


def test_openapi_3_paths_without_extensions() -> None:
    document = export(imported("petstore.oas30.yaml"), "oas30")
    assert api_keys(document) == set()
    assert document["paths"] == {
        "/": {
            "get": {
                "operationId": "Welcome",
                "responses": {
                    "200": {
                        "description": "200 response",
                        "headers": {"Content-Type": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/pets": {
            "get": {
                "operationId": "ListPets",
                "parameters": [
                    {"name": "type", "in": "query", "schema": {"type": "string"}},
                    {"name": "page", "in": "query", "required": True, "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {
                        "description": "200 response",
                        "headers": {"Access-Control-Allow-Origin": {"schema": {"type": "string"}}},
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Pets"}}
                        },
                    }
                },
            },
            "post": {
                "operationId": "CreatePet",
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/NewPet"}}
                    },
                    "required": True,
                },
                "responses": {
                    "200": {
                        "description": "200 response",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/NewPetResponse"}
                            }
                        },
                    }
                },
            },
        },
        "/pets/{petId}": {
            "get": {
                "operationId": "GetPet",
                "parameters": [
                    {"name": "petId", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "200 response",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                        },
                    }
                },
            }
        },
    }


def test_swagger_operations_without_extensions() -> None:
    document = export(imported("petstore.swagger.json"), "swagger")
    assert api_keys(document) == set()
    post = document["paths"]["/pets"]["post"]
    assert post == {
        "operationId": "CreatePet",
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "parameters": [
            {
                "in": "body",
                "name": "NewPet",
                "required": True,
                "schema": {"$ref": "#/definitions/NewPet"},
            }
        ],
        "responses": {
            "200": {"description": "200 response", "schema": {"$ref": "#/definitions/Pet"}}
        },
        "security": [{"api_key": []}],
    }
    delete = document["paths"]["/pets/{petId}"]["delete"]
    assert delete == {
        "operationId": "DeletePet",
        "consumes": ["application/json"],
        "parameters": [{"name": "petId", "in": "path", "required": True, "type": "string"}],
        "responses": {"204": {"description": "204 response"}},
        "security": [{"sigv4": []}],
    }
    assert document["securityDefinitions"] == {
        "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
        "sigv4": {"type": "apiKey", "name": "Authorization", "in": "header"},
    }


def test_swagger_produces_from_templates_when_no_models() -> None:
    document = export(imported("petstore.oas30.yaml"), "swagger")
    assert document["paths"]["/"]["get"] == {
        "operationId": "Welcome",
        "consumes": ["application/json"],
        "produces": ["text/html"],
        "responses": {
            "200": {"description": "200 response", "headers": {"Content-Type": {"type": "string"}}}
        },
    }


def test_models_get_local_refs_back() -> None:
    definition = imported("petstore.oas30.yaml")
    assert export(definition, "oas30")["components"]["schemas"]["Pets"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Pet"},
    }
    assert export(definition, "swagger")["definitions"]["NewPet"] == {
        "type": "object",
        "description": "A pet to add",
        "properties": {"type": {"$ref": "#/definitions/PetType"}, "price": {"type": "number"}},
    }


def test_any_method_and_empty_leaf_resources() -> None:
    definition = imported("proxy.swagger.yaml")
    document = export(definition, "oas30", "integrations")
    assert set(document["paths"]) == {"/", "/health", "/{proxy+}"}
    assert list(document["paths"]["/{proxy+}"]) == ["x-amazon-apigateway-any-method"]
    assert document["paths"]["/{proxy+}"]["x-amazon-apigateway-any-method"] == {
        "parameters": [
            {"name": "proxy", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "x-amazon-apigateway-integration": {
            "type": "http_proxy",
            "httpMethod": "ANY",
            "uri": "https://backend.example.com/{proxy}",
            "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"},
            "passthroughBehavior": "when_no_match",
            "cacheNamespace": "proxyns",
            "cacheKeyParameters": ["method.request.path.proxy"],
        },
    }
    leaf, _ = import_new(
        b'{"openapi": "3.0.1", "info": {"title": "T"}, "paths": {"/a/b": {}}}',
        OPTIONS,
        created=CREATED,
    )
    assert export(leaf, "oas30")["paths"] == {"/a/b": {}}
    empty, _ = import_new(
        b'{"swagger": "2.0", "info": {"title": "T"}, "paths": {}}', OPTIONS, created=0
    )
    assert export(empty, "swagger")["paths"] == {}


# --- extensions ----------------------------------------------------------------------------------


def test_integrations_are_written_as_aws_writes_them() -> None:
    document = export(imported("petstore.oas30.yaml"), "oas30", "integrations")
    assert api_keys(document) == {"x-amazon-apigateway-integration"}
    paths = document["paths"]
    assert paths["/"]["get"]["x-amazon-apigateway-integration"] == {
        "type": "mock",
        "requestTemplates": {"application/json": '{"statusCode": 200}'},
        "passthroughBehavior": "when_no_match",
        "responses": {
            "default": {
                "statusCode": "200",
                "responseParameters": {"method.response.header.Content-Type": "'text/html'"},
                "responseTemplates": {"text/html": "<html><body>Welcome</body></html>"},
            }
        },
    }
    assert paths["/pets/{petId}"]["get"]["x-amazon-apigateway-integration"] == {
        "type": "http",
        "httpMethod": "GET",
        "uri": "http://petstore.execute-api.eu-west-1.amazonaws.com/petstore/pets/{petId}",
        "requestParameters": {"integration.request.path.petId": "method.request.path.petId"},
        "passthroughBehavior": "when_no_match",
        "timeoutInMillis": 5000,
        "responses": {
            "default": {"statusCode": "200"},
            "4\\d{2}": {
                "statusCode": "404",
                "responseTemplates": {"application/json": '{"message": "not found"}'},
            },
        },
    }
    assert paths["/pets"]["post"]["x-amazon-apigateway-integration"]["type"] == "aws_proxy"


def test_apigateway_root_extensions() -> None:
    definition = imported("settings.oas30.yaml")
    document = export(definition, "swagger", "apigateway")
    assert {k: v for k, v in document.items() if k.startswith("x-")} == {
        "x-amazon-apigateway-api-key-source": "AUTHORIZER",
        "x-amazon-apigateway-binary-media-types": ["image/png", "*/*"],
        "x-amazon-apigateway-minimum-compression-size": 1024,
        "x-amazon-apigateway-policy": rest_policy.document(definition["api"]["policy"]),
        "x-amazon-apigateway-endpoint-configuration": {"disableExecuteApiEndpoint": True},
        "x-amazon-apigateway-gateway-responses": {
            "DEFAULT_4XX": {
                "responseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}
            },
            "MISSING_AUTHENTICATION_TOKEN": {
                "statusCode": "404",
                "responseTemplates": {
                    "application/json": '{"message": "no such route: $context.path"}'
                },
            },
        },
        "x-amazon-apigateway-documentation": definition["extensions"][
            "x-amazon-apigateway-documentation"
        ],
    }
    oas3 = export(definition, "oas30", "apigateway")
    assert "x-amazon-apigateway-endpoint-configuration" not in oas3
    assert oas3["servers"][0]["x-amazon-apigateway-endpoint-configuration"] == {
        "disableExecuteApiEndpoint": True
    }


def test_request_validators_are_written_with_apigateway_only() -> None:
    definition = imported("validators.oas30.json")
    assert "x-amazon-apigateway-request-validators" not in export(
        definition, "oas30", "integrations"
    )
    document = export(definition, "oas30", "apigateway")
    assert document["x-amazon-apigateway-request-validators"] == {
        "all": {"validateRequestBody": True, "validateRequestParameters": True},
        "params-only": {"validateRequestBody": False, "validateRequestParameters": True},
    }
    orders = document["paths"]["/orders"]
    assert orders["post"]["x-amazon-apigateway-request-validator"] == "all"
    assert orders["get"]["x-amazon-apigateway-request-validator"] == "params-only"


def test_authorizers_are_security_schemes() -> None:
    definition = imported("authorizers.swagger.json")
    source = json.loads((FIXTURES / "authorizers.swagger.json").read_text())["securityDefinitions"]
    plain = export(definition, "swagger")
    assert plain["paths"]["/orders"]["post"]["security"] == [
        {"api_key": []},
        {"UserPool": ["orders/write"]},
    ]
    assert plain["paths"]["/orders"]["get"]["security"] == [{"TokenAuth": []}]
    assert "security" not in plain["paths"]["/public"]["get"]
    assert plain["securityDefinitions"]["TokenAuth"] == {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
    }
    with_authorizers = export(definition, "oas30", "authorizers")
    pool = source["UserPool"]
    pool["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"] = 300  # the default
    assert with_authorizers["components"]["securitySchemes"] == {
        "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
        "TokenAuth": source["TokenAuth"],
        "UserPool": pool,
    }
    assert api_keys(with_authorizers["paths"]) == set()


def test_request_authorizer_scheme() -> None:
    definition = imported("authorizers.swagger.json")
    definition["authorizers"]["req1"] = {
        "id": "req1",
        "name": "Req",
        "type": "REQUEST",
        "authorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/f/invocations",
        "identitySource": "method.request.header.A, method.request.querystring.b",
        "authorizerResultTtlInSeconds": 0,
        "authType": "custom-label",
    }
    schemes = export(definition, "oas30", "authorizers")["components"]["securitySchemes"]
    assert schemes["Req"] == {
        "type": "apiKey",
        "name": "Unused",
        "in": "header",
        "x-amazon-apigateway-authtype": "custom-label",
        "x-amazon-apigateway-authorizer": {
            "type": "request",
            "authorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/f/"
            "invocations",
            "identitySource": "method.request.header.A, method.request.querystring.b",
            "authorizerResultTtlInSeconds": 0,
        },
    }


def test_kept_operation_extensions_come_back_with_apigateway() -> None:
    body = json.dumps(
        {
            "openapi": "3.0.1",
            "info": {"title": "T"},
            "paths": {"/a": {"get": {"x-amazon-apigateway-cors": {"allowOrigins": ["*"]}}}},
        }
    ).encode()
    definition, _ = import_new(body, OPTIONS, created=CREATED)
    assert export(definition, "oas30", "apigateway")["paths"]["/a"]["get"] == {
        "x-amazon-apigateway-cors": {"allowOrigins": ["*"]}
    }
    assert export(definition, "oas30")["paths"]["/a"]["get"] == {}


def test_iam_is_written_as_sigv4() -> None:
    document = export(imported("petstore.swagger.json"), "oas30", "integrations")
    assert document["components"]["securitySchemes"]["sigv4"] == {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "x-amazon-apigateway-authtype": "awsSigv4",
    }


# --- round trips ---------------------------------------------------------------------------------


def canonical(definition: RestApiDefinition, exported_from: str = "") -> dict[str, Any]:
    """The definition without ids (resources by path, validators by name, model URLs without
    the API id), JSON texts (schemas, policy) parsed, since a YAML export may reorder keys.
    `exported_from`: the id of the API the document was exported from, which the policy's
    resource ARNs still name after the import."""
    api_id = definition["api"]["id"]
    resources = definition["resources"]
    path_of = {rid: resource_path(resources, rid) for rid in resources}
    validators = {v["id"]: v["name"] for v in definition["requestValidators"].values()}
    authorizers = {a["id"]: a["name"] for a in definition.get("authorizers", {}).values()}
    text = json.dumps(
        {
            "api": {
                k: rest_policy.document(v) if k == "policy" else v
                for k, v in definition["api"].items()
                if k not in ("id", "rootResourceId", "createdDate")
            },
            "resources": {
                path_of[rid]: r.get("resourceMethods") or {} for rid, r in resources.items()
            },
            "models": {
                n: {k: json.loads(v) if k == "schema" else v for k, v in m.items() if k != "id"}
                for n, m in definition["models"].items()
            },
            "validators": sorted(definition["requestValidators"].values(), key=lambda v: v["name"]),
            "gatewayResponses": definition["gatewayResponses"],
            "authorizers": sorted(
                definition.get("authorizers", {}).values(), key=lambda a: a["name"]
            ),
            "extensions": {
                **definition["extensions"],
                "methods": {
                    path_of[rid]: kept
                    for rid, kept in definition["extensions"].get("methods", {}).items()
                },
            },
        }
    )
    for rid, path in path_of.items():
        text = text.replace(f'"cacheNamespace": "{rid}"', f'"cacheNamespace": "<{path}>"')
    for vid, name in {**validators, **authorizers}.items():
        text = text.replace(f'"id": "{vid}", ', "").replace(f'"{vid}"', f'"<{name}>"')
    if exported_from:
        text = text.replace(exported_from, "<api>")
    return json.loads(text.replace(api_id, "<api>"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("export_type", ["oas30", "swagger"])
@pytest.mark.parametrize(
    "fixture",
    [
        "petstore.oas30.yaml",
        "petstore.swagger.json",
        "validators.oas30.json",
        "settings.oas30.yaml",
        "proxy.swagger.yaml",
        "authorizers.swagger.json",
        "aws-variables.oas30.yaml",
    ],
)
def test_round_trip(fixture: str, export_type: str) -> None:
    original = imported(fixture)
    for serialised in (json.dumps, yaml.safe_dump):
        document = export(original, export_type, "apigateway")
        again, _ = import_new(serialised(document).encode(), OPTIONS, created=CREATED)
        assert canonical(again, original["api"]["id"]) == canonical(original)


def test_round_trip_with_integrations_only_keeps_methods_and_models() -> None:
    original = imported("petstore.oas30.yaml")
    document = export(original, "swagger", "integrations")
    again, _ = import_new(json.dumps(document).encode(), OPTIONS, created=CREATED)
    assert canonical(again)["resources"] == canonical(original)["resources"]
    assert canonical(again)["models"] == canonical(original)["models"]


def test_round_trip_of_inline_models() -> None:
    body = json.dumps(
        {
            "openapi": "3.0.1",
            "info": {"title": "T", "version": "1"},
            "paths": {
                "/a": {
                    "post": {
                        "requestBody": {
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {"n": {"type": "integer"}},
                                    }
                                }
                            }
                        }
                    }
                }
            },
        }
    ).encode()
    original, _ = import_new(body, OPTIONS, created=CREATED)
    for export_type in ("oas30", "swagger"):
        document = export(original, export_type, "apigateway")
        again, _ = import_new(json.dumps(document).encode(), OPTIONS, created=CREATED)
        assert canonical(again) == canonical(original)

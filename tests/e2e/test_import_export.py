"""OpenAPI import and export through the control plane (ImportRestApi, PutRestApi, GetExport),
and the imported APIs serving requests."""

from __future__ import annotations

import json
from typing import Any

import botocore.exceptions
import httpx
import pytest
import yaml

from tests.e2e.conftest import Server, deploy

PETSTORE = {
    "openapi": "3.0.1",
    "info": {"title": "imported", "version": "2.1"},
    "paths": {
        "/pets": {
            "get": {
                "parameters": [
                    {"name": "limit", "in": "query", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Pets"}}
                        },
                    }
                },
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": '{"statusCode": 200}'},
                    "responses": {
                        "default": {
                            "statusCode": "200",
                            "responseTemplates": {
                                "application/json": '{"limit": "$input.params(\'limit\')"}'
                            },
                        }
                    },
                },
            },
        },
        "/pets/{petId}": {
            "x-amazon-apigateway-any-method": {
                "parameters": [
                    {"name": "petId", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": '{"statusCode": 200}'},
                    "responses": {
                        "default": {
                            "statusCode": "200",
                            "responseTemplates": {
                                "application/json": '{"pet": "$input.params(\'petId\')"}'
                            },
                        }
                    },
                },
            },
        },
    },
    "components": {
        "schemas": {
            "Pet": {"type": "object", "properties": {"name": {"type": "string"}}},
            "Pets": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}},
        }
    },
    "x-amazon-apigateway-binary-media-types": ["image/png"],
    "x-amazon-apigateway-gateway-responses": {
        "MISSING_AUTHENTICATION_TOKEN": {
            "statusCode": "404",
            "responseTemplates": {"application/json": '{"error": "no such route"}'},
        },
    },
    "x-amazon-apigateway-request-validators": {
        "all": {"validateRequestBody": True, "validateRequestParameters": True}
    },
}


def _paths(apigw: Any, api_id: str) -> dict[str, list[str]]:
    resources = apigw.get_resources(restApiId=api_id, embed=["methods"], limit=500)["items"]
    return {r["path"]: sorted(r.get("resourceMethods", {})) for r in resources}


@pytest.fixture(scope="module")
def imported(apigw: Any) -> dict[str, Any]:
    api: dict[str, Any] = apigw.import_rest_api(body=json.dumps(PETSTORE).encode())
    deploy(apigw, api["id"], "v1")
    return api


def test_import_creates_the_api(apigw: Any, imported: dict[str, Any]) -> None:
    assert imported["name"] == "imported"
    assert imported["version"] == "2.1"
    assert imported["binaryMediaTypes"] == ["image/png"]
    assert _paths(apigw, imported["id"]) == {"/": [], "/pets": ["GET"], "/pets/{petId}": ["ANY"]}
    models = {m["name"] for m in apigw.get_models(restApiId=imported["id"])["items"]}
    assert models == {"Pet", "Pets"}
    validators = apigw.get_request_validators(restApiId=imported["id"])["items"]
    assert [(v["name"], v["validateRequestBody"]) for v in validators] == [("all", True)]
    response = apigw.get_gateway_response(
        restApiId=imported["id"], responseType="MISSING_AUTHENTICATION_TOKEN"
    )
    assert (response["statusCode"], response["defaultResponse"]) == ("404", False)


def test_imported_api_serves(server: Server, imported: dict[str, Any]) -> None:
    with httpx.Client(timeout=30) as http:
        pets = http.get(server.url(imported["id"], "v1", "/pets"), params={"limit": "5"})
        assert pets.json() == {"limit": "5"}
        pet = http.delete(server.url(imported["id"], "v1", "/pets/abc"))
        assert pet.json() == {"pet": "abc"}
        missing = http.get(server.url(imported["id"], "v1", "/nothing"))
        assert (missing.status_code, missing.json()) == (404, {"error": "no such route"})


@pytest.mark.parametrize("export_type", ["oas30", "swagger"])
def test_export_and_reimport_round_trip(
    apigw: Any, imported: dict[str, Any], export_type: str
) -> None:
    exported = apigw.get_export(
        restApiId=imported["id"],
        stageName="v1",
        exportType=export_type,
        parameters={"extensions": "apigateway"},
        accepts="application/json",
    )
    assert exported["contentType"] == "application/json"
    document = json.loads(exported["body"].read())
    assert ("openapi" if export_type == "oas30" else "swagger") in document
    assert "x-amazon-apigateway-integration" in document["paths"]["/pets"]["get"]
    again = apigw.import_rest_api(body=json.dumps(document).encode())
    assert _paths(apigw, again["id"]) == _paths(apigw, imported["id"])
    first = apigw.get_integration(
        restApiId=imported["id"],
        httpMethod="GET",
        resourceId=_resource(apigw, imported["id"], "/pets"),
    )
    second = apigw.get_integration(
        restApiId=again["id"], httpMethod="GET", resourceId=_resource(apigw, again["id"], "/pets")
    )
    for key in ("type", "requestTemplates", "passthroughBehavior", "timeoutInMillis"):
        assert first[key] == second[key]
    assert first["integrationResponses"] == second["integrationResponses"]
    apigw.delete_rest_api(restApiId=again["id"])


def _resource(apigw: Any, api_id: str, path: str) -> str:
    items = apigw.get_resources(restApiId=api_id, limit=500)["items"]
    return str(next(r["id"] for r in items if r["path"] == path))


def test_export_without_extensions_is_plain_openapi(apigw: Any, imported: dict[str, Any]) -> None:
    exported = apigw.get_export(
        restApiId=imported["id"], stageName="v1", exportType="oas30", accepts="application/yaml"
    )
    assert exported["contentType"] == "application/yaml"
    text = exported["body"].read().decode()
    document = yaml.safe_load(text)
    assert document["info"]["title"] == "imported"
    # ANY can only be written as x-amazon-apigateway-any-method; nothing else of AWS's.
    for extension in (
        "integration",
        "binary-media-types",
        "gateway-responses",
        "request-validators",
    ):
        assert f"x-amazon-apigateway-{extension}" not in text
    assert "x-amazon-apigateway-any-method" in document["paths"]["/pets/{petId}"]


def test_put_rest_api_merge_and_overwrite(apigw: Any) -> None:
    api = apigw.import_rest_api(body=json.dumps(PETSTORE).encode())
    extra = {
        "openapi": "3.0.1",
        "info": {"title": "imported"},
        "paths": {
            "/owners": {
                "get": {
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "requestTemplates": {"application/json": '{"statusCode": 200}'},
                    },
                }
            }
        },
    }
    apigw.put_rest_api(restApiId=api["id"], mode="merge", body=json.dumps(extra).encode())
    assert _paths(apigw, api["id"]) == {
        "/": [],
        "/owners": ["GET"],
        "/pets": ["GET"],
        "/pets/{petId}": ["ANY"],
    }
    apigw.put_rest_api(restApiId=api["id"], mode="overwrite", body=json.dumps(extra).encode())
    assert _paths(apigw, api["id"]) == {"/": [], "/owners": ["GET"]}
    assert apigw.get_rest_api(restApiId=api["id"])["id"] == api["id"]
    apigw.delete_rest_api(restApiId=api["id"])


@pytest.mark.parametrize(
    ("body", "message_start"),
    [
        (b"openapi: [broken", "Invalid OpenAPI input."),
        (b"just text", "Unable to build importer with provided input."),
        (
            json.dumps(
                {
                    "openapi": "3.0.1",
                    "info": {"title": "x"},
                    "paths": {
                        "/a": {
                            "get": {
                                "x-amazon-apigateway-integration": {
                                    "type": "http",
                                    "httpMethod": "GET",
                                    "uri": "not a url",
                                }
                            }
                        }
                    },
                }
            ).encode(),
            "Errors found during import:\n\tUnable to put integration on 'GET' for resource at "
            "path '/a': Invalid HTTP endpoint specified for URI",
        ),
    ],
)
def test_bad_documents_are_refused_and_nothing_is_stored(
    apigw: Any, body: bytes, message_start: str
) -> None:
    before = {a["id"] for a in apigw.get_rest_apis(limit=500)["items"]}
    with pytest.raises(botocore.exceptions.ClientError) as error:
        apigw.import_rest_api(body=body)
    assert error.value.response["Error"]["Code"] == "BadRequestException"
    assert error.value.response["Error"]["Message"].startswith(message_start)
    assert {a["id"] for a in apigw.get_rest_apis(limit=500)["items"]} == before


def test_a_refused_put_leaves_the_api_as_it_was(apigw: Any) -> None:
    api = apigw.import_rest_api(body=json.dumps(PETSTORE).encode())
    before = _paths(apigw, api["id"])
    with pytest.raises(botocore.exceptions.ClientError):
        apigw.put_rest_api(restApiId=api["id"], mode="overwrite", body=b"openapi: [broken")
    assert _paths(apigw, api["id"]) == before
    apigw.delete_rest_api(restApiId=api["id"])


def test_unsupported_extensions_are_kept_and_reported(apigw: Any) -> None:
    document = {
        **PETSTORE,
        "info": {"title": "with-docs"},
        "x-amazon-apigateway-documentation": {"version": "1", "documentationParts": []},
    }
    api = apigw.import_rest_api(body=json.dumps(document).encode())
    warnings = " ".join(api.get("warnings", []))
    assert "x-amazon-apigateway-documentation" in warnings
    deploy(apigw, api["id"], "v1")
    exported = apigw.get_export(
        restApiId=api["id"],
        stageName="v1",
        exportType="oas30",
        parameters={"extensions": "apigateway"},
    )
    text = exported["body"].read().decode()
    assert "x-amazon-apigateway-documentation" in text
    apigw.delete_rest_api(restApiId=api["id"])

"""ImportApi, ReimportApi and ExportApi end to end: boto3 `apigatewayv2` against the real
server (what an import creates, read back exactly; warnings and FailOnWarnings; refused
documents leave nothing behind; reimport over stages; export with and without extensions and
stages; a round trip), and `tollway serve` loading an HTTP API document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.e2e.conftest import REGION, Server, aws_error, shape, start_server, status_of

LAMBDA = f"arn:aws:lambda:{REGION}:000000000000:function:pets"
BACKEND = "https://example.com/pets"


@pytest.fixture(scope="module")
def v2(server: Server) -> Any:
    return server.client("apigatewayv2")


def _http_proxy(uri: str = BACKEND, method: str = "GET", **more: Any) -> dict[str, Any]:
    return {
        "type": "http_proxy",
        "httpMethod": method,
        "uri": uri,
        "payloadFormatVersion": "1.0",
        **more,
    }


def _document(**paths: Any) -> dict[str, Any]:
    return {"openapi": "3.0.1", "info": {"title": "pets", "version": "2.1"}, "paths": paths}


PETSTORE: dict[str, Any] = {
    "openapi": "3.0.1",
    "info": {"title": "petstore", "description": "Pets.", "version": "1.0"},
    "tags": [{"name": "Owner", "x-amazon-apigateway-tag-value": "Admin"}, {"name": "Prod"}],
    "paths": {
        "/pets": {
            "get": {
                "operationId": "ListPets",
                "x-amazon-apigateway-integration": _http_proxy(
                    requestParameters={"append:querystring.source": "tollway"},
                    responseParameters={"200": {"overwrite:header.Cache-Control": "no-store"}},
                    timeoutInMillis=12000,
                ),
            },
            "post": {
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "x-amazon-apigateway-integration": {
                    "$ref": "#/components/x-amazon-apigateway-integrations/pets"
                },
            },
        },
        "/pets/{id}": {
            "get": {"x-amazon-apigateway-integration": _http_proxy(uri=BACKEND + "/{id}")},
            "delete": {
                "security": [{"jwt": ["pets:write"]}],
                "x-amazon-apigateway-integration": {
                    "$ref": "#/components/x-amazon-apigateway-integrations/pets"
                },
            },
        },
        "/$default": {
            "x-amazon-apigateway-any-method": {
                "isDefaultRoute": True,
                "x-amazon-apigateway-integration": {
                    "$ref": "#/components/x-amazon-apigateway-integrations/pets"
                },
            }
        },
    },
    "components": {
        "x-amazon-apigateway-integrations": {
            "pets": {
                "type": "aws_proxy",
                "httpMethod": "POST",
                "uri": LAMBDA,
                "payloadFormatVersion": "2.0",
            }
        },
        "securitySchemes": {
            "jwt": {
                "type": "oauth2",
                "x-amazon-apigateway-authorizer": {
                    "type": "jwt",
                    "identitySource": "$request.header.Authorization",
                    "jwtConfiguration": {"issuer": "https://issuer.example", "audience": ["a"]},
                },
            }
        },
    },
    "x-amazon-apigateway-cors": {
        "allowOrigins": ["https://example.com"],
        "maxAge": 300,
        "allowMethods": ["GET", "POST"],
    },
    "x-amazon-apigateway-importexport-version": "1.0",
}


def _routes(v2: Any, api_id: str) -> dict[str, dict[str, Any]]:
    """Routes by key, their integrations inlined (ids dropped) so APIs compare by content."""
    integrations = {i.pop("IntegrationId"): i for i in v2.get_integrations(ApiId=api_id)["Items"]}
    authorizers = {a.pop("AuthorizerId"): a for a in v2.get_authorizers(ApiId=api_id)["Items"]}
    out = {}
    for route in v2.get_routes(ApiId=api_id)["Items"]:
        route.pop("RouteId")
        if "Target" in route:
            route["Target"] = integrations[route["Target"].split("/")[1]]
        if "AuthorizerId" in route:
            route["AuthorizerId"] = authorizers[route["AuthorizerId"]]
        out[route["RouteKey"]] = route
    return out


def _api_count(v2: Any) -> int:
    return len(v2.get_apis(MaxResults="500")["Items"])


def test_import_creates_the_routes_integrations_and_settings(v2: Any) -> None:
    imported = v2.import_api(Body=json.dumps(PETSTORE))
    assert status_of(imported) == 201
    api_id = imported["ApiId"]
    assert imported["Name"] == "petstore"
    assert imported["Description"] == "Pets."
    assert imported["Version"] == "1.0"
    assert imported["ProtocolType"] == "HTTP"
    assert imported["Tags"] == {"Owner": "Admin", "Prod": ""}
    assert imported["CorsConfiguration"] == {
        "AllowOrigins": ["https://example.com"],
        "MaxAge": 300,
        "AllowMethods": ["GET", "POST"],
    }
    assert "Warnings" not in imported
    assert imported["ImportInfo"] == [
        "The request body of POST /pets is ignored: HTTP APIs do not validate requests."
    ]
    assert v2.get_stages(ApiId=api_id)["Items"] == []  # ImportApi makes no stage
    lambda_integration = {
        "ConnectionType": "INTERNET",
        "IntegrationMethod": "POST",
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": LAMBDA,
        "PayloadFormatVersion": "2.0",
        "TimeoutInMillis": 30000,
    }
    none = {"ApiKeyRequired": False, "AuthorizationType": "NONE"}
    routes = _routes(v2, api_id)
    assert routes == {
        "GET /pets": {
            **none,
            "RouteKey": "GET /pets",
            "OperationName": "ListPets",
            "Target": {
                "ConnectionType": "INTERNET",
                "IntegrationMethod": "GET",
                "IntegrationType": "HTTP_PROXY",
                "IntegrationUri": BACKEND,
                "PayloadFormatVersion": "1.0",
                "RequestParameters": {"append:querystring.source": "tollway"},
                "ResponseParameters": {"200": {"overwrite:header.Cache-Control": "no-store"}},
                "TimeoutInMillis": 12000,
            },
        },
        "POST /pets": {**none, "RouteKey": "POST /pets", "Target": lambda_integration},
        "GET /pets/{id}": {
            **none,
            "RouteKey": "GET /pets/{id}",
            "Target": {
                "ConnectionType": "INTERNET",
                "IntegrationMethod": "GET",
                "IntegrationType": "HTTP_PROXY",
                "IntegrationUri": BACKEND + "/{id}",
                "PayloadFormatVersion": "1.0",
                "TimeoutInMillis": 30000,
            },
        },
        "DELETE /pets/{id}": {
            "ApiKeyRequired": False,
            "AuthorizationType": "JWT",
            "AuthorizationScopes": ["pets:write"],
            "AuthorizerId": {
                "AuthorizerType": "JWT",
                "IdentitySource": ["$request.header.Authorization"],
                "JwtConfiguration": {"Audience": ["a"], "Issuer": "https://issuer.example"},
                "Name": "jwt",
            },
            "RouteKey": "DELETE /pets/{id}",
            "Target": lambda_integration,
        },
        "$default": {**none, "RouteKey": "$default", "Target": lambda_integration},
    }
    # The three operations naming the same integration share one.
    assert len(v2.get_integrations(ApiId=api_id)["Items"]) == 3


def test_import_reads_yaml_and_applies_the_base_path(v2: Any) -> None:
    document = _document(**{"/pets": {"get": {"x-amazon-apigateway-integration": _http_proxy()}}})
    document["servers"] = [
        {
            "url": "https://api.example.com/{basePath}",
            "variables": {"basePath": {"default": "v1/shop"}},
        }
    ]
    body = yaml.safe_dump(document)
    keys = {}
    for mode in ("ignore", "prepend", "split"):
        api_id = v2.import_api(Body=body, Basepath=mode)["ApiId"]
        keys[mode] = [r["RouteKey"] for r in v2.get_routes(ApiId=api_id)["Items"]]
    assert keys == {
        "ignore": ["GET /pets"],
        "prepend": ["GET /v1/shop/pets"],
        "split": ["GET /shop/pets"],
    }


def test_warnings_are_returned_or_refuse_the_document(v2: Any) -> None:
    document = _document(
        **{
            "/mock": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}},
            "/pets": {"get": {"x-amazon-apigateway-integration": _http_proxy(cacheKeys=[])}},
        }
    )
    warnings = [
        "The integration of GET /mock (type mock) is ignored: HTTP APIs support only Lambda "
        "proxy (aws_proxy) and HTTP proxy (http_proxy) integrations.",
        "Unknown field 'cacheKeys' in x-amazon-apigateway-integration of GET /pets is ignored.",
    ]
    imported = v2.import_api(Body=json.dumps(document))
    assert imported["Warnings"] == warnings
    routes = {r["RouteKey"]: r for r in v2.get_routes(ApiId=imported["ApiId"])["Items"]}
    assert "Target" not in routes["GET /mock"]
    before = _api_count(v2)
    assert aws_error(v2.import_api, Body=json.dumps(document), FailOnWarnings=True) == (
        400,
        "BadRequestException",
        "Warnings found during import:\n\t" + "\n\t".join(warnings),
    )
    assert _api_count(v2) == before


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"swagger": "2.0", "info": {"title": "t"}, "paths": {}},
            "Unable to build importer with provided input. HTTP APIs import OpenAPI 3.0 "
            "documents only (openapi: 3.0.x); this is a swagger: 2.0 document.",
        ),
        (
            _document(**{"/a/{b}x": {"get": {"x-amazon-apigateway-integration": _http_proxy()}}}),
            "Errors found during import:\n\tUnable to create route GET /a/{b}x: Invalid route "
            "key: GET /a/{b}x. A route key is $default or an HTTP method (ANY, GET, POST, PUT, "
            "DELETE, PATCH, HEAD, OPTIONS) and a path, such as GET /pets/{id}",
        ),
        (
            _document(
                **{"/a": {"get": {"x-amazon-apigateway-integration": _http_proxy(uri="not a url")}}}
            ),
            "Errors found during import:\n\tUnable to create integration for GET /a: Invalid "
            "HTTP endpoint specified for URI: not a url",
        ),
        (
            _document(
                **{
                    "/a": {
                        "get": {
                            "x-amazon-apigateway-integration": {
                                "type": "aws_proxy",
                                "uri": LAMBDA,
                                "payloadFormatVersion": "3.0",
                            }
                        }
                    }
                }
            ),
            "Errors found during import:\n\tUnable to create integration for GET /a: Invalid "
            "payload format version 3.0. Valid versions are 1.0, 2.0",
        ),
        (
            _document(**{"/a": {"get": {"security": [{"x": []}, {"y": []}]}}}),
            "Errors found during import:\n\tUnable to create route GET /a: an operation can "
            "have only one of IAM authorization, a Lambda authorizer or a JWT authorizer; "
            "multiple security requirements are not supported",
        ),
        (
            {
                "openapi": "3.0.1",
                "info": {"version": "1"},
                "paths": {},
                "x-amazon-apigateway-importexport-version": "2.0",
            },
            "Errors found during import:\n\tInvalid OpenAPI input. The document has no "
            "info.title; API Gateway names the API after it.\n\tUnsupported "
            'x-amazon-apigateway-importexport-version "2.0": the only version of the import '
            "and export algorithm is 1.0",
        ),
    ],
)
def test_bad_documents_are_refused_and_nothing_is_stored(
    v2: Any, document: dict[str, Any], message: str
) -> None:
    before = _api_count(v2)
    assert aws_error(v2.import_api, Body=json.dumps(document)) == (
        400,
        "BadRequestException",
        message,
    )
    assert _api_count(v2) == before


def test_reimport_replaces_the_definition_and_redeploys_auto_deploy_stages(v2: Any) -> None:
    api_id = v2.import_api(Body=json.dumps(PETSTORE))["ApiId"]
    stage = v2.create_stage(ApiId=api_id, StageName="live", AutoDeploy=True)
    first = stage["DeploymentId"]
    document = _document(**{"/cats": {"get": {"x-amazon-apigateway-integration": _http_proxy()}}})
    reimported = v2.reimport_api(ApiId=api_id, Body=json.dumps(document))
    assert status_of(reimported) == 201
    assert reimported["ApiId"] == api_id
    assert reimported["Name"] == "pets"
    assert reimported["Version"] == "2.1"
    assert "CorsConfiguration" not in reimported
    assert reimported["Tags"] == {"Owner": "Admin", "Prod": ""}
    assert list(_routes(v2, api_id)) == ["GET /cats"]
    assert len(v2.get_integrations(ApiId=api_id)["Items"]) == 1
    assert v2.get_authorizers(ApiId=api_id)["Items"] == []
    live = v2.get_stage(ApiId=api_id, StageName="live")
    assert live["DeploymentId"] != first
    assert live["LastDeploymentStatusMessage"] == (
        f"Successfully deployed stage with deployment ID '{live['DeploymentId']}'"
    )
    bad = _document(**{"/a/{b}x": {"get": {}}})
    assert aws_error(v2.reimport_api, ApiId=api_id, Body=json.dumps(bad))[0] == 400
    assert list(_routes(v2, api_id)) == ["GET /cats"]  # a refused reimport changes nothing


def _export(v2: Any, api_id: str, **kwargs: Any) -> Any:
    response = v2.export_api(ApiId=api_id, Specification="OAS30", **kwargs)
    assert status_of(response) == 200
    body = response["body"].read()
    return yaml.safe_load(body) if kwargs.get("OutputType") == "YAML" else json.loads(body)


def test_export_writes_the_document_as_aws_does(v2: Any) -> None:
    api_id = v2.import_api(Body=json.dumps(PETSTORE))["ApiId"]
    exported = _export(v2, api_id, OutputType="JSON")
    assert exported["openapi"] == "3.0.1"
    assert exported["info"] == {"title": "petstore", "description": "Pets.", "version": "1.0"}
    assert exported["servers"] == [
        {
            "url": f"https://{api_id}.execute-api.{REGION}.amazonaws.com/{{basePath}}",
            "variables": {"basePath": {"default": ""}},
        }
    ]
    assert exported["tags"] == [
        {"name": "Owner", "x-amazon-apigateway-tag-value": "Admin"},
        {"name": "Prod", "x-amazon-apigateway-tag-value": ""},
    ]
    assert list(exported["paths"]) == ["/$default", "/pets", "/pets/{id}"]
    lambda_integration = {
        "payloadFormatVersion": "2.0",
        "type": "aws_proxy",
        "httpMethod": "POST",
        "uri": LAMBDA,
        "connectionType": "INTERNET",
        "timeoutInMillis": 30000,
    }
    assert exported["paths"]["/$default"] == {
        "x-amazon-apigateway-any-method": {
            "isDefaultRoute": True,
            "responses": {"default": {"description": "Default response for $default"}},
            "x-amazon-apigateway-integration": lambda_integration,
        }
    }
    assert exported["paths"]["/pets/{id}"] == {
        "get": {
            "responses": {"default": {"description": "Default response for GET /pets/{id}"}},
            "x-amazon-apigateway-integration": {
                "payloadFormatVersion": "1.0",
                "type": "http_proxy",
                "httpMethod": "GET",
                "uri": BACKEND + "/{id}",
                "connectionType": "INTERNET",
                "timeoutInMillis": 30000,
            },
        },
        "delete": {
            "responses": {"default": {"description": "Default response for DELETE /pets/{id}"}},
            "security": [{"jwt": ["pets:write"]}],
            "x-amazon-apigateway-integration": lambda_integration,
        },
        "parameters": [
            {
                "name": "id",
                "in": "path",
                "required": True,
                "description": "Generated path parameter for id",
                "schema": {"type": "string"},
            }
        ],
    }
    assert exported["paths"]["/pets"]["get"]["x-amazon-apigateway-integration"] == {
        "responseParameters": {"200": {"overwrite:header.Cache-Control": "no-store"}},
        "requestParameters": {"append:querystring.source": "tollway"},
        "payloadFormatVersion": "1.0",
        "type": "http_proxy",
        "httpMethod": "GET",
        "uri": BACKEND,
        "connectionType": "INTERNET",
        "timeoutInMillis": 12000,
    }
    assert exported["paths"]["/pets"]["get"]["operationId"] == "ListPets"
    assert exported["components"] == {
        "securitySchemes": {
            "jwt": {
                "type": "oauth2",
                "flows": {},
                "x-amazon-apigateway-authorizer": {
                    "identitySource": "$request.header.Authorization",
                    "jwtConfiguration": {"issuer": "https://issuer.example", "audience": ["a"]},
                    "type": "jwt",
                },
            }
        }
    }
    assert exported["x-amazon-apigateway-cors"] == {
        "allowMethods": ["GET", "POST"],
        "maxAge": 300,
        "allowOrigins": ["https://example.com"],
    }
    assert exported["x-amazon-apigateway-importexport-version"] == "1.0"


def test_export_without_extensions_is_plain_openapi(v2: Any) -> None:
    api_id = v2.import_api(Body=json.dumps(PETSTORE))["ApiId"]
    exported = _export(v2, api_id, OutputType="YAML", IncludeExtensions=False)
    text = json.dumps(exported)
    assert "x-amazon-apigateway-integration" not in text
    assert "x-amazon-apigateway-cors" not in exported
    assert "x-amazon-apigateway-importexport-version" not in exported
    assert "tags" not in exported
    assert exported["components"]["securitySchemes"] == {"jwt": {"type": "oauth2", "flows": {}}}
    assert exported["paths"]["/pets"]["post"] == {
        "responses": {"default": {"description": "Default response for POST /pets"}}
    }


def test_export_of_a_stage_is_what_it_serves(v2: Any) -> None:
    api_id = v2.import_api(Body=json.dumps(PETSTORE))["ApiId"]
    v2.create_stage(ApiId=api_id, StageName="prod")
    v2.create_deployment(ApiId=api_id, StageName="prod")
    route_id = next(
        r["RouteId"] for r in v2.get_routes(ApiId=api_id)["Items"] if r["RouteKey"] == "GET /pets"
    )
    v2.delete_route(ApiId=api_id, RouteId=route_id)  # after the deployment
    staged = _export(v2, api_id, OutputType="JSON", StageName="prod")
    assert staged["servers"][0]["variables"] == {"basePath": {"default": "prod"}}
    assert "get" in staged["paths"]["/pets"]
    latest = _export(v2, api_id, OutputType="JSON")
    assert "get" not in latest["paths"]["/pets"]
    v2.create_stage(ApiId=api_id, StageName="empty")
    assert aws_error(
        v2.export_api, ApiId=api_id, Specification="OAS30", OutputType="JSON", StageName="empty"
    ) == (
        400,
        "BadRequestException",
        "Stage empty has no deployment to export: deploy the API to it first",
    )
    assert aws_error(v2.export_api, ApiId=api_id, Specification="OAS30", OutputType="XML") == (
        400,
        "BadRequestException",
        "1 validation error detected: Value 'XML' at 'outputType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [YAML, JSON]",
    )
    assert aws_error(
        v2.export_api, ApiId=api_id, Specification="OAS30", OutputType="JSON", ExportVersion="2.0"
    ) == (400, "BadRequestException", "Invalid exportVersion 2.0. The only version is 1.0")


def test_import_export_import_gives_the_same_api(v2: Any) -> None:
    first = v2.import_api(Body=json.dumps(PETSTORE))
    exported = _export(v2, first["ApiId"], OutputType="YAML")
    second = v2.import_api(Body=yaml.safe_dump(exported))
    assert "Warnings" not in second and "ImportInfo" not in second
    ignored = ("ApiId", "ApiEndpoint", "CreatedDate", "ImportInfo", "ResponseMetadata")
    assert {k: v for k, v in second.items() if k not in ignored} == {
        k: v for k, v in first.items() if k not in ignored
    }
    assert _routes(v2, second["ApiId"]) == _routes(v2, first["ApiId"])
    assert len(v2.get_integrations(ApiId=second["ApiId"])["Items"]) == 3


def test_an_imported_api_answers_requests(
    v2: Any, upstream: str, server: Server, http: httpx.Client
) -> None:
    document = _document(
        **{
            "/pets/{id}": {
                "get": {
                    "x-amazon-apigateway-integration": _http_proxy(
                        uri=upstream + "/backend/{id}",
                        requestParameters={"append:querystring.source": "tollway"},
                    )
                }
            },
        }
    )
    api_id = v2.import_api(Body=yaml.safe_dump(document))["ApiId"]
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    response = http.get(f"{server.gateway}/_aws/execute-api/{api_id}/pets/7?q=1")
    assert response.status_code == 200
    assert response.headers["x-upstream"] == "echo"
    echoed = response.json()
    # The imported integration's parameter mapping applies: one more query parameter.
    assert (echoed["method"], echoed["path"], echoed["query"]) == (
        "GET",
        "/backend/7",
        "q=1&source=tollway",
    )
    missing = http.get(f"{server.gateway}/_aws/execute-api/{api_id}/cats")
    assert (missing.status_code, missing.json()) == (404, {"message": "Not Found"})


def test_serve_loads_an_http_api_document_on_an_auto_deploying_default_stage(
    tmp_path: Path,
) -> None:
    document = tmp_path / "http-api.yaml"
    document.write_text(yaml.safe_dump(PETSTORE))
    server = start_server(tmp_path / "data", document)
    try:
        v2 = server.client("apigatewayv2")
        api = next(a for a in v2.get_apis()["Items"] if a["Name"] == "petstore")
        api_id = api["ApiId"]
        stage = shape(v2.get_stage(ApiId=api_id, StageName="$default"))
        assert stage["AutoDeploy"] is True
        assert stage["DeploymentId"]
        port = server.gateway.rsplit(":", 1)[1]
        assert f"Deployed HTTP API petstore ({api_id}) to stage $default:" in server.lines
        assert f"  http://{api_id}.execute-api.localhost:{port}/" in server.lines
        assert f"  {server.gateway}/_aws/execute-api/{api_id}/" in server.lines
        assert (
            "  warning: The request body of POST /pets is ignored: HTTP APIs do not validate "
            "requests." in server.lines
        )
    finally:
        server.stop()
    # A restart reimports over the same API: same id, its stage kept.
    server = start_server(tmp_path / "data", document, args=("--stage", "live"))
    try:
        v2 = server.client("apigatewayv2")
        apis = [a for a in v2.get_apis()["Items"] if a["Name"] == "petstore"]
        assert [a["ApiId"] for a in apis] == [api_id]
        names = sorted(s["StageName"] for s in v2.get_stages(ApiId=api_id)["Items"])
        assert names == ["$default", "live"]
        assert f"Deployed HTTP API petstore ({api_id}) to stage live:" in server.lines
    finally:
        server.stop()

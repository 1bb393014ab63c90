"""PutRestApi: importing into an existing API, in merge and overwrite mode."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tollway.control.apigateway.openapi_import import ImportOptions, import_into, import_new
from tollway.control.errors import BadRequestException
from tollway.model.rest import Method, RestApiDefinition, resource_path

OPTIONS = ImportOptions(region="us-east-1", account_id="123456789012")
CREATED = 1_600_000_000


def mock(status: str = "200") -> dict[str, Any]:
    return {"type": "mock", "requestTemplates": {"application/json": f'{{"statusCode": {status}}}'}}


FIRST = {
    "openapi": "3.0.1",
    "info": {"title": "First", "description": "the first one", "version": "1"},
    "x-amazon-apigateway-binary-media-types": ["image/heif"],
    "x-amazon-apigateway-request-validators": {
        "all": {"validateRequestBody": True, "validateRequestParameters": True}
    },
    "x-amazon-apigateway-gateway-responses": {"DEFAULT_4XX": {"statusCode": "400"}},
    "x-amazon-apigateway-policy": {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"}
        ],
    },
    "x-amazon-apigateway-documentation": {"version": "1"},
    "paths": {
        "/a": {"get": {"x-amazon-apigateway-integration": mock()}},
        "/b": {
            "get": {
                "x-amazon-apigateway-request-validator": "all",
                "x-amazon-apigateway-integration": mock(),
            }
        },
        "/b/{id}": {
            "delete": {
                "security": [{"Auth": []}],
                "x-amazon-apigateway-integration": mock("204"),
                "x-amazon-apigateway-cors": {"allowOrigins": ["*"]},  # kept, not acted on
            }
        },
    },
    "components": {
        "schemas": {"Old": {"type": "object"}, "Shared": {"type": "string"}},
        "securitySchemes": {
            "Auth": {
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "x-amazon-apigateway-authorizer": {
                    "type": "token",
                    "authorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/"
                    "functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations",
                },
            }
        },
    },
}

SECOND = {
    "openapi": "3.0.1",
    "info": {"title": "Second", "version": "2"},
    "x-amazon-apigateway-binary-media-types": ["image/png", "image/heif"],
    "paths": {
        "/a": {"post": {"x-amazon-apigateway-integration": mock("201")}},
        "/b": {"get": {"x-amazon-apigateway-integration": mock("202")}},
        "/c": {"get": {"x-amazon-apigateway-integration": mock()}},
    },
    "components": {"schemas": {"New": {"type": "object"}, "Shared": {"type": "integer"}}},
}


def body(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


@pytest.fixture
def existing() -> RestApiDefinition:
    definition, _ = import_new(body(FIRST), OPTIONS, created=CREATED)
    definition["api"]["tags"] = {"team": "pets"}
    return definition


def ids_by_path(definition: RestApiDefinition) -> dict[str, str]:
    resources = definition["resources"]
    return {resource_path(resources, rid): rid for rid in resources}


def methods(definition: RestApiDefinition) -> dict[str, dict[str, Method]]:
    resources = definition["resources"]
    return {
        resource_path(resources, rid): dict(r.get("resourceMethods") or {})
        for rid, r in resources.items()
    }


def template(method: Method) -> str | None:
    return method["methodIntegration"]["requestTemplates"]["application/json"]  # type: ignore[typeddict-item]


def test_merge_adds_and_replaces(existing: RestApiDefinition) -> None:
    before = copy.deepcopy(existing)
    merged, warnings = import_into(existing, body(SECOND), OPTIONS, mode="merge")
    assert existing == before  # not mutated
    assert warnings == []
    api = merged["api"]
    assert (api["id"], api["createdDate"], api["rootResourceId"]) == (
        existing["api"]["id"],
        CREATED,
        existing["api"]["rootResourceId"],
    )
    assert (api["name"], api["version"], api["description"]) == ("Second", "2", "the first one")
    assert api["binaryMediaTypes"] == ["image/heif", "image/png"]
    assert api["tags"] == {"team": "pets"}
    assert "policy" in api
    found = methods(merged)
    assert {path: set(verbs) for path, verbs in found.items()} == {
        "/": set(),
        "/a": {"GET", "POST"},
        "/b": {"GET"},
        "/b/{id}": {"DELETE"},
        "/c": {"GET"},
    }
    assert template(found["/b"]["GET"]) == '{"statusCode": 202}'
    assert "requestValidatorId" not in found["/b"]["GET"]  # the method was replaced
    assert template(found["/a"]["GET"]) == '{"statusCode": 200}'
    assert ids_by_path(merged).items() >= ids_by_path(existing).items()


def test_merge_keeps_and_replaces_api_wide_parts(existing: RestApiDefinition) -> None:
    merged, _ = import_into(existing, body(SECOND), OPTIONS, mode="merge")
    assert set(merged["models"]) == {"Old", "Shared", "New"}
    assert merged["models"]["Shared"]["id"] == existing["models"]["Shared"]["id"]
    assert json.loads(merged["models"]["Shared"]["schema"]) == {"type": "integer"}
    assert merged["requestValidators"] == existing["requestValidators"]
    assert merged["gatewayResponses"] == existing["gatewayResponses"]
    assert merged["extensions"] == existing["extensions"]
    assert merged["authorizers"] == existing["authorizers"]


def test_merge_replaces_what_a_method_kept(existing: RestApiDefinition) -> None:
    document = {
        "openapi": "3.0.1",
        "info": {"title": "Again"},
        "paths": {"/b/{id}": {"delete": {"x-amazon-apigateway-integration": mock()}}},
    }
    merged, _ = import_into(existing, body(document), OPTIONS, mode="merge")
    assert "methods" in existing["extensions"]
    assert "methods" not in merged["extensions"]
    before, after = methods(existing)["/b/{id}"]["DELETE"], methods(merged)["/b/{id}"]["DELETE"]
    assert (before["authorizationType"], before["authorizerId"]) == (
        "CUSTOM",
        next(iter(existing["authorizers"])),
    )
    assert after["authorizationType"] == "NONE" and "authorizerId" not in after
    assert merged["authorizers"] == existing["authorizers"]  # API-wide: kept by a merge


def test_merge_refuses_a_second_variable_sibling(existing: RestApiDefinition) -> None:
    document = {"openapi": "3.0.1", "info": {"title": "T"}, "paths": {"/b/{key}": {}}}
    with pytest.raises(BadRequestException) as e:
        import_into(existing, body(document), OPTIONS, mode="merge")
    assert e.value.message == (
        "Errors found during import:\n\tUnable to create resource at path '/b/{key}': A sibling "
        "({id}) of this resource already has a variable path part -- only one is allowed"
    )


def test_overwrite_keeps_only_the_document(existing: RestApiDefinition) -> None:
    before = copy.deepcopy(existing)
    result, warnings = import_into(existing, body(SECOND), OPTIONS, mode="overwrite")
    assert existing == before
    assert warnings == []
    api = result["api"]
    assert api == {
        "id": existing["api"]["id"],
        "name": "Second",
        "createdDate": CREATED,
        "apiKeySource": "HEADER",
        "endpointConfiguration": {"types": ["EDGE"], "ipAddressType": "ipv4"},
        "disableExecuteApiEndpoint": False,
        "rootResourceId": existing["api"]["rootResourceId"],
        "tags": {"team": "pets"},
        "version": "2",
        "binaryMediaTypes": ["image/png", "image/heif"],
    }
    found = methods(result)
    assert {path: set(verbs) for path, verbs in found.items()} == {
        "/": set(),
        "/a": {"POST"},
        "/b": {"GET"},
        "/c": {"GET"},
    }
    assert set(result["models"]) == {"New", "Shared"}
    assert result["requestValidators"] == {}
    assert result["gatewayResponses"] == {}
    assert result["authorizers"] == {}
    assert result["extensions"] == {}


def test_overwrite_keeps_the_ids_of_what_comes_back(existing: RestApiDefinition) -> None:
    result, _ = import_into(existing, body(SECOND), OPTIONS, mode="overwrite")
    old, new = ids_by_path(existing), ids_by_path(result)
    assert {path: new[path] for path in ("/", "/a", "/b")} == {
        path: old[path] for path in ("/", "/a", "/b")
    }
    assert new["/c"] not in old.values()
    assert result["models"]["Shared"]["id"] == existing["models"]["Shared"]["id"]
    cache_namespace = found_integration(result, "/b")["cacheNamespace"]
    assert cache_namespace == old["/b"]


def test_overwrite_keeps_validator_ids_by_name(existing: RestApiDefinition) -> None:
    result, _ = import_into(existing, body(FIRST), OPTIONS, mode="overwrite")
    assert result["requestValidators"] == existing["requestValidators"]
    assert result == existing


def test_overwrite_keeps_endpoint_type_unless_asked(existing: RestApiDefinition) -> None:
    existing["api"]["endpointConfiguration"] = {
        "types": ["REGIONAL"],
        "ipAddressType": "ipv4",
        "vpcEndpointIds": ["vpce-1"],
    }
    kept, _ = import_into(existing, body(SECOND), OPTIONS, mode="overwrite")
    assert kept["api"]["endpointConfiguration"] == {"types": ["REGIONAL"], "ipAddressType": "ipv4"}
    private = ImportOptions(
        region="us-east-1", account_id="1", parameters={"endpointConfigurationTypes": "PRIVATE"}
    )
    changed, _ = import_into(existing, body(SECOND), private, mode="merge")
    assert changed["api"]["endpointConfiguration"] == {
        "types": ["PRIVATE"],
        "vpcEndpointIds": ["vpce-1"],
        "ipAddressType": "dualstack",
    }


def test_put_without_a_title_keeps_the_name(existing: RestApiDefinition) -> None:
    document = {"swagger": "2.0", "info": {"version": "9"}, "paths": {}}
    result, _ = import_into(existing, body(document), OPTIONS, mode="merge")
    assert (result["api"]["name"], result["api"]["version"]) == ("First", "9")


def found_integration(definition: RestApiDefinition, path: str) -> dict[str, Any]:
    method = methods(definition)[path]["GET"]
    return dict(method["methodIntegration"])  # type: ignore[typeddict-item]

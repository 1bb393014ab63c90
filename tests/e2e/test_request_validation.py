"""Request validation end to end: validators, required parameters and body models, built with
boto3 and by OpenAPI import, checked with real HTTP requests (spec §10.3)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, add_path, deploy, mock_method, new_api

MODEL_URI = "https://apigateway.amazonaws.com/restapis/{api_id}/models/{name}"
DRAFT4 = "http://json-schema.org/draft-04/schema#"
PARAMETERS_MISSING = "Missing required request parameters: [{}]"
BAD_REQUEST = {"x-amzn-errortype": "BadRequestException"}


def pet_schema(api_id: str) -> dict[str, Any]:
    return {
        "$schema": DRAFT4,
        "title": "Pet",
        "type": "object",
        "required": ["name", "type"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "type": {"enum": ["dog", "cat"]},
            "price": {"type": "number", "minimum": 1, "maximum": 500},
            "owner": {"$ref": MODEL_URI.format(api_id=api_id, name="Owner")},
        },
    }


OWNER = {
    "$schema": DRAFT4,
    "type": "object",
    "required": ["id"],
    "properties": {"id": {"type": "integer"}},
}


def validated_method(
    apigw: Any, api_id: str, root: str, path: str, validator: str, **method: Any
) -> None:
    resource = add_path(apigw, api_id, root, path)
    mock_method(apigw, api_id, resource, "POST", '{"ok": true}')
    operations = [{"op": "replace", "path": "/requestValidatorId", "value": validator}]
    for key, required in method.get("parameters", {}).items():
        value = "true" if required else "false"
        operations.append({"op": "add", "path": f"/requestParameters/{key}", "value": value})
    for media_type, model in method.get("models", {}).items():
        escaped = media_type.replace("/", "~1")
        operations.append({"op": "add", "path": f"/requestModels/{escaped}", "value": model})
    apigw.update_method(
        restApiId=api_id, resourceId=resource, httpMethod="POST", patchOperations=operations
    )


@pytest.fixture(scope="module")
def api(apigw: Any) -> str:
    api_id, root = new_api(apigw, "validation")
    apigw.create_model(
        restApiId=api_id, name="Owner", contentType="application/json", schema=json.dumps(OWNER)
    )
    apigw.create_model(
        restApiId=api_id,
        name="Pet",
        contentType="application/json",
        schema=json.dumps(pet_schema(api_id)),
    )
    ids = {
        name: apigw.create_request_validator(
            restApiId=api_id, name=name, validateRequestBody=body, validateRequestParameters=params
        )["id"]
        for name, body, params in (
            ("all", True, True),
            ("body-only", True, False),
            ("params-only", False, True),
        )
    }
    parameters = {
        "method.request.querystring.q1": True,
        "method.request.header.x-header-param": True,
        "method.request.querystring.optional": False,
    }
    models = {"application/json": "Pet"}
    validated_method(apigw, api_id, root, "/all", ids["all"], parameters=parameters, models=models)
    validated_method(
        apigw, api_id, root, "/body-only", ids["body-only"], parameters=parameters, models=models
    )
    validated_method(
        apigw,
        api_id,
        root,
        "/params-only",
        ids["params-only"],
        parameters=parameters,
        models=models,
    )
    validated_method(
        apigw, api_id, root, "/default-model", ids["body-only"], models={"$default": "Owner"}
    )
    # The details of a failed body, where a client can see them.
    apigw.put_gateway_response(
        restApiId=api_id,
        responseType="BAD_REQUEST_BODY",
        responseTemplates={"application/json": "$context.error.validationErrorString"},
    )
    deploy(apigw, api_id)
    return api_id


def post(
    http: httpx.Client,
    url: str,
    body: object = None,
    *,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return http.post(url, content=content, params=params, headers=all_headers)


GOOD = {"name": "Rex", "type": "dog", "price": 10, "owner": {"id": 7}}
PARAMS = {"q1": "v"}
HEADERS = {"x-header-param": "h"}


def test_a_valid_request_reaches_the_integration(
    server: Server, api: str, http: httpx.Client
) -> None:
    response = post(http, server.url(api, "test", "/all"), GOOD, params=PARAMS, headers=HEADERS)
    assert (response.status_code, response.json()) == (200, {"ok": True})


def test_missing_parameters_are_listed_header_first(
    server: Server, api: str, http: httpx.Client
) -> None:
    response = post(http, server.url(api, "test", "/all"), {})
    assert response.status_code == 400
    assert response.json() == {"message": PARAMETERS_MISSING.format("x-header-param, q1")}
    assert response.headers["x-amzn-errortype"] == "BadRequestException"


@pytest.mark.parametrize(
    ("params", "headers", "missing"),
    [
        ({"q1": ""}, HEADERS, "q1"),  # blank counts as missing
        (PARAMS, {"x-header-param": ""}, "x-header-param"),
        ({"optional": "x"}, HEADERS, "q1"),
    ],
)
def test_blank_parameters_count_as_missing(
    server: Server,
    api: str,
    http: httpx.Client,
    params: dict[str, str],
    headers: dict[str, str],
    missing: str,
) -> None:
    response = post(http, server.url(api, "test", "/all"), GOOD, params=params, headers=headers)
    assert (response.status_code, response.json()) == (
        400,
        {"message": PARAMETERS_MISSING.format(missing)},
    )


def test_header_names_are_matched_in_any_case(server: Server, api: str, http: httpx.Client) -> None:
    response = post(
        http, server.url(api, "test", "/all"), GOOD, params=PARAMS, headers={"X-Header-Param": "h"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({}, '[object has missing required properties (["name","type"])]'),
        (
            {"name": "", "type": "bird"},
            '[string "" is too short (length: 0, required minimum: 1), '
            'instance value ("bird") not found in enum (possible values: ["dog","cat"])]',
        ),
        (
            {"name": "Rex", "type": "cat", "price": 1000, "owner": {"id": "7"}},
            "[numeric instance is greater than the required maximum (maximum: 500, found: 1000), "
            'instance type (string) does not match any allowed primitive type (allowed: ["integer"])]',
        ),
        (
            {"name": "Rex", "type": "cat", "owner": {}},
            '[object has missing required properties (["id"])]',
        ),
        (
            ["a list"],
            "[instance type (array) does not match any allowed primitive type "
            '(allowed: ["object"])]',
        ),
    ],
)
def test_an_invalid_body_is_refused_with_the_validators_words(
    server: Server, api: str, http: httpx.Client, body: object, details: str
) -> None:
    response = post(http, server.url(api, "test", "/all"), body, params=PARAMS, headers=HEADERS)
    assert response.status_code == 400
    assert response.headers["x-amzn-errortype"] == "BadRequestException"
    # The API's BAD_REQUEST_BODY response shows $context.error.validationErrorString.
    assert response.text == details


def test_a_body_that_is_not_json_is_invalid(server: Server, api: str, http: httpx.Client) -> None:
    response = post(
        http, server.url(api, "test", "/all"), b"{not json", params=PARAMS, headers=HEADERS
    )
    assert response.status_code == 400
    assert response.text.startswith("[Invalid JSON: ")


def test_parameters_are_checked_before_the_body(
    server: Server, api: str, http: httpx.Client
) -> None:
    response = post(http, server.url(api, "test", "/all"), b"{not json")
    assert response.json() == {"message": PARAMETERS_MISSING.format("x-header-param, q1")}


def test_each_validator_checks_only_what_it_names(
    server: Server, api: str, http: httpx.Client
) -> None:
    body_only = post(http, server.url(api, "test", "/body-only"), GOOD)
    assert body_only.status_code == 200  # parameters missing, not checked
    assert post(http, server.url(api, "test", "/body-only"), {}).status_code == 400
    params_only = post(
        http, server.url(api, "test", "/params-only"), {}, params=PARAMS, headers=HEADERS
    )
    assert params_only.status_code == 200  # body invalid, not checked
    assert post(http, server.url(api, "test", "/params-only"), GOOD).status_code == 400


def test_a_media_type_without_a_model_is_not_checked(
    server: Server, api: str, http: httpx.Client
) -> None:
    response = http.post(
        server.url(api, "test", "/all"),
        content=b"anything",
        params=PARAMS,
        headers={**HEADERS, "Content-Type": "text/plain"},
    )
    assert response.status_code == 200


def test_the_default_model_serves_any_media_type_and_an_empty_body_is_an_empty_object(
    server: Server, api: str, http: httpx.Client
) -> None:
    url = server.url(api, "test", "/default-model")
    typed = http.post(url, content=b'{"id": 1}', headers={"Content-Type": "text/plain"})
    assert typed.status_code == 200
    empty = http.post(url, content=b"", headers={"Content-Type": "application/json"})
    assert (empty.status_code, empty.text) == (
        400,
        '[object has missing required properties (["id"])]',
    )


OPENAPI: dict[str, Any] = {
    "openapi": "3.0.1",
    "info": {"title": "validated import", "version": "1"},
    "x-amazon-apigateway-request-validators": {
        "all": {"validateRequestBody": True, "validateRequestParameters": True},
        "none": {"validateRequestBody": False, "validateRequestParameters": False},
    },
    "x-amazon-apigateway-request-validator": "all",
    "paths": {
        "/orders": {
            "post": {
                "parameters": [
                    {
                        "name": "tenant",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {"name": "page", "in": "query", "required": True, "schema": {"type": "string"}},
                ],
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Order"}}
                    }
                },
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": '{"statusCode": 200}'},
                    "responses": {
                        "default": {
                            "statusCode": "200",
                            "responseTemplates": {"application/json": '{"saved":1}'},
                        }
                    },
                },
            }
        },
        "/free": {
            "post": {
                "x-amazon-apigateway-request-validator": "none",
                "parameters": [
                    {"name": "page", "in": "query", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": '{"statusCode": 200}'},
                    "responses": {"default": {"statusCode": "200"}},
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Order": {
                "type": "object",
                "required": ["item", "line"],
                "properties": {
                    "item": {"type": "string"},
                    "line": {"$ref": "#/components/schemas/Line"},
                },
            },
            "Line": {"type": "object", "properties": {"qty": {"type": "integer", "minimum": 1}}},
        }
    },
}


def test_validators_from_an_openapi_import(apigw: Any, server: Server, http: httpx.Client) -> None:
    api_id = apigw.import_rest_api(body=json.dumps(OPENAPI).encode())["id"]
    deploy(apigw, api_id)
    url = server.url(api_id, "test", "/orders")
    missing = http.post(url, json={"item": "x", "line": {"qty": 1}})
    assert missing.json() == {"message": PARAMETERS_MISSING.format("tenant, page")}
    ok = http.post(
        url, json={"item": "x", "line": {"qty": 1}}, params={"page": "1"}, headers={"tenant": "t"}
    )
    assert (ok.status_code, ok.json()) == (200, {"saved": 1})
    bad = http.post(
        url, json={"item": "x", "line": {"qty": 0}}, params={"page": "1"}, headers={"tenant": "t"}
    )
    assert (bad.status_code, bad.json()) == (400, {"message": "Invalid request body"})
    # The operation's own validator wins over the document's default.
    free = server.url(api_id, "test", "/free")
    assert http.post(free, json={}).status_code == 200

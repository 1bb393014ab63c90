"""REST authorizers in OpenAPI documents end to end (spec §15.3): ImportRestApi turns
`x-amazon-apigateway-authorizer` security schemes into authorizers and secures the methods
that name them; GetExport writes them back; `tollway serve FILE` enforces them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.e2e.conftest import deploy, lambda_uri, start_server

AUTHORIZER_CODE = """\
def handler(event, context):
    token = event.get("authorizationToken") or ""
    if token == "unauthorized":
        raise Exception("Unauthorized")
    return {
        "principalId": "me",
        "policyDocument": {"Version": "2012-10-17", "Statement": [{
            "Action": "execute-api:Invoke",
            "Effect": "Deny" if token == "deny" else "Allow",
            "Resource": event["methodArn"]}]},
        "context": {"who": token},
    }
"""


def document(title: str, function: str) -> dict[str, Any]:
    mock = {
        "type": "mock",
        "requestTemplates": {"application/json": '{"statusCode": 200}'},
        "responses": {
            "default": {
                "statusCode": "200",
                "responseTemplates": {"application/json": '{"who":"$context.authorizer.who"}'},
            }
        },
    }
    return {
        "openapi": "3.0.1",
        "info": {"title": title, "version": "1"},
        "paths": {
            "/secured": {
                "get": {
                    "security": [{"TokenAuth": []}],
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": mock,
                }
            },
            "/query": {
                "get": {
                    "security": [{"QueryAuth": []}],
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": mock,
                }
            },
            "/open": {
                "get": {
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": mock,
                }
            },
        },
        "components": {
            "securitySchemes": {
                "TokenAuth": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "x-amazon-apigateway-authtype": "custom",
                    "x-amazon-apigateway-authorizer": {
                        "type": "token",
                        "authorizerUri": lambda_uri(function),
                        "authorizerResultTtlInSeconds": 0,
                    },
                },
                "QueryAuth": {
                    "type": "apiKey",
                    "name": "Unused",
                    "in": "header",
                    "x-amazon-apigateway-authtype": "custom",
                    "x-amazon-apigateway-authorizer": {
                        "type": "request",
                        "authorizerUri": lambda_uri(function),
                        "identitySource": "method.request.querystring.token",
                        "authorizerResultTtlInSeconds": 60,
                    },
                },
            }
        },
    }


def test_import_export_round_trip(apigw: Any) -> None:
    source = document(f"openapi-auth-{uuid.uuid4().hex[:8]}", "auth-fn")
    api = apigw.import_rest_api(body=json.dumps(source).encode())
    assert api.get("warnings") is None
    authorizers = {a["name"]: a for a in apigw.get_authorizers(restApiId=api["id"])["items"]}
    assert {k: v for k, v in authorizers["TokenAuth"].items() if k != "id"} == {
        "name": "TokenAuth",
        "type": "TOKEN",
        "authType": "custom",
        "authorizerUri": lambda_uri("auth-fn"),
        "identitySource": "method.request.header.Authorization",
        "authorizerResultTtlInSeconds": 0,
    }
    assert authorizers["QueryAuth"]["identitySource"] == "method.request.querystring.token"
    resources = {r["path"]: r["id"] for r in apigw.get_resources(restApiId=api["id"])["items"]}
    method = apigw.get_method(
        restApiId=api["id"], resourceId=resources["/secured"], httpMethod="GET"
    )
    assert (method["authorizationType"], method["authorizerId"]) == (
        "CUSTOM",
        authorizers["TokenAuth"]["id"],
    )
    deploy(apigw, api["id"], "v1")
    exported = json.loads(
        apigw.get_export(
            restApiId=api["id"],
            stageName="v1",
            exportType="oas30",
            parameters={"extensions": "authorizers"},
            accepts="application/json",
        )["body"].read()
    )
    schemes = exported["components"]["securitySchemes"]
    expected = source["components"]["securitySchemes"]
    assert schemes == expected
    assert exported["paths"]["/secured"]["get"]["security"] == [{"TokenAuth": []}]
    assert "security" not in exported["paths"]["/open"]["get"]
    again = apigw.import_rest_api(body=json.dumps(exported).encode())
    names = {a["name"]: a["type"] for a in apigw.get_authorizers(restApiId=again["id"])["items"]}
    assert names == {"TokenAuth": "TOKEN", "QueryAuth": "REQUEST"}


def test_serve_enforces_imported_authorizers(tmp_path: Path) -> None:
    code = tmp_path / "auth"
    code.mkdir()
    (code / "app.py").write_text(AUTHORIZER_CODE)
    spec = document("served-authorizers", "served-auth")
    spec["x-tollway-functions"] = {"served-auth": {"handler": "app.handler", "code": "auth"}}
    path = tmp_path / "api.yaml"
    path.write_text(yaml.safe_dump(spec))
    server = start_server(tmp_path / "data", path)
    try:
        apigw = server.client("apigateway")
        [api] = apigw.get_rest_apis()["items"]
        url = server.url(api["id"], "dev", "/secured")
        with httpx.Client(timeout=30) as http:
            assert http.get(server.url(api["id"], "dev", "/open")).status_code == 200
            missing = http.get(url)
            assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"})
            allowed = http.get(url, headers={"Authorization": "alice"})
            assert (allowed.status_code, allowed.json()) == (200, {"who": "alice"})
            denied = http.get(url, headers={"Authorization": "deny"})
            assert (denied.status_code, denied.json()) == (
                403,
                {"Message": "User is not authorized to access this resource with an explicit deny"},
            )
            unauthorized = http.get(url, headers={"Authorization": "unauthorized"})
            assert unauthorized.status_code == 401
            by_query = http.get(server.url(api["id"], "dev", "/query"), params={"token": "bob"})
            assert (by_query.status_code, by_query.json()) == (200, {"who": ""})
            no_query = http.get(server.url(api["id"], "dev", "/query"))
            assert no_query.status_code == 401
    finally:
        server.stop()
    assert "refused with 500" not in server.log()  # no authorizer that cannot run

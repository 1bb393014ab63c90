"""The `apigateway` control plane through boto3, on the happy paths: what each operation
stores and the shapes it answers with (spec §16.0 conventions, §16.1 operations, §16.4 shapes,
§7.1 deployments and stages, §10.2 gateway responses). The refusals live in
test_control_errors.py."""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import (
    REGION,
    add_path,
    deploy,
    lambda_uri,
    mock_method,
    new_api,
    shape,
    status_of,
)

DEFAULT_TEMPLATE = {"application/json": '{"message":$context.error.messageString}'}

# AWS's default status of every gateway response type; DEFAULT_4XX/5XX have none (§10.1).
DEFAULT_STATUSES: dict[str, str | None] = {
    "ACCESS_DENIED": "403",
    "API_CONFIGURATION_ERROR": "500",
    "AUTHORIZER_CONFIGURATION_ERROR": "500",
    "AUTHORIZER_FAILURE": "500",
    "BAD_REQUEST_BODY": "400",
    "BAD_REQUEST_PARAMETERS": "400",
    "DEFAULT_4XX": None,
    "DEFAULT_5XX": None,
    "EXPIRED_TOKEN": "403",
    "INTEGRATION_FAILURE": "504",
    "INTEGRATION_TIMEOUT": "504",
    "INVALID_API_KEY": "403",
    "INVALID_SIGNATURE": "403",
    "MISSING_AUTHENTICATION_TOKEN": "403",
    "QUOTA_EXCEEDED": "429",
    "REQUEST_TOO_LARGE": "413",
    "RESOURCE_NOT_FOUND": "404",
    "THROTTLED": "429",
    "UNAUTHORIZED": "401",
    "UNSUPPORTED_MEDIA_TYPE": "415",
    "WAF_FILTERED": "403",
}

# What GetStage shows for a method setting nobody changed (AWS's defaults).
METHOD_SETTING_DEFAULTS: dict[str, Any] = {
    "metricsEnabled": False,
    "loggingLevel": "OFF",
    "dataTraceEnabled": False,
    "throttlingBurstLimit": 5000,
    "throttlingRateLimit": 10000.0,
    "cachingEnabled": False,
    "cacheTtlInSeconds": 300,
    "cacheDataEncrypted": False,
    "requireAuthorizationForCacheControl": True,
    "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER",
}


def unique(prefix: str = "e2e") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def all_rest_api_ids(apigw: Any) -> list[str]:
    pages = apigw.get_paginator("get_rest_apis").paginate(PaginationConfig={"PageSize": 100})
    return [item["id"] for page in pages for item in page["items"]]


def api_arn(api_id: str) -> str:
    return f"arn:aws:apigateway:{REGION}::/restapis/{api_id}"


# --- RestApi --------------------------------------------------------------------------------


def test_create_rest_api_with_every_option_returns_them(apigw: Any) -> None:
    name = unique()
    response = apigw.create_rest_api(
        name=name,
        description="pets API",
        version="1.2",
        binaryMediaTypes=["image/png", "application/octet-stream"],
        minimumCompressionSize=1024,
        apiKeySource="AUTHORIZER",
        endpointConfiguration={"types": ["REGIONAL"]},
        policy='{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*",'
        '"Action":"execute-api:Invoke","Resource":"*"}]}',
        tags={"team": "pets", "env": "dev"},
        disableExecuteApiEndpoint=True,
    )
    assert status_of(response) == 201
    api = shape(response)
    assert re.fullmatch(r"[a-z0-9]{10}", api["id"])
    assert isinstance(api.pop("createdDate"), datetime.datetime)
    root = api.pop("rootResourceId")
    assert re.fullmatch(r"[a-z0-9]+", root)
    assert api == {
        "id": api["id"],
        "name": name,
        "description": "pets API",
        "version": "1.2",
        "binaryMediaTypes": ["image/png", "application/octet-stream"],
        "minimumCompressionSize": 1024,
        "apiKeySource": "AUTHORIZER",
        "endpointConfiguration": {"types": ["REGIONAL"], "ipAddressType": "ipv4"},
        # as AWS returns it: escaped (authorization-resource-policies.md)
        "policy": '{\\"Version\\":\\"2012-10-17\\",\\"Statement\\":[{\\"Effect\\":\\"Deny\\",'
        '\\"Principal\\":\\"*\\",\\"Action\\":\\"execute-api:Invoke\\",\\"Resource\\":\\"*\\"}]}',
        "tags": {"team": "pets", "env": "dev"},
        "disableExecuteApiEndpoint": True,
    }
    fetched = shape(apigw.get_rest_api(restApiId=api["id"]))
    assert fetched["rootResourceId"] == root
    assert fetched["tags"] == {"team": "pets", "env": "dev"}


def test_create_rest_api_fills_aws_defaults(apigw: Any) -> None:
    name = unique()
    api = shape(apigw.create_rest_api(name=name))
    created = api.pop("createdDate")
    assert isinstance(created, datetime.datetime)
    assert abs(created.timestamp() - datetime.datetime.now().timestamp()) < 3600
    assert api == {
        "id": api["id"],
        "name": name,
        "apiKeySource": "HEADER",
        "endpointConfiguration": {"types": ["EDGE"], "ipAddressType": "ipv4"},
        "disableExecuteApiEndpoint": False,
        "rootResourceId": api["rootResourceId"],
    }
    resources = apigw.get_resources(restApiId=api["id"])["items"]
    assert resources == [{"id": api["rootResourceId"], "path": "/"}]


def test_new_api_has_the_default_models_empty_and_error(apigw: Any) -> None:
    api_id, _ = new_api(apigw, unique())
    models = {m["name"]: m for m in apigw.get_models(restApiId=api_id)["items"]}
    assert set(models) == {"Empty", "Error"}
    empty, error = models["Empty"], models["Error"]
    assert empty["contentType"] == error["contentType"] == "application/json"
    assert empty["description"] == "This is a default empty schema model"
    assert error["description"] == "This is a default error schema model"
    assert '"title" : "Empty Schema"' in empty["schema"]
    assert '"title" : "Error Schema"' in error["schema"]
    assert '"message" : { "type" : "string" }' in error["schema"]


def test_get_rest_apis_pages_with_limit_and_position(apigw: Any) -> None:
    mine = {apigw.create_rest_api(name=unique("page"))["id"] for _ in range(3)}
    seen: list[str] = []
    kwargs: dict[str, Any] = {"limit": 2}
    while True:
        page = apigw.get_rest_apis(**kwargs)
        assert len(page["items"]) <= 2
        seen.extend(item["id"] for item in page["items"])
        if "position" not in page:
            break
        assert len(page["items"]) == 2
        kwargs["position"] = page["position"]
    assert len(seen) == len(set(seen))
    assert mine <= set(seen)
    # boto3's paginator follows `position` the same way.
    assert all_rest_api_ids(apigw) == seen


def test_clone_from_copies_resources_methods_and_models(apigw: Any) -> None:
    source_id, root = new_api(apigw, unique("source"))
    pets = add_path(apigw, source_id, root, "/pets/{id}")
    mock_method(apigw, source_id, pets, "GET", '{"pet": 1}')
    apigw.create_model(
        restApiId=source_id,
        name="Pet",
        contentType="application/json",
        schema='{"type": "object", "properties": {"n": {"type": "string"}}}',
    )
    clone = shape(apigw.create_rest_api(name=unique("clone"), cloneFrom=source_id))
    assert clone["id"] != source_id
    assert clone["rootResourceId"] != root
    resources = {
        r["path"]: r for r in apigw.get_resources(restApiId=clone["id"], embed=["methods"])["items"]
    }
    assert set(resources) == {"/", "/pets", "/pets/{id}"}
    assert resources["/"]["id"] == clone["rootResourceId"]
    cloned = resources["/pets/{id}"]
    assert cloned["id"] != pets
    assert cloned["parentId"] == resources["/pets"]["id"]
    integration = cloned["resourceMethods"]["GET"]["methodIntegration"]
    assert integration["type"] == "MOCK"
    assert integration["cacheNamespace"] == cloned["id"]
    assert integration["integrationResponses"]["200"]["responseTemplates"] == {
        "application/json": '{"pet": 1}'
    }
    models = {m["name"] for m in apigw.get_models(restApiId=clone["id"])["items"]}
    assert models == {"Empty", "Error", "Pet"}
    # The source is untouched.
    assert add_path(apigw, source_id, root, "/pets/{id}") == pets


def test_update_rest_api_with_patch_operations(apigw: Any) -> None:
    api_id, _ = new_api(apigw, unique())
    apigw.update_rest_api(
        restApiId=api_id,
        patchOperations=[
            {"op": "add", "path": "/binaryMediaTypes/image~1png"},
            {"op": "add", "path": "/binaryMediaTypes/application~1pdf"},
        ],
    )
    response = apigw.update_rest_api(
        restApiId=api_id,
        patchOperations=[
            {"op": "replace", "path": "/name", "value": "renamed"},
            {"op": "replace", "path": "/description", "value": "new description"},
            {"op": "remove", "path": "/binaryMediaTypes/image~1png"},
            {"op": "replace", "path": "/minimumCompressionSize", "value": "2048"},
            {"op": "replace", "path": "/endpointConfiguration/types/EDGE", "value": "REGIONAL"},
            {"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "true"},
            {"op": "replace", "path": "/apiKeySource", "value": "AUTHORIZER"},
        ],
    )
    assert status_of(response) == 200
    api = shape(response)
    assert api["name"] == "renamed"
    assert api["description"] == "new description"
    assert api["binaryMediaTypes"] == ["application/pdf"]
    assert api["minimumCompressionSize"] == 2048
    assert api["endpointConfiguration"] == {"types": ["REGIONAL"], "ipAddressType": "ipv4"}
    assert api["disableExecuteApiEndpoint"] is True
    assert api["apiKeySource"] == "AUTHORIZER"
    assert shape(apigw.get_rest_api(restApiId=api_id)) == api


def test_update_rest_api_removes_the_minimum_compression_size(apigw: Any) -> None:
    api_id = apigw.create_rest_api(name=unique(), minimumCompressionSize=10)["id"]
    api = apigw.update_rest_api(
        restApiId=api_id,
        patchOperations=[{"op": "replace", "path": "/minimumCompressionSize", "value": ""}],
    )
    assert "minimumCompressionSize" not in api


def test_delete_rest_api_then_it_is_not_found(apigw: Any) -> None:
    api_id, _ = new_api(apigw, unique())
    response = apigw.delete_rest_api(restApiId=api_id)
    assert status_of(response) == 202
    with pytest.raises(apigw.exceptions.NotFoundException) as info:
        apigw.get_rest_api(restApiId=api_id)
    assert info.value.response["Error"]["Message"] == (
        f"Invalid API identifier specified 000000000000:{api_id}"
    )
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert api_id not in all_rest_api_ids(apigw)


# --- resources ------------------------------------------------------------------------------


def test_create_resource_returns_its_path(apigw: Any) -> None:
    api_id, root = new_api(apigw, unique())
    response = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
    assert status_of(response) == 201
    pets = shape(response)
    assert re.fullmatch(r"[a-z0-9]{6}", pets["id"])
    assert pets == {"id": pets["id"], "parentId": root, "pathPart": "pets", "path": "/pets"}
    child = shape(apigw.create_resource(restApiId=api_id, parentId=pets["id"], pathPart="{id}"))
    assert child == {
        "id": child["id"],
        "parentId": pets["id"],
        "pathPart": "{id}",
        "path": "/pets/{id}",
    }
    greedy = shape(apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}"))
    assert greedy["path"] == "/{proxy+}"
    odd = shape(apigw.create_resource(restApiId=api_id, parentId=root, pathPart="v1.0_a-b:c,d"))
    assert odd["path"] == "/v1.0_a-b:c,d"
    assert shape(apigw.get_resource(restApiId=api_id, resourceId=child["id"])) == child


def test_get_resources_summarises_methods_unless_embed_methods(apigw: Any) -> None:
    api_id, root = new_api(apigw, unique())
    pets = add_path(apigw, api_id, root, "/pets")
    mock_method(apigw, api_id, pets, "GET", "{}")
    apigw.put_method(restApiId=api_id, resourceId=pets, httpMethod="POST", authorizationType="NONE")
    plain = {r["path"]: r for r in apigw.get_resources(restApiId=api_id)["items"]}
    assert plain["/pets"]["resourceMethods"] == {"GET": {}, "POST": {}}
    assert "resourceMethods" not in plain["/"]
    embedded = {
        r["path"]: r for r in apigw.get_resources(restApiId=api_id, embed=["methods"])["items"]
    }
    get = embedded["/pets"]["resourceMethods"]["GET"]
    assert get["httpMethod"] == "GET"
    assert get["authorizationType"] == "NONE"
    assert get["methodIntegration"]["type"] == "MOCK"
    assert get["methodResponses"] == {"200": {"statusCode": "200"}}
    assert embedded["/pets"]["resourceMethods"]["POST"] == {
        "httpMethod": "POST",
        "authorizationType": "NONE",
        "apiKeyRequired": False,
    }
    one = apigw.get_resource(restApiId=api_id, resourceId=pets, embed=["methods"])
    assert one["resourceMethods"]["GET"]["methodIntegration"]["type"] == "MOCK"
    assert apigw.get_resource(restApiId=api_id, resourceId=pets)["resourceMethods"] == {
        "GET": {},
        "POST": {},
    }


def test_get_resources_pages(apigw: Any) -> None:
    api_id, root = new_api(apigw, unique())
    for part in ("a", "b", "c", "d"):
        add_path(apigw, api_id, root, f"/{part}")
    first = apigw.get_resources(restApiId=api_id, limit=3)
    assert len(first["items"]) == 3
    second = apigw.get_resources(restApiId=api_id, limit=3, position=first["position"])
    assert len(second["items"]) == 2
    assert "position" not in second
    paths = {r["path"] for r in first["items"] + second["items"]}
    assert paths == {"/", "/a", "/b", "/c", "/d"}


def test_update_resource_path_part_renames_the_subtree(apigw: Any) -> None:
    api_id, root = new_api(apigw, unique())
    pets = add_path(apigw, api_id, root, "/pets")
    child = add_path(apigw, api_id, root, "/pets/{id}")
    response = apigw.update_resource(
        restApiId=api_id,
        resourceId=pets,
        patchOperations=[{"op": "replace", "path": "/pathPart", "value": "animals"}],
    )
    assert status_of(response) == 200
    assert shape(response) == {
        "id": pets,
        "parentId": root,
        "pathPart": "animals",
        "path": "/animals",
    }
    assert apigw.get_resource(restApiId=api_id, resourceId=child)["path"] == "/animals/{id}"


def test_update_resource_parent_id_moves_it(apigw: Any) -> None:
    api_id, root = new_api(apigw, unique())
    v1 = add_path(apigw, api_id, root, "/v1")
    pets = add_path(apigw, api_id, root, "/pets")
    child = add_path(apigw, api_id, root, "/pets/{id}")
    moved = apigw.update_resource(
        restApiId=api_id,
        resourceId=pets,
        patchOperations=[{"op": "replace", "path": "/parentId", "value": v1}],
    )
    assert moved["parentId"] == v1
    assert moved["path"] == "/v1/pets"
    assert apigw.get_resource(restApiId=api_id, resourceId=child)["path"] == "/v1/pets/{id}"


def test_delete_resource_deletes_its_subtree(apigw: Any) -> None:
    api_id, root = new_api(apigw, unique())
    pets = add_path(apigw, api_id, root, "/pets")
    child = add_path(apigw, api_id, root, "/pets/{id}/toys")
    add_path(apigw, api_id, root, "/owners")
    response = apigw.delete_resource(restApiId=api_id, resourceId=pets)
    assert status_of(response) == 202
    paths = {r["path"] for r in apigw.get_resources(restApiId=api_id)["items"]}
    assert paths == {"/", "/owners"}
    with pytest.raises(apigw.exceptions.NotFoundException) as info:
        apigw.get_resource(restApiId=api_id, resourceId=child)
    assert info.value.response["Error"]["Message"] == "Invalid Resource identifier specified"


# --- methods and method responses -----------------------------------------------------------


def test_put_method_returns_the_method(apigw: Any) -> None:
    api_id, root = new_api(apigw, unique())
    response = apigw.put_method(
        restApiId=api_id,
        resourceId=root,
        httpMethod="GET",
        authorizationType="NONE",
        apiKeyRequired=True,
        operationName="ListPets",
        requestParameters={
            "method.request.querystring.page": False,
            "method.request.header.X-Trace": True,
        },
        requestModels={"application/json": "Empty"},
    )
    assert status_of(response) == 201
    assert shape(response) == {
        "httpMethod": "GET",
        "authorizationType": "NONE",
        "apiKeyRequired": True,
        "operationName": "ListPets",
        "requestParameters": {
            "method.request.querystring.page": False,
            "method.request.header.X-Trace": True,
        },
        "requestModels": {"application/json": "Empty"},
    }


def test_get_method_includes_responses_and_integration(apigw: Any) -> None:
    api_id, root = new_api(apigw, unique())
    mock_method(apigw, api_id, root, "POST", '{"ok": true}', status="201")
    method = shape(apigw.get_method(restApiId=api_id, resourceId=root, httpMethod="POST"))
    assert method["httpMethod"] == "POST"
    assert method["authorizationType"] == "NONE"
    assert method["apiKeyRequired"] is False
    assert method["methodResponses"] == {"201": {"statusCode": "201"}}
    integration = method["methodIntegration"]
    assert integration["type"] == "MOCK"
    assert integration["requestTemplates"] == {"application/json": '{"statusCode": 201}'}
    assert integration["integrationResponses"] == {
        "201": {"statusCode": "201", "responseTemplates": {"application/json": '{"ok": true}'}}
    }


def test_update_method_with_patch_operations(apigw: Any) -> None:
    api_id, root = new_api(apigw, unique())
    apigw.put_method(
        restApiId=api_id,
        resourceId=root,
        httpMethod="GET",
        authorizationType="NONE",
        requestParameters={"method.request.querystring.old": False},
    )
    validator = apigw.create_request_validator(
        restApiId=api_id, name="all", validateRequestBody=True
    )["id"]
    response = apigw.update_method(
        restApiId=api_id,
        resourceId=root,
        httpMethod="GET",
        patchOperations=[
            {"op": "replace", "path": "/apiKeyRequired", "value": "true"},
            {
                "op": "add",
                "path": "/requestParameters/method.request.querystring.q",
                "value": "true",
            },
            {"op": "remove", "path": "/requestParameters/method.request.querystring.old"},
            {"op": "replace", "path": "/requestValidatorId", "value": validator},
            {"op": "add", "path": "/requestModels/application~1json", "value": "Error"},
            {"op": "replace", "path": "/operationName", "value": "Search"},
        ],
    )
    assert status_of(response) == 200
    assert shape(response) == {
        "httpMethod": "GET",
        "authorizationType": "NONE",
        "apiKeyRequired": True,
        "requestParameters": {"method.request.querystring.q": True},
        "requestValidatorId": validator,
        "requestModels": {"application/json": "Error"},
        "operationName": "Search",
    }
    assert shape(apigw.get_method(restApiId=api_id, resourceId=root, httpMethod="GET")) == shape(
        response
    )


def test_delete_method(apigw: Any) -> None:
    api_id, root = new_api(apigw, unique())
    mock_method(apigw, api_id, root, "GET", "{}")
    response = apigw.delete_method(restApiId=api_id, resourceId=root, httpMethod="GET")
    assert status_of(response) == 204
    with pytest.raises(apigw.exceptions.NotFoundException) as info:
        apigw.get_method(restApiId=api_id, resourceId=root, httpMethod="GET")
    assert info.value.response["Error"]["Message"] == "Invalid Method identifier specified"
    assert "resourceMethods" not in apigw.get_resource(restApiId=api_id, resourceId=root)


def test_method_response_put_get_update_delete(apigw: Any) -> None:
    api_id, root = new_api(apigw, unique())
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    where = {"restApiId": api_id, "resourceId": root, "httpMethod": "GET"}
    put = apigw.put_method_response(
        **where,
        statusCode="200",
        responseParameters={"method.response.header.X-Id": True},
        responseModels={"application/json": "Empty"},
    )
    assert status_of(put) == 201
    assert shape(put) == {
        "statusCode": "200",
        "responseParameters": {"method.response.header.X-Id": True},
        "responseModels": {"application/json": "Empty"},
    }
    assert shape(apigw.get_method_response(**where, statusCode="200")) == shape(put)
    updated = apigw.update_method_response(
        **where,
        statusCode="200",
        patchOperations=[
            {
                "op": "add",
                "path": "/responseParameters/method.response.header.X-New",
                "value": "false",
            },
            {"op": "remove", "path": "/responseParameters/method.response.header.X-Id"},
            {"op": "replace", "path": "/responseModels/application~1json", "value": "Error"},
        ],
    )
    assert status_of(updated) == 201  # sic: UpdateMethodResponse answers 201 (§16.0)
    assert shape(updated) == {
        "statusCode": "200",
        "responseParameters": {"method.response.header.X-New": False},
        "responseModels": {"application/json": "Error"},
    }
    deleted = apigw.delete_method_response(**where, statusCode="200")
    assert status_of(deleted) == 204
    with pytest.raises(apigw.exceptions.NotFoundException) as info:
        apigw.get_method_response(**where, statusCode="200")
    assert info.value.response["Error"]["Message"] == "Invalid Response status code specified"


# --- integrations ---------------------------------------------------------------------------


def _method(apigw: Any, api_id: str, resource_id: str) -> str:
    """A fresh method on the resource (every test gets its own verb's worth of state)."""
    verbs = ("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY")
    existing = apigw.get_resource(restApiId=api_id, resourceId=resource_id).get(
        "resourceMethods", {}
    )
    verb = next(v for v in verbs if v not in existing)
    apigw.put_method(
        restApiId=api_id, resourceId=resource_id, httpMethod=verb, authorizationType="NONE"
    )
    return verb


@pytest.fixture
def method_target(apigw: Any) -> dict[str, str]:
    """restApiId/resourceId/httpMethod of a new method on a new resource."""
    api_id, root = new_api(apigw, unique("method"))
    resource = add_path(apigw, api_id, root, "/things")
    verb = _method(apigw, api_id, resource)
    return {"restApiId": api_id, "resourceId": resource, "httpMethod": verb}


def test_put_mock_integration_fills_aws_defaults(apigw: Any, method_target: dict[str, str]) -> None:
    response = apigw.put_integration(
        **method_target, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'}
    )
    assert status_of(response) == 201
    assert shape(response) == {
        "type": "MOCK",
        "requestTemplates": {"application/json": '{"statusCode": 200}'},
        "passthroughBehavior": "WHEN_NO_MATCH",
        "timeoutInMillis": 29000,
        "cacheNamespace": method_target["resourceId"],
        "cacheKeyParameters": [],
    }


@pytest.mark.parametrize(
    ("kind", "verb", "uri"),
    [
        ("HTTP", "GET", "https://example.com/pets"),
        ("HTTP_PROXY", "ANY", "http://example.com:8080/{proxy}"),
        ("AWS_PROXY", "POST", lambda_uri("my-function")),
        ("AWS", "POST", "arn:aws:apigateway:us-east-1:sqs:path/000000000000/queue"),
    ],
)
def test_put_integration_fills_aws_defaults(
    apigw: Any, method_target: dict[str, str], kind: str, verb: str, uri: str
) -> None:
    response = apigw.put_integration(
        **method_target, type=kind, integrationHttpMethod=verb, uri=uri
    )
    assert status_of(response) == 201
    assert shape(response) == {
        "type": kind,
        "httpMethod": verb,
        "uri": uri,
        "connectionType": "INTERNET",
        "passthroughBehavior": "WHEN_NO_MATCH",
        "timeoutInMillis": 29000,
        "cacheNamespace": method_target["resourceId"],
        "cacheKeyParameters": [],
    }
    assert shape(apigw.get_integration(**method_target)) == shape(response)


def test_put_integration_keeps_the_options_given(apigw: Any, method_target: dict[str, str]) -> None:
    apigw.update_method(  # a mapped method parameter must be declared (see test_control_errors)
        **method_target,
        patchOperations=[
            {"op": "add", "path": "/requestParameters/method.request.path.id", "value": "true"}
        ],
    )
    integration = shape(
        apigw.put_integration(
            **method_target,
            type="HTTP",
            integrationHttpMethod="POST",
            uri="http://${stageVariables.host}/items/{id}",
            requestParameters={"integration.request.path.id": "method.request.path.id"},
            requestTemplates={"application/json": "$input.body"},
            passthroughBehavior="NEVER",
            cacheNamespace="ns",
            cacheKeyParameters=["method.request.path.id"],
            contentHandling="CONVERT_TO_TEXT",
            timeoutInMillis=50,
            tlsConfig={"insecureSkipVerification": True},
        )
    )
    assert integration == {
        "type": "HTTP",
        "httpMethod": "POST",
        "uri": "http://${stageVariables.host}/items/{id}",
        "connectionType": "INTERNET",
        "requestParameters": {"integration.request.path.id": "method.request.path.id"},
        "requestTemplates": {"application/json": "$input.body"},
        "passthroughBehavior": "NEVER",
        "contentHandling": "CONVERT_TO_TEXT",
        "timeoutInMillis": 50,
        "cacheNamespace": "ns",
        "cacheKeyParameters": ["method.request.path.id"],
        "tlsConfig": {"insecureSkipVerification": True},
    }


def test_update_integration_with_patch_operations(
    apigw: Any, method_target: dict[str, str]
) -> None:
    apigw.put_integration(
        **method_target, type="HTTP", integrationHttpMethod="GET", uri="http://example.com/old"
    )
    response = apigw.update_integration(
        **method_target,
        patchOperations=[
            {"op": "replace", "path": "/uri", "value": "https://example.com/new"},
            {"op": "replace", "path": "/timeoutInMillis", "value": "1000"},
            {"op": "add", "path": "/requestTemplates/application~1json", "value": '{"a": 1}'},
            {
                "op": "add",
                "path": "/requestParameters/integration.request.header.X-A",
                "value": "'static'",
            },
        ],
    )
    assert status_of(response) == 200
    integration = shape(response)
    assert integration["uri"] == "https://example.com/new"
    assert integration["timeoutInMillis"] == 1000
    assert integration["requestTemplates"] == {"application/json": '{"a": 1}'}
    assert integration["requestParameters"] == {"integration.request.header.X-A": "'static'"}
    assert shape(apigw.get_integration(**method_target)) == integration


def test_delete_integration(apigw: Any, method_target: dict[str, str]) -> None:
    apigw.put_integration(**method_target, type="MOCK")
    response = apigw.delete_integration(**method_target)
    assert status_of(response) == 204
    with pytest.raises(apigw.exceptions.NotFoundException) as info:
        apigw.get_integration(**method_target)
    assert info.value.response["Error"]["Message"] == "Invalid Integration identifier specified"
    assert "methodIntegration" not in apigw.get_method(**method_target)


def test_integration_response_put_get_update_delete(
    apigw: Any, method_target: dict[str, str]
) -> None:
    apigw.put_integration(
        **method_target, type="HTTP", integrationHttpMethod="GET", uri="http://example.com/"
    )
    apigw.put_method_response(
        **method_target,
        statusCode="400",
        responseParameters={"method.response.header.X-Err": False},
    )
    put = apigw.put_integration_response(
        **method_target,
        statusCode="400",
        selectionPattern=r"4\d{2}",
        responseParameters={"method.response.header.X-Err": "integration.response.header.X"},
        responseTemplates={"application/json": '{"error": true}'},
        contentHandling="CONVERT_TO_TEXT",
    )
    assert status_of(put) == 201
    assert shape(put) == {
        "statusCode": "400",
        "selectionPattern": r"4\d{2}",
        "responseParameters": {"method.response.header.X-Err": "integration.response.header.X"},
        "responseTemplates": {"application/json": '{"error": true}'},
        "contentHandling": "CONVERT_TO_TEXT",
    }
    assert shape(apigw.get_integration_response(**method_target, statusCode="400")) == shape(put)
    assert apigw.get_integration(**method_target)["integrationResponses"] == {"400": shape(put)}
    updated = apigw.update_integration_response(
        **method_target,
        statusCode="400",
        patchOperations=[
            {"op": "replace", "path": "/selectionPattern", "value": "400"},
            {"op": "replace", "path": "/responseTemplates/application~1json", "value": "{}"},
            {"op": "remove", "path": "/contentHandling"},
        ],
    )
    assert status_of(updated) == 200
    assert shape(updated) == {
        "statusCode": "400",
        "selectionPattern": "400",
        "responseParameters": {"method.response.header.X-Err": "integration.response.header.X"},
        "responseTemplates": {"application/json": "{}"},
    }
    deleted = apigw.delete_integration_response(**method_target, statusCode="400")
    assert status_of(deleted) == 204
    with pytest.raises(apigw.exceptions.NotFoundException) as info:
        apigw.get_integration_response(**method_target, statusCode="400")
    assert info.value.response["Error"]["Message"] == "Invalid Response status code specified"


def test_a_new_integration_keeps_the_integration_responses(
    apigw: Any, method_target: dict[str, str]
) -> None:
    apigw.put_integration(**method_target, type="MOCK")
    apigw.put_method_response(**method_target, statusCode="200")
    apigw.put_integration_response(**method_target, statusCode="200", selectionPattern="")
    replaced = apigw.put_integration(
        **method_target, type="HTTP_PROXY", integrationHttpMethod="ANY", uri="http://example.com"
    )
    assert replaced["integrationResponses"] == {
        "200": {"statusCode": "200", "selectionPattern": ""}
    }


# --- deployments and stages -----------------------------------------------------------------


@pytest.fixture
def deployable(apigw: Any) -> tuple[str, str]:
    """A new API with a MOCK `GET /` and `GET /pets`: (api id, /pets resource id)."""
    api_id, root = new_api(apigw, unique("deploy"))
    mock_method(apigw, api_id, root, "GET", "{}")
    pets = add_path(apigw, api_id, root, "/pets")
    mock_method(apigw, api_id, pets, "GET", "[]")
    return api_id, pets


def test_create_deployment_with_a_stage_name_creates_the_stage(
    apigw: Any, deployable: tuple[str, str]
) -> None:
    api_id, _ = deployable
    response = apigw.create_deployment(
        restApiId=api_id,
        stageName="dev",
        description="first",
        stageDescription="the dev stage",
        variables={"color": "blue", "host": "example.com:8080"},
    )
    assert status_of(response) == 201
    deployment = shape(response)
    assert re.fullmatch(r"[a-z0-9]{6}", deployment["id"])
    assert isinstance(deployment.pop("createdDate"), datetime.datetime)
    assert deployment == {"id": deployment["id"], "description": "first"}
    stage = shape(apigw.get_stage(restApiId=api_id, stageName="dev"))
    assert isinstance(stage.pop("createdDate"), datetime.datetime)
    assert isinstance(stage.pop("lastUpdatedDate"), datetime.datetime)
    assert stage == {
        "deploymentId": deployment["id"],
        "stageName": "dev",
        "description": "the dev stage",
        "cacheClusterEnabled": False,
        "cacheClusterStatus": "NOT_AVAILABLE",
        "methodSettings": {},
        "variables": {"color": "blue", "host": "example.com:8080"},
        "tracingEnabled": False,
    }


def test_deploying_to_an_existing_stage_repoints_it(
    apigw: Any, deployable: tuple[str, str]
) -> None:
    api_id, _ = deployable
    first = deploy(apigw, api_id, "dev", variables={"a": "1"})
    second = deploy(apigw, api_id, "dev", variables={"b": "2"})
    stage = apigw.get_stage(restApiId=api_id, stageName="dev")
    assert stage["deploymentId"] == second != first
    assert stage["variables"] == {"a": "1", "b": "2"}


def test_get_deployment_embeds_the_api_summary_on_request(
    apigw: Any, deployable: tuple[str, str]
) -> None:
    api_id, pets = deployable
    apigw.update_method(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="GET",
        patchOperations=[{"op": "replace", "path": "/apiKeyRequired", "value": "true"}],
    )
    deployment_id = apigw.create_deployment(restApiId=api_id, description="d")["id"]
    plain = shape(apigw.get_deployment(restApiId=api_id, deploymentId=deployment_id))
    assert "apiSummary" not in plain
    assert plain["description"] == "d"
    embedded = apigw.get_deployment(
        restApiId=api_id, deploymentId=deployment_id, embed=["apisummary"]
    )
    assert embedded["apiSummary"] == {
        "/": {"GET": {"authorizationType": "NONE", "apiKeyRequired": False}},
        "/pets": {"GET": {"authorizationType": "NONE", "apiKeyRequired": True}},
    }


def test_get_deployments_lists_them_and_update_changes_the_description(
    apigw: Any, deployable: tuple[str, str]
) -> None:
    api_id, _ = deployable
    first = apigw.create_deployment(restApiId=api_id, description="one")["id"]
    second = apigw.create_deployment(restApiId=api_id, description="two")["id"]
    listed = {d["id"]: d for d in apigw.get_deployments(restApiId=api_id)["items"]}
    assert set(listed) == {first, second}
    assert listed[first]["description"] == "one"
    assert "apiSummary" not in listed[first]
    updated = apigw.update_deployment(
        restApiId=api_id,
        deploymentId=first,
        patchOperations=[{"op": "replace", "path": "/description", "value": "renamed"}],
    )
    assert updated["description"] == "renamed"
    got = apigw.get_deployment(restApiId=api_id, deploymentId=first)
    assert got["description"] == "renamed"


def test_delete_an_unused_deployment(apigw: Any, deployable: tuple[str, str]) -> None:
    api_id, _ = deployable
    deployment_id = apigw.create_deployment(restApiId=api_id)["id"]
    response = apigw.delete_deployment(restApiId=api_id, deploymentId=deployment_id)
    assert status_of(response) == 202
    assert apigw.get_deployments(restApiId=api_id)["items"] == []
    with pytest.raises(apigw.exceptions.NotFoundException) as info:
        apigw.get_deployment(restApiId=api_id, deploymentId=deployment_id)
    assert info.value.response["Error"]["Message"] == "Invalid Deployment identifier specified"


def test_create_stage_on_an_existing_deployment(apigw: Any, deployable: tuple[str, str]) -> None:
    api_id, _ = deployable
    deployment_id = apigw.create_deployment(restApiId=api_id)["id"]
    response = apigw.create_stage(
        restApiId=api_id,
        stageName="prod",
        deploymentId=deployment_id,
        description="production",
        variables={"v": "1"},
        tracingEnabled=True,
        tags={"owner": "me"},
    )
    assert status_of(response) == 201
    stage = shape(response)
    stage.pop("createdDate")
    stage.pop("lastUpdatedDate")
    assert stage == {
        "deploymentId": deployment_id,
        "stageName": "prod",
        "description": "production",
        "cacheClusterEnabled": False,
        "cacheClusterStatus": "NOT_AVAILABLE",
        "methodSettings": {},
        "variables": {"v": "1"},
        "tracingEnabled": True,
        "tags": {"owner": "me"},
    }


def test_get_stages_filters_by_deployment_id(apigw: Any, deployable: tuple[str, str]) -> None:
    api_id, _ = deployable
    first = deploy(apigw, api_id, "one")
    apigw.create_stage(restApiId=api_id, stageName="also-one", deploymentId=first)
    second = deploy(apigw, api_id, "two")
    everything = apigw.get_stages(restApiId=api_id)["item"]
    assert {s["stageName"] for s in everything} == {"one", "also-one", "two"}
    filtered = apigw.get_stages(restApiId=api_id, deploymentId=first)["item"]
    assert {s["stageName"] for s in filtered} == {"one", "also-one"}
    only = apigw.get_stages(restApiId=api_id, deploymentId=second)["item"]
    assert [s["stageName"] for s in only] == ["two"]


def test_update_stage_variables_description_and_rollback(
    apigw: Any, deployable: tuple[str, str]
) -> None:
    api_id, _ = deployable
    first = deploy(apigw, api_id, "dev", variables={"keep": "1", "drop": "2"})
    second = deploy(apigw, api_id, "dev")
    response = apigw.update_stage(
        restApiId=api_id,
        stageName="dev",
        patchOperations=[
            {"op": "replace", "path": "/variables/new", "value": "3"},
            {"op": "add", "path": "/variables/other", "value": "x.y:z"},
            {"op": "remove", "path": "/variables/drop"},
            {"op": "replace", "path": "/description", "value": "changed"},
            {"op": "replace", "path": "/deploymentId", "value": first},
            {"op": "replace", "path": "/tracingEnabled", "value": "true"},
        ],
    )
    assert status_of(response) == 200
    stage = shape(response)
    assert stage["variables"] == {"keep": "1", "new": "3", "other": "x.y:z"}
    assert stage["description"] == "changed"
    assert stage["deploymentId"] == first != second
    assert stage["tracingEnabled"] is True
    assert shape(apigw.get_stage(restApiId=api_id, stageName="dev")) == stage


def test_update_stage_method_settings_fill_aws_defaults(
    apigw: Any, deployable: tuple[str, str]
) -> None:
    api_id, _ = deployable
    deploy(apigw, api_id, "dev")
    stage = apigw.update_stage(
        restApiId=api_id,
        stageName="dev",
        patchOperations=[
            {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"},
            {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"},
            {"op": "replace", "path": "/~1pets/GET/throttling/rateLimit", "value": "50"},
            {"op": "replace", "path": "/~1pets/GET/throttling/burstLimit", "value": "10"},
            {"op": "replace", "path": "/~1pets/GET/caching/ttlInSeconds", "value": "60"},
        ],
    )
    assert stage["methodSettings"] == {
        "*/*": {**METHOD_SETTING_DEFAULTS, "loggingLevel": "INFO", "metricsEnabled": True},
        "~1pets/GET": {
            **METHOD_SETTING_DEFAULTS,
            "throttlingRateLimit": 50.0,
            "throttlingBurstLimit": 10,
            "cacheTtlInSeconds": 60,
        },
    }
    removed = apigw.update_stage(
        restApiId=api_id, stageName="dev", patchOperations=[{"op": "remove", "path": "/*/*"}]
    )
    assert set(removed["methodSettings"]) == {"~1pets/GET"}


def test_update_stage_access_log_settings(apigw: Any, deployable: tuple[str, str]) -> None:
    api_id, _ = deployable
    deploy(apigw, api_id, "dev")
    log_format = '{"requestId":"$context.requestId","status":"$context.status"}'
    destination = "arn:aws:logs:us-east-1:000000000000:log-group:access"
    stage = apigw.update_stage(
        restApiId=api_id,
        stageName="dev",
        patchOperations=[
            {"op": "replace", "path": "/accessLogSettings/format", "value": log_format},
            {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": destination},
        ],
    )
    assert stage["accessLogSettings"] == {"format": log_format, "destinationArn": destination}
    removed = apigw.update_stage(
        restApiId=api_id,
        stageName="dev",
        patchOperations=[{"op": "remove", "path": "/accessLogSettings"}],
    )
    assert "accessLogSettings" not in removed
    assert "accessLogSettings" not in apigw.get_stage(restApiId=api_id, stageName="dev")


def test_delete_stage(apigw: Any, deployable: tuple[str, str]) -> None:
    api_id, _ = deployable
    deployment_id = deploy(apigw, api_id, "dev")
    response = apigw.delete_stage(restApiId=api_id, stageName="dev")
    assert status_of(response) == 202
    assert apigw.get_stages(restApiId=api_id)["item"] == []
    with pytest.raises(apigw.exceptions.NotFoundException) as info:
        apigw.get_stage(restApiId=api_id, stageName="dev")
    assert info.value.response["Error"]["Message"] == "Invalid Stage identifier specified"
    # With no stage on it, the deployment may go now.
    apigw.delete_deployment(restApiId=api_id, deploymentId=deployment_id)


# --- gateway responses ----------------------------------------------------------------------


def test_get_gateway_responses_lists_all_21_defaults(apigw: Any) -> None:
    api_id, _ = new_api(apigw, unique())
    items = apigw.get_gateway_responses(restApiId=api_id)["items"]
    assert len(items) == 21
    by_type = {item["responseType"]: item for item in items}
    assert set(by_type) == set(DEFAULT_STATUSES)
    for response_type, status in DEFAULT_STATUSES.items():
        expected: dict[str, Any] = {
            "responseType": response_type,
            "defaultResponse": True,
            "responseParameters": {},
            "responseTemplates": DEFAULT_TEMPLATE,
        }
        if status is not None:
            expected["statusCode"] = status
        assert by_type[response_type] == expected, response_type
    single = shape(apigw.get_gateway_response(restApiId=api_id, responseType="THROTTLED"))
    assert single == by_type["THROTTLED"]


def test_put_gateway_response_customises_one_type(apigw: Any) -> None:
    api_id, _ = new_api(apigw, unique())
    response = apigw.put_gateway_response(
        restApiId=api_id,
        responseType="MISSING_AUTHENTICATION_TOKEN",
        statusCode="404",
        responseParameters={"gatewayresponse.header.X-Reason": "'no route'"},
    )
    assert status_of(response) == 201
    expected = {
        "responseType": "MISSING_AUTHENTICATION_TOKEN",
        "defaultResponse": False,
        "statusCode": "404",
        "responseParameters": {"gatewayresponse.header.X-Reason": "'no route'"},
        "responseTemplates": DEFAULT_TEMPLATE,
    }
    assert shape(response) == expected
    got = apigw.get_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN")
    assert shape(got) == expected
    # Without a status code, the type's default status stays.
    templated = apigw.put_gateway_response(
        restApiId=api_id,
        responseType="THROTTLED",
        responseTemplates={"application/json": '{"slow":"down"}'},
    )
    assert shape(templated) == {
        "responseType": "THROTTLED",
        "defaultResponse": False,
        "statusCode": "429",
        "responseParameters": {},
        "responseTemplates": {"application/json": '{"slow":"down"}'},
    }


def test_customised_default_4xx_changes_the_other_4xx_types(apigw: Any) -> None:
    api_id, _ = new_api(apigw, unique())
    apigw.put_gateway_response(restApiId=api_id, responseType="THROTTLED", statusCode="420")
    apigw.put_gateway_response(
        restApiId=api_id,
        responseType="DEFAULT_4XX",
        statusCode="418",
        responseParameters={"gatewayresponse.header.X-Teapot": "'yes'"},
        responseTemplates={"application/json": '{"teapot":true}'},
    )
    by_type = {
        item["responseType"]: item
        for item in apigw.get_gateway_responses(restApiId=api_id)["items"]
    }
    assert by_type["DEFAULT_4XX"]["defaultResponse"] is False
    for inheriting in (
        "MISSING_AUTHENTICATION_TOKEN",
        "RESOURCE_NOT_FOUND",
        "BAD_REQUEST_BODY",
        "ACCESS_DENIED",
        "QUOTA_EXCEEDED",
    ):
        assert by_type[inheriting] == {
            "responseType": inheriting,
            "defaultResponse": True,
            "statusCode": "418",
            "responseParameters": {"gatewayresponse.header.X-Teapot": "'yes'"},
            "responseTemplates": {"application/json": '{"teapot":true}'},
        }, inheriting
    assert by_type["THROTTLED"]["statusCode"] == "420"
    assert by_type["THROTTLED"]["defaultResponse"] is False
    assert by_type["THROTTLED"]["responseTemplates"] == DEFAULT_TEMPLATE
    assert by_type["INTEGRATION_TIMEOUT"]["statusCode"] == "504"
    assert by_type["INTEGRATION_TIMEOUT"]["responseParameters"] == {}
    # Resetting DEFAULT_4XX restores the originals.
    apigw.delete_gateway_response(restApiId=api_id, responseType="DEFAULT_4XX")
    restored = apigw.get_gateway_response(restApiId=api_id, responseType="RESOURCE_NOT_FOUND")
    assert restored["statusCode"] == "404"
    assert restored["responseTemplates"] == DEFAULT_TEMPLATE


def test_update_gateway_response_with_patch_operations(apigw: Any) -> None:
    api_id, _ = new_api(apigw, unique())
    apigw.put_gateway_response(
        restApiId=api_id,
        responseType="ACCESS_DENIED",
        statusCode="403",
        responseParameters={"gatewayresponse.header.X-A": "'a'"},
    )
    response = apigw.update_gateway_response(
        restApiId=api_id,
        responseType="ACCESS_DENIED",
        patchOperations=[
            {"op": "replace", "path": "/statusCode", "value": "401"},
            {
                "op": "replace",
                "path": "/responseParameters/gatewayresponse.header.X-A",
                "value": "'changed'",
            },
            {
                "op": "add",
                "path": "/responseParameters/gatewayresponse.header.X-B",
                "value": "method.request.header.Origin",
            },
            {"op": "add", "path": "/responseTemplates/text~1plain", "value": "denied"},
        ],
    )
    assert status_of(response) == 200
    assert shape(response) == {
        "responseType": "ACCESS_DENIED",
        "defaultResponse": False,
        "statusCode": "401",
        "responseParameters": {
            "gatewayresponse.header.X-A": "'changed'",
            "gatewayresponse.header.X-B": "method.request.header.Origin",
        },
        "responseTemplates": {"text/plain": "denied"},
    }


def test_update_of_a_default_gateway_response_starts_from_the_default(apigw: Any) -> None:
    api_id, _ = new_api(apigw, unique())
    response = apigw.update_gateway_response(
        restApiId=api_id,
        responseType="BAD_REQUEST_BODY",
        patchOperations=[{"op": "replace", "path": "/statusCode", "value": "422"}],
    )
    assert shape(response) == {
        "responseType": "BAD_REQUEST_BODY",
        "defaultResponse": False,
        "statusCode": "422",
        "responseParameters": {},
        "responseTemplates": DEFAULT_TEMPLATE,
    }


def test_delete_gateway_response_resets_it(apigw: Any) -> None:
    api_id, _ = new_api(apigw, unique())
    apigw.put_gateway_response(restApiId=api_id, responseType="UNAUTHORIZED", statusCode="499")
    response = apigw.delete_gateway_response(restApiId=api_id, responseType="UNAUTHORIZED")
    assert status_of(response) == 202
    assert shape(apigw.get_gateway_response(restApiId=api_id, responseType="UNAUTHORIZED")) == {
        "responseType": "UNAUTHORIZED",
        "defaultResponse": True,
        "statusCode": "401",
        "responseParameters": {},
        "responseTemplates": DEFAULT_TEMPLATE,
    }


# --- models, request validators, tags -------------------------------------------------------

PET_SCHEMA = '{"type": "object", "properties": {"name": {"type": "string"}}}'


def test_model_create_get_list_update_delete(apigw: Any) -> None:
    api_id, _ = new_api(apigw, unique())
    response = apigw.create_model(
        restApiId=api_id,
        name="Pet",
        contentType="application/json",
        schema=PET_SCHEMA,
        description="a pet",
    )
    assert status_of(response) == 201
    model = shape(response)
    assert re.fullmatch(r"[a-z0-9]{6}", model["id"])
    assert model == {
        "id": model["id"],
        "name": "Pet",
        "description": "a pet",
        "schema": PET_SCHEMA,
        "contentType": "application/json",
    }
    assert shape(apigw.get_model(restApiId=api_id, modelName="Pet")) == model
    listed = {m["name"]: m for m in apigw.get_models(restApiId=api_id)["items"]}
    assert set(listed) == {"Empty", "Error", "Pet"}
    assert listed["Pet"] == model
    array_schema = '{"type": "array", "items": {"type": "string"}}'
    updated = apigw.update_model(
        restApiId=api_id,
        modelName="Pet",
        patchOperations=[
            {"op": "replace", "path": "/description", "value": "pets"},
            {"op": "replace", "path": "/schema", "value": array_schema},
        ],
    )
    assert shape(updated) == {**model, "description": "pets", "schema": array_schema}
    deleted = apigw.delete_model(restApiId=api_id, modelName="Pet")
    assert status_of(deleted) == 202
    with pytest.raises(apigw.exceptions.NotFoundException) as info:
        apigw.get_model(restApiId=api_id, modelName="Pet")
    assert info.value.response["Error"]["Message"] == "Invalid model name specified: Pet"


def test_a_model_no_longer_referenced_can_be_deleted(apigw: Any) -> None:
    api_id, root = new_api(apigw, unique())
    apigw.create_model(
        restApiId=api_id, name="Body", contentType="application/json", schema=PET_SCHEMA
    )
    apigw.put_method(
        restApiId=api_id,
        resourceId=root,
        httpMethod="POST",
        authorizationType="NONE",
        requestModels={"application/json": "Body"},
    )
    apigw.update_method(
        restApiId=api_id,
        resourceId=root,
        httpMethod="POST",
        patchOperations=[{"op": "remove", "path": "/requestModels/application~1json"}],
    )
    apigw.delete_model(restApiId=api_id, modelName="Body")
    assert {m["name"] for m in apigw.get_models(restApiId=api_id)["items"]} == {"Empty", "Error"}


def test_request_validator_create_get_list_update_delete(apigw: Any) -> None:
    api_id, root = new_api(apigw, unique())
    response = apigw.create_request_validator(restApiId=api_id, name="plain")
    assert status_of(response) == 201
    validator = shape(response)
    assert re.fullmatch(r"[a-z0-9]{6}", validator["id"])
    assert validator == {
        "id": validator["id"],
        "name": "plain",
        "validateRequestBody": False,
        "validateRequestParameters": False,
    }
    both = shape(
        apigw.create_request_validator(
            restApiId=api_id, name="both", validateRequestBody=True, validateRequestParameters=True
        )
    )
    assert both["validateRequestBody"] is True and both["validateRequestParameters"] is True
    got = apigw.get_request_validator(restApiId=api_id, requestValidatorId=validator["id"])
    assert shape(got) == validator
    listed = apigw.get_request_validators(restApiId=api_id)["items"]
    assert {v["id"]: v for v in listed} == {validator["id"]: validator, both["id"]: both}
    updated = apigw.update_request_validator(
        restApiId=api_id,
        requestValidatorId=validator["id"],
        patchOperations=[
            {"op": "replace", "path": "/name", "value": "body-only"},
            {"op": "replace", "path": "/validateRequestBody", "value": "true"},
        ],
    )
    assert shape(updated) == {**validator, "name": "body-only", "validateRequestBody": True}
    # Deleting a validator a method uses detaches it from the method.
    apigw.put_method(
        restApiId=api_id,
        resourceId=root,
        httpMethod="GET",
        authorizationType="NONE",
        requestValidatorId=validator["id"],
    )
    deleted = apigw.delete_request_validator(restApiId=api_id, requestValidatorId=validator["id"])
    assert status_of(deleted) == 202
    with pytest.raises(apigw.exceptions.NotFoundException) as info:
        apigw.get_request_validator(restApiId=api_id, requestValidatorId=validator["id"])
    assert info.value.response["Error"]["Message"] == (
        "Invalid Request Validator identifier specified"
    )
    method = apigw.get_method(restApiId=api_id, resourceId=root, httpMethod="GET")
    assert "requestValidatorId" not in method


def test_tags_on_a_rest_api(apigw: Any) -> None:
    api_id = apigw.create_rest_api(name=unique(), tags={"first": "1"})["id"]
    arn = api_arn(api_id)
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"first": "1"}
    tagged = apigw.tag_resource(resourceArn=arn, tags={"second": "2", "first": "one"})
    assert status_of(tagged) == 204
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"first": "one", "second": "2"}
    assert apigw.get_rest_api(restApiId=api_id)["tags"] == {"first": "one", "second": "2"}
    untagged = apigw.untag_resource(resourceArn=arn, tagKeys=["first", "never-set"])
    assert status_of(untagged) == 204
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"second": "2"}
    apigw.untag_resource(resourceArn=arn, tagKeys=["second"])
    assert apigw.get_tags(resourceArn=arn)["tags"] == {}
    assert "tags" not in apigw.get_rest_api(restApiId=api_id)


def test_tags_on_a_stage(apigw: Any, deployable: tuple[str, str]) -> None:
    api_id, _ = deployable
    deploy(apigw, api_id, "dev")
    arn = f"{api_arn(api_id)}/stages/dev"
    assert apigw.get_tags(resourceArn=arn)["tags"] == {}
    apigw.tag_resource(resourceArn=arn, tags={"tier": "gold", "x": "y"})
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"tier": "gold", "x": "y"}
    assert apigw.get_stage(restApiId=api_id, stageName="dev")["tags"] == {"tier": "gold", "x": "y"}
    apigw.untag_resource(resourceArn=arn, tagKeys=["x"])
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"tier": "gold"}
    # The API's own tags are separate.
    assert apigw.get_tags(resourceArn=api_arn(api_id))["tags"] == {}

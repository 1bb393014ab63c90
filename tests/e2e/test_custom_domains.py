"""Custom domain names on the gateway's HTTP listener: base path mappings (REST), API mappings
(HTTP APIs, multi-level keys), the `(none)` mapping, what APIs see of the domain, unknown
paths, reserved paths, and disableExecuteApiEndpoint."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    add_path,
    create_function,
    deploy,
    function_api,
    function_arn,
    mock_method,
    new_api,
)

ECHO_V1 = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""
ECHO_V2 = """
def handler(event, context):
    return event
"""
FORBIDDEN = {"message": "Forbidden"}


@pytest.fixture(scope="module")
def v2(server: Server) -> Any:
    return server.client("apigatewayv2")


@pytest.fixture(scope="module")
def echo_v1(lam: Any) -> str:
    name = f"domains-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, ECHO_V1, source_arn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*")
    return name


@pytest.fixture(scope="module")
def echo_v2(lam: Any) -> str:
    name = f"domains2-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, ECHO_V2, source_arn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*")
    return function_arn(name)


def proxy_api(apigw: Any, function: str, stage: str = "prod") -> str:
    """A REST API whose `/{proxy+}` calls `function` (AWS_PROXY), deployed to `stage`."""
    return function_api(apigw, function, stage=stage, name="domains", path="/{proxy+}", verb="ANY")


def _mock_api(apigw: Any, body: str, stage: str = "v1") -> str:
    api_id, root = new_api(apigw, "domains-mock")
    mock_method(apigw, api_id, add_path(apigw, api_id, root, "/pets"), "GET", body)
    deploy(apigw, api_id, stage)
    return api_id


def _domain(apigw: Any) -> str:
    name = f"api-{uuid.uuid4().hex[:8]}.example.com"
    apigw.create_domain_name(
        domainName=name,
        regionalCertificateArn=f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/placeholder",
        endpointConfiguration={"types": ["REGIONAL"]},
    )
    return name


def _get(server: Server, http: httpx.Client, host: str, path: str) -> httpx.Response:
    return http.get(f"{server.gateway}{path}", headers={"Host": host})


def test_rest_base_path_mappings_route_without_a_stage_segment(
    server: Server, http: httpx.Client, apigw: Any, echo_v1: str
) -> None:
    proxy = proxy_api(apigw, echo_v1)
    pets = _mock_api(apigw, '{"api": "pets"}')
    domain = _domain(apigw)
    apigw.create_base_path_mapping(domainName=domain, restApiId=proxy, stage="prod")
    apigw.create_base_path_mapping(domainName=domain, restApiId=pets, stage="v1", basePath="zoo")

    response = _get(server, http, domain, "/zoo/pets")
    assert (response.status_code, response.json()) == (200, {"api": "pets"})
    # the port and the case of the Host do not matter
    response = _get(server, http, f"{domain.upper()}:8443", "/zoo/pets")
    assert (response.status_code, response.json()) == (200, {"api": "pets"})

    # `zoox` is not the base path `zoo`: the (none) mapping serves it
    event = _get(server, http, domain, "/zoox/y/").json()
    assert event["path"] == "/zoox/y/"
    assert event["resource"] == "/{proxy+}"
    assert event["pathParameters"] == {"proxy": "zoox/y"}
    context = event["requestContext"]
    assert context["path"] == "/zoox/y/"
    assert context["resourcePath"] == "/{proxy+}"
    assert context["stage"] == "prod"
    assert context["domainName"] == domain
    assert context["domainPrefix"] == domain.split(".")[0]
    assert context["apiId"] == proxy

    # the API's own answers are unchanged: a path no resource has is its 403
    response = _get(server, http, domain, "/zoo/nothing")
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}


def test_a_base_path_is_in_the_event_path_and_not_in_the_resource_path(
    server: Server, http: httpx.Client, apigw: Any, echo_v1: str
) -> None:
    proxy = proxy_api(apigw, echo_v1)
    domain = _domain(apigw)
    apigw.create_base_path_mapping(domainName=domain, restApiId=proxy, stage="prod", basePath="a")
    event = _get(server, http, domain, "/a/pets/1?x=1").json()
    assert event["path"] == "/a/pets/1"
    assert event["pathParameters"] == {"proxy": "pets/1"}
    assert event["requestContext"]["path"] == "/a/pets/1"
    assert event["requestContext"]["resourcePath"] == "/{proxy+}"
    assert event["queryStringParameters"] == {"x": "1"}
    # only the base path is mapped: elsewhere the domain answers 403 Forbidden
    for path in ("/", "/b/pets/1", "/ab"):
        response = _get(server, http, domain, path)
        assert (response.status_code, response.json()) == (403, FORBIDDEN)
        assert response.headers["x-amzn-errortype"] == "ForbiddenException"
    # /ping and /sping are the domain's health checks, not the API's
    assert _get(server, http, domain, "/ping").status_code == 200
    assert _get(server, http, domain, "/sping").status_code == 200


def test_a_mapping_without_a_stage_takes_it_from_the_url(
    server: Server, http: httpx.Client, apigw: Any, echo_v1: str
) -> None:
    proxy = proxy_api(apigw, echo_v1)
    deploy(apigw, proxy, "beta")
    domain = _domain(apigw)
    apigw.create_base_path_mapping(domainName=domain, restApiId=proxy, basePath="s")
    assert "stage" not in apigw.get_base_path_mapping(domainName=domain, basePath="s")
    for stage in ("prod", "beta"):
        event = _get(server, http, domain, f"/s/{stage}/x").json()
        assert (event["requestContext"]["stage"], event["pathParameters"]) == (
            stage,
            {"proxy": "x"},
        )


def test_http_api_mappings_with_multi_level_keys(
    server: Server, http: httpx.Client, apigw: Any, v2: Any, echo_v2: str
) -> None:
    api_id = v2.create_api(Name="domains", ProtocolType="HTTP", Target=echo_v2)["ApiId"]
    pets = _mock_api(apigw, '{"api": "rest"}')
    domain = _domain(apigw)
    v2.create_api_mapping(
        DomainName=domain, ApiId=api_id, Stage="$default", ApiMappingKey="orders/v2"
    )
    v2.create_api_mapping(DomainName=domain, ApiId=api_id, Stage="$default", ApiMappingKey="orders")
    # a v2 API mapping may name a REST API too
    v2.create_api_mapping(DomainName=domain, ApiId=pets, Stage="v1", ApiMappingKey="rest")

    event = _get(server, http, domain, "/orders/v2/items/7").json()
    assert event["rawPath"] == "/orders/v2/items/7"
    assert event["requestContext"]["http"]["path"] == "/orders/v2/items/7"
    assert event["requestContext"]["domainName"] == domain
    assert event["requestContext"]["stage"] == "$default"
    assert event["routeKey"] == "$default"
    event = _get(server, http, domain, "/orders/v3").json()
    assert event["rawPath"] == "/orders/v3"
    response = _get(server, http, domain, "/rest/pets")
    assert (response.status_code, response.json()) == (200, {"api": "rest"})
    response = _get(server, http, domain, "/order")
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    # apigateway sees the same mappings as base path mappings
    base_paths = {m["basePath"] for m in apigw.get_base_path_mappings(domainName=domain)["items"]}
    assert base_paths == {"orders/v2", "orders", "rest"}


def test_disable_execute_api_endpoint(
    server: Server, http: httpx.Client, apigw: Any, v2: Any, echo_v2: str
) -> None:
    rest = _mock_api(apigw, '{"api": "rest"}')
    assert http.get(server.url(rest, "v1", "/pets")).status_code == 200
    apigw.update_rest_api(
        restApiId=rest,
        patchOperations=[{"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "true"}],
    )
    # as on AWS it takes effect with the next deployment
    assert http.get(server.url(rest, "v1", "/pets")).status_code == 200
    deploy(apigw, rest, "v1")
    http_api = v2.create_api(
        Name="closed", ProtocolType="HTTP", Target=echo_v2, DisableExecuteApiEndpoint=True
    )["ApiId"]
    for response in (
        http.get(server.url(rest, "v1", "/pets")),
        http.get(f"{server.gateway}/v1/pets", headers={"Host": server.host(rest)}),
        http.get(f"{server.gateway}/x", headers={"Host": server.host(http_api)}),
        http.get(f"{server.gateway}/_aws/execute-api/{http_api}/x"),
    ):
        assert (response.status_code, response.json()) == (403, FORBIDDEN)
        assert response.headers["x-amzn-errortype"] == "ForbiddenException"
    domain = _domain(apigw)
    apigw.create_base_path_mapping(domainName=domain, restApiId=rest, stage="v1", basePath="r")
    v2.create_api_mapping(DomainName=domain, ApiId=http_api, Stage="$default", ApiMappingKey="h")
    response = _get(server, http, domain, "/r/pets")
    assert (response.status_code, response.json()) == (200, {"api": "rest"})
    assert _get(server, http, domain, "/h/x").json()["rawPath"] == "/h/x"


def test_mapping_changes_apply_at_once(server: Server, http: httpx.Client, apigw: Any) -> None:
    one = _mock_api(apigw, '{"api": 1}')
    two = _mock_api(apigw, '{"api": 2}')
    domain = _domain(apigw)
    apigw.create_base_path_mapping(domainName=domain, restApiId=one, stage="v1")
    assert _get(server, http, domain, "/pets").json() == {"api": 1}
    apigw.update_base_path_mapping(
        domainName=domain,
        basePath="(none)",
        patchOperations=[{"op": "replace", "path": "/restapiId", "value": two}],
    )
    assert _get(server, http, domain, "/pets").json() == {"api": 2}
    apigw.delete_base_path_mapping(domainName=domain, basePath="(none)")
    assert _get(server, http, domain, "/pets").json() == FORBIDDEN
    apigw.create_base_path_mapping(domainName=domain, restApiId=one, stage="v1")
    apigw.delete_domain_name(domainName=domain)
    # no longer a custom domain: the gateway does not know the host
    response = _get(server, http, domain, "/pets")
    assert response.status_code == 404
    assert json.loads(response.content)["message"].startswith("No API for host")


def test_http_api_sees_the_mapping_key_matched(
    server: Server, http: httpx.Client, apigw: Any, v2: Any, upstream: str
) -> None:
    api_id = v2.create_api(Name="domains-proxy", ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="GET",
        IntegrationUri=f"{upstream}/echo",
        PayloadFormatVersion="1.0",
        RequestParameters={"append:header.X-Base": "$context.customDomain.basePathMatched"},
    )["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey="GET /x", Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api_id, StageName="live", AutoDeploy=True)
    domain = _domain(apigw)
    v2.create_api_mapping(DomainName=domain, ApiId=api_id, Stage="live", ApiMappingKey="a/b")
    response = _get(server, http, domain, "/a/b/x")
    assert response.status_code == 200
    assert ["X-Base", "a/b"] in response.json()["headers"]

"""CORS and parameter mapping in the HTTP API pipeline (bindings.py): compiled with the stage,
run by the pipeline's stages around routing and the integration."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from tests.unit.dataplane.http_api.conftest import (
    HOST,
    FakeFunctions,
    Upstream,
    add_route,
    context,
    definition,
    stage,
)

from tollway.dataplane.context import Response
from tollway.dataplane.http_api.bindings import RequestView
from tollway.dataplane.http_api.context import HttpContext
from tollway.dataplane.http_api.pipeline import http_pipeline

CORS = {"AllowOrigins": ["https://app.test"], "AllowMethods": ["GET"], "MaxAge": 60}
ORIGIN = ("Origin", "https://app.test")


async def run(ctx: HttpContext) -> Response:
    await http_pipeline([]).run(ctx)
    assert ctx.response is not None
    return ctx.response


def proxy(uri: str = "http://backend/base", **fields: Any) -> dict[str, Any]:
    return {
        "IntegrationType": "HTTP_PROXY",
        "IntegrationUri": uri,
        "IntegrationMethod": "ANY",
        "PayloadFormatVersion": "1.0",
        **fields,
    }


async def test_options_no_route_takes_is_answered_with_the_preflight() -> None:
    api = definition(CorsConfiguration=CORS)
    add_route(api, "GET /pets", proxy())
    upstream = Upstream()
    ctx = context(stage(api, upstream=upstream), "OPTIONS", "/pets",
                  headers=[("Host", HOST), ORIGIN, ("Access-Control-Request-Method", "GET")])  # fmt: skip
    response = await run(ctx)
    assert response == Response(
        204,
        [
            ("Access-Control-Allow-Origin", "https://app.test"),
            ("Vary", "Origin"),
            ("Access-Control-Allow-Methods", "GET"),
            ("Access-Control-Allow-Headers", ""),
            ("Access-Control-Max-Age", "60"),
            ("apigw-requestid", ctx.request_id),
        ],
        b"",
    )
    assert upstream.sent == []


async def test_options_a_route_takes_goes_to_its_integration() -> None:
    api = definition(CorsConfiguration=CORS)
    add_route(api, "ANY /pets", proxy())
    upstream = Upstream(Response(200, [("Access-Control-Allow-Origin", "*")], b"up"))
    ctx = context(stage(api, upstream=upstream), "OPTIONS", "/pets",
                  headers=[("Host", HOST), ORIGIN, ("Access-Control-Request-Method", "GET")])  # fmt: skip
    response = await run(ctx)
    assert len(upstream.sent) == 1
    assert response.status == 200
    assert response.headers == [
        ("Access-Control-Allow-Origin", "https://app.test"),
        ("Vary", "Origin"),
        ("apigw-requestid", ctx.request_id),
    ]


async def test_without_cors_options_without_route_is_404() -> None:
    api = definition()
    add_route(api, "GET /pets", proxy())
    ctx = context(stage(api), "OPTIONS", "/pets",
                  headers=[("Host", HOST), ORIGIN, ("Access-Control-Request-Method", "GET")])  # fmt: skip
    assert (await run(ctx)).status == 404


async def test_errors_get_the_cors_headers_too() -> None:
    api = definition(CorsConfiguration=CORS)
    add_route(api, "GET /pets", proxy())
    ctx = context(stage(api), "GET", "/cats", headers=[("Host", HOST), ORIGIN])
    response = await run(ctx)
    assert response.status == 404
    assert ("Access-Control-Allow-Origin", "https://app.test") in response.headers


async def test_request_mapping_changes_headers_query_and_path_sent() -> None:
    api = definition()
    add_route(api, "GET /pets/{id}", proxy(RequestParameters={
        "overwrite:header.X-Id": "${request.path.id}",
        "remove:header.X-Drop": "''",
        "append:querystring.stage": "$context.stage",
        "overwrite:querystring.q": "a b&c",
        "overwrite:path": "/v2/pets/$request.path.id",
    }))  # fmt: skip
    upstream = Upstream()
    ctx = context(stage(api, "dev", upstream=upstream, StageVariables={"v": "1"}), "GET",
                  "/pets/7", raw_path="/dev/pets/7", query="q=1&keep=x%20y",
                  headers=[("Host", HOST), ("X-Drop", "d"), ("X-Id", "client")])  # fmt: skip
    await run(ctx)
    (sent,) = upstream.sent
    # a whole-value variable: `$request.path.id` is not one, so the text stays static
    assert sent["url"] == "http://backend/v2/pets/$request.path.id?q=a%20b%26c&keep=x%20y&stage=dev"
    names = [k for k, _ in sent["headers"]]
    assert "X-Drop" not in names
    assert ("X-Id", "7") in sent["headers"]


async def test_a_mapping_that_changes_nothing_of_a_part_leaves_it_as_sent() -> None:
    api = definition()
    add_route(api, "GET /pets", proxy(RequestParameters={"append:header.X-A": "1"}))
    upstream = Upstream()
    ctx = context(stage(api, upstream=upstream), "GET", "/pets", query="b=%2F&a=1")
    await run(ctx)
    assert upstream.sent[0]["url"] == "http://backend/base?b=%2F&a=1"  # raw query kept


async def test_response_mapping_changes_status_and_headers() -> None:
    api = definition()
    add_route(api, "GET /pets", proxy(ResponseParameters={
        "404": {"overwrite:statuscode": "410", "append:header.X-Was": "$response.header.X-Up"},
    }))  # fmt: skip
    upstream = Upstream(Response(404, [("X-Up", "u")], b"gone"))
    ctx = context(stage(api, upstream=upstream), "GET", "/pets")
    response = await run(ctx)
    assert response.status == 410
    assert response.body == b"gone"
    assert response.headers == [("X-Up", "u"), ("X-Was", "u"), ("apigw-requestid", ctx.request_id)]


def test_request_view_reads_the_context() -> None:
    api = definition()
    add_route(api, "GET /pets/{id}", proxy())
    ctx = context(stage(api, "dev", StageVariables={"v": "1"}), "GET", "/pets/7",
                  raw_path="/dev/pets/7", query="q=1&q=2", body=b"{}")  # fmt: skip
    found = ctx.stage.routes.match("GET", "/pets/7")
    assert found is not None
    ctx.route, ctx.path_parameters = found
    view = RequestView(ctx)
    assert view.path == "/pets/7"
    assert view.path_parameters == {"id": "7"}
    assert view.query == {"q": ["1", "2"]}
    assert view.stage_variables == {"v": "1"}
    assert view.body == b"{}"
    assert view.context_variable("stage") == "dev"
    assert view.context_variable("requestId") == ctx.request_id
    assert view.context_variable("nothing") is None


@pytest.mark.parametrize("version", ["2.0", "1.0"])
async def test_lambda_events_get_the_mapped_headers_and_query(version: str) -> None:
    functions = FakeFunctions()
    api = definition()
    add_route(api, "GET /a/{id}", {
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": "arn:aws:lambda:us-east-1:000000000000:function:fn",
        "PayloadFormatVersion": version,
        "RequestParameters": {
            "append:header.x-id": "$request.path.id",
            "remove:header.x-drop": "''",
            "overwrite:querystring.q": "mapped",
            "overwrite:path": "/ignored",
        },
    })  # fmt: skip
    compiled = stage(api, functions=functions)
    assert compiled.warnings == [
        "overwrite:path (RequestParameters of integration i000001) is not applied to a Lambda "
        "event: its headers and query string mappings are"
    ]
    ctx = context(compiled, "GET", "/a/7", query="q=1&k=2",
                  headers=[("Host", HOST), ("X-Drop", "d")])  # fmt: skip
    await run(ctx)
    event = orjson.loads(functions.calls[0]["payload"])
    if version == "2.0":
        assert event["headers"]["x-id"] == "7"
        assert "x-drop" not in event["headers"]
        assert event["rawQueryString"] == "q=mapped&k=2"
        assert event["queryStringParameters"] == {"q": "mapped", "k": "2"}
        assert event["rawPath"] == "/a/7"
    else:
        assert event["headers"]["x-id"] == "7"
        assert "X-Drop" not in event["headers"]
        assert event["queryStringParameters"] == {"q": "mapped", "k": "2"}
        assert event["path"] == "/a/7"


def test_a_stored_mapping_aws_refuses_is_reported_not_applied() -> None:
    api = definition()
    add_route(api, "GET /a", proxy(RequestParameters={"append:header.Authorization": "x"}))
    compiled = stage(api)
    assert compiled.warnings == [
        "parameter mapping of integration i000001 is not applied: Invalid mapping expression "
        "specified: Validation Result: warnings : [], errors : [Operations on header "
        "Authorization are restricted]"
    ]


async def test_query_string_to_a_uri_without_path_gets_a_slash() -> None:
    api = definition()
    add_route(api, "GET /pets", proxy("http://backend", RequestParameters={
        "append:querystring.added": "1"}))  # fmt: skip
    upstream = Upstream()
    await run(context(stage(api, upstream=upstream), "GET", "/pets", query="q=x"))
    assert upstream.sent[0]["url"] == "http://backend/?q=x&added=1"

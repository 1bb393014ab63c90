"""The HTTP API pipeline end to end in process: route selection, the integrations, the
errors HTTP APIs answer with, `apigw-requestid`, the access log."""

from __future__ import annotations

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
from tollway.dataplane.errors import IntegrationFailure, IntegrationTimeout
from tollway.dataplane.http_api.context import HttpContext
from tollway.dataplane.http_api.pipeline import http_pipeline
from tollway.functions.errors import FunctionNotFound


async def run(ctx: HttpContext, lines: list[str] | None = None) -> Response:
    finish = [lambda c: lines.append(c.stage.access_log.render(c))] if lines is not None else []
    await http_pipeline(finish).run(ctx)
    assert ctx.response is not None
    return ctx.response


def _headers(response: Response) -> dict[str, str]:
    return dict(response.headers)


async def test_no_route_is_404_not_found_with_apigw_requestid() -> None:
    api = definition()
    add_route(api, "GET /pets")
    ctx = context(stage(api), "GET", "/cats")
    response = await run(ctx)
    assert response.status == 404
    assert response.body == b'{"message":"Not Found"}'
    assert response.headers == [
        ("Content-Type", "application/json"),
        ("apigw-requestid", ctx.request_id),
    ]


async def test_lambda_route_gets_a_2_0_event_by_default() -> None:
    functions = FakeFunctions(answer=b'{"hello": "world"}')
    api = definition()
    add_route(api, "GET /pets/{id}")
    ctx = context(stage(api, "dev", functions=functions), "GET", "/pets/3", raw_path="/dev/pets/3")
    response = await run(ctx)
    assert (response.status, response.body) == (200, b'{"hello": "world"}')
    assert response.headers == [
        ("Content-Type", "application/json"),
        ("apigw-requestid", ctx.request_id),
    ]
    (call,) = functions.calls
    event = orjson.loads(call["payload"])
    assert event["version"] == "2.0"
    assert event["pathParameters"] == {"id": "3"}
    assert call["function"] == "arn:aws:lambda:us-east-1:000000000000:function:fn"
    assert call["principal"] == "apigateway.amazonaws.com"
    assert call["source_arn"] == (
        "arn:aws:execute-api:us-east-1:000000000000:a1b2c3d4e5/dev/GET/pets/{id}"
    )
    assert call["time_limit"] == 30.0


async def test_lambda_payload_1_0_and_the_default_route_source_arn() -> None:
    functions = FakeFunctions(answer=b'{"statusCode": 204}')
    api = definition()
    add_route(
        api,
        "$default",
        {
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": "arn:aws:lambda:us-east-1:000000000000:function:other",
            "PayloadFormatVersion": "1.0",
            "TimeoutInMillis": 5000,
        },
    )
    response = await run(context(stage(api, functions=functions), "POST", "/any/thing"))
    assert response.status == 204
    (call,) = functions.calls
    assert orjson.loads(call["payload"])["version"] == "1.0"
    assert call["function"] == "arn:aws:lambda:us-east-1:000000000000:function:other"
    assert call["source_arn"].endswith(":a1b2c3d4e5/$default/$default")
    assert call["time_limit"] == 5.0


@pytest.mark.parametrize(
    ("functions", "status", "message"),
    [
        (FakeFunctions(answer=b'{"errorMessage": "boom"}', function_error="Unhandled"), 500,
         b'{"message":"Internal Server Error"}'),
        (FakeFunctions(answer=b'{"statusCode": "x"}'), 500, b'{"message":"Internal Server Error"}'),
        (FakeFunctions(raises=FunctionNotFound("fn")), 500, b'{"message":"Internal Server Error"}'),
        (FakeFunctions(raises=TimeoutError()), 503, b'{"message":"Service Unavailable"}'),
    ],
)  # fmt: skip
async def test_lambda_failures(functions: FakeFunctions, status: int, message: bytes) -> None:
    api = definition()
    add_route(api, "ANY /{proxy+}")
    ctx = context(stage(api, functions=functions), "GET", "/x")
    lines: list[str] = []
    response = await run(ctx, lines)
    assert (response.status, response.body) == (status, message)
    assert _headers(response) == {
        "Content-Type": "application/json",
        "apigw-requestid": ctx.request_id,
    }
    assert ctx.integration_error  # $context.integrationErrorMessage says why
    assert f" {status} " in lines[0]


def _http_api(upstream: Upstream, route_key: str, uri: str, **integration: object) -> HttpContext:
    api = definition()
    add_route(
        api, route_key, {"IntegrationType": "HTTP_PROXY", "IntegrationUri": uri, **integration}
    )
    return context(stage(api, "dev", upstream=upstream, StageVariables={"host": "backend"}),
                   "POST", "/pets/a/b", raw_path="/dev/pets/a/b",
                   headers=[("Host", HOST), ("User-Agent", "unit/1.0"), ("X-Forwarded-For", "9.9.9.9"),
                            ("Connection", "keep-alive"), ("Content-Type", "text/plain")],
                   body=b"payload", query="q=1&q=2")  # fmt: skip


async def test_http_proxy_fills_the_greedy_variable_and_forwards_the_query() -> None:
    upstream = Upstream(
        Response(
            201,
            [("Content-Type", "text/plain"), ("X-Backend", "1"), ("Content-Length", "2"),
             ("Transfer-Encoding", "chunked"), ("Date", "then")],
            b"ok",
        )
    )  # fmt: skip
    ctx = _http_api(upstream, "ANY /pets/{proxy+}", "http://${stageVariables.host}/v1/{proxy}")
    response = await run(ctx)
    (sent,) = upstream.sent
    assert sent["method"] == "POST"
    assert sent["url"] == "http://backend/v1/a/b?q=1&q=2"
    assert sent["body"] == b"payload"
    assert sent["time_limit"] == 30.0
    assert sent["headers"] == [
        ("User-Agent", "unit/1.0"),
        ("Content-Type", "text/plain"),
        ("Forwarded", f"for=9.9.9.9, by=127.0.0.1;for=10.0.0.1;host={HOST};proto=http"),
        ("X-Amzn-Trace-Id", ctx.trace_id),
    ]
    assert response.status == 201
    assert response.body == b"ok"
    assert response.headers == [
        ("Content-Type", "text/plain"),
        ("X-Backend", "1"),
        ("apigw-requestid", ctx.request_id),
    ]


async def test_http_proxy_default_route_forwards_the_full_path() -> None:
    upstream = Upstream()
    ctx = _http_api(upstream, "$default", "http://backend/", IntegrationMethod="GET",
                    TimeoutInMillis=1500)  # fmt: skip
    await run(ctx)
    (sent,) = upstream.sent
    assert sent["url"] == "http://backend/pets/a/b?q=1&q=2"  # without the stage segment
    assert sent["method"] == "GET"  # the integration's method
    assert sent["time_limit"] == 1.5


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (IntegrationTimeout(log="timeout"), 503, b'{"message":"Service Unavailable"}'),
        (IntegrationFailure(log="refused"), 500, b'{"message":"Internal Server Error"}'),
    ],
)
async def test_http_proxy_failures(error: Exception, status: int, body: bytes) -> None:
    ctx = _http_api(Upstream(raises=error), "ANY /pets/{proxy+}", "http://backend/{proxy}")
    response = await run(ctx)
    assert (response.status, response.body) == (status, body)
    assert ("apigw-requestid", ctx.request_id) in response.headers


async def test_route_without_integration_is_500() -> None:
    api = definition()
    add_route(api, "GET /x")
    route = next(iter(api["Routes"].values()))
    del route["Target"]
    response = await run(context(stage(api), "GET", "/x"))
    assert (response.status, response.body) == (500, b'{"message":"Internal Server Error"}')


async def test_access_log_with_http_api_context_variables() -> None:
    functions = FakeFunctions(answer=b'"hi"')
    api = definition()
    add_route(api, "GET /pets")
    compiled = stage(
        api,
        "dev",
        functions=functions,
        StageVariables={"v": "1"},
        AccessLogSettings={
            "Format": "$context.requestId $context.routeKey $context.status "
            "$context.responseLength $context.path $context.stage ${stageVariables.v} "
            "$context.integrationStatus $context.identity.caller $context.nothing\n"
        },
    )
    ctx = context(compiled, "GET", "/pets", raw_path="/dev/pets")
    lines: list[str] = []
    await run(ctx, lines)
    assert lines == [f"{ctx.request_id} GET /pets 200 2 /dev/pets dev 1 200 - -"]


async def test_default_access_log_is_the_clf_preset() -> None:
    api = definition()
    add_route(api, "GET /pets")
    ctx = context(stage(api), "GET", "/nope")
    lines: list[str] = []
    await run(ctx, lines)
    (line,) = lines
    assert line.startswith("10.0.0.1 - - [")
    assert line.endswith(f'] "GET - HTTP/1.1" 404 23 {ctx.request_id}')

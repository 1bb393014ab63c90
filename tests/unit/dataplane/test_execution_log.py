"""The execution-log recorder: AWS's line format, Java-style maps, truncation, and the lines the
pipeline's stages write when (and only when) a recorder is set."""

from __future__ import annotations

import calendar

from tests.unit.dataplane.conftest import RecordingUpstream, add, context, definition, stage

from tollway.dataplane.context import Response
from tollway.dataplane.execution_log import (
    ExecutionLog,
    java_map,
    method_headers,
    timestamp,
    truncate,
)
from tollway.dataplane.pipeline import rest_pipeline

NOON = float(calendar.timegm((2026, 11, 21, 12, 0, 0)))


def test_timestamp_is_javas_date_in_utc() -> None:
    assert timestamp(NOON) == "Sat Nov 21 12:00:00 UTC 2026"
    assert timestamp(NOON + 86400 * 10 + 3.9) == "Tue Dec 01 12:00:03 UTC 2026"


def test_maps_are_written_as_java_writes_them() -> None:
    assert java_map([]) == "{}"
    assert java_map([("id", "7")]) == "{id=7}"
    assert java_map([("A", "1"), ("b", "x=y"), ("A", "2")]) == "{A=1,2, b=x=y}"


def test_long_messages_are_truncated_at_1024_characters() -> None:
    assert truncate("x" * 1024) == "x" * 1024
    cut = truncate("y" * 5000)
    assert len(cut) == 1024 and cut.endswith("y [TRUNCATED]")


def test_render_has_the_header_line_and_a_timestamp_per_line() -> None:
    clock = iter([NOON, NOON + 1])
    log = ExecutionLog("req-1", clock=lambda: next(clock))
    log.add("Starting execution for request: req-1")
    log.add("z" * 2000)
    lines = log.render().split("\n")
    assert lines[0] == "Execution log for request req-1"
    assert lines[1] == "Sat Nov 21 12:00:00 UTC 2026 : Starting execution for request: req-1"
    assert lines[2].startswith("Sat Nov 21 12:00:01 UTC 2026 : zzz")
    assert lines[2].endswith(" [TRUNCATED]")
    assert lines[3] == ""  # the log ends with a newline


def test_endpoint_and_method_lines() -> None:
    log = ExecutionLog("r", clock=lambda: NOON)
    log.endpoint_request("http://h/x", [("Accept", "application/json")], b'{"a": 1}')
    log.endpoint_response(200, 12, [("X-Up", "1")], b"ok")
    log.method_response(
        Response(200, [("Content-Type", "text/plain"), ("x-amzn-RequestId", "r")], b"done")
    )
    assert [m for _, m in log.lines] == [
        "Endpoint request URI: http://h/x",
        "Endpoint request headers: {Accept=application/json}",
        'Endpoint request body after transformations: {"a": 1}',
        "Sending request to http://h/x",
        "Received response. Status: 200, Integration latency: 12 ms",
        "Endpoint response headers: {X-Up=1}",
        "Endpoint response body before transformations: ok",
        "Method response body after transformations: done",
        "Method response headers: {Content-Type=text/plain}",
    ]


def test_method_headers_drop_what_the_edge_adds() -> None:
    headers = [("x-amzn-RequestId", "1"), ("X-Amz-Apigw-Id", "2"), ("X-Amzn-Trace-Id", "3")]
    assert method_headers(headers) == [("X-Amzn-Trace-Id", "3")]


async def test_the_pipeline_writes_nothing_without_a_recorder() -> None:
    d = definition()
    add(d, "/", "GET", responses={"200": {"statusCode": "200"}})
    ctx = context(stage(d))
    await rest_pipeline(()).run(ctx)
    assert ctx.execution_log is None and ctx.response is not None


async def test_the_stages_write_the_lines_of_an_http_request() -> None:
    d = definition()
    add(
        d,
        "/pets/{id}",
        "POST",
        {
            "type": "HTTP",
            "httpMethod": "POST",
            "uri": "http://backend.example/pets/{id}",
            "requestParameters": {"integration.request.path.id": "method.request.path.id"},
        },
        responses={"200": {"statusCode": "200"}},
    )
    upstream = RecordingUpstream(Response(200, [("X-Up", "yes")], b'{"ok":1}'))
    ctx = context(
        stage(d, upstream=upstream),
        "POST",
        "/pets/9",
        headers=[("Content-Type", "application/json")],
        body=b'{"n":1}',
        query="a=1&a=2",
    )
    ctx.execution_log = ExecutionLog(ctx.request_id, clock=lambda: NOON)
    await rest_pipeline(()).run(ctx)
    lines = [m for _, m in ctx.execution_log.lines]
    sent = upstream.sent[0]
    assert lines[:6] == [
        f"Starting execution for request: {ctx.request_id}",
        "HTTP Method: POST, Resource Path: /pets/9",
        "Method request path: {id=9}",
        "Method request query string: {a=1,2}",
        "Method request headers: {Content-Type=application/json}",
        'Method request body before transformations: {"n":1}',
    ]
    assert lines[6] == "Endpoint request URI: http://backend.example/pets/9"
    assert lines[7] == f"Endpoint request headers: {java_map(sent['headers'])}"
    assert lines[8:] == [
        'Endpoint request body after transformations: {"n":1}',
        "Sending request to http://backend.example/pets/9",
        f"Received response. Status: 200, Integration latency: {ctx.integration_latency} ms",
        "Endpoint response headers: {X-Up=yes}",
        'Endpoint response body before transformations: {"ok":1}',
        'Method response body after transformations: {"ok":1}',
        f"Method response headers: {{Content-Type=application/json, X-Amzn-Trace-Id={ctx.trace_id}}}",
        "Successfully completed execution",
        "Method completed with status: 200",
    ]


async def test_a_failed_request_logs_why_and_its_status() -> None:
    d = definition()
    add(d, "/", "GET", {"type": "MOCK", "requestTemplates": {"application/json": "nope"}})
    ctx = context(stage(d))
    ctx.execution_log = ExecutionLog(ctx.request_id, clock=lambda: NOON)
    await rest_pipeline(()).run(ctx)
    assert [m for _, m in ctx.execution_log.lines][-2:] == [
        "Execution failed due to configuration error: Unable to parse statusCode. It should be "
        "an integer that is defined in the request template.",
        "Method completed with status: 500",
    ]

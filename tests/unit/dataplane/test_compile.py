"""Compiling a stage: route tree, per-method configuration errors, warnings for what Tollway
does not act on yet, stage variables in URIs, the access-log format."""

from __future__ import annotations

import re

from tests.unit.dataplane.conftest import RecordingUpstream, add, context, definition, stage

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.handlers.route import ResourceRouter
from tollway.model.rest import RestApiDefinition


def _with_everything_unsupported() -> RestApiDefinition:
    d = definition()
    resource = add(d, "/secure", "GET")
    method = d["resources"][resource]["resourceMethods"]["GET"]
    method.update(authorizationType="AWS_IAM", apiKeyRequired=True)
    d["api"]["policy"] = "{}"
    d["extensions"]["x-amazon-apigateway-documentation"] = {}
    add(
        d,
        "/svc",
        "GET",
        {
            "type": "AWS_PROXY",
            "httpMethod": "POST",
            "uri": "arn:aws:apigateway:us-east-1:firehose:action/PutRecord",
        },
    )
    return d


def test_warnings_name_each_unsupported_feature_and_where() -> None:
    compiled = stage(_with_everything_unsupported(), cacheClusterEnabled=True)
    warnings = "\n".join(compiled.warnings)
    for expected in (
        "AWS_IAM authorization: no identities are configured (--identities FILE), so every "
        "request is refused on GET /secure",
        "AWS_PROXY integrations with services other than Lambda "
        "(arn:aws:apigateway:us-east-1:firehose:action/PutRecord) on GET /svc",
        "the stage cache (cacheClusterEnabled) is on but no method setting enables caching",
        "the resource policy cannot be read (the policy document has no Statement): every "
        "request gets 500",
        "the OpenAPI extension x-amazon-apigateway-documentation is kept but not acted on",
    ):
        assert expected in warnings
    assert "API keys" not in warnings  # enforced (handlers/api_key.py)


def test_a_plain_api_compiles_without_warnings() -> None:
    d = definition()
    add(d, "/a", "GET")
    assert stage(d).warnings == []


async def test_stage_variables_are_resolved_in_http_uris_once() -> None:
    upstream = RecordingUpstream()
    d = definition()
    add(
        d,
        "/p",
        "GET",
        {"type": "HTTP_PROXY", "httpMethod": "GET", "uri": "http://${stageVariables.host}/base"},
    )
    compiled = stage(d, variables={"host": "backend.test:8000"}, upstream=upstream)
    ctx = context(compiled, "GET", "/p", query="x=1")
    await ResourceRouter()(HandlerChain(), ctx)
    assert ctx.method is not None
    await ctx.method.integration.invoke(ctx)
    assert upstream.sent[0]["url"] == "http://backend.test:8000/base?x=1"


def test_default_access_log_is_clf_with_dashes_for_missing_values() -> None:
    ctx = context(stage(definition()), "GET", "/x")
    line = ctx.stage.access_log.render(ctx)
    assert re.fullmatch(
        r'10\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET - HTTP/1\.1" - - '
        rf"{ctx.request_id} {re.escape(ctx.extended_request_id)}",
        line,
    ), line


def test_custom_access_log_format() -> None:
    compiled = stage(
        definition(),
        accessLogSettings={
            "format": '{"id":"$context.requestId","stage":"$context.stage","v":"$stageVariables.v"}\n'
        },
        variables={"v": "7"},
    )
    ctx = context(compiled)
    assert compiled.access_log.render(ctx) == f'{{"id":"{ctx.request_id}","stage":"test","v":"7"}}'

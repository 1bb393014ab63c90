"""The method response stage: the headers API Gateway adds to successful answers."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.dataplane.conftest import add, context, definition, stage

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.context import Response
from tollway.dataplane.handlers.method_response import MethodResponse
from tollway.dataplane.handlers.route import ResourceRouter

LAMBDA_URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:000000000000:function:f/invocations"
)


@pytest.mark.parametrize(
    ("integration", "traced"),
    [
        ({"type": "MOCK"}, False),
        ({"type": "HTTP_PROXY", "httpMethod": "GET", "uri": "http://b.test"}, False),
        ({"type": "HTTP", "httpMethod": "GET", "uri": "http://b.test"}, True),
        ({"type": "AWS_PROXY", "httpMethod": "POST", "uri": LAMBDA_URI}, True),
    ],
)
async def test_request_ids_always_and_trace_id_for_traced_types(
    integration: dict[str, Any], traced: bool
) -> None:
    d = definition()
    add(d, "/r", "GET", integration)
    ctx = context(stage(d), "GET", "/r")
    await ResourceRouter()(HandlerChain(), ctx)
    ctx.response = Response(200, [("X", "1")])
    await MethodResponse()(HandlerChain(), ctx)
    expected = [
        ("X", "1"),
        ("x-amzn-RequestId", ctx.request_id),
        ("x-amz-apigw-id", ctx.extended_request_id),
    ]
    if traced:
        expected.append(("X-Amzn-Trace-Id", ctx.trace_id))
    assert ctx.response.headers == expected

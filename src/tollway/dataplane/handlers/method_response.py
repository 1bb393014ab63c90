"""Method response: the headers API Gateway adds to every answer it sends.

AWS counterpart: the method response as the client receives it (spec §12.1):
`x-amzn-RequestId`, `x-amz-apigw-id`, and `X-Amzn-Trace-Id` for Lambda, AWS and HTTP
integrations.
"""

from __future__ import annotations

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.context import Response, RestContext

TRACED_TYPES = frozenset({"AWS_PROXY", "AWS", "HTTP"})


class MethodResponse:
    async def __call__(self, chain: HandlerChain, ctx: RestContext) -> None:
        response = ctx.response
        assert response is not None
        add_headers(ctx, response)


def add_headers(ctx: RestContext, response: Response) -> None:
    """This request's own headers (a cache hit gets them too: cache_lookup.py)."""
    assert ctx.method is not None
    response.headers.append(("x-amzn-RequestId", ctx.request_id))
    response.headers.append(("x-amz-apigw-id", ctx.extended_request_id))
    if ctx.method.integration_type in TRACED_TYPES:
        response.headers.append(("X-Amzn-Trace-Id", ctx.trace_id))
    if ctx.execution_log is not None:
        ctx.execution_log.method_response(response)

"""The headers HTTP APIs put on every response they send (spec §12.1, §9.2).

AWS counterpart: the HTTP API response as the client receives it: `apigw-requestid` (the
request id) on every response, success or error, and the API's CORS headers when it has a
CORS configuration (`CompiledHttpStage.cors`, dataplane/http_api/cors.py). Neither
`x-amzn-RequestId` nor `x-amz-apigw-id` (REST's) is sent. `Date`, `Content-Length` and
`Connection` are the transport's.
"""

from __future__ import annotations

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.context import Response
from tollway.dataplane.http_api.context import HttpContext


def finish_response(ctx: HttpContext, response: Response) -> Response:
    """Every response's last step, the pipeline's (ResponseHeaders) and the error
    renderer's alike."""
    cors = ctx.stage.cors
    if cors is not None:
        cors.decorate(ctx, response)
    response.headers.append(("apigw-requestid", ctx.request_id))
    return response


class ResponseHeaders:
    async def __call__(self, chain: HandlerChain, ctx: HttpContext) -> None:
        assert ctx.response is not None
        finish_response(ctx, ctx.response)

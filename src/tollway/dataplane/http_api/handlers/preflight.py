"""CORS preflight, before routing (spec §9.2).

AWS counterpart: an HTTP API with a CORS configuration answers preflight `OPTIONS` requests
itself, whatever routes it has. The policy (`CompiledHttpStage.cors`, compiled from
`Api.CorsConfiguration` by dataplane/http_api/cors.py) decides whether a request is a
preflight and what the answer is; without a CORS configuration this stage returns at once
and OPTIONS requests are routed like any other.
"""

from __future__ import annotations

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.http_api.context import HttpContext


class CorsPreflight:
    async def __call__(self, chain: HandlerChain, ctx: HttpContext) -> None:
        cors = ctx.stage.cors
        if cors is None or ctx.request.method != "OPTIONS":
            return
        answer = cors.preflight(ctx)
        if answer is not None:
            # The preflight answer gets apigw-requestid like any response, then stops.
            ctx.response = answer
            ctx.response.headers.append(("apigw-requestid", ctx.request_id))
            chain.stop()

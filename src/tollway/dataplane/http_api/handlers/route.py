"""Route selection: which route of the deployment serves the request (spec §1.5), and the
CORS preflight answer for an OPTIONS request no route takes (spec §9.2).

AWS counterpart: HTTP API route evaluation (routes.py has the priority rules). The path the
routes see is the request path without a named stage's segment. No route, and no `$default`
route: 404 `{"message":"Not Found"}`.

CORS: an HTTP API with a CORS configuration answers preflight `OPTIONS` requests itself,
"even if there isn't an OPTIONS route". Routes still come first: AWS documents that a
`$default` (or `ANY`) route catches OPTIONS requests too, so the policy
(`CompiledHttpStage.cors`: cors.py's `CorsPolicy` bound by bindings.py) answers only the
OPTIONS requests no route takes, where route selection would answer 404. This lives here,
not in a stage of its own, so that requests to APIs without CORS pay nothing for it.
"""

from __future__ import annotations

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.errors import ResourceNotFound
from tollway.dataplane.http_api.context import HttpContext


class RouteSelection:
    async def __call__(self, chain: HandlerChain, ctx: HttpContext) -> None:
        request = ctx.request
        found = ctx.stage.routes.match(request.method, request.path)
        if found is None:
            cors = ctx.stage.cors
            if cors is not None and request.method == "OPTIONS":
                answer = cors.preflight(ctx)
                if answer is not None:
                    # The preflight answer gets apigw-requestid like any response, then stops.
                    answer.headers.append(("apigw-requestid", ctx.request_id))
                    ctx.response = answer
                    chain.stop()
                    return
            raise ResourceNotFound(log=f"no route for {request.method} {request.path}")
        ctx.route, ctx.path_parameters = found

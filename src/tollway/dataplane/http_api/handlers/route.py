"""Route selection: which route of the deployment serves the request (spec §1.5).

AWS counterpart: HTTP API route evaluation (routes.py has the priority rules). The path the
routes see is the request path without a named stage's segment. No route, and no `$default`
route: 404 `{"message":"Not Found"}`.
"""

from __future__ import annotations

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.errors import ResourceNotFound
from tollway.dataplane.http_api.context import HttpContext


class RouteSelection:
    async def __call__(self, chain: HandlerChain, ctx: HttpContext) -> None:
        found = ctx.stage.routes.match(ctx.request.method, ctx.request.path)
        if found is None:
            raise ResourceNotFound(log=f"no route for {ctx.request.method} {ctx.request.path}")
        ctx.route, ctx.path_parameters = found

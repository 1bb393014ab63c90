"""The integration: the route's target answers the request (integrations.py).

AWS counterpart: the HTTP API integration (AWS_PROXY with Lambda, HTTP_PROXY).
"""

from __future__ import annotations

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.http_api.context import HttpContext


class Integration:
    async def __call__(self, chain: HandlerChain, ctx: HttpContext) -> None:
        assert ctx.route is not None
        await ctx.route.integration.invoke(ctx)

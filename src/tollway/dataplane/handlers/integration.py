"""Integration: calls the method's backend (integrations/, one class per type).

AWS counterpart: the integration (MOCK, HTTP, HTTP_PROXY, AWS_PROXY, AWS). A proxy
integration answers the client itself; a non-proxy one leaves the endpoint response for the
integration-response stage.
"""

from __future__ import annotations

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.context import RestContext


class Integration:
    async def __call__(self, chain: HandlerChain, ctx: RestContext) -> None:
        assert ctx.method is not None
        await ctx.method.integration.invoke(ctx)

"""Route authorization: the route's authorizer (spec §5.7, §5.8) or IAM (spec §5.3).

AWS counterpart: HTTP API route authorization, between route selection and the integration.
HTTP APIs have no resource policies: the route's mode decides alone
(`CompiledRoute.authorization`: AWS_IAM, CUSTOM (a Lambda REQUEST authorizer), JWT). A route
without authorization returns at once.
"""

from __future__ import annotations

from tollway.dataplane.auth.outcome import Decision
from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.http_api.context import HttpContext


class RouteAuthorization:
    async def __call__(self, chain: HandlerChain, ctx: HttpContext) -> None:
        assert ctx.route is not None  # routed
        authorization = ctx.route.authorization
        if authorization is None:
            return
        decision = await authorization.authorize(ctx)
        if decision is not Decision.ALLOW:
            raise authorization.denied(ctx, decision)

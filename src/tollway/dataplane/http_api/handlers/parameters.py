"""Parameter mapping around the integration (spec §4.8).

AWS counterpart: HTTP API parameter mapping: an integration's `RequestParameters`
(`append|overwrite|remove:header.*`, `...:querystring.*`, `overwrite:path`) change the request
sent to the backend; its `ResponseParameters` (by status code) change the response. The
mappings are compiled by dataplane/http_api/parameters.py and hang on the route
(`CompiledRoute.request_parameters` / `.response_parameters`); a route without them passes
through both stages at once.
"""

from __future__ import annotations

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.http_api.context import HttpContext


class RequestParameters:
    """Before the integration: fills `ctx.integration_request`."""

    async def __call__(self, chain: HandlerChain, ctx: HttpContext) -> None:
        assert ctx.route is not None
        mapping = ctx.route.request_parameters
        if mapping is not None:
            mapping.apply(ctx)


class ResponseParameters:
    """After the integration: the response as the mapping changes it."""

    async def __call__(self, chain: HandlerChain, ctx: HttpContext) -> None:
        assert ctx.route is not None and ctx.response is not None
        mapping = ctx.route.response_parameters
        if mapping is not None:
            ctx.response = mapping.apply(ctx, ctx.response)

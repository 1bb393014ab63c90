"""The integration: the route's target answers the request (integrations.py), with the
integration's parameter mappings around it.

AWS counterpart: the HTTP API integration (AWS_PROXY with Lambda or an AWS service,
HTTP_PROXY) and HTTP API parameter mapping: an integration's `RequestParameters`
(`append|overwrite|remove:header.*`, `...:querystring.*`, `overwrite:path`) change the request
sent to the backend; its `ResponseParameters` (by status code) change the response. The
mappings are compiled by dataplane/http_api/parameters.py and hang on the route
(`CompiledRoute.request_parameters` / `.response_parameters`); a route without them costs one
`is None` each (they are not stages of their own, so that routes without mappings pay
nothing more).
"""

from __future__ import annotations

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.http_api.context import HttpContext


class Integration:
    async def __call__(self, chain: HandlerChain, ctx: HttpContext) -> None:
        route = ctx.route
        assert route is not None
        request_mapping = route.request_parameters
        if request_mapping is not None:
            request_mapping.apply(ctx)  # fills ctx.integration_request
        await route.integration.invoke(ctx)
        response_mapping = route.response_parameters
        if response_mapping is not None:
            assert ctx.response is not None
            ctx.response = response_mapping.apply(ctx, ctx.response)

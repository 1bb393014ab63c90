"""Method request routing: which resource and method of the deployment serve the request.

AWS counterpart: API Gateway's resource/method selection (spec §1.2-1.3). No match, or a
resource without the verb, is MISSING_AUTHENTICATION_TOKEN (403 "Missing Authentication
Token"), as on AWS.
"""

from __future__ import annotations

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.context import RestContext
from tollway.dataplane.errors import ApiConfigurationError, MissingAuthenticationToken


class ResourceRouter:
    async def __call__(self, chain: HandlerChain, ctx: RestContext) -> None:
        found = ctx.stage.router.match(ctx.request.method, ctx.request.path)
        if found is None:
            raise MissingAuthenticationToken()
        ctx.method, ctx.path_parameters = found
        if ctx.execution_log is not None:
            ctx.execution_log.method_request(ctx)
        if ctx.method.config_error:
            raise ApiConfigurationError(
                log=f"Execution failed due to configuration error: {ctx.method.config_error}"
            )

"""Method request validation: the checks of the method's request validator.

AWS counterpart: API Gateway's basic request validation (spec §10.3), which runs after
authorization and before the integration request: required parameters first (400
BAD_REQUEST_PARAMETERS), then the body against its model (400 BAD_REQUEST_BODY). What to
check was compiled with the deployment (`dataplane/validation.py`).
"""

from __future__ import annotations

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.context import RestContext
from tollway.dataplane.handlers.integration_request import media_type


class MethodRequestValidation:
    async def __call__(self, chain: HandlerChain, ctx: RestContext) -> None:
        method = ctx.method
        assert method is not None
        if method.validation is not None:
            method.validation.validate(ctx, media_type(ctx.request.header("Content-Type")))

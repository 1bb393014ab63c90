"""API key and usage plan: which key a request presents, and whether it may use this stage.

AWS counterpart: API Gateway's API key validation for methods with `apiKeyRequired` (spec
§5.9), after authorization. The key is read from the `x-api-key` header (any case) when the
API's `apiKeySource` is HEADER, or is the Lambda authorizer's `usageIdentifierKey` when it is
AUTHORIZER. A missing, unknown or disabled key, or one in no usage plan covering this API
stage, is refused: 403 `{"message":"Forbidden"}`, INVALID_API_KEY. An accepted key sets
`$context.identity.apiKey`/`apiKeyId` and its plan's limits (`ctx.usage_plan`), which the
throttle stage applies (quota and plan throttles, in the same call as the other levels).

Keys and plans are read from the KeyIndex (dataplane/usage_plans.py), so they take effect at
once, without a redeployment, as on AWS. A method without `apiKeyRequired` returns at once.
"""

from __future__ import annotations

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.context import RestContext
from tollway.dataplane.errors import InvalidApiKey
from tollway.dataplane.usage_plans import KeyIndex


class ApiKeyAndUsagePlan:
    def __init__(self, keys: KeyIndex) -> None:
        self._keys = keys

    async def __call__(self, chain: HandlerChain, ctx: RestContext) -> None:
        assert ctx.method is not None  # routed
        if not ctx.method.api_key_required:
            return
        stage = ctx.stage
        if stage.api_key_source == "AUTHORIZER":
            value = ctx.authorizer.usage_identifier_key if ctx.authorizer is not None else None
        else:
            value = ctx.request.header("x-api-key")
        key = self._keys.key(value) if value else None
        if key is None or not key.enabled:
            raise InvalidApiKey(log="the API key is missing, unknown or disabled")
        plan = self._keys.plan(stage.api_id, stage.stage_name, key.id)
        if plan is None:
            raise InvalidApiKey(log=f"API key {key.id} is in no usage plan of this stage")
        ctx.api_key = key
        ctx.usage_plan = plan

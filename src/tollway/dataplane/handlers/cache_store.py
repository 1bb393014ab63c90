"""Cache store: keeps a cached method's response in the stage cache.

AWS counterpart: the stage's API cache being filled on a miss (spec §8). Runs once the
response is final (after the integration response, before the per-request headers of the
method response), only when the lookup left a key: a response that went through a typed
error (API Gateway's own errors) never gets here. What the client is sent is not copied: the
entry shares the body and takes a snapshot of the headers.
"""

from __future__ import annotations

from tollway.dataplane.caching import WARNING_HEADER
from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.context import RestContext
from tollway.state.response_cache import CachedResponse


class CacheStore:
    async def __call__(self, chain: HandlerChain, ctx: RestContext) -> None:
        key = ctx.cache_key
        if key is None:
            return
        response = ctx.response
        assert response is not None and ctx.method is not None and ctx.method.cache is not None
        cache = ctx.method.cache
        await cache.store.put(
            key, CachedResponse(response.status, tuple(response.headers), response.body), cache.ttl
        )
        if ctx.cache_warning:
            response.headers.append(WARNING_HEADER)

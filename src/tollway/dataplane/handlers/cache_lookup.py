"""Cache lookup: answers a cached method's request from the stage cache.

AWS counterpart: the stage's API cache, consulted after method request validation and before
the integration request (spec §8; the rules are caching.py's). A hit is sent as it was stored,
with this request's own `x-amzn-RequestId` and friends (method_response.add_headers), and the
integration is not called. A miss leaves `ctx.cache_key` for cache_store.py to store the
response under. `Cache-Control: max-age=0` from a caller who may invalidate skips the lookup
(the response then replaces the entry); from one who may not, the method's
`unauthorizedCacheControlHeaderStrategy` applies.
"""

from __future__ import annotations

from tollway.dataplane.caching import FAIL_WITH_403, SUCCEED_WITH_RESPONSE_HEADER, WARNING_HEADER
from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.context import Response, RestContext
from tollway.dataplane.errors import AccessDenied
from tollway.dataplane.handlers.method_response import add_headers


class CacheLookup:
    async def __call__(self, chain: HandlerChain, ctx: RestContext) -> None:
        assert ctx.method is not None
        cache = ctx.method.cache
        if cache is None:
            return
        key = ctx.cache_key = cache.key(ctx)
        control = ctx.request.header("Cache-Control")
        if control is not None and _max_age_zero(control):
            if cache.may_invalidate(ctx):
                cache.store.misses += 1  # served by the integration, stored again
                return
            if cache.strategy == FAIL_WITH_403:
                ctx.cache_key = None
                raise AccessDenied(cache.refusal(ctx))
            if cache.strategy == SUCCEED_WITH_RESPONSE_HEADER:
                ctx.cache_warning = True
        cached = await cache.store.get(key)
        if cached is None:
            return
        response = ctx.response = Response(cached.status, list(cached.headers), cached.body)
        if ctx.cache_warning:
            response.headers.append(WARNING_HEADER)
        ctx.cache_key = None  # nothing to store
        add_headers(ctx, response)
        chain.stop()


def _max_age_zero(value: str) -> bool:
    return any(part.strip().lower().replace(" ", "") == "max-age=0" for part in value.split(","))

"""Route throttling: the route's bucket and the account's, in one call.

AWS counterpart: HTTP API throttling (spec §6.3, §7.4): the stage's `RouteSettings` for the
route key, else its `DefaultRouteSettings` (compiled per route: dataplane/throttling.py), and
the account level (`--account-throttle`), which every request counts against. An empty bucket
is 429 `{"message":"Too Many Requests"}` (UNCONFIRMED body, spec Appendix A). HTTP APIs have
no API keys or usage plans.
"""

from __future__ import annotations

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.errors import Throttled
from tollway.dataplane.http_api.context import HttpContext
from tollway.state.limits import OK, Bucket, Limits


class RouteThrottle:
    def __init__(self, limits: Limits, account: Bucket) -> None:
        self._limits = limits
        self._account = account
        self._account_only = (account,)

    async def __call__(self, chain: HandlerChain, ctx: HttpContext) -> None:
        assert ctx.route is not None  # routed
        own = ctx.route.throttle
        buckets = self._account_only if own is None else (own, self._account)
        if await self._limits.acquire(buckets, None) != OK:
            raise Throttled()

"""Throttling and quotas: every level's token bucket, and the usage plan's quota, in one call.

AWS counterpart: API Gateway's request throttling (spec §6.3). The levels, most specific
first, all applied (so the most restrictive one decides):
1. the usage plan's per-method throttle for the key (`apiStages[].throttle`
   `"{resourcePath}/{httpMethod}"`), then the plan's `throttle`, per key;
2. the stage's method throttling (`methodSettings`, compiled per method: throttling.py);
3. the account level (`--account-throttle`, AWS's default 10,000 rps with a burst of 5,000).
A request with a key in a plan with a quota also takes one from it. One `Limits.acquire`
call checks everything (one Redis round trip with `--state redis://`): an empty bucket is
429 `{"message":"Too Many Requests"}` (THROTTLED), a used-up quota 429
`{"message":"Limit Exceeded"}` (QUOTA_EXCEEDED); a refused request consumes nothing.

A method with nothing configured still takes from the account bucket: one call with one
bucket, as AWS counts every request against the account.
"""

from __future__ import annotations

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.context import RestContext
from tollway.dataplane.errors import QuotaExceeded, Throttled
from tollway.state.limits import OK, THROTTLED, Bucket, Limits


class Throttle:
    def __init__(self, limits: Limits, account: Bucket) -> None:
        self._limits = limits
        self._account = account
        self._account_only = (account,)

    async def __call__(self, chain: HandlerChain, ctx: RestContext) -> None:
        method = ctx.method
        assert method is not None  # routed
        plan = ctx.usage_plan
        if plan is None:
            own = method.throttle
            buckets = self._account_only if own is None else (own, self._account)
            verdict = await self._limits.acquire(buckets, None)
        else:
            levels = (plan.methods.get(method.throttle_key), plan.bucket, method.throttle)
            found = [b for b in levels if b is not None]
            found.append(self._account)
            verdict = await self._limits.acquire(found, plan.quota)
        if verdict == OK:
            return
        if verdict == THROTTLED:
            raise Throttled()
        raise QuotaExceeded()

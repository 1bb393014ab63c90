"""API keys, throttling and the new-connection rate of WebSocket APIs (spec §5.9, §6.3, §13.6).

AWS counterpart: API keys on `$connect`, WebSocket route throttling (a stage's
`RouteSettings[route key]` over its `DefaultRouteSettings`, compiled per route at deployment:
dataplane/throttling.py), the account-level throttle every request counts against, and the
"new connections per second" quota of an account (500 on AWS).

`$connect` (after its authorization, before its integration; a refusal consumes nothing):
- `ApiKeyRequired` on the `$connect` route: the key is the `x-api-key` header
  (`apiKeySelectionExpression` `$request.header.x-api-key`, the default) or the Lambda
  authorizer's `usageIdentifierKey` (`$context.authorizer.usageIdentifierKey`). A missing,
  unknown or disabled key, or one in no usage plan covering this API stage: the upgrade is
  refused with 403 `{"message":"Forbidden"}` (REST's INVALID_API_KEY answer; AWS's WebSocket
  body is UNCONFIRMED). The keys and plans are the REST ones (usage_plans.KeyIndex): they take
  effect at once, without a redeployment.
- One `Limits.acquire` for the connection: the key's plan throttle and quota, the `$connect`
  route's bucket, the account bucket and the new-connection bucket (`--websocket-connection-
  rate`; its burst is the rate, Tollway's choice: AWS gives none). An empty bucket refuses
  with 429 `{"message":"Too Many Requests"}`, a used-up quota with 429
  `{"message":"Limit Exceeded"}` (REST's bodies; AWS's WebSocket bodies are UNCONFIRMED).

Messages: one `Limits.acquire` with the route's bucket (when it has one) and the account's.
A throttled message is not handled: the client gets the frame
`{"message": "Too Many Requests", "connectionId":"...", "requestId":"..."}` (the shape of
AWS's other error frames, session.py; the wording is UNCONFIRMED). Messages count against
neither the key's quota nor its plan throttle: AWS checks API keys on `$connect` only, and
whether it meters messages against the key is not documented (Tollway's choice, UNCONFIRMED).
A usage plan's per-method throttles (`apiStages[].throttle`) do not apply to WebSocket
routes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tollway.dataplane.usage_plans import RequestLimits
from tollway.dataplane.websocket.authorize import Refused
from tollway.state.limits import OK, THROTTLED, Bucket

if TYPE_CHECKING:
    from tollway.dataplane.websocket.compiled import CompiledRoute, CompiledWsStage
    from tollway.dataplane.websocket.events import Connection

DEFAULT_CONNECTION_RATE = 500.0  # new connections a second per account (spec §13.6)
HEADER = "$request.header.x-api-key"
AUTHORIZER = "$context.authorizer.usageIdentifierKey"


def connection_bucket(rate: float) -> Bucket | None:
    """The account's new-connection bucket; a negative rate turns the limit off."""
    if rate < 0:
        return None
    return Bucket("wsconn", rate, max(int(rate), 1) if rate > 0 else 0)


class WsMetering:
    def __init__(self, limits: RequestLimits, connections: Bucket | None) -> None:
        self._keys = limits.keys
        self._limits = limits.limits
        self._account = limits.account
        self._account_only = (limits.account,)
        self._connections = connections

    async def connect(self, stage: CompiledWsStage, conn: Connection) -> None:
        """Raises Refused when the connection may not be made (key, throttles, quota)."""
        buckets: list[Bucket] = []
        quota = None
        if stage.api_key_source is not None:
            if stage.api_key_source == AUTHORIZER:
                value = conn.usage_identifier_key
            else:
                value = conn.header("x-api-key")
            key = self._keys.key(value) if value else None
            if key is None or not key.enabled:
                raise Refused(403, "Forbidden", "the API key is missing, unknown or disabled")
            plan = self._keys.plan(stage.api_id, stage.stage_name, key.id)
            if plan is None:
                raise Refused(403, "Forbidden", f"API key {key.id} is in no usage plan of this "
                              "stage")  # fmt: skip
            if plan.bucket is not None:
                buckets.append(plan.bucket)
            quota = plan.quota
            conn.identity["apiKey"] = key.value
            conn.identity["apiKeyId"] = key.id
        route = stage.connect
        if route is not None and route.throttle is not None:
            buckets.append(route.throttle)
        buckets.append(self._account)
        if self._connections is not None:
            buckets.append(self._connections)
        verdict = await self._limits.acquire(buckets, quota)
        if verdict == THROTTLED:
            raise Refused(429, "Too Many Requests", "throttled (a token bucket is empty)")
        if verdict != OK:
            raise Refused(429, "Limit Exceeded", "the API key's usage plan quota is used up")

    async def message(self, route: CompiledRoute) -> bool:
        """Whether a message to `route` may be handled (a token from each bucket)."""
        own = route.throttle
        buckets = self._account_only if own is None else (own, self._account)
        return await self._limits.acquire(buckets, None) == OK

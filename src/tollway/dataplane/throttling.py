"""Throttle settings of a deployment's stage, compiled to token buckets (spec §6.3, §7.1, §7.4).

REST: a stage's `methodSettings` — `~1pets/GET` (the resource path with `/` escaped as `~1`)
overrides `*/*` for that method. AWS applies stage throttling per method ("per-API,
per-stage throttling limits are applied at the API method level"), so each method has its own
bucket. Settings equal to AWS's defaults (10,000 rps, burst 5,000, what UpdateStage fills in)
are no tighter than the account level and get no bucket; neither does a negative rate or
burst, which turns the level's throttling off (Terraform writes -1 for "disabled"; a rate and
burst of 0 refuse every request, as the console's do).
HTTP APIs: a stage's `RouteSettings[route key]` overrides its `DefaultRouteSettings`, per route.

The account level and the usage-plan levels are added per request (handlers/throttle.py).
"""

from __future__ import annotations

from typing import Any

from tollway.dataplane.caching import setting_key
from tollway.state.limits import Bucket

AWS_DEFAULT = (10000.0, 5000)  # (rateLimit, burstLimit) of a method setting left as it came


def rest_method_bucket(
    method_settings: dict[str, Any] | None, api_id: str, stage: str, path: str, verb: str
) -> Bucket | None:
    settings = method_settings or {}
    own = settings.get(setting_key(path, verb)) or settings.get("*/*")
    if not own:
        return None
    rate, burst = own.get("throttlingRateLimit"), own.get("throttlingBurstLimit")
    if rate is None and burst is None:
        return None
    return _bucket(f"m:{api_id}:{stage}:{verb}:{path}", rate, burst)


def http_route_bucket(stage: dict[str, Any], api_id: str, route_key: str) -> Bucket | None:
    own = (stage.get("RouteSettings") or {}).get(route_key) or {}
    default = stage.get("DefaultRouteSettings") or {}
    rate = own.get("ThrottlingRateLimit", default.get("ThrottlingRateLimit"))
    burst = own.get("ThrottlingBurstLimit", default.get("ThrottlingBurstLimit"))
    if rate is None and burst is None:
        return None
    return _bucket(f"r:{api_id}:{stage.get('StageName', '')}:{route_key}", rate, burst)


def _bucket(key: str, rate: Any, burst: Any) -> Bucket | None:
    """A bucket for a level's limits; the AWS default for a missing one."""
    rate = float(rate) if rate is not None else AWS_DEFAULT[0]
    burst = int(burst) if burst is not None else AWS_DEFAULT[1]
    if rate < 0 or burst < 0 or (rate, burst) == AWS_DEFAULT:
        return None
    return Bucket(key, rate, burst)

"""The HTTP API request pipeline: the ordered list of stages, on one screen.

    route (no route for an OPTIONS request: the CORS preflight answer)
      -> authorization (IAM, Lambda or JWT authorizer)
      -> throttle (the route's and the account's token buckets)
      -> integration (its request parameter mapping, the call, its response mapping)
      -> response headers (apigw-requestid, CORS)
    on a typed error: errors.render_error;  always: the access log

Few stages: what an API may not use (CORS, parameter mapping) is a check inside the stage it
belongs to rather than a stage of its own, which every request would await (measured: ~2% of
an HTTP_PROXY request). Authorization is a stage: it runs before the integration whatever the
route, and returns at once for a route without it.

Stage selection happens before (stages.py: it picks the compiled stage the context is
made with). The rest slot into `http_stages` at their place.
How a request runs through them is dataplane/chain.py, shared with REST.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tollway.dataplane.chain import Pipeline, Stage
from tollway.dataplane.http_api.context import HttpContext
from tollway.dataplane.http_api.errors import render_error
from tollway.dataplane.http_api.handlers.authorize import RouteAuthorization
from tollway.dataplane.http_api.handlers.integration import Integration
from tollway.dataplane.http_api.handlers.response import ResponseHeaders
from tollway.dataplane.http_api.handlers.route import RouteSelection
from tollway.dataplane.http_api.handlers.throttle import RouteThrottle
from tollway.dataplane.usage_plans import RequestLimits


def http_stages(limits: RequestLimits | None = None) -> list[Stage[HttpContext]]:
    limited: list[Stage[HttpContext]] = []
    if limits is not None:
        limited = [RouteThrottle(limits.limits, limits.account)]  # route and account buckets
    return [
        RouteSelection(),  # which route (or the CORS preflight answer no route takes)
        RouteAuthorization(),  # IAM, Lambda or JWT authorizer
        *limited,
        Integration(),  # request mapping, AWS_PROXY / HTTP_PROXY, response mapping
        ResponseHeaders(),  # apigw-requestid, CORS headers
    ]


def http_pipeline(
    finish: Sequence[Callable[[HttpContext], None]], limits: RequestLimits | None = None
) -> Pipeline[HttpContext]:
    return Pipeline(http_stages(limits), render_error, finish)

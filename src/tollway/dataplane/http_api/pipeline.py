"""The HTTP API request pipeline: the ordered list of stages, on one screen.

    CORS preflight -> route -> request parameters -> integration -> response parameters
                   -> response headers (apigw-requestid, CORS)
    on a typed error: errors.render_error;  always: the access log

Stage selection happens before (stages.py: it picks the compiled stage the context is
made with). Authorizers, throttling and the rest slot into `http_stages` at their place.
How a request runs through them is dataplane/chain.py, shared with REST.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tollway.dataplane.chain import Pipeline, Stage
from tollway.dataplane.http_api.context import HttpContext
from tollway.dataplane.http_api.errors import render_error
from tollway.dataplane.http_api.handlers.integration import Integration
from tollway.dataplane.http_api.handlers.parameters import RequestParameters, ResponseParameters
from tollway.dataplane.http_api.handlers.preflight import CorsPreflight
from tollway.dataplane.http_api.handlers.response import ResponseHeaders
from tollway.dataplane.http_api.handlers.route import RouteSelection


def http_stages() -> list[Stage[HttpContext]]:
    return [
        CorsPreflight(),  # CorsConfiguration: preflight OPTIONS answered before routing
        RouteSelection(),  # which route
        RequestParameters(),  # the integration's RequestParameters
        Integration(),  # AWS_PROXY (Lambda, payload 1.0/2.0) / HTTP_PROXY
        ResponseParameters(),  # the integration's ResponseParameters
        ResponseHeaders(),  # apigw-requestid, CORS headers
    ]


def http_pipeline(finish: Sequence[Callable[[HttpContext], None]]) -> Pipeline[HttpContext]:
    return Pipeline(http_stages(), render_error, finish)

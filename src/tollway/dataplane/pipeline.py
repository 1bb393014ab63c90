"""The REST request pipeline: the ordered list of stages, on one screen.

    route -> authorization -> API key & usage plan -> throttle -> decoding
          -> request validation -> cache lookup -> integration request -> integration
          -> integration response -> cache store -> method response
    on a typed error: the gateway response;  always: the access log

Authorization comes before decoding: a SigV4 signature covers the body as sent, compressed.

Without `limits` (TestInvokeMethod, unit tests) there is no API key or throttle stage.
How a request runs through them is chain.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tollway.dataplane.chain import Pipeline, Stage
from tollway.dataplane.compression import RequestDecoding
from tollway.dataplane.context import RestContext
from tollway.dataplane.handlers.api_key import ApiKeyAndUsagePlan
from tollway.dataplane.handlers.authorize import MethodAuthorization
from tollway.dataplane.handlers.cache_lookup import CacheLookup
from tollway.dataplane.handlers.cache_store import CacheStore
from tollway.dataplane.handlers.gateway_response import render_error
from tollway.dataplane.handlers.integration import Integration
from tollway.dataplane.handlers.integration_request import IntegrationRequest
from tollway.dataplane.handlers.integration_response import IntegrationResponse
from tollway.dataplane.handlers.method_request import MethodRequestValidation
from tollway.dataplane.handlers.method_response import MethodResponse
from tollway.dataplane.handlers.route import ResourceRouter
from tollway.dataplane.handlers.throttle import Throttle
from tollway.dataplane.usage_plans import RequestLimits


def rest_stages(limits: RequestLimits | None = None) -> list[Stage[RestContext]]:
    limited: list[Stage[RestContext]] = []
    if limits is not None:
        limited = [
            ApiKeyAndUsagePlan(limits.keys),  # apiKeyRequired: the key and its usage plan
            Throttle(limits.limits, limits.account),  # quota and every level's bucket
        ]
    return [
        ResourceRouter(),  # which resource and method
        MethodAuthorization(),  # resource policy; IAM, Lambda or Cognito authorizer
        *limited,
        RequestDecoding(),  # a compressed body decoded (minimumCompressionSize)
        MethodRequestValidation(),  # the request validator: required parameters, body model
        CacheLookup(),  # the stage cache: a hit answers here
        IntegrationRequest(),  # parameter mapping, request template, passthrough
        Integration(),  # MOCK / HTTP / HTTP_PROXY / AWS_PROXY
        IntegrationResponse(),  # selection pattern, response template, header mapping
        CacheStore(),  # a cached method's response kept in the stage cache
        MethodResponse(),  # the headers API Gateway adds
    ]


def rest_pipeline(
    finish: Sequence[Callable[[RestContext], None]], limits: RequestLimits | None = None
) -> Pipeline[RestContext]:
    return Pipeline(rest_stages(limits), render_error, finish)

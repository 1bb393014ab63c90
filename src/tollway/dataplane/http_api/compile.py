"""Compiles an HTTP API stage and its deployment's snapshot into what the data plane runs
(compiled.py).

Done once per stage, never per request: the route table (routes.py), one integration
handler per route (stage variables `${stageVariables.x}` substituted into integration URIs,
`TimeoutInMillis` checked), the access-log format, the CORS configuration (`cors.py`) and the
integrations' parameter mappings (`parameters.py`), bound to the pipeline by `bindings.py`.

Whatever the deployment uses that Tollway does not act on yet is collected as a warning and
logged when the stage is loaded, naming the feature and where it is used: API keys,
throttling settings, VPC links, `overwrite:path` on Lambda
integrations. Route authorization is compiled by `auth.build.route_authorization` (a mode it
cannot run refuses its requests with 500 and says so). AWS service integrations
(IntegrationSubtype) are compiled by `integrations.aws_subtypes`. A route whose integration
Tollway cannot run answers 500 and says why in the log.
"""

from __future__ import annotations

from typing import Any, cast

from tollway.dataplane.auth import build as auth
from tollway.dataplane.http_api import cors, parameters
from tollway.dataplane.http_api.bindings import RouteRequestMapping, RouteResponseMapping, StageCors
from tollway.dataplane.http_api.compiled import (
    AccessLogFormat,
    CompiledHttpStage,
    CompiledRoute,
    CorsPolicy,
    HttpIntegrationHandler,
    RequestParameterMapping,
    ResponseParameterMapping,
)
from tollway.dataplane.http_api.integrations import (
    HttpLambdaProxy,
    HttpProxy,
    HttpServiceIntegration,
)
from tollway.dataplane.http_api.routes import RouteError, RouteTable, split_route_key
from tollway.dataplane.http_api.variables import getter
from tollway.dataplane.integrations import (
    IntegrationServices,
    lambda_addresses,
    substitute_stage_variables,
)
from tollway.dataplane.integrations.aws_subtypes import SUBTYPES, SubtypeCall, SubtypeError
from tollway.dataplane.integrations.unsupported import UnsupportedIntegration
from tollway.dataplane.mapping.parameters import MappingError
from tollway.dataplane.substitution import compile_variables
from tollway.dataplane.throttling import http_route_bucket
from tollway.model.arns import lambda_function_of
from tollway.model.http_api import (
    DEFAULT_ROUTE,
    ApiDefinition,
    Integration,
    Route,
    Stage,
    integration_id_of,
)

DEFAULT_TIMEOUT_MILLIS = 30_000
MIN_TIMEOUT_MILLIS = 50
DEFAULT_PAYLOAD_FORMAT = "2.0"

CLF_FORMAT = (
    "$context.identity.sourceIp - - [$context.requestTime] "
    '"$context.httpMethod $context.routeKey $context.protocol" '
    "$context.status $context.responseLength $context.requestId"
)
"""The access-log format when the stage sets none: the console's CLF preset for HTTP APIs."""


def compile_stage(
    definition: ApiDefinition, deployment_id: str, stage: Stage, services: IntegrationServices
) -> CompiledHttpStage:
    api = definition["Api"]
    variables = dict(stage.get("StageVariables") or {})
    warnings: list[str] = []
    routes = RouteTable()
    for route in definition["Routes"].values():
        try:
            routes.add(_compile_route(definition, route, stage, variables, services, warnings))
        except RouteError as e:
            warnings.append(f"route {route['RouteKey']} is not served: {e}")
    settings = stage.get("AccessLogSettings") or {}
    access_format = settings.get("Format") or CLF_FORMAT
    return CompiledHttpStage(
        api_id=api["ApiId"],
        api_name=api["Name"],
        stage_name=stage["StageName"],
        deployment_id=deployment_id,
        account_id=services.account_id,
        region=services.region,
        variables=variables,
        routes=routes,
        access_log=AccessLogFormat(
            compile_variables(access_format.rstrip("\n"), variables, getter, missing="-")
        ),
        cors=_cors(api.get("CorsConfiguration"), warnings),
        warnings=warnings,
        disable_execute_api_endpoint=bool(api.get("DisableExecuteApiEndpoint")),
    )


def unserved_stage(api_id: str, account_id: str, region: str) -> CompiledHttpStage:
    """What answers a request no stage of the API serves: nothing routes (404)."""
    return CompiledHttpStage(
        api_id=api_id,
        api_name="",
        stage_name="",
        deployment_id="",
        account_id=account_id,
        region=region,
        variables={},
        routes=RouteTable(),
        access_log=_DEFAULT_ACCESS_LOG,
    )


_DEFAULT_ACCESS_LOG = AccessLogFormat(compile_variables(CLF_FORMAT, {}, getter, missing="-"))


def _compile_route(
    definition: ApiDefinition,
    route: Route,
    stage: Stage,
    variables: dict[str, str],
    services: IntegrationServices,
    warnings: list[str],
) -> CompiledRoute:
    key = route["RouteKey"]
    method, path = ("", DEFAULT_ROUTE) if key == DEFAULT_ROUTE else split_route_key(key)
    warnings.extend(f"{w} on route {key}" for w in _route_warnings(route))
    integration_id = integration_id_of(route)
    integration = definition["Integrations"].get(integration_id or "")
    if integration is None:
        reason = f"route {key} has no integration"
        warnings.append(f"{reason} (its requests will fail with 500)")
        return CompiledRoute(
            key, route["RouteId"], method, path, None, UnsupportedIntegration(reason)
        )
    handler, problems = _integration(integration, key, definition, stage, variables, services)
    warnings.extend(f"{p} on route {key}" for p in problems)
    request_mapping, response_mapping = _parameter_mappings(integration, variables, warnings)
    route_warnings: list[str] = []
    authorization = auth.route_authorization(definition, route, stage, services, route_warnings)
    warnings.extend(f"{w} on route {key}" for w in route_warnings)
    return CompiledRoute(
        key,
        route["RouteId"],
        method,
        path,
        integration["IntegrationType"],
        handler,
        request_parameters=request_mapping,
        response_parameters=response_mapping,
        authorization=authorization,
        throttle=http_route_bucket(cast(dict[str, Any], stage), definition["Api"]["ApiId"], key),
    )


def _integration(
    integration: Integration,
    route_key: str,
    definition: ApiDefinition,
    stage: Stage,
    variables: dict[str, str],
    services: IntegrationServices,
) -> tuple[HttpIntegrationHandler, list[str]]:
    kind = integration["IntegrationType"]
    uri = substitute_stage_variables(integration.get("IntegrationUri", ""), variables)
    timeout = integration.get("TimeoutInMillis", DEFAULT_TIMEOUT_MILLIS)
    problems: list[str] = []
    if not MIN_TIMEOUT_MILLIS <= timeout <= DEFAULT_TIMEOUT_MILLIS:
        # AWS refuses such values at CreateIntegration; a stored one is kept in range.
        problems.append(f"TimeoutInMillis {timeout} is outside 50-30000 (clamped)")
        timeout = min(max(timeout, MIN_TIMEOUT_MILLIS), DEFAULT_TIMEOUT_MILLIS)
    unsupported = _unsupported(integration, kind)
    if unsupported:
        return UnsupportedIntegration(unsupported), [unsupported]
    subtype = integration.get("IntegrationSubtype")
    if subtype:
        handler, problem = _service_integration(integration, subtype, definition, timeout, services)
        return handler, [*problems, problem] if problem else problems
    if kind == "HTTP_PROXY":
        return HttpProxy(
            uri=uri,
            http_method=integration.get("IntegrationMethod", "ANY"),
            timeout_ms=timeout,
            verify_tls=True,
            upstream=services.upstream,
            default_route=route_key == DEFAULT_ROUTE,
        ), problems
    # AWS_PROXY with Lambda: the URI is the function's ARN or its invocations URI.
    function = lambda_function_of(uri) or uri
    arn_prefix, endpoint_uri = lambda_addresses(
        function, definition["Api"]["ApiId"], stage["StageName"], services
    )
    return HttpLambdaProxy(
        version=integration.get("PayloadFormatVersion", DEFAULT_PAYLOAD_FORMAT),
        function_ref=function,
        http_method=integration.get("IntegrationMethod", "POST"),
        timeout_ms=timeout,
        invoker=services.functions,
        arn_prefix=arn_prefix,
        endpoint_uri=endpoint_uri,
    ), problems


def _service_integration(
    integration: Integration,
    subtype: str,
    definition: ApiDefinition,
    timeout: int,
    services: IntegrationServices,
) -> tuple[HttpIntegrationHandler, str | None]:
    """AWS_PROXY with an IntegrationSubtype (spec §3.5): the service, endpoint and parameter
    values compiled now; a subtype Tollway does not know, or an endpoint it cannot resolve,
    fails the route's requests with 500 (and the warning says why)."""
    reason = None
    if subtype not in SUBTYPES:
        reason = f"integration subtype {subtype} is not one Tollway supports"
    else:
        try:
            call = SubtypeCall(subtype, services=services.aws, default_region=services.region)
        except SubtypeError as e:
            reason = f"integration subtype {subtype}: {e}"
    if reason is not None:
        return UnsupportedIntegration(reason), reason
    return HttpServiceIntegration(
        call=call,
        parameters=dict(integration.get("RequestParameters") or {}),
        timeout_ms=timeout,
        upstream=services.upstream,
        api_id=definition["Api"]["ApiId"],
    ), None


def _unsupported(integration: Integration, kind: str) -> str | None:
    if integration.get("ConnectionType") == "VPC_LINK":
        return "private integrations (ConnectionType VPC_LINK) are not supported yet"
    if kind not in ("AWS_PROXY", "HTTP_PROXY"):
        return f"integration type {kind} is not one HTTP APIs support"
    uri = integration.get("IntegrationUri", "")
    subtype = integration.get("IntegrationSubtype")
    if kind == "AWS_PROXY" and not subtype and ":lambda:" not in uri and not uri.startswith("${"):
        return f"AWS_PROXY integrations with targets other than Lambda ({uri})"
    return None


def _route_warnings(route: Route) -> list[str]:
    found = []
    if route.get("ApiKeyRequired"):
        found.append(
            "ApiKeyRequired is for WebSocket routes only (HTTP APIs have no API keys on AWS): "
            "requests are let through without a key"
        )
    return found


def _cors(configuration: dict[str, Any] | None, warnings: list[str]) -> CorsPolicy | None:
    """`Api.CorsConfiguration` compiled (cors.py), bound to the pipeline (bindings.py)."""
    policy = cors.CorsPolicy.compile(configuration)
    return StageCors(policy) if policy is not None else None


def _parameter_mappings(
    integration: Integration, variables: dict[str, str], warnings: list[str]
) -> tuple[RequestParameterMapping | None, ResponseParameterMapping | None]:
    """The integration's RequestParameters and ResponseParameters compiled (parameters.py).
    An AWS service integration's RequestParameters are the service's parameters, not
    mappings. A Lambda proxy's event gets the mapped headers and query string (payload.py);
    `overwrite:path` is not applied to it (said in a warning)."""
    name = f"integration {integration['IntegrationId']}"
    request_mapping = response_mapping = None
    try:
        requested = integration.get("RequestParameters")
        if not integration.get("IntegrationSubtype"):  # else: the service's own parameters
            compiled_request = parameters.compile_request_parameters(requested)
            if compiled_request is not None:
                request_mapping = RouteRequestMapping(compiled_request)
                lambda_proxy = integration["IntegrationType"] != "HTTP_PROXY"
                if lambda_proxy and request_mapping.changes_path:
                    warnings.append(
                        f"overwrite:path (RequestParameters of {name}) is not applied to a "
                        "Lambda event: its headers and query string mappings are"
                    )
        compiled_response = parameters.compile_response_parameters(
            integration.get("ResponseParameters")
        )
        if compiled_response is not None:
            response_mapping = RouteResponseMapping(compiled_response)
    except MappingError as e:
        # Stored before the control plane checked mappings, or imported: said, and skipped.
        warnings.append(f"parameter mapping of {name} is not applied: {e}")
    return request_mapping, response_mapping

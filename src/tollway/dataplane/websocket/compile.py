"""Compiles a deployed WebSocket API stage (compiled.py) from the stored v2 ApiDefinition.

AWS counterpart: deploying a WebSocket API to a stage (spec §7.4, §13). Once per deployment:
the route-selection expression, each route's integration (integrations.py), whether it is
two-way (RouteResponseSelectionExpression `$default` and a RouteResponse keyed `$default`,
spec §13.3), and the `$connect` authorization. What Tollway does not support yet is named in a
warning the registry logs when the stage loads: AWS integrations with services other than
Lambda, and logging settings. Each route's throttle (the stage's
`RouteSettings`/`DefaultRouteSettings`) and `$connect`'s API key requirement are compiled
here and applied by metering.py; request models by validation.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from tollway.dataplane.integrations import substitute_stage_variables
from tollway.dataplane.mapping.vtl import TemplateError
from tollway.dataplane.throttling import http_route_bucket
from tollway.dataplane.websocket.authorize import ConnectAuthorizer, ConnectIam, build_authorizer
from tollway.dataplane.websocket.backends import build_backend
from tollway.dataplane.websocket.compiled import (
    CONNECT,
    DEFAULT,
    DISCONNECT,
    CompiledRoute,
    CompiledWsStage,
)
from tollway.dataplane.websocket.integrations import (
    LambdaProxy,
    Mock,
    Unsupported,
    WsIntegration,
    mock_template,
)
from tollway.dataplane.websocket.metering import AUTHORIZER, HEADER
from tollway.dataplane.websocket.selection import SelectionError, Selector
from tollway.dataplane.websocket.validation import MessageValidator, ModelError, compile_validator
from tollway.model.arns import lambda_function_of
from tollway.model.http_api import ApiDefinition, Route, Stage, integration_id_of

if TYPE_CHECKING:
    from tollway.dataplane.integrations import IntegrationServices

DEFAULT_TIMEOUT_MS = 29_000
_UNSUPPORTED = {
    "AWS": "AWS integrations with services other than Lambda on WebSocket APIs",
}


def compile_stage(
    definition: ApiDefinition, deployment_id: str, stage: Stage, services: IntegrationServices
) -> CompiledWsStage:
    api = definition["Api"]
    api_id = api["ApiId"]
    variables = dict(stage.get("StageVariables") or {})
    warnings: list[str] = []
    expression = api.get("RouteSelectionExpression") or "$request.body.action"
    try:
        selector = Selector(expression)
    except SelectionError as e:
        warnings.append(f"RouteSelectionExpression {expression}: {e}; every message goes to "
                        "$default")  # fmt: skip
        selector = Selector("\\$default")
    compiled = CompiledWsStage(
        api_id=api_id,
        stage_name=stage["StageName"],
        deployment_id=deployment_id,
        selector=selector,
        routes={},
        stage_variables=variables,
        disable_execute_api_endpoint=bool(api.get("DisableExecuteApiEndpoint")),
        warnings=warnings,
    )
    _api_keys(compiled, definition, api, warnings)
    for route in definition["Routes"].values():
        key = route["RouteKey"]
        compiled_route = CompiledRoute(
            key,
            _integration(definition, route, api_id, stage, variables, services, warnings),
            _two_way(definition, route),
            http_route_bucket(cast(dict[str, Any], stage), api_id, key),
            _validator(definition, route, variables, warnings),
        )
        if key == CONNECT:
            compiled.connect = compiled_route
            _authorization(compiled, definition, route, variables, services, warnings)
        elif key == DISCONNECT:
            compiled.disconnect = compiled_route
        elif key == DEFAULT:
            compiled.default = compiled_route
        else:
            compiled.routes[key] = compiled_route
    if _logging(stage):
        warnings.append("the stage's logging settings (LoggingLevel, DetailedMetricsEnabled, "
                        "AccessLogSettings) are not applied to WebSocket APIs yet")  # fmt: skip
    return compiled


def _logging(stage: Stage) -> bool:
    """Whether the stage asks for logging or metrics (its throttling settings are applied)."""
    if stage.get("AccessLogSettings"):
        return True
    settings = [stage.get("DefaultRouteSettings") or {}]
    settings += list((stage.get("RouteSettings") or {}).values())
    return any(
        s.get(name) not in (None, False, "OFF")
        for s in settings
        for name in ("LoggingLevel", "DetailedMetricsEnabled")
    )


def _api_keys(
    compiled: CompiledWsStage, definition: ApiDefinition, api: Any, warnings: list[str]
) -> None:
    """`ApiKeyRequired` is honoured on `$connect` (AWS checks keys there only; metering.py)."""
    for route in definition["Routes"].values():
        if not route.get("ApiKeyRequired"):
            continue
        key = route["RouteKey"]
        if key != CONNECT:
            warnings.append(f"route {key}: ApiKeyRequired is applied on $connect only (the key "
                            "is checked when the connection is made)")  # fmt: skip
            continue
        expression = api.get("ApiKeySelectionExpression") or HEADER
        if expression not in (HEADER, AUTHORIZER):
            warnings.append(f"ApiKeySelectionExpression {expression} is not supported; "
                            f"the key is read with {HEADER}")  # fmt: skip
            expression = HEADER
        compiled.api_key_source = expression


def _validator(
    definition: ApiDefinition, route: Route, variables: dict[str, str], warnings: list[str]
) -> MessageValidator | None:
    key = route["RouteKey"]
    if key in (CONNECT, DISCONNECT):
        if route.get("ModelSelectionExpression"):
            warnings.append(f"route {key}: request models are not applied (no message body)")
        return None
    try:
        return compile_validator(definition["Api"]["ApiId"], route, definition["Models"], variables)
    except (ModelError, SelectionError) as e:
        warnings.append(f"route {key}: its request models: {e}; every message fails validation")
        return MessageValidator(Selector("\\$default"), {}, variables)


def _two_way(definition: ApiDefinition, route: Route) -> bool:
    if route.get("RouteResponseSelectionExpression") != "$default":
        return False
    responses = definition["RouteResponses"].get(route["RouteId"], {})
    return any(r.get("RouteResponseKey") == "$default" for r in responses.values())


def _integration(
    definition: ApiDefinition,
    route: Route,
    api_id: str,
    stage: Stage,
    variables: dict[str, str],
    services: IntegrationServices,
    warnings: list[str],
) -> WsIntegration | None:
    key = route["RouteKey"]
    integration_id = integration_id_of(route)
    if integration_id is None:
        return None
    integration = definition["Integrations"].get(integration_id)
    if integration is None:
        warnings.append(f"route {key}: its integration {integration_id} does not exist")
        return Unsupported(f"the missing integration {integration_id}")
    kind = integration["IntegrationType"]
    timeout = int(integration.get("TimeoutInMillis") or DEFAULT_TIMEOUT_MS)
    if kind == "MOCK":
        try:
            template = mock_template(definition["IntegrationResponses"].get(integration_id, {}))
        except TemplateError as e:
            warnings.append(f"route {key}: the MOCK integration response template: {e}")
            return Unsupported("an integration response template that does not compile")
        return Mock(template, variables)
    uri = substitute_stage_variables(integration.get("IntegrationUri", ""), variables)
    function = lambda_function_of(uri)
    account = f"{services.region}:{services.account_id}"
    prefix = f"arn:aws:execute-api:{account}:{api_id}/{stage['StageName']}/"
    if kind == "AWS_PROXY" and function is not None:
        return LambdaProxy(function, timeout, services.functions, prefix)
    if kind in ("HTTP", "HTTP_PROXY") or (kind == "AWS" and function is not None):
        responses = definition["IntegrationResponses"].get(integration_id, {})
        try:
            return build_backend(
                integration, responses, uri, function, timeout, prefix, variables, services,
                warnings,
            )  # fmt: skip
        except (TemplateError, ValueError) as e:
            warnings.append(f"route {key}: its {kind} integration: {e}")
            return Unsupported(f"the {kind} integration of route {key} ({e})")
    feature = _UNSUPPORTED.get(kind, f"{kind} integrations ({uri}) on WebSocket APIs")
    warnings.append(f"route {key}: {feature} are not supported by Tollway yet")
    return Unsupported(feature)


def _authorization(
    compiled: CompiledWsStage,
    definition: ApiDefinition,
    route: Route,
    variables: dict[str, str],
    services: IntegrationServices,
    warnings: list[str],
) -> None:
    kind = route.get("AuthorizationType") or "NONE"
    if kind == "AWS_IAM":
        compiled.iam = ConnectIam(services, warnings)
    elif kind == "CUSTOM":
        authorizer = definition["Authorizers"].get(route.get("AuthorizerId") or "")
        if authorizer is None:
            warnings.append("$connect: its authorizer does not exist; connections are refused")
            compiled.refusal = "the $connect route's authorizer does not exist"
            return
        compiled.authorizer = build_authorizer(
            compiled.api_id, compiled.stage_name, authorizer, variables, services, warnings
        )


__all__ = ["ConnectAuthorizer", "compile_stage"]

"""The checks AWS makes on WebSocket API definitions (spec §13, §5.10): selection expressions,
route keys, route authorization and request parameters, route responses, integrations and
integration responses, and `$connect` REQUEST authorizers.

The operations call these for `ProtocolType: WEBSOCKET` APIs only; HTTP APIs keep rules.py.
Messages AWS is known to send are AWS's (the route key one: serverless/serverless#9530); the
others are Tollway's and say what is wrong (docs/compatibility.md lists which).

Selection expressions (AWS's "WebSocket selection expressions" page): `$` starts a variable,
`${...}` delimits one, several may mix with static text, `\\$` escapes a dollar (`\\$default` is
the static key `$default`), and `/regex/` is a pattern. Each expression admits its own
variables: route, model and integration template selection read the message body
(`request.body...`); integration response templates may also read `integration.response...`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from tollway.control.apigatewayv2.rules import is_http_url, is_lambda_target
from tollway.control.errors import BadRequestException, ConflictException
from tollway.model.http_api import DEFAULT_ROUTE

CONNECT = "$connect"
DISCONNECT = "$disconnect"
PREDEFINED_ROUTES = (CONNECT, DISCONNECT, DEFAULT_ROUTE)
API_KEY_SELECTIONS = ("$request.header.x-api-key", "$context.authorizer.usageIdentifierKey")
PAYLOAD_FORMAT = "1.0"
NON_PROXY = ("AWS", "HTTP", "MOCK")

# A variable without braces: a name, then `.name` or `[n]` steps (`request.body.detail-type`).
_BARE_VARIABLE = re.compile(r"[A-Za-z][\w-]*(?:\.[\w-]+|\[\d+\])*")
_BODY = re.compile(r"request\.body(?:\.[^\s.${}\[\]]+|\[\d+\])*")
_INTEGRATION_RESPONSE = re.compile(
    r"integration\.response\.(?:statuscode|(?:header|multivalueheader)\.[^\s${}]+)"
)
_ROUTE_PARAMETER = re.compile(r"route\.request\.(?:header|querystring)\.[^\s]+")
_IDENTITY_SOURCE = re.compile(
    r"(?:route\.request\.(?:header|querystring)|stageVariables|context)\.[^\s,]+"
)
_INTEGRATION_PARAMETER = re.compile(r"integration\.request\.(?:header|querystring|path)\.[^\s]+")
_PARAMETER_SOURCE = re.compile(
    r"'[^']*'|route\.request\.(?:header|querystring|path)\.\S+|route\.request\.body(?:\.\S+)?"
    r"|context\.\S+|stageVariables\.\S+"
)
_AWS_URI = re.compile(r"arn:aws[\w-]*:apigateway:[^:]+:[^:]+:(?:path|action)/.+")


# --- selection expressions ------------------------------------------------------------------


def _invalid(label: str, expression: str, supported: str) -> BadRequestException:
    return BadRequestException(
        f"Invalid {label} specified: {expression}. Supported: {supported} and static text"
    )


def variables_of(expression: str) -> list[str] | None:
    """The variables of a selection expression (`request.body.action`), or None when its
    syntax is broken (an unclosed `${`, a `$` naming nothing). A `/regex/` has none."""
    if len(expression) > 1 and expression.startswith("/") and expression.endswith("/"):
        try:
            re.compile(expression[1:-1])
        except re.error:
            return None
        return []
    found: list[str] = []
    i = 0
    while i < len(expression):
        char = expression[i]
        if char == "\\" and expression[i + 1 : i + 2] == "$":
            i += 2
            continue
        if char != "$":
            i += 1
            continue
        if expression[i + 1 : i + 2] == "{":
            end = expression.find("}", i + 2)
            if end < 0:
                return None
            name = expression[i + 2 : end]
            i = end + 1
        else:
            match = _BARE_VARIABLE.match(expression, i + 1)
            if match is None:
                return None
            name = match.group(0)
            i = match.end()
        if not name:
            return None
        found.append(name)
    return found


def check_selection_expression(
    expression: str | None, label: str, *, response: bool = False
) -> None:
    """A route, model or template selection expression: well formed, and its variables read
    the message body (`response`: or the integration's response, for integration responses).
    `$default` alone is the catch-all key."""
    if expression is None or expression == DEFAULT_ROUTE:
        return
    supported = "$request.body.<path>, ${request.body.<path>}"
    if response:
        supported += ", ${integration.response.statuscode}, ${integration.response.header.<name>}"
    names = variables_of(expression)
    if not expression or names is None:
        raise _invalid(label, expression, supported)
    for name in names:
        if _BODY.fullmatch(name) or (response and _INTEGRATION_RESPONSE.fullmatch(name)):
            continue
        raise _invalid(label, expression, supported)


def check_api(api: Mapping[str, Any]) -> None:
    check_selection_expression(api.get("RouteSelectionExpression"), "route selection expression")
    selection = api.get("ApiKeySelectionExpression")
    if selection not in API_KEY_SELECTIONS:
        raise BadRequestException(
            f"Invalid API key selection expression specified: {selection}. Supported values are "
            + " and ".join(API_KEY_SELECTIONS)
        )


# --- routes ---------------------------------------------------------------------------------


def check_route_key(key: str) -> None:
    """`$connect`, `$disconnect`, `$default`, or a custom key not starting with `$`."""
    if key.startswith("$") and key not in PREDEFINED_ROUTES:
        raise BadRequestException("The provided route key is not formatted properly")


def check_route(route: Mapping[str, Any], models: Iterable[str]) -> None:
    """A WebSocket route after defaults: authorization only on `$connect` and never JWT,
    `$default` route responses, `route.request.*` parameters, request models of the API."""
    key = route["RouteKey"]
    check_route_key(key)
    kind = route.get("AuthorizationType", "NONE")
    if kind == "JWT":
        raise BadRequestException(
            "Invalid authorization type JWT: JWT authorizers are supported only for HTTP APIs. "
            "WebSocket routes take NONE, AWS_IAM or CUSTOM"
        )
    if kind != "NONE" and key != CONNECT:
        raise BadRequestException(
            f"Invalid authorization type {kind} for route {key}: a WebSocket API authorizes "
            "only its $connect route"
        )
    selection = route.get("RouteResponseSelectionExpression")
    if selection is not None and selection != DEFAULT_ROUTE:
        raise BadRequestException(
            f"Invalid route response selection expression specified: {selection}. "
            "Only $default is supported"
        )
    check_selection_expression(route.get("ModelSelectionExpression"), "model selection expression")
    check_models(route.get("RequestModels"), models)
    for name, constraints in (route.get("RequestParameters") or {}).items():
        if not _ROUTE_PARAMETER.fullmatch(name):
            raise BadRequestException(
                f"Invalid request parameter key specified: {name}. A WebSocket route's request "
                "parameters are route.request.header.<name> and route.request.querystring.<name>"
            )
        if not isinstance(constraints, Mapping):
            raise BadRequestException(f"Invalid constraints for request parameter {name}")


def check_models(refs: Mapping[str, str] | None, models: Iterable[str]) -> None:
    """Request and response models name models of the API (by name, as AWS shows them)."""
    known = set(models)
    for name in (refs or {}).values():
        if name not in known:
            raise BadRequestException(
                f"Invalid model specified: {name}. No model of the API has it"
            )


def check_route_response(
    response: Mapping[str, Any], siblings: Iterable[Mapping[str, Any]], models: Iterable[str]
) -> None:
    key = response.get("RouteResponseKey")
    if key != DEFAULT_ROUTE:
        raise BadRequestException(
            f"Invalid route response key specified: {key}. WebSocket routes support only the "
            "$default route response"
        )
    if response.get("ModelSelectionExpression") is not None:
        raise BadRequestException(
            "ModelSelectionExpression is not supported for route responses: a route response "
            "has one model, for its $default key"
        )
    check_models(response.get("ResponseModels"), models)
    _check_unique(response, siblings, "RouteResponseKey", "Route response", "route")


def _check_unique(
    child: Mapping[str, Any], siblings: Iterable[Mapping[str, Any]], member: str, kind: str, of: str
) -> None:
    for other in siblings:
        if other is not child and other.get(member) == child.get(member):
            raise ConflictException(f"{kind} with key {child[member]} already exists for this {of}")


# --- integrations ---------------------------------------------------------------------------

_HTTP_API_ONLY = ("IntegrationSubtype", "TlsConfig", "ResponseParameters")


def integration_defaults(fields: Mapping[str, Any]) -> dict[str, Any]:
    """What AWS fills in on a WebSocket integration (observed in GetIntegration output):
    payload format 1.0; POST to Lambda; pass-through when no template matches, and the
    integration response selection expression, on non-proxy integrations."""
    kind = fields.get("IntegrationType")
    defaults: dict[str, Any] = {"PayloadFormatVersion": PAYLOAD_FORMAT}
    uri = fields.get("IntegrationUri") or ""
    if kind in ("AWS", "AWS_PROXY") and is_lambda_target(uri):
        defaults["IntegrationMethod"] = "POST"
    if kind in NON_PROXY:
        defaults["PassthroughBehavior"] = "WHEN_NO_MATCH"
        lambda_errors = kind == "AWS" and is_lambda_target(uri)
        defaults["IntegrationResponseSelectionExpression"] = (
            "${integration.response.body.errorMessage}"
            if lambda_errors
            else "${integration.response.statuscode}"
        )
    return defaults


def check_integration(integration: Mapping[str, Any]) -> None:
    kind = integration.get("IntegrationType")
    for member in _HTTP_API_ONLY:
        if integration.get(member):
            raise BadRequestException(f"{member} is supported only for HTTP APIs")
    version = integration.get("PayloadFormatVersion")
    if version != PAYLOAD_FORMAT:
        raise BadRequestException(
            f"Invalid payload format version {version}. WebSocket APIs support only 1.0"
        )
    uri = integration.get("IntegrationUri") or ""
    if kind in ("HTTP", "HTTP_PROXY"):
        if not is_http_url(uri):
            raise BadRequestException(f"Invalid HTTP endpoint specified for URI: {uri}")
        if not integration.get("IntegrationMethod"):
            raise BadRequestException(f"IntegrationMethod is required for {kind} integrations")
    elif kind == "AWS_PROXY" and not is_lambda_target(uri):
        raise BadRequestException(
            f"Invalid integration URI specified: {uri}. An AWS_PROXY integration takes a Lambda "
            "function ARN or invocation URI"
        )
    elif kind == "AWS" and not (is_lambda_target(uri) or _AWS_URI.fullmatch(uri)):
        raise BadRequestException("AWS ARN for integration must contain path or action")
    check_selection_expression(
        integration.get("TemplateSelectionExpression"), "template selection expression"
    )
    for target, source in (integration.get("RequestParameters") or {}).items():
        if not _INTEGRATION_PARAMETER.fullmatch(target) or not _PARAMETER_SOURCE.fullmatch(source):
            raise BadRequestException(
                f"Invalid mapping expression specified: {target}={source}. A WebSocket "
                "integration maps integration.request.{header|querystring|path}.<name> from "
                "route.request.*, context.*, stageVariables.* or a 'static' value"
            )


def check_integration_response(
    response: Mapping[str, Any], siblings: Iterable[Mapping[str, Any]]
) -> None:
    key = response.get("IntegrationResponseKey") or ""
    pattern = len(key) > 1 and key.startswith("/") and key.endswith("/")
    if key != DEFAULT_ROUTE and not (pattern and variables_of(key) is not None):
        raise BadRequestException(
            f"Invalid integration response key specified: {key}. A key is $default or a "
            "/regular expression/, such as /4\\d\\d/"
        )
    check_selection_expression(
        response.get("TemplateSelectionExpression"), "template selection expression", response=True
    )
    _check_unique(
        response, siblings, "IntegrationResponseKey", "Integration response", "integration"
    )


# --- authorizers ----------------------------------------------------------------------------

_HTTP_AUTHORIZER_ONLY = ("AuthorizerPayloadFormatVersion", "EnableSimpleResponses")


def check_authorizer(authorizer: Mapping[str, Any]) -> None:
    """A WebSocket API's REQUEST (Lambda) authorizer, for its `$connect` route."""
    for member in _HTTP_AUTHORIZER_ONLY:
        if authorizer.get(member) is not None:
            raise BadRequestException(f"{member} is supported only for HTTP API Lambda authorizers")
    for source in authorizer.get("IdentitySource") or []:
        if not _IDENTITY_SOURCE.fullmatch(source):
            raise BadRequestException(
                f"Invalid identity source specified: {source}. A WebSocket API's identity "
                "source is route.request.header.<name>, route.request.querystring.<name>, "
                "stageVariables.<name> or context.<name>"
            )

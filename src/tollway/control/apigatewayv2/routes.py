"""Route and RouteResponse operations.

A route's key is checked as AWS checks it (`$default` or `METHOD /path`, spec §1.5; WebSocket
routes and route responses by websocket.py, spec §13.2), must not repeat another's or name a
path variable differently at the same level, and its `Target` must name an integration of the
API. Route responses are registered by responses.py.
"""

from __future__ import annotations

from typing import Any, cast

from tollway.control.apigatewayv2 import rules, websocket
from tollway.control.apigatewayv2.documents import given, load_api, paginate, part_not_found
from tollway.control.apigatewayv2.responses import Children, register
from tollway.control.errors import BadRequestException, NotFoundException
from tollway.control.operations import Call, OperationTable
from tollway.model import ids
from tollway.model.http_api import HTTP, ApiDefinition, Route, integration_id_of

ops = OperationTable("apigatewayv2")

MAX_SCOPES = 10  # AuthorizationScopes per route (spec §5.1)

ROUTE_MEMBERS = (
    "ApiKeyRequired",
    "AuthorizationScopes",
    "AuthorizationType",
    "AuthorizerId",
    "ModelSelectionExpression",
    "OperationName",
    "RequestModels",
    "RequestParameters",
    "RouteKey",
    "RouteResponseSelectionExpression",
    "Target",
)
ROUTE_RESPONSE_MEMBERS = (
    "ModelSelectionExpression",
    "ResponseModels",
    "ResponseParameters",
    "RouteResponseKey",
)


def _check_target(definition: ApiDefinition, route: dict[str, Any]) -> None:
    target = route.get("Target")
    if target is None:
        return
    integration_id = integration_id_of(cast(Route, route))
    if integration_id is None:
        raise BadRequestException(
            f"Invalid target specified: {target}. A target is integrations/{{integration-id}}"
        )
    if integration_id not in definition["Integrations"]:
        raise part_not_found("Integration", integration_id)


# CUSTOM needs a REQUEST (Lambda) authorizer of the API, JWT a JWT one: AWS's words.
_AUTHORIZER_OF = {
    "CUSTOM": (
        "REQUEST",
        "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
        "COGNITO_USER_POOLS requires a valid authorizer.",
    ),
    "JWT": (
        "JWT",
        "Invalid authorizer ID specified. Setting the authorization type to JWT requires a "
        "valid JWT authorizer.",
    ),
}


def _check_authorization(definition: ApiDefinition, route: dict[str, Any]) -> None:
    kind = route.get("AuthorizationType", "NONE")
    authorizer_id = route.get("AuthorizerId")
    if kind in _AUTHORIZER_OF:
        authorizer_type, message = _AUTHORIZER_OF[kind]
        authorizer = definition["Authorizers"].get(authorizer_id or "")
        if authorizer is None or authorizer.get("AuthorizerType") != authorizer_type:
            raise BadRequestException(message)
    elif authorizer_id:
        raise BadRequestException(
            f"AuthorizerId is only valid with authorization type CUSTOM or JWT, not {kind}"
        )
    scopes = route.get("AuthorizationScopes") or []
    if scopes and kind != "JWT":
        raise BadRequestException(
            "Invalid Route authorization type specified. Authorization Scopes are only valid "
            "for COGNITO_USER_POOLS and JWT authorization types"
        )
    if len(scopes) > MAX_SCOPES:
        raise BadRequestException(f"A route can have at most {MAX_SCOPES} AuthorizationScopes")


def build_route(
    definition: ApiDefinition, fields: dict[str, Any], route_id: str | None = None
) -> Route:
    """A route from CreateRoute's members (or an existing route with UpdateRoute's applied),
    checked against the rest of the API."""
    http = definition["Api"]["ProtocolType"] == HTTP
    route: dict[str, Any] = {"ApiKeyRequired": False, "AuthorizationType": "NONE"}
    route.update(fields)
    if route.get("AuthorizerId") == "":
        del route["AuthorizerId"]  # UpdateRoute's way to clear it (Terraform sends "")
    route["RouteId"] = route_id or ids.part_id()
    key = rules.check_route_key(route.get("RouteKey"), http=http)
    others = [r["RouteKey"] for rid, r in definition["Routes"].items() if rid != route_id]
    # WebSocket route keys are selection keys, not paths: only a repeated key conflicts.
    rules.check_route_conflicts(key, others if http else [o for o in others if o == key])
    if not http:
        websocket.check_route(route, model_names(definition))
    _check_target(definition, route)
    _check_authorization(definition, route)
    return cast(Route, route)


def model_names(definition: ApiDefinition) -> list[str]:
    return [m["Name"] for m in definition["Models"].values()]


def _check_route_response(
    definition: ApiDefinition, response: dict[str, Any], siblings: dict[str, dict[str, Any]]
) -> None:
    if definition["Api"]["ProtocolType"] != HTTP:
        websocket.check_route_response(response, siblings.values(), model_names(definition))


def get_route(definition: ApiDefinition, route_id: str) -> Route:
    route = definition["Routes"].get(route_id)
    if route is None:
        raise part_not_found("Route", route_id)
    return route


@ops("CreateRoute")
def create_route(call: Call) -> dict[str, Any]:
    document = load_api(call)
    route = build_route(document.definition, given(call, ROUTE_MEMBERS))
    document.definition["Routes"][route["RouteId"]] = route
    document.save(call)
    return dict(route)


@ops("GetRoute")
def get_route_op(call: Call) -> dict[str, Any]:
    return dict(get_route(load_api(call).definition, call.params["RouteId"]))


@ops("GetRoutes")
def get_routes(call: Call) -> dict[str, Any]:
    definition = load_api(call).definition
    return paginate(call, [dict(r) for r in definition["Routes"].values()])


@ops("UpdateRoute")
def update_route(call: Call) -> dict[str, Any]:
    document = load_api(call)
    current = get_route(document.definition, call.params["RouteId"])
    changes = given(call, ROUTE_MEMBERS)
    new_key = changes.get("RouteKey", current["RouteKey"])
    if current.get("ApiGatewayManaged") and new_key != current["RouteKey"]:
        raise BadRequestException(
            f"Cannot update the route key of the managed route {current['RouteKey']}: "
            "quick create's route key cannot be modified"
        )
    fields = {k: v for k, v in current.items() if k != "RouteId"}
    fields.update(changes)
    route = build_route(document.definition, fields, current["RouteId"])
    document.definition["Routes"][route["RouteId"]] = route
    document.save(call)
    return dict(route)


@ops("DeleteRoute")
def delete_route(call: Call) -> None:
    document = load_api(call)
    route_id = call.params["RouteId"]
    get_route(document.definition, route_id)
    del document.definition["Routes"][route_id]
    document.definition["RouteResponses"].pop(route_id, None)
    document.save(call)


@ops("DeleteRouteRequestParameter")
def delete_route_request_parameter(call: Call) -> None:
    document = load_api(call)
    route = cast(dict[str, Any], get_route(document.definition, call.params["RouteId"]))
    key = call.params["RequestParameterKey"]
    parameters = route.get("RequestParameters") or {}
    if key not in parameters:
        raise NotFoundException(f"Invalid request parameter key specified {key}")
    del parameters[key]
    document.save(call)


register(
    ops,
    Children(
        "RouteResponse",
        "RouteResponses",
        "RouteId",
        get_route,
        ROUTE_RESPONSE_MEMBERS,
        _check_route_response,
    ),
)

"""A WebSocket API stage as the gateway serves it, compiled at deployment (compile.py).

AWS counterpart: a deployed WebSocket API stage (spec §13): its routes by key, the
route-selection expression, the `$connect` authorization, and the stage's settings. Nothing
here is parsed per message: route lookup is one dict lookup after the expression's value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tollway.dataplane.websocket.selection import Selector

if TYPE_CHECKING:
    from tollway.dataplane.websocket.authorize import ConnectAuthorizer, ConnectIam
    from tollway.dataplane.websocket.integrations import WsIntegration
    from tollway.dataplane.websocket.validation import MessageValidator
    from tollway.state.limits import Bucket

CONNECT = "$connect"
DISCONNECT = "$disconnect"
DEFAULT = "$default"


@dataclass(frozen=True, slots=True)
class CompiledRoute:
    key: str
    integration: WsIntegration | None  # None: a route without a target
    two_way: bool  # RouteResponseSelectionExpression `$default` and a `$default` response
    throttle: Bucket | None = None  # the stage's RouteSettings/DefaultRouteSettings (metering.py)
    validator: MessageValidator | None = None  # ModelSelectionExpression + RequestModels


@dataclass(slots=True)
class CompiledWsStage:
    api_id: str
    stage_name: str
    deployment_id: str
    selector: Selector
    routes: dict[str, CompiledRoute]  # custom keys (not `$connect`/`$disconnect`)
    connect: CompiledRoute | None = None
    disconnect: CompiledRoute | None = None
    default: CompiledRoute | None = None
    authorizer: ConnectAuthorizer | None = None
    iam: ConnectIam | None = None  # AWS_IAM on `$connect`
    refusal: str | None = None  # why every connection is refused with 500
    api_key_source: str | None = None  # `$connect` ApiKeyRequired: the key selection expression
    stage_variables: dict[str, str] = field(default_factory=dict)
    disable_execute_api_endpoint: bool = False
    warnings: list[str] = field(default_factory=list)

    def route_for(self, body: Any, is_json: bool) -> CompiledRoute | None:
        """The route a message goes to: the expression's exact key, else `$default`."""
        if is_json:
            key = self.selector.evaluate(body, None, self.stage_variables)
            route = self.routes.get(key)
            if route is not None:
                return route
        return self.default

"""An HTTP API deployment as the data plane runs it: compiled once per stage, then only read.

compile.py builds these from a stage and its deployment's `Definition` snapshot; requests
only walk the route table and call what was compiled.

Three seams are left for CORS and parameter mapping (dataplane/http_api/cors.py and
parameters.py, compiled by their own modules and set here by compile.py):
- `CompiledHttpStage.cors` (a `CorsPolicy`): answers the OPTIONS requests no route takes and
  puts the CORS headers on every response;
- `CompiledRoute.request_parameters` (a `RequestParameterMapping`): run before the
  integration, fills `ctx.integration_request`;
- `CompiledRoute.response_parameters` (a `ResponseParameterMapping`): run on the
  integration's response.
None means "nothing configured": the stage returns at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tollway.dataplane.auth.outcome import Authorization
    from tollway.dataplane.context import Response
    from tollway.dataplane.http_api.context import HttpContext
    from tollway.dataplane.http_api.routes import RouteTable
    from tollway.state.limits import Bucket


class HttpIntegrationHandler(Protocol):
    """An HTTP API integration (integrations.py): it answers the client (`ctx.response`)."""

    async def invoke(self, ctx: HttpContext) -> None: ...


class CorsPolicy(Protocol):
    """`Api.CorsConfiguration` compiled (spec §9.2)."""

    def preflight(self, ctx: HttpContext) -> Response | None:
        """The answer to a CORS preflight request, or None if this request is not one."""

    def decorate(self, ctx: HttpContext, response: Response) -> None:
        """Puts the CORS headers on a response (integrations' own CORS headers are ignored:
        AWS replaces them)."""


class RequestParameterMapping(Protocol):
    """An integration's `RequestParameters` compiled (spec §4.8)."""

    def apply(self, ctx: HttpContext) -> None:
        """Sets `ctx.integration_request`; raises a GatewayError if the mapping fails."""


class ResponseParameterMapping(Protocol):
    """An integration's `ResponseParameters` compiled (spec §4.8), keyed by status inside."""

    def apply(self, ctx: HttpContext, response: Response) -> Response:
        """The response after mapping (headers appended/overwritten/removed, status)."""


@dataclass(slots=True)
class CompiledRoute:
    route_key: str  # "GET /pets/{id}" or "$default"
    route_id: str
    method: str  # "GET", "ANY", or "" for $default
    path: str  # "/pets/{id}", or "$default"
    integration_type: str | None  # AWS_PROXY, HTTP_PROXY, ...; None: no target
    integration: HttpIntegrationHandler
    request_parameters: RequestParameterMapping | None = None
    response_parameters: ResponseParameterMapping | None = None
    # AWS_IAM / CUSTOM / JWT (auth/build.py); None: AuthorizationType NONE
    authorization: Authorization[HttpContext] | None = None
    # the stage's RouteSettings / DefaultRouteSettings throttle (dataplane/throttling.py)
    throttle: Bucket | None = None


@dataclass(slots=True)
class AccessLogFormat:
    render: Callable[[HttpContext], str]


@dataclass(slots=True)
class CompiledHttpStage:
    api_id: str
    api_name: str
    stage_name: str
    deployment_id: str
    account_id: str
    region: str
    variables: dict[str, str]
    routes: RouteTable
    access_log: AccessLogFormat
    cors: CorsPolicy | None = None
    warnings: list[str] = field(default_factory=list)
    # served on custom domains only (server.py), from the deployed definition, as for REST
    disable_execute_api_endpoint: bool = False

    @property
    def is_default(self) -> bool:
        return self.stage_name == "$default"


@dataclass(slots=True)
class HttpApiStages:
    """An HTTP API's served stages, for stage selection (stages.py)."""

    api_id: str
    named: dict[str, CompiledHttpStage]  # by stage name, without $default
    default: CompiledHttpStage | None  # the $default stage, if it has a deployment

    def stage(self, name: str) -> CompiledHttpStage | None:
        """The stage by its name, `$default` included."""
        return self.default if name == "$default" else self.named.get(name)

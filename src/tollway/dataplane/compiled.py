"""A deployment as the data plane runs it: compiled once, then only read.

`compile.py` builds these from a stage and its frozen deployment; requests only look things
up in them (a dict or tree walk) and call what was compiled: templates, mappings, selection
patterns, integration clients.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from tollway.dataplane.binary import NO_MEDIA_TYPES, MediaTypes, PayloadHandling
from tollway.dataplane.router import RouteNode

if TYPE_CHECKING:
    from tollway.dataplane.auth.outcome import Authorization, Decision
    from tollway.dataplane.caching import MethodCache
    from tollway.dataplane.context import RestContext
    from tollway.dataplane.errors import GatewayError
    from tollway.dataplane.mapping.vtl import MappingTemplate
    from tollway.dataplane.validation import RequestValidation
    from tollway.state.limits import Bucket


class IntegrationHandler(Protocol):
    """One integration type (integrations/): MOCK, HTTP, HTTP_PROXY, AWS_PROXY, ...

    A proxy integration answers the client itself (`ctx.response`); a non-proxy one leaves
    the backend's answer in `ctx.endpoint_response` for integration-response mapping.
    """

    proxy: bool

    async def invoke(self, ctx: RestContext) -> None: ...


class ResourcePolicy(Protocol):
    """A REST API's resource policy compiled for a stage (auth/resource_policy.py)."""

    def evaluate(self, ctx: RestContext) -> Decision:
        """The policy's decision for this request's caller (`ctx.identity`, or anonymous),
        method ARN and condition keys."""
        ...

    def same_account(self, ctx: RestContext) -> bool:
        """Whether the caller is of the API's account (spec §5.4: Table A, else Table B)."""
        ...

    def denied(self, ctx: RestContext, decision: Decision) -> GatewayError:
        """ACCESS_DENIED naming the caller: `User: anonymous is not authorized ...`."""
        ...


ValueGetter = Callable[["RestContext"], Any]


@dataclass(slots=True)
class RequestMapping:
    """`Integration.requestParameters`, compiled: target name -> getter (spec §4.2)."""

    path: list[tuple[str, ValueGetter]] = field(default_factory=list)
    querystring: list[tuple[str, ValueGetter]] = field(default_factory=list)
    headers: list[tuple[str, ValueGetter]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.path or self.querystring or self.headers)


@dataclass(slots=True)
class Templates:
    """Mapping templates keyed by content type, with AWS's selection rules (spec §4.4)."""

    by_type: dict[str, MappingTemplate]
    first: str | None  # the first defined content type (the fallback of last resort)

    def for_type(self, content_type: str) -> tuple[str, MappingTemplate] | None:
        """Exact type first; for responses also the application/json or first template."""
        template = self.by_type.get(content_type)
        return (content_type, template) if template is not None else None

    def for_response(self, accept: str) -> tuple[str, MappingTemplate] | None:
        found = self.for_type(accept)
        if found is None:
            found = self.for_type("application/json")
        if found is None and self.first is not None:
            found = (self.first, self.by_type[self.first])
        return found


@dataclass(slots=True)
class CompiledIntegrationResponse:
    status: int
    pattern: re.Pattern[str] | None  # None: the default response
    templates: Templates
    headers: list[tuple[str, Callable[[RestContext], str | None]]]
    # binaryMediaTypes with the response's contentHandling; None: nothing to convert
    payload: PayloadHandling | None = None


@dataclass(slots=True)
class CompiledMethod:
    http_method: str
    resource_id: str
    resource_path: str
    integration_type: str
    integration: IntegrationHandler
    request_mapping: RequestMapping
    request_templates: Templates
    passthrough: str
    responses: list[CompiledIntegrationResponse]  # patterned, in definition order
    default_response: CompiledIntegrationResponse | None
    # Set when the method could not be compiled (a broken template, a mapping Tollway does
    # not support yet...): requests then fail with API_CONFIGURATION_ERROR, as AWS fails them.
    config_error: str | None = None
    validation: RequestValidation | None = None  # its request validator's checks
    # binaryMediaTypes with the integration's contentHandling; None: nothing to convert
    payload: PayloadHandling | None = None
    # AWS_IAM / CUSTOM / COGNITO_USER_POOLS (auth/build.py); None: authorizationType NONE
    authorization: Authorization[RestContext] | None = None
    api_key_required: bool = False  # handlers/api_key.py
    # the stage's methodSettings throttle for this method (throttling.py); None: none tighter
    # than the account's
    throttle: Bucket | None = None
    throttle_key: str = ""  # "/pets/GET": how usage plans name the method's throttle
    cache: MethodCache | None = None  # the stage cache (caching.py); None: not cached


@dataclass(slots=True)
class CompiledGatewayResponse:
    status: int | None  # None: DEFAULT_4XX/5XX without a status (the error keeps its own)
    customised_status: bool  # whether the API set the status (it then overrides error status)
    headers: list[tuple[str, Callable[[RestContext], str | None]]]
    templates: dict[str, Callable[[RestContext], str]]
    first_template: str
    # whether the body is the default `{"message":$context.error.messageString}` (no
    # customised template): errors with their own body key (AccessDenied) render with it
    default_template: bool = False


@dataclass(slots=True)
class AccessLogFormat:
    render: Callable[[RestContext], str]


@dataclass(slots=True)
class CompiledStage:
    api_id: str
    api_name: str
    stage_name: str
    deployment_id: str
    account_id: str
    region: str
    variables: dict[str, str]
    router: RouteNode[CompiledMethod]
    gateway_responses: dict[str, CompiledGatewayResponse]
    access_log: AccessLogFormat
    disable_execute_api_endpoint: bool
    warnings: list[str] = field(default_factory=list)
    minimum_compression_size: int | None = None  # None: payloads are not (de)compressed
    binary_media_types: MediaTypes = NO_MEDIA_TYPES
    resource_policy: ResourcePolicy | None = None  # RestApi.policy (auth/build.py)
    # Canary release (spec §7.3, registry.py). The stage holds its canary, compiled as a
    # stage of its own, and the share of requests it takes (percentTraffic / 100) ...
    canary: CompiledStage | None = None
    canary_share: float = 0.0
    # ... and the canary's own stage says what it is: `$context.isCanaryRequest`, and for the
    # stage cache whether the canary shares it (canarySettings.useStageCache).
    is_canary: bool = False
    use_stage_cache: bool = False
    api_key_source: str = "HEADER"  # RestApi.apiKeySource: HEADER or AUTHORIZER

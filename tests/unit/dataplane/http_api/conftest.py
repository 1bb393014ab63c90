"""Builders for HTTP API data-plane unit tests: an `ApiDefinition` built directly (the
stored shape, botocore member names), compiled into a stage, and the request context the
stages see."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.unit.dataplane.conftest import RecordingUpstream

from tollway.dataplane.auth.services import AuthServices
from tollway.dataplane.context import Request, Response
from tollway.dataplane.http_api.compile import compile_stage
from tollway.dataplane.http_api.compiled import CompiledHttpStage
from tollway.dataplane.http_api.context import HttpContext
from tollway.dataplane.integrations import IntegrationServices
from tollway.dataplane.integrations.aws_service import AwsServices
from tollway.model.http_api import ApiDefinition, Stage, empty_definition

API_ID = "a1b2c3d4e5"
HOST = f"{API_ID}.execute-api.localhost:8080"
FUNCTION_URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:000000000000:function:fn/invocations"
)


@dataclass
class Outcome:
    payload: bytes
    function_error: str | None = None


@dataclass
class FakeFunctions:
    """A FunctionInvoker answering from a script and recording each call."""

    answer: bytes = b'{"statusCode": 200, "body": "ok"}'
    function_error: str | None = None
    raises: BaseException | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)

    def invoke_event_as_service(
        self, function_ref: str, payload: bytes, *, principal: str, source_arn: str
    ) -> str:
        raise AssertionError("HTTP APIs invoke synchronously")

    async def invoke_as_service(
        self,
        function_ref: str,
        payload: bytes,
        *,
        principal: str,
        source_arn: str,
        time_limit: float | None = None,
    ) -> Outcome:
        self.calls.append(
            {
                "function": function_ref,
                "payload": payload,
                "principal": principal,
                "source_arn": source_arn,
                "time_limit": time_limit,
            }
        )
        if self.raises is not None:
            raise self.raises
        return Outcome(self.answer, self.function_error)


class Upstream(RecordingUpstream):
    """RecordingUpstream that may also fail as the upstream client fails."""

    def __init__(
        self, response: Response | None = None, raises: BaseException | None = None
    ) -> None:
        super().__init__(response or Response(200, [("Content-Type", "text/plain")], b"up"))
        self.raises = raises

    async def send(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes | None,
        *,
        time_limit: float,
        verify_tls: bool = True,
    ) -> Response:
        answer = await super().send(method, url, headers, body, time_limit=time_limit)
        if self.raises is not None:
            raise self.raises
        return answer


def definition(**api: Any) -> ApiDefinition:
    return empty_definition(
        {
            "ApiId": API_ID,
            "Name": "unit",
            "ProtocolType": "HTTP",
            "RouteSelectionExpression": "${request.method} ${request.path}",
            **api,
        }
    )


def add_route(
    definition: ApiDefinition,
    route_key: str,
    integration: dict[str, Any] | None = None,
    **route: Any,
) -> str:
    """A route (and its integration, a Lambda one by default); returns the route id."""
    number = len(definition["Routes"]) + 1
    route_id, integration_id = f"r{number:06d}", f"i{number:06d}"
    fields = integration or {"IntegrationType": "AWS_PROXY", "IntegrationUri": FUNCTION_URI}
    definition["Integrations"][integration_id] = {"IntegrationId": integration_id, **fields}  # type: ignore[typeddict-item]
    definition["Routes"][route_id] = {  # type: ignore[typeddict-item]
        "RouteId": route_id,
        "RouteKey": route_key,
        "Target": f"integrations/{integration_id}",
        **route,
    }
    return route_id


def stage(
    definition: ApiDefinition,
    name: str = "$default",
    *,
    functions: Any = None,
    upstream: Upstream | None = None,
    auth: AuthServices | None = None,
    **settings: Any,
) -> CompiledHttpStage:
    """`functions`: a FunctionInvoker (FakeFunctions by default); `auth`: the authorizer
    cache and the rest of AuthServices, to look into them."""
    record: Stage = {"StageName": name, "DeploymentId": "dep1234", **settings}  # type: ignore[typeddict-item]
    services = IntegrationServices(
        upstream or Upstream(),
        functions or FakeFunctions(),
        "us-east-1",
        "000000000000",
        AwsServices(),
        auth or AuthServices(),
    )
    return compile_stage(definition, "dep1234", record, services)


def context(
    compiled: CompiledHttpStage,
    method: str = "GET",
    path: str = "/",
    *,
    raw_path: str | None = None,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    query: str = "",
) -> HttpContext:
    """A request as the server builds it: `path` is what routes see, `raw_path` the path as
    received (defaults to `path`, i.e. the $default stage)."""
    request = Request(
        method,
        path,
        raw_path if raw_path is not None else path,
        query,
        headers if headers is not None else [("Host", HOST), ("User-Agent", "unit/1.0")],
        body,
        "10.0.0.1",
        HOST,
        "http",
        8080,
    )
    return HttpContext(request, compiled, gateway_ip="127.0.0.1")

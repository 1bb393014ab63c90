"""Builders for data-plane unit tests: a REST API definition compiled into a stage, and the
request context a stage would see."""

from __future__ import annotations

from typing import Any

from tollway.control.apigateway import rules
from tollway.dataplane.compile import compile_stage
from tollway.dataplane.compiled import CompiledStage
from tollway.dataplane.context import Request, Response, RestContext
from tollway.dataplane.integrations import IntegrationServices
from tollway.dataplane.integrations.aws_service import AwsServices
from tollway.model.rest import RestApiDefinition, plain_stage


class RecordingUpstream:
    """An UpstreamClient that answers from a script and records what it was sent."""

    def __init__(self, response: Response | None = None) -> None:
        self.response = response or Response(200, [("Content-Type", "application/json")], b"{}")
        self.sent: list[dict[str, Any]] = []

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
        self.sent.append(
            {
                "method": method,
                "url": url,
                "headers": headers,
                "body": body,
                "time_limit": time_limit,
            }
        )
        return self.response

    async def close(self) -> None:
        pass


class NoFunctions:
    async def invoke_as_service(
        self,
        function_ref: str,
        payload: bytes,
        *,
        principal: str,
        source_arn: str,
        time_limit: float | None = None,
    ) -> Any:
        raise AssertionError("no function should be invoked")


def services(
    upstream: RecordingUpstream | None = None, aws: AwsServices | None = None
) -> IntegrationServices:
    return IntegrationServices(
        upstream or RecordingUpstream(),
        NoFunctions(),
        "us-east-1",
        "000000000000",
        aws or AwsServices(),
    )


def definition() -> RestApiDefinition:
    return rules.new_definition(name="unit", created=0, api_id="abc1234567")


def add(
    definition: RestApiDefinition,
    path: str,
    verb: str,
    integration: dict[str, Any] | None = None,
    responses: dict[str, dict[str, Any]] | None = None,
) -> str:
    """Adds a method (and the resources of its path); returns the resource id."""
    resources = definition["resources"]
    parent = definition["api"]["rootResourceId"]
    for part in [p for p in path.split("/") if p]:
        existing = next(
            (
                r
                for r in resources.values()
                if r.get("parentId") == parent and r.get("pathPart") == part
            ),
            None,
        )
        if existing is None:
            existing = rules.new_resource(resources, parent, part)
            resources[existing["id"]] = existing
        parent = existing["id"]
    method = rules.new_method(verb)
    fields = integration or {
        "type": "MOCK",
        "requestTemplates": {"application/json": '{"statusCode": 200}'},
    }
    built = rules.new_integration(parent, fields)
    if responses is not None:
        built["integrationResponses"] = responses  # type: ignore[typeddict-item]
    method["methodIntegration"] = built
    resources[parent].setdefault("resourceMethods", {})[verb] = method
    return parent


def stage(
    definition: RestApiDefinition,
    *,
    variables: dict[str, str] | None = None,
    upstream: RecordingUpstream | None = None,
    aws: AwsServices | None = None,
    **settings: Any,
) -> CompiledStage:
    record = plain_stage("test", "dep123", variables)
    record.update(settings)  # type: ignore[typeddict-item]
    return compile_stage(definition, "dep123", record, services(upstream, aws))


def context(
    compiled: CompiledStage,
    method: str = "GET",
    path: str = "/",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    query: str = "",
) -> RestContext:
    request = Request(
        method,
        path,
        f"/test{path}",
        query,
        headers if headers is not None else [("Host", "abc1234567.execute-api.x")],
        body,
        "10.0.0.1",
        "abc1234567.execute-api.x",
    )
    return RestContext(request, compiled)

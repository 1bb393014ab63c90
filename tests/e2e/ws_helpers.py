"""WebSocket API helpers for the e2e tests: an API built through `apigatewayv2`, Lambda
routes, and the `websockets` client (sync API) against the gateway."""

from __future__ import annotations

import uuid
from typing import Any

from tests.e2e.conftest import ACCOUNT, REGION, Server, create_function, lambda_uri


def ws_url(server: Server, api_id: str, stage: str, query: str = "") -> str:
    """The path-based WebSocket URL of a stage."""
    base = server.gateway.replace("http://", "ws://")
    return f"{base}/_aws/execute-api/{api_id}/{stage}" + (f"?{query}" if query else "")


def stage_url(server: Server, api_id: str, stage: str) -> str:
    """The management (`@connections`) endpoint of a stage, path-based."""
    return f"{server.gateway}/_aws/execute-api/{api_id}/{stage}"


def new_ws_api(v2: Any, name: str = "ws", expression: str = "$request.body.action") -> str:
    api = v2.create_api(Name=name, ProtocolType="WEBSOCKET", RouteSelectionExpression=expression)
    return str(api["ApiId"])


def lambda_route(
    v2: Any,
    lam: Any,
    api_id: str,
    key: str,
    function: str,
    source: str | None,
    *,
    two_way: bool = False,
    **route: Any,
) -> str:
    """A route to a Lambda proxy integration (the function created when `source` is given,
    else allowed to be called by this API too)."""
    source_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*"
    if source is not None:
        create_function(lam, function, source, source_arn=source_arn)
    else:
        lam.add_permission(
            FunctionName=function,
            StatementId=f"ws-{uuid.uuid4().hex}",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=source_arn,
        )
    integration = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=lambda_uri(function)
    )
    return _route(v2, api_id, key, integration["IntegrationId"], two_way, **route)


def _route(v2: Any, api_id: str, key: str, integration_id: str, two_way: bool, **extra: Any) -> str:
    if two_way:
        extra["RouteResponseSelectionExpression"] = "$default"
    route = v2.create_route(
        ApiId=api_id, RouteKey=key, Target=f"integrations/{integration_id}", **extra
    )
    if two_way:
        v2.create_route_response(
            ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey="$default"
        )
    return str(route["RouteId"])


def mock_route(v2: Any, api_id: str, key: str, template: str) -> str:
    """A two-way MOCK route answering `template` (VTL)."""
    integration = v2.create_integration(
        ApiId=api_id,
        IntegrationType="MOCK",
        RequestTemplates={"$default": '{"statusCode": 200}'},
        TemplateSelectionExpression="\\$default",
    )
    v2.create_integration_response(
        ApiId=api_id,
        IntegrationId=integration["IntegrationId"],
        IntegrationResponseKey="$default",
        ResponseTemplates={"$default": template},
    )
    return _route(v2, api_id, key, integration["IntegrationId"], True)


def deploy_ws(v2: Any, api_id: str, stage: str = "dev") -> None:
    v2.create_stage(ApiId=api_id, StageName=stage)
    v2.create_deployment(ApiId=api_id, StageName=stage)

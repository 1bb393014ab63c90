"""The `apigatewayv2` service (HTTP and WebSocket APIs, API Gateway v2): its operations, the
rules AWS applies to definitions, auto-deploy, OpenAPI import and export.

VpcLink, routing rules and developer portals are not registered: they answer 501
NotImplementedException naming the operation.
"""

from __future__ import annotations

from tollway.control.operations import OperationTable


def operations() -> OperationTable:
    from tollway.control.apigatewayv2 import (
        apis,
        deployments,
        domains,
        integrations,
        lambda_authorizers,
        openapi,
        parts,
        routes,
        stages,
        tags,
    )

    return OperationTable("apigatewayv2").merge(
        apis.ops,
        routes.ops,
        integrations.ops,
        openapi.ops,
        stages.ops,
        deployments.ops,
        parts.ops,
        lambda_authorizers.ops,
        domains.ops,
        tags.ops,
    )

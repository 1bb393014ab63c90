"""The `apigateway` service (REST APIs, API Gateway v1): its operations, OpenAPI import and
export, and the rules AWS applies to definitions."""

from __future__ import annotations

from tollway.control.operations import OperationTable


def operations() -> OperationTable:
    from tollway.control.apigateway import (
        account,
        api_keys,
        authorizer_runs,
        authorizers,
        definitions,
        deployments,
        domains,
        integrations,
        resources,
        restapis,
        stage_cache,
        stages,
        tags,
        test_invoke,
        usage_plan_keys,
        usage_plans,
    )

    return OperationTable("apigateway").merge(
        restapis.ops,
        resources.ops,
        integrations.ops,
        deployments.ops,
        domains.ops,
        stages.ops,
        definitions.ops,
        authorizers.ops,
        authorizer_runs.ops,
        tags.ops,
        test_invoke.ops,
        api_keys.ops,
        usage_plans.ops,
        usage_plan_keys.ops,
        account.ops,
        stage_cache.ops,
    )

"""Which authorization a method (REST) or route (HTTP API) runs, chosen at deployment.

The compilers call `method_authorization` / `route_authorization` once per method or route;
each returns the compiled `Authorization` (outcome.py) of the mode configured, or None when
the method needs none. A mode Tollway cannot run for this configuration is never skipped
silently: the method gets a warning at load naming it, and its requests are refused with 500
(`Misconfigured`) rather than let through.

`resource_policy` compiles a REST API's resource policy for a stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tollway.dataplane.auth.arns import http_route_arn, rest_method_arn
from tollway.dataplane.auth.iam import build_iam
from tollway.dataplane.auth.outcome import Authorization, Decision
from tollway.dataplane.errors import AuthorizerConfigurationError, GatewayError

if TYPE_CHECKING:
    from tollway.dataplane.compiled import ResourcePolicy
    from tollway.dataplane.context import RestContext
    from tollway.dataplane.http_api.context import HttpContext
    from tollway.dataplane.integrations import IntegrationServices
    from tollway.model.http_api import ApiDefinition, Route
    from tollway.model.http_api import Stage as HttpStage
    from tollway.model.rest import Method, RestApiDefinition, Stage


class Misconfigured:
    """A method or route whose authorization cannot run (an authorizer that does not exist,
    a mode Tollway does not support): every request gets 500, never a free pass."""

    policy_first = False

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def authorize(self, ctx: Any) -> Decision:
        raise AuthorizerConfigurationError(
            log=f"Execution failed due to configuration error: {self.reason}"
        )

    def denied(self, ctx: Any, decision: Decision) -> GatewayError:
        raise AssertionError("Misconfigured.authorize never decides")


def method_authorization(
    definition: RestApiDefinition,
    method: Method,
    stage: Stage,
    services: IntegrationServices,
    warnings: list[str],
) -> Authorization[RestContext] | None:
    """The compiled authorization of a REST method."""
    kind = method.get("authorizationType", "NONE")
    if kind == "NONE":
        return None
    if kind == "AWS_IAM":
        return build_iam(services, rest_method_arn, warnings)
    reason = f"authorization type {kind} is not supported yet"
    warnings.append(f"{reason} (its requests are refused with 500)")
    return Misconfigured(reason)


def route_authorization(
    definition: ApiDefinition,
    route: Route,
    stage: HttpStage,
    services: IntegrationServices,
    warnings: list[str],
) -> Authorization[HttpContext] | None:
    """The compiled authorization of an HTTP API route."""
    kind = route.get("AuthorizationType", "NONE")
    if kind == "NONE":
        return None
    if kind == "AWS_IAM":
        return build_iam(services, http_route_arn, warnings, http_api=True)
    reason = f"authorization type {kind} is not supported yet"
    warnings.append(f"{reason} (its requests are refused with 500)")
    return Misconfigured(reason)


def resource_policy(
    definition: RestApiDefinition, stage: Stage, services: IntegrationServices, warnings: list[str]
) -> ResourcePolicy | None:
    """The API's resource policy compiled for a stage, or None when it has none."""
    if definition["api"].get("policy"):
        warnings.append("the resource policy is not enforced yet")
    return None

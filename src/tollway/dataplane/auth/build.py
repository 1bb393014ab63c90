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

from tollway.dataplane.auth import cognito, jwt
from tollway.dataplane.auth.arns import http_route_arn, rest_method_arn
from tollway.dataplane.auth.iam import build_iam
from tollway.dataplane.auth.lambda_http import build_lambda_http
from tollway.dataplane.auth.lambda_rest import build_lambda_rest
from tollway.dataplane.auth.outcome import Authorization, Decision
from tollway.dataplane.auth.policy import Policy
from tollway.dataplane.auth.resource_policy import (
    GETTERS,
    CompiledResourcePolicy,
    UnreadablePolicy,
    condition_keys,
)
from tollway.dataplane.errors import AuthorizerConfigurationError, GatewayError
from tollway.model import rest_policy

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
    if kind == "COGNITO_USER_POOLS":
        return _cognito_method(definition, method, services, warnings)
    if kind == "CUSTOM":
        return _custom(definition, method, stage, services, warnings)
    if kind == "AWS_IAM":
        return build_iam(services, rest_method_arn, warnings)
    reason = f"authorization type {kind} is not supported yet"
    return _refused(reason, warnings)


def _custom(
    definition: RestApiDefinition,
    method: Method,
    stage: Stage,
    services: IntegrationServices,
    warnings: list[str],
) -> Authorization[RestContext]:
    """CUSTOM: the method's Lambda TOKEN/REQUEST authorizer (lambda_rest.py)."""
    authorizer_id = method.get("authorizerId", "")
    authorizer = definition.get("authorizers", {}).get(authorizer_id)
    if authorizer is None or authorizer["type"] not in ("TOKEN", "REQUEST"):
        reason = f"authorizer {authorizer_id!r} is not a Lambda authorizer of this API"
    else:
        try:
            return build_lambda_rest(definition, authorizer, stage, services, warnings)
        except ValueError as e:
            reason = str(e)
    return _refused(reason, warnings)


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
    if kind == "JWT":
        return _jwt_route(definition, route, services, warnings)
    if kind == "CUSTOM":
        authorizer = definition["Authorizers"].get(route.get("AuthorizerId") or "")
        if authorizer is None or authorizer.get("AuthorizerType") != "REQUEST":
            reason = f"the route's Lambda authorizer {route.get('AuthorizerId')} does not exist"
            return _refused(reason, warnings)
        return build_lambda_http(definition, dict(authorizer), stage, services, warnings)
    if kind == "AWS_IAM":
        return build_iam(services, http_route_arn, warnings, http_api=True)
    reason = f"authorization type {kind} is not supported yet"
    return _refused(reason, warnings)


def _cognito_method(
    definition: RestApiDefinition,
    method: Method,
    services: IntegrationServices,
    warnings: list[str],
) -> Authorization[RestContext]:
    authorizer_id = method.get("authorizerId") or ""
    authorizer = (definition.get("authorizers") or {}).get(authorizer_id)
    if authorizer is None or authorizer.get("type") != "COGNITO_USER_POOLS":
        return _refused(
            f"COGNITO_USER_POOLS needs a Cognito user pool authorizer, not {authorizer_id}",
            warnings,
        )
    scopes = list(method.get("authorizationScopes") or [])
    auth = services.auth
    built = cognito.build_method(dict(authorizer), scopes, auth.jwks, auth.cognito_endpoint)
    return _refused(built, warnings) if isinstance(built, str) else built


def _jwt_route(
    definition: ApiDefinition, route: Route, services: IntegrationServices, warnings: list[str]
) -> Authorization[HttpContext]:
    authorizer = definition["Authorizers"].get(route.get("AuthorizerId") or "")
    if authorizer is None or authorizer.get("AuthorizerType") != "JWT":
        return _refused(
            f"route authorization JWT needs a JWT authorizer, not {route.get('AuthorizerId')}",
            warnings,
        )
    scopes = list(route.get("AuthorizationScopes") or [])
    built = jwt.build_route(authorizer, scopes, services.auth.jwks, warnings)
    return _refused(built, warnings) if isinstance(built, str) else built


def _refused(reason: str, warnings: list[str]) -> Misconfigured:
    """A mode that cannot run: warned about at load, its requests refused with 500."""
    warnings.append(f"{reason} (its requests are refused with 500)")
    return Misconfigured(reason)


def resource_policy(
    definition: RestApiDefinition, stage: Stage, services: IntegrationServices, warnings: list[str]
) -> ResourcePolicy | None:
    """The API's resource policy compiled for a stage, or None when it has none."""
    api = definition["api"]
    text = api.get("policy")
    if not text:
        return None
    try:
        document = rest_policy.expand_resources(
            rest_policy.document(text), services.region, services.account_id, api["id"]
        )
        policy = Policy.parse(document, resource_policy=True)
    except ValueError as error:  # not JSON, or not a policy (PolicyError)
        warnings.append(f"the resource policy cannot be read ({error}): every request gets 500")
        return UnreadablePolicy(str(error))
    warnings.extend(f"resource policy: {w}" for w in policy.warnings)
    for key in sorted(condition_keys(document)):
        if key.lower() in ("aws:sourcevpc", "aws:sourcevpce"):
            warnings.append(
                f"resource policy: condition key {key} never has a value in Tollway "
                "(there are no VPC endpoints)"
            )
        elif key.lower() not in GETTERS:
            warnings.append(f"resource policy: condition key {key} has no value in Tollway")
    cognito = frozenset(
        (resource["id"], verb)
        for resource in definition["resources"].values()
        for verb, method in (resource.get("resourceMethods") or {}).items()
        if method.get("authorizationType") == "COGNITO_USER_POOLS"
    )
    return CompiledResourcePolicy(policy, cognito)

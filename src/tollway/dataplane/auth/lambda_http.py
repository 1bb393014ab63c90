"""HTTP API Lambda authorizers (REQUEST), compiled per route at deployment (spec §5.7).

AWS counterpart: "Working with AWS Lambda authorizers for HTTP APIs". Per request:
1. the identity sources (`$request.header.X`, `$request.querystring.Y`, `$context.Z`,
   `$stageVariables.W`) are read; one missing or empty is a 401 `{"message":"Unauthorized"}`
   and the function is not called. Without identity sources the function is always called;
2. with caching (`AuthorizerResultTtlInSeconds` > 0) a cached answer for the same identity
   values (same stage, same authorizer) is used instead of calling the function; to cache per
   route, `$context.routeKey` is one of the identity sources;
3. otherwise the function gets the payload 2.0 or 1.0 authorizer event (below) through the
   shared core (lambda_core.py: source ARN `{api}/authorizers/{id}`, 10 s, errors mapped);
4. its answer decides. With `EnableSimpleResponses` (2.0 only): `{"isAuthorized": bool,
   "context": {...any JSON}}`; otherwise an IAM policy (`principalId`, `policyDocument`,
   `context`) evaluated against the request's route ARN — again for every request a cached
   policy answers, so a policy cached by one route denies another it does not cover (a
   path with `%` or dot segments: under each of its readings, arns.decide). A
   simple answer applies to every request with the same identity values.
   Refused: 403 `{"message":"Forbidden"}`. A function error `Unauthorized`: 401. Any other
   error, an unusable answer (`isAuthorized` not a boolean, a context that is not an object,
   a bad policy, a 1.0 context with objects or the reserved key `claims`): 500
   `{"message":"Internal Server Error"}`.

Events: 2.0 is the 2.0 proxy event (http_api/payload.py) without `body` and
`isBase64Encoded`, with `type: REQUEST`, `routeArn` and `identitySource` (the values, in
order); 1.0 is the 1.0 proxy event without the body, with `type: REQUEST`, `methodArn` (the
route ARN), and `identitySource` / `authorizationToken` (the values joined with commas).

What the integration gets (AuthorizerResult, built once per answer and cached with it):
payload 2.0 `requestContext.authorizer` = `{"lambda": context}` (the context as returned,
`{}` when there is none); payload 1.0 `requestContext.authorizer` = the context's keys and,
for a policy answer, `principalId`; `$context.authorizer.<key>` / `.principalId` the values as
text (objects and arrays as JSON).

Choices where AWS is silent: without identity sources 2.0's `identitySource` is left out and
1.0's is null; with simple responses enabled an answer without `isAuthorized` but with a
`policyDocument` is read as a policy; `AuthorizerCredentialsArn` is not assumed (Tollway
checks the function's resource policy as it does without one; a load warning says so).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import orjson

from tollway.dataplane.auth.arns import decide, http_route_arn
from tollway.dataplane.auth.lambda_core import (
    AuthorizerFunction,
    PolicyAnswer,
    ResultCache,
    authorizer_source_arn,
    configuration_error,
    fingerprint,
    identity_values,
    parse_policy_answer,
)
from tollway.dataplane.auth.outcome import AuthorizerResult, Decision
from tollway.dataplane.errors import AccessDenied, GatewayError, Unauthorized
from tollway.dataplane.http_api.context import HttpContext
from tollway.dataplane.http_api.payload import event_v1, event_v2
from tollway.dataplane.http_api.variables import getter
from tollway.dataplane.integrations import substitute_stage_variables
from tollway.model.arns import lambda_function_of

if TYPE_CHECKING:
    from tollway.dataplane.integrations import IntegrationServices
    from tollway.model.http_api import ApiDefinition
    from tollway.model.http_api import Stage as HttpStage

IdentityGetter = Callable[[HttpContext], str | None]
RESERVED_V1 = ("claims",)  # a 1.0 context may not use it (spec §5.7)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the function answered, ready for every request it applies to (and cached as
    it is): a simple answer's boolean, or a policy to evaluate against each route ARN."""

    result: AuthorizerResult
    allowed: bool | None = None  # a simple answer
    policy: PolicyAnswer | None = None

    def decide(self, ctx: HttpContext) -> Decision:
        if self.policy is not None:
            return decide(self.policy.decide, http_route_arn(ctx), ctx.request.path)
        return Decision.ALLOW if self.allowed else Decision.DENY


class LambdaHttpAuthorizer:
    """One route's Lambda authorizer (`Authorization[HttpContext]`)."""

    policy_first = False  # HTTP APIs have no resource policies

    def __init__(
        self,
        *,
        function: AuthorizerFunction,
        version: str,
        simple: bool,
        sources: tuple[IdentityGetter, ...],
        cache: ResultCache[Verdict],
    ) -> None:
        self._function = function
        self._v2 = version == "2.0"
        self._simple = simple and self._v2
        self._sources = sources
        self._cache = cache

    async def authorize(self, ctx: HttpContext) -> Decision:
        values = identity_values(self._sources, ctx)
        if values is None:
            raise Unauthorized(log="an identity source of the authorizer is missing or empty")
        verdict = await self._cache.get(values)
        if verdict is None:
            answer = await self._ask(ctx, values)
            verdict = verdict_of(answer, simple=self._simple, v2=self._v2)
            await self._cache.put(values, answer, verdict)
        ctx.authorizer = verdict.result
        return verdict.decide(ctx)

    def denied(self, ctx: HttpContext, decision: Decision) -> GatewayError:
        return AccessDenied(log="the Lambda authorizer denied the request")

    async def _ask(self, ctx: HttpContext, values: tuple[str, ...]) -> Any:
        arn = http_route_arn(ctx)
        event = self._event_v2(ctx, arn, values) if self._v2 else self._event_v1(ctx, arn, values)
        return (await self._function.call(event)).answer

    def _event_v2(self, ctx: HttpContext, arn: str, values: tuple[str, ...]) -> dict[str, Any]:
        proxy = event_v2(ctx, body=False)
        event: dict[str, Any] = {"version": "2.0", "type": "REQUEST", "routeArn": arn}
        if self._sources:
            event["identitySource"] = list(values)
        event.update((k, v) for k, v in proxy.items() if k != "version")
        return event

    def _event_v1(self, ctx: HttpContext, arn: str, values: tuple[str, ...]) -> dict[str, Any]:
        proxy = event_v1(ctx, body=False)
        joined = ",".join(values) if self._sources else None
        event: dict[str, Any] = {
            "version": "1.0",
            "type": "REQUEST",
            "methodArn": arn,
            "identitySource": joined,
            "authorizationToken": joined,
        }
        event.update((k, v) for k, v in proxy.items() if k != "version")
        return event


# --- answers --------------------------------------------------------------------------------


def verdict_of(answer: Any, *, simple: bool, v2: bool) -> Verdict:
    """The function's answer checked and prepared (a shared cache's stored answer too)."""
    if simple and not _reads_as_policy(answer):
        return simple_verdict(answer)
    return policy_verdict(answer, v2=v2)


def _reads_as_policy(answer: Any) -> bool:
    return isinstance(answer, dict) and "isAuthorized" not in answer and "policyDocument" in answer


def simple_verdict(answer: Any) -> Verdict:
    """A simple answer (2.0 with EnableSimpleResponses): `isAuthorized` must be a boolean."""
    if not isinstance(answer, dict) or not isinstance(answer.get("isAuthorized"), bool):
        raise configuration_error("the authorizer's simple response has no boolean isAuthorized")
    context = _context(answer)
    result = AuthorizerResult(
        variables=_variables(context), event=dict(context), event_v2={"lambda": context}
    )
    return Verdict(result, allowed=answer["isAuthorized"])


def policy_verdict(answer: Any, *, v2: bool) -> Verdict:
    """An IAM-policy answer: 1.0's context values are strings, numbers or booleans and may not
    use `claims`; 2.0's may be any JSON."""
    checked = parse_policy_answer(answer, reserved=() if v2 else RESERVED_V1, json_context=v2)
    context = checked.context
    result = AuthorizerResult(
        principal_id=checked.principal_id,
        variables={"principalId": checked.principal_id, **_variables(context)},
        event={**context, "principalId": checked.principal_id},
        event_v2={"lambda": context},
    )
    return Verdict(result, policy=checked)


def _context(answer: dict[str, Any]) -> dict[str, Any]:
    context = answer.get("context")
    if context is None:
        return {}
    if not isinstance(context, dict):
        raise configuration_error("the authorizer's context must be a JSON object")
    return context


def _variables(context: dict[str, Any]) -> dict[str, str | None]:
    """`$context.authorizer.<key>`: values as text (objects and arrays as JSON)."""
    return {key: _text(value) for key, value in context.items()}


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return orjson.dumps(value).decode()


# --- compiling ------------------------------------------------------------------------------


def identity_getter(source: str, stage_variables: dict[str, str]) -> IdentityGetter | None:
    """One identity source compiled to a function of the request; None if it names nothing
    HTTP APIs have (its requests are then refused with 401)."""
    kind, _, name = source.removeprefix("$").partition(".")
    if kind == "request":
        where, _, name = name.partition(".")
        if where == "header" and name:
            return lambda ctx: ",".join(ctx.request.header_values(name)) or None
        if where == "querystring" and name:
            return lambda ctx: ",".join(ctx.request.multi_query.get(name, ())) or None
        return None
    if kind == "stageVariables" and name:
        value = stage_variables.get(name)  # a stage's variables are fixed at deployment
        return lambda ctx: value
    if kind == "context" and name:
        get = getter(name)
        if get is None:
            return None
        found = get
        return lambda ctx: _text(found(ctx))
    return None


def build_lambda_http(
    definition: ApiDefinition,
    authorizer: dict[str, Any],
    stage: HttpStage,
    services: IntegrationServices,
    warnings: list[str],
) -> LambdaHttpAuthorizer:
    """The authorizer compiled for one route of one stage."""
    variables = dict(stage.get("StageVariables") or {})
    api_id = definition["Api"]["ApiId"]
    authorizer_id = authorizer["AuthorizerId"]
    name = f"authorizer {authorizer.get('Name', authorizer_id)}"
    sources = []
    for source in authorizer.get("IdentitySource") or []:
        get = identity_getter(source, variables)
        if get is None:
            warnings.append(f"{name}: identity source {source} has no value on HTTP APIs "
                            "(requests are refused with 401)")  # fmt: skip
            get = _missing
        sources.append(get)
    if authorizer.get("AuthorizerCredentialsArn"):
        warnings.append(f"{name}: AuthorizerCredentialsArn is not assumed; the function's "
                        "resource policy must allow apigateway.amazonaws.com")  # fmt: skip
    uri = substitute_stage_variables(authorizer.get("AuthorizerUri", ""), variables)
    function_ref = lambda_function_of(uri) or uri
    function = AuthorizerFunction(
        function_ref,
        services.functions,
        authorizer_source_arn(services.region, services.account_id, api_id, authorizer_id),
    )
    version = authorizer.get("AuthorizerPayloadFormatVersion", "2.0")
    simple = bool(authorizer.get("EnableSimpleResponses"))
    identity = authorizer.get("IdentitySource") or []
    return LambdaHttpAuthorizer(
        function=function,
        version=version,
        simple=simple,
        sources=tuple(sources),
        cache=ResultCache(
            services.auth.cache,
            api_id,
            stage["StageName"],
            authorizer_id,
            int(authorizer.get("AuthorizerResultTtlInSeconds") or 0),
            fingerprint(function_ref, version, simple, identity),
            build=partial(verdict_of, simple=simple and version == "2.0", v2=version == "2.0"),
        ),
    )


def _missing(ctx: HttpContext) -> None:
    return None

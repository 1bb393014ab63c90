"""REST Lambda authorizers, TOKEN and REQUEST (spec §5.5), compiled per method at deployment.

AWS counterpart: a method with `authorizationType: CUSTOM` whose authorizer is a Lambda
function. Per request:
1. the identity sources are read (TOKEN: the one header; REQUEST: the listed headers, query
   parameters, stage variables and `$context` variables). One missing or empty, or a token
   the `identityValidationExpression` does not fully match: 401 UNAUTHORIZED, and the
   function is not called. A REQUEST authorizer without identity sources (allowed when its
   results are not cached) is called for every request;
2. the cached answer for those values (same stage, same authorizer) is used, or the function
   is called with the TOKEN event (`type`, `authorizationToken`, `methodArn`) or the REQUEST
   event (`type`, `methodArn` and the proxy event's request members, without the body), and
   its IAM-policy answer checked and cached for `authorizerResultTtlInSeconds`;
3. the answer's policy is evaluated against this request's method ARN (auth/arns.py): so a
   cached answer covers every method its policy allows and denies the others; a Deny
   statement wins. A path with `%` or dot segments must be allowed under each of its
   readings (arns.decide). The decision goes back to the authorization stage, which refuses with
   `denied()`: 403 ACCESS_DENIED, `{"Message":"User is not authorized to access this
   resource"}`, with `... with an explicit deny` when a Deny statement matched (the spec's
   record; AWS capitalises `Message` for these, see errors.AccessDenied).

What the integration sees (`ctx.authorizer`): `$context.authorizer.principalId` and the
context's keys with values stringified; a proxy event's `requestContext.authorizer`
(`principalId`, `integrationLatency` (0 when the answer came from the cache) and the context
keys, stringified); `usageIdentifierKey` for API keys from the authorizer (issue 7). Failed
requests keep the authorizer's status, latency and error for the access log.

Choices where AWS is silent (recorded in docs/authorization-lambda.md): a header sent several
times identifies by its last value; a query parameter likewise; answers that failed
(401/500) are not cached; `authorizerCredentials` is not used (the function must grant
apigateway.amazonaws.com permission for the authorizer's source ARN), with a load warning.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from tollway.dataplane import variables
from tollway.dataplane.auth.arns import decide, rest_method_arn
from tollway.dataplane.auth.lambda_core import (
    AuthorizerFunction,
    IdentityGetter,
    PolicyAnswer,
    ResultCache,
    authorizer_source_arn,
    fingerprint,
    identity_values,
    parse_policy_answer,
)
from tollway.dataplane.auth.outcome import AuthorizerResult, Decision
from tollway.dataplane.context import RestContext
from tollway.dataplane.errors import AccessDenied, GatewayError, Unauthorized
from tollway.dataplane.integrations import IntegrationServices, substitute_stage_variables
from tollway.dataplane.integrations.lambda_event import request_fields
from tollway.model.arns import lambda_function_of
from tollway.model.authorizers import (
    CONTEXT,
    HEADER,
    QUERYSTRING,
    IdentitySource,
    identity_sources,
)

if TYPE_CHECKING:
    from tollway.model.rest import Authorizer, RestApiDefinition, Stage

NOT_AUTHORIZED = "User is not authorized to access this resource"
EXPLICIT_DENY = NOT_AUTHORIZED + " with an explicit deny"


class RestAnswer:
    """A checked answer with what each request copies from it, built once (and cached)."""

    __slots__ = ("answer", "variables", "event_context", "cached_event")

    def __init__(self, answer: PolicyAnswer) -> None:
        self.answer = answer
        strings = answer.context_strings()
        strings.pop("principalId", None)
        strings.pop("integrationLatency", None)
        self.variables: dict[str, Any] = {"principalId": answer.principal_id, **strings}
        self.event_context = strings
        # `requestContext.authorizer` of the requests served from the cache (no call: 0 ms)
        self.cached_event = self.event(0)

    def event(self, integration_latency: int) -> dict[str, Any]:
        return {
            "principalId": self.answer.principal_id,
            "integrationLatency": integration_latency,
            **self.event_context,
        }


def rest_answer(answer: Any) -> RestAnswer:
    """An answer checked and prepared (also what a shared cache's stored answer becomes)."""
    return RestAnswer(parse_policy_answer(answer))


def _getter(source: IdentitySource, stage_variables: dict[str, str]) -> IdentityGetter[RestContext]:
    name = source.name
    if source.location == HEADER:
        return lambda ctx: ctx.request.header(name)
    if source.location == QUERYSTRING:
        return lambda ctx: ctx.request.query.get(name)
    if source.location == CONTEXT:
        get = variables.getter(name)
        if get is None:
            raise ValueError(f"unknown $context variable {name}")
        context_getter = get
        return lambda ctx: _text(context_getter(ctx))
    value = stage_variables.get(name)  # a stage's variables are fixed: read them once
    return lambda ctx: value


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class LambdaRestAuthorization:
    """A method's TOKEN or REQUEST authorizer (outcome.Authorization)."""

    policy_first = True  # the resource policy's explicit Deny refuses before the call

    def __init__(
        self,
        *,
        kind: str,
        function: AuthorizerFunction,
        cache: ResultCache[RestAnswer],
        getters: list[IdentityGetter[RestContext]],
        validation: re.Pattern[str] | None = None,
    ) -> None:
        self.kind = kind
        self.function = function
        self.cache = cache
        self._getters = getters
        self._validation = validation

    def identity(self, ctx: RestContext) -> tuple[str, ...] | None:
        """The identity values of this request, or None: 401 without calling the function."""
        values = identity_values(self._getters, ctx)
        if (
            values is not None
            and self._validation is not None
            and self._validation.fullmatch(values[0]) is None
        ):
            return None
        return values

    def event(self, ctx: RestContext, values: tuple[str, ...]) -> dict[str, Any]:
        arn = rest_method_arn(ctx)
        if self.kind == "TOKEN":
            return {"type": "TOKEN", "authorizationToken": values[0], "methodArn": arn}
        return {"type": "REQUEST", "methodArn": arn, **request_fields(ctx)}

    async def answer(self, ctx: RestContext, values: tuple[str, ...]) -> tuple[RestAnswer, int]:
        """The (cached or fresh) answer for these values, and the call's latency (0 when it
        came from the cache)."""
        cached = await self.cache.get(values)
        if cached is not None:
            return cached, 0
        called = await self.function.call(self.event(ctx, values))
        fresh = rest_answer(called.answer)
        await self.cache.put(values, called.answer, fresh)
        return fresh, called.latency_ms

    async def authorize(self, ctx: RestContext) -> Decision:
        started = time.perf_counter()
        values = self.identity(ctx)
        try:
            if values is None:
                raise Unauthorized(log="the identity sources are missing or do not validate")
            prepared, integration_latency = await self.answer(ctx, values)
        except GatewayError as e:
            ctx.authorizer = AuthorizerResult(
                latency=int((time.perf_counter() - started) * 1000),
                status=401 if isinstance(e, Unauthorized) else 500,
                integration_status=None if values is None else 200,
                error=e.message if e.message is not None else e.log,
            )
            raise
        answer = prepared.answer
        decision = decide(answer.decide, rest_method_arn(ctx), ctx.request.path)
        allowed = decision is Decision.ALLOW
        ctx.authorizer = AuthorizerResult(
            principal_id=answer.principal_id,
            variables=prepared.variables,
            event=prepared.event(integration_latency)
            if integration_latency
            else prepared.cached_event,
            usage_identifier_key=answer.usage_identifier_key,
            latency=int((time.perf_counter() - started) * 1000),
            integration_latency=integration_latency,
            status=200,
            integration_status=200,
            authorize_status=200 if allowed else 403,
        )
        return decision

    def denied(self, ctx: RestContext, decision: Decision) -> GatewayError:
        message = EXPLICIT_DENY if decision is Decision.DENY else NOT_AUTHORIZED
        if ctx.authorizer is not None:
            ctx.authorizer.authorize_status = 403
            ctx.authorizer.authorize_error = message
        return AccessDenied(message)


def build_lambda_rest(
    definition: RestApiDefinition,
    authorizer: Authorizer,
    stage: Stage,
    services: IntegrationServices,
    warnings: list[str],
) -> LambdaRestAuthorization:
    """A TOKEN/REQUEST authorizer compiled for a method of a stage; raises ValueError for
    one that cannot run (the caller makes the method refuse its requests with 500)."""
    stage_variables = stage.get("variables") or {}
    uri = substitute_stage_variables(authorizer.get("authorizerUri", ""), stage_variables)
    function = lambda_function_of(uri)
    if function is None:
        raise ValueError(f"authorizer {authorizer['id']} has no Lambda function URI ({uri})")
    if authorizer.get("authorizerCredentials"):
        warnings.append(
            f"authorizer {authorizer['name']}: authorizerCredentials (an IAM role) is not used; "
            "the function must allow apigateway.amazonaws.com to invoke it for "
            "arn:aws:execute-api:{region}:{account}:{api-id}/authorizers/{authorizer-id}"
        )
    sources = identity_sources(authorizer["type"], authorizer.get("identitySource"))
    getters = [_getter(source, stage_variables) for source in sources]
    expression = authorizer.get("identityValidationExpression")
    api_id = definition["api"]["id"]
    return LambdaRestAuthorization(
        kind=authorizer["type"],
        function=AuthorizerFunction(
            function,
            services.functions,
            authorizer_source_arn(services.region, services.account_id, api_id, authorizer["id"]),
        ),
        cache=ResultCache(
            services.auth.cache,
            api_id,
            stage["stageName"],
            authorizer["id"],
            # Without identity sources every caller would share one entry: never cached.
            authorizer.get("authorizerResultTtlInSeconds", 300) if sources else 0,
            fingerprint(function, authorizer["type"], authorizer.get("identitySource"), expression),
            build=rest_answer,
        ),
        getters=getters,
        validation=re.compile(expression) if expression and authorizer["type"] == "TOKEN" else None,
    )

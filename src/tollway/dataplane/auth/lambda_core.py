"""The Lambda authorizer core: what REST (lambda_rest.py) and HTTP API (lambda_http.py) Lambda
authorizers share.

AWS counterpart: API Gateway calling an authorizer function (spec §5.5, §5.7):
- `AuthorizerFunction` invokes the function through the Lambda host as the service principal
  `apigateway.amazonaws.com` with the authorizer's source ARN
  (`arn:aws:execute-api:{region}:{account}:{api-id}/authorizers/{authorizer-id}`, spec §5.2),
  giving up after the 10 s authorizer timeout. Lambda's outcomes as API Gateway reports them:
  a function error whose `errorMessage` is exactly `Unauthorized` is a 401 UNAUTHORIZED;
  any other function error (a timeout included), an answer that is not JSON, and an
  invocation Lambda refuses (no function, no permission, throttled) are a 500
  AUTHORIZER_CONFIGURATION_ERROR, whose default body is `{"message":null}`.
- `parse_policy_answer` checks an IAM-policy answer (`principalId`, `policyDocument`,
  `context`, `usageIdentifierKey`) and compiles its policy once, so a cached answer is only
  evaluated against each request's ARN. An answer API Gateway cannot use is a 500 too.
- `identity_values` reads the identity sources (getters the caller compiled for its API
  type): all present and non-empty, or None (the caller answers 401 without calling Lambda).
- `ResultCache` keys cached answers by `(api_id, stage, authorizer_id, configuration,
  *identity_values)`: a tuple, so values that contain the separator of a joined string
  (`"a,b"` + `"c"` and `"a"` + `"b,c"`) never share an entry. TTL 0 caches nothing. A cached
  Deny denies, because the cached answer's policy is evaluated again. Errors and 401s are not
  cached (AWS is not documented to cache them; a later request calls the function again).
  `configuration` fingerprints what the answer depends on (`fingerprint`: the function, the
  authorizer's type, identity sources, payload version...): the cache outlives
  redeployments of the stage (FlushStageAuthorizersCache and ResetAuthorizersCache exist for
  that), but an answer is only reused by the configuration that obtained it, so an authorizer
  redeployed with another function or other identity sources asks again (AWS does not
  document this case; Tollway never lets one function's Allow stand for another's).

Nothing here knows REST's or HTTP APIs' context types: callers pass what the core needs.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

import orjson

from tollway.dataplane.auth.outcome import Decision
from tollway.dataplane.auth.policy import Policy, PolicyError
from tollway.dataplane.errors import AuthorizerConfigurationError, Unauthorized
from tollway.dataplane.integrations.lambda_proxy import PRINCIPAL, FunctionInvoker
from tollway.functions.errors import (
    FunctionNotFound,
    FunctionThrottled,
    InvocationDenied,
    RemoteInvokeError,
)
from tollway.state.authorizer_cache import AuthorizerCache, CachedAnswer

AUTHORIZER_TIMEOUT = 10.0  # seconds: API Gateway's Lambda authorizer limit (spec §5.1)
INVOKE_ACTION = "execute-api:Invoke"
CONFIGURATION_ERROR = "Execution failed due to configuration error: "


def authorizer_source_arn(region: str, account_id: str, api_id: str, authorizer_id: str) -> str:
    """The ARN API Gateway calls an authorizer function as (its permission's SourceArn)."""
    return f"arn:aws:execute-api:{region}:{account_id}:{api_id}/authorizers/{authorizer_id}"


def configuration_error(reason: str) -> AuthorizerConfigurationError:
    return AuthorizerConfigurationError(log=CONFIGURATION_ERROR + reason)


@dataclass(frozen=True, slots=True)
class Invocation:
    """What the authorizer function answered (parsed JSON) and how long the call took."""

    answer: Any
    latency_ms: int


class AuthorizerFunction:
    """One authorizer's function, called as API Gateway calls it."""

    __slots__ = ("function_ref", "source_arn", "_invoker", "_timeout")

    def __init__(
        self,
        function_ref: str,
        invoker: FunctionInvoker,
        source_arn: str,
        timeout: float = AUTHORIZER_TIMEOUT,
    ) -> None:
        self.function_ref = function_ref
        self.source_arn = source_arn
        self._invoker = invoker
        self._timeout = timeout

    async def call(self, event: Mapping[str, Any]) -> Invocation:
        """Invoke with `event`; raises Unauthorized or AuthorizerConfigurationError."""
        started = time.perf_counter()
        try:
            result = await self._invoker.invoke_as_service(
                self.function_ref,
                orjson.dumps(event),
                principal=PRINCIPAL,
                source_arn=self.source_arn,
                time_limit=self._timeout,
            )
        except FunctionNotFound as e:
            raise configuration_error(f"Invalid function: {e}") from None
        except InvocationDenied as e:
            raise configuration_error(f"Invalid permissions on Lambda function ({e})") from None
        except FunctionThrottled as e:
            raise configuration_error(f"Lambda invocation failed with status: 429 ({e})") from None
        except RemoteInvokeError as e:
            raise configuration_error(
                f"Lambda invocation failed with status: {e.status} ({e.error_type}: {e.message})"
            ) from None
        except TimeoutError:
            raise configuration_error(
                f"the authorizer did not answer within {self._timeout:g} seconds"
            ) from None
        latency = int((time.perf_counter() - started) * 1000)
        try:
            answer = orjson.loads(result.payload)
        except orjson.JSONDecodeError:
            raise configuration_error(
                "Invalid JSON in the authorizer's response: "
                + result.payload[:200].decode("utf-8", "replace")
            ) from None
        if result.function_error:
            message = answer.get("errorMessage") if isinstance(answer, dict) else None
            if message == "Unauthorized":
                raise Unauthorized(log="the authorizer answered Unauthorized")
            raise configuration_error(
                "Authorizer error: " + result.payload[:1000].decode("utf-8", "replace")
            )
        return Invocation(answer, latency)


# --- IAM policy answers ----------------------------------------------------------------------

ContextValue = str | int | float | bool
DECISIONS_KEPT = 256  # ARNs whose decision one answer remembers


@dataclass(frozen=True, slots=True)
class PolicyAnswer:
    """An authorizer's IAM-policy answer, checked and compiled (cacheable as it is)."""

    principal_id: str
    policy: Policy
    context: dict[str, Any]  # ContextValue values, or any JSON (`json_context`)
    usage_identifier_key: str | None
    policy_document: Any  # as the function returned it (TestInvokeAuthorizer shows it)
    # Decisions already taken, by ARN: a cached answer serves the same few methods over and
    # over, and without conditions a policy's decision for an ARN never changes.
    decisions: dict[str, Decision] = field(default_factory=dict, compare=False)

    def decide(self, arn: str) -> Decision:
        """The policy's decision for a method (REST) or route (HTTP API) ARN."""
        decision = self.decisions.get(arn)
        if decision is None:
            decision = self.policy.evaluate(INVOKE_ACTION, arn)
            if len(self.decisions) < DECISIONS_KEPT and not self.policy.has_conditions:
                self.decisions[arn] = decision
        return decision

    def context_strings(self) -> dict[str, str]:
        """The context with values stringified as `$context.authorizer.<key>` and REST's
        `requestContext.authorizer` have them (`1` -> "1", `true` -> "true")."""
        return {key: stringify(value) for key, value in self.context.items()}


def stringify(value: ContextValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_policy_answer(
    answer: Any, *, reserved: Sequence[str] = (), json_context: bool = False
) -> PolicyAnswer:
    """Checks an IAM-policy answer; raises AuthorizerConfigurationError saying what is wrong.
    `reserved`: context keys the API type does not allow (HTTP API 1.0: `claims`).
    `json_context`: context values may be any JSON, arrays and objects too (HTTP API 2.0)."""
    if not isinstance(answer, dict):
        raise configuration_error("the authorizer's response is not a JSON object")
    principal_id = answer.get("principalId")
    if not isinstance(principal_id, str):
        raise configuration_error("the authorizer's response has no string principalId")
    document = answer.get("policyDocument")
    if document is None:
        raise configuration_error("the authorizer's response has no policyDocument")
    try:
        policy = Policy.parse(document)
    except PolicyError as e:
        raise configuration_error(
            f"invalid policyDocument in the authorizer's response: {e}"
        ) from None
    context = answer.get("context")
    if context is None:
        context = {}
    if not isinstance(context, dict):
        raise configuration_error("the authorizer's context must be a JSON object")
    for key, value in context.items():
        if key in reserved:
            raise configuration_error(f"the authorizer's context may not have the key {key!r}")
        if not json_context and not isinstance(value, (str, int, float, bool)):
            raise configuration_error(
                f"the authorizer's context value of {key!r} is not a string, number or boolean"
            )
    usage_key = answer.get("usageIdentifierKey")
    if usage_key is not None and not isinstance(usage_key, str):
        raise configuration_error("the authorizer's usageIdentifierKey must be a string")
    return PolicyAnswer(principal_id, policy, context, usage_key, document)


# --- identity sources and the cache ---------------------------------------------------------

C = TypeVar("C")
IdentityGetter = Callable[[C], str | None]


def identity_values(getters: Sequence[IdentityGetter[C]], ctx: C) -> tuple[str, ...] | None:
    """Every identity source's value, or None when one is missing or empty."""
    values = []
    for get in getters:
        value = get(ctx)
        if not value:
            return None
        values.append(value)
    return tuple(values)


def fingerprint(*configuration: Any) -> str:
    """A short stable digest of what an authorizer's answers depend on (JSON-able parts)."""
    text = orjson.dumps(configuration, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(text).hexdigest()[:16]


V = TypeVar("V")
MEMO_SIZE = 1024  # answers from a shared cache whose prepared form one authorizer keeps


class ResultCache(Generic[V]):
    """One authorizer's answers in the shared authorizer cache, for one stage and one
    configuration of the authorizer (`fingerprint`). What is stored is the function's
    answer (JSON) beside its prepared form `V`; a shared (Redis) cache gives back only the
    JSON, which `build` turns into `V` again, once per distinct answer (a small memo)."""

    __slots__ = ("_cache", "_prefix", "ttl", "_build", "_memo")

    def __init__(
        self,
        cache: AuthorizerCache,
        api_id: str,
        stage: str,
        authorizer_id: str,
        ttl: int,
        configuration: str = "",
        *,
        build: Callable[[Any], V],
    ) -> None:
        self._cache = cache
        self._prefix: tuple[str, ...] = (api_id, stage, authorizer_id, configuration)
        self.ttl = ttl
        self._build = build
        self._memo: dict[bytes, V] = {}

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def key(self, values: tuple[str, ...]) -> tuple[Hashable, ...]:
        return (*self._prefix, *values)

    async def get(self, values: tuple[str, ...]) -> V | None:
        if not self.enabled:
            return None
        found = await self._cache.get(self.key(values))
        if found is None:
            return None
        if found.prepared is not None:
            return cast(V, found.prepared)
        prepared = self._memo.get(found.raw)
        if prepared is None:
            prepared = self._build(orjson.loads(found.raw))
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[found.raw] = prepared
        return prepared

    async def put(self, values: tuple[str, ...], answer: Any, prepared: V) -> None:
        """`answer`: what the function returned (parsed JSON); `prepared`: its `build`."""
        if self.enabled:
            entry = CachedAnswer(orjson.dumps(answer), prepared)
            await self._cache.put(self.key(values), entry, self.ttl)

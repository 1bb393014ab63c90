"""REST API resource policies, compiled per stage and evaluated per request (spec §5.4).

AWS counterpart: the API Gateway resource policy (`RestApi.policy`), evaluated for the
action `execute-api:Invoke` on the request's method ARN
`arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{VERB}/{path}` (arns.py). The REST
authorization stage (handlers/authorize.py) combines its decision with the method's own
authorization by AWS's tables; this module answers three questions for it: the policy's
decision, whether the caller counts as of the API's account, and the refusal's error.

What the policy sees:
- the caller: an IAM caller's ARN and account (`ctx.identity`, filled by AWS_IAM
  authorization), otherwise anonymous, which only `"Principal": "*"` (or `{"AWS": "*"}`)
  matches. A Principal naming a role also matches sessions of that role.
- condition keys, computed on first use: `aws:SourceIp` (the TCP peer: Tollway never reads
  `X-Forwarded-For` or `Forwarded`, so a client cannot choose its address), `aws:CurrentTime`,
  `aws:EpochTime`, `aws:SecureTransport` (whether the client's connection to Tollway is
  TLS), `aws:UserAgent`, `aws:Referer`, and for IAM callers `aws:PrincipalArn`,
  `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:PrincipalOrgID`, `aws:userid`,
  `aws:username`. Every other key has no value: `aws:SourceVpc` / `aws:SourceVpce` because
  Tollway has no VPC endpoints, the rest because nothing here knows them. A policy using a
  key without a value gets a load warning naming it (the policy is still enforced with it
  absent, as IAM evaluates an absent key).

Paths a backend may read differently from the router: the method ARN already names the
segments the router matched (`//admin/` is `.../GET/admin`, arns.py); besides, a Deny also
applies when the path percent-decoded or with dot segments resolved would be denied
(`/x%2Fadmin`, `/public/../admin`), and an Allow only stands when every such reading is
allowed (arns.decide, which every mode's policies go through). AWS matches the routed path
only; Tollway is stricter so that an encoded or non-canonical path cannot slip past a Deny,
or through an Allow of another resource, to a backend that decodes or normalises it. Paths
without `%` or dot segments are evaluated once.

Who counts as of the API's account (`same_account`, spec §5.4 Table A vs B): IAM callers of
the API's account; Lambda authorizer callers (the authorizer is the API owner's); never
Cognito user pool callers: AWS requires an explicit Allow from the resource policy with Cognito
("evaluated independently"), which is Table B's rule.

Refusals are 403 ACCESS_DENIED with AWS's current IAM wording, the resource's account masked
to its last four digits as AWS masks it:
`User: anonymous is not authorized to perform: execute-api:Invoke on resource:
arn:aws:execute-api:us-east-1:********0000:abc123/prod/GET/admin with an explicit deny in a
resource-based policy` (or `... because no resource-based policy allows the
execute-api:Invoke action` for an implicit deny).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from tollway.dataplane.auth.arns import decide, rest_method_arn
from tollway.dataplane.auth.outcome import CallerIdentity, Decision
from tollway.dataplane.auth.policy import ANONYMOUS, Caller, Facts, Policy, RequestValue
from tollway.dataplane.context import RestContext
from tollway.dataplane.errors import AccessDenied, ApiConfigurationError, GatewayError

INVOKE = "execute-api:Invoke"
EXPLICIT = " with an explicit deny in a resource-based policy"
IMPLICIT = " because no resource-based policy allows the execute-api:Invoke action"

_USER = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:user/(?:.*/)?(?P<name>[^/]+)")
_ASSUMED_ROLE = re.compile(r"arn:(?P<p>aws[a-z-]*):sts::(?P<a>\d{12}):assumed-role/(?P<r>[^/]+)/")


def _principal_type(arn: str | None) -> str | None:
    if arn is None:
        return None
    if ":assumed-role/" in arn:
        return "AssumedRole"
    if ":federated-user/" in arn:
        return "FederatedUser"
    if arn.endswith(":root"):
        return "Account"
    return "User" if ":user/" in arn else None


def _principal_arn(arn: str | None) -> str | None:
    """`aws:PrincipalArn` read from a caller's ARN alone: a role session is its role's ARN,
    without the role's path (the session ARN does not carry it; `_principal_key` has it)."""
    if arn is None:
        return None
    session = _ASSUMED_ROLE.match(arn)
    if session is None:
        return arn
    return f"arn:{session['p']}:iam::{session['a']}:role/{session['r']}"


def _username(arn: str | None) -> str | None:
    user = _USER.fullmatch(arn or "")
    return user["name"] if user else None


def _identity(get: Callable[[CallerIdentity], Any]) -> Callable[[RestContext], RequestValue]:
    return lambda ctx: None if ctx.identity is None else get(ctx.identity)


def _principal_key(identity: CallerIdentity) -> str | None:
    """`aws:PrincipalArn` as IAM authentication computed it (a role session's role ARN with
    the role's path, which the session's ARN does not carry), else derived from the ARN."""
    return identity.condition_keys.get("aws:PrincipalArn") or _principal_arn(identity.user_arn)


def _secure(ctx: RestContext) -> str:
    return "true" if ctx.request.scheme in ("https", "wss") else "false"


# condition key (lowercased) -> its value for a request
GETTERS: dict[str, Callable[[RestContext], RequestValue]] = {
    "aws:sourceip": lambda ctx: ctx.request.source_ip or None,
    "aws:currenttime": lambda ctx: time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(ctx.request_time)
    ),
    "aws:epochtime": lambda ctx: str(int(ctx.request_time)),
    "aws:securetransport": _secure,
    "aws:useragent": lambda ctx: ctx.request.header("User-Agent"),
    "aws:referer": lambda ctx: ctx.request.header("Referer"),
    "aws:principalarn": _identity(_principal_key),
    "aws:principalaccount": _identity(lambda i: i.account_id),
    "aws:principaltype": _identity(lambda i: _principal_type(i.user_arn)),
    "aws:principalorgid": _identity(lambda i: i.principal_org_id),
    "aws:userid": _identity(lambda i: i.caller),
    "aws:username": _identity(lambda i: _username(i.user_arn)),
}


class RequestFacts(Facts):
    """The condition keys of one request, each computed when a condition first asks."""

    __slots__ = ("_ctx",)

    def __init__(self, ctx: RestContext) -> None:
        super().__init__()
        self._ctx = ctx

    def value(self, key: str) -> RequestValue:
        key = key.lower()
        if key not in self._values:
            get = GETTERS.get(key)
            self._values[key] = get(self._ctx) if get is not None else None
        return super().value(key)


def _masked(arn: str, account_id: str) -> str:
    """The ARN with its account masked as AWS masks it in this message: `********1234`."""
    return arn.replace(f":{account_id}:", f":{'*' * 8}{account_id[-4:]}:", 1)


def _caller(identity: CallerIdentity | None) -> Caller:
    if identity is None or identity.user_arn is None:
        return ANONYMOUS
    arn = identity.user_arn
    role = _principal_key(identity)
    return Caller(arn, identity.account_id, role if role != arn else None)


class CompiledResourcePolicy:
    """A REST API's resource policy for one stage (the `ResourcePolicy` protocol)."""

    __slots__ = ("_policy", "_explicit_allow_required")

    def __init__(self, policy: Policy, explicit_allow_required: frozenset[tuple[str, str]]) -> None:
        self._policy = policy
        # (resource id, HTTP method) of COGNITO_USER_POOLS methods: never Table A
        self._explicit_allow_required = explicit_allow_required

    def evaluate(self, ctx: RestContext) -> Decision:
        caller = _caller(ctx.identity)
        facts = RequestFacts(ctx)
        policy = self._policy
        return decide(
            lambda arn: policy.evaluate(INVOKE, arn, caller, facts),
            rest_method_arn(ctx),
            ctx.request.path,
        )

    def same_account(self, ctx: RestContext) -> bool:
        method = ctx.method
        if method is not None and (method.resource_id, method.http_method) in (
            self._explicit_allow_required
        ):
            return False
        identity = ctx.identity
        if identity is None:
            return True  # a Lambda authorizer's caller: the authorizer is the API owner's
        return identity.account_id == ctx.stage.account_id

    def denied(self, ctx: RestContext, decision: Decision) -> GatewayError:
        arn = _masked(rest_method_arn(ctx), ctx.stage.account_id)
        name = _caller(ctx.identity).name
        why = EXPLICIT if decision is Decision.DENY else IMPLICIT
        return AccessDenied(
            f"User: {name} is not authorized to perform: {INVOKE} on resource: {arn}{why}"
        )


class UnreadablePolicy:
    """A stored policy that does not compile (AWS would have refused it when it was saved):
    every request fails with 500 rather than pass unchecked."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def evaluate(self, ctx: RestContext) -> Decision:
        raise ApiConfigurationError(
            log=f"Execution failed due to configuration error: the resource policy: {self.reason}"
        )

    def same_account(self, ctx: RestContext) -> bool:
        return False

    def denied(self, ctx: RestContext, decision: Decision) -> GatewayError:
        raise AssertionError("UnreadablePolicy.evaluate never decides")


def condition_keys(document: Mapping[str, Any]) -> set[str]:
    """The condition keys a policy document's statements use, as written."""
    raw = document.get("Statement")
    statements = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    keys: set[str] = set()
    for statement in statements:
        block = statement.get("Condition") if isinstance(statement, dict) else None
        for per_operator in (block or {}).values():
            if isinstance(per_operator, dict):
                keys.update(per_operator)
    return keys

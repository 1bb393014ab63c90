"""What authorization produces, and the protocol each mode implements.

A mode (`Authorization`) authenticates the request and answers a `Decision` about it:
- it raises a typed GatewayError itself for what is not a policy question: a missing or
  invalid token (401 UNAUTHORIZED), a bad signature (403 INVALID_SIGNATURE...), an authorizer
  that fails (500 AUTHORIZER_CONFIGURATION_ERROR);
- it returns ALLOW, DENY (an explicit Deny) or IMPLICIT (nothing allowed it) for the policy
  question, so the REST stage can combine it with the API's resource policy (spec §5.4,
  Table A) before anything is refused;
- `denied()` builds the error a refusal by this mode gets (its message differs per mode).

What it learnt goes on the context: `ctx.authorizer` (an `AuthorizerResult`) for Lambda,
Cognito and JWT authorizers, `ctx.identity` (a `CallerIdentity`) for IAM callers. The event
builders and `$context` getters only read these, whatever the mode.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from tollway.dataplane.errors import GatewayError


class Decision(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"  # an explicit Deny: nothing else can allow the request
    IMPLICIT = "implicit"  # no statement allowed it (an implicit deny)


@dataclass(slots=True)
class CallerIdentity:
    """`$context.identity.*` / `requestContext.identity` members authentication fills
    (IAM: SigV4 callers; Cognito identity pools). The others (sourceIp, userAgent) come
    from the request."""

    access_key: str | None = None
    account_id: str | None = None
    caller: str | None = None  # the principal's id: an IAM user id, or `ROLEID:session`
    user: str | None = None  # same as caller for IAM users
    user_arn: str | None = None
    principal_org_id: str | None = None
    cognito_authentication_provider: str | None = None
    cognito_authentication_type: str | None = None
    cognito_identity_id: str | None = None
    cognito_identity_pool_id: str | None = None
    # The IAM condition keys this caller brings to any policy evaluated for it (identity
    # policies, the resource policy): `aws:PrincipalArn` (a role session's is the role's
    # ARN), `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:userid`, `aws:username`,
    # `aws:PrincipalTag/<key>`. Filled by IAM authentication (iam.py).
    condition_keys: dict[str, str] = field(default_factory=dict)

    def members(self) -> dict[str, Any]:
        """By `$context.identity` member name."""
        return {
            "accessKey": self.access_key,
            "accountId": self.account_id,
            "caller": self.caller,
            "user": self.user,
            "userArn": self.user_arn,
            "principalOrgId": self.principal_org_id,
            "cognitoAuthenticationProvider": self.cognito_authentication_provider,
            "cognitoAuthenticationType": self.cognito_authentication_type,
            "cognitoIdentityId": self.cognito_identity_id,
            "cognitoIdentityPoolId": self.cognito_identity_pool_id,
        }


@dataclass(slots=True)
class AuthorizerResult:
    """What an authorizer (Lambda, Cognito, JWT) passes on to the integration.

    The mode renders each shape it appears in once, when it authorizes (or when the result
    is cached), so the event builders only copy:
    - `variables`: `$context.authorizer.*` as a nested map (`principalId`, the Lambda
      context's keys with values stringified, `claims` → {claim: value});
    - `event`: REST's and payload 1.0's `requestContext.authorizer`;
    - `event_v2`: payload 2.0's `requestContext.authorizer` (`{"lambda": {...}}`,
      `{"jwt": {"claims": ..., "scopes": ...}}`).
    """

    principal_id: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    event: dict[str, Any] | None = None
    event_v2: dict[str, Any] | None = None
    # `usageIdentifierKey` of a Lambda authorizer: the API key when apiKeySource is AUTHORIZER
    usage_identifier_key: str | None = None
    # `$context.authorizer.{latency,status,integrationLatency}` (ms, HTTP status of the call)
    latency: int | None = None
    integration_latency: int | None = None
    status: int | None = None
    # `$context.authorizer.{integrationStatus,error}`: Lambda's status for the call (200 when
    # the function ran), and why the authorizer failed
    integration_status: int | None = None
    error: str | None = None
    # `$context.authorize.{status,error}`: the mode's own decision (200, or 403 and why)
    authorize_status: int | None = None
    authorize_error: str | None = None


def authorizer_value(result: AuthorizerResult | None, path: tuple[str, ...]) -> Any:
    """`$context.authorizer.<path>` (e.g. `("claims", "sub")`) of a result; None if absent."""
    value: Any = result.variables if result is not None else None
    for name in path:
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


Ctx_contra = TypeVar("Ctx_contra", contravariant=True)


class Authorization(Protocol[Ctx_contra]):
    """One method's (REST) or route's (HTTP API) authorization, compiled at deployment."""

    # REST + resource policy: evaluate the resource policy's explicit Deny before this
    # mode runs (a Lambda authorizer is then not invoked, spec §5.4).
    policy_first: bool

    async def authorize(self, ctx: Ctx_contra) -> Decision:
        """Authenticate, fill `ctx.authorizer` / `ctx.identity`, and decide."""
        ...

    def denied(self, ctx: Ctx_contra, decision: Decision) -> GatewayError:
        """The error this mode refuses a DENY or IMPLICIT decision with."""
        ...

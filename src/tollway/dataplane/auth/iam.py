"""AWS_IAM: SigV4-signed callers and their identity policies (spec §5.3).

AWS counterpart: IAM authorization of a REST method or an HTTP API route. The request's
SigV4 signature (service `execute-api`, the API's region; header or presigned form) is
verified against the identity store (tollway/auth), then the caller's identity policies
are evaluated for `execute-api:Invoke` on the request's execute-api ARN (arns.py; a path
with `%` or dot segments under each of its readings, arns.decide) with the
IAM condition keys of the request and the caller (`aws:SourceIp`, `aws:CurrentTime`,
`aws:EpochTime`, `aws:SecureTransport`, `aws:UserAgent`, `aws:Referer`,
`aws:RequestedRegion`, and the caller's `CallerIdentity.condition_keys`).

What the caller is goes on `ctx.identity` (`$context.identity.*`, `requestContext.identity`),
and for HTTP APIs also on `ctx.authorizer` as payload 2.0's `requestContext.authorizer.iam`.
REST integrations never see the SigV4 `Authorization` header: it is dropped once verified
(spec §5.3); HTTP API integrations receive it (Tollway's choice: the spec says REST).

Refusals (REST: the API's gateway responses; HTTP APIs: 403 with the same messages, and
`{"message":"Forbidden"}` for an unsigned request or a policy that does not allow):
- unsigned: MISSING_AUTHENTICATION_TOKEN `Missing Authentication Token`;
- a malformed, mismatched, skewed or unknown-key signature: INVALID_SIGNATURE with SigV4's
  message and exception name (`x-amzn-ErrorType`: IncompleteSignatureException,
  InvalidSignatureException or UnrecognizedClientException);
- expired temporary credentials: EXPIRED_TOKEN;
- no Allow, or an explicit Deny: ACCESS_DENIED `User: <caller ARN> is not authorized to
  perform: execute-api:Invoke on resource: <method ARN>`, `... with an explicit deny`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from tollway.auth import sigv4
from tollway.auth.identities import Credential, IdentityStore
from tollway.dataplane import errors
from tollway.dataplane.auth.arns import decide
from tollway.dataplane.auth.outcome import AuthorizerResult, CallerIdentity, Decision
from tollway.dataplane.auth.policy import Facts
from tollway.dataplane.context import Request

if TYPE_CHECKING:
    from tollway.dataplane.integrations import IntegrationServices

SERVICES = ("execute-api",)
ACTION = "execute-api:Invoke"


class IamContext(Protocol):
    """What IAM authorization reads and fills (RestContext and HttpContext have these)."""

    request: Request
    identity: CallerIdentity | None
    authorizer: AuthorizerResult | None


Ctx = TypeVar("Ctx", bound=IamContext)


class IamAuthorization(Generic[Ctx]):
    """One AWS_IAM method or route, compiled."""

    policy_first = False

    def __init__(
        self,
        identities: IdentityStore,
        region: str,
        arn: Callable[[Ctx], str],
        *,
        http_api: bool = False,
    ) -> None:
        self.identities = identities
        self.region = region
        self.arn = arn
        self.http_api = http_api

    async def authorize(self, ctx: Ctx) -> Decision:
        request = ctx.request
        try:
            credential = sigv4.verify(
                request, self.identities.credential, region=self.region, services=SERVICES
            )
        except sigv4.SignatureError as error:
            raise _gateway_error(error) from None
        ctx.identity = identity = caller_identity(credential)
        if self.http_api:
            ctx.authorizer = AuthorizerResult(event_v2={"iam": _event_v2(identity)})
        else:
            request.drop_header("Authorization")
        policy = credential.principal.policy
        if policy is None:
            return Decision.IMPLICIT
        facts = request_facts(request, self.region, identity.condition_keys)
        return decide(
            lambda arn: policy.evaluate(ACTION, arn, facts=facts), self.arn(ctx), request.path
        )

    def denied(self, ctx: Ctx, decision: Decision) -> errors.GatewayError:
        identity = ctx.identity
        assert identity is not None  # authorize() decided about an authenticated caller
        message = (
            f"User: {identity.user_arn} is not authorized to perform: {ACTION} on resource: "
            f"{self.arn(ctx)}"
        )
        if decision is Decision.DENY:
            message += " with an explicit deny"
        if self.http_api:
            return errors.AccessDenied("Forbidden", log=message)
        return errors.AccessDenied(message)


def caller_identity(credential: Credential) -> CallerIdentity:
    """`$context.identity.*` of a SigV4 caller, and its condition keys."""
    return CallerIdentity(
        access_key=credential.access_key_id,
        account_id=credential.principal.account_id,
        caller=credential.caller_id,
        user=credential.caller_id,
        user_arn=credential.arn,
        condition_keys=credential.condition_keys(),
    )


def request_facts(request: Request, region: str, caller_keys: dict[str, str]) -> Facts:
    """The condition keys of a request from an authenticated caller (computed on use)."""
    values: dict[str, Any] = {
        **caller_keys,
        "aws:SourceIp": request.source_ip,
        "aws:SecureTransport": request.scheme == "https",
        "aws:RequestedRegion": region,
        "aws:CurrentTime": lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "aws:EpochTime": lambda: str(int(time.time())),
        "aws:UserAgent": lambda: request.header("User-Agent"),
        "aws:Referer": lambda: request.header("Referer"),
    }
    return Facts(values)


def _event_v2(identity: CallerIdentity) -> dict[str, Any]:
    """Payload 2.0's `requestContext.authorizer.iam`."""
    return {
        "accessKey": identity.access_key,
        "accountId": identity.account_id,
        "callerId": identity.caller,
        "cognitoIdentity": None,
        "principalOrgId": None,
        "userArn": identity.user_arn,
        "userId": identity.user,
    }


_ERRORS: dict[type[sigv4.SignatureError], Callable[[str], errors.GatewayError]] = {
    sigv4.MissingAuthentication: lambda message: errors.MissingSignature(),
    sigv4.IncompleteSignature: errors.IncompleteSignature,
    sigv4.InvalidSignature: errors.InvalidSignature,
    sigv4.UnrecognizedClient: errors.UnrecognizedClient,
    sigv4.ExpiredToken: errors.ExpiredToken,
}


def _gateway_error(error: sigv4.SignatureError) -> errors.GatewayError:
    return _ERRORS[type(error)](error.message)


def build_iam(
    services: IntegrationServices,
    arn: Callable[[Ctx], str],
    warnings: list[str],
    *,
    http_api: bool = False,
) -> IamAuthorization[Ctx]:
    """The compiled AWS_IAM authorization of a method or route (auth/build.py calls it)."""
    identities = services.auth.identities
    if not len(identities):
        warnings.append(
            "AWS_IAM authorization: no identities are configured (--identities FILE), so "
            "every request is refused"
        )
    return IamAuthorization(identities, services.region, arn, http_api=http_api)

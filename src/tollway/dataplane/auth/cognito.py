"""REST Cognito user pool authorizers (spec §5.6).

AWS counterpart: a method with `authorizationType: COGNITO_USER_POOLS` and an authorizer of
type `COGNITO_USER_POOLS` (`providerARNs`, a header `identitySource`, an optional
`identityValidationExpression`). Compiled at deployment into a `CognitoAuthorization`: one
token verifier (jwt_verify.py) per user pool, whose issuer is
`https://cognito-idp.{region}.amazonaws.com/{poolId}` and whose keys are the pool's JWKS,
`{issuer}/.well-known/jwks.json` — or, when Tollway is given a Cognito endpoint
(`--aws-endpoint cognito-idp=URL`, e.g. moto's server), `{URL}/{poolId}/.well-known/jwks.json`.

Per request: the token is read from the header (raw; a `Bearer ` prefix is tolerated, Tollway's
choice where AWS is unconfirmed), the pool chosen by its `iss`, the token verified (signature,
issuer, `exp`/`nbf`/`iat`), then AWS's token-type rule:
- the method has no `authorizationScopes`: the token must be an ID token (`token_use: id`),
  and its `aud` must match `identityValidationExpression` (a whole-value regex) when one is set;
- the method has scopes: the token must be an access token (`token_use: access`) whose
  `scope` claim holds at least one of them.
Any failure is 401 UNAUTHORIZED `{"message":"Unauthorized"}` (the API's gateway response),
including keys that cannot be fetched (AWS's behaviour there is not documented).

The claims reach `$context.authorizer.claims.<name>` and the proxy event's
`requestContext.authorizer.claims`, every value a string as REST APIs render them: `exp` and
`iat` as dates (`Tue Apr 04 18:39:39 UTC 2023`), arrays comma-joined (`cognito:groups`
`a,b`), booleans `true`/`false`, other numbers as written.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import jwt as pyjwt
import orjson
from jwt.exceptions import PyJWTError

from tollway.dataplane.auth.jwks import KeySet
from tollway.dataplane.auth.jwt import read_token
from tollway.dataplane.auth.jwt_verify import TokenRejected, TokenRules, TokenVerifier, token_scopes
from tollway.dataplane.auth.outcome import AuthorizerResult, Decision
from tollway.dataplane.errors import AccessDenied, GatewayError, Unauthorized
from tollway.model.authorizers import token_source

if TYPE_CHECKING:
    from tollway.dataplane.auth.jwks import JwksCache
    from tollway.dataplane.context import RestContext

_POOL_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:cognito-idp:([a-z0-9-]+):\d{12}:userpool/([\w-]+)$")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE_CLAIMS = ("exp", "iat")


def pool_issuer(arn: str) -> tuple[str, str] | None:
    """(issuer, pool id) of a user pool ARN, or None when it is not one."""
    match = _POOL_ARN.match(arn)
    if match is None:
        return None
    region, pool = match.groups()
    return f"https://cognito-idp.{region}.amazonaws.com/{pool}", pool


def java_date(epoch: float) -> str:
    """`Tue Apr 04 18:39:39 UTC 2023`: how REST APIs show `exp` and `iat`."""
    t = time.gmtime(epoch)
    return (
        f"{_DAYS[t.tm_wday]} {_MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} UTC {t.tm_year}"
    )


def rest_string(name: str, value: Any) -> str:
    """A claim value as REST APIs render it."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if name in _DATE_CLAIMS:
            return java_date(value)
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, list):
        return ",".join(rest_string("", v) for v in value)
    return orjson.dumps(value).decode()  # objects and null: as JSON (Tollway's choice)


class CognitoAuthorization:
    """One method's Cognito user pool authorization."""

    policy_first = False

    def __init__(
        self,
        verifiers: dict[str, TokenVerifier],
        header: str,
        scopes: tuple[str, ...],
        audience: re.Pattern[str] | None,
    ) -> None:
        self.verifiers = verifiers  # by issuer
        self.header = header
        self.scopes = frozenset(scopes)
        self.audience = audience

    async def authorize(self, ctx: RestContext) -> Decision:
        # Repeated headers are comma-joined: two tokens make no valid token.
        token = read_token(",".join(ctx.request.header_values(self.header)) or None)
        if token is None:
            raise Unauthorized(log="Cognito authorizer: the request has no token")
        try:
            unverified = pyjwt.decode(token, options={"verify_signature": False})
        except PyJWTError as e:
            raise Unauthorized(
                log=f"Cognito authorizer: the token is not a valid JWT: {e}"
            ) from None
        verifier = self.verifiers.get(unverified.get("iss"))  # type: ignore[arg-type]
        if verifier is None:
            raise Unauthorized(
                log="Cognito authorizer: the token's issuer is not a user pool of the authorizer"
            )
        try:
            claims = await verifier.verify(token)
        except TokenRejected as e:
            raise Unauthorized(log=f"Cognito authorizer: {e}") from None
        self._check_kind(claims)
        rendered = {name: rest_string(name, value) for name, value in claims.items()}
        ctx.authorizer = AuthorizerResult(
            variables={"claims": rendered}, event={"claims": rendered}
        )
        return Decision.ALLOW

    def _check_kind(self, claims: dict[str, Any]) -> None:
        use = claims.get("token_use")
        if self.scopes:
            granted = token_scopes(claims) or []
            if use != "access" or self.scopes.isdisjoint(granted):
                raise Unauthorized(
                    log="Cognito authorizer: the method's scopes need an access token holding one"
                )
            return
        if use != "id":
            raise Unauthorized(log="Cognito authorizer: a method without scopes needs an ID token")
        if self.audience is not None:
            aud = claims.get("aud")
            if not isinstance(aud, str) or self.audience.fullmatch(aud) is None:
                raise Unauthorized(
                    log="Cognito authorizer: aud does not match identityValidationExpression"
                )

    def denied(self, ctx: RestContext, decision: Decision) -> GatewayError:
        return AccessDenied()  # authorize() allows or raises: never called


def build_method(
    authorizer: dict[str, Any],
    scopes: list[str],
    jwks: JwksCache | None,
    endpoint: str | None,
) -> CognitoAuthorization | str:
    """The method's Cognito authorization, or why it cannot run (the caller refuses with 500)."""
    if jwks is None:
        return "no JWKS fetcher is configured (AuthServices.jwks)"
    try:
        source = token_source(authorizer.get("identitySource"))
    except ValueError as e:
        return str(e)
    verifiers: dict[str, TokenVerifier] = {}
    for arn in authorizer.get("providerARNs") or []:
        found = pool_issuer(arn)
        if found is None:
            return f"Invalid ARN. ARN is not well formed {arn}"
        issuer, pool = found
        url = f"{endpoint.rstrip('/')}/{pool}" if endpoint else issuer
        keys = KeySet(f"{url}/.well-known/jwks.json", discover=False)
        verifiers[issuer] = TokenVerifier(TokenRules(issuer, keys), jwks)
    if not verifiers:
        return f"Cognito authorizer {authorizer.get('name')} has no providerARNs"
    expression = authorizer.get("identityValidationExpression")
    try:
        audience = re.compile(expression) if expression else None
    except re.error:
        return f"Invalid identity validation expression specified: {expression}"
    return CognitoAuthorization(verifiers, source.name, tuple(scopes), audience)

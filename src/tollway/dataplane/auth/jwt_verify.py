"""JWT verification shared by HTTP API JWT authorizers (spec §5.8) and REST Cognito user pool
authorizers (§5.6).

AWS counterpart: the token checks API Gateway runs before either lets a request through, in
AWS's order: decode; the algorithm (RSA only: RS256, RS384, RS512) and signature with the key
whose `kid` the token names, from the issuer's JWKS (jwks.py); `iss` equal to the configured
issuer; `aud` — or, only when the token has no `aud`, `client_id` — one of the configured
audiences; `exp` after now; `nbf` and `iat` before now. A refusal is a `TokenRejected` whose
`description` becomes the `www-authenticate` error description of HTTP APIs.

Clock skew (AWS states none; Tollway's choice): `exp` is exact — an expired token is refused
the second it expires — while `nbf` and `iat` may be up to `LEEWAY` (60) seconds ahead of
Tollway's clock, so a token freshly issued by a machine whose clock runs slightly ahead is
not refused. A token without `exp` is refused (AWS requires it to be after now).

`alg: none`, HMAC (HS*) and every other non-RSA algorithm are refused before any key is
looked up: an HS256 token "signed" with the issuer's public key as its secret never
verifies.

`TokenVerifier` also remembers the claims of tokens it verified (a bounded LRU keyed by the
token): a repeated token costs a dictionary lookup and the time checks instead of an RSA
verification. A key the issuer withdraws therefore stops tokens it signed only when their
entries fall out or expire (AWS caches keys for two hours as well).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

import jwt
from jwt.exceptions import InvalidSignatureError, PyJWTError

from tollway.dataplane.auth.jwks import JwksCache, KeySet, KeysUnavailable, UnknownKey

RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512"})
LEEWAY = 60  # seconds `nbf` / `iat` may be ahead of this clock
VERIFIED_TOKENS = 1000  # remembered per verifier

# PyJWT checks the signature only; the claims are checked here, in AWS's order and wording.
_SIGNATURE_ONLY = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
}

# `www-authenticate` error descriptions. AWS documents only the audience one; the others are
# Tollway's, in the same style (docs/authorization-jwt.md lists them).
MALFORMED = "the token is not a valid JWT"
ALGORITHM = "the token is not signed with a supported algorithm (RS256, RS384 or RS512)"
NO_KID = "the token does not name its signing key (kid)"
UNKNOWN_KID = "the token's signing key (kid) is not in the issuer's key set"
KEYS_UNAVAILABLE = "unable to retrieve the issuer's signing keys"
SIGNATURE = "the token signature is invalid"
ISSUER = "the token does not have a valid issuer"
AUDIENCE = "the token does not have a valid audience"
NO_EXPIRY = "the token does not have a valid expiration time"
EXPIRED = "the token has expired"
NOT_YET_VALID = "the token is not valid yet"
ISSUED_LATER = "the token was issued in the future"


class TokenRejected(Exception):
    """Why a token is refused: `description` as the client sees it, `detail` for the log."""

    def __init__(self, description: str, detail: str | None = None) -> None:
        super().__init__(detail or description)
        self.description = description


@dataclass(frozen=True, slots=True)
class TokenRules:
    """What a token must satisfy, compiled from an authorizer at deployment."""

    issuer: str
    keys: KeySet
    # None: the audience is not checked (REST Cognito checks it by identityValidationExpression)
    audiences: frozenset[str] | None = None


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_times(claims: dict[str, Any], now: float) -> None:
    exp = claims.get("exp")
    if not _number(exp):
        raise TokenRejected(NO_EXPIRY)
    if exp <= now:
        raise TokenRejected(EXPIRED)
    nbf = claims.get("nbf")
    if nbf is not None and (not _number(nbf) or nbf > now + LEEWAY):
        raise TokenRejected(NOT_YET_VALID)
    iat = claims.get("iat")
    if iat is not None and (not _number(iat) or iat > now + LEEWAY):
        raise TokenRejected(ISSUED_LATER)


def check_audience(claims: dict[str, Any], audiences: frozenset[str]) -> None:
    aud = claims.get("aud")
    if aud is not None:
        values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if any(isinstance(v, str) and v in audiences for v in values):
            return
    elif claims.get("client_id") in audiences:  # only when there is no `aud` (AWS)
        return
    raise TokenRejected(AUDIENCE)


class TokenVerifier:
    """Verifies tokens against one authorizer's `TokenRules`."""

    def __init__(
        self, rules: TokenRules, jwks: JwksCache, clock: Callable[[], float] = time.time
    ) -> None:
        self.rules = rules
        self._jwks = jwks
        self._clock = clock
        self._verified: OrderedDict[str, dict[str, Any]] = OrderedDict()

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or TokenRejected."""
        claims = self._verified.get(token)
        if claims is None:
            claims = await self._verify_signature(token)
            if claims.get("iss") != self.rules.issuer:
                raise TokenRejected(ISSUER)
            if self.rules.audiences is not None:
                check_audience(claims, self.rules.audiences)
            check_times(claims, self._clock())
            self._verified[token] = claims
            if len(self._verified) > VERIFIED_TOKENS:
                self._verified.popitem(last=False)
            return claims
        check_times(claims, self._clock())
        return claims

    async def _verify_signature(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except PyJWTError as e:
            raise TokenRejected(MALFORMED, str(e)) from None
        algorithm = header.get("alg")
        if algorithm not in RSA_ALGORITHMS:
            raise TokenRejected(ALGORITHM, f"algorithm {algorithm!r} refused")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise TokenRejected(NO_KID)
        try:
            key = await self._jwks.key(self.rules.keys, kid)
        except UnknownKey:
            raise TokenRejected(UNKNOWN_KID, f"no key {kid!r} at {self.rules.keys.url}") from None
        except KeysUnavailable as e:
            raise TokenRejected(KEYS_UNAVAILABLE, str(e)) from None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                options=_SIGNATURE_ONLY,  # type: ignore[arg-type]
            )
        except InvalidSignatureError:
            raise TokenRejected(SIGNATURE) from None
        except PyJWTError as e:
            raise TokenRejected(MALFORMED, str(e)) from None
        return claims


def token_scopes(claims: dict[str, Any]) -> list[str] | None:
    """The token's scopes: `scope` (space-separated, OAuth 2.0) or `scp` (a list, or a
    space-separated string); None when it has neither."""
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            return value.split()
        if isinstance(value, list):
            return [v for v in value if isinstance(v, str)]
    return None

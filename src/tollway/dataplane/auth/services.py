"""What authorization needs at run time, built once by the composition root (app.py) and
shared by every compiled stage: the authorizer cache (so FlushStageAuthorizersCache reaches
it), and what each mode adds (the JWKS fetcher, the IAM identity store)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tollway.auth.identities import IdentityStore, StaticIdentities
from tollway.dataplane.auth.jwks import JwksCache
from tollway.state.authorizer_cache import AuthorizerCache, MemoryAuthorizerCache


@dataclass(frozen=True)
class AuthServices:
    cache: AuthorizerCache = field(default_factory=MemoryAuthorizerCache)
    # JWT and Cognito authorizers: the issuers' signing keys (None: those modes refuse with 500)
    jwks: JwksCache | None = None
    # Where Cognito user pools' keys are fetched instead of cognito-idp.{region}.amazonaws.com
    # (`--aws-endpoint cognito-idp=URL`): `{endpoint}/{poolId}/.well-known/jwks.json`.
    cognito_endpoint: str | None = None
    # AWS_IAM: who may sign requests (`--identities FILE`); none by default
    identities: IdentityStore = field(default_factory=StaticIdentities)

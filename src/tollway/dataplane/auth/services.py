"""What authorization needs at run time, built once by the composition root (app.py) and
shared by every compiled stage: the authorizer cache (so FlushStageAuthorizersCache reaches
it), and what each mode adds (the JWKS fetcher, the IAM identity store)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tollway.auth.identities import IdentityStore, StaticIdentities
from tollway.state.authorizer_cache import AuthorizerCache, MemoryAuthorizerCache


@dataclass(frozen=True)
class AuthServices:
    cache: AuthorizerCache = field(default_factory=MemoryAuthorizerCache)
    # AWS_IAM: who may sign requests (`--identities FILE`); none by default
    identities: IdentityStore = field(default_factory=StaticIdentities)

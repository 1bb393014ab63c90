"""HTTP API JWT authorizers (spec §5.8).

AWS counterpart: a route with `AuthorizationType: JWT` and an authorizer of type `JWT`
(`JwtConfiguration` {Issuer, Audience}, one `IdentitySource`). Compiled at deployment into a
`JwtAuthorization` per route: where the token is (a header or a query parameter), the token
rules (jwt_verify.py: issuer, audiences, the issuer's keys by OIDC discovery) and the route's
`AuthorizationScopes`.

Per request: the token is read (raw or prefixed `Bearer `, the prefix case-insensitive),
verified, and the route's scopes matched against its `scope`/`scp` claim (at least one).
- no token: 401 `{"message":"Unauthorized"}`, no `www-authenticate` (Tollway's choice);
- a token refused: 401 `{"message":"Unauthorized"}` with
  `www-authenticate: Bearer scope="<route scopes>" error="invalid_token" error_description="..."`
  (AWS's format and its audience description; the other descriptions are jwt_verify.py's);
- no matching scope: 403 `{"message":"Forbidden"}` with the same header, `error=
  "insufficient_scope"` (the spec's best guess);
- the issuer's keys cannot be fetched: 401 as a refused token, description `unable to retrieve
  the issuer's signing keys` (AWS's behaviour is not documented; Tollway refuses, never lets
  through, and logs why).

What the integration gets: the claims, every value rendered as a string the way HTTP APIs
show them (numbers as written, `true`/`false`, arrays as `[a b]`, objects as `map[k:v]`),
under `requestContext.authorizer.jwt.claims` (payload 2.0) or `requestContext.authorizer.
claims` (1.0), and `$context.authorizer.claims.<name>` in access logs and parameter mappings.
`scopes` is the token's scopes when the route requires scopes, null otherwise (what events
from AWS show: null with a route without scopes, the token's scopes with one).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tollway.dataplane.auth.jwks import KeySet
from tollway.dataplane.auth.jwt_verify import (
    VERIFIED_TOKENS,
    TokenRejected,
    TokenRules,
    TokenVerifier,
    token_scopes,
)
from tollway.dataplane.auth.outcome import AuthorizerResult, Decision
from tollway.dataplane.errors import AccessDenied, GatewayError, Unauthorized

if TYPE_CHECKING:
    from tollway.dataplane.auth.jwks import JwksCache
    from tollway.dataplane.http_api.context import HttpContext

HEADER = "$request.header."
QUERY = "$request.querystring."
DEFAULT_SOURCE = "$request.header.Authorization"


class InvalidToken(Unauthorized):
    """401 with the `www-authenticate` challenge saying why the token was refused."""

    def __init__(self, scopes: str, description: str, detail: str | None = None) -> None:
        super().__init__(log=f"JWT authorizer: {detail or description}")
        self.headers = (("www-authenticate", challenge(scopes, "invalid_token", description)),)


class InsufficientScope(AccessDenied):
    """403: a valid token with none of the route's scopes."""

    def __init__(self, scopes: str) -> None:
        super().__init__(log="JWT authorizer: the token has none of the route's scopes")
        description = "the token does not have the required scope"
        self.headers = (("www-authenticate", challenge(scopes, "insufficient_scope", description)),)


def challenge(scopes: str, error: str, description: str) -> str:
    return f'Bearer scope="{scopes}" error="{error}" error_description="{description}"'


def go_string(value: Any) -> str:
    """A claim value as HTTP APIs render it (Go's formatting: `[a b]`, `map[k:v]`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "[" + " ".join(go_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_string(value[k])}" for k in sorted(value)) + "]"
    if value is None:
        return "<nil>"
    return str(value)


def read_token(raw: str | None) -> str | None:
    """The token of an identity source's value: raw, or after a `Bearer ` prefix."""
    if raw is None:
        return None
    token = raw.strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    return token or None


def _reader(source: str) -> Callable[[HttpContext], str | None]:
    """Reads the identity source's value from a request."""
    if source.startswith(QUERY):
        name = source[len(QUERY) :]

        def query(ctx: HttpContext) -> str | None:
            return ctx.request.query.get(name)

        return query
    name = source[len(HEADER) :]

    def header(ctx: HttpContext) -> str | None:
        # Repeated headers reach HTTP APIs comma-joined: two tokens make no valid token.
        return ",".join(ctx.request.header_values(name)) or None

    return header


class JwtAuthorization:
    """One route's JWT authorization."""

    policy_first = False

    def __init__(
        self,
        verifier: TokenVerifier,
        source: str,
        scopes: tuple[str, ...],
    ) -> None:
        self.verifier = verifier
        self.scopes = frozenset(scopes)
        self._scope_text = " ".join(scopes)
        self._read = _reader(source)
        # What a token passed on, rendered once: a client repeats its token, and rendering
        # the claims costs more than verifying a remembered token (its times are still
        # checked on every request, by verify). Bounded as the verifier's memory is.
        self._results: OrderedDict[str, AuthorizerResult] = OrderedDict()

    async def authorize(self, ctx: HttpContext) -> Decision:
        token = read_token(self._read(ctx))
        if token is None:
            raise Unauthorized(log="JWT authorizer: the request has no token")
        try:
            claims = await self.verifier.verify(token)
        except TokenRejected as e:
            raise InvalidToken(self._scope_text, e.description, str(e)) from None
        known = self._results.get(token)
        if known is not None:
            ctx.authorizer = known
            return Decision.ALLOW
        scopes = None
        if self.scopes:
            scopes = token_scopes(claims)
            if not scopes or self.scopes.isdisjoint(scopes):
                raise InsufficientScope(self._scope_text)
        rendered = {name: go_string(value) for name, value in claims.items()}
        ctx.authorizer = self._results[token] = AuthorizerResult(
            variables={"claims": rendered},
            event={"claims": rendered, "scopes": scopes},
            event_v2={"jwt": {"claims": rendered, "scopes": scopes}},
        )
        if len(self._results) > VERIFIED_TOKENS:
            self._results.popitem(last=False)
        return Decision.ALLOW

    def denied(self, ctx: HttpContext, decision: Decision) -> GatewayError:
        return AccessDenied()  # authorize() allows or raises: never called


def identity_source_problem(sources: Any) -> str | None:
    """Why a JWT authorizer's IdentitySource is unusable, or None (spec §5.8: exactly one
    `$request.header.<name>` or `$request.querystring.<name>`)."""
    if not isinstance(sources, list) or len(sources) != 1 or not isinstance(sources[0], str):
        return "a JWT authorizer takes exactly one identity source"
    source = sources[0]
    for prefix in (HEADER, QUERY):
        if source.startswith(prefix) and len(source) > len(prefix):
            return None
    return (
        f"Invalid identity source {source} for a JWT authorizer: use $request.header.<name> "
        "or $request.querystring.<name>"
    )


def build_route(
    authorizer: dict[str, Any], scopes: list[str], jwks: JwksCache | None, warnings: list[str]
) -> JwtAuthorization | str:
    """The route's JWT authorization, or why it cannot run (the caller refuses with 500)."""
    name = authorizer.get("Name") or authorizer.get("AuthorizerId")
    config = authorizer.get("JwtConfiguration") or {}
    issuer = config.get("Issuer")
    if not issuer:
        return f"JWT authorizer {name} has no issuer"
    sources = authorizer.get("IdentitySource") or [DEFAULT_SOURCE]
    problem = identity_source_problem(sources)
    if problem is not None:
        return problem
    if jwks is None:
        return "no JWKS fetcher is configured (AuthServices.jwks)"
    audiences = frozenset(a for a in config.get("Audience") or [] if isinstance(a, str))
    if not audiences:
        warnings.append(
            f"JWT authorizer {name} has no audience: every token is refused (AWS requires the "
            "token's aud or client_id to be one of the authorizer's audiences)"
        )
    rules = TokenRules(issuer=issuer, keys=KeySet(issuer), audiences=audiences)
    return JwtAuthorization(TokenVerifier(rules, jwks), sources[0], tuple(scopes))

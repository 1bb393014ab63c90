"""CORS for HTTP APIs (spec §9.2): the API's `CorsConfiguration`, compiled once per deployment.

AWS counterpart: "Configure CORS for HTTP APIs in API Gateway". With a CORS configuration,
API Gateway answers preflight OPTIONS requests itself, even without an OPTIONS route, and adds
the configured CORS headers to the responses of other requests that carry an allowed `Origin`;
the CORS headers an integration returns are ignored (dropped).

Where the pipeline calls this (why not before routing): the docs also say that a `$default`
route (or an `ANY` route) "catches requests for all methods ... including OPTIONS requests",
and recommend an unauthenticated `OPTIONS /{proxy+}` route so that preflights escape a
`$default` authorizer. So routes come first: an OPTIONS request that a route matches goes to
that route (and its response gets `response_headers`), and `preflight` answers the OPTIONS
requests that no route takes, instead of the 404.

The rules, as AWS documents them and as AWS-validated tests (LocalStack's HTTP API CORS
snapshots, recorded against AWS) show them:
- A preflight is OPTIONS with `Origin` and `Access-Control-Request-Method`. It matches when the
  origin is allowed, the method is in `AllowMethods` (or `AllowMethods` has `*`) and every
  header of `Access-Control-Request-Headers` is in `AllowHeaders` (or `AllowHeaders` has `*`).
  A configuration with only `AllowOrigins` therefore matches no preflight.
- A matching preflight is answered 204 with `Access-Control-Allow-Origin`,
  `Access-Control-Allow-Methods`, `Access-Control-Allow-Headers` (sent even when empty, as AWS
  does), `Access-Control-Max-Age` (when `MaxAge` is set) and
  `Access-Control-Allow-Credentials: true` (when `AllowCredentials`). An OPTIONS request that
  does not match (no or a disallowed origin, method or header) is still answered 204, with no
  CORS headers: the browser then refuses the cross-origin call, which is what users of AWS see.
- Origins: `*` allows any origin; `http://*` and `https://*` any origin of that scheme; other
  entries are exact origins, compared case-insensitively (AWS accepts `http://myorigin.com` for
  a configured `http://MyORIGIN.com`). Methods are compared upper-cased, headers
  case-insensitively.
- `Access-Control-Allow-Origin` is `*` when the configuration allows any origin and does not
  allow credentials; otherwise it echoes the request's `Origin` (a browser refuses `*` with
  credentials, and AWS refuses to store `*` with `AllowCredentials`). An echoed origin comes
  with `Vary: Origin`, so caches keep one answer per origin (Tollway's choice: whether AWS sends
  it is not documented).
- Other requests with an allowed `Origin` get `Access-Control-Allow-Origin`,
  `Access-Control-Allow-Credentials` (when allowed) and `Access-Control-Expose-Headers` (when
  set); a request without `Origin`, or with a disallowed one, gets no CORS headers.

Everything is matched against sets built here, so a request does no parsing of the
configuration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

Headers = Iterable[tuple[str, str]] | Mapping[str, str]
"""Request headers as (name, value) pairs, or a mapping; names in any case."""

PREFLIGHT_STATUS: Final = 204
ALLOW_ORIGIN: Final = "Access-Control-Allow-Origin"
ALLOW_METHODS: Final = "Access-Control-Allow-Methods"
ALLOW_HEADERS: Final = "Access-Control-Allow-Headers"
ALLOW_CREDENTIALS: Final = "Access-Control-Allow-Credentials"
EXPOSE_HEADERS: Final = "Access-Control-Expose-Headers"
MAX_AGE: Final = "Access-Control-Max-Age"
_CORS_PREFIX: Final = "access-control-"
_SCHEME_WILDCARDS: Final = ("http://*", "https://*")


@dataclass(frozen=True, slots=True)
class CorsResponse:
    """The whole response to an OPTIONS request that API Gateway answers itself."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""


class CorsPolicy:
    """An API's `CorsConfiguration` (botocore member names), compiled."""

    __slots__ = (
        "_any_header",
        "_any_method",
        "_any_origin",
        "_credentials",
        "_expose",
        "_headers",
        "_methods",
        "_origins",
        "_preflight_static",
        "_schemes",
        "_simple_static",
    )

    def __init__(self, configuration: Mapping[str, Any]) -> None:
        origins = [str(o) for o in configuration.get("AllowOrigins") or ()]
        methods = [str(m) for m in configuration.get("AllowMethods") or ()]
        headers = [str(h) for h in configuration.get("AllowHeaders") or ()]
        expose = [str(h) for h in configuration.get("ExposeHeaders") or ()]
        max_age = configuration.get("MaxAge")
        self._credentials = bool(configuration.get("AllowCredentials"))
        self._any_origin = "*" in origins
        self._schemes = tuple(w[:-1] for w in _SCHEME_WILDCARDS if w in origins)
        self._origins = frozenset(
            o.lower() for o in origins if o != "*" and o not in _SCHEME_WILDCARDS
        )
        self._any_method = "*" in methods
        self._methods = frozenset(m.upper() for m in methods)
        self._any_header = "*" in headers
        self._headers = frozenset(h.strip().lower() for h in headers)
        self._expose = ",".join(expose)

        credentials = ((ALLOW_CREDENTIALS, "true"),) if self._credentials else ()
        self._preflight_static: tuple[tuple[str, str], ...] = (
            (ALLOW_METHODS, ",".join(methods)),
            (ALLOW_HEADERS, ",".join(headers)),
            *(((MAX_AGE, str(max_age)),) if max_age is not None else ()),
            *credentials,
        )
        self._simple_static: tuple[tuple[str, str], ...] = (
            *credentials,
            *(((EXPOSE_HEADERS, self._expose),) if expose else ()),
        )

    @classmethod
    def compile(cls, configuration: Mapping[str, Any] | None) -> CorsPolicy | None:
        """The policy of an API, or None when the API has no CORS configuration (nothing to
        do per request then)."""
        return cls(configuration) if configuration is not None else None

    def preflight(self, method: str, headers: Headers) -> CorsResponse | None:
        """API Gateway's own answer to an OPTIONS request that no route takes; None when the
        request is not OPTIONS."""
        if method.upper() != "OPTIONS":
            return None
        origin, requested_method, requested_headers = _cors_request_headers(headers)
        if origin is None or requested_method is None:
            return CorsResponse(PREFLIGHT_STATUS, ())
        allow_origin = self._allow_origin(origin)
        if (
            allow_origin is None
            or not self._allows_method(requested_method)
            or not self._allows_headers(requested_headers)
        ):
            return CorsResponse(PREFLIGHT_STATUS, ())
        return CorsResponse(PREFLIGHT_STATUS, (*allow_origin, *self._preflight_static))

    def response_headers(self, request_headers: Headers) -> tuple[tuple[str, str], ...]:
        """The CORS headers for the response to a request that is not a preflight."""
        origin = _cors_request_headers(request_headers)[0]
        if origin is None:
            return ()
        allow_origin = self._allow_origin(origin)
        if allow_origin is None:
            return ()
        return (*allow_origin, *self._simple_static)

    def apply(
        self, request_headers: Headers, response_headers: Iterable[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        """An integration's response headers with its own CORS headers dropped (AWS ignores
        them when the API has a CORS configuration) and the configured ones added."""
        kept = [(k, v) for k, v in response_headers if not k.lower().startswith(_CORS_PREFIX)]
        kept.extend(self.response_headers(request_headers))
        return kept

    def _allow_origin(self, origin: str) -> tuple[tuple[str, str], ...] | None:
        lowered = origin.lower()
        if lowered in self._origins or (self._schemes and lowered.startswith(self._schemes)):
            return ((ALLOW_ORIGIN, origin), ("Vary", "Origin"))
        if self._any_origin:
            if self._credentials:
                return ((ALLOW_ORIGIN, origin), ("Vary", "Origin"))
            return ((ALLOW_ORIGIN, "*"),)
        return None

    def _allows_method(self, method: str) -> bool:
        return self._any_method or method.strip().upper() in self._methods

    def _allows_headers(self, requested: str | None) -> bool:
        if not requested or self._any_header:
            return True
        names = (name.strip().lower() for name in requested.split(","))
        return all(name in self._headers for name in names if name)


def _cors_request_headers(headers: Headers) -> tuple[str | None, str | None, str | None]:
    """`Origin`, `Access-Control-Request-Method`, `Access-Control-Request-Headers` (the
    last one's values comma-joined if sent more than once)."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    origin = method = None
    requested: list[str] = []
    for name, value in pairs:
        lowered = name.lower()
        if lowered == "origin":
            origin = value
        elif lowered == "access-control-request-method":
            method = value
        elif lowered == "access-control-request-headers":
            requested.append(value)
    return origin, method, ",".join(requested) if requested else None

"""Signing keys of JWT issuers: OIDC discovery, the JWKS fetch, and its cache.

AWS counterpart: how HTTP API JWT authorizers (spec §5.8) and REST Cognito user pool
authorizers (§5.6) obtain the keys that verify a token's signature. A `KeySet` names where the
keys are:
- an OIDC issuer (`discover=True`): `{issuer}/.well-known/openid-configuration` gives
  `jwks_uri`, whose document holds the keys (HTTP API JWT authorizers);
- a JWKS URL itself (a Cognito user pool: `{issuer}/.well-known/jwks.json`).

AWS's limits (spec §5.1): the discovery and the JWKS requests each time out after 1500 ms and a
JWKS larger than 150000 bytes is refused (so is a discovery document that large: Tollway's
choice, AWS states no limit for it). Only RSA keys with a `kid` are kept (AWS verifies RSA
signatures only; a key marked `"use": "enc"` is not a signing key).

Caching (AWS: "API Gateway can cache public keys for two hours"):
- the keys of a `KeySet` are kept for `ttl` (two hours), then fetched again on the next token;
  if that fetch fails, the keys already known keep serving (stale-if-error, Tollway's choice:
  an issuer's blip does not lock every user out);
- a token whose `kid` is not among fresh keys triggers a refetch (the issuer rotated its keys),
  rate-limited per `KeySet` by a token bucket (`refetch_burst` refetches, then one per
  `refetch_every` seconds), so a flood of made-up `kid`s cannot hammer the issuer;
- a failed fetch is not retried for `failure_backoff` seconds (an issuer that is down is asked
  at most that often, whatever the traffic);
- concurrent requests that need the same fetch share it (one request to the issuer).

Every fetch goes through the data plane's upstream client (pooled, non-blocking, TLS verified).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from jwt import PyJWK
from jwt.exceptions import PyJWTError

from tollway.dataplane.errors import GatewayError

if TYPE_CHECKING:
    from tollway.dataplane.integrations.upstream import UpstreamClient

log = logging.getLogger("tollway.auth")

FETCH_TIMEOUT = 1.5  # seconds, discovery and JWKS each (spec §5.1)
MAX_DOCUMENT_BYTES = 150_000  # the JWKS response limit (spec §5.1)
DISCOVERY_PATH = "/.well-known/openid-configuration"


class KeysUnavailable(Exception):
    """The issuer's keys could not be fetched (unreachable, an error status, too large, not a
    JWKS); the message says which and why."""


class UnknownKey(Exception):
    """The issuer's key set has no key with the token's `kid` (after any refetch allowed)."""


@dataclass(frozen=True, slots=True)
class KeySet:
    """Where an authorizer's keys are: an OIDC issuer to discover, or a JWKS URL."""

    url: str
    discover: bool = True


@dataclass(slots=True)
class _Entry:
    keys: dict[str, Any] = field(default_factory=dict)  # kid -> verification key
    fetched: float = -math.inf  # when the keys were last fetched successfully
    failed: float = -math.inf  # when a fetch last failed
    tokens: float = 0.0  # unknown-kid refetches allowed now
    tokens_at: float = 0.0
    pending: asyncio.Future[None] | None = None


class JwksCache:
    """The keys of every issuer the deployed authorizers name, shared by all of them."""

    def __init__(
        self,
        upstream: UpstreamClient,
        *,
        clock: Callable[[], float] = time.monotonic,
        ttl: float = 7200.0,
        refetch_burst: int = 3,
        refetch_every: float = 30.0,
        failure_backoff: float = 2.0,
    ) -> None:
        self._upstream = upstream
        self._clock = clock
        self._ttl = ttl
        self._burst = refetch_burst
        self._every = refetch_every
        self._backoff = failure_backoff
        self._entries: dict[KeySet, _Entry] = {}

    async def key(self, source: KeySet, kid: str) -> Any:
        """The verification key `kid` of `source`. Raises UnknownKey or KeysUnavailable."""
        entry = self._entries.get(source)
        if entry is None:
            entry = self._entries[source] = _Entry(tokens=self._burst, tokens_at=self._clock())
        now = self._clock()
        fresh = now - entry.fetched < self._ttl
        if fresh:
            found = entry.keys.get(kid)
            if found is not None:
                return found
            if not self._take_refetch(entry, now):
                raise UnknownKey(kid)
        if now - entry.failed < self._backoff and entry.pending is None:
            return self._stale(entry, kid, "the last fetch failed moments ago")
        try:
            await self._refresh(source, entry)
        except KeysUnavailable as e:
            return self._stale(entry, kid, str(e))
        found = entry.keys.get(kid)
        if found is None:
            raise UnknownKey(kid)
        return found

    def _stale(self, entry: _Entry, kid: str, reason: str) -> Any:
        found = entry.keys.get(kid)
        if found is None:
            raise KeysUnavailable(reason)
        return found

    def _take_refetch(self, entry: _Entry, now: float) -> bool:
        entry.tokens = min(self._burst, entry.tokens + (now - entry.tokens_at) / self._every)
        entry.tokens_at = now
        if entry.tokens < 1:
            return False
        entry.tokens -= 1
        return True

    async def _refresh(self, source: KeySet, entry: _Entry) -> None:
        if entry.pending is None:
            task = asyncio.ensure_future(self._fetch(source, entry))
            entry.pending = task

            def done(finished: asyncio.Future[None]) -> None:
                entry.pending = None
                if not finished.cancelled():
                    finished.exception()  # retrieved: every waiter may have gone

            task.add_done_callback(done)
        # shielded: a client that disconnects does not cancel the fetch others wait for
        await asyncio.shield(entry.pending)

    async def _fetch(self, source: KeySet, entry: _Entry) -> None:
        try:
            url = source.url
            if source.discover:
                discovery = await self._document(url.rstrip("/") + DISCOVERY_PATH, "discovery")
                url = discovery.get("jwks_uri")  # type: ignore[assignment]
                if not isinstance(url, str) or not url:
                    raise KeysUnavailable(f"the discovery document of {source.url} has no jwks_uri")
            entry.keys = _parse_keys(await self._document(url, "JWKS"), url)
        except KeysUnavailable as e:
            entry.failed = self._clock()
            log.warning("JWT authorizer: cannot fetch the signing keys of %s: %s", source.url, e)
            raise
        entry.fetched = self._clock()

    async def _document(self, url: str, what: str) -> dict[str, Any]:
        headers = [("Accept", "application/json"), ("User-Agent", "Tollway")]
        try:
            response = await self._upstream.send(
                "GET", url, headers, None, time_limit=FETCH_TIMEOUT
            )
        except GatewayError as e:  # the upstream client's timeout, network failure, bad URL
            raise KeysUnavailable(f"{what} {url}: {e.log or e.message}") from None
        if response.status != 200:
            raise KeysUnavailable(f"{what} {url} answered HTTP {response.status}")
        if len(response.body) > MAX_DOCUMENT_BYTES:
            raise KeysUnavailable(
                f"{what} {url} is {len(response.body)} bytes, over the {MAX_DOCUMENT_BYTES} "
                "bytes API Gateway accepts"
            )
        try:
            document = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            raise KeysUnavailable(f"{what} {url} is not JSON") from None
        if not isinstance(document, dict):
            raise KeysUnavailable(f"{what} {url} is not a JSON object")
        return document


def _parse_keys(document: dict[str, Any], url: str) -> dict[str, Any]:
    raw = document.get("keys")
    if not isinstance(raw, list):
        raise KeysUnavailable(f"JWKS {url} has no keys list")
    keys: dict[str, Any] = {}
    for item in raw:
        if not isinstance(item, dict) or item.get("kty") != "RSA":
            continue
        kid = item.get("kid")
        if not isinstance(kid, str) or item.get("use", "sig") != "sig":
            continue
        try:
            keys[kid] = PyJWK(item).key
        except (PyJWTError, ValueError, TypeError) as e:
            log.warning("JWT authorizer: key %s of %s is unusable: %s", kid, url, e)
    return keys

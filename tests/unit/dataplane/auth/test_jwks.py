"""Fetching and caching issuers' signing keys (auth/jwks.py): discovery, AWS's size limit,
RSA signing keys only, the two-hour cache, rate-limited refetches on unknown kids, one shared
fetch for concurrent requests, failures and stale keys."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from tests.jwt_issuer import jwk, jwks

from tollway.dataplane.auth.jwks import JwksCache, KeySet, KeysUnavailable, UnknownKey
from tollway.dataplane.context import Response
from tollway.dataplane.errors import IntegrationTimeout

from .fake_issuer import DISCOVERY, ISSUER, KEYS_URL, Clock, issuer

SOURCE = KeySet(ISSUER)


async def test_discovery_then_the_jwks_with_aws_timeouts() -> None:
    upstream = issuer("k1", "k2")
    cache = JwksCache(upstream)
    key = await cache.key(SOURCE, "k2")
    assert isinstance(key, RSAPublicKey)
    assert upstream.gets == [DISCOVERY, KEYS_URL]
    assert upstream.limits == [1.5, 1.5]
    assert await cache.key(SOURCE, "k1") is not None
    assert upstream.gets == [DISCOVERY, KEYS_URL]  # cached


async def test_a_jwks_url_without_discovery() -> None:
    upstream = issuer("k1")
    cache = JwksCache(upstream)
    await cache.key(KeySet(KEYS_URL, discover=False), "k1")
    assert upstream.gets == [KEYS_URL]


async def test_keys_are_kept_two_hours() -> None:
    upstream, clock = issuer("k1"), Clock()
    cache = JwksCache(upstream, clock=clock)
    await cache.key(SOURCE, "k1")
    clock.now += 7199
    await cache.key(SOURCE, "k1")
    assert len(upstream.gets) == 2
    clock.now += 2
    await cache.key(SOURCE, "k1")
    assert len(upstream.gets) == 4  # discovery and JWKS again


async def test_unknown_kid_refetches_and_finds_a_rotated_key() -> None:
    upstream = issuer("k1")
    cache = JwksCache(upstream)
    await cache.key(SOURCE, "k1")
    upstream.documents[KEYS_URL] = jwks("k1", "k2")
    assert await cache.key(SOURCE, "k2") is not None
    assert upstream.gets == [DISCOVERY, KEYS_URL, DISCOVERY, KEYS_URL]


async def test_a_flood_of_unknown_kids_is_rate_limited() -> None:
    upstream, clock = issuer("k1"), Clock()
    cache = JwksCache(upstream, clock=clock, refetch_burst=3, refetch_every=30)
    await cache.key(SOURCE, "k1")
    for n in range(20):
        with pytest.raises(UnknownKey):
            await cache.key(SOURCE, f"bogus{n}")
    assert upstream.gets.count(KEYS_URL) == 1 + 3  # the first fetch, then the burst
    clock.now += 30
    with pytest.raises(UnknownKey):
        await cache.key(SOURCE, "bogus-later")
    assert upstream.gets.count(KEYS_URL) == 5  # one more per 30 s
    with pytest.raises(UnknownKey):
        await cache.key(SOURCE, "bogus-again")
    assert upstream.gets.count(KEYS_URL) == 5


async def test_concurrent_requests_share_one_fetch() -> None:
    upstream = issuer("k1")
    upstream.gate = asyncio.Event()
    cache = JwksCache(upstream)
    waiting = [asyncio.create_task(cache.key(SOURCE, "k1")) for _ in range(10)]
    await asyncio.sleep(0.01)
    upstream.gate.set()
    keys = await asyncio.gather(*waiting)
    assert len({id(k) for k in keys}) == 1
    assert upstream.gets == [DISCOVERY, KEYS_URL]


async def test_a_cancelled_waiter_does_not_cancel_the_shared_fetch() -> None:
    upstream = issuer("k1")
    upstream.gate = asyncio.Event()
    cache = JwksCache(upstream)
    first = asyncio.create_task(cache.key(SOURCE, "k1"))
    second = asyncio.create_task(cache.key(SOURCE, "k1"))
    await asyncio.sleep(0.01)
    first.cancel()
    upstream.gate.set()
    assert await second is not None
    assert upstream.gets == [DISCOVERY, KEYS_URL]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (IntegrationTimeout(log="Execution failed due to a timeout error"), "timeout error"),
        (Response(500, [], b"oops"), "answered HTTP 500"),
        (Response(200, [], b"not json"), "is not JSON"),
        (Response(200, [], b"[1]"), "is not a JSON object"),
        ({"no": "keys"}, "has no keys list"),
        (Response(200, [], b" " * 150_001), "is 150001 bytes, over the 150000 bytes"),
    ],
)
async def test_jwks_failures(answer: Any, reason: str) -> None:
    upstream = issuer("k1")
    upstream.documents[KEYS_URL] = answer
    with pytest.raises(KeysUnavailable) as info:
        await JwksCache(upstream).key(SOURCE, "k1")
    assert reason in str(info.value)


async def test_a_jwks_of_exactly_the_limit_is_accepted() -> None:
    upstream = issuer("k1")
    body = orjson.dumps(jwks("k1"))
    upstream.documents[KEYS_URL] = Response(200, [], body + b" " * (150_000 - len(body)))
    assert await JwksCache(upstream).key(SOURCE, "k1") is not None


async def test_discovery_without_jwks_uri() -> None:
    upstream = issuer("k1")
    upstream.documents[DISCOVERY] = {"issuer": ISSUER}
    with pytest.raises(KeysUnavailable, match="has no jwks_uri"):
        await JwksCache(upstream).key(SOURCE, "k1")


async def test_only_rsa_signing_keys_with_a_kid_are_kept() -> None:
    upstream = issuer()
    upstream.documents[KEYS_URL] = {
        "keys": [
            {"kty": "oct", "kid": "h", "k": "c2VjcmV0"},
            {**jwk("k1"), "use": "enc", "kid": "enc"},
            {k: v for k, v in jwk("k1").items() if k != "kid"},
            {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
            jwk("k2"),
        ]
    }
    cache = JwksCache(upstream)
    assert await cache.key(SOURCE, "k2") is not None
    for kid in ("h", "enc", "broken"):
        with pytest.raises(UnknownKey):
            await cache.key(SOURCE, kid)


async def test_a_failed_fetch_backs_off_then_retries() -> None:
    upstream, clock = issuer("k1"), Clock()
    upstream.documents[KEYS_URL] = Response(503, [], b"")
    cache = JwksCache(upstream, clock=clock, failure_backoff=2)
    for _ in range(5):
        with pytest.raises(KeysUnavailable):
            await cache.key(SOURCE, "k1")
    assert upstream.gets.count(KEYS_URL) == 1
    upstream.documents[KEYS_URL] = jwks("k1")
    clock.now += 2
    assert await cache.key(SOURCE, "k1") is not None


async def test_known_keys_serve_when_the_refetch_fails() -> None:
    upstream, clock = issuer("k1"), Clock()
    cache = JwksCache(upstream, clock=clock)
    first = await cache.key(SOURCE, "k1")
    upstream.documents[KEYS_URL] = Response(503, [], b"")
    clock.now += 7201
    assert await cache.key(SOURCE, "k1") is first

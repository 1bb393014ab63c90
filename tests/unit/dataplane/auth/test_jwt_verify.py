"""Token verification (auth/jwt_verify.py): each of AWS's checks refuses with its description,
forged tokens (`alg: none`, HS256 keyed with the public key, a tampered payload, a bad
signature) are refused, and the leeway is as documented."""

from __future__ import annotations

import time
from typing import Any

import pytest
from tests.jwt_issuer import claims, hs256_with_public_key, tampered, token, unsigned

from tollway.dataplane.auth import jwt_verify as v
from tollway.dataplane.auth.jwks import JwksCache, KeySet
from tollway.dataplane.auth.jwt_verify import TokenRejected, TokenRules, TokenVerifier, token_scopes

from .fake_issuer import ISSUER, KEYS_URL, issuer

RULES = TokenRules(ISSUER, KeySet(ISSUER), frozenset({"api", "client-1"}))


def verifier(rules: TokenRules = RULES, *kids: str) -> TokenVerifier:
    return TokenVerifier(rules, JwksCache(issuer(*(kids or ("k1",)))))


async def refused(text: str, rules: TokenRules = RULES) -> str:
    with pytest.raises(TokenRejected) as info:
        await verifier(rules).verify(text)
    return info.value.description


async def test_a_valid_token_gives_its_claims() -> None:
    payload = claims(ISSUER, scope="read write")
    assert await verifier().verify(token(payload)) == payload


@pytest.mark.parametrize("alg", ["RS384", "RS512"])
async def test_every_rsa_algorithm(alg: str) -> None:
    payload = claims(ISSUER)
    assert await verifier().verify(token(payload, alg=alg)) == payload


@pytest.mark.parametrize(
    ("changes", "description"),
    [
        ({"iss": "https://other.test"}, v.ISSUER),
        ({"iss": None}, v.ISSUER),
        ({"aud": "someone-else"}, v.AUDIENCE),
        ({"aud": ["x", "y"]}, v.AUDIENCE),
        ({"aud": None}, v.AUDIENCE),  # neither aud nor client_id
        ({"aud": "other", "client_id": "client-1"}, v.AUDIENCE),  # aud wins when present
        ({"exp": int(time.time()) - 1}, v.EXPIRED),
        ({"exp": None}, v.NO_EXPIRY),
        ({"exp": "soon"}, v.NO_EXPIRY),
        ({"nbf": int(time.time()) + 3600}, v.NOT_YET_VALID),
        ({"iat": int(time.time()) + 3600}, v.ISSUED_LATER),
    ],
)
async def test_claim_checks(changes: dict[str, Any], description: str) -> None:
    payload = {**claims(ISSUER), **changes}
    payload = {k: value for k, value in payload.items() if value is not None}
    assert await refused(token(payload)) == description


async def test_audience_alternatives() -> None:
    check = verifier()
    for payload in (
        claims(ISSUER, audience=None, client_id="client-1"),  # client_id when there is no aud
        claims(ISSUER, audience=None, aud=["x", "api"]),
    ):
        assert await check.verify(token(payload)) == payload


async def test_without_audiences_the_audience_is_not_checked() -> None:
    rules = TokenRules(ISSUER, KeySet(ISSUER), None)
    payload = claims(ISSUER, audience="anything")
    assert await verifier(rules).verify(token(payload)) == payload


async def test_nbf_and_iat_may_be_a_little_ahead() -> None:
    now = int(time.time())
    payload = claims(ISSUER, nbf=now + 30, iat=now + 30)
    assert await verifier().verify(token(payload)) == payload
    assert await refused(token(claims(ISSUER, nbf=now + v.LEEWAY + 30))) == v.NOT_YET_VALID


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("not-a-jwt", v.MALFORMED),
        ("a.b.c", v.MALFORMED),
        (unsigned(claims(ISSUER)), v.ALGORITHM),
        (hs256_with_public_key(claims(ISSUER)), v.ALGORITHM),
        (token(claims(ISSUER), kid="k9"), v.UNKNOWN_KID),
        (tampered(token(claims(ISSUER)), sub="admin"), v.SIGNATURE),
        (token(claims(ISSUER))[:-6] + "AAAAAA", v.SIGNATURE),
    ],
)
async def test_forged_and_malformed_tokens(text: str, description: str) -> None:
    assert await refused(text) == description


async def test_a_token_without_kid() -> None:
    import jwt
    from tests.jwt_issuer import rsa_key

    text = jwt.encode(claims(ISSUER), rsa_key("k1"), algorithm="RS256")
    assert await refused(text) == v.NO_KID


async def test_keys_unavailable() -> None:
    upstream = issuer("k1")
    del upstream.documents[KEYS_URL]
    check = TokenVerifier(RULES, JwksCache(upstream))
    with pytest.raises(TokenRejected) as info:
        await check.verify(token(claims(ISSUER)))
    assert info.value.description == v.KEYS_UNAVAILABLE
    assert "answered HTTP 404" in str(info.value)


async def test_a_verified_token_is_remembered_but_still_expires() -> None:
    now = [time.time()]
    upstream = issuer("k1")
    check = TokenVerifier(RULES, JwksCache(upstream), clock=lambda: now[0])
    text = token(claims(ISSUER))
    await check.verify(text)
    upstream.documents.clear()  # no more keys: only the remembered claims can answer
    assert (await check.verify(text))["sub"] == "user-1"
    now[0] += 3601
    with pytest.raises(TokenRejected) as info:
        await check.verify(text)
    assert info.value.description == v.EXPIRED


def test_token_scopes() -> None:
    assert token_scopes({"scope": "a b  c"}) == ["a", "b", "c"]
    assert token_scopes({"scp": ["a", "b", 3]}) == ["a", "b"]
    assert token_scopes({"scp": "a b"}) == ["a", "b"]
    assert token_scopes({"sub": "x"}) is None

"""A test OIDC issuer: generated RSA keys, its JWKS and discovery documents, and tokens it
signs (or forges). Shared by the JWT/Cognito unit and end-to-end tests."""

from __future__ import annotations

import base64
import functools
import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


@functools.cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """One 2048-bit key per name for the whole test run (generating keys is slow)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(name: str) -> bytes:
    return (
        rsa_key(name)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def jwk(kid: str) -> dict[str, Any]:
    """The public JWK of key `kid`."""
    key: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(rsa_key(kid).public_key()))
    return {**key, "kid": kid, "use": "sig", "alg": "RS256"}


def jwks(*kids: str) -> dict[str, Any]:
    return {"keys": [jwk(kid) for kid in kids]}


def claims(issuer: str, audience: str | None = "api", **more: Any) -> dict[str, Any]:
    """Claims valid for an hour."""
    now = int(time.time())
    out: dict[str, Any] = {"iss": issuer, "sub": "user-1", "iat": now, "exp": now + 3600}
    if audience is not None:
        out["aud"] = audience
    out.update(more)
    return {k: v for k, v in out.items() if v is not None}


def token(
    payload: dict[str, Any], kid: str = "k1", alg: str = "RS256", sign_with: str | None = None
) -> str:
    """`payload` signed by key `kid` (or by `sign_with`, the header still naming `kid`)."""
    return jwt.encode(payload, rsa_key(sign_with or kid), algorithm=alg, headers={"kid": kid})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(payload: dict[str, Any], kid: str = "k1") -> str:
    """An `alg: none` token."""
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    return f"{header}.{_b64(json.dumps(payload).encode())}."


def hs256_with_public_key(payload: dict[str, Any], kid: str = "k1") -> str:
    """The key-confusion forgery: HS256 keyed with the issuer's public key."""
    import hashlib
    import hmac

    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = _b64(json.dumps(payload).encode())
    signature = hmac.new(public_pem(kid), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(signature)}"


def tampered(signed: str, **changes: Any) -> str:
    """`signed` with its payload changed and the original signature kept."""
    header, body, signature = signed.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload.update(changes)
    return f"{header}.{_b64(json.dumps(payload).encode())}.{signature}"

"""A fake OIDC issuer behind the upstream client seam, and a settable clock (JWT and Cognito
authorizer tests)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from tests.jwt_issuer import jwks

from tollway.dataplane.context import Response

ISSUER = "https://issuer.test/tenant"
DISCOVERY = f"{ISSUER}/.well-known/openid-configuration"
KEYS_URL = "https://keys.test/jwks.json"


class IssuerUpstream:
    """An UpstreamClient playing an OIDC issuer: documents by URL, each GET recorded."""

    def __init__(self, documents: dict[str, Any]) -> None:
        self.documents = documents
        self.gets: list[str] = []
        self.limits: list[float] = []
        self.gate: asyncio.Event | None = None  # set: answers wait for it

    async def send(self, method: str, url: str, headers: list[tuple[str, str]],
                   body: bytes | None, *, time_limit: float,
                   verify_tls: bool = True) -> Response:  # fmt: skip
        assert method == "GET" and verify_tls
        self.gets.append(url)
        self.limits.append(time_limit)
        if self.gate is not None:
            await self.gate.wait()
        answer = self.documents.get(url)
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, Response):
            return answer
        if answer is None:
            return Response(404, [], b"not found")
        return Response(200, [("Content-Type", "application/json")], orjson.dumps(answer))

    async def close(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def issuer(*kids: str) -> IssuerUpstream:
    return IssuerUpstream(
        {DISCOVERY: {"issuer": ISSUER, "jwks_uri": KEYS_URL}, KEYS_URL: jwks(*kids)}
    )

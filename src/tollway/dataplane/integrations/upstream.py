"""The upstream HTTP client: every outbound request of the data plane goes through it.

A one-method seam (`UpstreamClient.send`) so the transport can be swapped for a faster one
without touching integrations; the default is a pooled aiohttp session (keep-alive
connections reused across requests). Failures come back as the gateway's typed errors:
a timeout is INTEGRATION_TIMEOUT, anything that prevents a response is INTEGRATION_FAILURE.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Protocol

import aiohttp
from yarl import URL

from tollway.dataplane.context import Response
from tollway.dataplane.errors import ApiConfigurationError, IntegrationFailure, IntegrationTimeout

log = logging.getLogger("tollway.upstream")


class UpstreamClient(Protocol):
    async def send(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes | None,
        *,
        time_limit: float,
        verify_tls: bool = True,
    ) -> Response: ...

    async def close(self) -> None: ...


class AiohttpUpstream:
    def __init__(self, *, max_connections: int = 1000) -> None:
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._insecure = ssl.create_default_context()
        self._insecure.check_hostname = False
        self._insecure.verify_mode = ssl.CERT_NONE

    def _open(self) -> aiohttp.ClientSession:
        # Created lazily, inside the running event loop.
        connector = aiohttp.TCPConnector(limit=self._max_connections, ttl_dns_cache=300)
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=True,
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
        )
        return self._session

    async def send(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes | None,
        *,
        time_limit: float,
        verify_tls: bool = True,
    ) -> Response:
        session = self._session or self._open()
        try:
            target = URL(url, encoded=True)
        except ValueError as e:
            raise ApiConfigurationError(log=f"Invalid endpoint address {url}: {e}") from None
        try:
            async with asyncio.timeout(time_limit):
                async with session.request(
                    method,
                    target,
                    headers=headers,
                    data=body,
                    allow_redirects=False,
                    ssl=True if verify_tls else self._insecure,
                ) as response:
                    payload = await response.read()
                    raw = [
                        (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers
                    ]
                    return Response(response.status, raw, payload)
        except TimeoutError:
            raise IntegrationTimeout(log="Execution failed due to a timeout error") from None
        except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError) as e:
            raise ApiConfigurationError(log=f"Invalid endpoint address {url}: {e}") from None
        except (aiohttp.ClientError, OSError) as e:
            raise IntegrationFailure(
                log=f"Execution failed due to a network error communicating with endpoint: {e}"
            ) from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

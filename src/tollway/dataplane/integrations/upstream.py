"""The upstream HTTP client seam: every outbound request of the data plane goes through it.

One method (`UpstreamClient.send`), so the transport can change without touching the
integrations. The implementation wired in app.py is `upstream_httptools.HttpToolsUpstream`
(pooled keep-alive connections on asyncio protocols + httptools). DESIGN.md named aiohttp;
bench/ measured aiohttp's client work at about half of HTTP_PROXY's per-request cost and below
the throughput target, and the hand-written client more than doubled HTTP_PROXY's throughput
(bench/README.md has the numbers). Failures come back as the gateway's typed errors: a
timeout is INTEGRATION_TIMEOUT, anything that prevents a response INTEGRATION_FAILURE.
"""

from __future__ import annotations

from typing import Protocol

from tollway.dataplane.context import Response


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

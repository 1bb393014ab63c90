"""The Python floor: the least an ASGI server on Tollway's stack can do per request.

    python bench/floor.py --port P --upstream http://127.0.0.1:U/

A bare ASGI app on the same server stack Tollway uses (uvicorn, httptools, uvloop, one
process), with no gateway work at all: `/mock` answers the benchmark body, `/proxy` forwards
the request to the upstream through a pooled aiohttp session, as Tollway's HTTP_PROXY does.
The distance between these rows and Tollway's shows what Tollway's own per-request work costs;
the distance between these and nginx, what the Python stack costs.
"""

from __future__ import annotations

import argparse
from typing import Any

import aiohttp
import uvicorn
import uvloop
from servers import BODY_TEXT

_BODY = BODY_TEXT.encode()
_JSON_HEADERS = [(b"content-type", b"application/json")]


class FloorApp:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.session: aiohttp.ClientSession | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/proxy":
            status, headers, body = await self.forward()
        else:
            status, headers, body = 200, _JSON_HEADERS, _BODY
        headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def forward(self) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        if self.session is None:  # created inside the running loop
            self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1000))
        async with self.session.get(self.upstream) as response:
            body = await response.read()
            # Hop-by-hop and length headers are the server's to set, as a proxy's are.
            headers = [
                (k, v)
                for k, v in response.raw_headers
                if k.lower() not in (b"content-length", b"connection", b"transfer-encoding")
            ]
            return response.status, headers, body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    config = uvicorn.Config(
        FloorApp(args.upstream),
        host="127.0.0.1",
        port=args.port,
        http="httptools",
        loop="none",
        lifespan="off",
        ws="none",
        access_log=False,
        log_level="warning",
        server_header=False,
        timeout_keep_alive=60,
    )
    uvloop.run(uvicorn.Server(config).serve())


if __name__ == "__main__":
    main()

"""uvicorn's httptools protocol with three changes the gateway needs.

- Request header names keep the client's casing. ASGI servers lowercase them, but API
  Gateway hands Lambda functions the client's own casing (`Content-Type`, `tEsT-HEADeR`,
  spec §2.1) and functions look headers up by it. The two places uvicorn compares header
  names are made case-insensitive.
- A response goes out in one write. uvicorn writes the status line and headers, then the
  body, as two writes (two system calls, measured at ~4 µs a response in bench/); the header
  block is held back until the body arrives or the response completes.

- On the HTTPS listener, what the gateway needs of the TLS connection (the SNI name, the
  client certificate of mutual TLS: dataplane/tls.py) is read once per connection and put
  into every request's scope as `extensions["tls"]`.

All rely on uvicorn internals, so tests/e2e assert them end to end (header casing in Lambda
events; every e2e response passes through the coalescing).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tollway.dataplane.tls import connection_info


class _CoalescingTransport:
    """Holds a response's header block until the next write joins it to the body."""

    __slots__ = ("_pending", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._pending: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._pending is not None:
            data, self._pending = self._pending + data, None
        elif (
            data.startswith(b"HTTP/1.1 ")
            and data.endswith(b"\r\n\r\n")
            and not data.startswith(b"HTTP/1.1 100")  # the client waits for it
        ):
            self._pending = data  # a header block: the body write follows
            return
        self._transport.write(data)

    def flush(self) -> None:
        if self._pending is not None:
            data, self._pending = self._pending, None
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CasePreservingHttpToolsProtocol(HttpToolsProtocol):
    _coalescing: _CoalescingTransport
    _extensions: dict[str, Any] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._coalescing = _CoalescingTransport(transport)  # type: ignore[arg-type]
        super().connection_made(self._coalescing)  # type: ignore[arg-type]
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            self._extensions = {"tls": connection_info(ssl_object)}

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._extensions is not None:
            self.scope["extensions"] = self._extensions

    def on_response_complete(self) -> None:
        # Responses without a body write (HEAD) complete here: send their header block.
        self._coalescing.flush()
        super().on_response_complete()

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        self.headers.append((name, value))

    def _get_upgrade(self) -> bytes | None:
        connection: list[bytes] = []
        upgrade = None
        for name, value in self.headers:
            lowered = name.lower()
            if lowered == b"connection":
                connection = [token.lower().strip() for token in value.split(b",")]
            elif lowered == b"upgrade":
                upgrade = value.lower()
        return upgrade if b"upgrade" in connection else None
